"""``transcribe-medical stream AUDIO`` and ``transcribe-medical mic``: real-time transcription.

Both stream through the SDK's own sync client (``client.streaming.transcribe``): the CLI builds a
:class:`~transcribe_medical.StreamConfig` from the options, opens the audio, and prints the
assembled transcript. The final text goes to stdout (or ``-o FILE``, mode 0600); the review notice
and diagnostics go to stderr. ``--endpoint-url`` is the streaming (WebSocket) endpoint here.

With ``--partials`` the results are shown as they arrive (:mod:`~transcribe_medical.cli.live_display`):
in the text format each final utterance is printed on stdout at once, one line each, and the
utterance in progress is a live line on stderr when stderr is a terminal.

Ctrl-C ends the stream cleanly: the audio stops, the service's last results arrive, what was
final is printed or written (``-o``, mode 0600), and the command exits 130. A second Ctrl-C
interrupts at once, still keeping what was final.

``mic`` checks the input device before it connects: no device, an unknown ``--device`` or
settings PortAudio refuses are bad input (exit 2, one line); ``mic --list-devices`` lists them.

A transcript with gaps (audio lost in an outage that outran a live source's replay buffer) is
written all the same, then one line names the lost spans and the command exits 5, unless
``--allow-gaps`` is given (exit 0, the line still said).
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType, TracebackType
from typing import TYPE_CHECKING, Annotated, Any, Protocol

import typer

from transcribe_medical.cli.app import app
from transcribe_medical.cli.live_display import LiveDisplay
from transcribe_medical.cli.options import EndpointUrl, Profile, Region, SpecialtyOption, TypeOption
from transcribe_medical.models.enums import ContentIdentificationType, MediaEncoding, TranscriptionType

if TYPE_CHECKING:
    from transcribe_medical._client import TranscribeMedical
    from transcribe_medical.models.events import TranscriptEvent
    from transcribe_medical.models.stream import StreamConfig
    from transcribe_medical.models.transcript import Transcript
    from transcribe_medical.streaming.reconnect import ReconnectEvent

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
Partials = Annotated[
    bool,
    typer.Option(
        "--partials",
        help="Show results as they arrive: each final line on stdout (text format), the partial live on stderr.",
    ),
]
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
    audio: Annotated[
        str, typer.Argument(help="A .wav/.flac/.ogg (Opus) file, or - for stdin (WAV, or raw PCM with --sample-rate).")
    ],
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
    """Transcribe an audio file (or audio on stdin) in real time over the streaming API."""
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
    display = _display(partials, transcript_format, output, min_confidence)
    with _client(region, profile, endpoint_url) as client:
        run = client.streaming.transcribe(
            audio, config, realtime=not no_realtime, reconnect=not no_reconnect, on_reconnect=_note_reconnect
        )
        outcome = _follow(run, display, transcript_format, output, min_confidence)
    _finish(outcome, display, transcript_format, output, min_confidence, allow_gaps)


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
    device: Annotated[
        str | None,
        typer.Option(
            "--device", metavar="ID|NAME", help="Input device: its index or (part of) its name (--list-devices)."
        ),
    ] = None,
    list_devices: Annotated[
        bool, typer.Option("--list-devices", help="List the input devices and exit (nothing is recorded).")
    ] = False,
    no_reconnect: NoReconnect = False,
    allow_gaps: AllowGaps = False,
    region: Region = None,
    profile: Profile = None,
    endpoint_url: EndpointUrl = None,
) -> None:
    """Transcribe the microphone in real time; Ctrl-C ends the stream, prints the text and exits 130.

    Needs the [mic] extra (sounddevice) and PortAudio (apt install libportaudio2).
    """
    from transcribe_medical.streaming.audio.microphone import MicrophoneSource, check_input_device

    if list_devices:
        _list_devices()
        return
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
    chosen = int(device) if device is not None and device.strip().isdigit() else device
    channels = 2 if channel_identification else 1
    # Before connecting: no input device (or one that refuses these settings) is bad input, exit 2.
    check_input_device(chosen, sample_rate=sample_rate, channels=channels)
    source = MicrophoneSource(sample_rate=sample_rate, channels=channels, device=chosen, max_seconds=max_seconds)
    display = _display(partials, transcript_format, output, min_confidence)
    if sys.stderr.isatty():
        sys.stderr.write("listening... press Ctrl-C to stop\n")
    with _client(region, profile, endpoint_url) as client:
        run = client.streaming.transcribe(  # a microphone paces itself
            source, config, realtime=False, reconnect=not no_reconnect, on_reconnect=_note_reconnect
        )
        outcome = _follow(run, display, transcript_format, output, min_confidence, stop_source=source.stop)
    _finish(outcome, display, transcript_format, output, min_confidence, allow_gaps)


def _list_devices() -> None:
    """Print the input devices: index, name, channels, default rate; the default one starred."""
    from transcribe_medical.cli.output import printable
    from transcribe_medical.streaming.audio.microphone import input_devices

    devices = input_devices()
    if not devices:
        sys.stderr.write("no input device found (is a microphone connected, and PortAudio able to see it?)\n")
        return
    for found in devices:
        mark = "*" if found.is_default else " "
        name = printable(found.name, one_line=True)
        rate = f"{found.default_sample_rate:g} Hz"
        sys.stdout.write(f"{mark} {found.index:>3}  {name}  ({found.channels} ch, {rate})\n")
    sys.stdout.flush()
    sys.stderr.write("* the default input; pick another with --device INDEX or --device NAME\n")


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


class _Run(Protocol):
    """What the commands use of the stream ``client.streaming.transcribe`` returns."""

    @property
    def transcript(self) -> Transcript: ...

    def __iter__(self) -> Iterator[TranscriptEvent]: ...

    def __enter__(self) -> Any: ...

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None, /
    ) -> Any: ...


@dataclass
class _Outcome:
    """How a stream ended, as :func:`_follow` saw it."""

    transcript: Transcript
    interrupted: bool = False


def _follow(
    run: _Run,
    display: LiveDisplay,
    transcript_format: str,
    output: Path | None,
    min_confidence: float | None,
    stop_source: Callable[[], object] | None = None,
) -> _Outcome:
    """Iterate the stream to its end, showing its results live (see :mod:`..live_display`).

    The first Ctrl-C ends the stream cleanly: the audio stops (``stop_source``, and the stream's
    ``finish_audio()``), the service's last results still arrive, and the outcome says it was
    interrupted. A second Ctrl-C, or one while the stream cannot be finished, interrupts at once.

    When the stream fails, or is interrupted at once, the final results received before are still
    written (to ``output``) or printed (unless the display already printed them), and the error,
    re-raised, carries a note saying so: the CLI prints it on the error's one line and exits with
    the error's code (130 for an interruption).
    """
    from transcribe_medical._exceptions import TranscribeMedicalError

    try:
        with run, display, _first_interrupt_finishes(run, stop_source) as interrupt:
            for event in run:
                display.show(event)
            return _Outcome(run.transcript, interrupted=interrupt.requested)
    except TranscribeMedicalError as error:
        kept: Transcript | None = getattr(error, "transcript", None)
        _save_what_arrived(
            error, kept if kept is not None else run.transcript, transcript_format, output, min_confidence, display
        )
        raise
    except KeyboardInterrupt as interrupt:
        from transcribe_medical.cli.main import EXIT_INTERRUPTED
        from transcribe_medical.cli.output import say

        _save_what_arrived(interrupt, run.transcript, transcript_format, output, min_confidence, display)
        # Said here: typer turns a KeyboardInterrupt into a silent exit code 130.
        say("; ".join(["interrupted", *getattr(interrupt, "__notes__", ())]))
        raise typer.Exit(EXIT_INTERRUPTED) from None


def _save_what_arrived(
    error: BaseException,
    transcript: Transcript,
    transcript_format: str,
    output: Path | None,
    min_confidence: float | None,
    display: LiveDisplay,
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
        _present(transcript, transcript_format, output, min_confidence, already_printed=display.finals_printed > 0)
    except ValidationError as unwritable:
        error.add_note(f"the {results} received before it could not be saved: {unwritable}")
        return
    where = f"written to {output}" if output is not None else "printed on stdout"
    error.add_note(f"the {results} received before it {'were' if count != 1 else 'was'} {where}")


@dataclass
class _Interrupt:
    requested: bool = False


@contextmanager
def _first_interrupt_finishes(run: _Run, stop_source: Callable[[], object] | None) -> Iterator[_Interrupt]:
    """The first Ctrl-C ends the audio (the stream then ends cleanly); a second one interrupts."""
    state = _Interrupt()
    finish = getattr(run, "finish_audio", None)

    def handler(signum: int, frame: FrameType | None) -> None:
        signal.signal(signal.SIGINT, previous)  # a second Ctrl-C interrupts at once
        if stop_source is None and not callable(finish):
            raise KeyboardInterrupt
        state.requested = True
        if stop_source is not None:
            stop_source()
        if callable(finish):
            finish()  # only sets a flag and wakes the sender: safe in a signal handler

    previous = signal.getsignal(signal.SIGINT)
    try:
        signal.signal(signal.SIGINT, handler)
    except ValueError:  # not the main thread: leave Ctrl-C alone
        yield state
        return
    try:
        yield state
    finally:
        signal.signal(signal.SIGINT, previous)


def _finish(
    outcome: _Outcome,
    display: LiveDisplay,
    transcript_format: str,
    output: Path | None,
    min_confidence: float | None,
    allow_gaps: bool,
) -> None:
    """Present the transcript; then exit 130 if Ctrl-C ended the stream, or check its gaps."""
    transcript = outcome.transcript
    _present(transcript, transcript_format, output, min_confidence, already_printed=display.finals_printed > 0)
    if not outcome.interrupted:
        _check_gaps(transcript, allow_gaps)
        return
    from transcribe_medical.cli.main import EXIT_INTERRUPTED
    from transcribe_medical.cli.output import say

    count = len(transcript.segments)
    where = f"written to {output}" if output is not None else "printed on stdout"
    notes = [f"the stream was ended; {count} final result{'s' if count != 1 else ''} {where}"]
    if transcript.gaps:
        notes.append("audio at " + ", ".join(gap.describe() for gap in transcript.gaps) + " was lost in an outage")
    say("; ".join(["interrupted", *notes]))
    raise typer.Exit(EXIT_INTERRUPTED)


def _present(
    transcript: Transcript,
    transcript_format: str,
    output: Path | None,
    min_confidence: float | None,
    *,
    already_printed: bool = False,
) -> None:
    """Write the transcript (``output`` or stdout, unless the live display printed it already)."""
    from transcribe_medical.cli.commands._transcript_file import render_transcript, write_output
    from transcribe_medical.cli.output import print_review_notice, stderr

    if min_confidence is not None:
        flagged = len(transcript.review(min_confidence))
        if flagged:
            stderr.print(f"{flagged} word(s) below confidence {min_confidence:g} flagged for review")
    if already_printed and output is None:
        print_review_notice()
        return
    write_output(render_transcript(transcript, transcript_format, min_confidence), output)


def _display(partials: bool, transcript_format: str, output: Path | None, min_confidence: float | None) -> LiveDisplay:
    """The live display: with ``--partials``, text finals go to stdout as they arrive."""
    return LiveDisplay(
        partials=partials,
        finals_to_stdout=partials and output is None and transcript_format.lower() == "text",
        min_confidence=min_confidence,
    )
