"""Models of the streaming ``TranscriptEvent`` payload (service → client).

They mirror the JSON the service sends (reference §3.6) one to one: PascalCase keys on the wire,
snake_case attributes in Python. They read what AWS sends leniently (DESIGN.md, Forward
compatibility): fields AWS adds later are kept, an item ``Type`` they do not know is kept as a plain
string, and an item without ``Content`` is accepted — AWS documents a ``speaker-change`` item that has
none (:data:`SPEAKER_CHANGE`)::

    {"Transcript": {"Results": [{"ResultId": "...", "StartTime": 0.54, "EndTime": 2.18,
                                 "IsPartial": false, "ChannelId": "ch_0",
                                 "Alternatives": [{"Transcript": "...", "Items": [...],
                                                   "Entities": [...]}]}]}}

Parsing goes through pydantic's JSON parser (:meth:`TranscriptEvent.from_payload`), which does not
build intermediate Python dicts. These models hold transcript text (PHI): their ``repr()``/``str()``
show times, ids and counts only, and validation errors never echo the input.

Turning events into the one result model is :class:`~transcribe_medical.models.transcript.TranscriptAssembler`'s
job.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any, Literal, Self

from pydantic import ConfigDict, Field
from pydantic.alias_generators import to_pascal

from transcribe_medical._exceptions import ProtocolError, ValidationError
from transcribe_medical.models._base import PhiSafeModel

__all__ = [
    "SPEAKER_CHANGE",
    "ItemType",
    "MedicalTranscript",
    "Result",
    "ResultAlternative",
    "ResultEntity",
    "ResultItem",
    "TranscriptEvent",
]

#: Wire values of ``Item.Type`` known today; others are kept as plain strings.
ItemType = Literal["pronunciation", "punctuation"]
#: The ``Type`` of an item that marks where one speaker stops and another starts (no ``Content``).
SPEAKER_CHANGE = "speaker-change"


class _EventModel(PhiSafeModel):
    """Base of the event models: PascalCase aliases, PHI-safe repr and errors."""

    model_config = ConfigDict(
        alias_generator=to_pascal,
        populate_by_name=True,
        extra="allow",
        hide_input_in_errors=True,
    )


class ResultItem(_EventModel):
    """One word or punctuation mark of a result alternative.

    Attributes:
        start_time: Start, in seconds from the start of the stream.
        end_time: End, in seconds from the start of the stream.
        type: ``"pronunciation"`` (a word), ``"punctuation"``, ``"speaker-change"``, or a type AWS
            adds later, kept as sent.
        content: The word or mark (transcript text: never logged); ``None`` for items that carry
            none, such as ``speaker-change``.
        confidence: 0..1; absent on punctuation and sometimes on partial results.
        speaker: The speaker as sent by the service (e.g. ``"0"``), with speaker labels only.
    """

    start_time: float
    end_time: float
    type: ItemType | str
    content: str | None = None
    confidence: float | None = None
    speaker: str | None = None

    _repr_values = ("start_time", "end_time", "type", "confidence", "speaker")

    @property
    def is_speaker_change(self) -> bool:
        """True for the item that marks a change of speaker (AWS's ``speaker-change``)."""
        return self.type == SPEAKER_CHANGE


class ResultEntity(_EventModel):
    """A PHI entity found in a final result (content identification).

    Attributes:
        start_time: Start, in seconds from the start of the stream.
        end_time: End, in seconds from the start of the stream.
        category: Always ``"PHI"`` for Transcribe Medical.
        content: The words identified as PHI (never logged).
        confidence: 0..1.
    """

    start_time: float
    end_time: float
    category: str
    content: str
    confidence: float | None = None

    _repr_values = ("start_time", "end_time", "category", "confidence")


class ResultAlternative(_EventModel):
    """One hypothesis of a result; medical streaming sends exactly one.

    Attributes:
        transcript: The text of the hypothesis (never logged).
        items: Its words and punctuation, in time order.
        entities: PHI entities; present on final results only.
    """

    transcript: str = ""
    items: list[ResultItem] = Field(default_factory=list)
    entities: list[ResultEntity] = Field(default_factory=list)

    _repr_counts = ("items", "entities")


class Result(_EventModel):
    """One result: partial results for a ``result_id`` repeat and grow until a final one.

    Attributes:
        result_id: Identifies the stretch of speech across its partial and final versions.
        start_time: Start, in seconds from the start of the stream.
        end_time: End, in seconds from the start of the stream.
        is_partial: ``True`` while the service may still change the result.
        alternatives: The hypotheses, best first.
        channel_id: ``"ch_0"``/``"ch_1"`` with channel identification, else ``None``.
    """

    result_id: str
    start_time: float
    end_time: float
    is_partial: bool
    alternatives: list[ResultAlternative] = Field(default_factory=list)
    channel_id: str | None = None

    _repr_values = ("result_id", "start_time", "end_time", "is_partial", "channel_id")
    _repr_counts = ("alternatives",)

    @property
    def transcript(self) -> str:
        """The text of the best alternative (``""`` when there is none)."""
        return self.alternatives[0].transcript if self.alternatives else ""


class MedicalTranscript(_EventModel):
    """The ``Transcript`` member of a ``TranscriptEvent`` (AWS shape ``MedicalTranscript``).

    Attributes:
        results: The results carried by the event; often empty.
    """

    results: list[Result] = Field(default_factory=list)

    _repr_counts = ("results",)


class TranscriptEvent(_EventModel):
    """A ``TranscriptEvent`` sent by the service during a streaming session.

    Example:
        >>> event = TranscriptEvent.from_payload(b'{"Transcript": {"Results": []}}')
        >>> event.results
        []
    """

    transcript: MedicalTranscript = Field(default_factory=MedicalTranscript)

    _repr_counts = ("results",)

    @property
    def results(self) -> list[Result]:
        """The results carried by this event (partial and final)."""
        return self.transcript.results

    @classmethod
    def from_payload(cls, payload: bytes | str) -> Self:
        """Parse the JSON payload of a ``TranscriptEvent`` message.

        Args:
            payload: The event-stream message payload (UTF-8 JSON).

        Returns:
            The parsed event.

        Raises:
            ProtocolError: The payload is not JSON or does not have the TranscriptEvent shape (a
                field of the wrong type, a result without its id or times). The message names the
                offending field, never its value. New fields, new item types and items without
                ``Content`` are not errors.
        """
        try:
            return cls.model_validate_json(payload)
        except ValidationError as error:
            lenient = _with_lone_surrogates_replaced(payload)
            if lenient is None:
                raise ProtocolError(f"malformed TranscriptEvent payload: {error}") from error
        # Well-formed JSON may escape a lone surrogate ("\\ud800"), which pydantic's parser refuses:
        # read it with the standard library and keep the text with U+FFFD in its place.
        try:
            return cls.model_validate(lenient)
        except ValidationError as error:
            raise ProtocolError(f"malformed TranscriptEvent payload: {error}") from error

    @classmethod
    def from_results(cls, results: Sequence[Result]) -> Self:
        """Build an event carrying ``results`` (for emulators and tests).

        Args:
            results: The results to carry.

        Returns:
            The event.
        """
        return cls(transcript=MedicalTranscript(results=list(results)))

    def to_payload(self) -> bytes:
        """Serialise the event to its wire JSON (PascalCase keys, ``None`` fields left out).

        Returns:
            UTF-8 JSON bytes that :meth:`from_payload` parses back into an equal event.
        """
        return self.model_dump_json(by_alias=True, exclude_none=True).encode()


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _replace_lone_surrogates(value: Any) -> Any:
    if isinstance(value, str):
        return _LONE_SURROGATE.sub("\ufffd", value)
    if isinstance(value, list):
        return [_replace_lone_surrogates(element) for element in value]
    if isinstance(value, dict):
        return {_replace_lone_surrogates(key): _replace_lone_surrogates(element) for key, element in value.items()}
    return value


def _with_lone_surrogates_replaced(payload: bytes | str) -> Any | None:
    """``payload`` parsed by :mod:`json` with lone surrogates replaced, or ``None`` if it is not JSON
    with one (then the strict parser's error stands)."""
    try:
        text = payload.decode("utf-8") if isinstance(payload, bytes) else payload
        if "\\ud" not in text.lower():
            return None
        return _replace_lone_surrogates(json.loads(text))
    except (ValueError, RecursionError):  # not UTF-8, not JSON, or nested too deep
        return None
