"""What ``convert`` and ``review`` share: reading a transcript file and rendering it.

A transcript file is either the JSON a medical batch job writes (AWS's format, recognised by its
``results`` object) or this tool's own JSON (``--format json``, recognised by its ``schema`` key).
Anything wrong with the file is bad input (exit 2), whichever parser found it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from transcribe_medical._exceptions import ProtocolError, ValidationError

if TYPE_CHECKING:
    from transcribe_medical.models.transcript import Transcript

__all__ = [
    "MinConfidence",
    "RedactPhi",
    "TranscriptArgument",
    "check_min_confidence",
    "read_transcript_file",
    "render_transcript",
    "write_output",
]

TranscriptArgument = Annotated[
    Path,
    typer.Argument(
        metavar="TRANSCRIPT.json",
        help="A transcript: the JSON a batch job wrote (AWS's format) or this tool's --format json.",
    ),
]
RedactPhi = Annotated[
    bool,
    typer.Option("--redact-phi", help="Replace PHI entities (content identification) with [PHI] before rendering."),
]
MinConfidence = Annotated[
    float | None,
    typer.Option("--min-confidence", metavar="X", help="Mark words below confidence X (0-1) for review."),
]


def check_min_confidence(value: float | None) -> None:
    """Refuse a ``--min-confidence`` outside 0..1."""
    if value is not None and not 0.0 <= value <= 1.0:
        raise ValidationError(
            f"--min-confidence: {value!r} is invalid: use a number between 0 and 1", field="min_confidence"
        )


def _looks_like_ours(document: Any) -> bool:
    from transcribe_medical.exports.json_format import SCHEMA

    return isinstance(document, dict) and document.get("schema") == SCHEMA


def read_transcript_file(path: Path) -> Transcript:
    """Read a transcript file in AWS's batch format or this tool's JSON, detecting which.

    Args:
        path: The file.

    Returns:
        The transcript.

    Raises:
        ValidationError: The file is missing or unreadable, not JSON, or not a transcript; the
            message names the file and the problem, never the transcript's text.
    """
    from transcribe_medical.exports.json_format import SCHEMA, from_json
    from transcribe_medical.models.batch_output import parse_batch_output

    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ValidationError(f"{path}: no such file", field="transcript") from None
    except IsADirectoryError:
        raise ValidationError(f"{path}: is a directory, not a transcript file", field="transcript") from None
    except OSError as error:
        raise ValidationError(f"{path}: cannot be read ({error.strerror or error})", field="transcript") from None
    try:
        document = json.loads(data)
    except ValueError as error:
        # The decoder's message gives a position only, never the content.
        raise ValidationError(f"{path}: not valid JSON ({error})", field="transcript") from None
    except RecursionError:
        raise _too_deep(path) from None
    try:
        if _looks_like_ours(document):
            return from_json(data)
        if isinstance(document, dict) and "results" in document:
            return parse_batch_output(document)
    except (ValidationError, ProtocolError) as error:
        raise ValidationError(f"{path}: {error}", field="transcript") from error
    except RecursionError:
        raise _too_deep(path) from None
    raise ValidationError(
        f"{path}: not a transcript: expected the JSON of a batch job (with 'results') or of "
        f'--format json (with "schema": {SCHEMA!r})',
        field="transcript",
    )


def _too_deep(path: Path) -> ValidationError:
    # The JSON decoder recurses once per level: thousands of nested brackets exhaust the stack.
    return ValidationError(f"{path}: JSON nested too deeply to be a transcript", field="transcript")


def render_transcript(transcript: Transcript, transcript_format: str, min_confidence: float | None) -> str:
    """Render in ``--format``, passing ``--min-confidence`` to the formats that mark words.

    The words come from the service: the text formats (text, SRT, VTT, HTML) keep them without
    their control characters (newline and tab stay); JSON and JSONL keep every character, with
    no control character left raw (they are ``\\u`` escapes), so they read back as received.

    Raises:
        ValidationError: Unknown format.
    """
    from transcribe_medical.cli.output import json_without_raw_controls, printable
    from transcribe_medical.exports import export
    from transcribe_medical.exports.html import DEFAULT_MIN_CONFIDENCE, to_html
    from transcribe_medical.exports.text import to_text

    fmt = transcript_format.lower()
    if fmt == "text":
        return printable(to_text(transcript, min_confidence=min_confidence))
    if fmt == "html":
        threshold = DEFAULT_MIN_CONFIDENCE if min_confidence is None else min_confidence
        return printable(to_html(transcript, min_confidence=threshold))
    if fmt in ("json", "jsonl"):
        return json_without_raw_controls(export(transcript, fmt))
    return printable(export(transcript, fmt))


def write_output(text: str, output: Path | None) -> None:
    """Write ``text`` to ``output`` (mode 0600, atomically) or to stdout, then the review notice.

    No control character but newline and tab is written, whoever rendered ``text``: render JSON
    with :func:`~transcribe_medical.cli.output.json_without_raw_controls` first to keep them as
    escapes instead.
    """
    from transcribe_medical.cli.output import print_review_notice, printable, stderr
    from transcribe_medical.exports import write_transcript_file

    text = printable(text)
    if text and not text.endswith("\n"):
        text += "\n"
    if output is not None:
        try:
            write_transcript_file(output, text)
        except OSError as error:
            raise ValidationError(f"{output}: cannot be written ({error.strerror or error})", field="output") from None
        if sys.stderr.isatty():
            stderr.print(f"wrote {output}", markup=False)  # a path may hold "[/b]"
    else:
        sys.stdout.write(text)
        sys.stdout.flush()
    print_review_notice()
