"""Errors of the batch facade and the one place that reads "not found" out of a BadRequest.

moto answers Get/Delete of a missing job or vocabulary with ``BadRequestException`` ("The
requested job couldn't be found"), and the real DeleteMedicalTranscriptionJob documents
``BadRequestException`` for a missing job too; both become :class:`NotFoundError` here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from transcribe_medical import _limits
from transcribe_medical._exceptions import BadRequestError, NotFoundError, ServiceError, ValidationError
from transcribe_medical.models.batch import check_name

if TYPE_CHECKING:
    from transcribe_medical.models.batch import MedicalTranscriptionJob, MedicalVocabulary

__all__ = [
    "JobFailedError",
    "JobNotCompletedError",
    "VocabularyFailedError",
    "as_not_found",
    "valid_name",
    "valid_page_size",
]

_NOT_FOUND_PHRASES = ("couldn't be found", "could not be found", "not found", "does not exist", "doesn't exist")


def as_not_found(error: ServiceError) -> ServiceError:
    """A :class:`NotFoundError` when ``error`` is a BadRequest saying the resource does not exist."""
    if isinstance(error, BadRequestError) and any(p in error.message.lower() for p in _NOT_FOUND_PHRASES):
        translated = NotFoundError(
            error.message, code=error.code, request_id=error.request_id, status_code=error.status_code
        )
        translated.__cause__ = error
        return translated
    return error


def valid_name(value: object, field: str = "name") -> str:
    """Check a job or vocabulary name before it is sent.

    Raises:
        ValidationError: the name breaks the API's pattern or length.
    """
    try:
        return check_name(value)
    except ValueError as error:
        raise ValidationError(f"{field}: {value!r} is invalid: {error}", field=field) from None


def valid_page_size(value: object) -> int:
    """Check a ``MaxResults`` page size (1-100).

    Raises:
        ValidationError: not a whole number in range.
    """
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or not (_limits.MAX_RESULTS_MIN <= value <= _limits.MAX_RESULTS_MAX)
    ):
        raise ValidationError(
            f"page_size: {value!r} is invalid: use {_limits.MAX_RESULTS_MIN}-{_limits.MAX_RESULTS_MAX}",
            field="page_size",
        )
    return value


class JobFailedError(BadRequestError):
    """A batch job ended FAILED; ``failure_reason`` says why (e.g. unsupported media format).

    Attributes:
        job: The FAILED job.
        failure_reason: The service's ``FailureReason`` (free text).
    """

    def __init__(self, job: MedicalTranscriptionJob) -> None:
        reason = job.failure_reason or "no reason given"
        super().__init__(f"job {job.name} FAILED: {reason}", code="JobFailed")
        self.job = job
        self.failure_reason = job.failure_reason


class JobNotCompletedError(BadRequestError):
    """The transcript was asked for before the job COMPLETED."""

    def __init__(self, job: MedicalTranscriptionJob) -> None:
        status = str(job.status) if job.status else "not started"
        super().__init__(
            f"job {job.name} is {status}, not COMPLETED: wait for it first (jobs wait {job.name})",
            code="JobNotCompleted",
        )
        self.job = job


class VocabularyFailedError(BadRequestError):
    """A medical vocabulary ended FAILED; ``failure_reason`` says why.

    Attributes:
        vocabulary: The FAILED vocabulary.
        failure_reason: The service's ``FailureReason`` (free text).
    """

    def __init__(self, vocabulary: MedicalVocabulary) -> None:
        reason = vocabulary.failure_reason or "no reason given"
        super().__init__(f"vocabulary {vocabulary.name} FAILED: {reason}", code="VocabularyFailed")
        self.vocabulary = vocabulary
        self.failure_reason = vocabulary.failure_reason
