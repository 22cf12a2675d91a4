"""``transcribe-medical scribe start|get|list|wait|delete|note|transcript|transcribe``: AWS HealthScribe jobs."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from transcribe_medical.cli.app import app
from transcribe_medical.cli.commands._batch import Spinner, make_client
from transcribe_medical.cli.options import EndpointUrl, FormatOption, Profile, Region, TableFormat

if TYPE_CHECKING:
    from transcribe_medical._client import TranscribeMedical
    from transcribe_medical.scribe.requests import ChannelDefinition, ScribeSettings
    from transcribe_medical.scribe.responses import MedicalScribeJob, MedicalScribeJobSummary

__all__ = ["SCRIBE_JOB_COLUMNS", "channel_roles", "scribe_app", "scribe_settings"]

scribe_app = typer.Typer(
    help="AWS HealthScribe: clinical notes (and transcripts) from patient-clinician conversations.",
    no_args_is_help=True,
)
app.add_typer(scribe_app, name="scribe")

SCRIBE_JOB_COLUMNS = ("name", "status", "creation_time", "completion_time", "failure_reason")

JobName = Annotated[str, typer.Argument(help="The HealthScribe job name.")]
RoleArn = Annotated[
    str, typer.Option("--role-arn", help="IAM role HealthScribe assumes (reads the media, writes the outputs).")
]
Template = Annotated[
    str | None,
    typer.Option(
        "--template",
        help="Note template: HISTORY_AND_PHYSICAL (AWS's default), GIRPP, BIRP, SIRP, DAP, BEHAVIORAL_SOAP, "
        "PHYSICAL_SOAP.",
    ),
]
ChannelRoles = Annotated[
    str | None,
    typer.Option(
        "--channel-roles",
        metavar="0=ROLE,1=ROLE",
        help="Two-channel audio: who speaks on each channel, e.g. 0=CLINICIAN,1=PATIENT.",
    ),
]
SpeakerLabels = Annotated[
    bool, typer.Option("--speaker-labels", help="One-channel audio: tell speakers apart (needs --max-speakers).")
]
MaxSpeakers = Annotated[int | None, typer.Option("--max-speakers", help="Most speakers to tell apart (2-30).")]
Pronouns = Annotated[str | None, typer.Option("--pronouns", help="The patient's: HE_HIM, SHE_HER or THEY_THEM.")]
VocabularyName = Annotated[str | None, typer.Option("--vocabulary-name", help="A custom vocabulary.")]
VocabularyFilter = Annotated[
    str | None, typer.Option("--vocabulary-filter", help="A vocabulary filter (needs --filter-method).")
]
FilterMethod = Annotated[str | None, typer.Option("--filter-method", help="mask, remove or tag.")]
KmsKey = Annotated[str | None, typer.Option("--kms-key", help="KMS key (id, alias or ARN) for the outputs.")]
KmsContext = Annotated[
    list[str] | None, typer.Option("--kms-encryption-context", help="KEY=VALUE for KMS (repeatable; not secret).")
]
Tag = Annotated[list[str] | None, typer.Option("--tag", help="KEY=VALUE (repeatable).")]
Timeout = Annotated[float, typer.Option("--timeout", help="Seconds to wait for the job.")]
PollInterval = Annotated[float, typer.Option("--poll-interval", help="First wait between polls (seconds).")]
NoteFormat = Annotated[str, typer.Option("--format", help="Note format: markdown, text, json, html or fhir.")]
OutputFile = Annotated[
    Path | None, typer.Option("-o", "--output", help="Write the note to FILE (mode 0600), not stdout.")
]
TranscriptFormat = Annotated[
    str,
    typer.Option(
        "--format",
        help="Transcript format: text, json (keeps each segment's id, which the note's evidence names), "
        "jsonl, srt, vtt or html (a review page).",
    ),
]
TranscriptOutput = Annotated[
    Path | None, typer.Option("-o", "--output", help="Write the transcript to FILE (mode 0600), not stdout.")
]
Subject = Annotated[str | None, typer.Option("--subject", help="FHIR: the patient reference, e.g. Patient/123.")]
Author = Annotated[
    list[str] | None, typer.Option("--author", help="FHIR: an author reference, e.g. Practitioner/456 (repeatable).")
]


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


def channel_roles(value: str | None) -> list[ChannelDefinition] | None:
    """``0=CLINICIAN,1=PATIENT`` as channel definitions (checked by the request model)."""
    from transcribe_medical._exceptions import ValidationError
    from transcribe_medical.scribe.requests import ChannelDefinition

    if value is None:
        return None
    definitions: list[ChannelDefinition] = []
    for part in value.split(","):
        channel, sep, role = part.strip().partition("=")
        if not sep or not channel.strip().isdigit():
            raise ValidationError(
                f"--channel-roles: {value!r} is invalid: use 0=CLINICIAN,1=PATIENT (channel=role, comma-separated)",
                field="channel_definitions",
            )
        definitions.append(ChannelDefinition(channel_id=int(channel), participant_role=role.strip()))
    if len(definitions) != 2:
        # Said here, in the option's words: the request model would show the parsed definitions.
        raise ValidationError(
            f"--channel-roles: {value!r} is invalid: give two channels, one CLINICIAN and one PATIENT, "
            "e.g. 0=CLINICIAN,1=PATIENT",
            field="channel_definitions",
        )
    return definitions


def scribe_settings(
    *,
    template: str | None,
    channels: list[ChannelDefinition] | None,
    speaker_labels: bool,
    max_speakers: int | None,
    vocabulary_name: str | None,
    vocabulary_filter: str | None,
    filter_method: str | None,
) -> ScribeSettings:
    """The settings for the options; with neither channels nor speaker options: two speaker labels."""
    from transcribe_medical.scribe.requests import ScribeSettings

    if channels is None and not speaker_labels and max_speakers is None:
        speaker_labels, max_speakers = True, 2
    return ScribeSettings(
        show_speaker_labels=speaker_labels,
        max_speaker_labels=max_speakers,
        channel_identification=channels is not None,
        vocabulary_name=vocabulary_name,
        vocabulary_filter_name=vocabulary_filter,
        vocabulary_filter_method=filter_method,
        note_template=template,
    )


def _row(model: Any) -> dict[str, Any]:
    row: dict[str, Any] = model.model_dump(mode="json", exclude_none=True)
    if "status" in row and not isinstance(row["status"], str):
        row["status"] = str(row["status"])
    return row


def _show(
    jobs: list[MedicalScribeJob] | list[MedicalScribeJobSummary], fmt: TableFormat, *, single: bool = False
) -> None:
    from transcribe_medical.cli.output import print_json, print_table

    rows = [_row(job) for job in jobs]
    if fmt is TableFormat.json:
        print_json(rows[0] if single and rows else rows)
        return
    columns = list(SCRIBE_JOB_COLUMNS)
    if single:
        columns += ["media_uri", "clinical_document_uri", "transcript_uri"]
    print_table(rows, columns, title="HealthScribe jobs")


def _wait(client: TranscribeMedical, name: str, timeout: float, poll_interval: float) -> MedicalScribeJob:
    from transcribe_medical.models.enums import JobStatus
    from transcribe_medical.scribe._errors import ScribeJobFailedError

    spinner = Spinner()
    with spinner.running(f"waiting for HealthScribe job {name}"):
        job = client.scribe.jobs.wait(
            name,
            timeout=timeout,
            poll_interval=poll_interval,
            progress=lambda j: spinner.update(f"HealthScribe job {j.name}: {j.status_text}"),
        )
    if job.status == JobStatus.FAILED:
        raise ScribeJobFailedError(job)
    return job


@scribe_app.command("start")
def start(
    media_uri: Annotated[str, typer.Argument(metavar="MEDIA_URI", help="s3://bucket/key of the visit's audio.")],
    role_arn: RoleArn,
    output_bucket: Annotated[str, typer.Option("--output-bucket", help="Bucket for the transcript and the note.")],
    job_name: Annotated[
        str | None, typer.Option("--name", help="Job name (default: the media file's name plus a random suffix).")
    ] = None,
    note_template: Template = None,
    channel_definitions: ChannelRoles = None,
    speaker_labels: SpeakerLabels = False,
    max_speaker_labels: MaxSpeakers = None,
    patient_pronouns: Pronouns = None,
    vocabulary_name: VocabularyName = None,
    vocabulary_filter_name: VocabularyFilter = None,
    vocabulary_filter_method: FilterMethod = None,
    kms_key_id: KmsKey = None,
    kms_encryption_context: KmsContext = None,
    tags: Tag = None,
    wait: Annotated[bool, typer.Option("--wait", help="Wait until the job is done.")] = False,
    timeout: Timeout = 1800.0,
    poll_interval: PollInterval = 5.0,
    region: Region = None,
    profile: Profile = None,
    endpoint_url: EndpointUrl = None,
    output_format: FormatOption = TableFormat.table,
) -> None:
    """Start a HealthScribe job (every rule is checked before anything is sent).

    Without --channel-roles or --speaker-labels the job tells two speakers apart.
    """
    from transcribe_medical.batch.jobs import default_job_name
    from transcribe_medical.scribe.requests import StartScribeJobRequest

    channels = channel_roles(channel_definitions)
    request = StartScribeJobRequest(
        job_name=job_name or default_job_name(media_uri.rsplit("/", 1)[-1] or "visit"),
        media_uri=media_uri,
        output_bucket=output_bucket,
        role_arn=role_arn,
        settings=scribe_settings(
            template=note_template,
            channels=channels,
            speaker_labels=speaker_labels,
            max_speakers=max_speaker_labels,
            vocabulary_name=vocabulary_name,
            vocabulary_filter=vocabulary_filter_name,
            filter_method=vocabulary_filter_method,
        ),
        channel_definitions=channels,
        patient_pronouns=patient_pronouns,
        kms_key_id=kms_key_id,
        kms_encryption_context=_pairs(kms_encryption_context, "--kms-encryption-context", "kms_encryption_context"),
        tags=_pairs(tags, "--tag", "tags"),
    )
    with make_client(region, profile, endpoint_url) as client:
        job = client.scribe.jobs.start(request)
        if wait:
            job = _wait(client, request.job_name, timeout, poll_interval)
    _show([job], output_format, single=True)


@scribe_app.command("get")
def get(
    name: JobName,
    region: Region = None,
    profile: Profile = None,
    endpoint_url: EndpointUrl = None,
    output_format: FormatOption = TableFormat.table,
) -> None:
    """Describe a HealthScribe job."""
    with make_client(region, profile, endpoint_url) as client:
        job = client.scribe.jobs.get(name)
    _show([job], output_format, single=True)


@scribe_app.command("list")
def list_jobs(
    status: Annotated[str | None, typer.Option("--status", help="QUEUED, IN_PROGRESS, COMPLETED or FAILED.")] = None,
    name_contains: Annotated[str | None, typer.Option("--name-contains", help="Part of the job name.")] = None,
    limit: Annotated[int | None, typer.Option("--limit", help="Show at most this many jobs.")] = None,
    region: Region = None,
    profile: Profile = None,
    endpoint_url: EndpointUrl = None,
    output_format: FormatOption = TableFormat.table,
) -> None:
    """List HealthScribe jobs (every page, or --limit)."""
    from itertools import islice

    with make_client(region, profile, endpoint_url) as client:
        summaries = client.scribe.jobs.list(status=status, name_contains=name_contains)
        jobs = list(islice(summaries, limit) if limit is not None else summaries)
    _show(jobs, output_format)


@scribe_app.command("wait")
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
    _show([job], output_format, single=True)


@scribe_app.command("delete")
def delete(name: JobName, region: Region = None, profile: Profile = None, endpoint_url: EndpointUrl = None) -> None:
    """Delete a job's record (its output files stay in S3)."""
    from transcribe_medical.cli.output import stderr

    with make_client(region, profile, endpoint_url) as client:
        client.scribe.jobs.delete(name)
    stderr.print(f"deleted HealthScribe job {name}", markup=False)


@scribe_app.command("note")
def note(
    name: JobName,
    note_format: NoteFormat = "markdown",
    output: OutputFile = None,
    subject: Subject = None,
    author: Author = None,
    region: Region = None,
    profile: Profile = None,
    endpoint_url: EndpointUrl = None,
) -> None:
    """Print a COMPLETED job's clinical note (or write it with -o, mode 0600).

    html shows the note beside the transcript, each sentence linked to its evidence; fhir is an R4
    DocumentReference (pass --subject and --author references).
    """
    from transcribe_medical.exports.note_formats import check_note_format

    fmt = check_note_format(note_format)
    with make_client(region, profile, endpoint_url) as client:
        job = client.scribe.jobs.get(name)
        clinical_note = client.scribe.jobs.note(job)
        transcript = client.scribe.jobs.transcript(job) if fmt == "html" else None
    _present(clinical_note, fmt, output, transcript=transcript, subject=subject, authors=author or [], job=job)


@scribe_app.command("transcript")
def transcript(
    name: JobName,
    transcript_format: TranscriptFormat = "text",
    output: TranscriptOutput = None,
    region: Region = None,
    profile: Profile = None,
    endpoint_url: EndpointUrl = None,
) -> None:
    """Print a COMPLETED job's transcript (or write it with -o, mode 0600).

    Speakers are the participants' roles (CLINICIAN_0, PATIENT_0); json keeps every segment's id.
    """
    from transcribe_medical.cli.commands._transcript_file import render_transcript, write_output
    from transcribe_medical.cli.commands.jobs import check_transcript_format

    check_transcript_format(transcript_format)
    with make_client(region, profile, endpoint_url) as client:
        result = client.scribe.jobs.transcript(name)
    write_output(render_transcript(result, transcript_format, None), output)


def _present(
    clinical_note: Any,
    fmt: str,
    output: Path | None,
    *,
    transcript: Any,
    subject: str | None,
    authors: list[str],
    job: MedicalScribeJob,
) -> None:
    from transcribe_medical.cli.commands._transcript_file import write_output
    from transcribe_medical.exports.note_formats import export_note

    text = export_note(
        clinical_note,
        fmt,
        transcript=transcript,
        subject=subject,
        authors=authors,
        date=job.completion_time,
    )
    write_output(text, output)


@scribe_app.command("transcribe")
def transcribe(
    path: Annotated[Path, typer.Argument(metavar="FILE", help="The visit's recording (wav, flac, mp3, ...).")],
    bucket: Annotated[str, typer.Option("--bucket", help="Bucket for the upload and the outputs.")],
    role_arn: RoleArn,
    note_template: Template = None,
    channel_definitions: ChannelRoles = None,
    speaker_labels: SpeakerLabels = False,
    max_speaker_labels: MaxSpeakers = None,
    patient_pronouns: Pronouns = None,
    vocabulary_name: VocabularyName = None,
    vocabulary_filter_name: VocabularyFilter = None,
    vocabulary_filter_method: FilterMethod = None,
    job_name: Annotated[str | None, typer.Option("--name", help="Job name (default: from the file name).")] = None,
    note_format: NoteFormat = "markdown",
    output: OutputFile = None,
    subject: Subject = None,
    author: Author = None,
    timeout: Timeout = 1800.0,
    poll_interval: PollInterval = 5.0,
    region: Region = None,
    profile: Profile = None,
    endpoint_url: EndpointUrl = None,
) -> None:
    """One shot: upload FILE, run a HealthScribe job (with progress), print its note.

    Without --channel-roles or --speaker-labels the job tells two speakers apart.
    """
    from transcribe_medical.exports.note_formats import check_note_format
    from transcribe_medical.models.enums import JobStatus
    from transcribe_medical.scribe._errors import ScribeJobFailedError

    fmt = check_note_format(note_format)
    channels = channel_roles(channel_definitions)
    settings = scribe_settings(
        template=note_template,
        channels=channels,
        speaker_labels=speaker_labels,
        max_speakers=max_speaker_labels,
        vocabulary_name=vocabulary_name,
        vocabulary_filter=vocabulary_filter_name,
        filter_method=vocabulary_filter_method,
    )
    # transcribe_file checks the file and the whole request before it uploads anything.
    spinner = Spinner()
    with make_client(region, profile, endpoint_url) as client, spinner.running(f"HealthScribe: {path.name}"):
        result = client.scribe.jobs.transcribe_file(
            path,
            bucket=bucket,
            role_arn=role_arn,
            settings=settings,
            channel_definitions=channels,
            job_name=job_name,
            patient_pronouns=patient_pronouns,
            timeout=timeout,
            poll_interval=poll_interval,
            progress=lambda j: spinner.update(f"HealthScribe job {j.name}: {j.status_text}"),
        )
    if result.job.status == JobStatus.FAILED:
        raise ScribeJobFailedError(result.job)
    _present(
        result.note,
        fmt,
        output,
        transcript=result.transcript,
        subject=subject,
        authors=author or [],
        job=result.job,
    )
