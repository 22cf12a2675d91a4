"""``transcribe-medical convert TRANSCRIPT.json --format ...``: re-render a transcript file.

Reads AWS's batch output or this tool's JSON and writes text, JSON, JSONL, SRT, WebVTT or the HTML
review page, optionally with PHI redacted first (``--redact-phi``) for sharing.
"""

from __future__ import annotations

from typing import Annotated

import typer

from transcribe_medical.cli.app import app
from transcribe_medical.cli.commands._transcript_file import (
    MinConfidence,
    RedactPhi,
    TranscriptArgument,
    check_min_confidence,
    read_transcript_file,
    render_transcript,
    write_output,
)
from transcribe_medical.cli.commands.jobs import OutputFile

__all__ = ["convert"]

ConvertFormat = Annotated[
    str, typer.Option("--format", help="Output format: text, json, jsonl, srt, vtt or html (the review page).")
]


@app.command("convert")
def convert(
    transcript: TranscriptArgument,
    transcript_format: ConvertFormat = "text",
    redact_phi: RedactPhi = False,
    min_confidence: MinConfidence = None,
    output: OutputFile = None,
) -> None:
    """Convert a transcript file (AWS batch JSON or this tool's JSON) to another format.

    --min-confidence marks low-confidence words as [[word]] in text and sets the review
    threshold of the html page (default 0.85).
    """
    from transcribe_medical.exports import EXPORT_FORMATS

    if transcript_format.lower() not in EXPORT_FORMATS:
        from transcribe_medical._exceptions import ValidationError

        raise ValidationError(
            f"--format: {transcript_format!r} is invalid: use one of {', '.join(EXPORT_FORMATS)}", field="format"
        )
    check_min_confidence(min_confidence)
    result = read_transcript_file(transcript)
    if redact_phi:
        result = result.redact_phi()
    write_output(render_transcript(result, transcript_format, min_confidence), output)
