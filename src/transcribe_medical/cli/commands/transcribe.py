"""``transcribe-medical transcribe FILE --bucket B``: one-shot batch transcription.

Upload the file, start a job, wait (a spinner on stderr when on a terminal), fetch the transcript
and print it. A FAILED job exits 3 printing its FailureReason.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from transcribe_medical.cli.app import app
from transcribe_medical.cli.commands._batch import Spinner, make_client
from transcribe_medical.cli.commands.jobs import (
    Alternatives,
    ChannelIdentification,
    ContentIdentification,
    MaxSpeakers,
    OutputFile,
    PollInterval,
    SpeakerLabels,
    Timeout,
    TranscriptFormat,
    VocabularyName,
    check_transcript_format,
    job_settings,
    present_transcript,
)
from transcribe_medical.cli.options import EndpointUrl, Profile, Region, SpecialtyOption, TypeOption
from transcribe_medical.models.enums import TranscriptionType

__all__ = ["transcribe"]


@app.command("transcribe")
def transcribe(
    audio: Annotated[Path, typer.Argument(help="The audio file (mp3, mp4, wav, flac, ogg, amr, webm, m4a).")],
    bucket: Annotated[str, typer.Option("--bucket", help="S3 bucket for the upload and the transcript.")],
    specialty: SpecialtyOption = "PRIMARYCARE",
    type_: TypeOption = TranscriptionType.DICTATION,
    transcript_format: TranscriptFormat = "text",
    output: OutputFile = None,
    key: Annotated[str | None, typer.Option("--key", help="Object key of the upload.")] = None,
    job_name: Annotated[str | None, typer.Option("--job-name", help="Job name (default: from the file).")] = None,
    output_bucket: Annotated[
        str | None, typer.Option("--output-bucket", help="Bucket for the transcript (default --bucket).")
    ] = None,
    output_key: Annotated[str | None, typer.Option("--output-key", help="Output key or folder.")] = None,
    speaker_labels: SpeakerLabels = False,
    max_speakers: MaxSpeakers = None,
    channel_identification: ChannelIdentification = False,
    alternatives: Alternatives = None,
    vocabulary_name: VocabularyName = None,
    content_identification: ContentIdentification = None,
    timeout: Timeout = 1800.0,
    poll_interval: PollInterval = 5.0,
    region: Region = None,
    profile: Profile = None,
    endpoint_url: EndpointUrl = None,
) -> None:
    """Transcribe a local file with a batch job: upload, start, wait, fetch, print."""
    check_transcript_format(transcript_format)
    settings = job_settings(speaker_labels, max_speakers, channel_identification, alternatives, vocabulary_name)
    spinner = Spinner()
    with make_client(region, profile, endpoint_url) as client, spinner.running(f"transcribing {audio.name}"):
        result = client.jobs.transcribe_file(
            audio,
            bucket=bucket,
            specialty=specialty,
            type=type_,
            key=key,
            settings=settings,
            timeout=timeout,
            job_name=job_name,
            output_bucket=output_bucket,
            output_key=output_key,
            content_identification=content_identification,
            poll_interval=poll_interval,
            progress=lambda j: spinner.update(f"job {j.name}: {str(j.status) if j.status else 'starting'}"),
        )
    present_transcript(result, transcript_format, output)
