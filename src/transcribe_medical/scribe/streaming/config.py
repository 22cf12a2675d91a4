"""``ScribeStreamConfig``: everything a HealthScribe streaming session is started with.

The request headers (language, sample rate, encoding, session id) and the ConfigurationEvent
(role, channels, encryption, post-stream analytics, vocabulary, filter, patient context) come
from one validated, immutable model (reference healthscribe.md section 3).
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Annotated, Any, Self

from pydantic import BeforeValidator, Field, field_validator, model_validator

from transcribe_medical import _limits
from transcribe_medical._exceptions import ValidationError
from transcribe_medical.models.enums import MediaEncoding
from transcribe_medical.scribe._types import BucketName, KmsEncryptionContext, KmsKeyId, ResourceName, RoleArn
from transcribe_medical.scribe.enums import NoteTemplate, ParticipantRole, PatientPronouns, VocabularyFilterMethod
from transcribe_medical.scribe.requests import ChannelDefinition, _ScribeRequest, _template, _upper_enum

__all__ = ["ScribeStreamConfig"]

_SESSION_ID = re.compile(r"^[a-fA-F0-9]{8}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{12}$")


def _encoding(value: object) -> object:
    if isinstance(value, str):
        return value.strip().lower()
    return value


class ScribeStreamConfig(_ScribeRequest):
    """The settings of one HealthScribe streaming session (StartMedicalScribeStream).

    Example:
        >>> config = ScribeStreamConfig(
        ...     role_arn="arn:aws:iam::111122223333:role/HealthScribeAccess",
        ...     output_bucket="my-output-bucket",
        ...     sample_rate=16000,
        ...     channel_definitions=[
        ...         ChannelDefinition(channel_id=0, participant_role="CLINICIAN"),
        ...         ChannelDefinition(channel_id=1, participant_role="PATIENT"),
        ...     ],
        ... )
        >>> config.configuration_event()["PostStreamAnalyticsSettings"]
        {'ClinicalNoteGenerationSettings': {'OutputBucketName': 'my-output-bucket'}}

    Attributes:
        role_arn: The IAM role HealthScribe assumes to write the outputs (``ResourceAccessRoleArn``).
        output_bucket: Bucket (name only) for ``transcript.json`` and ``summary.json``.
        note_template: The clinical note's template (default: AWS's, HISTORY_AND_PHYSICAL).
        sample_rate: 16000-48000 Hz; must match the audio (read from a file when there is one).
        media_encoding: ``pcm`` (signed 16-bit LE, no WAV header on the wire), ``ogg-opus`` or ``flac``.
        language_code: ``en-US`` (the only one HealthScribe streams).
        session_id: A UUID; generated when absent; the same id resumes a paused session.
        channel_definitions: Two channels (0 and 1), one CLINICIAN and one PATIENT.
        vocabulary_name: A custom vocabulary.
        vocabulary_filter_name: A vocabulary filter; with ``vocabulary_filter_method``.
        vocabulary_filter_method: ``remove``, ``mask`` or ``tag``.
        kms_key_id: KMS key for the outputs; ``kms_encryption_context`` with it only.
        kms_encryption_context: Non-secret key/value pairs.
        patient_pronouns: ``HE_HIM``, ``SHE_HER`` or ``THEY_THEM``.
    """

    role_arn: RoleArn = Field(alias="ResourceAccessRoleArn")
    output_bucket: BucketName = Field(alias="OutputBucketName")
    note_template: Annotated[NoteTemplate, BeforeValidator(_template)] | None = Field(None, alias="NoteTemplate")
    sample_rate: int | None = Field(
        None, alias="MediaSampleRateHertz", ge=_limits.SAMPLE_RATE_MIN, le=_limits.SAMPLE_RATE_MAX, strict=False
    )
    media_encoding: Annotated[MediaEncoding, BeforeValidator(_encoding)] = Field(
        MediaEncoding.PCM, alias="MediaEncoding"
    )
    language_code: str = Field("en-US", alias="LanguageCode")
    session_id: str | None = Field(None, alias="SessionId")
    channel_definitions: tuple[ChannelDefinition, ...] | None = Field(None, alias="ChannelDefinitions")
    vocabulary_name: ResourceName | None = Field(None, alias="VocabularyName")
    vocabulary_filter_name: ResourceName | None = Field(None, alias="VocabularyFilterName")
    vocabulary_filter_method: Annotated[VocabularyFilterMethod, _upper_enum(VocabularyFilterMethod)] | None = Field(
        None, alias="VocabularyFilterMethod"
    )
    kms_key_id: KmsKeyId | None = Field(None, alias="KmsKeyId")
    kms_encryption_context: KmsEncryptionContext | None = Field(None, alias="KmsEncryptionContext")
    patient_pronouns: Annotated[PatientPronouns, _upper_enum(PatientPronouns)] | None = Field(None, alias="Pronouns")

    @field_validator("language_code")
    @classmethod
    def _en_us(cls, value: str) -> str:
        if value != "en-US":
            raise ValueError("HealthScribe streaming supports en-US only")
        return value

    @field_validator("session_id")
    @classmethod
    def _uuid(cls, value: str | None) -> str | None:
        if value is not None and not _SESSION_ID.match(value):
            raise ValueError("give a UUID such as 1b4e28ba-2fa1-11d2-883f-0016d3cca427")
        return value

    @model_validator(mode="after")
    def _rules(self) -> Self:
        channels = self.channel_definitions
        if channels is not None:
            ids = sorted(c.channel_id for c in channels)
            roles = {c.participant_role for c in channels}
            if ids != [0, 1] or roles != {ParticipantRole.CLINICIAN, ParticipantRole.PATIENT}:
                raise ValidationError(
                    "channel_definitions: give exactly two, channel 0 and channel 1, one CLINICIAN and one PATIENT",
                    field="channel_definitions",
                )
        if (self.vocabulary_filter_method is None) != (self.vocabulary_filter_name is None):
            raise ValidationError(
                "vocabulary_filter_method: give it together with vocabulary_filter_name (remove, mask or tag)",
                field="vocabulary_filter_method",
            )
        if self.kms_encryption_context is not None and self.kms_key_id is None:
            raise ValidationError(
                "kms_encryption_context: give it only with kms_key_id", field="kms_encryption_context"
            )
        return self

    @property
    def channels(self) -> int:
        """Audio channels the session expects: 2 with channel definitions, else 1."""
        return 2 if self.channel_definitions else 1

    def with_session_id(self) -> ScribeStreamConfig:
        """This config with a session id (a new UUID when it had none)."""
        if self.session_id is not None:
            return self
        return self.model_copy(update={"session_id": str(uuid.uuid4())})

    def request_headers(self) -> dict[str, str]:
        """The StartMedicalScribeStream request headers (to sign and send).

        Raises:
            ValidationError: No sample rate (give ``sample_rate`` or stream a file that says it).
        """
        if self.sample_rate is None:
            raise ValidationError(
                "sample_rate: is missing: give 16000-48000 Hz (it must match the audio)", field="sample_rate"
            )
        headers = {
            "content-type": "application/vnd.amazon.eventstream",
            "x-amzn-transcribe-language-code": self.language_code,
            "x-amzn-transcribe-sample-rate": str(self.sample_rate),
            "x-amzn-transcribe-media-encoding": self.media_encoding.value,
        }
        if self.session_id is not None:
            headers["x-amzn-transcribe-session-id"] = self.session_id
        return headers

    def configuration_event(self) -> dict[str, Any]:
        """The ConfigurationEvent's JSON body (MedicalScribeConfigurationEvent)."""
        generation: dict[str, Any] = {"OutputBucketName": self.output_bucket}
        if self.note_template is not None:
            generation["NoteTemplate"] = self.note_template.value
        event: dict[str, Any] = {
            "ResourceAccessRoleArn": self.role_arn,
            "PostStreamAnalyticsSettings": {"ClinicalNoteGenerationSettings": generation},
        }
        if self.channel_definitions:
            event["ChannelDefinitions"] = [c.to_api() for c in self.channel_definitions]
        if self.vocabulary_name:
            event["VocabularyName"] = self.vocabulary_name
        if self.vocabulary_filter_name and self.vocabulary_filter_method:
            event["VocabularyFilterName"] = self.vocabulary_filter_name
            event["VocabularyFilterMethod"] = self.vocabulary_filter_method.value
        if self.kms_key_id:
            encryption: dict[str, Any] = {"KmsKeyId": self.kms_key_id}
            if self.kms_encryption_context:
                encryption["KmsEncryptionContext"] = dict(self.kms_encryption_context)
            event["EncryptionSettings"] = encryption
        if self.patient_pronouns is not None:
            event["MedicalScribeContext"] = {"PatientContext": {"Pronouns": self.patient_pronouns.value}}
        return event

    def configuration_json(self) -> bytes:
        """:meth:`configuration_event` as compact JSON bytes."""
        return json.dumps(self.configuration_event(), separators=(",", ":")).encode()
