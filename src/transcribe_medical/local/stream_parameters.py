"""Validation of the streaming query parameters, as the service does it (reference §3.2).

:func:`parse_stream_parameters` takes the decoded query of a verified presigned URL (the
``X-Amz-*`` signing parameters are skipped) and returns :class:`StreamParameters`, or raises
:class:`ParameterError` whose message imitates AWS's validation messages, e.g.::

    1 validation error detected: Value '8000' at 'mediaSampleRateHertz' failed to satisfy
    constraint: Member must have value greater than or equal to 16000

Rules: ``language-code`` (``en-US``), ``media-encoding`` (``pcm``, ``ogg-opus``, ``flac``),
``sample-rate`` (16000-48000), ``specialty`` (the streaming specialties of the table) and
``type`` are required and case-sensitive; ``show-speaker-label`` and
``enable-channel-identification`` are ``true``/``false``; ``number-of-channels`` (2) goes together
with channel identification; speaker labels and channel identification are not combined;
``session-id`` is a UUID; ``vocabulary-name`` matches ``^[0-9a-zA-Z._-]+$`` (1-200);
``content-identification-type`` is ``PHI``; RADIOLOGY is for DICTATION only. Unknown parameters
are refused too, so that a typo fails here rather than being ignored in production.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from transcribe_medical import _limits
from transcribe_medical.models.enums import MediaEncoding, Mode, Specialty, TranscriptionType
from transcribe_medical.specialties import specialties_for

__all__ = ["KNOWN_PARAMETERS", "ParameterError", "StreamParameters", "parse_stream_parameters"]

#: The query parameters of the medical WebSocket API (besides the ``X-Amz-*`` signing ones).
KNOWN_PARAMETERS: Final = frozenset(
    {
        "language-code",
        "media-encoding",
        "sample-rate",
        "specialty",
        "type",
        "show-speaker-label",
        "enable-channel-identification",
        "number-of-channels",
        "session-id",
        "vocabulary-name",
        "content-identification-type",
    }
)

# Member names as AWS's validation messages spell them (the Smithy member names).
_MEMBER: Final = {
    "language-code": "languageCode",
    "media-encoding": "mediaEncoding",
    "sample-rate": "mediaSampleRateHertz",
    "specialty": "specialty",
    "type": "type",
    "show-speaker-label": "showSpeakerLabel",
    "enable-channel-identification": "enableChannelIdentification",
    "number-of-channels": "numberOfChannels",
    "session-id": "sessionId",
    "vocabulary-name": "vocabularyName",
    "content-identification-type": "contentIdentificationType",
}
_VOCABULARY_RE: Final = re.compile(_limits.NAME_PATTERN)
_SESSION_RE: Final = re.compile(_limits.SESSION_ID_PATTERN)


class ParameterError(Exception):
    """The query parameters are invalid; ``str()`` is the AWS-like message."""


@dataclass(frozen=True)
class StreamParameters:
    """A validated streaming request.

    Attributes:
        language_code: Always ``en-US``.
        media_encoding: ``pcm``, ``ogg-opus`` or ``flac``.
        sample_rate: Hz, 16000-48000.
        specialty: One of the streaming specialties.
        type: ``CONVERSATION`` or ``DICTATION``.
        show_speaker_label: Label speakers in the items.
        enable_channel_identification: Transcribe each channel separately.
        number_of_channels: 2 with channel identification, else 1.
        session_id: The client's session id, or ``None`` (the server makes one).
        vocabulary_name: A medical custom vocabulary, or ``None``.
        content_identification_type: ``"PHI"`` or ``None``.
    """

    language_code: str
    media_encoding: MediaEncoding
    sample_rate: int
    specialty: Specialty
    type: TranscriptionType
    show_speaker_label: bool = False
    enable_channel_identification: bool = False
    number_of_channels: int = 1
    session_id: str | None = None
    vocabulary_name: str | None = None
    content_identification_type: str | None = None

    @property
    def identify_phi(self) -> bool:
        """Whether PHI entities are to be reported on final results."""
        return self.content_identification_type == "PHI"


def _enum_error(name: str, value: str, allowed: Iterable[str]) -> str:
    return (
        f"Value '{value}' at '{_MEMBER[name]}' failed to satisfy constraint: "
        f"Member must satisfy enum value set: [{', '.join(allowed)}]"
    )


def _bool(name: str, value: str | None, problems: list[str]) -> bool:
    if value is None:
        return False
    if value not in ("true", "false"):
        problems.append(_enum_error(name, value, ("true", "false")))
        return False
    return value == "true"


def _format(problems: list[str]) -> str:
    count = len(problems)
    noun = "error" if count == 1 else "errors"
    return f"{count} validation {noun} detected: " + "; ".join(problems)


def parse_stream_parameters(pairs: Iterable[tuple[str, str]]) -> StreamParameters:
    """Validate the query parameters of a streaming request.

    Args:
        pairs: Decoded ``(name, value)`` query pairs; ``X-Amz-*`` pairs are ignored.

    Returns:
        The validated parameters.

    Raises:
        ParameterError: Any parameter is missing, unknown, repeated or invalid, or two of them
            conflict. The message lists every problem found, AWS style.
    """
    values: dict[str, str] = {}
    problems: list[str] = []
    for name, value in pairs:
        if name.startswith("X-Amz-"):
            continue
        if name not in KNOWN_PARAMETERS:
            problems.append(
                f"Unrecognized query parameter '{name}': the medical streaming API accepts "
                f"{', '.join(sorted(KNOWN_PARAMETERS))}"
            )
            continue
        if name in values:
            problems.append(f"The query parameter '{name}' appears more than once")
            continue
        values[name] = value

    for required in ("language-code", "media-encoding", "sample-rate", "specialty", "type"):
        if required not in values:
            problems.append(
                f"Value null at '{_MEMBER[required]}' failed to satisfy constraint: Member must not be null"
            )

    language = values.get("language-code")
    if language is not None and language != _limits.LANGUAGE_CODE:
        problems.append(_enum_error("language-code", language, (_limits.LANGUAGE_CODE,)))

    encoding: MediaEncoding | None = None
    if "media-encoding" in values:
        try:
            encoding = MediaEncoding(values["media-encoding"])
        except ValueError:
            problems.append(_enum_error("media-encoding", values["media-encoding"], [e.value for e in MediaEncoding]))

    sample_rate = 0
    if "sample-rate" in values:
        text = values["sample-rate"]
        if not text.isdigit():
            problems.append(
                f"Value '{text}' at 'mediaSampleRateHertz' failed to satisfy constraint: Member must be an integer"
            )
        else:
            sample_rate = int(text)
            if sample_rate < _limits.SAMPLE_RATE_MIN:
                problems.append(
                    f"Value '{sample_rate}' at 'mediaSampleRateHertz' failed to satisfy constraint: "
                    f"Member must have value greater than or equal to {_limits.SAMPLE_RATE_MIN}"
                )
            elif sample_rate > _limits.SAMPLE_RATE_MAX:
                problems.append(
                    f"Value '{sample_rate}' at 'mediaSampleRateHertz' failed to satisfy constraint: "
                    f"Member must have value less than or equal to {_limits.SAMPLE_RATE_MAX}"
                )

    specialty: Specialty | None = None
    streaming_specialties = [s.value for s in specialties_for(Mode.STREAMING)]
    if "specialty" in values:
        if values["specialty"] in streaming_specialties:
            specialty = Specialty(values["specialty"])
        else:
            problems.append(_enum_error("specialty", values["specialty"], streaming_specialties))

    kind: TranscriptionType | None = None
    if "type" in values:
        try:
            kind = TranscriptionType(values["type"])
        except ValueError:
            problems.append(_enum_error("type", values["type"], [t.value for t in TranscriptionType]))

    speakers = _bool("show-speaker-label", values.get("show-speaker-label"), problems)
    channels_on = _bool("enable-channel-identification", values.get("enable-channel-identification"), problems)

    channels = 1
    if "number-of-channels" in values:
        text = values["number-of-channels"]
        if not text.isdigit():
            problems.append(
                f"Value '{text}' at 'numberOfChannels' failed to satisfy constraint: Member must be an integer"
            )
        elif int(text) < 2:
            problems.append(
                f"Value '{text}' at 'numberOfChannels' failed to satisfy constraint: "
                "Member must have value greater than or equal to 2"
            )
        elif int(text) > _limits.STREAM_CHANNELS:
            problems.append(
                f"Value '{text}' at 'numberOfChannels' failed to satisfy constraint: "
                f"Member must have value less than or equal to {_limits.STREAM_CHANNELS}"
            )
        else:
            channels = int(text)
        if not channels_on:
            problems.append(
                "NumberOfChannels requires EnableChannelIdentification=true: "
                "send enable-channel-identification=true with number-of-channels"
            )
    elif channels_on:
        problems.append(
            "EnableChannelIdentification requires NumberOfChannels: "
            "send number-of-channels=2 with enable-channel-identification=true"
        )
    if speakers and channels_on:
        problems.append(
            "ShowSpeakerLabel and EnableChannelIdentification can't be used together: "
            "choose speaker labels or channel identification"
        )

    session_id = values.get("session-id")
    if session_id is not None and not _SESSION_RE.match(session_id):
        problems.append(
            f"Value '{session_id}' at 'sessionId' failed to satisfy constraint: Member must "
            f"satisfy regular expression pattern: {_limits.SESSION_ID_PATTERN}"
        )

    vocabulary = values.get("vocabulary-name")
    if vocabulary is not None:
        if not 1 <= len(vocabulary) <= _limits.NAME_MAX_LENGTH:
            problems.append(
                f"Value '{vocabulary[:40]}' at 'vocabularyName' failed to satisfy constraint: "
                f"Member must have length between 1 and {_limits.NAME_MAX_LENGTH}"
            )
        elif not _VOCABULARY_RE.match(vocabulary):
            problems.append(
                f"Value '{vocabulary}' at 'vocabularyName' failed to satisfy constraint: Member "
                f"must satisfy regular expression pattern: {_limits.NAME_PATTERN}"
            )

    content = values.get("content-identification-type")
    if content is not None and content != "PHI":
        problems.append(_enum_error("content-identification-type", content, ("PHI",)))

    if specialty is Specialty.RADIOLOGY and kind is TranscriptionType.CONVERSATION:
        problems.append(
            "The RADIOLOGY specialty is available for DICTATION only: use type=DICTATION, "
            "or another specialty for CONVERSATION"
        )

    if problems:
        raise ParameterError(_format(problems))
    assert encoding is not None and specialty is not None and kind is not None
    return StreamParameters(
        language_code=_limits.LANGUAGE_CODE,
        media_encoding=encoding,
        sample_rate=sample_rate,
        specialty=specialty,
        type=kind,
        show_speaker_label=speakers,
        enable_channel_identification=channels_on,
        number_of_channels=channels if channels_on else 1,
        session_id=session_id,
        vocabulary_name=vocabulary,
        content_identification_type=content,
    )
