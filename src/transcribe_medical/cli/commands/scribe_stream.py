"""``transcribe-medical scribe stream`` and ``scribe mic``: a HealthScribe streaming session, then its note.

Both stream over HTTP/2 through the SDK (``client.scribe.streaming.transcribe``): final segments
are shown live on stderr (``[CLINICIAN_0] ...``), then the session's clinical note is waited for
and written (stdout, or ``-o FILE`` mode 0600) in the ``--format`` of ``scribe note``. ``scribe
mic`` records the microphone through the same source, device check and ``--device`` /
``--list-devices`` as ``mic``; the first Ctrl-C stops the recording, the session is ended with
``END_OF_SESSION``, its note fetched and written, and the command exits 130 as ``mic`` does; a
second Ctrl-C interrupts at once.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated

import typer

from transcribe_medical.cli.commands.scribe import (
    Author,
    ChannelRoles,
    FilterMethod,
    KmsKey,
    NoteFormat,
    OutputFile,
    PollInterval,
    Pronouns,
    RoleArn,
    Subject,
    Template,
    VocabularyFilter,
    VocabularyName,
    channel_roles,
    scribe_app,
)
from transcribe_medical.cli.options import EndpointUrl, Profile, Region

if TYPE_CHECKING:
    from transcribe_medical._client import TranscribeMedical
    from transcribe_medical.scribe.streaming.config import ScribeStreamConfig
    from transcribe_medical.scribe.streaming.session_sync import ScribeTranscription

__all__ = ["mic", "stream"]

StreamingEndpointUrl = Annotated[
    str | None,
    typer.Option(
        "--streaming-endpoint-url",
        help="HealthScribe streaming endpoint (https://, or http:// to a loopback emulator; "
        "default AWS_ENDPOINT_URL_TRANSCRIBE_STREAMING, else AWS).",
    ),
]


@scribe_app.command("stream")
def stream(
    audio: Annotated[str, typer.Argument(metavar="AUDIO", help="A wav/flac/ogg-opus file, or - for raw PCM on stdin.")],
    role_arn: RoleArn,
    output_bucket: Annotated[str, typer.Option("--output-bucket", help="Bucket for the transcript and the note.")],
    note_template: Template = None,
    channel_definitions: ChannelRoles = None,
    patient_pronouns: Pronouns = None,
    vocabulary_name: VocabularyName = None,
    vocabulary_filter_name: VocabularyFilter = None,
    vocabulary_filter_method: FilterMethod = None,
    kms_key_id: KmsKey = None,
    sample_rate: Annotated[
        int | None, typer.Option("--sample-rate", help="Hz of raw audio (files say their own).")
    ] = None,
    session_id: Annotated[
        str | None, typer.Option("--session-id", help="A UUID for the session (default: a new one).")
    ] = None,
    no_realtime: Annotated[
        bool, typer.Option("--no-realtime", help="Send the audio as fast as the service accepts.")
    ] = False,
    no_note: Annotated[
        bool, typer.Option("--no-note", help="Stop after the stream; do not wait for the note.")
    ] = False,
    note_format: NoteFormat = "markdown",
    output: OutputFile = None,
    subject: Subject = None,
    author: Author = None,
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds to wait for the note.")] = 1800.0,
    poll_interval: PollInterval = 5.0,
    region: Region = None,
    profile: Profile = None,
    endpoint_url: EndpointUrl = None,
    streaming_endpoint_url: StreamingEndpointUrl = None,
) -> None:
    """Stream AUDIO to HealthScribe over HTTP/2: live segments on stderr, then the clinical note.

    --endpoint-url is where the note is read (S3, and the batch API); --streaming-endpoint-url
    is where the session streams.
    """
    config = _config(
        role_arn,
        output_bucket,
        note_template,
        channel_definitions,
        patient_pronouns,
        vocabulary_name,
        vocabulary_filter_name,
        vocabulary_filter_method,
        kms_key_id,
        sample_rate,
        session_id,
    )
    note_format = _check_note_format(note_format)
    source = str(Path(audio)) if audio != "-" else "-"
    with _client(region, profile, endpoint_url, streaming_endpoint_url) as client:
        run = client.scribe.streaming.transcribe(source, config, realtime=not no_realtime, on_resume=_said_resume)
        _show_segments(run)
        if no_note:
            return
        _write_note(client, run, note_format, output, subject, author, timeout, poll_interval)


@scribe_app.command("mic")
def mic(
    role_arn: Annotated[
        str | None,
        typer.Option("--role-arn", help="IAM role HealthScribe assumes (writes the outputs). Required to record."),
    ] = None,
    output_bucket: Annotated[
        str | None, typer.Option("--output-bucket", help="Bucket for the transcript and the note. Required to record.")
    ] = None,
    note_template: Template = None,
    channel_definitions: ChannelRoles = None,
    patient_pronouns: Pronouns = None,
    vocabulary_name: VocabularyName = None,
    vocabulary_filter_name: VocabularyFilter = None,
    vocabulary_filter_method: FilterMethod = None,
    kms_key_id: KmsKey = None,
    sample_rate: Annotated[int, typer.Option("--sample-rate", help="Capture rate in Hz, 16000-48000.")] = 16000,
    device: Annotated[
        str | None,
        typer.Option(
            "--device", metavar="ID|NAME", help="Input device: its index or (part of) its name (--list-devices)."
        ),
    ] = None,
    list_devices: Annotated[
        bool, typer.Option("--list-devices", help="List the input devices and exit (nothing is recorded).")
    ] = False,
    max_seconds: Annotated[
        float | None, typer.Option("--max-seconds", min=0.1, help="Stop after this much audio (default: Ctrl-C).")
    ] = None,
    session_id: Annotated[
        str | None, typer.Option("--session-id", help="A UUID for the session (default: a new one).")
    ] = None,
    no_note: Annotated[
        bool, typer.Option("--no-note", help="Stop after the session; do not wait for the note.")
    ] = False,
    note_format: NoteFormat = "markdown",
    output: OutputFile = None,
    subject: Subject = None,
    author: Author = None,
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds to wait for the note.")] = 1800.0,
    poll_interval: PollInterval = 5.0,
    region: Region = None,
    profile: Profile = None,
    endpoint_url: EndpointUrl = None,
    streaming_endpoint_url: StreamingEndpointUrl = None,
) -> None:
    """Record the microphone into a HealthScribe session; Ctrl-C ends the visit and prints its note.

    Live segments go to stderr. With --channel-roles the device records two channels, one per
    participant. Needs the [mic] extra (sounddevice) and PortAudio (apt install libportaudio2).
    """
    from transcribe_medical._exceptions import ValidationError
    from transcribe_medical.cli.commands.stream import _list_devices
    from transcribe_medical.streaming.audio.microphone import MicrophoneSource, check_input_device

    if list_devices:
        _list_devices()
        return
    for flag, value in (("--role-arn", role_arn), ("--output-bucket", output_bucket)):
        if not value:
            raise ValidationError(f"{flag}: is missing: a HealthScribe session needs it", field=flag[2:])
    assert role_arn is not None and output_bucket is not None
    config = _config(
        role_arn,
        output_bucket,
        note_template,
        channel_definitions,
        patient_pronouns,
        vocabulary_name,
        vocabulary_filter_name,
        vocabulary_filter_method,
        kms_key_id,
        sample_rate,
        session_id,
    )
    note_format = _check_note_format(note_format)
    chosen = int(device) if device is not None and device.strip().isdigit() else device
    # Before connecting: no input device (or one that refuses these settings) is bad input, exit 2.
    check_input_device(chosen, sample_rate=sample_rate, channels=config.channels)
    source = MicrophoneSource(sample_rate=sample_rate, channels=config.channels, device=chosen, max_seconds=max_seconds)
    if sys.stderr.isatty():
        sys.stderr.write("recording the visit... press Ctrl-C to end it and get the note\n")
    with _client(region, profile, endpoint_url, streaming_endpoint_url) as client:
        with _first_interrupt_stops(source.stop) as interrupt:
            # A microphone paces itself.
            run = client.scribe.streaming.transcribe(source, config, realtime=False, on_resume=_said_resume)
            _show_segments(run)
        if not no_note:
            _write_note(client, run, note_format, output, subject, author, timeout, poll_interval)
    if interrupt.requested:
        from transcribe_medical.cli.main import EXIT_INTERRUPTED
        from transcribe_medical.cli.output import say

        ended = "its note written" if not no_note else "no note asked for (--no-note)"
        say(f"interrupted; HealthScribe session {run.session_id} was ended, {ended}")
        raise typer.Exit(EXIT_INTERRUPTED)


def _config(
    role_arn: str,
    output_bucket: str,
    template: str | None,
    channel_roles_option: str | None,
    pronouns: str | None,
    vocabulary_name: str | None,
    vocabulary_filter: str | None,
    filter_method: str | None,
    kms_key: str | None,
    sample_rate: int | None,
    session_id: str | None,
) -> ScribeStreamConfig:
    from transcribe_medical.scribe.streaming.config import ScribeStreamConfig

    return ScribeStreamConfig(
        role_arn=role_arn,
        output_bucket=output_bucket,
        note_template=template,
        sample_rate=sample_rate,
        session_id=session_id,
        channel_definitions=channel_roles(channel_roles_option),
        vocabulary_name=vocabulary_name,
        vocabulary_filter_name=vocabulary_filter,
        vocabulary_filter_method=filter_method,
        kms_key_id=kms_key,
        patient_pronouns=pronouns,
    )


def _check_note_format(value: str) -> str:
    from transcribe_medical.exports.note_formats import check_note_format

    return str(check_note_format(value))


def _client(
    region: str | None, profile: str | None, endpoint_url: str | None, streaming_endpoint_url: str | None
) -> TranscribeMedical:
    from transcribe_medical._client import TranscribeMedical

    return TranscribeMedical(
        region_name=region,
        profile_name=profile,
        endpoint_url=endpoint_url,
        streaming_endpoint_url=streaming_endpoint_url,
    )


def _said_resume(count: int) -> None:
    from transcribe_medical.cli.output import say

    say(f"the connection dropped; session resumed ({count})")


def _show_segments(run: ScribeTranscription) -> None:
    """Say the session id, then each final segment as it arrives (stderr; control characters stripped)."""
    from transcribe_medical.cli.output import printable, say

    say(f"HealthScribe session {run.session_id}")
    for event in run:
        if not event.is_partial:
            segment = event.segment
            who = segment.speaker or segment.channel or "?"
            typer.echo(printable(f"[{who}] {segment.text}", one_line=True), err=True)


def _write_note(
    client: TranscribeMedical,
    run: ScribeTranscription,
    note_format: str,
    output: Path | None,
    subject: str | None,
    author: list[str] | None,
    timeout: float,
    poll_interval: float,
) -> None:
    """Wait for the session's clinical note and write it (stdout or ``output``, mode 0600)."""
    from transcribe_medical.cli.commands._transcript_file import write_output
    from transcribe_medical.cli.output import say
    from transcribe_medical.exports.note_formats import export_note

    say("session ended; waiting for the clinical note")
    clinical_note = client.scribe.streaming.note(run.session_id, timeout=timeout, poll_interval=poll_interval)
    transcript = run.transcript if note_format == "html" else None
    text = export_note(clinical_note, note_format, transcript=transcript, subject=subject, authors=author or [])
    write_output(text, output)


@dataclass
class _Interrupt:
    requested: bool = False


@contextmanager
def _first_interrupt_stops(stop: Callable[[], object]) -> Iterator[_Interrupt]:
    """The first Ctrl-C stops the recording (the session then ends cleanly); a second one interrupts."""
    state = _Interrupt()

    def handler(signum: int, frame: FrameType | None) -> None:
        signal.signal(signal.SIGINT, previous)  # a second Ctrl-C interrupts at once
        state.requested = True
        stop()  # sets a flag: safe in a signal handler

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
