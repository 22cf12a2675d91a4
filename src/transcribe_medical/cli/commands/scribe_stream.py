"""``transcribe-medical scribe stream``: a HealthScribe streaming session, then its clinical note."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

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

__all__ = ["stream"]

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
    template: Template = None,
    channel_roles_option: ChannelRoles = None,
    pronouns: Pronouns = None,
    vocabulary_name: VocabularyName = None,
    vocabulary_filter: VocabularyFilter = None,
    filter_method: FilterMethod = None,
    kms_key: KmsKey = None,
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
    from transcribe_medical._client import TranscribeMedical
    from transcribe_medical.cli.commands._transcript_file import write_output
    from transcribe_medical.cli.output import printable, say
    from transcribe_medical.exports.note_formats import check_note_format, export_note
    from transcribe_medical.scribe.streaming.config import ScribeStreamConfig

    fmt = check_note_format(note_format)
    config = ScribeStreamConfig(
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
    source = str(Path(audio)) if audio != "-" else "-"
    with TranscribeMedical(
        region_name=region,
        profile_name=profile,
        endpoint_url=endpoint_url,
        streaming_endpoint_url=streaming_endpoint_url,
    ) as client:
        run = client.scribe.streaming.transcribe(
            source,
            config,
            realtime=not no_realtime,
            on_resume=lambda count: say(f"the connection dropped; session resumed ({count})"),
        )
        say(f"HealthScribe session {run.session_id}")
        for event in run:
            if not event.is_partial:
                segment = event.segment
                who = segment.speaker or segment.channel or "?"
                typer.echo(printable(f"[{who}] {segment.text}", one_line=True), err=True)
        if no_note:
            return
        say("session ended; waiting for the clinical note")
        clinical_note = client.scribe.streaming.note(run.session_id, timeout=timeout, poll_interval=poll_interval)
    text = export_note(
        clinical_note, fmt, transcript=run.transcript if fmt == "html" else None, subject=subject, authors=author or []
    )
    write_output(text, output)
