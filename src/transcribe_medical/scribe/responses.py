"""What HealthScribe answers: jobs, job summaries, vocabulary filters. Read leniently.

A status, template or role AWS adds later is kept as a plain string, a field AWS adds later is kept
(``extra="allow"``), and settings that break the request rules are kept as AWS echoed them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import pydantic
from pydantic import Field, field_validator, model_validator

from transcribe_medical._exceptions import ValidationError
from transcribe_medical.models._base import ResponseModel
from transcribe_medical.models.enums import JobStatus
from transcribe_medical.scribe.requests import ChannelDefinition, ScribeSettings

__all__ = ["MedicalScribeJob", "MedicalScribeJobSummary", "VocabularyFilter", "VocabularyFilterSummary"]

_TERMINAL = (JobStatus.COMPLETED.value, JobStatus.FAILED.value)


def _known_status(value: object) -> object:
    if isinstance(value, str):
        try:
            return JobStatus(value)
        except ValueError:
            return value  # a status AWS added later: kept as it came
    return value


def _lenient(model: type[pydantic.BaseModel], value: object) -> Any:
    if isinstance(value, model):
        return value
    if not isinstance(value, Mapping):
        return None
    try:
        return model.model_validate(dict(value))
    except ValidationError:
        # A response is what it is: keep what AWS said even where it breaks the request rules.
        data = dict(value)
        note = data.get("ClinicalNoteGenerationSettings")
        if isinstance(note, Mapping) and "NoteTemplate" in note:
            data.setdefault("NoteTemplate", note["NoteTemplate"])  # a template AWS added later stays
        fields = {
            name: data[info.alias]
            for name, info in model.model_fields.items()
            if info.alias is not None and info.alias in data
        }
        return model.model_construct(**fields)


class _JobFields(ResponseModel):
    name: str = Field(alias="MedicalScribeJobName")
    status: JobStatus | str | None = Field(None, alias="MedicalScribeJobStatus", union_mode="left_to_right")
    language_code: str | None = Field(None, alias="LanguageCode")
    creation_time: datetime | None = Field(None, alias="CreationTime")
    start_time: datetime | None = Field(None, alias="StartTime")
    completion_time: datetime | None = Field(None, alias="CompletionTime")
    failure_reason: str | None = Field(None, alias="FailureReason")

    @field_validator("status", mode="before")
    @classmethod
    def _status(cls, value: object) -> object:
        return _known_status(value)

    @property
    def is_done(self) -> bool:
        """True once the job is COMPLETED or FAILED."""
        return self.status in _TERMINAL

    @property
    def status_text(self) -> str:
        """The status as text (``"not reported"`` when AWS gave none)."""
        if self.status is None:
            return "not reported"
        return self.status.value if isinstance(self.status, JobStatus) else str(self.status)


class MedicalScribeJob(_JobFields):
    """A HealthScribe job as the service describes it (Start, Get).

    Attributes:
        name: The job name.
        status: QUEUED, IN_PROGRESS, COMPLETED or FAILED (a status AWS adds later stays a string).
        media_uri: The input media URI.
        transcript_uri: The transcript file (``TranscriptFileUri``) once COMPLETED.
        clinical_document_uri: The clinical note file (``ClinicalDocumentUri``) once COMPLETED.
        failure_reason: Why the job FAILED.
        settings: The job's settings as AWS echoes them.
        role_arn: The data access role.
        channel_definitions: The channel roles, if any.
        context_provided: Whether patient context (pronouns) was given.
        tags: The job's tags.
    """

    media_uri: str | None = None
    transcript_uri: str | None = None
    clinical_document_uri: str | None = None
    settings: ScribeSettings | None = Field(None, alias="Settings")
    role_arn: str | None = Field(None, alias="DataAccessRoleArn")
    channel_definitions: list[ChannelDefinition] | None = Field(None, alias="ChannelDefinitions")
    context_provided: bool | None = Field(None, alias="MedicalScribeContextProvided")
    tags: dict[str, str] | None = Field(None, alias="Tags")

    @model_validator(mode="before")
    @classmethod
    def _flatten(cls, data: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        data = dict(data)
        media = data.pop("Media", None)
        if isinstance(media, Mapping):
            data.setdefault("media_uri", media.get("MediaFileUri"))
        output = data.pop("MedicalScribeOutput", None)
        if isinstance(output, Mapping):
            data.setdefault("transcript_uri", output.get("TranscriptFileUri"))
            data.setdefault("clinical_document_uri", output.get("ClinicalDocumentUri"))
        if isinstance(data.get("Tags"), list):
            data["Tags"] = {t.get("Key"): t.get("Value", "") for t in data["Tags"] if isinstance(t, Mapping)}
        return data

    @field_validator("settings", mode="wrap")
    @classmethod
    def _settings(cls, value: object, handler: pydantic.ValidatorFunctionWrapHandler) -> Any:
        # Not handler(value): that would apply the request rules to what AWS echoed.
        return _lenient(ScribeSettings, value)

    @field_validator("channel_definitions", mode="wrap")
    @classmethod
    def _channels(cls, value: object, handler: pydantic.ValidatorFunctionWrapHandler) -> Any:
        if not isinstance(value, list):
            return None
        return [_lenient(ChannelDefinition, entry) for entry in value if isinstance(entry, Mapping)]

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> MedicalScribeJob:
        """Build from boto3's ``MedicalScribeJob`` dict."""
        return cls.model_validate(dict(data))


class MedicalScribeJobSummary(_JobFields):
    """One entry of ListMedicalScribeJobs."""


class VocabularyFilter(ResponseModel):
    """A vocabulary filter as the service describes it (Create, Get, Update).

    Attributes:
        name: The filter name.
        language_code: Its language.
        last_modified_time: When it last changed.
        download_uri: Where its words can be downloaded (Get only; a presigned URL: never log it).
    """

    name: str = Field(alias="VocabularyFilterName")
    language_code: str | None = Field(None, alias="LanguageCode")
    last_modified_time: datetime | None = Field(None, alias="LastModifiedTime")
    download_uri: str | None = Field(None, alias="DownloadUri", repr=False)
    role_arn: str | None = Field(None, alias="DataAccessRoleArn")

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> VocabularyFilter:
        """Build from a boto3 response (``ResponseMetadata`` dropped)."""
        return cls.model_validate({k: v for k, v in data.items() if k != "ResponseMetadata"})


class VocabularyFilterSummary(ResponseModel):
    """One entry of ListVocabularyFilters."""

    name: str = Field(alias="VocabularyFilterName")
    language_code: str | None = Field(None, alias="LanguageCode")
    last_modified_time: datetime | None = Field(None, alias="LastModifiedTime")
