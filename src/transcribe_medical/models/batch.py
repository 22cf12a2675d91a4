"""Batch models: job requests and settings, jobs and summaries, medical vocabularies.

Request models (:class:`StartJobRequest`, :class:`JobSettings`, :class:`VocabularyRequest`) enforce
every limit of the API and the cross-field rules botocore does not check (reference §1.3, §1.11),
so a bad request is refused before anything is sent. They take snake_case names and AWS's
PascalCase names alike. Response models (:class:`MedicalTranscriptionJob`, :class:`JobSummary`,
:class:`MedicalVocabulary`, :class:`VocabularySummary`) are built from boto3's dicts and keep any
field AWS adds later.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar, Self

import pydantic
from pydantic import BaseModel, Field, field_validator, model_validator

from transcribe_medical import _limits
from transcribe_medical._exceptions import ValidationError
from transcribe_medical.models._base import RequestModel, ResponseModel, to_validation_error
from transcribe_medical.models.enums import (
    ContentIdentificationType,
    JobStatus,
    LanguageCode,
    MediaFormat,
    Mode,
    Specialty,
    TranscriptionType,
    VocabularyState,
)
from transcribe_medical.specialties import validate_specialty

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

_NAME_RE = re.compile(_limits.NAME_PATTERN)
_BUCKET_RE = re.compile(_limits.BUCKET_PATTERN)
_OUTPUT_KEY_RE = re.compile(_limits.OUTPUT_KEY_PATTERN)
_KMS_KEY_RE = re.compile(_limits.KMS_KEY_PATTERN)
_PRINTABLE_RE = re.compile(r"^[\x20-\x7E]+$")
# S3 bucket naming rules (3-63 characters, lower case, digits, dots, hyphens) and a non-empty key.
_S3_MEDIA_RE = re.compile(r"^s3://([a-z0-9][a-z0-9.\-]{1,61}[a-z0-9])/(.+)$", re.S)

_NAME_RULE = (
    f"use 1-{_limits.NAME_MAX_LENGTH} characters from A-Z, a-z, 0-9, '.', '_' and '-' "
    "('.' and '..' alone are not allowed)"
)


def _choices(values: Any) -> str:
    return ", ".join(str(v.value if hasattr(v, "value") else v) for v in values)


def check_name(value: object) -> str:
    """Check a job or vocabulary name against the API's pattern and length.

    Returns:
        The name, unchanged.

    Raises:
        ValueError: the name is not a string of 1-200 characters from ``[0-9a-zA-Z._-]``.
    """
    if (
        not isinstance(value, str)
        or not 1 <= len(value) <= _limits.NAME_MAX_LENGTH
        or not _NAME_RE.match(value)
        or value in (".", "..")
    ):
        raise ValueError(_NAME_RULE)
    return value


def check_s3_media_uri(value: object) -> str:
    """Check that ``value`` is an ``s3://bucket/key`` URI Transcribe can read media from.

    Raises:
        ValueError: not a string, not ``s3://``, a bad bucket name, no key, or too long.
    """
    if not isinstance(value, str) or not _S3_MEDIA_RE.match(value) or len(value) > _limits.URI_MAX_LENGTH:
        raise ValueError(
            f"use an s3://bucket/key URI of at most {_limits.URI_MAX_LENGTH} characters, e.g. "
            "s3://my-bucket/audio/visit.wav (Transcribe Medical reads batch media from S3 only; "
            "bucket names are 3-63 characters of a-z, 0-9, '.' and '-')"
        )
    return value


def _check_enum(value: object, enum: Any, *, lower: bool) -> Any:
    if isinstance(value, enum):
        return value
    if isinstance(value, str):
        text = value.strip().lower() if lower else value.strip().upper()
        for member in enum:
            if member.value == text:
                return member
    raise ValueError(f"use one of {_choices(enum)}")


def _check_int_range(value: object, low: int, high: int, unit: str = "") -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"use a whole number from {low} to {high}{unit}")
    try:
        number = int(value)
    except ValueError:
        raise ValueError(f"use a whole number from {low} to {high}{unit}") from None
    if not low <= number <= high:
        raise ValueError(f"use a whole number from {low} to {high}{unit}")
    return number


def _own_error(error: pydantic.ValidationError, model: type[BaseModel]) -> ValidationError:
    """Prefer a library error raised inside a validator (it already reads well) over pydantic's."""
    details = error.errors(include_url=False)
    first = details[0]
    by_alias = {info.alias: name for name, info in model.model_fields.items() if info.alias}
    loc = [by_alias.get(str(part), part) if i == 0 else part for i, part in enumerate(first["loc"])]
    location = ".".join(str(part) for part in loc)
    own = first.get("ctx", {}).get("error")
    if isinstance(own, ValidationError):
        if type(own) is ValidationError and location and own.field and not own.field.startswith(location):
            return ValidationError(f"{location}.{own}", field=f"{location}.{own.field}")
        return own
    if first["type"] == "extra_forbidden":
        return ValidationError(f"{location}: unknown field {location!r}; check the spelling", field=location)
    if first["type"] == "missing":
        return ValidationError(f"{location}: missing; this field is required", field=location)
    return to_validation_error(error)


class _BatchRequestModel(RequestModel):
    """A request model whose custom errors keep their class (e.g. UnsupportedSpecialtyError)."""

    def __init__(self, /, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as error:
            raise _rephrased(error, type(self)) from error.__cause__

    @classmethod
    def model_validate(cls, obj: Any, *args: Any, **kwargs: Any) -> Self:
        """Validate ``obj`` (snake_case or PascalCase keys), raising :class:`ValidationError`."""
        try:
            return super().model_validate(obj, *args, **kwargs)
        except ValidationError as error:
            raise _rephrased(error, cls) from error.__cause__


def _rephrased(error: ValidationError, model: type[BaseModel]) -> ValidationError:
    cause = error.__cause__
    return _own_error(cause, model) if isinstance(cause, pydantic.ValidationError) else error


class JobSettings(_BatchRequestModel):
    """Optional settings of a batch job (AWS ``MedicalTranscriptionSetting``).

    Rules (checked here, since botocore does not): ``max_speakers`` (2-30) is required with
    ``show_speaker_labels`` and allowed only with it; ``max_alternatives`` (2-10) likewise with
    ``show_alternatives``; speaker labels and channel identification cannot be combined.

    Example:
        >>> JobSettings(show_speaker_labels=True, max_speakers=2).to_api()
        {'ShowSpeakerLabels': True, 'MaxSpeakerLabels': 2}
    """

    show_speaker_labels: bool = Field(False, alias="ShowSpeakerLabels")
    max_speakers: int | None = Field(None, alias="MaxSpeakerLabels")
    channel_identification: bool = Field(False, alias="ChannelIdentification")
    show_alternatives: bool = Field(False, alias="ShowAlternatives")
    max_alternatives: int | None = Field(None, alias="MaxAlternatives")
    vocabulary_name: str | None = Field(None, alias="VocabularyName")

    @field_validator("max_speakers", mode="before")
    @classmethod
    def _max_speakers(cls, value: object) -> int | None:
        if value is None:
            return None
        return _check_int_range(value, _limits.SPEAKERS_MIN, _limits.SPEAKERS_MAX, " speakers")

    @field_validator("max_alternatives", mode="before")
    @classmethod
    def _max_alternatives(cls, value: object) -> int | None:
        if value is None:
            return None
        return _check_int_range(value, _limits.ALTERNATIVES_MIN, _limits.ALTERNATIVES_MAX, " alternatives")

    @field_validator("vocabulary_name", mode="before")
    @classmethod
    def _vocabulary_name(cls, value: object) -> str | None:
        return None if value is None else check_name(value)

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


def _normalise_tags(value: object) -> dict[str, str]:
    """Accept ``{"k": "v"}`` or ``[{"Key": "k", "Value": "v"}]`` and check the limits."""
    pairs: list[tuple[object, object]] = []
    if isinstance(value, Mapping):
        pairs = list(value.items())
    elif isinstance(value, list | tuple):
        for entry in value:
            if isinstance(entry, Mapping) and ("Key" in entry or "key" in entry):
                pairs.append((entry.get("Key", entry.get("key")), entry.get("Value", entry.get("value", ""))))
            elif isinstance(entry, list | tuple) and len(entry) == 2:
                pairs.append((entry[0], entry[1]))
            else:
                raise ValueError('use a dict {"key": "value"} or a list of {"Key": ..., "Value": ...}')
    else:
        raise ValueError('use a dict {"key": "value"} or a list of {"Key": ..., "Value": ...}')
    if not _limits.TAGS_MIN <= len(pairs) <= _limits.TAGS_MAX:
        raise ValueError(f"use {_limits.TAGS_MIN} to {_limits.TAGS_MAX} tags (or leave tags out)")
    tags: dict[str, str] = {}
    for key, tag_value in pairs:
        if not isinstance(key, str) or not 1 <= len(key) <= _limits.TAG_KEY_MAX:
            raise ValueError(f"tag keys are strings of 1-{_limits.TAG_KEY_MAX} characters (got {key!r})")
        if not isinstance(tag_value, str) or len(tag_value) > _limits.TAG_VALUE_MAX:
            raise ValueError(
                f"tag values are strings of 0-{_limits.TAG_VALUE_MAX} characters (key {key!r})"
            )
        if key in tags:
            raise ValueError(f"tag keys must be unique ({key!r} is repeated)")
        tags[key] = tag_value
    return tags


def _tags_to_api(tags: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"Key": key, "Value": value} for key, value in tags.items()]


class StartJobRequest(_BatchRequestModel):
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

    job_name: str = Field(alias="MedicalTranscriptionJobName")
    media_uri: str = Field(alias="MediaFileUri")
    output_bucket: str = Field(alias="OutputBucketName")
    output_key: str | None = Field(None, alias="OutputKey")
    specialty: Specialty = Field(Specialty.PRIMARYCARE, alias="Specialty")
    type: TranscriptionType = Field(TranscriptionType.DICTATION, alias="Type")
    language_code: LanguageCode = Field(LanguageCode.EN_US, alias="LanguageCode")
    media_format: MediaFormat | None = Field(None, alias="MediaFormat")
    sample_rate: int | None = Field(None, alias="MediaSampleRateHertz")
    settings: JobSettings | None = Field(None, alias="Settings")
    content_identification: ContentIdentificationType | None = Field(None, alias="ContentIdentificationType")
    kms_key_id: str | None = Field(None, alias="OutputEncryptionKMSKeyId")
    kms_encryption_context: dict[str, str] | None = Field(None, alias="KMSEncryptionContext")
    tags: dict[str, str] | None = Field(None, alias="Tags")

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

    @field_validator("job_name", mode="before")
    @classmethod
    def _job_name(cls, value: object) -> str:
        return check_name(value)

    @field_validator("media_uri", mode="before")
    @classmethod
    def _media_uri(cls, value: object) -> str:
        return check_s3_media_uri(value)

    @field_validator("output_bucket", mode="before")
    @classmethod
    def _output_bucket(cls, value: object) -> str:
        if not isinstance(value, str) or not _BUCKET_RE.match(value) or len(value) > 63:
            hint = " (give the bucket name only, without s3://)" if isinstance(value, str) and "/" in value else ""
            raise ValueError(
                f"use a bucket name of 3-63 characters from a-z, 0-9, '.' and '-', starting and "
                f"ending with a letter or digit{hint}"
            )
        return value

    @field_validator("output_key", mode="before")
    @classmethod
    def _output_key(cls, value: object) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str) or not _OUTPUT_KEY_RE.match(value):
            raise ValueError(
                "use 1-1024 characters from A-Z, a-z, 0-9 and - _ . ! * ' ( ) / "
                "(end in .json for a file name, or '/' for a folder)"
            )
        return value

    @field_validator("specialty", mode="before")
    @classmethod
    def _specialty(cls, value: object) -> Specialty:
        if not isinstance(value, Specialty | str):
            raise ValueError("use PRIMARYCARE (the only specialty of batch jobs)")
        return validate_specialty(value, Mode.BATCH)

    @field_validator("type", mode="before")
    @classmethod
    def _type(cls, value: object) -> TranscriptionType:
        result: TranscriptionType = _check_enum(value, TranscriptionType, lower=False)
        return result

    @field_validator("language_code", mode="before")
    @classmethod
    def _language_code(cls, value: object) -> LanguageCode:
        if value == LanguageCode.EN_US or (isinstance(value, str) and value.strip().lower() == "en-us"):
            return LanguageCode.EN_US
        raise ValueError("Transcribe Medical supports en-US only")

    @field_validator("media_format", mode="before")
    @classmethod
    def _media_format(cls, value: object) -> MediaFormat | None:
        if value is None:
            return None
        result: MediaFormat = _check_enum(value, MediaFormat, lower=True)
        return result

    @field_validator("sample_rate", mode="before")
    @classmethod
    def _sample_rate(cls, value: object) -> int | None:
        if value is None:
            return None
        return _check_int_range(value, _limits.SAMPLE_RATE_MIN, _limits.SAMPLE_RATE_MAX, " Hz (or leave it out)")

    @field_validator("content_identification", mode="before")
    @classmethod
    def _content_identification(cls, value: object) -> ContentIdentificationType | None:
        if value is None:
            return None
        result: ContentIdentificationType = _check_enum(value, ContentIdentificationType, lower=False)
        return result

    @field_validator("kms_key_id", mode="before")
    @classmethod
    def _kms_key_id(cls, value: object) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str) or len(value) > _limits.KMS_KEY_MAX_LENGTH or not _KMS_KEY_RE.match(value):
            raise ValueError(
                f"use a KMS key id, alias or ARN of 1-{_limits.KMS_KEY_MAX_LENGTH} characters from "
                "A-Z, a-z, 0-9 and : _ / + = , @ . -"
            )
        return value

    @field_validator("kms_encryption_context", mode="before")
    @classmethod
    def _kms_context(cls, value: object) -> dict[str, str] | None:
        if value is None:
            return None
        rule = (
            f"use {_limits.KMS_CONTEXT_MIN}-{_limits.KMS_CONTEXT_MAX} pairs of printable ASCII strings "
            "(1-2000 characters each)"
        )
        if not isinstance(value, Mapping) or not _limits.KMS_CONTEXT_MIN <= len(value) <= _limits.KMS_CONTEXT_MAX:
            raise ValueError(rule)
        for key, item in value.items():
            for text in (key, item):
                if not isinstance(text, str) or len(text) > 2000 or not _PRINTABLE_RE.match(text):
                    raise ValueError(rule)
        return dict(value)

    @field_validator("tags", mode="before")
    @classmethod
    def _tags(cls, value: object) -> dict[str, str] | None:
        return None if value is None else _normalise_tags(value)

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


class VocabularyRequest(_BatchRequestModel):
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

    name: str = Field(alias="VocabularyName")
    phrases: tuple[str, ...] | None = None
    file_uri: str | None = Field(None, alias="VocabularyFileUri")
    language_code: LanguageCode = Field(LanguageCode.EN_US, alias="LanguageCode")
    tags: dict[str, str] | None = Field(None, alias="Tags")

    @field_validator("name", mode="before")
    @classmethod
    def _name(cls, value: object) -> str:
        return check_name(value)

    @field_validator("phrases", mode="before")
    @classmethod
    def _phrases(cls, value: object) -> tuple[str, ...] | None:
        if value is None:
            return None
        if isinstance(value, str) or not isinstance(value, list | tuple):
            raise ValueError("use a list of phrases (strings)")
        phrases: list[str] = []
        for index, phrase in enumerate(value):
            if not isinstance(phrase, str) or not phrase.strip():
                raise ValueError(f"phrase [{index}] is empty; use non-empty strings")
            if len(phrase) > _limits.PHRASE_MAX_CHARS:
                raise ValueError(
                    f"phrase [{index}] has {len(phrase)} characters; use at most {_limits.PHRASE_MAX_CHARS}"
                )
            if any(ch in phrase for ch in "\t\r\n"):
                raise ValueError(f"phrase [{index}] contains a tab or line break; use one line of text")
            phrases.append(phrase.strip())
        if not phrases:
            raise ValueError("use at least one phrase")
        return tuple(phrases)

    @field_validator("file_uri", mode="before")
    @classmethod
    def _file_uri(cls, value: object) -> str | None:
        return None if value is None else check_s3_media_uri(value)

    @field_validator("language_code", mode="before")
    @classmethod
    def _language_code(cls, value: object) -> LanguageCode:
        if value == LanguageCode.EN_US or (isinstance(value, str) and value.strip().lower() == "en-us"):
            return LanguageCode.EN_US
        raise ValueError("Transcribe Medical supports en-US only")

    @field_validator("tags", mode="before")
    @classmethod
    def _tags(cls, value: object) -> dict[str, str] | None:
        return None if value is None else _normalise_tags(value)

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


def _lenient_settings(value: object) -> JobSettings | None:
    if value is None or isinstance(value, JobSettings):
        return value
    if not isinstance(value, Mapping):
        return None
    try:
        return JobSettings.model_validate(value)
    except ValidationError:
        # A response is what it is: keep what AWS said even when it breaks the request rules.
        fields = {
            name: value[info.alias]
            for name, info in JobSettings.model_fields.items()
            if info.alias is not None and info.alias in value
        }
        return JobSettings.model_construct(**fields)


class MedicalTranscriptionJob(ResponseModel):
    """A batch job as the service describes it (Start, Get); keeps fields AWS adds later.

    Attributes:
        name: The job name.
        status: QUEUED, IN_PROGRESS, COMPLETED or FAILED (None when not reported, as moto's Start).
        media_uri: The input media URI.
        transcript_uri: Where the transcript is (an HTTPS S3 URL) once COMPLETED.
        failure_reason: Why the job FAILED (free text).
        settings: The job's settings as AWS echoes them.
    """

    name: str = Field(alias="MedicalTranscriptionJobName")
    status: JobStatus | None = Field(None, alias="TranscriptionJobStatus")
    language_code: str | None = Field(None, alias="LanguageCode")
    sample_rate: int | None = Field(None, alias="MediaSampleRateHertz")
    media_format: str | None = Field(None, alias="MediaFormat")
    media_uri: str | None = None
    transcript_uri: str | None = None
    creation_time: datetime | None = Field(None, alias="CreationTime")
    start_time: datetime | None = Field(None, alias="StartTime")
    completion_time: datetime | None = Field(None, alias="CompletionTime")
    failure_reason: str | None = Field(None, alias="FailureReason")
    settings: JobSettings | None = Field(None, alias="Settings")
    content_identification: str | None = Field(None, alias="ContentIdentificationType")
    specialty: str | None = Field(None, alias="Specialty")
    type: str | None = Field(None, alias="Type")
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
            if isinstance(data.get("Tags"), list):
                data["Tags"] = {t.get("Key"): t.get("Value", "") for t in data["Tags"] if isinstance(t, Mapping)}
        return data

    @field_validator("settings", mode="wrap")
    @classmethod
    def _settings(cls, value: object, handler: pydantic.ValidatorFunctionWrapHandler) -> JobSettings | None:
        # Not handler(value): that would re-run the request rules on what AWS echoed.
        return _lenient_settings(value)

    @property
    def is_done(self) -> bool:
        """True once the job is COMPLETED or FAILED."""
        return self.status is not None and self.status.is_terminal

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> MedicalTranscriptionJob:
        """Build from boto3's ``MedicalTranscriptionJob`` dict."""
        return cls.model_validate(dict(data))


class JobSummary(ResponseModel):
    """One entry of ListMedicalTranscriptionJobs."""

    name: str = Field(alias="MedicalTranscriptionJobName")
    status: JobStatus | None = Field(None, alias="TranscriptionJobStatus")
    creation_time: datetime | None = Field(None, alias="CreationTime")
    start_time: datetime | None = Field(None, alias="StartTime")
    completion_time: datetime | None = Field(None, alias="CompletionTime")
    language_code: str | None = Field(None, alias="LanguageCode")
    failure_reason: str | None = Field(None, alias="FailureReason")
    output_location_type: str | None = Field(None, alias="OutputLocationType")
    specialty: str | None = Field(None, alias="Specialty")
    content_identification: str | None = Field(None, alias="ContentIdentificationType")
    type: str | None = Field(None, alias="Type")


class MedicalVocabulary(ResponseModel):
    """A medical vocabulary as the service describes it (Create, Get, Update).

    Attributes:
        name: The vocabulary name.
        state: PENDING, READY or FAILED (None when not reported, as moto's Create).
        failure_reason: Why it FAILED (free text).
        download_uri: A URL of the vocabulary file (Get only; presigned by AWS: never log it).
    """

    name: str = Field(alias="VocabularyName")
    language_code: str | None = Field(None, alias="LanguageCode")
    state: VocabularyState | None = Field(None, alias="VocabularyState")
    last_modified_time: datetime | None = Field(None, alias="LastModifiedTime")
    failure_reason: str | None = Field(None, alias="FailureReason")
    download_uri: str | None = Field(None, alias="DownloadUri")

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> MedicalVocabulary:
        """Build from a boto3 response dict (extra keys such as ResponseMetadata are dropped)."""
        return cls.model_validate({k: v for k, v in data.items() if k != "ResponseMetadata"})


class VocabularySummary(ResponseModel):
    """One entry of ListMedicalVocabularies."""

    name: str = Field(alias="VocabularyName")
    language_code: str | None = Field(None, alias="LanguageCode")
    state: VocabularyState | None = Field(None, alias="VocabularyState")
    last_modified_time: datetime | None = Field(None, alias="LastModifiedTime")
