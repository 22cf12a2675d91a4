"""Model constraints checked the way an AWS JSON service does, with its messages.

A service checks each request against its model (required members, lengths, patterns, enums,
ranges, types) before anything else, and answers every violation in one message::

    2 validation errors detected: Value 'x y' at 'medicalTranscriptionJobName' failed to satisfy
    constraint: Member must satisfy regular expression pattern: ^[0-9a-zA-Z._-]+; Value '8000' at
    'mediaSampleRateHertz' failed to satisfy constraint: Member must have value greater than or
    equal to 16000

Members are named in lowerCamelCase along their path (``settings.maxSpeakerLabels``). botocore
checks only ``required`` and ``min`` before sending (reference §1.11), so raw clients and other
SDKs meet these messages. :func:`check` returns the problems; :func:`validation_error` turns them
into the ``BadRequestException`` to answer with.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from transcribe_medical.local.aws_json import AwsError

__all__ = ["Member", "check", "member_name", "validation_error"]

Kind = Literal["string", "integer", "boolean", "map", "list", "structure"]


@dataclass(frozen=True)
class Member:
    """One member of a request shape and its model constraints.

    Attributes:
        path: Member names from the request's top, e.g. ``("Settings", "MaxSpeakerLabels")``.
        kind: The JSON type it must have.
        required: Must be present (non-null).
        min: Minimum length (strings, lists, maps) or value (integers).
        max: Maximum length or value.
        pattern: A regular expression the whole string must match (the model's, verbatim).
        enum: The allowed values.
    """

    path: tuple[str, ...]
    kind: Kind = "string"
    required: bool = False
    min: int | None = None
    max: int | None = None
    pattern: str | None = None
    enum: tuple[str, ...] = ()


def member_name(path: Sequence[str]) -> str:
    """``("Settings", "MaxSpeakerLabels")`` → ``settings.maxSpeakerLabels`` (as AWS names members)."""
    return ".".join(part[:1].lower() + part[1:] for part in path)


def _lookup(params: Mapping[str, Any], path: Sequence[str]) -> tuple[bool, Any]:
    value: Any = params
    for part in path:
        if not isinstance(value, Mapping) or value.get(part) is None:
            return False, None
        value = value[part]
    return True, value


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _type_ok(kind: Kind, value: Any) -> bool:
    if kind == "string":
        return isinstance(value, str)
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "list":
        return isinstance(value, list)
    return isinstance(value, Mapping)


def _violation(member: Member, value: Any) -> str | None:
    if not _type_ok(member.kind, value):
        return f"Member must be of type {member.kind}"
    if member.enum and value not in member.enum:
        return f"Member must satisfy enum value set: [{', '.join(member.enum)}]"
    size = value if member.kind == "integer" else len(value) if member.kind in ("string", "list", "map") else None
    noun = "value" if member.kind == "integer" else "length"
    if size is not None and member.min is not None and size < member.min:
        return f"Member must have {noun} greater than or equal to {member.min}"
    if size is not None and member.max is not None and size > member.max:
        return f"Member must have {noun} less than or equal to {member.max}"
    if member.pattern is not None and not re.fullmatch(member.pattern, value, flags=re.S):
        return f"Member must satisfy regular expression pattern: {member.pattern}"
    return None


def check(params: Mapping[str, Any], members: Iterable[Member]) -> list[str]:
    """Every violation of ``members`` in ``params``, worded as AWS words them (empty: all good)."""
    problems: list[str] = []
    for member in members:
        present, value = _lookup(params, member.path)
        name = member_name(member.path)
        if not present:
            if member.required:
                problems.append(f"Value null at '{name}' failed to satisfy constraint: Member must not be null")
            continue
        violation = _violation(member, value)
        if violation is not None:
            problems.append(f"Value '{_shown(value)}' at '{name}' failed to satisfy constraint: {violation}")
    return problems


def validation_error(problems: Sequence[str]) -> AwsError:
    """The ``BadRequestException`` that reports ``problems`` (``N validation errors detected: ...``)."""
    noun = "error" if len(problems) == 1 else "errors"
    return AwsError("BadRequestException", f"{len(problems)} validation {noun} detected: " + "; ".join(problems))
