"""Constrained types of what the SDK sends, each named for what it is (``JobName``, ``S3Uri``, ...).

Each type carries the service's limits (from :mod:`transcribe_medical._limits`, the one source of
the numbers) as pydantic constraints, and one sentence saying what is allowed: when a value breaks
the type, that sentence is the message, so an error reads
``job_name: 'has space' is invalid: use 1-200 characters from ...`` rather than a regular
expression. pydantic's errors become :class:`~transcribe_medical.ValidationError` in one place,
the models' base class.

Example:
    >>> from pydantic import TypeAdapter
    >>> TypeAdapter(JobName).validate_python("visit-0412")
    'visit-0412'
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from enum import Enum
from typing import Annotated, Any

import pydantic
from pydantic import BeforeValidator, Field, StringConstraints, WrapValidator
from pydantic_core import PydanticCustomError

from transcribe_medical import _limits
from transcribe_medical.models.enums import (
    ContentIdentificationType,
    LanguageCode,
    MediaEncoding,
    MediaFormat,
    Mode,
    Specialty,
    TranscriptionType,
)
from transcribe_medical.specialties import validate_specialty

__all__ = [
    "AnyCaseContentIdentification",
    "AnyCaseLanguageCode",
    "AnyCaseMediaEncoding",
    "AnyCaseMediaFormat",
    "AnyCaseTranscriptionType",
    "BatchSpecialty",
    "BucketName",
    "JobName",
    "KmsEncryptionContext",
    "KmsKeyId",
    "MaxAlternatives",
    "MaxSpeakers",
    "OutputKey",
    "Phrase",
    "Phrases",
    "S3Uri",
    "SampleRate",
    "SessionId",
    "StreamingSpecialty",
    "Tags",
    "VocabularyName",
    "allowed",
]


def allowed(rule: str | Callable[[Any], str]) -> WrapValidator:
    """Say ``rule`` when a value breaks the constraints of the type this annotates.

    Only errors about the value itself are replaced: an error inside it (one phrase of a list, a
    field of a nested model) keeps its own message and location.

    Args:
        rule: What is allowed, e.g. ``"use 1-10 pairs"``; or a function of the bad value giving it
            (to add a hint that depends on the value).

    Returns:
        The annotation to put after the constraints in ``Annotated[...]``.
    """

    def check(value: Any, handler: pydantic.ValidatorFunctionWrapHandler) -> Any:
        try:
            return handler(value)
        except pydantic.ValidationError as error:
            if any(detail["loc"] for detail in error.errors(include_url=False)):
                raise
            # No context is given, so braces in the text are not read as placeholders.
            raise PydanticCustomError("allowed", rule(value) if callable(rule) else rule) from None

    return WrapValidator(check)


def _choices(enum: type[Enum]) -> str:
    return ", ".join(str(member.value) for member in enum)


def _any_case(enum: type[Enum]) -> BeforeValidator:
    """Accept an enum's wire value in any case and with spaces around it ("dictation", " PCM")."""
    by_folded = {str(member.value).casefold(): member for member in enum}

    def fold(value: Any) -> Any:
        if isinstance(value, str) and not isinstance(value, Enum):
            return by_folded.get(value.strip().casefold(), value)
        return value

    return BeforeValidator(fold)


def _specialty_for(mode: Mode) -> BeforeValidator:
    # The specialty table is the one source of what each mode offers; its errors already read well
    # (and UnsupportedSpecialtyError keeps its class through the models' error translation).
    def check(value: Any) -> Specialty:
        return validate_specialty(value, mode)

    return BeforeValidator(check)


# --- names, URIs, keys ----------------------------------------------------------------------------

_NAME_CHARS = "0-9a-zA-Z._-"
# The API's pattern, minus "." and ".." alone (old CLI docs): at least one character that is not a
# dot, or three dots or more. Written without look-ahead so pydantic's Rust regex engine runs it.
_NAME_PATTERN = rf"^(?:[{_NAME_CHARS}]*[0-9a-zA-Z_-][{_NAME_CHARS}]*|\.{{3,}})$"
_NAME_RULE = (
    f"use 1-{_limits.NAME_MAX_LENGTH} characters from A-Z, a-z, 0-9, '.', '_' and '-' "
    "('.' and '..' alone are not allowed)"
)

#: A batch job name: 1-200 of ``[0-9a-zA-Z._-]``, not ``.`` or ``..``.
JobName = Annotated[
    str,
    StringConstraints(strict=True, min_length=1, max_length=_limits.NAME_MAX_LENGTH, pattern=_NAME_PATTERN),
    allowed(_NAME_RULE),
]
#: A medical vocabulary name: the same rule as job names.
VocabularyName = JobName

#: ``s3://bucket/key`` of media or a vocabulary file: S3 bucket naming rules and a non-empty key.
S3Uri = Annotated[
    str,
    StringConstraints(
        strict=True, max_length=_limits.URI_MAX_LENGTH, pattern=r"(?s)^s3://[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]/.+$"
    ),
    allowed(
        f"use an s3://bucket/key URI of at most {_limits.URI_MAX_LENGTH} characters, e.g. "
        "s3://my-bucket/audio/visit.wav (Transcribe Medical reads batch media from S3 only; "
        "bucket names are 3-63 characters of a-z, 0-9, '.' and '-')"
    ),
]


def _bucket_rule(value: Any) -> str:
    hint = " (give the bucket name only, without s3://)" if isinstance(value, str) and "/" in value else ""
    return (
        "use a bucket name of 3-63 characters from a-z, 0-9, '.' and '-', starting and "
        f"ending with a letter or digit{hint}"
    )


#: An output bucket: the name only (no ``s3://``), 3-63 characters.
BucketName = Annotated[
    str,
    StringConstraints(strict=True, max_length=_limits.BUCKET_MAX_LENGTH, pattern=_limits.BUCKET_PATTERN),
    allowed(_bucket_rule),
]

#: The object key (ending in ``.json``) or folder (ending in ``/``) of a job's transcript.
OutputKey = Annotated[
    str,
    StringConstraints(strict=True, pattern=_limits.OUTPUT_KEY_PATTERN),
    allowed(
        "use 1-1024 characters from A-Z, a-z, 0-9 and - _ . ! * ' ( ) / "
        "(end in .json for a file name, or '/' for a folder)"
    ),
]

#: A KMS key id, alias or ARN.
KmsKeyId = Annotated[
    str,
    StringConstraints(strict=True, max_length=_limits.KMS_KEY_MAX_LENGTH, pattern=_limits.KMS_KEY_PATTERN),
    allowed(
        f"use a KMS key id, alias or ARN of 1-{_limits.KMS_KEY_MAX_LENGTH} characters from "
        "A-Z, a-z, 0-9 and : _ / + = , @ . -"
    ),
]

_KMS_CONTEXT_RULE = (
    f"use {_limits.KMS_CONTEXT_MIN}-{_limits.KMS_CONTEXT_MAX} pairs of printable ASCII strings "
    f"(1-{_limits.KMS_CONTEXT_TEXT_MAX} characters each)"
)
_KmsContextText = Annotated[
    str,
    StringConstraints(strict=True, min_length=1, max_length=_limits.KMS_CONTEXT_TEXT_MAX, pattern=r"^[\x20-\x7E]+$"),
    allowed(_KMS_CONTEXT_RULE),
]
#: 1-10 non-secret key/value pairs of printable ASCII, for KMS.
KmsEncryptionContext = Annotated[
    dict[_KmsContextText, _KmsContextText],
    Field(min_length=_limits.KMS_CONTEXT_MIN, max_length=_limits.KMS_CONTEXT_MAX),
    allowed(_KMS_CONTEXT_RULE),
]

#: The id of a streaming session: a UUID.
SessionId = Annotated[
    str,
    StringConstraints(strict=True, pattern=_limits.SESSION_ID_PATTERN),
    allowed("use a UUID such as 8c3f5a2e-1b4d-4e6f-9a7b-0c1d2e3f4a5b, or leave it out to have one made"),
]

# --- tags ------------------------------------------------------------------------------------------

_TAGS_FORM = 'use a dict {"key": "value"} or a list of {"Key": ..., "Value": ...}'


def _tags_as_dict(value: Any) -> Any:
    """Accept AWS's list form ``[{"Key": k, "Value": v}]`` (or pairs) as well as a dict.

    The list form is where a key can be repeated, so repeats are refused here, before the dict
    would silently keep the last one.
    """
    if isinstance(value, Mapping) or not isinstance(value, list | tuple):
        return value
    tags: dict[Any, Any] = {}
    for entry in value:
        if isinstance(entry, Mapping) and ("Key" in entry or "key" in entry):
            key, tag_value = entry.get("Key", entry.get("key")), entry.get("Value", entry.get("value", ""))
        elif isinstance(entry, list | tuple) and len(entry) == 2:
            key, tag_value = entry
        else:
            raise PydanticCustomError("tags_form", _TAGS_FORM)
        if key in tags:
            raise PydanticCustomError("tags_unique", f"tag keys must be unique ({key!r} is repeated)")
        tags[key] = tag_value
    return tags


_TagKey = Annotated[
    str,
    StringConstraints(strict=True, min_length=1, max_length=_limits.TAG_KEY_MAX),
    allowed(f"tag keys are strings of 1-{_limits.TAG_KEY_MAX} characters"),
]
_TagValue = Annotated[
    str,
    StringConstraints(strict=True, max_length=_limits.TAG_VALUE_MAX),
    allowed(f"tag values are strings of 0-{_limits.TAG_VALUE_MAX} characters"),
]
#: 1-200 tags, as a dict or AWS's list of ``{"Key", "Value"}``.
Tags = Annotated[
    dict[_TagKey, _TagValue],
    Field(min_length=_limits.TAGS_MIN, max_length=_limits.TAGS_MAX),
    allowed(
        lambda value: (
            f"use {_limits.TAGS_MIN} to {_limits.TAGS_MAX} tags (or leave tags out)"
            if isinstance(value, Mapping)
            else _TAGS_FORM
        )
    ),
    BeforeValidator(_tags_as_dict),
]

# --- vocabulary phrases ------------------------------------------------------------------------------

#: One phrase of a vocabulary: one line of 1-256 characters (spaces around it are dropped).
Phrase = Annotated[
    str,
    StringConstraints(
        strict=True, strip_whitespace=True, min_length=1, max_length=_limits.PHRASE_MAX_CHARS, pattern=r"^[^\t\r\n]+$"
    ),
    allowed(
        f"use non-empty phrases of at most {_limits.PHRASE_MAX_CHARS} characters, one line each (no tab or line break)"
    ),
]
#: The phrases of a vocabulary: at least one.
Phrases = Annotated[
    tuple[Phrase, ...],
    Field(min_length=1),
    allowed(
        lambda value: (
            "use at least one phrase" if isinstance(value, list | tuple) else "use a list of phrases (strings)"
        )
    ),
]

# --- numbers ---------------------------------------------------------------------------------------

#: The audio's sample rate in Hz.
SampleRate = Annotated[
    int,
    Field(ge=_limits.SAMPLE_RATE_MIN, le=_limits.SAMPLE_RATE_MAX),
    allowed(f"use a whole number from {_limits.SAMPLE_RATE_MIN} to {_limits.SAMPLE_RATE_MAX} Hz (or leave it out)"),
]
#: How many speakers to tell apart.
MaxSpeakers = Annotated[
    int,
    Field(ge=_limits.SPEAKERS_MIN, le=_limits.SPEAKERS_MAX),
    allowed(f"use a whole number from {_limits.SPEAKERS_MIN} to {_limits.SPEAKERS_MAX} speakers"),
]
#: How many alternative transcriptions to ask for.
MaxAlternatives = Annotated[
    int,
    Field(ge=_limits.ALTERNATIVES_MIN, le=_limits.ALTERNATIVES_MAX),
    allowed(f"use a whole number from {_limits.ALTERNATIVES_MIN} to {_limits.ALTERNATIVES_MAX} alternatives"),
]

# --- enumerations, by their wire values in any case ------------------------------------------------

#: CONVERSATION or DICTATION, in any case.
AnyCaseTranscriptionType = Annotated[
    TranscriptionType, _any_case(TranscriptionType), allowed(f"use one of {_choices(TranscriptionType)}")
]
#: en-US, in any case.
AnyCaseLanguageCode = Annotated[
    LanguageCode, _any_case(LanguageCode), allowed(f"Transcribe Medical supports {_limits.LANGUAGE_CODE} only")
]
#: A batch container format, in any case.
AnyCaseMediaFormat = Annotated[MediaFormat, _any_case(MediaFormat), allowed(f"use one of {_choices(MediaFormat)}")]
#: A streaming encoding, in any case.
AnyCaseMediaEncoding = Annotated[
    MediaEncoding, _any_case(MediaEncoding), allowed(f"use one of {_choices(MediaEncoding)}")
]
#: PHI, in any case.
AnyCaseContentIdentification = Annotated[
    ContentIdentificationType,
    _any_case(ContentIdentificationType),
    allowed(f"use one of {_choices(ContentIdentificationType)}"),
]
#: A specialty batch jobs offer (PRIMARYCARE), or one of its sub-specialty aliases.
BatchSpecialty = Annotated[Specialty, _specialty_for(Mode.BATCH)]
#: A specialty streams offer (all six), or a Primary Care sub-specialty alias.
StreamingSpecialty = Annotated[Specialty, _specialty_for(Mode.STREAMING)]
