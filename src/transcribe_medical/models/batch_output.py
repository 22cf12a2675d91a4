"""Parser of the transcript file a medical batch job writes (reference §2).

:func:`parse_batch_output` reads AWS's JSON into the one :class:`~.transcript.Transcript` model.
It copes with what makes that file awkward:

* numbers are strings (``"0.54"``), except in PHI entities where they may be numbers or strings;
* punctuation items have no times and a ``"0.0"`` confidence (kept as ``None``: not scored);
* speakers come as ``speaker_labels.segments`` matched to the items by time, or as an item-level
  ``speaker_label``; channels as ``channel_labels.channels`` or an item-level ``channel_label``;
* alternatives come as ``results.segments`` whose stretches need not match ours;
* PHI entities use camelCase keys (``startTime``), unlike the rest of the file.

A batch segment is one run of a speaker (or channel) split at sentence-ending punctuation
(``.``, ``?``, ``!``). With channel identification each channel is split on its own and the
segments are merged chronologically, each keeping its channel.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import pydantic
from pydantic import AliasChoices, BaseModel, ConfigDict, Field, model_validator

from transcribe_medical._exceptions import ProtocolError
from transcribe_medical.models._base import to_validation_error
from transcribe_medical.models.transcript import (
    Alternative,
    Entity,
    Item,
    Segment,
    Transcript,
    join_items,
    normalise_channel,
    normalise_speaker,
)

__all__ = ["SENTENCE_END", "parse_batch_output"]

#: Punctuation that ends a batch segment.
SENTENCE_END = frozenset({".", "?", "!"})

# Times are matched between the item lists at millisecond precision.
_KEY_DIGITS = 3


class _Wire(BaseModel):
    model_config = ConfigDict(extra="allow", hide_input_in_errors=True, populate_by_name=True)


class _WireAlternative(_Wire):
    confidence: float | None = None
    content: str


class _WireItem(_Wire):
    start_time: float | None = None
    end_time: float | None = None
    # Optional only so that channel_labels items listing just times parse; checked below.
    type: Literal["pronunciation", "punctuation"] | None = None
    alternatives: list[_WireAlternative] = Field(default_factory=list)
    # Alternatives items (results.segments[].alternatives[].items) carry these directly.
    content: str | None = None
    confidence: float | None = None
    speaker_label: str | None = None
    channel_label: str | None = None

    @model_validator(mode="after")
    def _check(self) -> _WireItem:
        if self.type is None and self.has_content:
            raise ValueError("an item with content needs a type")
        if self.type == "pronunciation" and (self.start_time is None or self.end_time is None):
            raise ValueError("a pronunciation item needs start_time and end_time")
        return self

    @property
    def has_content(self) -> bool:
        return self.content is not None or bool(self.alternatives)

    def to_item(self, speaker: str | None, channel: str | None) -> Item:
        if self.alternatives:
            content, confidence = self.alternatives[0].content, self.alternatives[0].confidence
        elif self.content is not None:
            content, confidence = self.content, self.confidence
        else:
            raise ValueError("an item needs alternatives[0].content or content")
        kind = self.type or "pronunciation"
        return Item(
            start=self.start_time,
            end=self.end_time,
            content=content,
            type=kind,
            confidence=None if kind == "punctuation" else confidence,
            speaker=speaker,
            channel=channel,
        )


class _WireSpeakerItem(_Wire):
    start_time: float
    end_time: float
    speaker_label: str | None = None


class _WireSpeakerSegment(_Wire):
    start_time: float
    end_time: float
    speaker_label: str
    items: list[_WireSpeakerItem] = Field(default_factory=list)


class _WireSpeakerLabels(_Wire):
    speakers: int | None = None
    segments: list[_WireSpeakerSegment] = Field(default_factory=list)


class _WireChannel(_Wire):
    channel_label: str
    items: list[_WireItem] = Field(default_factory=list)


class _WireChannelLabels(_Wire):
    channels: list[_WireChannel] = Field(default_factory=list)
    number_of_channels: int | None = None


class _WireAltAlternative(_Wire):
    transcript: str = ""
    items: list[_WireItem] = Field(default_factory=list)


class _WireAltSegment(_Wire):
    start_time: float | None = None
    end_time: float | None = None
    alternatives: list[_WireAltAlternative] = Field(default_factory=list)


class _WireEntity(_Wire):
    start_time: float = Field(validation_alias=AliasChoices("startTime", "start_time"))
    end_time: float = Field(validation_alias=AliasChoices("endTime", "end_time"))
    category: str = "PHI"
    content: str
    confidence: float | None = None


class _WireTranscriptText(_Wire):
    transcript: str = ""


class _WireResults(_Wire):
    transcripts: list[_WireTranscriptText] = Field(default_factory=list)
    items: list[_WireItem] = Field(default_factory=list)
    speaker_labels: _WireSpeakerLabels | None = None
    channel_labels: _WireChannelLabels | None = None
    segments: list[_WireAltSegment] = Field(default_factory=list)
    entities: list[_WireEntity] = Field(default_factory=list)


class _WireFile(_Wire):
    job_name: str | None = Field(default=None, validation_alias=AliasChoices("jobName", "job_name"))
    results: _WireResults


def _key(start: float | None, end: float | None) -> tuple[float, float] | None:
    if start is None or end is None:
        return None
    return (round(start, _KEY_DIGITS), round(end, _KEY_DIGITS))


@dataclass
class _Run:
    """Items of one segment being built."""

    items: list[Item] = field(default_factory=list)

    @property
    def start(self) -> float:
        return min((i.start for i in self.items if i.start is not None), default=0.0)

    @property
    def end(self) -> float:
        return max((i.end for i in self.items if i.end is not None), default=self.start)


def parse_batch_output(data: bytes | str | Mapping[str, Any]) -> Transcript:
    """Parse the transcript JSON written by a medical batch job.

    Args:
        data: The file's bytes or text, or the already-decoded JSON object.

    Returns:
        The transcript (``source="batch"``, ``job_name`` from the file). Its ``text`` equals
        ``results.transcripts[0].transcript`` for single-channel files.

    Raises:
        ProtocolError: The data is not JSON or not a batch transcript; the message names the
            malformed field (never its value).

    Example:
        >>> transcript = parse_batch_output(Path("visit.json").read_bytes())   # doctest: +SKIP
        >>> transcript.speakers                                                 # doctest: +SKIP
        ['spk_0', 'spk_1']
    """
    if isinstance(data, bytes | bytearray | str):
        try:
            data = json.loads(data)
        except ValueError as error:
            # JSONDecodeError's text gives only the position, never the content.
            raise ProtocolError(f"batch transcript is not valid JSON: {error}") from None
    if not isinstance(data, Mapping):
        raise ProtocolError("batch transcript: the top level must be a JSON object")
    try:
        wire = _WireFile.model_validate(data)
    except pydantic.ValidationError as error:
        reason = to_validation_error(error, hide_input=True)
        raise ProtocolError(f"malformed batch transcript: {reason}") from error
    try:
        segments = _build_segments(wire.results)
    except ValueError as error:
        raise ProtocolError(f"malformed batch transcript: {error}") from error
    return Transcript(segments=segments, source="batch", job_name=wire.job_name)


def _build_segments(results: _WireResults) -> list[Segment]:
    speaker_of = _SpeakerLookup(results.speaker_labels)
    channels = results.channel_labels.channels if results.channel_labels else []
    if channels and all(item.has_content for channel in channels for item in channel.items):
        # Each channel lists its own items in full: the surest source of the channel.
        streams = [
            _label_items(channel.items, speaker_of, normalise_channel(channel.channel_label), {})
            for channel in channels
        ]
    else:
        channel_of = {
            key: normalise_channel(channel.channel_label)
            for channel in channels
            for item in channel.items
            if (key := _key(item.start_time, item.end_time)) is not None
        }
        items = _label_items(results.items, speaker_of, None, channel_of)
        streams = _by_channel(items)

    runs = [run for stream in streams for run in _split_runs(stream)]
    runs.sort(key=lambda run: run.start)  # stable: a channel's own order is kept on ties
    if not runs and results.transcripts and results.transcripts[0].transcript:
        # No items at all but a text: keep the text rather than lose it.
        return [Segment(start=0.0, end=0.0, text=results.transcripts[0].transcript)]
    segments = [_segment(run) for run in runs]
    _attach_entities(segments, results.entities)
    _attach_alternatives(segments, results.segments)
    return segments


class _SpeakerLookup:
    """Finds the speaker of a timed item from ``speaker_labels``."""

    def __init__(self, labels: _WireSpeakerLabels | None) -> None:
        self._by_key: dict[tuple[float, float], str | None] = {}
        self._ranges: list[tuple[float, float, str | None]] = []
        if labels is None:
            return
        for segment in labels.segments:
            speaker = normalise_speaker(segment.speaker_label)
            self._ranges.append((segment.start_time, segment.end_time, speaker))
            for item in segment.items:
                key = _key(item.start_time, item.end_time)
                if key is not None:
                    label = item.speaker_label
                    self._by_key[key] = normalise_speaker(label) if label is not None else speaker

    def __call__(self, start: float | None, end: float | None) -> str | None:
        key = _key(start, end)
        if key is None:
            return None
        if key in self._by_key:
            return self._by_key[key]
        for range_start, range_end, speaker in self._ranges:
            if range_start <= key[0] <= range_end:
                return speaker
        return None


def _label_items(
    wire_items: Iterable[_WireItem],
    speaker_of: _SpeakerLookup,
    channel: str | None,
    channel_of: Mapping[tuple[float, float], str | None],
) -> list[Item]:
    """Convert wire items, giving each its speaker and channel (punctuation: the previous ones)."""
    items: list[Item] = []
    speaker: str | None = None
    current_channel = channel
    for index, wire in enumerate(wire_items):
        try:
            if wire.speaker_label is not None:
                speaker = normalise_speaker(wire.speaker_label)
            elif wire.type == "pronunciation":
                speaker = speaker_of(wire.start_time, wire.end_time)
            if wire.channel_label is not None:
                current_channel = normalise_channel(wire.channel_label)
            elif wire.type == "pronunciation" and channel is None:
                current_channel = channel_of.get(_key(wire.start_time, wire.end_time) or (-1.0, -1.0))
            items.append(wire.to_item(speaker, current_channel))
        except ValueError as error:
            raise ValueError(f"items[{index}]: {error}") from error
    return items


def _by_channel(items: list[Item]) -> list[list[Item]]:
    streams: dict[str | None, list[Item]] = {}
    for item in items:
        streams.setdefault(item.channel, []).append(item)
    return list(streams.values())


def _split_runs(items: Iterable[Item]) -> list[_Run]:
    """Split one channel's items at speaker changes and after sentence-ending punctuation."""
    runs: list[_Run] = []
    current: _Run | None = None
    pending: list[Item] = []  # punctuation before any word
    sentence_ended = False
    for item in items:
        if item.type == "punctuation":
            if current is None:
                pending.append(item)
            else:
                current.items.append(item)
                sentence_ended = sentence_ended or item.content.strip() in SENTENCE_END
            continue
        if current is None or sentence_ended or item.speaker != current.items[0].speaker:
            current = _Run(items=[*pending, item])
            pending = []
            runs.append(current)
            sentence_ended = False
        else:
            current.items.append(item)
    if pending:
        runs.append(_Run(items=pending))
    return runs


def _segment(run: _Run) -> Segment:
    first_word = next((item for item in run.items if item.type == "pronunciation"), run.items[0])
    return Segment(
        start=run.start,
        end=run.end,
        text=join_items(run.items),
        speaker=first_word.speaker,
        channel=first_word.channel,
        items=run.items,
    )


def _best_segment(segments: list[Segment], start: float, end: float, channel: str | None = None) -> int:
    """Index of the segment overlapping ``start..end`` most (then containing, then nearest)."""
    best, best_score = 0, (-1, -1.0, -float("inf"))
    for index, segment in enumerate(segments):
        overlap = min(end, segment.end) - max(start, segment.start)
        contains = segment.start <= start <= segment.end
        same_channel = channel is None or segment.channel == channel
        score = (int(same_channel), max(overlap, 0.0) + (1e-9 if contains else 0.0), -abs(segment.start - start))
        if score > best_score:
            best, best_score = index, score
    return best


def _attach_entities(segments: list[Segment], entities: Iterable[_WireEntity]) -> None:
    if not segments:
        return
    for wire in entities:
        target = segments[_best_segment(segments, wire.start_time, wire.end_time)]
        target.entities.append(
            Entity(
                start=wire.start_time,
                end=wire.end_time,
                category=wire.category,
                content=wire.content,
                confidence=wire.confidence,
            )
        )


def _attach_alternatives(segments: list[Segment], alt_segments: Iterable[_WireAltSegment]) -> None:
    """Distribute ``results.segments`` alternatives over our segments, by the time of each word."""
    if not segments:
        return
    # rank -> segment index -> items; AWS's stretches may cut one of our segments in two.
    found: dict[int, dict[int, list[Item]]] = {}
    for alt_index, alt_segment in enumerate(alt_segments):
        for rank, alternative in enumerate(alt_segment.alternatives):
            target: int | None = None
            pending: list[Item] = []
            per_segment = found.setdefault(rank, {})
            for index, wire in enumerate(alternative.items):
                try:
                    channel = normalise_channel(wire.channel_label)
                    item_speaker = normalise_speaker(wire.speaker_label)
                    if wire.type == "pronunciation" and wire.start_time is not None:
                        end = wire.end_time if wire.end_time is not None else wire.start_time
                        target = _best_segment(segments, wire.start_time, end, channel)
                    if target is None:
                        pending.append(wire.to_item(item_speaker, channel))
                        continue
                    segment = segments[target]
                    item = wire.to_item(item_speaker or segment.speaker, channel or segment.channel)
                except ValueError as error:
                    raise ValueError(f"segments[{alt_index}].alternatives[{rank}].items[{index}]: {error}") from error
                per_segment.setdefault(target, []).extend([*pending, item])
                pending = []
    for rank in sorted(found):
        for seg_index, items in found[rank].items():
            segments[seg_index].alternatives.append(Alternative(text=join_items(items), items=items))
