"""``transcribe-medical stream AUDIO`` and ``transcribe-medical mic``: real-time transcription.

Both stream through the SDK's own sync client (``client.streaming.transcribe``): the CLI builds a
:class:`~transcribe_medical.StreamConfig` from the options, opens the audio, and prints the
assembled transcript. The final text goes to stdout (or ``-o FILE``, mode 0600); live partial
results (``--partials``), the review notice and diagnostics go to stderr. ``--endpoint-url`` is the
streaming (WebSocket) endpoint here.

A transcript with gaps (audio lost in an outage that outran a live source's replay buffer) is
written all the same, then one line names the lost spans and the command exits 5, unless
``--allow-gaps`` is given (exit 0, the line still said).
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated, Any

import typer

from transcribe_medical.cli.app import app
from transcribe_medical.cli.options import EndpointUrl, Profile, Region, SpecialtyOption, TypeOption
from transcribe_medical.models.enums import ContentIdentificationType, MediaEncoding, TranscriptionType

if TYPE_CHECKING:
    from transcribe_medical._client import TranscribeMedical
    from transcribe_medical.models.events import TranscriptEvent
    from transcribe_medical.models.stream import StreamConfig
    from transcribe_medical.models.transcript import Transcript
    from transcribe_medical.streaming.resilient import ReconnectEvent
    from transcribe_medical.streaming.resilient_sync import ResilientTranscription
    from transcribe_medical.streaming.sync_client import Transcription

#: The transcript formats of the streaming commands (DESIGN.md).
STREAM_FORMATS = ("text", "json", "jsonl", "srt", "vtt")

SampleRate = Annotated[
    int | None, typer.Option("--sample-rate", help="Sample rate in Hz, 16000-48000 (default: read from the file).")
]
MediaEncodingOption = Annotated[
    MediaEncoding | None,
    typer.Option("--media-encoding", case_sensitive=False, help="pcm, flac or ogg-opus (default: read from the file)."),
]
SpeakerLabels = Annotated[bool, typer.Option("--speaker-labels", help="Label who speaks.")]
ChannelIdentification = Annotated[
    bool, typer.Option("--channel-identification", help="Transcribe the two channels of stereo audio separately.")
]
ContentIdentification = Annotated[
    ContentIdentificationType | None,
    typer.Option("--content-identification", case_sensitive=False, help="PHI: label protected health information."),
]
VocabularyName = Annotated[str | None, typer.Option("--vocabulary-name", help="A medical custom vocabulary.")]
StreamFormat = Annotated[str, typer.Option("--format", help="Transcript format: text, json, jsonl, srt or vtt.")]
OutputFile = Annotated[
    Path | None, typer.Option("-o", "--output", help="Write the transcript to FILE (mode 0600), not stdout.")
]
Partials = Annotated[bool, typer.Option("--partials", help="Show live partial results on stderr (on a terminal).")]
NoRealtime = Annotated[
    bool, typer.Option("--no-realtime", help="Send the audio as fast as the service accepts, not at its own pace.")
]
NoReconnect = Annotated[
    bool,
    typer.Option("--no-reconnect", help="Fail on the first dropped connection instead of reconnecting and replaying."),
]
AllowGaps = Annotated[
    bool,
    typer.Option(
        "--allow-gaps",
        help="Exit 0 even when audio was lost in an outage and is missing from the transcript (still noted on stderr).",
    ),
]
MinConfidence = Annotated[
    float | None,
    typer.Option("--min-confidence", min=0.0, max=1.0, help="Mark words below this confidence (0-1) for review."),
]


@app.command("stream")
def stream(
    audio: Annotated[str, typer.Argument(help="A .wav/.flac/.ogg (Opus) file, or - for raw PCM on stdin.")],
    specialty: SpecialtyOption = "PRIMARYCARE",
    type_: TypeOption = TranscriptionType.DICTATION,
    sample_rate: SampleRate = None,
    media_encoding: MediaEncodingOption = None,
    speaker_labels: SpeakerLabels = False,
    channel_identification: ChannelIdentification = False,
    content_identification: ContentIdentification = None,
    vocabulary_name: VocabularyName = None,
    transcript_format: StreamFormat = "text",
    output: OutputFile = None,
    partials: Partials = False,
    no_realtime: NoRealtime = False,
    min_confidence: MinConfidence = None,
    no_reconnect: NoReconnect = False,
    allow_gaps: AllowGaps = False,
    region: Region = None,
    profile: Profile = None,
    endpoint_url: EndpointUrl = None,
) -> None:
    """Transcribe an audio file (or raw PCM on stdin) in real time over the streaming API."""
    _check_format(transcript_format)
    config = _config(
        specialty,
        type_,
        sample_rate,
        media_encoding,
        speaker_labels,
        channel_identification,
        content_identification,
        vocabulary_name,
    )
    with _client(region, profile, endpoint_url) as client:
        run = client.streaming.transcribe(
            audio, config, realtime=not no_realtime, reconnect=not no_reconnect, on_reconnect=_note_reconnect
        )
        transcript = _follow(run, partials, transcript_format, output, min_confidence)
    _present(transcript, transcript_format, output, min_confidence)
    _check_gaps(transcript, allow_gaps)


@app.command("mic")
def mic(
    specialty: SpecialtyOption = "PRIMARYCARE",
    type_: TypeOption = TranscriptionType.DICTATION,
    sample_rate: Annotated[int, typer.Option("--sample-rate", help="Capture rate in Hz, 16000-48000.")] = 16000,
    speaker_labels: SpeakerLabels = False,
    channel_identification: ChannelIdentification = False,
    content_identification: ContentIdentification = None,
    vocabulary_name: VocabularyName = None,
    transcript_format: StreamFormat = "text",
    output: OutputFile = None,
    partials: Partials = False,
    min_confidence: MinConfidence = None,
    max_seconds: Annotated[
        float | None, typer.Option("--max-seconds", min=0.1, help="Stop after this much audio (default: Ctrl-C).")
    ] = None,
    device: Annotated[str | None, typer.Option("--device", help="Input device index or name (default input).")] = None,
    no_reconnect: NoReconnect = False,
    allow_gaps: AllowGaps = False,
    region: Region = None,
    profile: Profile = None,
    endpoint_url: EndpointUrl = None,
) -> None:
    """Transcribe the default microphone in real time; Ctrl-C ends the stream and prints the text.

    Needs the [mic] extra (sounddevice) and PortAudio (apt install libportaudio2).
    """
    from transcribe_medical.streaming.audio import MicrophoneSource

    _check_format(transcript_format)
    config = _config(
        specialty,
        type_,
        sample_rate,
        MediaEncoding.PCM,
        speaker_labels,
        channel_identification,
        content_identification,
        vocabulary_name,
    )
    source = MicrophoneSource(
        sample_rate=sample_rate,
        channels=2 if channel_identification else 1,
        device=int(device) if device is not None and device.isdigit() else device,
        max_seconds=max_seconds,
    )
    if sys.stderr.isatty():
        sys.stderr.write("listening... press Ctrl-C to stop\n")
    with _client(region, profile, endpoint_url) as client, _first_interrupt_stops(source.stop):
        run = client.streaming.transcribe(  # a microphone paces itself
            source, config, realtime=False, reconnect=not no_reconnect, on_reconnect=_note_reconnect
        )
        transcript = _follow(run, partials, transcript_format, output, min_confidence)
    _present(transcript, transcript_format, output, min_confidence)
    _check_gaps(transcript, allow_gaps)


def _config(
    specialty: str,
    type_: TranscriptionType,
    sample_rate: int | None,
    media_encoding: MediaEncoding | None,
    speaker_labels: bool,
    channel_identification: bool,
    content_identification: ContentIdentificationType | None,
    vocabulary_name: str | None,
) -> StreamConfig:
    from transcribe_medical.models.stream import StreamConfig

    return StreamConfig(
        specialty=specialty,
        type=type_,
        sample_rate=sample_rate,
        media_encoding=media_encoding,
        show_speaker_labels=speaker_labels,
        channel_identification=channel_identification,
        content_identification=content_identification,
        vocabulary_name=vocabulary_name,
    )


def _client(region: str | None, profile: str | None, endpoint_url: str | None) -> TranscribeMedical:
    from transcribe_medical._client import TranscribeMedical

    # For the streaming commands, --endpoint-url is the WebSocket endpoint.
    return TranscribeMedical(region_name=region, profile_name=profile, streaming_endpoint_url=endpoint_url)


def _check_format(value: str) -> None:
    from transcribe_medical._exceptions import ValidationError

    if value.lower() not in STREAM_FORMATS:
        raise ValidationError(f"--format: {value!r} is invalid: use one of {', '.join(STREAM_FORMATS)}", field="format")


def _note_reconnect(event: ReconnectEvent) -> None:
    """One line on stderr per reconnect (diagnostics: no URL, no secret, no transcript text)."""
    from transcribe_medical.cli.output import say

    say(event.describe())  # it quotes the error, whose text the server chose


def _check_gaps(transcript: Transcript, allow_gaps: bool) -> None:
    """Say the spans of audio that were lost (written transcript is incomplete); exit 5 unless allowed."""
    if not transcript.gaps:
        return
    from transcribe_medical.cli.main import EXIT_CONNECTION
    from transcribe_medical.cli.output import say

    spans = ", ".join(gap.describe() for gap in transcript.gaps)
    lost = sum(gap.duration for gap in transcript.gaps)
    line = f"the transcript is incomplete: audio at {spans} ({lost:.1f} s) was lost in an outage and not transcribed"
    if allow_gaps:
        say(f"{line} (--allow-gaps)")
        return
    say(f"{line}; pass --allow-gaps to accept it")
    raise typer.Exit(EXIT_CONNECTION)


def _follow(
    run: Transcription | ResilientTranscription,
    partials: bool,
    transcript_format: str,
    output: Path | None,
    min_confidence: float | None,
) -> Transcript:
    """Iterate the stream to its end, showing partial results live when asked and on a terminal.

    When the stream fails, or is interrupted (Ctrl-C), the final results received before are still
    written (to ``output``) or printed, and the error, re-raised, carries a note saying so: the CLI
    prints it on the error's one line and exits with the error's code.
    """
    from transcribe_medical._exceptions import TranscribeMedicalError

    try:
        with run, _live_partials(partials) as show:
            for event in run:
                show(event)
            return run.transcript
    except TranscribeMedicalError as error:
        kept: Transcript | None = getattr(error, "transcript", None)
        _save_what_arrived(
            error, kept if kept is not None else run.transcript, transcript_format, output, min_confidence
        )
        raise
    except KeyboardInterrupt as interrupt:
        from transcribe_medical.cli.main import EXIT_INTERRUPTED
        from transcribe_medical.cli.output import say

        _save_what_arrived(interrupt, run.transcript, transcript_format, output, min_confidence)
        # Said here: typer turns a KeyboardInterrupt into a silent exit code 130.
        say("; ".join(["interrupted", *getattr(interrupt, "__notes__", ())]))
        raise typer.Exit(EXIT_INTERRUPTED) from None


def _save_what_arrived(
    error: BaseException,
    transcript: Transcript,
    transcript_format: str,
    output: Path | None,
    min_confidence: float | None,
) -> None:
    """Write or print the finals of a failed stream, and note on ``error`` what was done."""
    from transcribe_medical._exceptions import ValidationError

    if transcript.gaps:
        spans = ", ".join(gap.describe() for gap in transcript.gaps)
        error.add_note(f"audio at {spans} had already been lost before it")
    count = len(transcript.segments)
    if not count:
        return
    results = f"{count} final result{'s' if count != 1 else ''}"
    try:
        _present(transcript, transcript_format, output, min_confidence)
    except ValidationError as unwritable:
        error.add_note(f"the {results} received before it could not be saved: {unwritable}")
        return
    where = f"written to {output}" if output is not None else "printed on stdout"
    error.add_note(f"the {results} received before it {'were' if count != 1 else 'was'} {where}")


@contextmanager
def _live_partials(enabled: bool) -> Iterator[Any]:
    if not (enabled and sys.stderr.isatty()):
        yield lambda event: None
        return
    from rich.live import Live
    from rich.text import Text

    from transcribe_medical.cli.output import printable, stderr

    latest: dict[str, str] = {}

    with Live(Text(""), console=stderr, transient=True, refresh_per_second=8) as live:

        def show(event: TranscriptEvent) -> None:
            for result in event.results:
                key = result.channel_id or ""
                if result.is_partial:
                    latest[key] = printable(result.transcript, one_line=True)
                else:
                    latest.pop(key, None)
            line = " | ".join(text for text in latest.values() if text)
            live.update(Text(f"… {line}" if line else "", style="dim", overflow="ellipsis", no_wrap=True))

        yield show


@contextmanager
def _first_interrupt_stops(stop: Any) -> Iterator[None]:
    """The first Ctrl-C stops capture (the stream then ends cleanly); a second one interrupts."""

    def handler(signum: int, frame: FrameType | None) -> None:
        signal.signal(signal.SIGINT, previous)
        stop()

    previous = signal.getsignal(signal.SIGINT)
    try:
        signal.signal(signal.SIGINT, handler)
    except ValueError:  # not the main thread: leave Ctrl-C alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _present(transcript: Transcript, transcript_format: str, output: Path | None, min_confidence: float | None) -> None:
    from transcribe_medical.cli.commands._transcript_file import render_transcript, write_output
    from transcribe_medical.cli.output import stderr

    if min_confidence is not None:
        flagged = len(transcript.review(min_confidence))
        if flagged:
            stderr.print(f"{flagged} word(s) below confidence {min_confidence:g} flagged for review")
    write_output(render_transcript(transcript, transcript_format, min_confidence), output)
