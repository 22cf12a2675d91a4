"""Bulk submission: many jobs, bounded concurrency, a steady request rate, nothing lost or doubled.

:func:`submit_many` (``client.jobs.submit_many``) starts a list of jobs with at most
``max_concurrency`` requests in flight, at a request rate that is either

* adaptive (``rate=None``, the default): it starts at StartMedicalTranscriptionJob's documented
  default quota (25/s), backs off multiplicatively when the service throttles and creeps back up
  while requests succeed (:class:`~transcribe_medical.batch.adaptive_rate.AdaptiveRate`), so a run
  finds the account's quota, raised or shared, by itself; a throttled Start is sent again (same job
  name) when the slowed-down limiter lets it, its wait being the limiter's;
* or fixed (``rate=20``): a token bucket of that many requests per second; throttling is retried
  with the bulk backoff policy.

5xx and connection errors are retried with the backoff policy in both. Every request pays the
limiter: first tries and retries, Start and Get alike, so retries under throttling never push the
run above its rate (the submitter sends each attempt itself, rather than through
``Jobs.start``/``Jobs.get``, whose own retries would not pass the limiter). With a state file it is
resumable:

* before each StartMedicalTranscriptionJob the job is recorded as ``starting``, after it as
  ``submitted`` (or ``failed``), each durably;
* a re-run skips ``submitted``/``completed`` jobs, and asks the service about ``starting`` ones
  (GetMedicalTranscriptionJob) instead of sending them again;
* a ``ConflictException`` for a job that exists with the same media counts as done.

So a crash at any point, followed by a re-run, submits nothing twice.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from transcribe_medical._config import RetryPolicy
from transcribe_medical._exceptions import (
    ConflictError,
    ConnectionError,
    LimitExceededError,
    NotFoundError,
    ServiceError,
    TimeoutError,
    TranscribeMedicalError,
    ValidationError,
)
from transcribe_medical._limits import START_JOB_TPS_DEFAULT
from transcribe_medical._logging import get_logger
from transcribe_medical._retry import call_with_retries
from transcribe_medical.batch._errors import as_not_found
from transcribe_medical.batch.adaptive_rate import AdaptiveRate
from transcribe_medical.batch.bulk_state import StateStore
from transcribe_medical.batch.manifest import job_fingerprint
from transcribe_medical.batch.rate_limit import RequestWindow, TokenBucket
from transcribe_medical.models.batch import MedicalTranscriptionJob, StartJobRequest
from transcribe_medical.models.enums import JobStatus

if TYPE_CHECKING:
    from transcribe_medical.batch.jobs import Jobs

__all__ = ["BULK_RETRY_POLICY", "BulkProgress", "BulkResult", "submit_many"]

_log = get_logger("bulk")

#: Bulk runs outlast short bursts of throttling: more attempts and a longer budget per job.
BULK_RETRY_POLICY = RetryPolicy(max_attempts=8, initial_backoff=0.5, max_backoff=8.0, max_elapsed=300.0)

#: With the adaptive rate and a policy without a time budget: how long a Start may stay throttled.
_THROTTLED_START_BUDGET_S = 300.0

#: Called as ``progress(event, job_name)`` with event in "submitted", "skipped", "completed", "failed".
BulkProgress = Callable[[str, str], None]


@dataclass
class BulkResult:
    """What a bulk run did.

    Attributes:
        submitted: Jobs started by this run.
        skipped: Jobs already started before (state file, or the service had them with the same media).
        completed: Jobs seen COMPLETED (only when waiting).
        failed: Job name -> reason, for jobs refused at submission or ending FAILED.
    """

    submitted: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    completed: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when nothing failed."""
        return not self.failed

    def summary(self) -> str:
        """One line: counts of each outcome."""
        return (
            f"{len(self.submitted)} submitted, {len(self.skipped)} already submitted, "
            f"{len(self.completed)} completed, {len(self.failed)} failed"
        )


def _retry_hint(error: BaseException) -> float | None:
    """The service's ``Retry-After`` hint in seconds, from the botocore error behind ``error``, if any."""
    response = getattr(error.__cause__, "response", None)
    if not isinstance(response, dict):
        return None
    value = response.get("ResponseMetadata", {}).get("HTTPHeaders", {}).get("retry-after")
    try:
        seconds = float(value)
    except (TypeError, ValueError):  # absent, or an HTTP date (Transcribe sends seconds when it sends any)
        return None
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


class _Run:
    def __init__(
        self,
        jobs: Jobs,
        *,
        state: StateStore,
        limiter: TokenBucket | AdaptiveRate,
        window: RequestWindow,
        retry: RetryPolicy,
        progress: BulkProgress | None,
        sleep: Callable[[float], None],
    ) -> None:
        self.jobs = jobs
        self.state = state
        self.limiter = limiter
        self.adaptive = limiter if isinstance(limiter, AdaptiveRate) else None
        self.window = window
        self.retry = retry
        self.progress = progress
        self.sleep = sleep
        self.result = BulkResult()
        self._lock = threading.Lock()

    def _report(self, outcome: str, name: str, reason: str | None = None) -> None:
        with self._lock:
            if outcome == "failed":
                self.result.failed[name] = reason or "failed"
            else:
                getattr(self.result, outcome).append(name)
        if self.progress is not None:
            self.progress(outcome, name)

    def _request(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        # One HTTP request, no retries of its own: every attempt takes its token here, and counts
        # in the window from before it is sent until its answer is back.
        adaptive = self.adaptive
        if adaptive is None:
            self.limiter.acquire()
            with self.window.admit():
                return self.jobs._client._call_once("transcribe", operation, params)
        # No request window here: the adaptive pacer never catches up in a burst, and a window
        # would repeat, a second later, any bunch of answers the network delivered together.
        ticket = adaptive.acquire()
        try:
            response = self.jobs._client._call_once("transcribe", operation, params)
        except LimitExceededError as error:
            if error.retryable:  # throttling; not a file too long for the service
                adaptive.on_throttle(ticket, retry_after=_retry_hint(error))
            raise
        if operation == "start_medical_transcription_job":
            # Only a Start's success says the Start quota has room. Gets pay their token too, but
            # the service counts them against a quota of their own: their successes would push the
            # rate, and with it the Starts, far past the Start quota (32 Starts in a second at 25/s).
            adaptive.on_success(ticket)
        return response

    def _send_start(self, params: dict[str, Any]) -> None:
        if self.adaptive is None:
            self._request("start_medical_transcription_job", params)
            return
        # With the adaptive limiter, throttling is answered by the limiter itself: it has just been
        # cut (or paused for the service's hint), so the refused Start waits for its next token
        # rather than for a jittered backoff of its own, which would idle this worker while the
        # quota has room. The policy's time budget still bounds a job.
        budget = self.retry.max_elapsed if self.retry.max_elapsed is not None else _THROTTLED_START_BUDGET_S
        started = time.monotonic()
        while True:
            try:
                self._request("start_medical_transcription_job", params)
                return
            except LimitExceededError as error:
                if not error.retryable or time.monotonic() - started >= budget:
                    raise

    def _get_once(self, name: str) -> MedicalTranscriptionJob | None:
        try:
            response = self._request("get_medical_transcription_job", {"MedicalTranscriptionJobName": name})
        except ServiceError as error:
            if isinstance(as_not_found(error), NotFoundError):
                return None
            raise
        return MedicalTranscriptionJob.from_api(response["MedicalTranscriptionJob"])

    def _get(self, name: str) -> MedicalTranscriptionJob | None:
        return call_with_retries(
            self.retry, "GetMedicalTranscriptionJob", lambda: self._get_once(name), sleep=self.sleep
        )

    def _start(self, request: StartJobRequest) -> None:
        params = request.to_api()
        maybe_sent = False

        def attempt() -> None:
            nonlocal maybe_sent
            if maybe_sent:
                # StartMedicalTranscriptionJob is not idempotent: an attempt that failed after it may
                # have reached the service (5xx, a lost connection) may have created the job.
                existing = self._get_once(request.job_name)
                if existing is not None and existing.media_uri in (None, request.media_uri):
                    return
            try:
                self._send_start(params)
            except LimitExceededError:
                raise  # refused at the door: nothing to look up before the next attempt
            except TranscribeMedicalError:
                maybe_sent = True
                raise

        call_with_retries(self.retry, "StartMedicalTranscriptionJob", attempt, sleep=self.sleep)

    def submit(self, request: StartJobRequest) -> None:
        name = request.job_name
        fingerprint = job_fingerprint(request)
        record = self.state.get(name)
        if record is not None and record.fingerprint != fingerprint:
            self._report("failed", name, "the state file has this job name with other parameters; rename the job")
            return
        if record is not None and record.state in ("submitted", "completed"):
            self._report("skipped", name)
            return
        if record is not None and record.state == "starting":
            # A previous run may have sent it and crashed before recording the answer.
            existing = self._get(name)
            if existing is not None:
                self._settle_existing(request, existing, fingerprint)
                return
        self.state.put(name, fingerprint, "starting")
        try:
            self._start(request)
        except ConflictError:
            existing = self._get(name)
            if existing is None:
                self.state.put(name, fingerprint, "failed", failure_reason="conflict")
                self._report("failed", name, "ConflictException, yet the job cannot be found")
            else:
                self._settle_existing(request, existing, fingerprint)
            return
        except (ConnectionError, TimeoutError) as error:
            # Maybe sent: stay "starting" so that a re-run checks with the service first.
            self._report("failed", name, f"{type(error).__name__}: {error}")
            return
        except TranscribeMedicalError as error:
            self.state.put(name, fingerprint, "failed", failure_reason=str(error))
            self._report("failed", name, str(error))
            return
        self.state.put(name, fingerprint, "submitted")
        self._report("submitted", name)

    def _settle_existing(self, request: StartJobRequest, existing: MedicalTranscriptionJob, fingerprint: str) -> None:
        name = request.job_name
        if existing.media_uri not in (None, request.media_uri):
            self.state.put(name, fingerprint, "failed", failure_reason="name taken")
            self._report("failed", name, f"another job named {name!r} exists with other media; rename the job")
            return
        self.state.put(name, fingerprint, "submitted")
        self._report("skipped", name)

    def wait(self, name: str, *, poll_interval: float, deadline: float) -> None:
        record = self.state.get(name)
        if record is None or record.state not in ("submitted", "completed"):
            return
        interval = poll_interval
        while True:
            job = self._get(name)
            if job is None:
                self._report("failed", name, "the job no longer exists")
                return
            if job.status is JobStatus.COMPLETED:
                self.state.put(name, record.fingerprint, "completed")
                self._report("completed", name)
                return
            if job.status is JobStatus.FAILED:
                reason = job.failure_reason or "FAILED"
                self.state.put(name, record.fingerprint, "failed", failure_reason=reason)
                self._report("failed", name, reason)
                return
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                # A status AWS adds later arrives as a plain string.
                status = job.status.value if isinstance(job.status, JobStatus) else job.status or "QUEUED"
                self._report("failed", name, f"still {status} at the deadline")
                return
            self.sleep(min(interval, remaining))
            interval = min(interval * 1.5, 30.0)


def submit_many(
    jobs: Jobs,
    requests: Iterable[StartJobRequest],
    *,
    max_concurrency: int = 8,
    rate: float | None = None,
    max_rate: float | None = None,
    state_path: str | Path | None = None,
    wait: bool = False,
    timeout: float = 3600.0,
    poll_interval: float = 5.0,
    retry: RetryPolicy = BULK_RETRY_POLICY,
    progress: bool | BulkProgress = False,
    sleep: Callable[[float], None] = time.sleep,
) -> BulkResult:
    """Start many jobs safely; optionally wait for all of them.

    Args:
        jobs: ``client.jobs``.
        requests: The jobs to start (all validated before the first request).
        max_concurrency: Requests in flight at once (1-64).
        rate: ``None`` (the default) for an adaptive rate that finds the account's quota: it
            starts at StartMedicalTranscriptionJob's documented default quota (25/s), is cut by
            10 % when the service throttles and grows back while requests succeed. A number for a
            fixed rate: requests per second at most.
        max_rate: With the adaptive rate, the most requests per second it may reach (``None``: no
            ceiling but the service's), to leave part of a shared quota to other callers.
        state_path: SQLite state file (mode 0600) that makes the run resumable; ``None`` keeps
            the state in memory for this run only.
        wait: Poll every job until COMPLETED or FAILED.
        timeout: With ``wait``, seconds to wait for all jobs.
        poll_interval: With ``wait``, first interval between polls of a job.
        retry: Backoff policy for throttling, 5xx and connection errors.
        progress: ``True`` shows a progress bar on stderr; a callable is called with
            ``(outcome, job_name)`` as jobs move.
        sleep: Sleep function (injectable for tests).

    Returns:
        A :class:`BulkResult`.

    Raises:
        ValidationError: a request is invalid, a job name repeats, or an option is out of range.
    """
    batch = list(requests)
    if not 1 <= max_concurrency <= 64:
        raise ValidationError(f"max_concurrency: {max_concurrency!r} is invalid: use 1 to 64", field="max_concurrency")
    if rate is not None and max_rate is not None:
        raise ValidationError(
            f"max_rate: {max_rate!r} is invalid with a fixed rate: give one or the other (max_rate caps the "
            "adaptive rate used when no rate is given)",
            field="max_rate",
        )
    names: set[str] = set()
    for request in batch:
        if not isinstance(request, StartJobRequest):
            raise ValidationError(
                f"requests: {type(request).__name__} is invalid: use StartJobRequest", field="requests"
            )
        if request.job_name in names:
            raise ValidationError(
                f"job_name: {request.job_name!r} appears twice; job names must be unique", field="job_name"
            )
        names.add(request.job_name)
    limiter: TokenBucket | AdaptiveRate = (
        AdaptiveRate(START_JOB_TPS_DEFAULT, maximum=max_rate, sleep=sleep)
        if rate is None
        else TokenBucket(rate, sleep=sleep)
    )
    if progress is True:
        from transcribe_medical.batch.bulk_progress import progress_bar

        with progress_bar(len(batch), wait=wait) as (_bar, advance):
            return submit_many(
                jobs,
                batch,
                max_concurrency=max_concurrency,
                rate=rate,
                max_rate=max_rate,
                state_path=state_path,
                wait=wait,
                timeout=timeout,
                poll_interval=poll_interval,
                retry=retry,
                progress=advance,
                sleep=sleep,
            )
    callback = progress if callable(progress) else None
    with StateStore(state_path if state_path is not None else ":memory:") as state:
        # The limiter spaces requests; at a fixed rate, the window keeps late ones from crowding a
        # second at the service.
        window = RequestWindow(max(1, math.floor(limiter.rate)))
        run = _Run(jobs, state=state, limiter=limiter, window=window, retry=retry, progress=callback, sleep=sleep)
        with ThreadPoolExecutor(max_workers=max_concurrency, thread_name_prefix="tm-bulk") as pool:
            list(pool.map(run.submit, batch))
        _log.info("bulk submission: %s", run.result.summary())
        if isinstance(limiter, AdaptiveRate):
            _log.info("adaptive rate: %.1f requests/s after %d throttled requests", limiter.rate, limiter.throttles)
        if wait:
            deadline = time.monotonic() + timeout
            pending = [r.job_name for r in batch if r.job_name not in run.result.failed]
            with ThreadPoolExecutor(max_workers=max_concurrency, thread_name_prefix="tm-bulk-wait") as pool:
                list(pool.map(lambda name: run.wait(name, poll_interval=poll_interval, deadline=deadline), pending))
    return run.result
