"""Exports of a :class:`~transcribe_medical.Transcript`: text, JSON, JSON Lines, SRT, WebVTT and HTML.

Every function takes a transcript and returns a ``str``; :func:`write_transcript_file` writes the
result with mode 0600. :data:`EXPORT_FORMATS` maps each format name to its function, and
:func:`export` dispatches on the name (the CLI's ``--format``).

Example:
    >>> from transcribe_medical.exports import export, write_transcript_file
    >>> write_transcript_file("visit.vtt", export(transcript, "vtt"))   # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType

from transcribe_medical._exceptions import ValidationError
from transcribe_medical.exports.files import TRANSCRIPT_FILE_MODE, write_transcript_file
from transcribe_medical.exports.html import to_html
from transcribe_medical.exports.json_format import SCHEMA, SCHEMA_VERSION, from_json, to_json
from transcribe_medical.exports.jsonl import segment_to_jsonl, to_jsonl
from transcribe_medical.exports.subtitles import MAX_LINE_LENGTH, MAX_LINES_PER_SPEAKER, to_srt, to_vtt
from transcribe_medical.exports.text import LOW_CONFIDENCE_MARKER, to_text
from transcribe_medical.models.transcript import Transcript

__all__ = [
    "EXPORT_FORMATS",
    "LOW_CONFIDENCE_MARKER",
    "MAX_LINES_PER_SPEAKER",
    "MAX_LINE_LENGTH",
    "SCHEMA",
    "SCHEMA_VERSION",
    "TRANSCRIPT_FILE_MODE",
    "export",
    "from_json",
    "segment_to_jsonl",
    "to_html",
    "to_json",
    "to_jsonl",
    "to_srt",
    "to_text",
    "to_vtt",
    "write_transcript_file",
]


def _to_json(transcript: Transcript) -> str:
    return to_json(transcript)


def _to_text(transcript: Transcript) -> str:
    return to_text(transcript)


def _to_html(transcript: Transcript) -> str:
    return to_html(transcript)


#: Format name -> function rendering a transcript in it (the CLI's ``--format`` choices).
EXPORT_FORMATS: Mapping[str, Callable[[Transcript], str]] = MappingProxyType(
    {"text": _to_text, "json": _to_json, "jsonl": to_jsonl, "srt": to_srt, "vtt": to_vtt, "html": _to_html}
)


def export(transcript: Transcript, fmt: str) -> str:
    """Render ``transcript`` in the format named ``fmt``.

    Args:
        transcript: The transcript.
        fmt: One of :data:`EXPORT_FORMATS` (``text``, ``json``, ``jsonl``, ``srt``, ``vtt``, ``html``),
            case-insensitive.

    Returns:
        The rendered transcript.

    Raises:
        ValidationError: Unknown format; the message lists the known ones.
    """
    renderer = EXPORT_FORMATS.get(fmt.lower())
    if renderer is None:
        raise ValidationError(f"format: {fmt!r} is invalid: choose one of {', '.join(EXPORT_FORMATS)}", field="format")
    return renderer(transcript)
