"""The clinical note as plain text (for a terminal or a text field in an EHR)."""

from __future__ import annotations

import textwrap

from transcribe_medical._notice import IMPORTANT_NOTICE
from transcribe_medical.exports.note_markdown import note_heading, note_review_line
from transcribe_medical.scribe.note import ClinicalNote

__all__ = ["note_to_text"]


def note_to_text(note: ClinicalNote, *, width: int = 100, notice: bool = True, evidence: bool = False) -> str:
    """Render the note as plain text: headings in capitals, one bullet per sentence.

    Args:
        note: The note.
        width: Wrap lines at this many characters.
        notice: Start with the review notice.
        evidence: After each sentence, the segment ids it cites.

    Returns:
        The text.
    """
    lines = ["CLINICAL NOTE"]
    source = note_heading(note)
    if source:
        lines.append(source)
    if notice:
        lines += ["", *textwrap.wrap(f"REVIEW BEFORE USE. {IMPORTANT_NOTICE} {note_review_line(note)}", width)]
    for section in note.sections:
        lines += ["", section.title.upper()]
        if not section.sentences:
            lines.append("  (nothing summarized)")
        for sentence in section.sentences:
            text = " ".join(sentence.text.split())
            if evidence and sentence.evidence:
                text += f" [evidence: {', '.join(sentence.evidence)}]"
            lines += textwrap.wrap(text, width, initial_indent="- ", subsequent_indent="  ") or ["-"]
    return "\n".join(lines) + "\n"
