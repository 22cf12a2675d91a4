"""Exports of a :class:`~transcribe_medical.ClinicalNote` by name: the ``--format`` of ``scribe note``.

:data:`NOTE_EXPORT_FORMATS` names them (``markdown``, ``text``, ``json``, ``html``, ``fhir``);
:func:`export_note` renders one. Write the result with
:func:`~transcribe_medical.exports.write_transcript_file` (mode 0600: a note is PHI).

Example:
    >>> from transcribe_medical.exports.note_formats import export_note
    >>> page = export_note(note, "html", transcript=transcript)   # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Final

from transcribe_medical._exceptions import ValidationError
from transcribe_medical.exports.note_fhir import note_to_fhir_json
from transcribe_medical.exports.note_html import note_to_html
from transcribe_medical.exports.note_json import note_to_json
from transcribe_medical.exports.note_markdown import note_to_markdown
from transcribe_medical.exports.note_text import note_to_text

if TYPE_CHECKING:
    from transcribe_medical.models.transcript import Transcript
    from transcribe_medical.scribe.note import ClinicalNote

__all__ = ["NOTE_EXPORT_FORMATS", "check_note_format", "export_note"]

#: The note formats, in the order the CLI lists them.
NOTE_EXPORT_FORMATS: Final = ("markdown", "text", "json", "html", "fhir")


def check_note_format(fmt: str) -> str:
    """The format's canonical name (``md`` is ``markdown``).

    Raises:
        ValidationError: not a note format.
    """
    name = fmt.strip().lower()
    name = {"md": "markdown", "txt": "text"}.get(name, name)
    if name not in NOTE_EXPORT_FORMATS:
        raise ValidationError(
            f"format: {fmt!r} is invalid: choose one of {', '.join(NOTE_EXPORT_FORMATS)}", field="format"
        )
    return name


def export_note(
    note: ClinicalNote,
    fmt: str,
    *,
    transcript: Transcript | None = None,
    subject: str | None = None,
    authors: Sequence[str] = (),
    date: datetime | None = None,
) -> str:
    """Render ``note`` in the format named ``fmt``.

    Args:
        note: The note.
        fmt: ``markdown``, ``text``, ``json``, ``html`` or ``fhir`` (case-insensitive).
        transcript: For ``html``: the transcript shown beside the note.
        subject: For ``fhir``: the patient reference.
        authors: For ``fhir``: the author references.
        date: For ``fhir``: when the note was made (default now).

    Raises:
        ValidationError: an unknown format, or a bad FHIR reference.
    """
    name = check_note_format(fmt)
    if name == "markdown":
        return note_to_markdown(note)
    if name == "text":
        return note_to_text(note)
    if name == "json":
        return note_to_json(note)
    if name == "html":
        return note_to_html(note, transcript)
    return note_to_fhir_json(note, subject=subject, authors=authors, date=date)
