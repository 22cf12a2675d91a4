"""The note templates' sections: which names AWS has shown, which the docs only describe.

Only HISTORY_AND_PHYSICAL has public samples (AWS's output examples: six section names). The user
guide's template tables add four more H&P sections and describe the other six templates' sections
in prose ("Goal, Intervention, Response, Progress, and Plan"); their exact ``SectionName`` strings
are not published. :data:`TEMPLATE_SECTIONS` spells those as the prose, upper-cased with ``_``;
the parser never depends on it (any section name is read), it only tells readers and tests what to
expect.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

from transcribe_medical.scribe.enums import NoteTemplate

__all__ = ["CONFIRMED_SECTIONS", "DOCUMENTED_SECTIONS", "TEMPLATE_SECTIONS", "section_title"]

#: Section names seen in AWS's published summary.json examples (HISTORY_AND_PHYSICAL).
CONFIRMED_SECTIONS: Final = (
    "CHIEF_COMPLAINT",
    "HISTORY_OF_PRESENT_ILLNESS",
    "REVIEW_OF_SYSTEMS",
    "PAST_MEDICAL_HISTORY",
    "ASSESSMENT",
    "PLAN",
)

#: HISTORY_AND_PHYSICAL sections the user guide's table lists beyond the examples.
DOCUMENTED_SECTIONS: Final = (
    "PHYSICAL_EXAMINATION",
    "PAST_FAMILY_HISTORY",
    "PAST_SOCIAL_HISTORY",
    "DIAGNOSTIC_TESTING",
)

#: Each template's main sections, in the order the user guide names them.
TEMPLATE_SECTIONS: Final = MappingProxyType(
    {
        NoteTemplate.HISTORY_AND_PHYSICAL: CONFIRMED_SECTIONS,
        NoteTemplate.GIRPP: ("GOAL", "INTERVENTION", "RESPONSE", "PROGRESS", "PLAN"),
        NoteTemplate.BIRP: ("BEHAVIOR", "INTERVENTION", "RESPONSE", "PLAN"),
        NoteTemplate.SIRP: ("SITUATION", "INTERVENTION", "RESPONSE", "PLAN"),
        NoteTemplate.DAP: ("DATA", "ASSESSMENT", "PLAN"),
        NoteTemplate.BEHAVIORAL_SOAP: ("SUBJECTIVE", "OBJECTIVE", "ASSESSMENT", "PLAN"),
        NoteTemplate.PHYSICAL_SOAP: ("SUBJECTIVE", "OBJECTIVE", "ASSESSMENT", "PLAN"),
    }
)


def section_title(name: str) -> str:
    """A heading for a section name: ``HISTORY_OF_PRESENT_ILLNESS`` → ``History of present illness``.

    Works for names AWS adds later and for names written in words (``"Subjective"``).

    Example:
        >>> section_title("CHIEF_COMPLAINT")
        'Chief complaint'
    """
    words = " ".join(name.replace("_", " ").split())
    return words[:1].upper() + words[1:].lower() if words else "Untitled section"
