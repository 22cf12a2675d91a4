"""The clinical note as Markdown: the review notice, then each section and its sentences.

Example:
    >>> from transcribe_medical.exports.note_markdown import note_to_markdown
    >>> print(note_to_markdown(note))          # doctest: +SKIP
"""

from __future__ import annotations

from transcribe_medical._notice import IMPORTANT_NOTICE
from transcribe_medical.scribe.note import ClinicalNote

__all__ = ["NOTE_REVIEW_LINE", "note_heading", "note_review_line", "note_to_markdown"]

#: What the note exports add to the seeds' notice: the note is a draft made by a model.
NOTE_REVIEW_LINE = (
    "This clinical note was generated from the recorded conversation by AWS HealthScribe. It is a "
    "draft: check each sentence against the conversation it cites before it enters the record."
)
_EMULATED_REVIEW_LINE = (
    "This clinical note was made by the transcribe-medical local emulator, by rules, for testing; "
    "AWS HealthScribe did not write it. Check each sentence against the conversation it cites."
)


def note_review_line(note: ClinicalNote) -> str:
    """The line the exports add to the seeds' notice (it says so when the emulator made the note)."""
    return _EMULATED_REVIEW_LINE if note.is_emulated else NOTE_REVIEW_LINE


_MARKDOWN_SPECIALS = "\\`*_{}[]<>#|"


def _escape(text: str) -> str:
    # Sentences are text, not Markdown: a '*' or '#' said in a visit must not become formatting.
    return "".join("\\" + ch if ch in _MARKDOWN_SPECIALS else ch for ch in " ".join(text.split()))


def note_heading(note: ClinicalNote) -> str:
    """One line naming where the note came from (job or session, template)."""
    parts = []
    if note.job_name:
        parts.append(f"job {note.job_name}")
    if note.session_id:
        parts.append(f"session {note.session_id}")
    if note.template:
        parts.append(f"template {note.template}")
    if note.is_emulated:
        parts.append("emulated locally, not by AWS HealthScribe")
    return ", ".join(parts)


def note_to_markdown(note: ClinicalNote, *, evidence: bool = True, notice: bool = True) -> str:
    """Render the note as Markdown.

    Args:
        note: The note.
        evidence: After each sentence, the transcript segment ids it cites.
        notice: Start with the review notice (a block quote).

    Returns:
        The Markdown text, sections in AWS's order.
    """
    lines = ["# Clinical note", ""]
    source = note_heading(note)
    if source:
        lines += [f"*{_escape(source)}*", ""]
    if notice:
        lines += [f"> **Review before use.** {IMPORTANT_NOTICE}", ">", f"> {note_review_line(note)}", ""]
    for section in note.sections:
        lines += [f"## {_escape(section.title)}", ""]
        if not section.sentences:
            lines += ["*Nothing was summarized for this section.*", ""]
            continue
        for sentence in section.sentences:
            line = f"- {_escape(sentence.text)}"
            if evidence and sentence.evidence:
                line += " <sub>evidence: " + ", ".join(f"`{_code(i)}`" for i in sentence.evidence) + "</sub>"
            lines.append(line)
        lines.append("")
    if not note.sections:
        lines += ["*The note has no sections.*", ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def _code(segment_id: str) -> str:
    return segment_id.replace("`", "'")
