"""Batch models: job requests and settings, jobs and summaries, medical vocabularies.

Request models (:class:`StartJobRequest`, :class:`JobSettings`, :class:`VocabularyRequest`) enforce
every limit of the API and the cross-field rules botocore does not check (reference §1.3, §1.11),
so a bad request is refused before anything is sent. Each field's limits live in a constrained type
named for what it holds (:mod:`transcribe_medical.models.constraints`); the rules between fields are
the model validators below. They take snake_case names and AWS's PascalCase names alike.

Response models (:class:`MedicalTranscriptionJob`, :class:`JobSummary`, :class:`MedicalVocabulary`,
:class:`VocabularySummary`) are built from boto3's dicts and read them leniently: fields AWS adds
later are kept, and a status or state AWS adds later is kept as a plain string.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any, ClassVar, Self

import pydantic
from pydantic import Field, TypeAdapter, field_validator, model_validator

from transcribe_medical import _limits
from transcribe_medical._exceptions import ValidationError
from transcribe_medical.models._base import RequestModel, ResponseModel
from transcribe_medical.models.constraints import (
    AnyCaseContentIdentification,
    AnyCaseLanguageCode,
    AnyCaseMediaFormat,
    AnyCaseTranscriptionType,
    BatchSpecialty,
    BucketName,
    JobName,
    KmsEncryptionContext,
    KmsKeyId,
    MaxAlternatives,
    MaxSpeakers,
    OutputKey,
    Phrases,
    S3Uri,
    SampleRate,
    Tags,
    VocabularyName,
)
from transcribe_medical.models.enums import (
    ContentIdentificationType,
    JobStatus,
    LanguageCode,
    MediaFormat,
    Specialty,
    TranscriptionType,
    VocabularyState,
)

__all__ = [
    "JobSettings",
    "JobSummary",
    "MedicalTranscriptionJob",
    "MedicalVocabulary",
    "StartJobRequest",
    "VocabularyRequest",
    "VocabularySummary",
    "check_name",
    "check_s3_media_uri",
]

_JOB_NAME: TypeAdapter[str] = TypeAdapter(JobName)
_S3_URI: TypeAdapter[str] = TypeAdapter(S3Uri)


def _checked(adapter: TypeAdapter[str], value: object) -> str:
    try:
        return adapter.validate_python(value)
    except pydantic.ValidationError as error:
        # The type's own sentence of what is allowed (see constraints.allowed).
        raise ValueError(error.errors(include_url=False)[0]["msg"]) from None


def check_name(value: object) -> str:
    """Check a job or vocabulary name against the API's pattern and length.

    Returns:
        The name, unchanged.

    Raises:
        ValueError: the name is not a string of 1-200 characters from ``[0-9a-zA-Z._-]``.
    """
    return _checked(_JOB_NAME, value)


def check_s3_media_uri(value: object) -> str:
    """Check that ``value`` is an ``s3://bucket/key`` URI Transcribe can read media from.

    Raises:
        ValueError: not a string, not ``s3://``, a bad bucket name, no key, or too long.
    """
    return _checked(_S3_URI, value)


class JobSettings(RequestModel):
    """Optional settings of a batch job (AWS ``MedicalTranscriptionSetting``).

    Rules (checked here, since botocore does not): ``max_speakers`` (2-30) is required with
    ``show_speaker_labels`` and allowed only with it; ``max_alternatives`` (2-10) likewise with
    ``show_alternatives``; speaker labels and channel identification cannot be combined.

    Example:
        >>> JobSettings(show_speaker_labels=True, max_speakers=2).to_api()
        {'ShowSpeakerLabels': True, 'MaxSpeakerLabels': 2}
    """

    show_speaker_labels: bool = Field(False, alias="ShowSpeakerLabels")
    max_speakers: MaxSpeakers | None = Field(None, alias="MaxSpeakerLabels")
    channel_identification: bool = Field(False, alias="ChannelIdentification")
    show_alternatives: bool = Field(False, alias="ShowAlternatives")
    max_alternatives: MaxAlternatives | None = Field(None, alias="MaxAlternatives")
    vocabulary_name: VocabularyName | None = Field(None, alias="VocabularyName")

    @model_validator(mode="after")
    def _cross_field_rules(self) -> Self:
        speakers = f"{_limits.SPEAKERS_MIN}-{_limits.SPEAKERS_MAX}"
        alternatives = f"{_limits.ALTERNATIVES_MIN}-{_limits.ALTERNATIVES_MAX}"
        if self.max_speakers is not None and not self.show_speaker_labels:
            raise ValidationError(
                f"max_speakers: {self.max_speakers} is invalid without show_speaker_labels=True; "
                "set show_speaker_labels=True or leave max_speakers out",
                field="max_speakers",
            )
        if self.show_speaker_labels and self.max_speakers is None:
            raise ValidationError(
                f"max_speakers: None is invalid with show_speaker_labels=True; give {speakers} speakers",
                field="max_speakers",
            )
        if self.max_alternatives is not None and not self.show_alternatives:
            raise ValidationError(
                f"max_alternatives: {self.max_alternatives} is invalid without show_alternatives=True; "
                "set show_alternatives=True or leave max_alternatives out",
                field="max_alternatives",
            )
        if self.show_alternatives and self.max_alternatives is None:
            raise ValidationError(
                f"max_alternatives: None is invalid with show_alternatives=True; give {alternatives}",
                field="max_alternatives",
            )
        if self.show_speaker_labels and self.channel_identification:
            raise ValidationError(
                "channel_identification: True is invalid together with show_speaker_labels=True; "
                "batch jobs allow speaker labels or channel identification, not both",
                field="channel_identification",
            )
        return self

    def to_api(self) -> dict[str, Any]:
        """The ``Settings`` dict for boto3 (only what is set)."""
        api: dict[str, Any] = {}
        if self.show_speaker_labels:
            api["ShowSpeakerLabels"] = True
            api["MaxSpeakerLabels"] = self.max_speakers
        if self.channel_identification:
            api["ChannelIdentification"] = True
        if self.show_alternatives:
            api["ShowAlternatives"] = True
            api["MaxAlternatives"] = self.max_alternatives
        if self.vocabulary_name is not None:
            api["VocabularyName"] = self.vocabulary_name
        return api


def _tags_to_api(tags: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"Key": key, "Value": value} for key, value in tags.items()]


class StartJobRequest(RequestModel):
    """A request to start a batch medical transcription job (StartMedicalTranscriptionJob).

    Batch supports the PRIMARYCARE specialty only (Primary Care sub-specialties such as
    ``"pediatrics"`` are accepted and map to it); CARDIOLOGY and the other streaming-only
    specialties are refused here, before any request is made.

    Example:
        >>> request = StartJobRequest(
        ...     job_name="visit-0412",
        ...     media_uri="s3://my-bucket/audio/visit-0412.wav",
        ...     output_bucket="my-output-bucket",
        ...     type="CONVERSATION",
        ... )
        >>> request.to_api()["Specialty"]
        'PRIMARYCARE'

    Attributes:
        job_name: Unique name (1-200 of ``[0-9a-zA-Z._-]``); also the default output file name.
        media_uri: ``s3://bucket/key`` of the audio.
        output_bucket: Bucket (name only) where Transcribe writes the transcript.
        output_key: Optional object key or folder for the transcript (see ``output_location``).
        specialty: PRIMARYCARE (default) or one of its sub-specialty aliases.
        type: CONVERSATION or DICTATION (default DICTATION).
        language_code: en-US, the only language of Transcribe Medical.
        media_format: Container format; AWS detects it when left out.
        sample_rate: 16000-48000 Hz; AWS advises leaving it out (a mismatch fails the job).
        settings: Speaker labels, channel identification, alternatives, vocabulary.
        content_identification: ``PHI`` to label protected health information.
        kms_key_id: KMS key (id, alias or ARN) for SSE-KMS on the output.
        kms_encryption_context: 1-10 non-secret key/value pairs for KMS.
        tags: 1-200 tags as a dict (or AWS's list of ``{"Key", "Value"}``).
    """

    job_name: JobName = Field(alias="MedicalTranscriptionJobName")
    media_uri: S3Uri = Field(alias="MediaFileUri")
    output_bucket: BucketName = Field(alias="OutputBucketName")
    output_key: OutputKey | None = Field(None, alias="OutputKey")
    specialty: BatchSpecialty = Field(Specialty.PRIMARYCARE, alias="Specialty")
    type: AnyCaseTranscriptionType = Field(TranscriptionType.DICTATION, alias="Type")
    language_code: AnyCaseLanguageCode = Field(LanguageCode.EN_US, alias="LanguageCode")
    media_format: AnyCaseMediaFormat | None = Field(None, alias="MediaFormat")
    sample_rate: SampleRate | None = Field(None, alias="MediaSampleRateHertz")
    settings: JobSettings | None = Field(None, alias="Settings")
    content_identification: AnyCaseContentIdentification | None = Field(None, alias="ContentIdentificationType")
    kms_key_id: KmsKeyId | None = Field(None, alias="OutputEncryptionKMSKeyId")
    kms_encryption_context: KmsEncryptionContext | None = Field(None, alias="KMSEncryptionContext")
    tags: Tags | None = Field(None, alias="Tags")

    _media_alias: ClassVar[str] = "Media"

    @model_validator(mode="before")
    @classmethod
    def _flatten_media(cls, data: Any) -> Any:
        # AWS nests the URI: Media={"MediaFileUri": ...}; accept that form as well.
        if isinstance(data, Mapping) and cls._media_alias in data:
            media = data[cls._media_alias]
            data = {k: v for k, v in data.items() if k != cls._media_alias}
            if isinstance(media, Mapping) and "MediaFileUri" in media:
                data.setdefault("MediaFileUri", media["MediaFileUri"])
            else:
                raise ValidationError(
                    f"media: {media!r} is invalid: use {{'MediaFileUri': 's3://bucket/key'}}", field="media"
                )
        return data

    def to_api(self) -> dict[str, Any]:
        """The keyword arguments of boto3's ``start_medical_transcription_job``."""
        api: dict[str, Any] = {
            "MedicalTranscriptionJobName": self.job_name,
            "LanguageCode": self.language_code.value,
            "Media": {"MediaFileUri": self.media_uri},
            "OutputBucketName": self.output_bucket,
            "Specialty": self.specialty.value,
            "Type": self.type.value,
        }
        if self.output_key is not None:
            api["OutputKey"] = self.output_key
        if self.media_format is not None:
            api["MediaFormat"] = self.media_format.value
        if self.sample_rate is not None:
            api["MediaSampleRateHertz"] = self.sample_rate
        if self.settings is not None:
            settings = self.settings.to_api()
            if settings:
                api["Settings"] = settings
        if self.content_identification is not None:
            api["ContentIdentificationType"] = self.content_identification.value
        if self.kms_key_id is not None:
            api["OutputEncryptionKMSKeyId"] = self.kms_key_id
        if self.kms_encryption_context is not None:
            api["KMSEncryptionContext"] = dict(self.kms_encryption_context)
        if self.tags is not None:
            api["Tags"] = _tags_to_api(self.tags)
        return api


class VocabularyRequest(RequestModel):
    """A request to create (or replace) a medical vocabulary, from phrases or an S3 file.

    CreateMedicalVocabulary reads only an S3 file: with ``phrases`` the facade renders them with
    :meth:`table_text` and uploads that file first. Each phrase is at most 256 characters and the
    file at most 50 KB.

    Attributes:
        name: Vocabulary name (1-200 of ``[0-9a-zA-Z._-]``).
        phrases: Words or phrases to teach Transcribe (give this or ``file_uri``).
        file_uri: ``s3://bucket/key`` of a ready table-format vocabulary file.
        language_code: en-US.
        tags: 1-200 tags.
    """

    name: VocabularyName = Field(alias="VocabularyName")
    phrases: Phrases | None = None
    file_uri: S3Uri | None = Field(None, alias="VocabularyFileUri")
    language_code: AnyCaseLanguageCode = Field(LanguageCode.EN_US, alias="LanguageCode")
    tags: Tags | None = Field(None, alias="Tags")

    @model_validator(mode="after")
    def _source(self) -> Self:
        if (self.phrases is None) == (self.file_uri is None):
            raise ValidationError(
                f"phrases/file_uri: got {'both' if self.phrases else 'neither'}; give exactly one "
                "(a list of phrases, or the s3:// URI of a vocabulary file)",
                field="phrases",
            )
        if self.phrases is not None:
            size = len(self.table_text().encode("utf-8"))
            if size > _limits.VOCABULARY_MAX_BYTES:
                raise ValidationError(
                    f"phrases: the vocabulary file would be {size} bytes; the limit is "
                    f"{_limits.VOCABULARY_MAX_BYTES} bytes (50 KB): use fewer phrases",
                    field="phrases",
                )
        return self

    def table_text(self) -> str:
        """The phrases as a table-format vocabulary file (tab-separated, with a header).

        Words of a phrase are joined with hyphens in the ``Phrase`` column (the table format's
        rule); ``DisplayAs`` keeps the phrase as written.
        """
        lines = ["Phrase\tSoundsLike\tIPA\tDisplayAs"]
        for phrase in self.phrases or ():
            hyphenated = "-".join(phrase.split())
            lines.append(f"{hyphenated}\t\t\t{phrase if hyphenated != phrase else ''}")
        return "\n".join(lines) + "\n"

    def to_api(self, file_uri: str | None = None) -> dict[str, Any]:
        """The keyword arguments of boto3's ``create_medical_vocabulary``.

        Args:
            file_uri: Where the phrases were uploaded (required when built from ``phrases``).
        """
        uri = file_uri or self.file_uri
        if uri is None:
            raise ValidationError(
                "file_uri: None is invalid: upload the phrases first and pass their s3:// URI",
                field="file_uri",
            )
        api: dict[str, Any] = {
            "VocabularyName": self.name,
            "LanguageCode": self.language_code.value,
            "VocabularyFileUri": check_s3_media_uri(uri),
        }
        if self.tags is not None:
            api["Tags"] = _tags_to_api(self.tags)
        return api


# ---------------------------------------------------------------------------------------------
# Response models
# ---------------------------------------------------------------------------------------------


# A value AWS adds later is kept as the plain string it sent (DESIGN.md, Forward compatibility); a
# known one becomes its enum member. left_to_right: in pydantic's default "smart" mode the exact
# match, str, would win and known values would never become members.
_KEEP_UNKNOWN: Any = Field(union_mode="left_to_right")


def _lenient_settings(value: object) -> JobSettings | None:
    if value is None or isinstance(value, JobSettings):
        return value
    if not isinstance(value, Mapping):
        return None
    try:
        return JobSettings.model_validate(value)
    except ValidationError:
        # A response is what it is: keep what AWS said even when it breaks the request rules (or
        # carries a setting added later).
        fields = {
            name: value[info.alias]
            for name, info in JobSettings.model_fields.items()
            if info.alias is not None and info.alias in value
        }
        return JobSettings.model_construct(**fields)


def _tags_from_list(tags: object) -> object:
    if not isinstance(tags, list):
        return tags
    return {
        str(tag["Key"]): str(tag.get("Value") or "")
        for tag in tags
        if isinstance(tag, Mapping) and tag.get("Key") is not None
    }


class MedicalTranscriptionJob(ResponseModel):
    """A batch job as the service describes it (Start, Get); keeps fields AWS adds later.

    Enumerated fields hold their enum member (``JobStatus.COMPLETED``), or the plain string AWS
    sent when it is a value added after this release.

    Attributes:
        name: The job name.
        status: QUEUED, IN_PROGRESS, COMPLETED or FAILED (None when not reported, as moto's Start).
        media_uri: The input media URI.
        transcript_uri: Where the transcript is (an HTTPS S3 URL) once COMPLETED.
        failure_reason: Why the job FAILED (free text).
        settings: The job's settings as AWS echoes them.
    """

    name: str = Field(alias="MedicalTranscriptionJobName")
    status: Annotated[JobStatus | str | None, _KEEP_UNKNOWN] = Field(None, alias="TranscriptionJobStatus")
    language_code: Annotated[LanguageCode | str | None, _KEEP_UNKNOWN] = Field(None, alias="LanguageCode")
    sample_rate: int | None = Field(None, alias="MediaSampleRateHertz")
    media_format: Annotated[MediaFormat | str | None, _KEEP_UNKNOWN] = Field(None, alias="MediaFormat")
    media_uri: str | None = None
    transcript_uri: str | None = None
    creation_time: datetime | None = Field(None, alias="CreationTime")
    start_time: datetime | None = Field(None, alias="StartTime")
    completion_time: datetime | None = Field(None, alias="CompletionTime")
    failure_reason: str | None = Field(None, alias="FailureReason")
    settings: JobSettings | None = Field(None, alias="Settings")
    content_identification: Annotated[ContentIdentificationType | str | None, _KEEP_UNKNOWN] = Field(
        None, alias="ContentIdentificationType"
    )
    specialty: Annotated[Specialty | str | None, _KEEP_UNKNOWN] = Field(None, alias="Specialty")
    type: Annotated[TranscriptionType | str | None, _KEEP_UNKNOWN] = Field(None, alias="Type")
    tags: dict[str, str] | None = Field(None, alias="Tags")

    @model_validator(mode="before")
    @classmethod
    def _flatten(cls, data: Any) -> Any:
        if isinstance(data, Mapping):
            data = dict(data)
            media = data.pop("Media", None)
            if isinstance(media, Mapping):
                data.setdefault("media_uri", media.get("MediaFileUri"))
            transcript = data.pop("Transcript", None)
            if isinstance(transcript, Mapping):
                data.setdefault("transcript_uri", transcript.get("TranscriptFileUri"))
            if "Tags" in data:
                data["Tags"] = _tags_from_list(data["Tags"])
        return data

    @field_validator("settings", mode="wrap")
    @classmethod
    def _settings(cls, value: object, handler: pydantic.ValidatorFunctionWrapHandler) -> JobSettings | None:
        # Not handler(value): that would re-run the request rules on what AWS echoed.
        return _lenient_settings(value)

    @property
    def is_done(self) -> bool:
        """True once the job is COMPLETED or FAILED."""
        return isinstance(self.status, JobStatus) and self.status.is_terminal

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> MedicalTranscriptionJob:
        """Build from boto3's ``MedicalTranscriptionJob`` dict."""
        return cls.model_validate(dict(data))


class JobSummary(ResponseModel):
    """One entry of ListMedicalTranscriptionJobs (enumerated fields as in :class:`MedicalTranscriptionJob`)."""

    name: str = Field(alias="MedicalTranscriptionJobName")
    status: Annotated[JobStatus | str | None, _KEEP_UNKNOWN] = Field(None, alias="TranscriptionJobStatus")
    creation_time: datetime | None = Field(None, alias="CreationTime")
    start_time: datetime | None = Field(None, alias="StartTime")
    completion_time: datetime | None = Field(None, alias="CompletionTime")
    language_code: Annotated[LanguageCode | str | None, _KEEP_UNKNOWN] = Field(None, alias="LanguageCode")
    failure_reason: str | None = Field(None, alias="FailureReason")
    output_location_type: str | None = Field(None, alias="OutputLocationType")
    specialty: Annotated[Specialty | str | None, _KEEP_UNKNOWN] = Field(None, alias="Specialty")
    content_identification: Annotated[ContentIdentificationType | str | None, _KEEP_UNKNOWN] = Field(
        None, alias="ContentIdentificationType"
    )
    type: Annotated[TranscriptionType | str | None, _KEEP_UNKNOWN] = Field(None, alias="Type")


class MedicalVocabulary(ResponseModel):
    """A medical vocabulary as the service describes it (Create, Get, Update).

    Attributes:
        name: The vocabulary name.
        state: PENDING, READY or FAILED (None when not reported, as moto's Create); a state AWS
            adds later is kept as the plain string it sent.
        failure_reason: Why it FAILED (free text).
        download_uri: A URL of the vocabulary file (Get only; presigned by AWS: never log it).
    """

    name: str = Field(alias="VocabularyName")
    language_code: Annotated[LanguageCode | str | None, _KEEP_UNKNOWN] = Field(None, alias="LanguageCode")
    state: Annotated[VocabularyState | str | None, _KEEP_UNKNOWN] = Field(None, alias="VocabularyState")
    last_modified_time: datetime | None = Field(None, alias="LastModifiedTime")
    failure_reason: str | None = Field(None, alias="FailureReason")
    download_uri: str | None = Field(None, alias="DownloadUri")

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> MedicalVocabulary:
        """Build from a boto3 response dict (extra keys such as ResponseMetadata are dropped)."""
        return cls.model_validate({k: v for k, v in data.items() if k != "ResponseMetadata"})


class VocabularySummary(ResponseModel):
    """One entry of ListMedicalVocabularies (a state added later is kept as a plain string)."""

    name: str = Field(alias="VocabularyName")
    language_code: Annotated[LanguageCode | str | None, _KEEP_UNKNOWN] = Field(None, alias="LanguageCode")
    state: Annotated[VocabularyState | str | None, _KEEP_UNKNOWN] = Field(None, alias="VocabularyState")
    last_modified_time: datetime | None = Field(None, alias="LastModifiedTime")
