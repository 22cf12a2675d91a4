"""``transcribe-medical demo``: the whole SDK on the embedded emulator, no AWS account needed.

It starts :class:`~transcribe_medical.local.LocalTranscribeMedical` in-process on loopback ports,
streams the bundled sample dictation through the SDK's own streaming client, runs the same file
as a batch job (upload to the emulated S3, start, wait, fetch), and prints both transcripts, their
word error rate against the sample's reference text, the words below the review threshold, and
the review notice. It ends with AWS HealthScribe on the bundled two-person visit
(:mod:`~transcribe_medical.cli.commands.demo_scribe`): the clinical note's sections, and where its
HTML page (the note beside the transcript) is written. Progress goes to stderr, the report to stdout.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from transcribe_medical.cli.app import app
from transcribe_medical.cli.commands.serve import require_local_extra
from transcribe_medical.cli.output import REVIEW_NOTICE

if TYPE_CHECKING:
    from transcribe_medical.models.transcript import Transcript

#: The word error rate the demo is expected to stay under on the bundled sample.
TARGET_WER = 0.25


def _progress(message: str) -> None:
    sys.stderr.write(f"... {message}\n")
    sys.stderr.flush()


def _report(title: str, transcript: Transcript, reference: str, seconds: float) -> float:
    from transcribe_medical.cli.output import printable
    from transcribe_medical.local.recognizers import word_error_rate

    wer = word_error_rate(reference, transcript.text)
    sys.stdout.write(f"\n== {title} ({seconds:.1f} s)\n{printable(transcript.text)}\n")
    sys.stdout.write(f"word error rate: {wer:.1%} (target <= {TARGET_WER:.0%})\n")
    return wer


def _flagged(transcript: Transcript, min_confidence: float) -> None:
    flags = transcript.review(min_confidence)
    if not flags:
        sys.stdout.write(f"words flagged for review (confidence < {min_confidence:g}): none\n")
        return
    sys.stdout.write(f"words flagged for review (confidence < {min_confidence:g}): {len(flags)}\n")
    for flag in flags:
        at = f" at {flag.start:.2f} s" if flag.start is not None else ""
        sys.stdout.write(f"  {flag.content!r} ({flag.confidence:.2f}){at}\n")


@app.command("demo")
def demo(
    realtime: Annotated[
        bool,
        typer.Option("--realtime/--no-realtime", help="Send the audio at its own pace (default: as fast as allowed)."),
    ] = False,
    min_confidence: Annotated[
        float, typer.Option("--min-confidence", min=0.0, max=1.0, help="Flag words below this confidence for review.")
    ] = 0.5,
    batch: Annotated[bool, typer.Option("--batch/--no-batch", help="Also run the sample as a batch job.")] = True,
    scribe: Annotated[
        bool,
        typer.Option("--scribe/--no-scribe", help="End with a HealthScribe clinical note of the bundled visit."),
    ] = True,
    note_html: Annotated[
        Path | None,
        typer.Option("--note-html", help="Where to write the HTML note (default: a new private temporary folder)."),
    ] = None,
) -> None:
    """Stream and batch-transcribe a bundled sample dictation, then make a clinical note of a bundled visit."""
    require_local_extra()
    from transcribe_medical.cli.commands.demo_scribe import check_note_html, run_scribe_demo
    from transcribe_medical.local import LocalTranscribeMedical, sample_dictation
    from transcribe_medical.models.enums import ContentIdentificationType, Specialty, TranscriptionType
    from transcribe_medical.models.stream import StreamConfig

    check_note_html(note_html if scribe else None)
    started = time.monotonic()
    audio, reference = sample_dictation()
    _progress("starting the local emulator (streaming + batch) on 127.0.0.1")
    with LocalTranscribeMedical(batch=batch or scribe) as emulator, emulator.client() as client:
        _progress(
            f"streaming the sample dictation to {emulator.streaming_endpoint}" + (" in real time" if realtime else "")
        )
        config = StreamConfig(
            specialty=Specialty.PRIMARYCARE,
            type=TranscriptionType.DICTATION,
            content_identification=ContentIdentificationType.PHI,
        )
        step = time.monotonic()
        streamed = client.streaming.transcribe_file(audio, config, realtime=realtime)
        _report("streaming transcript", streamed, reference, time.monotonic() - step)
        _flagged(streamed, min_confidence)

        if batch:
            _progress(f"running the same file as a batch job on {emulator.endpoint_url}")
            step = time.monotonic()
            bucket = emulator.create_bucket("transcribe-medical-demo")
            batched = client.jobs.transcribe_file(
                audio,
                bucket=bucket,
                specialty=Specialty.PRIMARYCARE,
                type=TranscriptionType.DICTATION,
                content_identification=ContentIdentificationType.PHI,
                poll_interval=0.2,
                timeout=120,
            )
            _report("batch transcript", batched, reference, time.monotonic() - step)
            _flagged(batched, min_confidence)
        sys.stdout.write(f"\nreference: {reference}\n")

        if scribe:
            run_scribe_demo(emulator, client, note_html)

    sys.stdout.write(f"\n{REVIEW_NOTICE}\n")
    sys.stdout.flush()
    _progress(f"done in {time.monotonic() - started:.1f} s")
