"""Errors of the HealthScribe facade: a job that FAILED, or outputs asked for too early."""

from __future__ import annotations

from typing import TYPE_CHECKING

from transcribe_medical._exceptions import BadRequestError

if TYPE_CHECKING:
    from transcribe_medical.scribe.responses import MedicalScribeJob

__all__ = ["ScribeJobFailedError", "ScribeJobNotCompletedError"]


class ScribeJobFailedError(BadRequestError):
    """A HealthScribe job ended FAILED; ``failure_reason`` says why (the CLI exits 3).

    Attributes:
        job: The FAILED job.
        failure_reason: The service's ``FailureReason`` (free text).
    """

    def __init__(self, job: MedicalScribeJob) -> None:
        reason = job.failure_reason or "no reason given"
        super().__init__(f"HealthScribe job {job.name} FAILED: {reason}", code="JobFailed")
        self.job = job
        self.failure_reason = job.failure_reason


class ScribeJobNotCompletedError(BadRequestError):
    """The note or transcript was asked for before the job COMPLETED."""

    def __init__(self, job: MedicalScribeJob) -> None:
        super().__init__(
            f"HealthScribe job {job.name} is {job.status_text}, not COMPLETED: wait for it first "
            f"(scribe wait {job.name})",
            code="JobNotCompleted",
        )
        self.job = job
