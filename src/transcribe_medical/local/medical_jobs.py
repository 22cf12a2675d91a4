"""The emulator's medical transcription jobs: the service's rules, its records and its JSON shapes.

:class:`JobStore` holds the jobs the emulator's Transcribe layer
(:mod:`~transcribe_medical.local.medical_service`) accepted, per region, thread-safe. A job's
status is set by the batch worker through its :class:`JobHandle` (``QUEUED`` → ``IN_PROGRESS`` →
``COMPLETED``, or ``FAILED`` with ``FailureReason``), never by polling. :func:`validate_start`
refuses what the service refuses, with the service's kind of message: the model's constraints
(:mod:`~transcribe_medical.local.aws_constraints`), then the medical rules moto never checks
(``LanguageCode`` ``en-US``, speaker labels not combined with channel identification, ``Max...``
only with its ``Show...`` switch, a vocabulary that exists and is ``READY``).
"""

from __future__ import annotations

import base64
import binascii
import itertools
import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final, Protocol, TypeVar

from transcribe_medical import _limits
from transcribe_medical.local.aws_constraints import Member, check, validation_error
from transcribe_medical.local.aws_json import AwsError, epoch_seconds, utc_now

__all__ = [
    "DEFAULT_ACCOUNT_ID",
    "JobHandle",
    "JobStore",
    "MedicalJob",
    "MedicalJobRequest",
    "decode_token",
    "encode_token",
    "newest_first_page",
    "validate_start",
]

#: The account every emulated resource belongs to (moto's default, so both agree).
DEFAULT_ACCOUNT_ID: Final = "123456789012"

NAME_PATTERN: Final = "^[0-9a-zA-Z._-]+"
URI_PATTERN: Final = "(s3://|http(s*)://).+"
MEDIA_FORMATS: Final = ("mp3", "mp4", "wav", "flac", "ogg", "amr", "webm", "m4a")
JOB_STATUSES: Final = ("QUEUED", "IN_PROGRESS", "FAILED", "COMPLETED")
#: ListMedicalTranscriptionJobs without ``MaxResults`` returns this many (the service's default).
DEFAULT_PAGE_SIZE: Final = 5

_START_MEMBERS: Final = (
    Member(("MedicalTranscriptionJobName",), required=True, min=1, max=200, pattern=NAME_PATTERN),
    Member(("LanguageCode",), required=True),
    Member(("MediaSampleRateHertz",), "integer", min=_limits.SAMPLE_RATE_MIN, max=_limits.SAMPLE_RATE_MAX),
    Member(("MediaFormat",), enum=MEDIA_FORMATS),
    Member(("Media",), "structure", required=True),
    Member(("Media", "MediaFileUri"), min=1, max=_limits.URI_MAX_LENGTH, pattern=URI_PATTERN),
    Member(("OutputBucketName",), required=True, max=64, pattern=r"[a-z0-9][\.\-a-z0-9]{1,61}[a-z0-9]"),
    Member(("OutputKey",), min=1, max=1024, pattern=r"[a-zA-Z0-9-_.!*'()/]{1,1024}$"),
    Member(("OutputEncryptionKMSKeyId",), min=1, max=2048, pattern=r"^[A-Za-z0-9][A-Za-z0-9:_/+=,@.-]{0,2048}$"),
    Member(("KMSEncryptionContext",), "map", min=_limits.KMS_CONTEXT_MIN, max=_limits.KMS_CONTEXT_MAX),
    Member(("Settings",), "structure"),
    Member(("Settings", "ShowSpeakerLabels"), "boolean"),
    Member(("Settings", "MaxSpeakerLabels"), "integer", min=_limits.SPEAKERS_MIN, max=_limits.SPEAKERS_MAX),
    Member(("Settings", "ChannelIdentification"), "boolean"),
    Member(("Settings", "ShowAlternatives"), "boolean"),
    Member(("Settings", "MaxAlternatives"), "integer", min=_limits.ALTERNATIVES_MIN, max=_limits.ALTERNATIVES_MAX),
    Member(("Settings", "VocabularyName"), min=1, max=200, pattern=NAME_PATTERN),
    Member(("ContentIdentificationType",), enum=("PHI",)),
    Member(("Specialty",), required=True, enum=("PRIMARYCARE",)),
    Member(("Type",), required=True, enum=("CONVERSATION", "DICTATION")),
    Member(("Tags",), "list", min=_limits.TAGS_MIN, max=_limits.TAGS_MAX),
)


def _bad_request(message: str) -> AwsError:
    return AwsError("BadRequestException", message)


def check_tags(tags: Any) -> list[str]:
    """The model's constraints on a ``Tags`` list's items (``Key`` 1-128, ``Value`` 0-256)."""
    problems: list[str] = []
    if not isinstance(tags, list):
        return problems
    for index, tag in enumerate(tags, start=1):
        members = (
            Member(("Key",), required=True, min=1, max=_limits.TAG_KEY_MAX),
            Member(("Value",), required=True, min=0, max=_limits.TAG_VALUE_MAX),
        )
        if not isinstance(tag, dict):
            problems.append(
                f"Value '{tag}' at 'tags.{index}.member' failed to satisfy constraint: Member must be of type structure"
            )
            continue
        problems.extend(p.replace(" at '", f" at 'tags.{index}.member.", 1) for p in check(tag, members))
    return problems


def validate_start(params: dict[str, Any], vocabulary_state: str | None) -> None:
    """Refuse a StartMedicalTranscriptionJob request as the service would.

    Args:
        params: The request body.
        vocabulary_state: The state of ``Settings.VocabularyName`` (``None``: no such vocabulary).

    Raises:
        AwsError: ``BadRequestException`` with the service's kind of message.
    """
    problems = check(params, _START_MEMBERS) + check_tags(params.get("Tags"))
    if problems:
        raise validation_error(problems)
    language = params["LanguageCode"]
    if language != _limits.LANGUAGE_CODE:
        raise _bad_request(f"The language code {language} isn't supported for medical transcription. Use en-US.")
    settings: dict[str, Any] = params.get("Settings") or {}
    if settings.get("ShowSpeakerLabels") and settings.get("ChannelIdentification"):
        raise _bad_request(
            "You can't use ShowSpeakerLabels and ChannelIdentification in the same request. Choose one and try again."
        )
    if settings.get("ShowSpeakerLabels") and not settings.get("MaxSpeakerLabels"):
        raise _bad_request("When ShowSpeakerLabels is true, you must also set MaxSpeakerLabels.")
    if settings.get("MaxSpeakerLabels") and not settings.get("ShowSpeakerLabels"):
        raise _bad_request("MaxSpeakerLabels requires ShowSpeakerLabels to be true.")
    if settings.get("ShowAlternatives") and not settings.get("MaxAlternatives"):
        raise _bad_request("When ShowAlternatives is true, you must also set MaxAlternatives.")
    if settings.get("MaxAlternatives") and not settings.get("ShowAlternatives"):
        raise _bad_request("MaxAlternatives requires ShowAlternatives to be true.")
    if not params["Media"].get("MediaFileUri"):
        raise _bad_request("Media.MediaFileUri is required.")
    vocabulary = settings.get("VocabularyName")
    if vocabulary and vocabulary_state is None:
        raise _bad_request(
            "The requested vocabulary couldn't be found. Check the vocabulary name and try your request again."
        )
    if vocabulary and vocabulary_state != "READY":
        raise _bad_request(
            f"The vocabulary {vocabulary} is {vocabulary_state}, not READY. Use a vocabulary once it is READY."
        )


@dataclass(frozen=True)
class MedicalJobRequest:
    """What a StartMedicalTranscriptionJob call asked for (the worker's input).

    Attributes:
        job_name: ``MedicalTranscriptionJobName``.
        account_id: The account the job belongs to.
        region: The job's region.
        media_uri: ``Media.MediaFileUri``.
        media_format: ``MediaFormat``, if given.
        sample_rate: ``MediaSampleRateHertz``, if given.
        output_bucket: ``OutputBucketName``.
        output_key: ``OutputKey``, if given.
        settings: ``Settings`` as sent.
        content_identification_type: ``"PHI"`` or ``None``.
        specialty: ``Specialty``.
        type: ``Type``.
        kms_key_id: ``OutputEncryptionKMSKeyId``, if given.
    """

    job_name: str
    account_id: str
    region: str
    media_uri: str
    media_format: str | None
    sample_rate: int | None
    output_bucket: str
    output_key: str | None
    settings: dict[str, Any] = field(default_factory=dict)
    content_identification_type: str | None = None
    specialty: str = "PRIMARYCARE"
    type: str = "DICTATION"
    kms_key_id: str | None = None

    @classmethod
    def from_params(cls, params: dict[str, Any], *, account_id: str, region: str) -> MedicalJobRequest:
        """Build from a validated request body."""
        return cls(
            job_name=params["MedicalTranscriptionJobName"],
            account_id=account_id,
            region=region,
            media_uri=params["Media"]["MediaFileUri"],
            media_format=params.get("MediaFormat"),
            sample_rate=params.get("MediaSampleRateHertz"),
            output_bucket=params["OutputBucketName"],
            output_key=params.get("OutputKey"),
            settings=dict(params.get("Settings") or {}),
            content_identification_type=params.get("ContentIdentificationType"),
            specialty=params["Specialty"],
            type=params["Type"],
            kms_key_id=params.get("OutputEncryptionKMSKeyId"),
        )


@dataclass
class MedicalJob:
    """One emulated job (mutable; change it only under its store's lock, through a :class:`JobHandle`).

    Attributes:
        request: What was asked for.
        sequence: Order of creation (newest first in lists).
        creation_time: When Start accepted it.
        tags: ``Tags`` as sent.
        kms_context: ``KMSEncryptionContext`` as sent (kept, never returned, as the service does).
        status: ``QUEUED``, ``IN_PROGRESS``, ``COMPLETED`` or ``FAILED``.
        start_time: When it went ``IN_PROGRESS``.
        completion_time: When it ended.
        failure_reason: Why it ``FAILED``.
        transcript_uri: ``TranscriptFileUri`` once ``COMPLETED``.
        detected_format: The media format the worker found.
        detected_rate: The sample rate the worker found.
    """

    request: MedicalJobRequest
    sequence: int
    creation_time: datetime
    tags: list[dict[str, str]] | None = None
    kms_context: dict[str, str] | None = None
    status: str = "QUEUED"
    start_time: datetime | None = None
    completion_time: datetime | None = None
    failure_reason: str | None = None
    transcript_uri: str | None = None
    detected_format: str | None = None
    detected_rate: int | None = None

    def describe(self) -> dict[str, Any]:
        """The ``MedicalTranscriptionJob`` of Get (and of Start, taken before the worker has it)."""
        request = self.request
        body: dict[str, Any] = {
            "MedicalTranscriptionJobName": request.job_name,
            "TranscriptionJobStatus": self.status,
            "LanguageCode": _limits.LANGUAGE_CODE,
        }
        rate = self.detected_rate or request.sample_rate
        media_format = self.detected_format or request.media_format
        if rate is not None:
            body["MediaSampleRateHertz"] = rate
        if media_format is not None:
            body["MediaFormat"] = media_format
        body["Media"] = {"MediaFileUri": request.media_uri}
        if self.status == "COMPLETED" and self.transcript_uri:
            body["Transcript"] = {"TranscriptFileUri": self.transcript_uri}
        if self.start_time is not None:
            body["StartTime"] = epoch_seconds(self.start_time)
        body["CreationTime"] = epoch_seconds(self.creation_time)
        if self.completion_time is not None:
            body["CompletionTime"] = epoch_seconds(self.completion_time)
        if self.status == "FAILED" and self.failure_reason:
            body["FailureReason"] = self.failure_reason
        if request.settings:
            body["Settings"] = dict(request.settings)
        if request.content_identification_type:
            body["ContentIdentificationType"] = request.content_identification_type
        body["Specialty"] = request.specialty
        body["Type"] = request.type
        if self.tags:
            body["Tags"] = [dict(tag) for tag in self.tags]
        return body

    def summary(self) -> dict[str, Any]:
        """The ``MedicalTranscriptionJobSummary`` of List."""
        body: dict[str, Any] = {
            "MedicalTranscriptionJobName": self.request.job_name,
            "CreationTime": epoch_seconds(self.creation_time),
        }
        if self.start_time is not None:
            body["StartTime"] = epoch_seconds(self.start_time)
        if self.completion_time is not None:
            body["CompletionTime"] = epoch_seconds(self.completion_time)
        body["LanguageCode"] = _limits.LANGUAGE_CODE
        body["TranscriptionJobStatus"] = self.status
        if self.status == "FAILED" and self.failure_reason:
            body["FailureReason"] = self.failure_reason
        body["OutputLocationType"] = "CUSTOMER_BUCKET"
        body["Specialty"] = self.request.specialty
        if self.request.content_identification_type:
            body["ContentIdentificationType"] = self.request.content_identification_type
        body["Type"] = self.request.type
        return body


def encode_token(sequence: int) -> str:
    """An opaque ``NextToken``: the next page holds items created before ``sequence``."""
    return base64.urlsafe_b64encode(json.dumps({"before": sequence}).encode()).decode()


def decode_token(token: object) -> int:
    """The sequence a ``NextToken`` carries.

    Raises:
        AwsError: Not a token the emulator gave (``BadRequestException``).
    """
    try:
        if not isinstance(token, str):
            raise ValueError(token)
        before = json.loads(base64.urlsafe_b64decode(token.encode()))["before"]
        if not isinstance(before, int) or isinstance(before, bool):
            raise ValueError(token)
        return before
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError):
        raise AwsError(
            "BadRequestException",
            "The NextToken is not valid. Use the NextToken of a previous response, or leave it out.",
        ) from None


class _Listed(Protocol):
    sequence: int


_Record = TypeVar("_Record", bound=_Listed)


def newest_first_page(
    records: Mapping[tuple[str, str], _Record],
    region: str,
    *,
    name_contains: str | None,
    before: int | None,
    size: int,
    keep: Callable[[_Record], bool] = lambda _record: True,
) -> tuple[list[_Record], int | None]:
    """One page of a store's records, newest first, the way every emulated List operation pages.

    Args:
        records: The store's records by ``(region, name)`` (the caller holds the store's lock).
        region: Only records of this region.
        name_contains: Only names containing this, ignoring case (``None``: all).
        before: Only records created before this sequence (a decoded ``NextToken``).
        size: The page size.
        keep: Any other filter (a status or state).

    Returns:
        The page's records and the sequence to continue before (``None``: the last page).
    """
    needle = name_contains.lower() if name_contains else None
    chosen = [
        record
        for (record_region, name), record in records.items()
        if record_region == region
        and (needle is None or needle in name.lower())
        and (before is None or record.sequence < before)
        and keep(record)
    ]
    chosen.sort(key=lambda record: record.sequence, reverse=True)
    page = chosen[:size]
    return page, (page[-1].sequence if len(chosen) > size and page else None)


class JobHandle:
    """The batch worker's grip on one job: set its status as it runs (thread-safe)."""

    def __init__(self, store: JobStore, job: MedicalJob) -> None:
        """Made by :class:`JobStore`, not by users."""
        self._store = store
        self._job = job

    @property
    def request(self) -> MedicalJobRequest:
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

    def set_detected_media(self, media_format: str, sample_rate: int) -> None:
        """Record what the worker found in the file (returned by Get)."""
        with self._store.lock:
            self._job.detected_format = media_format
            self._job.detected_rate = sample_rate

    def complete(self, transcript_uri: str) -> None:
        """Mark the job ``COMPLETED`` with its ``TranscriptFileUri``."""
        with self._store.lock:
            self._job.transcript_uri = transcript_uri
            self._job.completion_time = utc_now()
            self._job.status = "COMPLETED"

    def fail(self, reason: str) -> None:
        """Mark the job ``FAILED`` with ``FailureReason`` = ``reason``."""
        with self._store.lock:
            self._job.failure_reason = reason
            self._job.completion_time = utc_now()
            self._job.status = "FAILED"


class JobStore:
    """Every emulated medical job, by region and name (thread-safe)."""

    def __init__(self) -> None:
        """An empty store."""
        self.lock = threading.RLock()
        self._jobs: dict[tuple[str, str], MedicalJob] = {}
        self._sequence = itertools.count(1)

    def add(self, request: MedicalJobRequest, params: dict[str, Any]) -> JobHandle:
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
            job = MedicalJob(
                request,
                next(self._sequence),
                utc_now(),
                tags=params.get("Tags"),
                kms_context=params.get("KMSEncryptionContext"),
            )
            self._jobs[key] = job
            return JobHandle(self, job)

    def get(self, region: str, name: str) -> MedicalJob | None:
        """The job, or ``None``."""
        with self.lock:
            return self._jobs.get((region, name))

    def describe(self, region: str, name: str) -> dict[str, Any] | None:
        """The job's Get shape, taken under the lock (``None`` when there is no such job)."""
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
