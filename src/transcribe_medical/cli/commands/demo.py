"""``transcribe-medical demo``: the whole SDK on the embedded emulator, no AWS account needed.

It starts :class:`~transcribe_medical.local.LocalTranscribeMedical` in-process on loopback ports
and shows what the product does, on the bundled two-voice conversation (one microphone in the
room, :func:`~transcribe_medical.local.sample_conversation`):

1. **Streaming**, live: each final utterance is printed the moment it arrives, with its speaker
   label (two voices, ``spk_0`` and ``spk_1``), while the utterance in progress is a live line on
   stderr (on a terminal); then the audio's length beside the time it took, the speakers, the
   PHI found (content identification), the word error rate against the script, and how many
   words fall below the review threshold.
2. **Batch**: the same file as a batch job (upload to the emulated S3, start, wait, fetch), and
   whether it gave the same words and speakers as the stream.
3. **The review page**: the HTML report (words below the threshold highlighted, PHI marked),
   written with mode 0600; its path is printed.
Then **HealthScribe** on the bundled two-channel visit
   (:mod:`~transcribe_medical.cli.commands.demo_scribe`): the clinical note and its HTML page.

The review threshold is :data:`~transcribe_medical._notice.DEFAULT_REVIEW_THRESHOLD`, the same as
``review``'s. Progress goes to stderr, the report to stdout; the last line says what to try next.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Final

import typer

from transcribe_medical._notice import DEFAULT_REVIEW_THRESHOLD
from transcribe_medical.cli.app import app
from transcribe_medical.cli.commands.serve import require_local_extra
from transcribe_medical.cli.output import REVIEW_NOTICE

if TYPE_CHECKING:
    from transcribe_medical._client import TranscribeMedical
    from transcribe_medical.local import LocalTranscribeMedical
    from transcribe_medical.models.transcript import Transcript

#: The word error rate the demo is expected to stay under on the bundled sample.
TARGET_WER = 0.25
#: Where to read more (the last line names it).
DOCS_URL: Final = "https://github.com/transcribe-medical/transcribe-medical/tree/main/docs"
#: What to try next, the demo's last line.
NEXT_STEPS: Final = (
    "next: 'transcribe-medical serve' runs this emulator for your own code and files; the README's "
    f"Quick start walks through it (then point it at AWS by dropping the endpoints); docs: {DOCS_URL}"
)


def _progress(message: str) -> None:
    sys.stderr.write(f"... {message}\n")
    sys.stderr.flush()


def _seconds(audio: float, took: float) -> str:
    # Two different clocks: how long the recording is, and how long transcribing it took.
    return f"audio {audio:.1f} s, took {took:.1f} s"


def _words(transcript: Transcript) -> list[tuple[str, str | None]]:
    return [
        (item.content.lower(), item.speaker)
        for segment in transcript.segments
        for item in segment.items
        if item.type == "pronunciation"
    ]


def _facts(transcript: Transcript, reference: str, min_confidence: float) -> None:
    """Speakers, PHI, word error rate and the words flagged for review, on stdout."""
    from transcribe_medical.cli.output import printable
    from transcribe_medical.local.recognizers import word_error_rate

    out = sys.stdout
    speakers = transcript.speakers
    out.write(f"speakers: {len(speakers)} ({', '.join(speakers) or 'none'})\n")
    phi = transcript.phi_entities
    found = ", ".join(f'"{printable(entity.content, one_line=True)}"' for entity in phi)
    out.write(f"PHI identified: {len(phi)}{' - ' + found if found else ''}\n")
    wer = word_error_rate(reference, transcript.text)
    out.write(f"word error rate: {wer:.1%} (target <= {TARGET_WER:.0%})\n")
    flagged = len(transcript.review(min_confidence))
    out.write(f"flagged for review (confidence < {min_confidence:g}): {flagged} of {len(_words(transcript))} words\n")


@app.command("demo")
def demo(
    realtime: Annotated[
        bool,
        typer.Option("--realtime/--no-realtime", help="Send the audio at its own pace (default: as fast as allowed)."),
    ] = False,
    min_confidence: Annotated[
        float,
        typer.Option("--min-confidence", min=0.0, max=1.0, help="Flag words below this confidence (review's default)."),
    ] = DEFAULT_REVIEW_THRESHOLD,
    batch: Annotated[bool, typer.Option("--batch/--no-batch", help="Also run the sample as a batch job.")] = True,
    scribe: Annotated[
        bool,
        typer.Option("--scribe/--no-scribe", help="End with a HealthScribe clinical note of the bundled visit."),
    ] = True,
    review_html: Annotated[
        Path | None,
        typer.Option("--review-html", help="Where to write the HTML review page (default: a new private folder)."),
    ] = None,
    note_html: Annotated[
        Path | None,
        typer.Option("--note-html", help="Where to write the HTML note (default: a new private temporary folder)."),
    ] = None,
) -> None:
    """Stream, batch and review a bundled two-voice conversation, then make a clinical note of a bundled visit."""
    require_local_extra()
    from transcribe_medical.cli.commands.demo_scribe import check_note_html, default_note_path, run_scribe_demo
    from transcribe_medical.cli.live_display import LiveDisplay
    from transcribe_medical.local import LocalTranscribeMedical, sample_conversation
    from transcribe_medical.models.enums import ContentIdentificationType, Specialty, TranscriptionType
    from transcribe_medical.models.stream import StreamConfig

    _check_html("--review-html", review_html)
    check_note_html(note_html if scribe else None)
    started = time.monotonic()
    audio, turns = sample_conversation()
    reference = " ".join(text for _, text in turns)
    out = sys.stdout
    _progress("starting the local emulator (streaming + batch) on 127.0.0.1")
    with LocalTranscribeMedical(batch=batch or scribe) as emulator, emulator.client() as client:
        pace = "in real time" if realtime else "as fast as the emulator takes it"
        _progress(f"streaming the bundled conversation to {emulator.streaming_endpoint} {pace}")
        config = StreamConfig(
            specialty=Specialty.PRIMARYCARE,
            type=TranscriptionType.CONVERSATION,
            show_speaker_labels=True,
            content_identification=ContentIdentificationType.PHI,
        )
        out.write("== 1. Streaming: two people on one microphone, results as they arrive\n")
        out.flush()
        step = time.monotonic()
        with (
            client.streaming.transcribe(audio, config, realtime=realtime) as run,
            LiveDisplay(partials=True, finals_to_stdout=True) as display,
        ):
            for event in run:
                display.show(event)
            streamed = run.transcript
        took = time.monotonic() - step
        length = _audio_seconds(audio)
        out.write(f"{_seconds(length, took)}\n")
        _facts(streamed, reference, min_confidence)

        if batch:
            _progress(f"running the same file as a batch job on {emulator.endpoint_url}")
            step = time.monotonic()
            batched = _batch_job(emulator, client, audio)
            out.write(
                f"\n== 2. Batch: the same recording as a batch job ({_seconds(length, time.monotonic() - step)})\n"
            )
            same = _words(batched) == _words(streamed)
            if same:
                out.write("the same words and speakers as the stream\n")
            else:
                from transcribe_medical.cli.output import printable
                from transcribe_medical.exports.text import to_text

                out.write("not the same as the stream:\n" + printable(to_text(batched)))

        page = review_html or default_note_path().with_name("review.html")
        _write_review_page(streamed, page, min_confidence)
        out.write(f"\n== 3. Review page: words below {min_confidence:g} highlighted, PHI marked\n{page}\n")
        out.flush()

        if scribe:
            run_scribe_demo(emulator, client, note_html or page.with_name("clinical-note.html"))

    out.write(f"\n{REVIEW_NOTICE}\n{NEXT_STEPS}\n")
    out.flush()
    _progress(f"done in {time.monotonic() - started:.1f} s")


def _audio_seconds(path: str) -> float:
    import wave

    with wave.open(path, "rb") as recording:
        return recording.getnframes() / recording.getframerate()


def _check_html(option: str, path: Path | None) -> None:
    from transcribe_medical._exceptions import ValidationError

    if path is None:
        return
    if path.is_dir():
        raise ValidationError(
            f"{option} {path}: is a folder; give a file path, e.g. {path / 'review.html'}", field="review_html"
        )
    if not path.parent.is_dir():
        raise ValidationError(f"{option} {path}: the folder {path.parent} does not exist", field="review_html")


def _batch_job(emulator: LocalTranscribeMedical, client: TranscribeMedical, audio: str) -> Transcript:
    from transcribe_medical.models.batch import JobSettings
    from transcribe_medical.models.enums import ContentIdentificationType, Specialty, TranscriptionType

    return client.jobs.transcribe_file(
        audio,
        bucket=emulator.create_bucket("transcribe-medical-demo"),
        specialty=Specialty.PRIMARYCARE,
        type=TranscriptionType.CONVERSATION,
        settings=JobSettings(show_speaker_labels=True, max_speakers=2),
        content_identification=ContentIdentificationType.PHI,
        poll_interval=0.2,
        timeout=120,
    )


def _write_review_page(transcript: Transcript, path: Path, min_confidence: float) -> None:
    from transcribe_medical._exceptions import ValidationError
    from transcribe_medical.cli.output import printable
    from transcribe_medical.exports.files import write_transcript_file
    from transcribe_medical.exports.html import to_html

    page = printable(to_html(transcript, min_confidence=min_confidence, title="Demo: a two-person visit"))
    try:
        write_transcript_file(path, page)
    except OSError as error:
        raise ValidationError(
            f"--review-html {path}: cannot be written ({error.strerror or error})", field="review_html"
        ) from None
