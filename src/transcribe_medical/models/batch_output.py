"""Parser of the transcript file a medical batch job writes (reference §2).

:func:`parse_batch_output` reads AWS's JSON into the one :class:`~.transcript.Transcript` model,
keeping the transcript as AWS made it:

* ``Transcript.text`` equals the file's ``results.transcripts[0].transcript``: the words are
  ``results.items`` in AWS's order (its turns, in time order, channels merged), joined as AWS joins
  them; when that cannot give AWS's text (a shortened example), the text is kept as
  :attr:`~.transcript.Transcript.service_text`;
* segments follow the turns: a segment is a run of ``results.items`` of one speaker and one
  channel, split after sentence-ending punctuation (``.``, ``?``, ``!``); it ends where another
  speaker or channel starts;
* every word keeps its own channel: ``channel_labels`` lists each channel's items in the channel's
  order, and ``results.items`` is those lists merged, so each item is the next unused item of
  exactly one channel (matched by type, content and times, never by overlapping time ranges);
* every word keeps its own speaker: an item-level ``speaker_label``, else ``speaker_labels``
  matched by the item's times;
* alternatives (``results.segments``) are kept per AWS segment, verbatim, as
  :class:`~.transcript.AlternativeSegment`; their words get their channel from their identity
  (then their times) in ``channel_labels``, else the channel of the AWS segment they are in.

It also copes with what makes the file awkward: numbers are strings (``"0.54"``), except in PHI
entities where they may be numbers or strings; punctuation has no times and a ``"0.0"``
confidence (kept as ``None``: not scored); PHI entities use camelCase keys (``startTime``);
fields it does not know are ignored.
"""

from __future__ import annotations

import itertools
import json
from collections import Counter, deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pydantic
from pydantic import AliasChoices, BaseModel, ConfigDict, Field, model_validator

from transcribe_medical._exceptions import ProtocolError
from transcribe_medical.models._base import to_validation_error
from transcribe_medical.models.transcript import (
    Alternative,
    AlternativeSegment,
    Entity,
    Item,
    Segment,
    Transcript,
    join_items,
    joined_text,
    normalise_channel,
    normalise_speaker,
)

__all__ = ["SENTENCE_END", "parse_batch_output"]

#: Punctuation that ends a batch segment.
SENTENCE_END = frozenset({".", "?", "!"})

# Times are matched between the item lists at millisecond precision.
_KEY_DIGITS = 3
# How far ahead in a channel's list to look for an item its head does not match (bounds the work
# a file whose lists disagree can cause).
_RESYNC_WINDOW = 64

_TimeKey = tuple[float, float]
_Identity = tuple[str | None, str | None, float | None, float | None]


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

    @property
    def text(self) -> str | None:
        """The word or mark: ``alternatives[0].content`` (``items``) or ``content`` (alternatives)."""
        return self.alternatives[0].content if self.alternatives else self.content

    @property
    def time_key(self) -> _TimeKey | None:
        return _key(self.start_time, self.end_time)

    @property
    def identity(self) -> _Identity:
        """What makes two listings of one item equal: type, content and times."""
        key = self.time_key
        return (self.type, self.text, None if key is None else key[0], None if key is None else key[1])

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


def _key(start: float | None, end: float | None) -> _TimeKey | None:
    if start is None or end is None:
        return None
    return (round(start, _KEY_DIGITS), round(end, _KEY_DIGITS))


def parse_batch_output(data: bytes | str | Mapping[str, Any]) -> Transcript:
    """Parse the transcript JSON written by a medical batch job.

    Args:
        data: The file's bytes or text, or the already-decoded JSON object.

    Returns:
        The transcript (``source="batch"``, ``job_name`` from the file). Its ``text`` equals
        ``results.transcripts[0].transcript``; its segments follow the turns in time order; its
        ``alternative_segments`` hold AWS's alternative hypotheses, verbatim.

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
        return _build_transcript(wire)
    except ValueError as error:
        raise ProtocolError(f"malformed batch transcript: {error}") from error


def _build_transcript(wire: _WireFile) -> Transcript:
    results = wire.results
    aws_text = results.transcripts[0].transcript if results.transcripts else None
    speaker_of = _SpeakerLookup(results.speaker_labels)
    channels = _ChannelIndex(results.channel_labels)
    items = _label_items(results, speaker_of, channels)
    segments = [_segment(run) for run in _split_runs(items)]
    if not segments and aws_text:
        # No items at all but a text: keep the text rather than lose it.
        segments = [Segment(start=0.0, end=0.0, text=aws_text)]
    _attach_entities(segments, results.entities)
    return Transcript(
        segments=segments,
        alternative_segments=_alternative_segments(results.segments, speaker_of, channels),
        service_text=aws_text if aws_text is not None and aws_text != joined_text(segments) else None,
        source="batch",
        job_name=wire.job_name,
    )


class _SpeakerLookup:
    """Finds the speaker of a timed item from ``speaker_labels``."""

    def __init__(self, labels: _WireSpeakerLabels | None) -> None:
        self._by_key: dict[_TimeKey, str | None] = {}
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


class _ChannelIndex:
    """Which channel each item belongs to, from ``channel_labels``.

    ``results.items`` is the channels' own lists merged in time order, so walking it, each item is
    the next unused item (the head) of exactly one channel's list. Taking heads reproduces AWS's
    assignment exactly, punctuation included, and a word said at the same moment on both
    channels still goes to one each.
    """

    def __init__(self, labels: _WireChannelLabels | None) -> None:
        self.present = labels is not None and bool(labels.channels)
        self._queues: list[tuple[str | None, deque[_WireItem]]] = []
        self._by_identity: dict[_Identity, set[str | None]] = {}
        self._by_time: dict[_TimeKey, set[str | None]] = {}
        for channel in labels.channels if labels else []:
            label = normalise_channel(channel.channel_label)
            self._queues.append((label, deque(channel.items)))
            for item in channel.items:
                self._by_identity.setdefault(item.identity, set()).add(label)
                if (key := item.time_key) is not None:
                    self._by_time.setdefault(key, set()).add(label)
        #: Every channel lists its items in full (with content), as AWS does.
        self.complete = self.present and all(item.has_content for _, queue in self._queues for item in queue)

    def take(self, wire: _WireItem, previous: str | None) -> str | None:
        """The channel of the next item of ``results.items``, consumed from its channel's list.

        Args:
            wire: The item.
            previous: The channel of the item before it (wins a tie, keeps punctuation with
                its word).

        Returns:
            The channel, or ``None`` when no channel lists the item (then found by its times,
            or, for punctuation, the previous item's channel).
        """
        if not self.complete:
            return previous if wire.type == "punctuation" else self.lookup(wire)
        identity = wire.identity
        heads = [index for index, (_, queue) in enumerate(self._queues) if queue and queue[0].identity == identity]
        if not heads and wire.type == "pronunciation":
            heads = self._resync(identity)
        if heads:
            chosen = next((index for index in heads if self._queues[index][0] == previous), heads[0])
            label, queue = self._queues[chosen]
            queue.popleft()
            return label
        if wire.type == "punctuation":
            return previous
        return self.lookup(wire)

    def _resync(self, identity: _Identity) -> list[int]:
        """Skip items a channel lists but ``results.items`` does not, up to this word (if near)."""
        for index, (_, queue) in enumerate(self._queues):
            ahead = itertools.islice(queue, _RESYNC_WINDOW)
            position = next((n for n, item in enumerate(ahead) if item.identity == identity), None)
            if position is not None:
                for _ in range(position):
                    queue.popleft()
                return [index]
        return []

    def lookup(self, wire: _WireItem) -> str | None:
        """The one channel listing this word (by identity, then by times), without consuming it."""
        for found in (self._by_identity.get(wire.identity), self._by_time.get(wire.time_key or (-1.0, -1.0))):
            if found is not None and len(found) == 1:
                return next(iter(found))
        return None

    def merged(self) -> Iterator[tuple[_WireItem, str | None]]:
        """Every channel's items merged by time, for a file without ``results.items``."""
        timed: list[tuple[float, int, int, _WireItem, str | None]] = []
        # At the same time, ch_0 before ch_1, whatever order the file lists the channels in.
        for channel_index, (label, queue) in enumerate(
            sorted(self._queues, key=lambda entry: _channel_number(entry[0]))
        ):
            start = 0.0
            for position, item in enumerate(queue):
                start = item.start_time if item.start_time is not None else start  # punctuation: its word's
                timed.append((start, channel_index, position, item, label))
        for _, _, _, item, label in sorted(timed, key=lambda entry: entry[:3]):
            yield item, label


def _channel_number(label: str | None) -> int:
    digits = (label or "").rpartition("_")[2]
    return int(digits) if digits.isdecimal() else 0


def _label_items(results: _WireResults, speaker_of: _SpeakerLookup, channels: _ChannelIndex) -> list[Item]:
    """``results.items`` in AWS's order, each with its own speaker and channel."""
    if results.items or not channels.complete:
        listed: Iterable[tuple[_WireItem, str | None]] = ((wire, None) for wire in results.items)
    else:
        listed = channels.merged()
    items: list[Item] = []
    channel: str | None = None
    speakers: dict[str | None, str | None] = {}  # last speaker per channel, for punctuation
    for index, (wire, given) in enumerate(listed):
        try:
            if wire.channel_label is not None:
                channel = normalise_channel(wire.channel_label)
            elif given is not None:
                channel = given
            elif channels.present:
                channel = channels.take(wire, channel)
            if wire.speaker_label is not None:
                speakers[channel] = normalise_speaker(wire.speaker_label)
            elif wire.type == "pronunciation":
                speakers[channel] = speaker_of(wire.start_time, wire.end_time)
            items.append(wire.to_item(speakers.get(channel), channel))
        except ValueError as error:
            raise ValueError(f"items[{index}]: {error}") from error
    return items


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


def _split_runs(items: Iterable[Item]) -> list[_Run]:
    """Split items into turns: at a speaker or channel change, and after sentence-ending punctuation."""
    runs: list[_Run] = []
    current: _Run | None = None
    sentence_ended = False
    for item in items:
        turn = (item.speaker, item.channel)
        if item.type == "punctuation":
            # A mark stays with the words before it unless another channel said it.
            if current is not None and item.channel == current.items[0].channel:
                current.items.append(item)
                sentence_ended = sentence_ended or item.content.strip() in SENTENCE_END
                continue
        elif current is not None and not sentence_ended and turn == _turn(current):
            current.items.append(item)
            continue
        if current is not None and _turn(current) is None and turn[1] == current.items[0].channel:
            current.items.append(item)  # the first word after leading punctuation
        else:
            current = _Run(items=[item])
            runs.append(current)
        sentence_ended = item.type == "punctuation" and item.content.strip() in SENTENCE_END
    return runs


def _turn(run: _Run) -> tuple[str | None, str | None] | None:
    """The speaker and channel of a run's first word (``None`` while it holds only punctuation)."""
    word = next((item for item in run.items if item.type == "pronunciation"), None)
    return None if word is None else (word.speaker, word.channel)


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


def _best_segment(segments: Sequence[Segment], start: float, end: float) -> int:
    """Index of the segment overlapping ``start..end`` most (then containing, then nearest)."""
    best, best_score = 0, (-1.0, -float("inf"))
    for index, segment in enumerate(segments):
        overlap = min(end, segment.end) - max(start, segment.start)
        contains = segment.start <= start <= segment.end
        score = (max(overlap, 0.0) + (1e-9 if contains else 0.0), -abs(segment.start - start))
        if score > best_score:
            best, best_score = index, score
    return best


def _attach_entities(segments: list[Segment], entities: Iterable[_WireEntity]) -> None:
    # PHI entities carry no channel or speaker: their times are all AWS gives to place them.
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


def _alternative_segments(
    wire_segments: Iterable[_WireAltSegment], speaker_of: _SpeakerLookup, channels: _ChannelIndex
) -> list[AlternativeSegment]:
    """AWS's ``results.segments``, one :class:`AlternativeSegment` each, hypotheses verbatim."""
    found: list[AlternativeSegment] = []
    for seg_index, wire_segment in enumerate(wire_segments):
        best = wire_segment.alternatives[0].items if wire_segment.alternatives else []
        # AWS cuts its segments within one channel: the channel of the best hypothesis' words.
        votes = Counter(
            label
            for wire in best
            if wire.type == "pronunciation" and (label := _given_channel(wire) or channels.lookup(wire))
        )
        segment_channel = votes.most_common(1)[0][0] if votes else None
        alternatives: list[Alternative] = []
        for rank, alternative in enumerate(wire_segment.alternatives):
            try:
                items = _alternative_items(alternative.items, segment_channel, speaker_of, channels)
            except ValueError as error:
                raise ValueError(f"segments[{seg_index}].alternatives[{rank}].{error}") from error
            alternatives.append(Alternative(text=alternative.transcript, items=items))
        words = alternatives[0].items if alternatives else []
        speakers = Counter(item.speaker for item in words if item.speaker and item.type == "pronunciation")
        found.append(
            AlternativeSegment(
                start=wire_segment.start_time,
                end=wire_segment.end_time,
                channel=segment_channel,
                speaker=speakers.most_common(1)[0][0] if speakers else None,
                alternatives=alternatives,
            )
        )
    return found


def _given_channel(wire: _WireItem) -> str | None:
    return normalise_channel(wire.channel_label) if wire.channel_label is not None else None


def _alternative_items(
    wires: Iterable[_WireItem], segment_channel: str | None, speaker_of: _SpeakerLookup, channels: _ChannelIndex
) -> list[Item]:
    items: list[Item] = []
    channel, speaker = segment_channel, None
    for index, wire in enumerate(wires):
        try:
            if wire.type == "pronunciation":
                channel = _given_channel(wire) or channels.lookup(wire) or segment_channel
                speaker = (
                    normalise_speaker(wire.speaker_label)
                    if wire.speaker_label is not None
                    else speaker_of(wire.start_time, wire.end_time)
                )
            elif wire.channel_label is not None:
                channel = _given_channel(wire)
            items.append(wire.to_item(speaker, channel))
        except ValueError as error:
            raise ValueError(f"items[{index}]: {error}") from error
    return items
