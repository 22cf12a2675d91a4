"""transcribe-medical: a typed SDK, CLI and local emulator for Amazon Transcribe Medical.

Everything public is listed in ``__all__``. Names are imported lazily so that
``import transcribe_medical`` stays cheap; heavy modules (boto3, websockets) load on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    "TranscribeMedical": "transcribe_medical._client",
    "AsyncTranscribeMedical": "transcribe_medical._client",
    "ClientConfig": "transcribe_medical._config",
    "RetryPolicy": "transcribe_medical._config",
    "Specialty": "transcribe_medical.models.enums",
    "TranscriptionType": "transcribe_medical.models.enums",
    "MediaEncoding": "transcribe_medical.models.enums",
    "MediaFormat": "transcribe_medical.models.enums",
    "LanguageCode": "transcribe_medical.models.enums",
    "Mode": "transcribe_medical.models.enums",
    "JobStatus": "transcribe_medical.models.enums",
    "VocabularyState": "transcribe_medical.models.enums",
    "ContentIdentificationType": "transcribe_medical.models.enums",
    "validate_specialty": "transcribe_medical.specialties",
    "resolve_specialty": "transcribe_medical.specialties",
    "SPECIALTY_TABLE": "transcribe_medical.specialties",
    "StreamConfig": "transcribe_medical.models.stream",
    "StartJobRequest": "transcribe_medical.models.batch",
    "JobSettings": "transcribe_medical.models.batch",
    "MedicalTranscriptionJob": "transcribe_medical.models.batch",
    "MedicalVocabulary": "transcribe_medical.models.batch",
    "Transcript": "transcribe_medical.models.transcript",
    "Segment": "transcribe_medical.models.transcript",
    "Item": "transcribe_medical.models.transcript",
    "Alternative": "transcribe_medical.models.transcript",
    "AlternativeSegment": "transcribe_medical.models.transcript",
    "Gap": "transcribe_medical.models.transcript",
    "Entity": "transcribe_medical.models.transcript",
    "TranscriptEvent": "transcribe_medical.models.events",
    "ReviewFlag": "transcribe_medical.models.transcript",
    "TranscriptAssembler": "transcribe_medical.models.transcript",
    "parse_batch_output": "transcribe_medical.models.batch_output",
    "StartScribeJobRequest": "transcribe_medical.scribe.requests",
    "ScribeSettings": "transcribe_medical.scribe.requests",
    "ChannelDefinition": "transcribe_medical.scribe.requests",
    "NoteTemplate": "transcribe_medical.scribe.enums",
    "ParticipantRole": "transcribe_medical.scribe.enums",
    "MedicalScribeJob": "transcribe_medical.scribe.responses",
    "ClinicalNote": "transcribe_medical.scribe.note",
    "NoteSection": "transcribe_medical.scribe.note",
    "ScribeStreamConfig": "transcribe_medical.scribe.streaming.config",
    "MedicalScribeStream": "transcribe_medical.scribe.streaming.model",
    "TranscribeMedicalError": "transcribe_medical._exceptions",
    "ValidationError": "transcribe_medical._exceptions",
    "UnsupportedSpecialtyError": "transcribe_medical._exceptions",
    "AudioFormatError": "transcribe_medical._exceptions",
    "CredentialsError": "transcribe_medical._exceptions",
    "ServiceError": "transcribe_medical._exceptions",
    "BadRequestError": "transcribe_medical._exceptions",
    "NotFoundError": "transcribe_medical._exceptions",
    "ConflictError": "transcribe_medical._exceptions",
    "LimitExceededError": "transcribe_medical._exceptions",
    "InternalFailureError": "transcribe_medical._exceptions",
    "ServiceUnavailableError": "transcribe_medical._exceptions",
    "ConnectionError": "transcribe_medical._exceptions",
    "ProtocolError": "transcribe_medical._exceptions",
    "TimeoutError": "transcribe_medical._exceptions",
}

__all__ = [
    "SPECIALTY_TABLE",
    "Alternative",
    "AlternativeSegment",
    "AsyncTranscribeMedical",
    "AudioFormatError",
    "BadRequestError",
    "ChannelDefinition",
    "ClientConfig",
    "ClinicalNote",
    "ConflictError",
    "ConnectionError",
    "ContentIdentificationType",
    "CredentialsError",
    "Entity",
    "Gap",
    "InternalFailureError",
    "Item",
    "JobSettings",
    "JobStatus",
    "LanguageCode",
    "LimitExceededError",
    "MediaEncoding",
    "MediaFormat",
    "MedicalScribeJob",
    "MedicalScribeStream",
    "MedicalTranscriptionJob",
    "MedicalVocabulary",
    "Mode",
    "NotFoundError",
    "NoteSection",
    "NoteTemplate",
    "ParticipantRole",
    "ProtocolError",
    "RetryPolicy",
    "ReviewFlag",
    "ScribeSettings",
    "ScribeStreamConfig",
    "Segment",
    "ServiceError",
    "ServiceUnavailableError",
    "Specialty",
    "StartJobRequest",
    "StartScribeJobRequest",
    "StreamConfig",
    "TimeoutError",
    "TranscribeMedical",
    "TranscribeMedicalError",
    "Transcript",
    "TranscriptAssembler",
    "TranscriptEvent",
    "TranscriptionType",
    "UnsupportedSpecialtyError",
    "ValidationError",
    "VocabularyState",
    "__version__",
    "parse_batch_output",
    "resolve_specialty",
    "validate_specialty",
]

if TYPE_CHECKING:
    from transcribe_medical._client import AsyncTranscribeMedical, TranscribeMedical
    from transcribe_medical._config import ClientConfig, RetryPolicy
    from transcribe_medical._exceptions import (
        AudioFormatError,
        BadRequestError,
        ConflictError,
        ConnectionError,
        CredentialsError,
        InternalFailureError,
        LimitExceededError,
        NotFoundError,
        ProtocolError,
        ServiceError,
        ServiceUnavailableError,
        TimeoutError,
        TranscribeMedicalError,
        UnsupportedSpecialtyError,
        ValidationError,
    )
    from transcribe_medical.models.batch import (
        JobSettings,
        MedicalTranscriptionJob,
        MedicalVocabulary,
        StartJobRequest,
    )
    from transcribe_medical.models.batch_output import parse_batch_output
    from transcribe_medical.models.enums import (
        ContentIdentificationType,
        JobStatus,
        LanguageCode,
        MediaEncoding,
        MediaFormat,
        Mode,
        Specialty,
        TranscriptionType,
        VocabularyState,
    )
    from transcribe_medical.models.events import TranscriptEvent
    from transcribe_medical.models.stream import StreamConfig
    from transcribe_medical.models.transcript import (
        Alternative,
        AlternativeSegment,
        Entity,
        Gap,
        Item,
        ReviewFlag,
        Segment,
        Transcript,
        TranscriptAssembler,
    )
    from transcribe_medical.scribe.enums import NoteTemplate, ParticipantRole
    from transcribe_medical.scribe.note import ClinicalNote, NoteSection
    from transcribe_medical.scribe.requests import ChannelDefinition, ScribeSettings, StartScribeJobRequest
    from transcribe_medical.scribe.responses import MedicalScribeJob
    from transcribe_medical.scribe.streaming.config import ScribeStreamConfig
    from transcribe_medical.scribe.streaming.model import MedicalScribeStream
    from transcribe_medical.specialties import SPECIALTY_TABLE, resolve_specialty, validate_specialty


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'transcribe_medical' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
