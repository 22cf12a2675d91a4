"""``client.scribe.jobs``: HealthScribe jobs (sync :class:`ScribeJobs`, asyncio :class:`AsyncScribeJobs`).

Every request is validated by the models before it is sent, and every AWS call goes through the
client's ``call``/``acall`` (the one retry policy, the one error translation). StartMedicalScribeJob
is not idempotent: before a retry of Start the facade asks Get whether the first attempt created
the job (with the same media) and returns it if so, as ``client.jobs`` does.

A COMPLETED job names its two outputs in ``MedicalScribeOutput``: ``ClinicalDocumentUri``
(``summary.json``, read by :meth:`ScribeJobs.note`) and ``TranscriptFileUri`` (``transcript.json``,
read by :meth:`ScribeJobs.transcript`). Both are fetched with ``s3.get_object``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from transcribe_medical import _limits
from transcribe_medical._exceptions import NotFoundError, ServiceError, TimeoutError, ValidationError
from transcribe_medical._retry import call_with_retries, call_with_retries_async
from transcribe_medical.batch._errors import as_not_found, valid_name, valid_page_size
from transcribe_medical.batch._pagination import apaginate, paginate
from transcribe_medical.batch._polling import (
    DEFAULT_MAX_POLL_INTERVAL,
    DEFAULT_POLL_INTERVAL,
    DEFAULT_TIMEOUT,
    PollSchedule,
)
from transcribe_medical.batch.jobs import default_job_name
from transcribe_medical.batch.s3 import (
    S3Location,
    download_bytes,
    download_bytes_async,
    parse_s3_uri,
    upload_file,
    upload_file_async,
)
from transcribe_medical.models.enums import JobStatus
from transcribe_medical.scribe._errors import ScribeJobFailedError, ScribeJobNotCompletedError
from transcribe_medical.scribe.enums import NoteTemplate, PatientPronouns
from transcribe_medical.scribe.note import ClinicalNote, parse_clinical_document
from transcribe_medical.scribe.requests import ChannelDefinition, ScribeSettings, StartScribeJobRequest
from transcribe_medical.scribe.responses import MedicalScribeJob, MedicalScribeJobSummary
from transcribe_medical.scribe.result import ScribeResult
from transcribe_medical.scribe.transcript_file import parse_scribe_transcript

if TYPE_CHECKING:
    from transcribe_medical._client import AsyncTranscribeMedical, TranscribeMedical
    from transcribe_medical.models.transcript import Transcript

__all__ = ["AsyncScribeJobs", "ScribeJobProgress", "ScribeJobs"]

#: Called with the job after every poll of ``wait``.
ScribeJobProgress = Callable[[MedicalScribeJob], None]

_UPLOAD_PREFIX = "transcribe-medical/healthscribe-input"
_SUMMARIES = "MedicalScribeJobSummaries"
_START = "StartMedicalScribeJob"


def _name(value: object) -> str:
    return valid_name(value, "name")


def _job(response: Mapping[str, Any]) -> MedicalScribeJob:
    return MedicalScribeJob.from_api(response["MedicalScribeJob"])


def _checked(request: object) -> StartScribeJobRequest:
    if not isinstance(request, StartScribeJobRequest):
        raise ValidationError(
            f"request: {type(request).__name__} is invalid: use a StartScribeJobRequest", field="request"
        )
    return request


def _list_params(status: JobStatus | str | None, name_contains: str | None, page_size: int) -> dict[str, Any]:
    params: dict[str, Any] = {}
    if status is not None:
        try:
            params["Status"] = JobStatus(status.upper() if isinstance(status, str) else status).value
        except ValueError:
            raise ValidationError(
                f"status: {status!r} is invalid: use one of {', '.join(s.value for s in JobStatus)}",
                field="status",
            ) from None
    if name_contains is not None:
        params["JobNameContains"] = valid_name(name_contains, "name_contains")
    params["MaxResults"] = valid_page_size(page_size)
    return params


def _same_job(existing: MedicalScribeJob, request: StartScribeJobRequest) -> bool:
    return existing.media_uri in (None, request.media_uri)


def _next_delay(schedule: PollSchedule, job: MedicalScribeJob, timeout: float) -> float:
    delay = schedule.next_delay()
    if delay is None:
        raise TimeoutError(
            f"HealthScribe job {job.name} is still {job.status_text} after {timeout:g} s; wait longer or check later"
        )
    return delay


def _output(job: MedicalScribeJob, which: str) -> S3Location:
    if job.status == JobStatus.FAILED:
        raise ScribeJobFailedError(job)
    uri = job.clinical_document_uri if which == "note" else job.transcript_uri
    if job.status != JobStatus.COMPLETED or not uri:
        raise ScribeJobNotCompletedError(job)
    return parse_s3_uri(uri)


def _template(job: MedicalScribeJob) -> str | None:
    settings = job.settings
    template = getattr(settings, "note_template", None) if settings is not None else None
    if template is None:
        return None
    return template.value if isinstance(template, NoteTemplate) else str(template)


def _note(job: MedicalScribeJob, data: bytes) -> ClinicalNote:
    return parse_clinical_document(data, job_name=job.name, template=_template(job))


def plan_file_job(
    path: str | Path,
    *,
    bucket: str,
    role_arn: str,
    template: NoteTemplate | str | None,
    settings: ScribeSettings | None,
    channel_definitions: Sequence[ChannelDefinition | Mapping[str, Any]] | None,
    job_name: str | None,
    key: str | None,
    output_bucket: str | None,
    patient_pronouns: PatientPronouns | str | None,
    kms_key_id: str | None,
    tags: Mapping[str, str] | None,
) -> tuple[Path, S3Location, StartScribeJobRequest]:
    """Validate a one-shot job before anything is uploaded: the file, its S3 key and the request.

    Without ``settings``: channel identification when ``channel_definitions`` are given, else
    speaker labels for two speakers (a clinician and a patient on one channel).
    """
    source = Path(path)
    name = job_name or default_job_name(source)
    location = S3Location(bucket, key or f"{_UPLOAD_PREFIX}/{name}/{source.name}")
    if settings is None:
        settings = (
            ScribeSettings(channel_identification=True)
            if channel_definitions
            else ScribeSettings(show_speaker_labels=True, max_speaker_labels=2)
        )
    if template is not None:
        settings = ScribeSettings.model_validate(
            {**settings.model_dump(exclude_none=True), "note_template": NoteTemplate.parse(template)}
        )
    request = StartScribeJobRequest(
        job_name=name,
        media_uri=location.uri,
        output_bucket=output_bucket or bucket,
        role_arn=role_arn,
        settings=settings,
        channel_definitions=list(channel_definitions) if channel_definitions else None,
        patient_pronouns=patient_pronouns,
        kms_key_id=kms_key_id,
        tags=dict(tags) if tags else None,
    )
    return source, location, request


class ScribeJobs:
    """HealthScribe jobs: ``client.scribe.jobs``.

    Example:
        >>> job = client.scribe.jobs.start(StartScribeJobRequest(...))   # doctest: +SKIP
        >>> job = client.scribe.jobs.wait(job.name)                        # doctest: +SKIP
        >>> note = client.scribe.jobs.note(job)                            # doctest: +SKIP
        >>> [section.name for section in note.sections]                    # doctest: +SKIP
        ['CHIEF_COMPLAINT', 'HISTORY_OF_PRESENT_ILLNESS', ...]
    """

    def __init__(self, client: TranscribeMedical, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self._client = client
        self._sleep = sleep

    def start(self, request: StartScribeJobRequest) -> MedicalScribeJob:
        """Start a job (StartMedicalScribeJob); the request was validated when it was built.

        Raises:
            ValidationError: ``request`` is not a :class:`StartScribeJobRequest`.
            ConflictError: a job with that name exists.
            ServiceError: any other refusal.
        """
        request = _checked(request)
        params = request.to_api()
        attempts = 0

        def attempt() -> MedicalScribeJob:
            nonlocal attempts
            attempts += 1
            if attempts > 1:
                existing = self._find(request)
                if existing is not None:
                    return existing
            return _job(self._client._call_once("transcribe", "start_medical_scribe_job", params))

        return call_with_retries(self._client.config.retry, _START, attempt)

    def _find(self, request: StartScribeJobRequest) -> MedicalScribeJob | None:
        try:
            response = self._client._call_once(
                "transcribe", "get_medical_scribe_job", {"MedicalScribeJobName": request.job_name}
            )
        except ServiceError as error:
            if isinstance(as_not_found(error), NotFoundError):
                return None
            raise
        existing = _job(response)
        return existing if _same_job(existing, request) else None

    def get(self, name: str) -> MedicalScribeJob:
        """Describe a job (GetMedicalScribeJob).

        Raises:
            NotFoundError: no job has that name.
        """
        params = {"MedicalScribeJobName": _name(name)}
        try:
            return _job(self._client.call("transcribe", "get_medical_scribe_job", **params))
        except ServiceError as error:
            raise as_not_found(error) from error

    def list(
        self,
        status: JobStatus | str | None = None,
        name_contains: str | None = None,
        *,
        page_size: int = _limits.MAX_RESULTS_MAX,
    ) -> Iterator[MedicalScribeJobSummary]:
        """Iterate over every job, following ``NextToken`` (the API has no paginator).

        Args:
            status: Only jobs in this status (QUEUED, IN_PROGRESS, COMPLETED, FAILED).
            name_contains: Only jobs whose name contains this.
            page_size: Jobs per request (1-100).

        Raises:
            ValidationError: a bad filter (raised at once, before iteration).
        """
        params = _list_params(status, name_contains, page_size)
        return self._pages(params)

    def _pages(self, params: dict[str, Any]) -> Iterator[MedicalScribeJobSummary]:
        for summary in paginate(self._client.call, "list_medical_scribe_jobs", params, _SUMMARIES):
            yield MedicalScribeJobSummary.model_validate(summary)

    def wait(
        self,
        name: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        max_poll_interval: float = DEFAULT_MAX_POLL_INTERVAL,
        progress: ScribeJobProgress | None = None,
    ) -> MedicalScribeJob:
        """Poll until the job is COMPLETED or FAILED, and return it (FAILED included).

        Args:
            name: The job name.
            timeout: Seconds to wait in all.
            poll_interval: First wait between polls; it grows by half each poll.
            max_poll_interval: Longest wait between polls.
            progress: Called with the job after every poll.

        Raises:
            TimeoutError: the job was not done within ``timeout``.
            NotFoundError: no job has that name.
        """
        schedule = PollSchedule(timeout, poll_interval, max_poll_interval)
        while True:
            job = self.get(name)
            if progress is not None:
                progress(job)
            if job.is_done:
                return job
            self._sleep(_next_delay(schedule, job, timeout))

    def delete(self, name: str) -> None:
        """Delete a job record (DeleteMedicalScribeJob); its output files stay in S3.

        Raises:
            NotFoundError: no job has that name.
        """
        params = {"MedicalScribeJobName": _name(name)}
        try:
            self._client.call("transcribe", "delete_medical_scribe_job", **params)
        except ServiceError as error:
            raise as_not_found(error) from error

    def note(self, job: str | MedicalScribeJob) -> ClinicalNote:
        """Download and parse the clinical note (``ClinicalDocumentUri``) of a COMPLETED job.

        Raises:
            ScribeJobFailedError: the job FAILED (carries ``failure_reason``).
            ScribeJobNotCompletedError: the job has not finished.
            NotFoundError: the file is not in S3.
        """
        described = job if isinstance(job, MedicalScribeJob) else self.get(job)
        return _note(described, download_bytes(self._client, _output(described, "note")))

    def transcript(self, job: str | MedicalScribeJob) -> Transcript:
        """Download and parse the transcript (``TranscriptFileUri``) of a COMPLETED job.

        Raises:
            ScribeJobFailedError: the job FAILED.
            ScribeJobNotCompletedError: the job has not finished.
        """
        described = job if isinstance(job, MedicalScribeJob) else self.get(job)
        return parse_scribe_transcript(download_bytes(self._client, _output(described, "transcript")))

    def transcribe_file(
        self,
        path: str | Path,
        *,
        bucket: str,
        role_arn: str,
        template: NoteTemplate | str | None = None,
        settings: ScribeSettings | None = None,
        channel_definitions: Sequence[ChannelDefinition | Mapping[str, Any]] | None = None,
        job_name: str | None = None,
        key: str | None = None,
        output_bucket: str | None = None,
        patient_pronouns: PatientPronouns | str | None = None,
        kms_key_id: str | None = None,
        tags: Mapping[str, str] | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        progress: ScribeJobProgress | None = None,
    ) -> ScribeResult:
        """Upload a recording, run a HealthScribe job on it, wait, and return its note and transcript.

        Args:
            path: The visit's audio file.
            bucket: Bucket for the upload (and the outputs unless ``output_bucket`` is given).
            role_arn: The IAM role HealthScribe assumes.
            template: Note template (AWS's default: HISTORY_AND_PHYSICAL).
            settings: Speakers or channels, vocabulary and filter (default: speaker labels, 2
                speakers; channel identification when ``channel_definitions`` are given).
            channel_definitions: For a two-channel recording: channel 0 and 1, CLINICIAN and PATIENT.
            job_name: Job name (default: the file's stem plus a random suffix).
            key: Object key of the upload.
            output_bucket: Where the outputs go (default ``bucket``).
            patient_pronouns: HE_HIM, SHE_HER or THEY_THEM.
            kms_key_id: KMS key for the outputs.
            tags: 1-200 tags.
            timeout: Seconds to wait for the job.
            poll_interval: First wait between polls.
            progress: Called with the job after every poll.

        Raises:
            ValidationError: bad input (found before the upload).
            ScribeJobFailedError: the job FAILED (carries ``failure_reason``).
            TimeoutError: the job did not finish within ``timeout``.
        """
        source, location, request = plan_file_job(
            path,
            bucket=bucket,
            role_arn=role_arn,
            template=template,
            settings=settings,
            channel_definitions=channel_definitions,
            job_name=job_name,
            key=key,
            output_bucket=output_bucket,
            patient_pronouns=patient_pronouns,
            kms_key_id=kms_key_id,
            tags=tags,
        )
        upload_file(self._client, source, location)
        self.start(request)
        job = self.wait(request.job_name, timeout=timeout, poll_interval=poll_interval, progress=progress)
        return ScribeResult(job=job, note=self.note(job), transcript=self.transcript(job))


class AsyncScribeJobs:
    """The asyncio twin of :class:`ScribeJobs`: ``async_client.scribe.jobs``; the same calls, awaited."""

    def __init__(
        self, client: AsyncTranscribeMedical, *, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    ) -> None:
        self._client = client
        self._sleep = sleep

    async def start(self, request: StartScribeJobRequest) -> MedicalScribeJob:
        """Start a job; see :meth:`ScribeJobs.start`."""
        request = _checked(request)
        params = request.to_api()
        attempts = 0

        async def attempt() -> MedicalScribeJob:
            nonlocal attempts
            attempts += 1
            if attempts > 1:
                existing = await self._find(request)
                if existing is not None:
                    return existing
            response = await asyncio.to_thread(
                self._client._call_once, "transcribe", "start_medical_scribe_job", params
            )
            return _job(response)

        return await call_with_retries_async(self._client.config.retry, _START, attempt)

    async def _find(self, request: StartScribeJobRequest) -> MedicalScribeJob | None:
        try:
            response = await asyncio.to_thread(
                self._client._call_once,
                "transcribe",
                "get_medical_scribe_job",
                {"MedicalScribeJobName": request.job_name},
            )
        except ServiceError as error:
            if isinstance(as_not_found(error), NotFoundError):
                return None
            raise
        existing = _job(response)
        return existing if _same_job(existing, request) else None

    async def get(self, name: str) -> MedicalScribeJob:
        """Describe a job; see :meth:`ScribeJobs.get`."""
        params = {"MedicalScribeJobName": _name(name)}
        try:
            return _job(await self._client.acall("transcribe", "get_medical_scribe_job", **params))
        except ServiceError as error:
            raise as_not_found(error) from error

    def list(
        self,
        status: JobStatus | str | None = None,
        name_contains: str | None = None,
        *,
        page_size: int = _limits.MAX_RESULTS_MAX,
    ) -> AsyncIterator[MedicalScribeJobSummary]:
        """Iterate (``async for``) over every job; see :meth:`ScribeJobs.list`."""
        params = _list_params(status, name_contains, page_size)
        return self._pages(params)

    async def _pages(self, params: dict[str, Any]) -> AsyncIterator[MedicalScribeJobSummary]:
        async for summary in apaginate(self._client.acall, "list_medical_scribe_jobs", params, _SUMMARIES):
            yield MedicalScribeJobSummary.model_validate(summary)

    async def wait(
        self,
        name: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        max_poll_interval: float = DEFAULT_MAX_POLL_INTERVAL,
        progress: ScribeJobProgress | None = None,
    ) -> MedicalScribeJob:
        """Poll until the job is done; see :meth:`ScribeJobs.wait`."""
        schedule = PollSchedule(timeout, poll_interval, max_poll_interval)
        while True:
            job = await self.get(name)
            if progress is not None:
                progress(job)
            if job.is_done:
                return job
            await self._sleep(_next_delay(schedule, job, timeout))

    async def delete(self, name: str) -> None:
        """Delete a job record; see :meth:`ScribeJobs.delete`."""
        params = {"MedicalScribeJobName": _name(name)}
        try:
            await self._client.acall("transcribe", "delete_medical_scribe_job", **params)
        except ServiceError as error:
            raise as_not_found(error) from error

    async def note(self, job: str | MedicalScribeJob) -> ClinicalNote:
        """Download and parse the clinical note; see :meth:`ScribeJobs.note`."""
        described = job if isinstance(job, MedicalScribeJob) else await self.get(job)
        return _note(described, await download_bytes_async(self._client, _output(described, "note")))

    async def transcript(self, job: str | MedicalScribeJob) -> Transcript:
        """Download and parse the transcript; see :meth:`ScribeJobs.transcript`."""
        described = job if isinstance(job, MedicalScribeJob) else await self.get(job)
        return parse_scribe_transcript(await download_bytes_async(self._client, _output(described, "transcript")))

    async def transcribe_file(
        self,
        path: str | Path,
        *,
        bucket: str,
        role_arn: str,
        template: NoteTemplate | str | None = None,
        settings: ScribeSettings | None = None,
        channel_definitions: Sequence[ChannelDefinition | Mapping[str, Any]] | None = None,
        job_name: str | None = None,
        key: str | None = None,
        output_bucket: str | None = None,
        patient_pronouns: PatientPronouns | str | None = None,
        kms_key_id: str | None = None,
        tags: Mapping[str, str] | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        progress: ScribeJobProgress | None = None,
    ) -> ScribeResult:
        """Upload, start, wait and fetch both outputs; see :meth:`ScribeJobs.transcribe_file`."""
        source, location, request = plan_file_job(
            path,
            bucket=bucket,
            role_arn=role_arn,
            template=template,
            settings=settings,
            channel_definitions=channel_definitions,
            job_name=job_name,
            key=key,
            output_bucket=output_bucket,
            patient_pronouns=patient_pronouns,
            kms_key_id=kms_key_id,
            tags=tags,
        )
        await upload_file_async(self._client, source, location)
        await self.start(request)
        job = await self.wait(request.job_name, timeout=timeout, poll_interval=poll_interval, progress=progress)
        note, transcript = await asyncio.gather(self.note(job), self.transcript(job))
        return ScribeResult(job=job, note=note, transcript=transcript)
