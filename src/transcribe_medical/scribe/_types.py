"""Constrained types of the HealthScribe requests, named for what they are.

Each is ``Annotated[str, StringConstraints(...)]`` (pydantic checks the length) plus a check of the
API's pattern whose message says, in words, what is allowed. The patterns are AWS's (botocore's
service model, reference healthscribe.md §1.1), except that a name must match whole.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from typing import Annotated, Final

from pydantic import AfterValidator, BeforeValidator, StringConstraints

from transcribe_medical import _limits

__all__ = [
    "ROLE_ARN_PATTERN",
    "BucketName",
    "KmsEncryptionContext",
    "KmsKeyId",
    "MediaUri",
    "ResourceName",
    "RoleArn",
    "Tags",
    "check_language_code",
    "normalise_tags",
]

#: ``DataAccessRoleArn`` / ``ResourceAccessRoleArn`` (botocore's ``DataAccessRoleArn`` shape).
ROLE_ARN_PATTERN: Final = (
    r"^arn:(aws|aws-cn|aws-us-gov|aws-iso-{0,1}[a-z]{0,1}):iam::[0-9]{0,63}:role/[A-Za-z0-9:_/+=,@.-]{0,1024}$"
)
ROLE_ARN_MIN_LENGTH: Final = 20
MEDIA_URI_PATTERN: Final = r"^(s3://|http(s*)://).+$"
KMS_CONTEXT_VALUE_MAX: Final = 2000

_PRINTABLE = re.compile(r"^[\x20-\x7E]+$")


def _matching(pattern: str, rule: str) -> Callable[[str], str]:
    compiled = re.compile(pattern, re.S)

    def check(value: str) -> str:
        if not compiled.match(value):
            raise ValueError(rule)
        return value

    return check


def _not_dots(value: str) -> str:
    if value in (".", ".."):
        raise ValueError("'.' and '..' alone are not allowed")
    return value


#: A job, vocabulary or vocabulary-filter name: 1-200 of ``[0-9a-zA-Z._-]``.
ResourceName = Annotated[
    str,
    StringConstraints(min_length=1, max_length=_limits.NAME_MAX_LENGTH),
    AfterValidator(
        _matching(
            _limits.NAME_PATTERN,
            f"use 1-{_limits.NAME_MAX_LENGTH} characters from A-Z, a-z, 0-9, '.', '_' and '-'",
        )
    ),
    AfterValidator(_not_dots),
]

#: Where HealthScribe reads media: ``s3://bucket/key`` (or an http(s) S3 URL), at most 2000 characters.
MediaUri = Annotated[
    str,
    StringConstraints(min_length=1, max_length=_limits.URI_MAX_LENGTH),
    AfterValidator(_matching(MEDIA_URI_PATTERN, "use the media's s3://bucket/key URI (or an https:// S3 URL)")),
]

#: An S3 bucket name (the name only, not a URI): 3-63 of a-z, 0-9, '.' and '-'.
BucketName = Annotated[
    str,
    StringConstraints(max_length=64),
    AfterValidator(
        _matching(
            _limits.BUCKET_PATTERN,
            "use a bucket name (not an s3:// URI): 3-63 characters of a-z, 0-9, '.' and '-', "
            "starting and ending with a letter or digit",
        )
    ),
]

#: A KMS key id, alias or ARN.
KmsKeyId = Annotated[
    str,
    StringConstraints(min_length=1, max_length=_limits.KMS_KEY_MAX_LENGTH),
    AfterValidator(
        _matching(
            _limits.KMS_KEY_PATTERN,
            "use a KMS key id, alias or ARN (A-Z, a-z, 0-9 and : _ / + = , @ . -)",
        )
    ),
]

#: An IAM role ARN, e.g. ``arn:aws:iam::111122223333:role/HealthScribeAccess``.
RoleArn = Annotated[
    str,
    StringConstraints(max_length=2048),
    AfterValidator(
        _matching(
            ROLE_ARN_PATTERN.replace("^", f"^(?=.{{{ROLE_ARN_MIN_LENGTH},}})", 1),
            "use an IAM role ARN such as arn:aws:iam::111122223333:role/HealthScribeAccess "
            "(partition aws, aws-cn, aws-us-gov or aws-iso*; the role HealthScribe assumes)",
        )
    ),
]


def _kms_context(value: object) -> dict[str, str]:
    rule = (
        f"use {_limits.KMS_CONTEXT_MIN}-{_limits.KMS_CONTEXT_MAX} pairs of printable ASCII strings "
        f"(1-{KMS_CONTEXT_VALUE_MAX} characters each)"
    )
    if not isinstance(value, Mapping) or not _limits.KMS_CONTEXT_MIN <= len(value) <= _limits.KMS_CONTEXT_MAX:
        raise ValueError(rule)
    for key, item in value.items():
        for text in (key, item):
            if not isinstance(text, str) or len(text) > KMS_CONTEXT_VALUE_MAX or not _PRINTABLE.match(text):
                raise ValueError(rule)
    return {str(k): str(v) for k, v in value.items()}


#: ``KMSEncryptionContext``: 1-10 non-secret key/value pairs of printable ASCII.
KmsEncryptionContext = Annotated[dict[str, str], BeforeValidator(_kms_context)]


def normalise_tags(value: object) -> dict[str, str]:
    """Accept ``{"k": "v"}``, ``[{"Key": "k", "Value": "v"}]`` or ``[("k", "v")]``; check the limits.

    Raises:
        ValueError: not 1-200 tags, a key not 1-128 characters, a value over 256, a repeated key.
    """
    shape = 'use a dict {"key": "value"} or a list of {"Key": ..., "Value": ...}'
    pairs: list[tuple[object, object]] = []
    if isinstance(value, Mapping):
        pairs = list(value.items())
    elif isinstance(value, list | tuple):
        for entry in value:
            if isinstance(entry, Mapping) and "Key" in entry:
                pairs.append((entry["Key"], entry.get("Value", "")))
            elif isinstance(entry, list | tuple) and len(entry) == 2:
                pairs.append((entry[0], entry[1]))
            else:
                raise ValueError(shape)
    else:
        raise ValueError(shape)
    if not _limits.TAGS_MIN <= len(pairs) <= _limits.TAGS_MAX:
        raise ValueError(f"use {_limits.TAGS_MIN}-{_limits.TAGS_MAX} tags (or leave tags out)")
    tags: dict[str, str] = {}
    for key, tag_value in pairs:
        if not isinstance(key, str) or not 1 <= len(key) <= _limits.TAG_KEY_MAX:
            raise ValueError(f"tag keys are strings of 1-{_limits.TAG_KEY_MAX} characters (got {key!r})")
        if not isinstance(tag_value, str) or len(tag_value) > _limits.TAG_VALUE_MAX:
            raise ValueError(f"tag values are strings of 0-{_limits.TAG_VALUE_MAX} characters (key {key!r})")
        if key in tags:
            raise ValueError(f"tag keys must be unique ({key!r} is repeated)")
        tags[key] = tag_value
    return tags


#: 1-200 tags, as a dict (AWS's list of ``{"Key", "Value"}`` is accepted too).
Tags = Annotated[dict[str, str], BeforeValidator(normalise_tags)]


@functools.cache
def _language_codes() -> frozenset[str]:
    # One source of truth: the LanguageCode enum of botocore's own Transcribe model.
    import botocore.session

    model = botocore.session.get_session().get_service_model("transcribe")
    codes: list[str] = getattr(model.shape_for("LanguageCode"), "enum", [])
    return frozenset(codes)


def check_language_code(value: object) -> str:
    """Check a vocabulary filter's language code against the service model's list.

    Raises:
        ValueError: not one of Transcribe's language codes.
    """
    codes = _language_codes()
    if isinstance(value, str):
        for code in codes:
            if code.lower() == value.strip().lower():
                return code
    raise ValueError(f"use a Transcribe language code such as en-US (one of {len(codes)}; HealthScribe is en-US)")
