"""``MedicalScribeStream``: a HealthScribe streaming session as GetMedicalScribeStream describes it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from transcribe_medical.models._base import ResponseModel

__all__ = ["MedicalScribeStream"]


class MedicalScribeStream(ResponseModel):
    """A HealthScribe streaming session (``MedicalScribeStreamDetails``).

    ``stream_status`` COMPLETED does not mean the note is ready: watch :attr:`note_status`.

    Attributes:
        session_id: The session's UUID.
        stream_status: IN_PROGRESS, PAUSED, FAILED or COMPLETED.
        note_status: ``ClinicalNoteGenerationResult.Status``: IN_PROGRESS, FAILED or COMPLETED
            (``None`` before END_OF_SESSION).
        note_uri: Where ``summary.json`` is (``ClinicalNoteOutputLocation``).
        transcript_uri: Where ``transcript.json`` is (``TranscriptOutputLocation``).
        failure_reason: Why the note failed, if it did.
        note_template: The template asked for, if any.
    """

    session_id: str = Field(alias="SessionId")
    stream_status: str | None = Field(None, alias="StreamStatus")
    created_at: datetime | None = Field(None, alias="StreamCreatedAt")
    ended_at: datetime | None = Field(None, alias="StreamEndedAt")
    language_code: str | None = Field(None, alias="LanguageCode")
    sample_rate: int | None = Field(None, alias="MediaSampleRateHertz")
    media_encoding: str | None = Field(None, alias="MediaEncoding")
    role_arn: str | None = Field(None, alias="ResourceAccessRoleArn")
    note_status: str | None = None
    note_uri: str | None = None
    transcript_uri: str | None = None
    failure_reason: str | None = None
    note_template: str | None = None

    @classmethod
    def from_api(cls, response: dict[str, Any]) -> MedicalScribeStream:
        """Build from a GetMedicalScribeStream response (or its ``MedicalScribeStreamDetails``)."""
        details = dict(response.get("MedicalScribeStreamDetails", response))
        result = (details.get("PostStreamAnalyticsResult") or {}).get("ClinicalNoteGenerationResult") or {}
        settings = (details.get("PostStreamAnalyticsSettings") or {}).get("ClinicalNoteGenerationSettings") or {}
        details.update(
            note_status=result.get("Status"),
            note_uri=result.get("ClinicalNoteOutputLocation"),
            transcript_uri=result.get("TranscriptOutputLocation"),
            failure_reason=result.get("FailureReason"),
            note_template=settings.get("NoteTemplate"),
        )
        return cls.model_validate(details)

    @property
    def note_done(self) -> bool:
        """Whether the clinical note finished (COMPLETED or FAILED)."""
        return self.note_status in ("COMPLETED", "FAILED")
