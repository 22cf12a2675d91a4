"""``transcribe-medical review TRANSCRIPT.json --min-confidence X [-o report.html]``.

With ``-o`` it writes the HTML review page (mode 0600). Without, it prints the words below the
threshold on stdout as tab-separated values under a header row (:data:`REVIEW_COLUMNS`: start time,
speaker/channel, word, confidence), one word per line; a one-line summary goes to stderr.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from transcribe_medical._notice import DEFAULT_REVIEW_THRESHOLD
from transcribe_medical.cli.app import app
from transcribe_medical.cli.commands._transcript_file import (
    RedactPhi,
    TranscriptArgument,
    check_min_confidence,
    read_transcript_file,
    write_output,
)

__all__ = ["REVIEW_COLUMNS", "review"]

#: The header row of the flagged-word list.
REVIEW_COLUMNS = ("start", "speaker/channel", "word", "confidence")

ReviewOutput = Annotated[
    Path | None, typer.Option("-o", "--output", help="Write the HTML review page to FILE (mode 0600).")
]
ReviewThreshold = Annotated[
    float, typer.Option("--min-confidence", metavar="X", help="Flag words below confidence X (0-1).")
]
Title = Annotated[str | None, typer.Option("--title", help="Title of the HTML page.")]


@app.command("review")
def review(
    transcript: TranscriptArgument,
    min_confidence: ReviewThreshold = DEFAULT_REVIEW_THRESHOLD,
    output: ReviewOutput = None,
    redact_phi: RedactPhi = False,
    title: Title = None,
) -> None:
    """List the words below a confidence threshold for human review, or write the HTML report (-o)."""
    from transcribe_medical.cli.output import print_review_notice, printable
    from transcribe_medical.exports.html import DEFAULT_TITLE, to_html
    from transcribe_medical.exports.subtitles import format_timestamp

    check_min_confidence(min_confidence)
    result = read_transcript_file(transcript)
    if redact_phi:
        result = result.redact_phi()
    if output is not None:
        write_output(printable(to_html(result, min_confidence=min_confidence, title=title or DEFAULT_TITLE)), output)
        return
    flags = result.review(min_confidence)
    lines = ["\t".join(REVIEW_COLUMNS) + "\n"]
    for flag in flags:
        when = format_timestamp(flag.start, decimal=".") if flag.start is not None else "-"
        label = printable(" ".join(x for x in (flag.channel, flag.speaker) if x) or "-", one_line=True)
        content = " ".join(printable(flag.content, one_line=True).split())
        lines.append(f"{when}\t{label}\t{content}\t{flag.confidence:.4g}\n")
    words = sum(
        item.type == "pronunciation" and item.confidence is not None
        for segment in result.segments
        for item in segment.items
    )
    share = f" ({len(flags) / words:.1%})" if words else ""
    sys.stdout.write("".join(lines))
    sys.stdout.flush()
    sys.stderr.write(f"{len(flags)} of {words} words below {min_confidence:g}{share}\n")
    print_review_notice()
