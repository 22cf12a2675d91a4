"""The clinical note: HealthScribe's ``summary.json`` (the clinical documentation file) as a model.

A :class:`ClinicalNote` keeps every section in the order AWS wrote them; each
:class:`NoteSection` keeps its summarized sentences (:class:`NoteSentence`), and each sentence the
ids of the transcript segments it came from (its evidence). :meth:`ClinicalNote.resolve` looks
those ids up in the job's :class:`~transcribe_medical.Transcript`.

Reading is lenient: any section name is kept (AWS documents only HISTORY_AND_PHYSICAL's names; see
:mod:`~transcribe_medical.scribe.templates`), a section or sentence without some member is read
with that member empty, and fields AWS adds later are ignored. The note holds PHI: ``repr()`` shows
counts only and errors never echo it.

Example:
    >>> note = parse_clinical_document(open("summary.json", "rb").read())   # doctest: +SKIP
    >>> for section in note.sections:                                       # doctest: +SKIP
    ...     print(section.title, len(section.sentences))
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from pydantic import ConfigDict, Field, field_validator

from transcribe_medical._exceptions import ProtocolError, ValidationError
from transcribe_medical.models._base import PhiSafeModel
from transcribe_medical.models.transcript import Segment
from transcribe_medical.scribe.templates import CONFIRMED_SECTIONS, DOCUMENTED_SECTIONS, section_title

if TYPE_CHECKING:
    from transcribe_medical.models.transcript import Transcript

__all__ = ["ClinicalNote", "NoteSection", "NoteSentence", "ResolvedSentence", "parse_clinical_document"]


class _NoteModel(PhiSafeModel):
    model_config = ConfigDict(extra="ignore", hide_input_in_errors=True, populate_by_name=True)


class NoteSentence(_NoteModel):
    """One summarized sentence of a section, with its evidence.

    Attributes:
        text: The sentence (``SummarizedSegment``).
        evidence: The ``SegmentId`` of each transcript segment it summarizes, in AWS's order.
    """

    text: str = Field("", alias="SummarizedSegment")
    evidence: tuple[str, ...] = Field((), alias="EvidenceLinks")

    _repr_counts = ("evidence",)

    @field_validator("evidence", mode="before")
    @classmethod
    def _links(cls, value: object) -> tuple[str, ...]:
        # AWS: [{"SegmentId": "..."}]; plain ids are accepted too (our own JSON export).
        if not isinstance(value, list | tuple):
            return ()
        ids: list[str] = []
        for link in value:
            if isinstance(link, Mapping):
                link = link.get("SegmentId")
            if isinstance(link, str) and link:
                ids.append(link)
        return tuple(ids)

    @field_validator("text", mode="before")
    @classmethod
    def _text(cls, value: object) -> str:
        return value if isinstance(value, str) else ""


class NoteSection(_NoteModel):
    """A section of the note, as AWS named it.

    Attributes:
        name: AWS's ``SectionName`` (e.g. ``CHIEF_COMPLAINT``; a name AWS adds later is kept).
        sentences: Its summarized sentences, in order.
    """

    name: str = Field("UNNAMED", alias="SectionName")
    sentences: list[NoteSentence] = Field(default_factory=list, alias="Summary")

    _repr_values = ("name",)
    _repr_counts = ("sentences",)

    @field_validator("name", mode="before")
    @classmethod
    def _name(cls, value: object) -> str:
        return value if isinstance(value, str) and value.strip() else "UNNAMED"

    @field_validator("sentences", mode="before")
    @classmethod
    def _summary(cls, value: object) -> list[Any]:
        if not isinstance(value, list):
            return []
        return [entry for entry in value if isinstance(entry, Mapping | NoteSentence)]

    @property
    def title(self) -> str:
        """A heading for the section (``Chief complaint``)."""
        return section_title(self.name)

    @property
    def is_confirmed(self) -> bool:
        """True for a section name seen in AWS's published examples or listed in its guide."""
        return self.name in CONFIRMED_SECTIONS or self.name in DOCUMENTED_SECTIONS


class ResolvedSentence(_NoteModel):
    """A note sentence with its evidence looked up in the transcript.

    Attributes:
        section: The section's name.
        sentence: The sentence.
        segments: The transcript segments it names, in the evidence's order.
        missing: Evidence ids no segment of the transcript has.
    """

    section: str
    sentence: NoteSentence
    segments: list[Segment] = Field(default_factory=list)
    missing: tuple[str, ...] = ()

    _repr_values = ("section", "missing")
    _repr_counts = ("segments",)


class ClinicalNote(_NoteModel):
    """The clinical note of a HealthScribe job or stream (``summary.json``).

    Attributes:
        sections: Every section, in AWS's order.
        session_id: The streaming session id (streaming notes only).
        job_name: The job's name, when the note came from a job.
        template: The note template the job asked for, when known.
        metadata: ``ClinicalDocumentation.Metadata`` when present (the local emulator marks its
            notes there; AWS's published files have none).
    """

    sections: list[NoteSection] = Field(default_factory=list, alias="Sections")
    session_id: str | None = Field(None, alias="SessionId")
    job_name: str | None = None
    template: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict, alias="Metadata")

    _repr_values = ("job_name", "session_id", "template")
    _repr_counts = ("sections",)

    @field_validator("metadata", mode="before")
    @classmethod
    def _metadata(cls, value: object) -> dict[str, Any]:
        return dict(value) if isinstance(value, Mapping) else {}

    @property
    def is_emulated(self) -> bool:
        """True for a note the local emulator made (its ``Metadata`` says so; AWS's notes have none)."""
        return self.metadata.get("Emulated") is True

    @field_validator("sections", mode="before")
    @classmethod
    def _sections(cls, value: object) -> list[Any]:
        return [entry for entry in value if isinstance(entry, Mapping | NoteSection)] if isinstance(value, list) else []

    @property
    def section_names(self) -> list[str]:
        """The sections' names, in order."""
        return [section.name for section in self.sections]

    def section(self, name: str) -> NoteSection | None:
        """The first section called ``name`` (case-insensitive; spaces count as ``_``), or None."""
        wanted = "_".join(name.split()).upper()
        return next((s for s in self.sections if "_".join(s.name.split()).upper() == wanted), None)

    @property
    def evidence_ids(self) -> list[str]:
        """Every segment id the note's sentences cite, once each, in order of first citation."""
        seen: dict[str, None] = {}
        for section in self.sections:
            for sentence in section.sentences:
                seen.update(dict.fromkeys(sentence.evidence))
        return list(seen)

    def resolve(self, transcript: Transcript) -> list[ResolvedSentence]:
        """Look every sentence's evidence up in ``transcript`` (by the segments' ``segment_id``).

        Args:
            transcript: The job's transcript (its segments keep HealthScribe's ``SegmentId``).

        Returns:
            One entry per sentence, in note order, with the segments found and the ids not found.
        """
        by_id = _segments_by_id(transcript.segments)
        resolved: list[ResolvedSentence] = []
        for section in self.sections:
            for sentence in section.sentences:
                found = [by_id[i] for i in sentence.evidence if i in by_id]
                missing = tuple(i for i in sentence.evidence if i not in by_id)
                resolved.append(
                    ResolvedSentence(section=section.name, sentence=sentence, segments=found, missing=missing)
                )
        return resolved

    def missing_evidence(self, transcript: Transcript) -> list[str]:
        """The cited segment ids that ``transcript`` does not hold (empty when every link resolves)."""
        known = {segment.segment_id for segment in transcript.segments if segment.segment_id}
        return [segment_id for segment_id in self.evidence_ids if segment_id not in known]


def _segments_by_id(segments: Iterable[Segment]) -> dict[str, Segment]:
    return {segment.segment_id: segment for segment in segments if segment.segment_id}


def _text_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None


def parse_clinical_document(
    data: bytes | str | Mapping[str, Any], *, job_name: str | None = None, template: str | None = None
) -> ClinicalNote:
    """Read a HealthScribe clinical documentation file (``summary.json``) into a :class:`ClinicalNote`.

    Args:
        data: The file's bytes or text, or the parsed JSON.
        job_name: The job it came from, recorded in the note.
        template: The note template the job asked for, recorded in the note.

    Returns:
        The note, sections in the file's order.

    Raises:
        ProtocolError: not JSON, or no ``ClinicalDocumentation`` object at the top.
    """
    if isinstance(data, bytes | str):
        try:
            document = json.loads(data)
        except ValueError as error:
            raise ProtocolError(f"clinical document is not valid JSON: {error}") from None
    else:
        document = data
    body = document.get("ClinicalDocumentation") if isinstance(document, Mapping) else None
    if not isinstance(body, Mapping):
        raise ProtocolError("clinical document: no ClinicalDocumentation object at the top level")
    try:
        note = ClinicalNote.model_validate(dict(body))
    except ValidationError as error:
        raise ProtocolError(f"malformed clinical document: {error}") from error
    # Our own JSON export records where the note came from beside AWS's object.
    about = document.get("transcribe_medical") if isinstance(document, Mapping) else None
    if isinstance(about, Mapping):
        job_name = job_name if job_name is not None else _text_or_none(about.get("job_name"))
        template = template if template is not None else _text_or_none(about.get("template"))
    if template is None and isinstance(note.metadata.get("NoteTemplate"), str):
        template = note.metadata["NoteTemplate"]
    if job_name is not None or template is not None:
        note = note.model_copy(update={"job_name": job_name, "template": template})
    return note
