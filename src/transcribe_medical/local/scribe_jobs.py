"""The emulator's HealthScribe jobs: their records, the worker's handle, and their JSON shapes.

:class:`ScribeJobStore` holds the jobs the emulator's HealthScribe layer
(:mod:`~transcribe_medical.local.scribe_service`) accepted, per region, thread-safe. A job's status
is set by the worker (:mod:`~transcribe_medical.local.scribe_worker`) through its
:class:`ScribeJobHandle`: ``QUEUED`` → ``IN_PROGRESS`` → ``COMPLETED`` (with both output URIs) or
``FAILED`` (with ``FailureReason``), never by polling. Shapes follow botocore's
``MedicalScribeJob`` and ``MedicalScribeJobSummary``; timestamps are epoch seconds.
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from transcribe_medical.local.aws_json import AwsError, epoch_seconds, utc_now
from transcribe_medical.local.medical_jobs import newest_first_page

__all__ = ["ScribeJob", "ScribeJobHandle", "ScribeJobRequest", "ScribeJobStore"]

#: The only language HealthScribe reports.
LANGUAGE_CODE: Final = "en-US"


@dataclass(frozen=True)
class ScribeJobRequest:
    """What a StartMedicalScribeJob call asked for (the worker's input).

    Attributes:
        job_name: ``MedicalScribeJobName``.
        account_id: The emulator's account.
        region: The job's region.
        media_uri: ``Media.MediaFileUri``.
        output_bucket: ``OutputBucketName``.
        role_arn: ``DataAccessRoleArn``.
        settings: ``Settings`` as sent.
        channel_definitions: ``ChannelDefinitions`` as sent (empty without).
        kms_key_id: ``OutputEncryptionKMSKeyId``, if given.
        media: ``Media`` as sent.
        context_provided: Whether ``MedicalScribeContext`` was sent.
    """

    job_name: str
    account_id: str
    region: str
    media_uri: str
    output_bucket: str
    role_arn: str
    settings: dict[str, Any] = field(default_factory=dict)
    channel_definitions: tuple[dict[str, Any], ...] = ()
    kms_key_id: str | None = None
    media: dict[str, Any] = field(default_factory=dict)
    context_provided: bool = False

    @property
    def note_template(self) -> str:
        """The requested note template (HISTORY_AND_PHYSICAL when none is given)."""
        generation = self.settings.get("ClinicalNoteGenerationSettings") or {}
        template = generation.get("NoteTemplate") if isinstance(generation, dict) else None
        return str(template or "HISTORY_AND_PHYSICAL")

    @classmethod
    def from_params(cls, params: dict[str, Any], *, account_id: str, region: str) -> ScribeJobRequest:
        """The request of a validated StartMedicalScribeJob body."""
        media = dict(params["Media"])
        return cls(
            job_name=params["MedicalScribeJobName"],
            account_id=account_id,
            region=region,
            media_uri=str(media.get("MediaFileUri") or ""),
            output_bucket=params["OutputBucketName"],
            role_arn=params["DataAccessRoleArn"],
            settings=dict(params.get("Settings") or {}),
            channel_definitions=tuple(dict(item) for item in params.get("ChannelDefinitions") or ()),
            kms_key_id=params.get("OutputEncryptionKMSKeyId"),
            media=media,
            context_provided=params.get("MedicalScribeContext") is not None,
        )


@dataclass
class ScribeJob:
    """One emulated HealthScribe job (mutable only under its store's lock, through a handle).

    Attributes:
        request: What was asked for.
        sequence: Order of creation (newest first in lists).
        creation_time: When Start accepted it.
        tags: ``Tags`` as sent.
        status: ``QUEUED``, ``IN_PROGRESS``, ``COMPLETED`` or ``FAILED``.
        start_time: When it went ``IN_PROGRESS``.
        completion_time: When it ended.
        failure_reason: Why it ``FAILED``.
        transcript_uri: ``MedicalScribeOutput.TranscriptFileUri`` once ``COMPLETED``.
        note_uri: ``MedicalScribeOutput.ClinicalDocumentUri`` once ``COMPLETED``.
    """

    request: ScribeJobRequest
    sequence: int
    creation_time: datetime
    tags: list[dict[str, str]] | None = None
    status: str = "QUEUED"
    start_time: datetime | None = None
    completion_time: datetime | None = None
    failure_reason: str | None = None
    transcript_uri: str | None = None
    note_uri: str | None = None

    def describe(self) -> dict[str, Any]:
        """The ``MedicalScribeJob`` of Get and Start (botocore's member order)."""
        request = self.request
        body: dict[str, Any] = {
            "MedicalScribeJobName": request.job_name,
            "MedicalScribeJobStatus": self.status,
            "LanguageCode": LANGUAGE_CODE,
            "Media": dict(request.media),
        }
        if self.status == "COMPLETED" and self.transcript_uri and self.note_uri:
            body["MedicalScribeOutput"] = {
                "TranscriptFileUri": self.transcript_uri,
                "ClinicalDocumentUri": self.note_uri,
            }
        if self.start_time is not None:
            body["StartTime"] = epoch_seconds(self.start_time)
        body["CreationTime"] = epoch_seconds(self.creation_time)
        if self.completion_time is not None:
            body["CompletionTime"] = epoch_seconds(self.completion_time)
        if self.status == "FAILED" and self.failure_reason:
            body["FailureReason"] = self.failure_reason
        body["Settings"] = dict(request.settings)
        body["DataAccessRoleArn"] = request.role_arn
        if request.channel_definitions:
            body["ChannelDefinitions"] = [dict(item) for item in request.channel_definitions]
        body["MedicalScribeContextProvided"] = request.context_provided
        if self.tags:
            body["Tags"] = [dict(tag) for tag in self.tags]
        return body

    def summary(self) -> dict[str, Any]:
        """The ``MedicalScribeJobSummary`` of List."""
        body: dict[str, Any] = {
            "MedicalScribeJobName": self.request.job_name,
            "CreationTime": epoch_seconds(self.creation_time),
        }
        if self.start_time is not None:
            body["StartTime"] = epoch_seconds(self.start_time)
        if self.completion_time is not None:
            body["CompletionTime"] = epoch_seconds(self.completion_time)
        body["LanguageCode"] = LANGUAGE_CODE
        body["MedicalScribeJobStatus"] = self.status
        if self.status == "FAILED" and self.failure_reason:
            body["FailureReason"] = self.failure_reason
        return body


class ScribeJobHandle:
    """The worker's grip on one job: set its status as it runs (thread-safe)."""

    def __init__(self, store: ScribeJobStore, job: ScribeJob) -> None:
        """Made by :class:`ScribeJobStore`, not by users."""
        self._store = store
        self._job = job

    @property
    def request(self) -> ScribeJobRequest:
        """What the job asked for."""
        return self._job.request

    @property
    def status(self) -> str:
        """The job's status now."""
        with self._store.lock:
            return self._job.status

    def describe(self) -> dict[str, Any]:
        """The job's Get shape now."""
        with self._store.lock:
            return self._job.describe()

    def mark_in_progress(self) -> None:
        """``QUEUED`` → ``IN_PROGRESS`` (and set ``StartTime``)."""
        with self._store.lock:
            self._job.start_time = utc_now()
            self._job.status = "IN_PROGRESS"

    def complete(self, transcript_uri: str, note_uri: str) -> None:
        """Mark the job ``COMPLETED`` with its two output URIs."""
        with self._store.lock:
            self._job.transcript_uri = transcript_uri
            self._job.note_uri = note_uri
            self._job.completion_time = utc_now()
            self._job.status = "COMPLETED"

    def fail(self, reason: str) -> None:
        """Mark the job ``FAILED`` with ``FailureReason`` = ``reason``."""
        with self._store.lock:
            self._job.failure_reason = reason
            self._job.completion_time = utc_now()
            self._job.status = "FAILED"


class ScribeJobStore:
    """Every emulated HealthScribe job, by region and name (thread-safe)."""

    def __init__(self) -> None:
        """An empty store."""
        self.lock = threading.RLock()
        self._jobs: dict[tuple[str, str], ScribeJob] = {}
        self._sequence = itertools.count(1)

    def add(self, request: ScribeJobRequest, tags: list[dict[str, str]] | None) -> ScribeJobHandle:
        """Record a new ``QUEUED`` job.

        Raises:
            AwsError: ``ConflictException`` when the region has a job of that name.
        """
        key = (request.region, request.job_name)
        with self.lock:
            if key in self._jobs:
                raise AwsError(
                    "ConflictException", "The requested job name already exists. Use a different job name.", 409
                )
            job = ScribeJob(request, next(self._sequence), utc_now(), tags=tags)
            self._jobs[key] = job
            return ScribeJobHandle(self, job)

    def describe(self, region: str, name: str) -> dict[str, Any] | None:
        """The job's Get shape (``None`` when there is no such job)."""
        with self.lock:
            job = self._jobs.get((region, name))
            return None if job is None else job.describe()

    def delete(self, region: str, name: str) -> bool:
        """Forget a job; whether it existed (a worker still running it finishes unseen)."""
        with self.lock:
            return self._jobs.pop((region, name), None) is not None

    def page(
        self, region: str, *, status: str | None, name_contains: str | None, before: int | None, size: int
    ) -> tuple[list[dict[str, Any]], int | None]:
        """One page of summaries, newest first, and the sequence to continue before (``None``: last page)."""
        with self.lock:
            page, more = newest_first_page(
                self._jobs,
                region,
                name_contains=name_contains,
                before=before,
                size=size,
                keep=lambda job: status is None or job.status == status,
            )
            return [job.summary() for job in page], more

    def clear(self) -> None:
        """Forget every job."""
        with self.lock:
            self._jobs.clear()
