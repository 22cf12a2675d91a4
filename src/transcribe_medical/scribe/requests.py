"""What the SDK sends to HealthScribe: job requests and vocabulary-filter requests.

Every member and constraint of StartMedicalScribeJob is checked here, with the cross-field rules
AWS documents but botocore does not enforce (reference healthscribe.md §1.1):

* exactly one of ``show_speaker_labels`` / ``channel_identification`` is true;
* ``max_speaker_labels`` (2-30) is given with speaker labels, and only with them;
* ``channel_definitions`` (exactly two: channels 0 and 1, one CLINICIAN and one PATIENT) are given
  with channel identification, and only with it;
* a ``vocabulary_filter_method`` is given with a ``vocabulary_filter_name``, and only with it;
* a KMS encryption context only with an output KMS key.

So a request AWS would refuse is refused before anything is sent, with one line naming the field,
the value and what is allowed. Models take snake_case names and AWS's PascalCase names alike.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Self

from pydantic import BeforeValidator, Field, StringConstraints, field_validator, model_validator

from transcribe_medical import _limits
from transcribe_medical._exceptions import ValidationError
from transcribe_medical.models._base import RequestModel
from transcribe_medical.scribe._types import (
    BucketName,
    KmsEncryptionContext,
    KmsKeyId,
    MediaUri,
    ResourceName,
    RoleArn,
    Tags,
    check_language_code,
)
from transcribe_medical.scribe.enums import NoteTemplate, ParticipantRole, PatientPronouns, VocabularyFilterMethod

__all__ = [
    "ChannelDefinition",
    "ScribeSettings",
    "StartScribeJobRequest",
    "VocabularyFilterRequest",
    "VocabularyFilterUpdate",
]

_SPEAKERS = f"{_limits.SPEAKERS_MIN}-{_limits.SPEAKERS_MAX}"


def _upper_enum(enum: Any) -> Any:
    def parse(value: object) -> Any:
        if isinstance(value, enum):
            return value
        if isinstance(value, str):
            text = value.strip().upper()
            for member in enum:
                if member.value.upper() == text:
                    return member
        raise ValueError(f"use one of {', '.join(m.value for m in enum)}")

    return BeforeValidator(parse)


def _template(value: object) -> NoteTemplate:
    return NoteTemplate.parse(value)


class _ScribeRequest(RequestModel):
    """Request models name fields by their Python names in errors."""

    _error_field_names: ClassVar[bool] = True


class ChannelDefinition(_ScribeRequest):
    """Who speaks on one channel of a two-channel recording.

    Example:
        >>> ChannelDefinition(channel_id=0, participant_role="CLINICIAN").to_api()
        {'ChannelId': 0, 'ParticipantRole': 'CLINICIAN'}
    """

    channel_id: int = Field(alias="ChannelId", ge=0, le=1, strict=False)
    participant_role: Annotated[ParticipantRole, _upper_enum(ParticipantRole)] = Field(alias="ParticipantRole")

    def to_api(self) -> dict[str, Any]:
        """The ``ChannelDefinitions`` entry for boto3."""
        return {"ChannelId": self.channel_id, "ParticipantRole": self.participant_role.value}


class ScribeSettings(_ScribeRequest):
    """``MedicalScribeSettings``: speakers or channels, vocabulary and filter, note template.

    Example:
        >>> ScribeSettings(show_speaker_labels=True, max_speaker_labels=2).to_api()
        {'ShowSpeakerLabels': True, 'MaxSpeakerLabels': 2}

    Attributes:
        show_speaker_labels: Tell speakers apart on a one-channel recording (needs
            ``max_speaker_labels``).
        max_speaker_labels: Most speakers to tell apart, 2-30.
        channel_identification: A two-channel recording, one participant per channel (needs the
            request's ``channel_definitions``).
        vocabulary_name: A custom vocabulary.
        vocabulary_filter_name: A vocabulary filter (needs ``vocabulary_filter_method``).
        vocabulary_filter_method: ``remove``, ``mask`` or ``tag``.
        note_template: The clinical note's template (AWS's default: HISTORY_AND_PHYSICAL).
    """

    show_speaker_labels: bool = Field(False, alias="ShowSpeakerLabels")
    max_speaker_labels: int | None = Field(
        None, alias="MaxSpeakerLabels", ge=_limits.SPEAKERS_MIN, le=_limits.SPEAKERS_MAX
    )
    channel_identification: bool = Field(False, alias="ChannelIdentification")
    vocabulary_name: ResourceName | None = Field(None, alias="VocabularyName")
    vocabulary_filter_name: ResourceName | None = Field(None, alias="VocabularyFilterName")
    vocabulary_filter_method: Annotated[VocabularyFilterMethod, _upper_enum(VocabularyFilterMethod)] | None = Field(
        None, alias="VocabularyFilterMethod"
    )
    note_template: Annotated[NoteTemplate, BeforeValidator(_template)] | None = Field(None, alias="NoteTemplate")

    @model_validator(mode="before")
    @classmethod
    def _flatten_note_settings(cls, data: Any) -> Any:
        # AWS nests the template: {"ClinicalNoteGenerationSettings": {"NoteTemplate": ...}}.
        if isinstance(data, dict) and isinstance(data.get("ClinicalNoteGenerationSettings"), dict):
            data = dict(data)
            note = data.pop("ClinicalNoteGenerationSettings")
            if "NoteTemplate" in note:
                data.setdefault("NoteTemplate", note["NoteTemplate"])
        return data

    @model_validator(mode="after")
    def _cross_field_rules(self) -> Self:
        if self.show_speaker_labels == self.channel_identification:
            both = "both True" if self.show_speaker_labels else "both False"
            raise ValidationError(
                f"show_speaker_labels/channel_identification: {both} is invalid: set exactly one to True "
                f"(speaker labels with max_speaker_labels {_SPEAKERS} for a one-channel recording, or "
                "channel identification with two channel_definitions)",
                field="show_speaker_labels",
            )
        if self.show_speaker_labels and self.max_speaker_labels is None:
            raise ValidationError(
                f"max_speaker_labels: None is invalid with show_speaker_labels=True: give {_SPEAKERS}",
                field="max_speaker_labels",
            )
        if self.max_speaker_labels is not None and not self.show_speaker_labels:
            raise ValidationError(
                f"max_speaker_labels: {self.max_speaker_labels} is invalid without show_speaker_labels=True: "
                "leave it out, or use speaker labels instead of channel identification",
                field="max_speaker_labels",
            )
        if self.vocabulary_filter_name is not None and self.vocabulary_filter_method is None:
            raise ValidationError(
                f"vocabulary_filter_method: None is invalid with vocabulary_filter_name="
                f"{self.vocabulary_filter_name!r}: choose remove, mask or tag",
                field="vocabulary_filter_method",
            )
        if self.vocabulary_filter_method is not None and self.vocabulary_filter_name is None:
            raise ValidationError(
                f"vocabulary_filter_method: {self.vocabulary_filter_method.value!r} is invalid without a "
                "vocabulary_filter_name: name the filter, or leave the method out",
                field="vocabulary_filter_method",
            )
        return self

    def to_api(self) -> dict[str, Any]:
        """The ``Settings`` dict for boto3 (only what is set)."""
        api: dict[str, Any] = {}
        if self.show_speaker_labels:
            api["ShowSpeakerLabels"] = True
            api["MaxSpeakerLabels"] = self.max_speaker_labels
        if self.channel_identification:
            api["ChannelIdentification"] = True
        if self.vocabulary_name is not None:
            api["VocabularyName"] = self.vocabulary_name
        if self.vocabulary_filter_name is not None and self.vocabulary_filter_method is not None:
            api["VocabularyFilterName"] = self.vocabulary_filter_name
            api["VocabularyFilterMethod"] = self.vocabulary_filter_method.value
        if self.note_template is not None:
            api["ClinicalNoteGenerationSettings"] = {"NoteTemplate": self.note_template.value}
        return api


class StartScribeJobRequest(_ScribeRequest):
    """A request to start a HealthScribe job (StartMedicalScribeJob).

    Example:
        >>> request = StartScribeJobRequest(
        ...     job_name="visit-0412",
        ...     media_uri="s3://my-bucket/visits/visit-0412.wav",
        ...     output_bucket="my-output-bucket",
        ...     role_arn="arn:aws:iam::111122223333:role/HealthScribeAccess",
        ...     settings=ScribeSettings(channel_identification=True),
        ...     channel_definitions=[
        ...         ChannelDefinition(channel_id=0, participant_role="CLINICIAN"),
        ...         ChannelDefinition(channel_id=1, participant_role="PATIENT"),
        ...     ],
        ... )
        >>> request.to_api()["Settings"]
        {'ChannelIdentification': True}

    Attributes:
        job_name: Unique name (1-200 of ``[0-9a-zA-Z._-]``).
        media_uri: ``s3://bucket/key`` of the visit's audio.
        output_bucket: Bucket (name only) where HealthScribe writes the transcript and the note.
        role_arn: The IAM role HealthScribe assumes to read the media and write the outputs.
        settings: Speakers or channels, vocabulary, filter, note template.
        channel_definitions: With channel identification: channels 0 and 1, one CLINICIAN and one
            PATIENT.
        patient_pronouns: ``HE_HIM``, ``SHE_HER`` or ``THEY_THEM`` (``MedicalScribeContext``).
        kms_key_id: KMS key (id, alias or ARN) to encrypt the outputs with.
        kms_encryption_context: 1-10 non-secret key/value pairs (with ``kms_key_id`` only).
        tags: 1-200 tags.
    """

    job_name: ResourceName = Field(alias="MedicalScribeJobName")
    media_uri: MediaUri = Field(alias="MediaFileUri")
    output_bucket: BucketName = Field(alias="OutputBucketName")
    role_arn: RoleArn = Field(alias="DataAccessRoleArn")
    settings: ScribeSettings = Field(alias="Settings")
    channel_definitions: tuple[ChannelDefinition, ...] | None = Field(None, alias="ChannelDefinitions")
    patient_pronouns: Annotated[PatientPronouns, _upper_enum(PatientPronouns)] | None = Field(None, alias="Pronouns")
    kms_key_id: KmsKeyId | None = Field(None, alias="OutputEncryptionKMSKeyId")
    kms_encryption_context: KmsEncryptionContext | None = Field(None, alias="KMSEncryptionContext")
    tags: Tags | None = Field(None, alias="Tags")

    @model_validator(mode="before")
    @classmethod
    def _flatten(cls, data: Any) -> Any:
        # AWS's shapes: Media {MediaFileUri}, MedicalScribeContext {PatientContext {Pronouns}}.
        if not isinstance(data, dict):
            return data
        data = dict(data)
        media = data.pop("Media", None)
        if isinstance(media, dict):
            if "RedactedMediaFileUri" in media:
                raise ValidationError(
                    "media.RedactedMediaFileUri: is invalid for HealthScribe (Call Analytics only); "
                    "give MediaFileUri only",
                    field="media_uri",
                )
            data.setdefault("MediaFileUri", media.get("MediaFileUri"))
        context = data.pop("MedicalScribeContext", None)
        if isinstance(context, dict) and isinstance(context.get("PatientContext"), dict):
            data.setdefault("Pronouns", context["PatientContext"].get("Pronouns"))
        return data

    @field_validator("channel_definitions", mode="before")
    @classmethod
    def _two_channels(cls, value: object) -> object:
        if value is not None and (not isinstance(value, list | tuple) or len(value) != 2):
            count = (
                f"{len(value)} definition{'' if len(value) == 1 else 's'}"
                if isinstance(value, list | tuple)
                else repr(value)
            )
            raise ValueError(f"{count} given: give exactly two, channel 0 and channel 1, one CLINICIAN and one PATIENT")
        return value

    @model_validator(mode="after")
    def _cross_field_rules(self) -> Self:
        definitions = self.channel_definitions
        if self.settings.channel_identification and definitions is None:
            raise ValidationError(
                "channel_definitions: None is invalid with settings.channel_identification=True: give two, "
                'e.g. [{"channel_id": 0, "participant_role": "CLINICIAN"}, '
                '{"channel_id": 1, "participant_role": "PATIENT"}]',
                field="channel_definitions",
            )
        if definitions is not None:
            if not self.settings.channel_identification:
                raise ValidationError(
                    "channel_definitions: given without settings.channel_identification=True: set it, or "
                    "leave the channel definitions out (speaker labels need none)",
                    field="channel_definitions",
                )
            roles = sorted(d.participant_role.value for d in definitions)
            if roles != [ParticipantRole.CLINICIAN.value, ParticipantRole.PATIENT.value]:
                raise ValidationError(
                    f"channel_definitions: roles {' and '.join(roles)} are invalid: give one CLINICIAN and one PATIENT",
                    field="channel_definitions",
                )
            channels = sorted(d.channel_id for d in definitions)
            if channels != [0, 1]:
                raise ValidationError(
                    f"channel_definitions: channels {channels} are invalid: give channel 0 and channel 1",
                    field="channel_definitions",
                )
        if self.kms_encryption_context is not None and self.kms_key_id is None:
            raise ValidationError(
                "kms_encryption_context: given without kms_key_id: the context applies to the output KMS "
                "key; give kms_key_id too, or leave the context out",
                field="kms_encryption_context",
            )
        return self

    def to_api(self) -> dict[str, Any]:
        """The keyword arguments of boto3's ``start_medical_scribe_job``."""
        api: dict[str, Any] = {
            "MedicalScribeJobName": self.job_name,
            "Media": {"MediaFileUri": self.media_uri},
            "OutputBucketName": self.output_bucket,
            "DataAccessRoleArn": self.role_arn,
            "Settings": self.settings.to_api(),
        }
        if self.channel_definitions is not None:
            api["ChannelDefinitions"] = [d.to_api() for d in sorted(self.channel_definitions, key=_channel)]
        if self.patient_pronouns is not None:
            api["MedicalScribeContext"] = {"PatientContext": {"Pronouns": self.patient_pronouns.value}}
        if self.kms_key_id is not None:
            api["OutputEncryptionKMSKeyId"] = self.kms_key_id
        if self.kms_encryption_context is not None:
            api["KMSEncryptionContext"] = dict(self.kms_encryption_context)
        if self.tags is not None:
            api["Tags"] = [{"Key": key, "Value": value} for key, value in self.tags.items()]
        return api


def _channel(definition: ChannelDefinition) -> int:
    return definition.channel_id


Word = Annotated[str, StringConstraints(min_length=1, max_length=256)]


class _FilterWords(_ScribeRequest):
    """The members CreateVocabularyFilter and UpdateVocabularyFilter share: the words and their keys."""

    name: ResourceName = Field(alias="VocabularyFilterName")
    words: tuple[Word, ...] | None = Field(None, alias="Words", min_length=1)
    file_uri: MediaUri | None = Field(None, alias="VocabularyFilterFileUri")
    role_arn: RoleArn | None = Field(None, alias="DataAccessRoleArn")
    kms_key_id: KmsKeyId | None = None
    kms_encryption_context: KmsEncryptionContext | None = None

    @model_validator(mode="before")
    @classmethod
    def _flatten_encryption(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("EncryptionConfiguration"), dict):
            data = dict(data)
            encryption = data.pop("EncryptionConfiguration")
            data.setdefault("kms_key_id", encryption.get("KMSKey"))
            if "KMSEncryptionContext" in encryption:
                data.setdefault("kms_encryption_context", encryption["KMSEncryptionContext"])
        return data

    @field_validator("words", mode="before")
    @classmethod
    def _words(cls, value: object) -> object:
        if isinstance(value, str):
            raise ValueError("use a list of words, not one string")
        return value

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        if (self.words is None) == (self.file_uri is None):
            raise ValidationError(
                f"words/file_uri: got {'both' if self.words is not None else 'neither'}: give exactly one "
                "(a list of words, or the s3:// URI of a text file with one word per line)",
                field="words",
            )
        if self.kms_encryption_context is not None and self.kms_key_id is None:
            raise ValidationError(
                "kms_encryption_context: given without kms_key_id: give kms_key_id too, or leave it out",
                field="kms_encryption_context",
            )
        return self

    def _source_api(self) -> dict[str, Any]:
        api: dict[str, Any] = {"VocabularyFilterName": self.name}
        if self.words is not None:
            api["Words"] = list(self.words)
        if self.file_uri is not None:
            api["VocabularyFilterFileUri"] = self.file_uri
        if self.role_arn is not None:
            api["DataAccessRoleArn"] = self.role_arn
        if self.kms_key_id is not None:
            encryption: dict[str, Any] = {"KMSKey": self.kms_key_id}
            if self.kms_encryption_context is not None:
                encryption["KMSEncryptionContext"] = dict(self.kms_encryption_context)
            api["EncryptionConfiguration"] = encryption
        return api


class VocabularyFilterRequest(_FilterWords):
    """A request to create a vocabulary filter (CreateVocabularyFilter), from words or an S3 file.

    Example:
        >>> request = VocabularyFilterRequest(name="profanity", words=["darn", "heck"])
        >>> request.to_api()["LanguageCode"]
        'en-US'

    Attributes:
        name: Filter name (1-200 of ``[0-9a-zA-Z._-]``).
        words: The words to filter (1-256 characters each); give this or ``file_uri``.
        file_uri: ``s3://bucket/key`` of a text file, one word or phrase per line.
        language_code: A Transcribe language code (HealthScribe: ``en-US``, the default).
        role_arn: A role that can read ``file_uri`` (optional).
        kms_key_id: KMS key for the filter (optional).
        kms_encryption_context: With ``kms_key_id`` only.
        tags: 1-200 tags.
    """

    language_code: str = Field("en-US", alias="LanguageCode")
    tags: Tags | None = Field(None, alias="Tags")

    @field_validator("language_code", mode="before")
    @classmethod
    def _language(cls, value: object) -> str:
        return check_language_code(value)

    def to_api(self) -> dict[str, Any]:
        """The keyword arguments of boto3's ``create_vocabulary_filter``."""
        api = self._source_api()
        api["LanguageCode"] = self.language_code
        if self.tags is not None:
            api["Tags"] = [{"Key": key, "Value": value} for key, value in self.tags.items()]
        return api


class VocabularyFilterUpdate(_FilterWords):
    """A request to replace a vocabulary filter's words (UpdateVocabularyFilter).

    The new words (or file) replace the whole list.

    Attributes:
        name: The filter to update.
        words: The new words; give this or ``file_uri``.
        file_uri: ``s3://bucket/key`` of a text file, one word per line.
        role_arn: A role that can read ``file_uri`` (optional).
        kms_key_id: KMS key for the filter (optional).
        kms_encryption_context: With ``kms_key_id`` only.
    """

    def to_api(self) -> dict[str, Any]:
        """The keyword arguments of boto3's ``update_vocabulary_filter``."""
        return self._source_api()
