"""``transcribe-medical jobs start|get|list|wait|delete|transcript``: batch jobs."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from transcribe_medical.cli.app import jobs_app
from transcribe_medical.cli.commands._batch import Spinner, make_client, show_jobs
from transcribe_medical.cli.options import (
    EndpointUrl,
    FormatOption,
    Profile,
    Region,
    SpecialtyOption,
    TableFormat,
    TypeOption,
)
from transcribe_medical.models.enums import TranscriptionType

if TYPE_CHECKING:
    from transcribe_medical._client import TranscribeMedical
    from transcribe_medical.models.batch import JobSettings, MedicalTranscriptionJob
    from transcribe_medical.models.transcript import Transcript

__all__ = [
    "check_transcript_format",
    "delete",
    "get",
    "job_settings",
    "list_jobs",
    "present_transcript",
    "start",
    "transcript",
    "wait_job",
]

JobName = Annotated[str, typer.Argument(help="The job name.")]
Timeout = Annotated[float, typer.Option("--timeout", help="Seconds to wait for the job.")]
PollInterval = Annotated[float, typer.Option("--poll-interval", help="First wait between polls (seconds).")]
TranscriptFormat = Annotated[
    str, typer.Option("--format", help="Transcript format: text, json, jsonl, srt, vtt or html (a review page).")
]
OutputFile = Annotated[
    Path | None, typer.Option("-o", "--output", help="Write the transcript to FILE (mode 0600), not stdout.")
]

SpeakerLabels = Annotated[bool, typer.Option("--speaker-labels", help="Label speakers (needs --max-speakers).")]
MaxSpeakers = Annotated[int | None, typer.Option("--max-speakers", help="Most speakers to label (2-30).")]
ChannelIdentification = Annotated[
    bool, typer.Option("--channel-identification", help="Transcribe each channel separately.")
]
Alternatives = Annotated[int | None, typer.Option("--alternatives", help="Alternative transcriptions (2-10).")]
VocabularyName = Annotated[str | None, typer.Option("--vocabulary-name", help="A medical vocabulary.")]
ContentIdentification = Annotated[
    str | None, typer.Option("--content-identification", help="PHI: label protected health information.")
]


def job_settings(
    speaker_labels: bool,
    max_speakers: int | None,
    channel_identification: bool,
    alternatives: int | None,
    vocabulary_name: str | None,
) -> JobSettings | None:
    """The :class:`JobSettings` for the command-line options, or None when none was given."""
    from transcribe_medical.models.batch import JobSettings

    if not (
        speaker_labels
        or max_speakers is not None
        or channel_identification
        or alternatives is not None
        or vocabulary_name
    ):
        return None
    return JobSettings(
        show_speaker_labels=speaker_labels,
        max_speakers=max_speakers,
        channel_identification=channel_identification,
        show_alternatives=alternatives is not None,
        max_alternatives=alternatives,
        vocabulary_name=vocabulary_name,
    )


def _pairs(values: list[str] | None, option: str, field: str) -> dict[str, str] | None:
    from transcribe_medical._exceptions import ValidationError

    if not values:
        return None
    pairs: dict[str, str] = {}
    for value in values:
        key, sep, pair_value = value.partition("=")
        if not sep:
            raise ValidationError(f"{option}: {value!r} is invalid: use KEY=VALUE", field=field)
        pairs[key] = pair_value
    return pairs


@jobs_app.command("start")
def start(
    name: JobName,
    media_uri: Annotated[str, typer.Argument(help="s3://bucket/key of the audio.")],
    output_bucket: Annotated[str, typer.Option("--output-bucket", help="Bucket for the transcript.")],
    output_key: Annotated[
        str | None, typer.Option("--output-key", help="Output key (.json) or folder (ending in /).")
    ] = None,
    specialty: SpecialtyOption = "PRIMARYCARE",
    type_: TypeOption = TranscriptionType.DICTATION,
    media_format: Annotated[str | None, typer.Option("--media-format", help="mp3, mp4, wav, flac, ...")] = None,
    sample_rate: Annotated[int | None, typer.Option("--sample-rate", help="16000-48000 Hz.")] = None,
    speaker_labels: SpeakerLabels = False,
    max_speakers: MaxSpeakers = None,
    channel_identification: ChannelIdentification = False,
    alternatives: Alternatives = None,
    vocabulary_name: VocabularyName = None,
    content_identification: ContentIdentification = None,
    kms_key_id: Annotated[
        str | None, typer.Option("--kms-key-id", help="KMS key (id, alias or ARN): SSE-KMS for the transcript.")
    ] = None,
    kms_encryption_context: Annotated[
        list[str] | None,
        typer.Option("--kms-encryption-context", help="KEY=VALUE for KMS (repeatable; not secret)."),
    ] = None,
    tag: Annotated[list[str] | None, typer.Option("--tag", help="KEY=VALUE (repeatable).")] = None,
    wait: Annotated[bool, typer.Option("--wait", help="Wait until the job is done.")] = False,
    timeout: Timeout = 1800.0,
    poll_interval: PollInterval = 5.0,
    region: Region = None,
    profile: Profile = None,
    endpoint_url: EndpointUrl = None,
    output_format: FormatOption = TableFormat.table,
) -> None:
    """Start a batch medical transcription job (PRIMARYCARE only; validated before sending)."""
    from transcribe_medical.models.batch import StartJobRequest

    request = StartJobRequest.model_validate(
        {
            "job_name": name,
            "media_uri": media_uri,
            "output_bucket": output_bucket,
            "output_key": output_key,
            "specialty": specialty,
            "type": type_,
            "media_format": media_format,
            "sample_rate": sample_rate,
            "settings": job_settings(
                speaker_labels, max_speakers, channel_identification, alternatives, vocabulary_name
            ),
            "content_identification": content_identification,
            "kms_key_id": kms_key_id,
            "kms_encryption_context": _pairs(
                kms_encryption_context, "--kms-encryption-context", "kms_encryption_context"
            ),
            "tags": _pairs(tag, "--tag", "tags"),
        }
    )
    with make_client(region, profile, endpoint_url) as client:
        job = client.jobs.start(request)
        if wait:
            job = _wait(client, name, timeout, poll_interval)
    show_jobs([job], output_format, single=True)


def _wait(client: TranscribeMedical, name: str, timeout: float, poll_interval: float) -> MedicalTranscriptionJob:
    from transcribe_medical.batch import JobFailedError
    from transcribe_medical.models.enums import JobStatus

    spinner = Spinner()
    with spinner.running(f"waiting for job {name}"):
        job = client.jobs.wait(
            name,
            timeout=timeout,
            poll_interval=poll_interval,
            progress=lambda j: spinner.update(f"job {j.name}: {str(j.status) if j.status else 'starting'}"),
        )
    if job.status is JobStatus.FAILED:
        raise JobFailedError(job)
    return job


@jobs_app.command("get")
def get(
    name: JobName,
    region: Region = None,
    profile: Profile = None,
    endpoint_url: EndpointUrl = None,
    output_format: FormatOption = TableFormat.table,
) -> None:
    """Describe a job."""
    with make_client(region, profile, endpoint_url) as client:
        job = client.jobs.get(name)
    show_jobs([job], output_format, single=True)


@jobs_app.command("list")
def list_jobs(
    status: Annotated[str | None, typer.Option("--status", help="QUEUED, IN_PROGRESS, COMPLETED or FAILED.")] = None,
    name_contains: Annotated[str | None, typer.Option("--name-contains", help="Part of the job name.")] = None,
    limit: Annotated[int | None, typer.Option("--limit", min=0, help="Show at most this many jobs.")] = None,
    region: Region = None,
    profile: Profile = None,
    endpoint_url: EndpointUrl = None,
    output_format: FormatOption = TableFormat.table,
) -> None:
    """List jobs (every page, or --limit)."""
    from itertools import islice

    with make_client(region, profile, endpoint_url) as client:
        summaries = client.jobs.list(status=status, name_contains=name_contains)
        jobs = list(islice(summaries, limit) if limit is not None else summaries)
    show_jobs(jobs, output_format)


@jobs_app.command("wait")
def wait_job(
    name: JobName,
    timeout: Timeout = 1800.0,
    poll_interval: PollInterval = 5.0,
    region: Region = None,
    profile: Profile = None,
    endpoint_url: EndpointUrl = None,
    output_format: FormatOption = TableFormat.table,
) -> None:
    """Wait until a job is done; a FAILED job exits 3 printing its FailureReason."""
    with make_client(region, profile, endpoint_url) as client:
        job = _wait(client, name, timeout, poll_interval)
    show_jobs([job], output_format, single=True)


@jobs_app.command("delete")
def delete(
    name: JobName,
    region: Region = None,
    profile: Profile = None,
    endpoint_url: EndpointUrl = None,
) -> None:
    """Delete a job's record (the transcript file in S3 stays)."""
    from transcribe_medical.cli.output import stderr

    with make_client(region, profile, endpoint_url) as client:
        client.jobs.delete(name)
    stderr.print(f"deleted job {name}", markup=False)


@jobs_app.command("transcript")
def transcript(
    name: JobName,
    transcript_format: TranscriptFormat = "text",
    output: OutputFile = None,
    region: Region = None,
    profile: Profile = None,
    endpoint_url: EndpointUrl = None,
) -> None:
    """Download a COMPLETED job's transcript and print it (or write it with -o, mode 0600)."""
    check_transcript_format(transcript_format)
    with make_client(region, profile, endpoint_url) as client:
        result = client.jobs.transcript(name)
    present_transcript(result, transcript_format, output)


def check_transcript_format(value: str) -> None:
    """Refuse an unknown ``--format`` before anything is sent."""
    from transcribe_medical._exceptions import ValidationError
    from transcribe_medical.exports import EXPORT_FORMATS

    if value.lower() not in EXPORT_FORMATS:
        raise ValidationError(f"--format: {value!r} is invalid: use one of {', '.join(EXPORT_FORMATS)}", field="format")


def present_transcript(result: Transcript, transcript_format: str, output: Path | None) -> None:
    """Print a transcript on stdout or write it to ``output`` (mode 0600), with the review notice."""
    from transcribe_medical.cli.commands._transcript_file import render_transcript, write_output

    write_output(render_transcript(result, transcript_format, None), output)
