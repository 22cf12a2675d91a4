"""HealthScribe's enumerations (AWS wire values), strict when sent, lenient when read."""

from __future__ import annotations

from enum import Enum

__all__ = ["NoteTemplate", "ParticipantRole", "PatientPronouns", "VocabularyFilterMethod"]


class _WireEnum(str, Enum):
    """A string enum whose ``str()`` is the AWS wire value."""

    def __str__(self) -> str:
        return str(self.value)


class NoteTemplate(_WireEnum):
    """The clinical note templates of ``ClinicalNoteGenerationSettings.NoteTemplate``.

    The API's values; the user guide's ``BH_SOAP`` and ``PH_SOAP`` are accepted as aliases of
    ``BEHAVIORAL_SOAP`` and ``PHYSICAL_SOAP`` (see :meth:`parse`).
    """

    HISTORY_AND_PHYSICAL = "HISTORY_AND_PHYSICAL"
    GIRPP = "GIRPP"
    BIRP = "BIRP"
    SIRP = "SIRP"
    DAP = "DAP"
    BEHAVIORAL_SOAP = "BEHAVIORAL_SOAP"
    PHYSICAL_SOAP = "PHYSICAL_SOAP"

    @classmethod
    def parse(cls, value: object) -> NoteTemplate:
        """The template for ``value`` (case-insensitive; ``-`` for ``_``; BH_SOAP/PH_SOAP aliases).

        Raises:
            ValueError: not a template name.
        """
        if isinstance(value, cls):
            return value
        if isinstance(value, str):
            text = value.strip().upper().replace("-", "_")
            text = _TEMPLATE_ALIASES.get(text, text)
            for member in cls:
                if member.value == text:
                    return member
        raise ValueError(f"use one of {', '.join(m.value for m in cls)}")


_TEMPLATE_ALIASES = {"BH_SOAP": "BEHAVIORAL_SOAP", "PH_SOAP": "PHYSICAL_SOAP", "H_AND_P": "HISTORY_AND_PHYSICAL"}


class ParticipantRole(_WireEnum):
    """Who speaks on a channel (``ChannelDefinitions``)."""

    CLINICIAN = "CLINICIAN"
    PATIENT = "PATIENT"


class VocabularyFilterMethod(_WireEnum):
    """What a vocabulary filter does to the words it matches (lower-case in batch)."""

    REMOVE = "remove"
    MASK = "mask"
    TAG = "tag"


class PatientPronouns(_WireEnum):
    """The patient's pronouns (``MedicalScribeContext.PatientContext.Pronouns``)."""

    HE_HIM = "HE_HIM"
    SHE_HER = "SHE_HER"
    THEY_THEM = "THEY_THEM"
