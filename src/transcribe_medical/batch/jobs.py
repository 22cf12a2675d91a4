"""``client.jobs``: batch medical transcription jobs (sync :class:`Jobs`, asyncio :class:`AsyncJobs`).

Every request is validated by the models before it is sent; every AWS call goes through the
client's ``call``/``acall`` (the one retry policy and the one error translation).

StartMedicalTranscriptionJob is not idempotent: a retried Start after a timeout would answer
``ConflictException`` for the job the first attempt created. So before each retry of Start the
facade asks Get whether the job exists already (with the same media) and returns it if so.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from transcribe_medical import _limits
from transcribe_medical._exceptions import NotFoundError, ServiceError, TimeoutError, ValidationError
from transcribe_medical._retry import call_with_retries, call_with_retries_async
from transcribe_medical.batch._errors import (
    JobFailedError,
    JobNotCompletedError,
    as_not_found,
    valid_name,
    valid_page_size,
)
from transcribe_medical.batch._pagination import apaginate, paginate
from transcribe_medical.batch._polling import (
    DEFAULT_MAX_POLL_INTERVAL,
    DEFAULT_POLL_INTERVAL,
    DEFAULT_TIMEOUT,
    PollSchedule,
)
from transcribe_medical.batch.output_location import transcript_location
from transcribe_medical.batch.s3 import (
    S3Location,
    download_bytes,
    download_bytes_async,
    upload_file,
    upload_file_async,
)
from transcribe_medical.models.batch import JobSettings, JobSummary, MedicalTranscriptionJob, StartJobRequest
from transcribe_medical.models.enums import (
    ContentIdentificationType,
    JobStatus,
    MediaFormat,
    Specialty,
    TranscriptionType,
)

if TYPE_CHECKING:
    from collections.abc import Iterable

    from transcribe_medical._client import AsyncTranscribeMedical, TranscribeMedical
    from transcribe_medical.batch.bulk import BulkProgress, BulkResult
    from transcribe_medical.models.transcript import Transcript

__all__ = ["AsyncJobs", "JobProgress", "Jobs", "default_job_name"]

#: Called with the job after every poll of ``wait``.
JobProgress = Callable[[MedicalTranscriptionJob], None]

_UPLOAD_PREFIX = "transcribe-medical/input"
_SUMMARIES = "MedicalTranscriptionJobSummaries"


def default_job_name(path: str | Path, *, suffix: str | None = None) -> str:
    """A job name from a file name: ``<stem>-<12 hex digits>``, only ``[0-9a-zA-Z._-]``.

    Args:
        path: The audio file (a local path or the key of an ``s3://`` URI); its stem leads the name.
        suffix: What follows the stem (default: 12 random hex digits, a new name each call; bulk
            manifests pass a hash of the row, the same name each run).
    """
    stem = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "._-") else "-" for ch in Path(path).stem)
    stem = stem.strip(".-") or "job"
    suffix = suffix or uuid.uuid4().hex[:12]
    return f"{stem[: _limits.NAME_MAX_LENGTH - len(suffix) - 1]}-{suffix}"


def _name(value: object) -> str:
    return valid_name(value, "name")


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


def _job(response: dict[str, Any]) -> MedicalTranscriptionJob:
    return MedicalTranscriptionJob.from_api(response["MedicalTranscriptionJob"])


def _same_job(existing: MedicalTranscriptionJob, request: StartJobRequest) -> bool:
    # moto's and AWS's Get echo the media URI; a job by that name with other media is not ours.
    return existing.media_uri in (None, request.media_uri)


def _check_timeout(schedule: PollSchedule, job: MedicalTranscriptionJob, timeout: float) -> float:
    delay = schedule.next_delay()
    if delay is None:
        status = str(job.status) if job.status else "not started"
        raise TimeoutError(f"job {job.name} is still {status} after {timeout:g} s; wait longer or check later")
    return delay


def _plan_file_job(
    path: str | Path,
    *,
    bucket: str,
    specialty: Specialty | str,
    type: TranscriptionType | str,
    key: str | None,
    job_name: str | None,
    output_bucket: str | None,
    output_key: str | None,
    settings: JobSettings | None,
    media_format: MediaFormat | str | None,
    sample_rate: int | None,
    content_identification: ContentIdentificationType | str | None,
) -> tuple[Path, S3Location, StartJobRequest]:
    source = Path(path)
    name = job_name or default_job_name(source)
    location = S3Location(bucket, key or f"{_UPLOAD_PREFIX}/{name}/{source.name}")
    if media_format is None:
        suffix = source.suffix.lower().lstrip(".")
        media_format = suffix if suffix in {m.value for m in MediaFormat} else None
    # Validate everything before the upload: a refused request must not leave media behind.
    request = StartJobRequest(
        job_name=name,
        media_uri=location.uri,
        output_bucket=output_bucket or bucket,
        output_key=output_key,
        specialty=specialty,
        type=type,
        settings=settings,
        media_format=media_format,
        sample_rate=sample_rate,
        content_identification=content_identification,
    )
    return source, location, request


def _ready_for_transcript(job: MedicalTranscriptionJob) -> S3Location:
    if job.status is JobStatus.FAILED:
        raise JobFailedError(job)
    if job.status is not JobStatus.COMPLETED:
        raise JobNotCompletedError(job)
    location = transcript_location(job)
    if location is None:
        raise JobNotCompletedError(job)
    return location


def _parse(data: bytes) -> Transcript:
    from transcribe_medical.models.batch_output import parse_batch_output

    return parse_batch_output(data)


class Jobs:
    """Batch medical transcription jobs: ``client.jobs``.

    Example:
        >>> job = client.jobs.start(StartJobRequest(job_name="visit-1",  # doctest: +SKIP
        ...     media_uri="s3://in/visit-1.wav", output_bucket="out", type="CONVERSATION"))
        >>> job = client.jobs.wait("visit-1")                             # doctest: +SKIP
        >>> print(client.jobs.transcript("visit-1").text)                 # doctest: +SKIP
    """

    def __init__(self, client: TranscribeMedical, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self._client = client
        self._sleep = sleep

    def start(self, request: StartJobRequest) -> MedicalTranscriptionJob:
        """Start a job (StartMedicalTranscriptionJob).

        Raises:
            ValidationError: ``request`` is not a :class:`StartJobRequest`.
            ConflictError: a job with that name exists (``.code == "ConflictException"``).
            ServiceError: any other refusal.
        """
        if not isinstance(request, StartJobRequest):
            raise ValidationError(
                f"request: {type(request).__name__} is invalid: use a StartJobRequest", field="request"
            )
        params = request.to_api()
        attempts = 0

        def attempt() -> MedicalTranscriptionJob:
            nonlocal attempts
            attempts += 1
            if attempts > 1:
                existing = self._find(request)
                if existing is not None:
                    return existing
            return _job(self._client._call_once("transcribe", "start_medical_transcription_job", params))

        return call_with_retries(self._client.config.retry, "StartMedicalTranscriptionJob", attempt)

    def _find(self, request: StartJobRequest) -> MedicalTranscriptionJob | None:
        try:
            response = self._client._call_once(
                "transcribe", "get_medical_transcription_job", {"MedicalTranscriptionJobName": request.job_name}
            )
        except ServiceError as error:
            if isinstance(as_not_found(error), NotFoundError):
                return None
            raise
        existing = _job(response)
        return existing if _same_job(existing, request) else None

    def get(self, name: str) -> MedicalTranscriptionJob:
        """Describe a job (GetMedicalTranscriptionJob).

        Raises:
            NotFoundError: no job has that name.
        """
        params = {"MedicalTranscriptionJobName": _name(name)}
        try:
            return _job(self._client.call("transcribe", "get_medical_transcription_job", **params))
        except ServiceError as error:
            raise as_not_found(error) from error

    def list(
        self,
        status: JobStatus | str | None = None,
        name_contains: str | None = None,
        *,
        page_size: int = _limits.MAX_RESULTS_MAX,
    ) -> Iterator[JobSummary]:
        """Iterate over every job, fetching pages as needed (the API has no paginator).

        Args:
            status: Only jobs in this status.
            name_contains: Only jobs whose name contains this (case-insensitive on AWS).
            page_size: Jobs per request (1-100; AWS's own default is 5).

        Raises:
            ValidationError: a bad filter (raised at once, before iteration).
        """
        params = _list_params(status, name_contains, page_size)
        return self._pages(params)

    def _pages(self, params: dict[str, Any]) -> Iterator[JobSummary]:
        pages = paginate(self._client.call, "list_medical_transcription_jobs", params, _SUMMARIES)
        for summary in pages:
            yield JobSummary.model_validate(summary)

    def wait(
        self,
        name: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        max_poll_interval: float = DEFAULT_MAX_POLL_INTERVAL,
        progress: JobProgress | None = None,
    ) -> MedicalTranscriptionJob:
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
            self._sleep(_check_timeout(schedule, job, timeout))

    def delete(self, name: str) -> None:
        """Delete a job record (DeleteMedicalTranscriptionJob); the transcript file stays.

        Raises:
            NotFoundError: no job has that name.
        """
        params = {"MedicalTranscriptionJobName": _name(name)}
        try:
            self._client.call("transcribe", "delete_medical_transcription_job", **params)
        except ServiceError as error:
            raise as_not_found(error) from error

    def transcript(self, job: str | MedicalTranscriptionJob) -> Transcript:
        """Download and parse the transcript of a COMPLETED job.

        Raises:
            JobFailedError: the job FAILED (carries ``failure_reason``).
            JobNotCompletedError: the job has not finished.
            NotFoundError: the transcript file is not in S3.
        """
        described = job if isinstance(job, MedicalTranscriptionJob) else self.get(job)
        return _parse(download_bytes(self._client, _ready_for_transcript(described)))

    def submit_many(
        self,
        requests: Iterable[StartJobRequest],
        *,
        max_concurrency: int = 8,
        rate: float | None = None,
        max_rate: float | None = None,
        state_path: str | Path | None = None,
        wait: bool = False,
        timeout: float = 3600.0,
        poll_interval: float = 5.0,
        progress: bool | BulkProgress = False,
    ) -> BulkResult:
        """Start many jobs: bounded, rate-limited, retried and resumable (see :mod:`~transcribe_medical.batch.bulk`).

        Args:
            requests: The jobs (all validated before the first request).
            max_concurrency: Requests in flight at once (1-64).
            rate: ``None`` (default): adaptive, starting at the documented default quota (25/s),
                slowing down on throttling and speeding up while requests succeed; a number: a
                fixed rate, requests per second at most.
            max_rate: With the adaptive rate, the most requests per second it may reach.
            state_path: SQLite state file (mode 0600); with it a re-run submits nothing twice.
            wait: Poll until every job is COMPLETED or FAILED.
            timeout: With ``wait``, seconds to wait in all.
            poll_interval: With ``wait``, the first interval between polls of a job.
            progress: ``True`` for a progress bar on stderr, or a callback ``(outcome, job_name)``.

        Returns:
            A :class:`~transcribe_medical.batch.bulk.BulkResult`: submitted, skipped, completed, failed.
        """
        from transcribe_medical.batch.bulk import submit_many

        return submit_many(
            self,
            requests,
            max_concurrency=max_concurrency,
            rate=rate,
            max_rate=max_rate,
            state_path=state_path,
            wait=wait,
            timeout=timeout,
            poll_interval=poll_interval,
            progress=progress,
            sleep=self._sleep,
        )

    def transcribe_file(
        self,
        path: str | Path,
        *,
        bucket: str,
        specialty: Specialty | str = Specialty.PRIMARYCARE,
        type: TranscriptionType | str = TranscriptionType.DICTATION,
        key: str | None = None,
        settings: JobSettings | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        job_name: str | None = None,
        output_bucket: str | None = None,
        output_key: str | None = None,
        media_format: MediaFormat | str | None = None,
        sample_rate: int | None = None,
        content_identification: ContentIdentificationType | str | None = None,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        progress: JobProgress | None = None,
    ) -> Transcript:
        """Upload a local file, run a job on it, wait, and return the transcript.

        Args:
            path: The audio file.
            bucket: Bucket for the upload (and the output unless ``output_bucket`` is given).
            specialty: PRIMARYCARE or a sub-specialty alias.
            type: CONVERSATION or DICTATION.
            key: Object key of the upload (default ``transcribe-medical/input/<job>/<file name>``).
            settings: Speaker labels, channels, alternatives, vocabulary.
            timeout: Seconds to wait for the job.
            job_name: Job name (default: the file's stem plus a random suffix).
            output_bucket: Where the transcript goes (default ``bucket``).
            output_key: Output key or folder (see ``output_location``).
            media_format: Container format (default: from the file extension, if AWS knows it).
            sample_rate: 16000-48000 Hz (default: AWS detects it).
            content_identification: ``PHI`` to label PHI.
            poll_interval: First wait between polls.
            progress: Called with the job after every poll.

        Raises:
            ValidationError: bad input (found before the upload).
            JobFailedError: the job FAILED (carries ``failure_reason``).
            TimeoutError: the job did not finish within ``timeout``.
        """
        source, location, request = _plan_file_job(
            path,
            bucket=bucket,
            specialty=specialty,
            type=type,
            key=key,
            job_name=job_name,
            output_bucket=output_bucket,
            output_key=output_key,
            settings=settings,
            media_format=media_format,
            sample_rate=sample_rate,
            content_identification=content_identification,
        )
        upload_file(self._client, source, location)
        self.start(request)
        job = self.wait(request.job_name, timeout=timeout, poll_interval=poll_interval, progress=progress)
        return self.transcript(job)


class AsyncJobs:
    """The asyncio twin of :class:`Jobs`: ``async_client.jobs``; the same calls, awaited."""

    def __init__(
        self, client: AsyncTranscribeMedical, *, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    ) -> None:
        self._client = client
        self._sleep = sleep

    async def start(self, request: StartJobRequest) -> MedicalTranscriptionJob:
        """Start a job; see :meth:`Jobs.start`."""
        if not isinstance(request, StartJobRequest):
            raise ValidationError(
                f"request: {type(request).__name__} is invalid: use a StartJobRequest", field="request"
            )
        params = request.to_api()
        attempts = 0

        async def attempt() -> MedicalTranscriptionJob:
            nonlocal attempts
            attempts += 1
            if attempts > 1:
                existing = await self._find(request)
                if existing is not None:
                    return existing
            response = await asyncio.to_thread(
                self._client._call_once, "transcribe", "start_medical_transcription_job", params
            )
            return _job(response)

        return await call_with_retries_async(self._client.config.retry, "StartMedicalTranscriptionJob", attempt)

    async def _find(self, request: StartJobRequest) -> MedicalTranscriptionJob | None:
        try:
            response = await asyncio.to_thread(
                self._client._call_once,
                "transcribe",
                "get_medical_transcription_job",
                {"MedicalTranscriptionJobName": request.job_name},
            )
        except ServiceError as error:
            if isinstance(as_not_found(error), NotFoundError):
                return None
            raise
        existing = _job(response)
        return existing if _same_job(existing, request) else None

    async def get(self, name: str) -> MedicalTranscriptionJob:
        """Describe a job; see :meth:`Jobs.get`."""
        params = {"MedicalTranscriptionJobName": _name(name)}
        try:
            return _job(await self._client.acall("transcribe", "get_medical_transcription_job", **params))
        except ServiceError as error:
            raise as_not_found(error) from error

    def list(
        self,
        status: JobStatus | str | None = None,
        name_contains: str | None = None,
        *,
        page_size: int = _limits.MAX_RESULTS_MAX,
    ) -> AsyncIterator[JobSummary]:
        """Iterate (``async for``) over every job; see :meth:`Jobs.list`."""
        params = _list_params(status, name_contains, page_size)
        return self._pages(params)

    async def _pages(self, params: dict[str, Any]) -> AsyncIterator[JobSummary]:
        pages = apaginate(self._client.acall, "list_medical_transcription_jobs", params, _SUMMARIES)
        async for summary in pages:
            yield JobSummary.model_validate(summary)

    async def wait(
        self,
        name: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        max_poll_interval: float = DEFAULT_MAX_POLL_INTERVAL,
        progress: JobProgress | None = None,
    ) -> MedicalTranscriptionJob:
        """Poll until the job is done; see :meth:`Jobs.wait`."""
        schedule = PollSchedule(timeout, poll_interval, max_poll_interval)
        while True:
            job = await self.get(name)
            if progress is not None:
                progress(job)
            if job.is_done:
                return job
            await self._sleep(_check_timeout(schedule, job, timeout))

    async def delete(self, name: str) -> None:
        """Delete a job record; see :meth:`Jobs.delete`."""
        params = {"MedicalTranscriptionJobName": _name(name)}
        try:
            await self._client.acall("transcribe", "delete_medical_transcription_job", **params)
        except ServiceError as error:
            raise as_not_found(error) from error

    async def transcript(self, job: str | MedicalTranscriptionJob) -> Transcript:
        """Download and parse the transcript; see :meth:`Jobs.transcript`."""
        described = job if isinstance(job, MedicalTranscriptionJob) else await self.get(job)
        return _parse(await download_bytes_async(self._client, _ready_for_transcript(described)))

    async def submit_many(
        self,
        requests: Iterable[StartJobRequest],
        *,
        max_concurrency: int = 8,
        rate: float | None = None,
        max_rate: float | None = None,
        state_path: str | Path | None = None,
        wait: bool = False,
        timeout: float = 3600.0,
        poll_interval: float = 5.0,
        progress: bool | BulkProgress = False,
    ) -> BulkResult:
        """Start many jobs; see :meth:`Jobs.submit_many`.

        The submitter's worker threads run botocore, as every async batch call does; the event loop
        stays free while they work.
        """
        from transcribe_medical.batch.bulk import submit_many

        # Jobs only needs the facade's shared base (boto3 clients, retries), which both facades have.
        jobs = Jobs(cast("TranscribeMedical", self._client))
        batch = list(requests)
        return await asyncio.to_thread(
            submit_many,
            jobs,
            batch,
            max_concurrency=max_concurrency,
            rate=rate,
            max_rate=max_rate,
            state_path=state_path,
            wait=wait,
            timeout=timeout,
            poll_interval=poll_interval,
            progress=progress,
        )

    async def transcribe_file(
        self,
        path: str | Path,
        *,
        bucket: str,
        specialty: Specialty | str = Specialty.PRIMARYCARE,
        type: TranscriptionType | str = TranscriptionType.DICTATION,
        key: str | None = None,
        settings: JobSettings | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        job_name: str | None = None,
        output_bucket: str | None = None,
        output_key: str | None = None,
        media_format: MediaFormat | str | None = None,
        sample_rate: int | None = None,
        content_identification: ContentIdentificationType | str | None = None,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        progress: JobProgress | None = None,
    ) -> Transcript:
        """Upload, start, wait and fetch; see :meth:`Jobs.transcribe_file`."""
        source, location, request = _plan_file_job(
            path,
            bucket=bucket,
            specialty=specialty,
            type=type,
            key=key,
            job_name=job_name,
            output_bucket=output_bucket,
            output_key=output_key,
            settings=settings,
            media_format=media_format,
            sample_rate=sample_rate,
            content_identification=content_identification,
        )
        await upload_file_async(self._client, source, location)
        await self.start(request)
        job = await self.wait(request.job_name, timeout=timeout, poll_interval=poll_interval, progress=progress)
        return await self.transcript(job)
