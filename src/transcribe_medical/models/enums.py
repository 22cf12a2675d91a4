"""Enumerations shared by the batch and streaming models (AWS wire values)."""

from __future__ import annotations

from enum import Enum

__all__ = [
    "ContentIdentificationType",
    "JobStatus",
    "LanguageCode",
    "MediaEncoding",
    "MediaFormat",
    "Mode",
    "Specialty",
    "TranscriptionType",
    "VocabularyState",
]


class _WireEnum(str, Enum):
    """A string enum whose ``str()`` is the AWS wire value."""

    def __str__(self) -> str:
        return str(self.value)


class Specialty(_WireEnum):
    """Medical specialties. Batch supports only PRIMARYCARE; streaming supports all six."""

    PRIMARYCARE = "PRIMARYCARE"
    CARDIOLOGY = "CARDIOLOGY"
    NEUROLOGY = "NEUROLOGY"
    ONCOLOGY = "ONCOLOGY"
    RADIOLOGY = "RADIOLOGY"
    UROLOGY = "UROLOGY"


class TranscriptionType(_WireEnum):
    """CONVERSATION (clinician-patient dialogue) or DICTATION (one speaker's notes)."""

    CONVERSATION = "CONVERSATION"
    DICTATION = "DICTATION"


class LanguageCode(_WireEnum):
    """Transcribe Medical supports US English only."""

    EN_US = "en-US"


class MediaFormat(_WireEnum):
    """Container formats accepted by batch jobs."""

    MP3 = "mp3"
    MP4 = "mp4"
    WAV = "wav"
    FLAC = "flac"
    OGG = "ogg"
    AMR = "amr"
    WEBM = "webm"
    M4A = "m4a"


class MediaEncoding(_WireEnum):
    """Encodings accepted by streaming: raw PCM16 little-endian, Ogg-Opus or FLAC."""

    PCM = "pcm"
    OGG_OPUS = "ogg-opus"
    FLAC = "flac"


class Mode(_WireEnum):
    """How audio reaches the service."""

    BATCH = "BATCH"
    STREAMING = "STREAMING"


class JobStatus(_WireEnum):
    """Status of a medical transcription job."""

    QUEUED = "QUEUED"
    IN_PROGRESS = "IN_PROGRESS"
    FAILED = "FAILED"
    COMPLETED = "COMPLETED"

    @property
    def is_terminal(self) -> bool:
        """True when the job will not change status again."""
        return self in (JobStatus.FAILED, JobStatus.COMPLETED)


class VocabularyState(_WireEnum):
    """State of a medical custom vocabulary."""

    PENDING = "PENDING"
    READY = "READY"
    FAILED = "FAILED"


class ContentIdentificationType(_WireEnum):
    """Content identification: PHI labels protected health information in the output."""

    PHI = "PHI"
