"""The one transcript model that both the streaming and the batch paths produce.

A :class:`Transcript` is a list of :class:`Segment`\\ s in time order. A segment is one final
streaming result (one per speaker turn where AWS marks a ``speaker-change`` in it), or one batch
run of a speaker/channel split at sentence-ending punctuation. Each
segment keeps its words (:class:`Item`), PHI entities (:class:`Entity`) and, from streaming, its
alternative hypotheses (:class:`Alternative`); a batch job's hypotheses are kept as AWS grouped
them, per :class:`AlternativeSegment`. Everything is normalised the same way whatever the source:

* speakers are ``"spk_N"`` (streaming's ``"0"`` becomes ``"spk_0"``), channels ``"ch_N"``;
* times are float seconds from the start of the audio;
* punctuation items have ``confidence=None`` and are never flagged for review.

These models hold data only: rendering a transcript (text, JSON, subtitles, HTML) and writing it
to a file are :mod:`transcribe_medical.exports`' job, a layer above. They hold transcript text,
which is PHI: their ``repr()``/``str()`` show times, labels and counts only, and validation errors
never echo the input.

Example:
    >>> transcript = Transcript.from_events(events)          # doctest: +SKIP
    >>> print(transcript.text)                               # doctest: +SKIP
    >>> for flag in transcript.review(min_confidence=0.9):   # doctest: +SKIP
    ...     print(flag.segment_index, flag.start, flag.confidence)
"""

from __future__ import annotations

import bisect
import functools
import math
import re
import sys
from array import array
from collections import Counter, deque
from collections.abc import Iterable
from typing import Final, Literal, Self

from pydantic import ConfigDict, Field, field_validator, model_validator

from transcribe_medical import _limits
from transcribe_medical._exceptions import ProtocolError, ValidationError
from transcribe_medical.models._base import PhiSafeModel
from transcribe_medical.models.events import Result, ResultAlternative, ResultItem, TranscriptEvent

__all__ = [
    "Alternative",
    "AlternativeSegment",
    "Entity",
    "Gap",
    "Item",
    "ItemType",
    "ReviewFlag",
    "Segment",
    "Transcript",
    "TranscriptAssembler",
    "TranscriptSource",
    "join_items",
    "joined_text",
    "normalise_channel",
    "normalise_speaker",
]

#: ``"pronunciation"`` (a word) or ``"punctuation"``.
ItemType = Literal["pronunciation", "punctuation"]
#: Which path produced a transcript.
TranscriptSource = Literal["streaming", "batch"]

_SPEAKER = re.compile(r"(?:spk_)?([0-9]+)")
# HealthScribe names speakers by participant role: CLINICIAN_0, PATIENT_1 (kept as they are).
_PARTICIPANT_ROLE = re.compile(r"[A-Z]+_[0-9]+")
_CHANNEL = re.compile(r"(?:ch_)?([0-9]+)")
_TIME_DIGITS = 6  # shifted times are rounded to the microsecond so 0.1 + 0.2 stays 0.3


def _normalise_label(value: object, pattern: re.Pattern[str], prefix: str, what: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return f"{prefix}{value}"
    if isinstance(value, str):
        match = pattern.fullmatch(value.strip())
        if match:
            return f"{prefix}{int(match.group(1))}"
    raise ValueError(f"a {what} label must be '{prefix}N' or a number N >= 0")


def normalise_speaker(value: object) -> str | None:
    """Normalise a speaker label to ``"spk_N"``.

    Args:
        value: ``None``, a number (``0``, ``"0"``), a label (``"spk_0"``) or a HealthScribe
            participant role (``"CLINICIAN_0"``, kept as it is).

    Returns:
        ``"spk_N"`` (or the participant role), or ``None`` for ``None``.

    Raises:
        ValueError: The value is not a speaker label.
    """
    if isinstance(value, str) and _PARTICIPANT_ROLE.fullmatch(value.strip()):
        return value.strip()
    return _normalise_label(value, _SPEAKER, "spk_", "speaker")


def normalise_channel(value: object) -> str | None:
    """Normalise a channel label to ``"ch_N"``.

    Args:
        value: ``None``, a number (``0``, ``"0"``) or a label (``"ch_0"``).

    Returns:
        ``"ch_N"``, or ``None`` for ``None``.

    Raises:
        ValueError: The value is not a channel label.
    """
    return _normalise_label(value, _CHANNEL, "ch_", "channel")


def _label_order(label: str) -> tuple[int, str]:
    digits = label.rpartition("_")[2]
    return (int(digits) if digits.isdecimal() else 0, label)


class _TranscriptModel(PhiSafeModel):
    """Base of the transcript models: PHI-safe repr and errors, unknown fields ignored."""

    model_config = ConfigDict(extra="ignore", hide_input_in_errors=True, populate_by_name=True)


_Time = Field(ge=0, allow_inf_nan=False)
_Confidence = Field(default=None, ge=0, le=1, allow_inf_nan=False)


class Item(_TranscriptModel):
    """One word (pronunciation) or punctuation mark.

    Attributes:
        start: Start in seconds, or ``None`` (batch punctuation has no time).
        end: End in seconds, or ``None``.
        content: The word or mark.
        type: ``"pronunciation"`` or ``"punctuation"``.
        confidence: 0..1 for words; always ``None`` for punctuation.
        speaker: ``"spk_N"`` or ``None``.
        channel: ``"ch_N"`` or ``None``.
    """

    start: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    end: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    content: str
    type: ItemType = "pronunciation"
    confidence: float | None = _Confidence
    speaker: str | None = None
    channel: str | None = None

    _repr_values = ("start", "end", "type", "confidence", "speaker", "channel")

    @field_validator("speaker", mode="before")
    @classmethod
    def _normalise_speaker(cls, value: object) -> str | None:
        return normalise_speaker(value)

    @field_validator("channel", mode="before")
    @classmethod
    def _normalise_channel(cls, value: object) -> str | None:
        return normalise_channel(value)

    @model_validator(mode="after")
    def _punctuation_has_no_confidence(self) -> Self:
        # AWS gives punctuation "0.0" in batch output: it means "not scored", not "unsure".
        if self.type == "punctuation" and self.confidence is not None:
            self.confidence = None
        return self

    @property
    def is_punctuation(self) -> bool:
        """True for a punctuation mark."""
        return self.type == "punctuation"


class Entity(_TranscriptModel):
    """A PHI entity identified by the service (content identification).

    Attributes:
        start: Start in seconds.
        end: End in seconds.
        category: ``"PHI"`` for Transcribe Medical; a HealthScribe clinical insight's category
            (``"MEDICATION"``, ``"MEDICAL_CONDITION"``, ...) otherwise.
        content: The words identified as PHI.
        confidence: 0..1, or ``None`` when the service gave none.
    """

    start: float = _Time
    end: float = _Time
    category: str = "PHI"
    content: str
    confidence: float | None = _Confidence

    _repr_values = ("start", "end", "category", "confidence")


class Alternative(_TranscriptModel):
    """One hypothesis for a segment's stretch of speech.

    Attributes:
        text: The hypothesis.
        items: Its words and punctuation.
    """

    text: str
    items: list[Item] = Field(default_factory=list)

    _repr_counts = ("items",)


class Segment(_TranscriptModel):
    """One final streaming result, or one batch run of a speaker/channel split at sentence ends.

    Attributes:
        start: Start in seconds.
        end: End in seconds.
        text: What was said.
        speaker: ``"spk_N"`` with speaker labels (the speaker of most of its words), else ``None``.
        channel: ``"ch_N"`` with channel identification, else ``None``.
        items: Its words and punctuation, in time order.
        entities: PHI entities inside it (content identification).
        alternatives: Every hypothesis the service offered for it, best first; empty unless the
            service returned more than one. Streaming only: a batch job's hypotheses are not cut
            at our segments' bounds, they are in :attr:`Transcript.alternative_segments`.
        result_id: The streaming ``ResultId`` it came from (``None`` for batch).
        segment_id: The HealthScribe ``SegmentId`` (clinical-note evidence links name it).
    """

    start: float = _Time
    end: float = _Time
    text: str
    speaker: str | None = None
    channel: str | None = None
    items: list[Item] = Field(default_factory=list)
    entities: list[Entity] = Field(default_factory=list)
    alternatives: list[Alternative] = Field(default_factory=list)
    result_id: str | None = None
    segment_id: str | None = None

    _repr_values = ("start", "end", "speaker", "channel", "result_id", "segment_id")
    _repr_counts = ("items", "entities", "alternatives")

    @field_validator("speaker", mode="before")
    @classmethod
    def _normalise_speaker(cls, value: object) -> str | None:
        return normalise_speaker(value)

    @field_validator("channel", mode="before")
    @classmethod
    def _normalise_channel(cls, value: object) -> str | None:
        return normalise_channel(value)

    @property
    def duration(self) -> float:
        """``end - start`` in seconds (never negative)."""
        return max(0.0, self.end - self.start)

    def shift(self, seconds: float) -> Segment:
        """Return a copy with every time moved by ``seconds``.

        Raises:
            ValidationError: A time would become negative.
        """
        return Segment(
            start=_shifted(self.start, seconds),
            end=_shifted(self.end, seconds),
            text=self.text,
            speaker=self.speaker,
            channel=self.channel,
            items=[_shift_item(item, seconds) for item in self.items],
            entities=[
                entity.model_copy(
                    update={"start": _shifted(entity.start, seconds), "end": _shifted(entity.end, seconds)}
                )
                for entity in self.entities
            ],
            alternatives=[
                Alternative(text=alt.text, items=[_shift_item(item, seconds) for item in alt.items])
                for alt in self.alternatives
            ],
            result_id=self.result_id,
            segment_id=self.segment_id,
        )


def _shifted(time: float, seconds: float) -> float:
    moved = round(time + seconds, _TIME_DIGITS)
    if moved < 0:
        raise ValidationError(f"shift: {seconds} s would move a time before 0", field="seconds")
    return moved


def _shift_item(item: Item, seconds: float) -> Item:
    return item.model_copy(
        update={
            "start": None if item.start is None else _shifted(item.start, seconds),
            "end": None if item.end is None else _shifted(item.end, seconds),
        }
    )


class AlternativeSegment(_TranscriptModel):
    """One stretch of speech with the service's alternative hypotheses, as the batch file gives it.

    A batch job run with ``ShowAlternatives`` lists its hypotheses per stretch of speech of its
    own choosing (``results.segments``), which need not match the transcript's segments (those
    split at sentence ends). They are kept here as AWS made them, one per AWS segment in the
    file's order, so that every hypothesis can be read back word for word. Streaming keeps its
    hypotheses on :attr:`Segment.alternatives` instead, since a streaming segment *is* AWS's
    result.

    Attributes:
        start: Start in seconds, as AWS gives it (``None`` if it gave none).
        end: End in seconds, or ``None``.
        channel: ``"ch_N"`` with channel identification (found from the words' identity in
            ``channel_labels``), else ``None``.
        speaker: ``"spk_N"`` of most of the best hypothesis' words, with speaker labels, else
            ``None``.
        alternatives: The hypotheses, best first, verbatim: ``text`` is AWS's ``transcript`` and
            ``items`` its words, each with its own channel and speaker.
    """

    start: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    end: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    channel: str | None = None
    speaker: str | None = None
    alternatives: list[Alternative] = Field(default_factory=list)

    _repr_values = ("start", "end", "speaker", "channel")
    _repr_counts = ("alternatives",)

    @field_validator("speaker", mode="before")
    @classmethod
    def _normalise_speaker(cls, value: object) -> str | None:
        return normalise_speaker(value)

    @field_validator("channel", mode="before")
    @classmethod
    def _normalise_channel(cls, value: object) -> str | None:
        return normalise_channel(value)

    def shift(self, seconds: float) -> AlternativeSegment:
        """Return a copy with every time moved by ``seconds``.

        Raises:
            ValidationError: A time would become negative.
        """
        return self.model_copy(
            update={
                "start": None if self.start is None else _shifted(self.start, seconds),
                "end": None if self.end is None else _shifted(self.end, seconds),
                "alternatives": [
                    Alternative(text=alt.text, items=[_shift_item(item, seconds) for item in alt.items])
                    for alt in self.alternatives
                ],
            }
        )


def join_items(items: Iterable[Item]) -> str:
    """Join items into text the way AWS does: a space before each word, none before punctuation.

    Args:
        items: Words and punctuation marks in order.

    Returns:
        The text, without leading space.
    """
    parts: list[str] = []
    for item in items:
        if parts and item.type == "pronunciation":
            parts.append(" ")
        parts.append(item.content)
    return "".join(parts)


def joined_text(segments: Iterable[Segment]) -> str:
    """Join segments' texts the way AWS joins a transcript's words.

    A space goes between two segments unless the second starts with punctuation (a segment cut
    where another channel's word came between a word and its full stop), so a batch
    transcript's segments join back into the file's ``transcript``.

    Args:
        segments: The segments in order.

    Returns:
        The text.
    """
    parts: list[str] = []
    for segment in segments:
        if not segment.text:
            continue
        if parts and not (segment.items and segment.items[0].type == "punctuation"):
            parts.append(" ")
        parts.append(segment.text)
    return "".join(parts)


class ReviewFlag(_TranscriptModel):
    """A word whose confidence is below the review threshold.

    Attributes:
        segment_index: Index of its segment in :attr:`Transcript.segments`.
        item_index: Index of the word in that segment's ``items``.
        start: Start of the word in seconds (``None`` if unknown).
        end: End of the word in seconds (``None`` if unknown).
        content: The word.
        confidence: Its confidence, below the threshold.
        speaker: ``"spk_N"`` or ``None``.
        channel: ``"ch_N"`` or ``None``.
    """

    model_config = ConfigDict(frozen=True)

    segment_index: int = Field(ge=0)
    item_index: int = Field(ge=0)
    start: float | None = None
    end: float | None = None
    content: str
    confidence: float = Field(ge=0, le=1)
    speaker: str | None = None
    channel: str | None = None

    _repr_values = ("segment_index", "item_index", "start", "end", "confidence", "speaker", "channel")


class Gap(_TranscriptModel):
    """A span of audio the transcript does not cover: it was lost and could not be replayed.

    A live (non-seekable) stream that reconnects replays what its in-memory buffer still holds;
    when the outage outran the buffer, the audio before it was never recognised.

    Attributes:
        start: Start of the lost span, in seconds of stream time.
        end: Its end, in seconds.
    """

    model_config = ConfigDict(frozen=True)

    start: float = _Time
    end: float = _Time

    _repr_values = ("start", "end")

    @property
    def duration(self) -> float:
        """``end - start`` in seconds (never negative)."""
        return max(0.0, self.end - self.start)

    def describe(self) -> str:
        """The span as ``"12.0-31.5 s"``."""
        return f"{self.start:.1f}-{self.end:.1f} s"


class Transcript(_TranscriptModel):
    """A complete transcript, from a streaming session or a batch job.

    A transcript holds data only. To render or write one, use :mod:`transcribe_medical.exports`
    (``exports.to_text(t)``, ``exports.export(t, "srt")``, ``exports.write_transcript_file(...)``).

    Attributes:
        segments: The segments in time order: the turns as they were spoken, with channel
            identification too (a segment ends where another speaker or channel starts).
        source: ``"streaming"`` or ``"batch"`` (``None`` when built by hand).
        job_name: The batch job's name, if any.
        session_id: The streaming session id, if known.
        alternative_segments: A batch job's alternative hypotheses, per stretch of speech as AWS
            gave them (``results.segments``), verbatim; empty without ``ShowAlternatives`` and for
            streaming (see :class:`AlternativeSegment`).
        service_text: The service's whole text (a batch file's ``results.transcripts[0]``), kept
            only when joining the segments cannot reproduce it; ``None`` otherwise.
        gaps: The spans of audio that were lost and are not transcribed (a live stream whose
            replay buffer an outage outran), in time order; empty when the audio is all covered.
            See :attr:`incomplete`.

    Example:
        >>> t = Transcript(segments=[Segment(start=0.5, end=1.2, text="Any chest pain?")])
        >>> t.text
        'Any chest pain?'
        >>> t
        Transcript(source=None, job_name=None, session_id=None, segments=1, alternative_segments=0)
    """

    segments: list[Segment] = Field(default_factory=list)
    source: TranscriptSource | None = None
    job_name: str | None = None
    session_id: str | None = None
    alternative_segments: list[AlternativeSegment] = Field(default_factory=list)
    service_text: str | None = None
    gaps: list[Gap] = Field(default_factory=list)

    _repr_values = ("source", "job_name", "session_id")
    _repr_counts = ("segments", "alternative_segments")

    @property
    def incomplete(self) -> bool:
        """True when some audio was lost and is missing from the transcript (see :attr:`gaps`)."""
        return bool(self.gaps)

    @property
    def text(self) -> str:
        """The whole text, joined as AWS joins it.

        :attr:`service_text` when set; otherwise the segments' texts, a space between two unless
        the next one starts with punctuation. For a batch file this equals its
        ``results.transcripts[0].transcript``.
        """
        if self.service_text is not None:
            return self.service_text
        return joined_text(self.segments)

    @property
    def speakers(self) -> list[str]:
        """The speaker labels present (``"spk_0"``, ``"spk_1"``, ...), in numeric order."""
        found = {seg.speaker for seg in self.segments if seg.speaker}
        found.update(item.speaker for seg in self.segments for item in seg.items if item.speaker)
        return sorted(found, key=_label_order)

    @property
    def channels(self) -> list[str]:
        """The channel labels present (``"ch_0"``, ``"ch_1"``), in numeric order."""
        found = {seg.channel for seg in self.segments if seg.channel}
        found.update(item.channel for seg in self.segments for item in seg.items if item.channel)
        return sorted(found, key=_label_order)

    @property
    def entities(self) -> list[Entity]:
        """Every entity, in segment order: PHI (Transcribe Medical) or clinical insights (HealthScribe)."""
        return [entity for segment in self.segments for entity in segment.entities]

    @property
    def phi_entities(self) -> list[Entity]:
        """The entities whose category is ``PHI``, in segment order (what redaction and review hide).

        A HealthScribe transcript's clinical insights (``MEDICATION``, ``MEDICAL_CONDITION``, ...)
        are entities too, but they are the clinical content, not identifiers: they are not here.
        """
        return [entity for entity in self.entities if entity.category.upper() == "PHI"]

    @property
    def duration(self) -> float:
        """The end of the last segment in seconds (0.0 when empty)."""
        return max((segment.end for segment in self.segments), default=0.0)

    def review(self, min_confidence: float) -> list[ReviewFlag]:
        """List the words whose confidence is below ``min_confidence``, for human review.

        Punctuation is never flagged, nor words the service gave no confidence for.

        Args:
            min_confidence: The threshold, 0..1.

        Returns:
            One flag per low-confidence word, in segment order.

        Raises:
            ValidationError: ``min_confidence`` is not within 0..1.
        """
        if not 0.0 <= min_confidence <= 1.0:
            raise ValidationError(
                f"min_confidence: {min_confidence!r} is invalid: must be between 0 and 1",
                field="min_confidence",
            )
        flags: list[ReviewFlag] = []
        for seg_index, segment in enumerate(self.segments):
            for item_index, item in enumerate(segment.items):
                if item.type == "punctuation" or item.confidence is None:
                    continue
                if item.confidence < min_confidence:
                    flags.append(
                        ReviewFlag(
                            segment_index=seg_index,
                            item_index=item_index,
                            start=item.start,
                            end=item.end,
                            content=item.content,
                            confidence=item.confidence,
                            speaker=item.speaker or segment.speaker,
                            channel=item.channel or segment.channel,
                        )
                    )
        return flags

    def shift(self, seconds: float) -> Transcript:
        """Return a copy with every time moved by ``seconds`` (e.g. a reconnected stream's offset).

        Args:
            seconds: The offset to add; may be negative as long as no time goes below 0.

        Returns:
            A new transcript; this one is unchanged.

        Raises:
            ValidationError: A time would become negative.
        """
        return self.model_copy(
            update={
                "segments": [segment.shift(seconds) for segment in self.segments],
                "alternative_segments": [segment.shift(seconds) for segment in self.alternative_segments],
                "gaps": [Gap(start=_shifted(gap.start, seconds), end=_shifted(gap.end, seconds)) for gap in self.gaps],
            }
        )

    def redact_phi(self, placeholder: str = "[PHI]") -> Transcript:
        """Return a copy with every PHI entity replaced by ``placeholder``, for sharing.

        The words overlapping an entity (and other mentions of its content) become the placeholder
        in every export; other words and all times are kept. See
        :func:`transcribe_medical.models.redaction.redact_phi`.

        Args:
            placeholder: What each stretch of PHI becomes; must not be blank.

        Returns:
            A new transcript; this one is unchanged.

        Raises:
            ValidationError: ``placeholder`` is blank.

        Example:
            >>> exports.to_text(transcript.redact_phi())      # doctest: +SKIP
            'Good morning, [PHI]. Any chest pain? ...'
        """
        from transcribe_medical.models.redaction import redact_phi

        return redact_phi(self, placeholder)

    @classmethod
    def from_events(cls, events: Iterable[TranscriptEvent], *, session_id: str | None = None) -> Transcript:
        """Assemble the final results of a stream of events into a transcript.

        Args:
            events: ``TranscriptEvent``\\ s in the order received.
            session_id: The streaming session id, recorded in the transcript.

        Returns:
            The transcript of the final results.

        Raises:
            ProtocolError: A result cannot be turned into a segment (e.g. a bad speaker label).
        """
        assembler = TranscriptAssembler(session_id=session_id)
        for event in events:
            assembler.add(event)
        return assembler.transcript()


class TranscriptAssembler:
    """Build a :class:`Transcript` incrementally from streaming events.

    The rule (golden vectors ``transcript_events.json``): only final results become segments, each
    ``ResultId`` once. A partial result never duplicates a final one, and a final result sent
    again is ignored. Segments are kept ordered by start time; with channel identification the
    channels are merged chronologically and each segment keeps its channel. Empty events are
    skipped.

    A final result is read with full fidelity (:func:`segments_from_result`: speaker changes,
    entities, alternatives) and then kept compactly (:class:`_CompactSegment`: times and
    confidences in arrays, words interned), about a tenth of the memory of the pydantic models;
    :meth:`transcript` builds the models on demand and caches them until the next final.

    What it keeps besides the segments is bounded, whatever the service sends: at most
    ``STREAM_MAX_PARTIALS`` results in progress (the least recently updated is forgotten first:
    a result id that never becomes final cannot pile up) and the last ``STREAM_MAX_FINAL_IDS``
    final ids (to ignore a final sent again).

    Example:
        >>> assembler = TranscriptAssembler()
        >>> for event in events:                          # doctest: +SKIP
        ...     for result in assembler.add(event):
        ...         show(result)                          # became final just now
        >>> transcript = assembler.transcript()           # doctest: +SKIP
    """

    def __init__(self, *, session_id: str | None = None, keep_partials: bool = True, keep_finals: bool = True) -> None:
        """Start an empty assembly.

        Args:
            session_id: The streaming session id, recorded in the transcript.
            keep_partials: Keep the latest version of each result in progress (:attr:`partials`);
                ``False`` when nobody reads them.
            keep_finals: Keep the final results as segments; ``False`` when another object holds
                the transcript (:meth:`transcript` is then empty, :attr:`partials` still works).
        """
        self.session_id = session_id
        self._keep_partials = keep_partials
        self._keep_finals = keep_finals
        self._final_ids: set[str] = set()
        self._final_order: deque[str] = deque()
        # Insertion order is the order of the last update: the first key is the stalest.
        self._partials: dict[str, Result] = {}
        self._segments: list[_CompactSegment] = []
        self._built: Transcript | None = None

    def __repr__(self) -> str:
        return (
            f"TranscriptAssembler(session_id={self.session_id!r}, segments={len(self._segments)}, "
            f"partials={len(self._partials)})"
        )

    def add(self, event: TranscriptEvent) -> list[Result]:
        """Take one event into account.

        Args:
            event: The next event received.

        Returns:
            The results that became final with this event (each ``ResultId`` is returned once).

        Raises:
            ProtocolError: A final result cannot be turned into a segment.
        """
        finals: list[Result] = []
        for result in event.results:
            if self.add_result(result):
                finals.append(result)
        return finals

    def add_result(self, result: Result) -> bool:
        """Take one result into account; return whether it became final just now.

        Raises:
            ProtocolError: A final result cannot be turned into a segment.
        """
        result_id = result.result_id
        if result_id in self._final_ids:
            return False
        if result.is_partial:
            if self._keep_partials:
                self._keep_partial(result_id, result)
            return False
        self._remember_final(result_id)
        self._partials.pop(result_id, None)
        if self._keep_finals and result.alternatives and result.alternatives[0].transcript:
            for compact in _compact_segments(result):  # one per speaker turn in the result
                bisect.insort(self._segments, compact, key=_compact_start)
            self._built = None
        return True

    def _keep_partial(self, result_id: str, result: Result) -> None:
        self._partials.pop(result_id, None)
        self._partials[result_id] = result
        if len(self._partials) > _limits.STREAM_MAX_PARTIALS:
            del self._partials[next(iter(self._partials))]

    def _remember_final(self, result_id: str) -> None:
        self._final_ids.add(result_id)
        self._final_order.append(result_id)
        if len(self._final_order) > _limits.STREAM_MAX_FINAL_IDS:
            self._final_ids.discard(self._final_order.popleft())

    @property
    def partials(self) -> list[Result]:
        """The latest version of each result still in progress, ordered by start time."""
        return sorted(self._partials.values(), key=lambda result: result.start_time)

    @property
    def segment_count(self) -> int:
        """How many segments the final results made so far."""
        return len(self._segments)

    def transcript(self) -> Transcript:
        """The transcript of the final results so far.

        Returns:
            A new :class:`Transcript` (``source="streaming"``); later events do not change it.
        """
        built = self._built
        if built is None:
            segments = [compact.segment() for compact in self._segments]
            built = self._built = Transcript(segments=segments, source="streaming", session_id=self.session_id)
        # A copy with its own list: what the caller does to it never reaches the cache.
        return built.model_copy(update={"segments": list(built.segments)})


#: One word or mark of a streaming result, read and checked once: ``(start, end, content,
#: is_punctuation, confidence, speaker)``; the speaker already ``spk_N``, punctuation unscored.
_Word = tuple[float, float, str, bool, float | None, str | None]


class _CompactSegment:
    """One segment of a streaming transcript, held compactly until a :class:`Transcript` is asked for.

    A pydantic :class:`Item` costs about 1 KB; here a word costs its share of two arrays of floats
    (times, confidence), one byte of type, and a pointer to its interned text and speaker. The
    segment's entities and alternative hypotheses (rare) stay models. Its values were checked
    when it was made (:func:`_compact_segments`), so :meth:`segment` builds without validating.
    """

    __slots__ = (
        "alternatives",
        "channel",
        "contents",
        "end",
        "entities",
        "kinds",
        "result_id",
        "scores",
        "speaker",
        "speakers",
        "start",
        "text",
        "times",
    )

    def __init__(
        self,
        *,
        start: float,
        end: float,
        text: str,
        speaker: str | None,
        channel: str | None,
        result_id: str | None,
        words: list[_Word],
        entities: list[Entity],
        alternatives: list[Alternative],
    ) -> None:
        self.start = start
        self.end = end
        self.text = text
        self.speaker = speaker
        self.channel = channel
        self.result_id = result_id
        self.times = array("d")
        self.scores = array("d")
        for word in words:
            self.times.append(word[0])
            self.times.append(word[1])
            self.scores.append(_NO_SCORE if word[4] is None else word[4])
        self.contents = tuple(sys.intern(word[2]) for word in words)
        self.kinds = bytes(_PUNCTUATION if word[3] else _WORD for word in words)
        speakers = tuple(word[5] for word in words)
        self.speakers = speakers if any(speakers) else None
        self.entities = tuple(entities)
        self.alternatives = tuple(alternatives)

    def items(self) -> list[Item]:
        """The segment's words and marks as :class:`Item`\\ s."""
        times, scores, kinds, speakers, channel = self.times, self.scores, self.kinds, self.speakers, self.channel
        items: list[Item] = []
        for index, content in enumerate(self.contents):
            score = scores[index]
            items.append(
                Item.model_construct(
                    start=times[2 * index],
                    end=times[2 * index + 1],
                    content=content,
                    type="punctuation" if kinds[index] == _PUNCTUATION else "pronunciation",
                    confidence=None if score == _NO_SCORE else score,
                    speaker=None if speakers is None else speakers[index],
                    channel=channel,
                )
            )
        return items

    def segment(self) -> Segment:
        """The :class:`Segment` (built without validation: its values were checked once)."""
        return Segment.model_construct(
            start=self.start,
            end=self.end,
            text=self.text,
            speaker=self.speaker,
            channel=self.channel,
            items=self.items(),
            entities=list(self.entities),
            alternatives=list(self.alternatives),
            result_id=self.result_id,
        )


#: Stand-in for ``None`` in the compact confidence array (confidences are never negative).
_NO_SCORE: Final = -1.0
_WORD: Final = 0
_PUNCTUATION: Final = 1


def _compact_start(segment: _CompactSegment) -> tuple[float, int, str]:
    # Time order; at the same start, channel order (ch_0 before ch_1), whichever final came first.
    return (segment.start, *_label_order(segment.channel or ""))


def _checked_time(value: float, what: str) -> float:
    # What Item and Segment's fields allow (ge=0, no inf/NaN), checked once, here.
    if not (value >= 0 and math.isfinite(value)):
        raise ValueError(f"{what}: must be a finite number of seconds >= 0")
    return value


def _checked_confidence(value: float | None) -> float | None:
    if value is not None and not (0 <= value <= 1):  # NaN fails both comparisons
        raise ValueError("confidence: must be between 0 and 1")
    return value


@functools.lru_cache(maxsize=64)
def _speaker_label(value: str) -> str | None:
    # A stream repeats a handful of labels ("0", "1"); the cache is bounded for a peer that doesn't.
    return normalise_speaker(value)


def _word_of(item: ResultItem, speaker: str | None = None) -> _Word | None:
    """A stream item as a checked word; ``None`` for an item that is no word or mark.

    A ``speaker-change`` item (and any item type AWS adds later, or an item without ``Content``)
    holds no text: it is not kept as an item. ``speaker`` is used for a word that has no label of
    its own (the speaker a ``speaker-change`` item announced).
    """
    if item.content is None or item.type not in ("pronunciation", "punctuation"):
        return None
    punctuation = item.type == "punctuation"
    label = item.speaker if item.speaker is not None else speaker
    return (
        _checked_time(item.start_time, "start"),
        _checked_time(item.end_time, "end"),
        item.content,
        punctuation,
        None if punctuation else _checked_confidence(item.confidence),
        None if label is None else _speaker_label(label),
    )


def _words_of(alternative: ResultAlternative) -> list[_Word]:
    words = (_word_of(item) for item in alternative.items)
    return [word for word in words if word is not None]


def _items_of_words(words: list[_Word], channel: str | None) -> list[Item]:
    return _CompactSegment(
        start=0.0,
        end=0.0,
        text="",
        speaker=None,
        channel=channel,
        result_id=None,
        words=words,
        entities=[],
        alternatives=[],
    ).items()


def _turns(alternative: ResultAlternative) -> list[list[_Word]]:
    """The words of an alternative, cut where a ``speaker-change`` item says the speaker changes."""
    turns: list[list[_Word]] = [[]]
    announced: str | None = None
    for wire in alternative.items:
        if wire.is_speaker_change:
            if turns[-1]:
                turns.append([])
            # AWS's example gives the change no Speaker; if one is given, it is the new speaker's.
            announced = wire.speaker
            continue
        word = _word_of(wire, announced)
        if word is not None:
            turns[-1].append(word)
    return [turn for turn in turns if turn] or [[]]


def _speaker_of_words(words: list[_Word]) -> str | None:
    # The speaker of most of the words (the first of them on a tie).
    votes = Counter(word[5] for word in words if word[5] and not word[3])
    return votes.most_common(1)[0][0] if votes else None


def _speaker_of(items: list[Item]) -> str | None:
    # The speaker of most of the words (the first of them on a tie).
    votes = Counter(item.speaker for item in items if item.speaker and item.type == "pronunciation")
    return votes.most_common(1)[0][0] if votes else None


def _join_words(words: list[_Word]) -> str:
    """The words' text joined as AWS joins it (as :func:`join_items`)."""
    parts: list[str] = []
    for word in words:
        if parts and not word[3]:
            parts.append(" ")
        parts.append(word[2])
    return "".join(parts)


def _entities_of(alternative: ResultAlternative) -> list[Entity]:
    return [
        Entity(
            start=entity.start_time,
            end=entity.end_time,
            category=entity.category,
            content=entity.content,
            confidence=entity.confidence,
        )
        for entity in alternative.entities
    ]


def _compact_segments(result: Result) -> list[_CompactSegment]:
    """The rules of :func:`segments_from_result`, giving compact segments (what a transcript holds)."""
    try:
        channel = normalise_channel(result.channel_id)
        best = result.alternatives[0]
        turns = _turns(best)
        entities = _entities_of(best) if best.entities else []
        alternatives = (
            [
                Alternative(text=alt.transcript, items=_items_of_words(_words_of(alt), channel))
                for alt in result.alternatives
            ]
            if len(result.alternatives) > 1
            else []
        )
        start = _checked_time(result.start_time, "start")
        end = _checked_time(result.end_time, "end")
        if len(turns) == 1:
            return [
                _CompactSegment(
                    start=start,
                    end=end,
                    text=best.transcript,
                    speaker=_speaker_of_words(turns[0]),
                    channel=channel,
                    result_id=result.result_id,
                    words=turns[0],
                    entities=entities,
                    alternatives=alternatives,
                )
            ]
        last = len(turns) - 1
        spans: list[tuple[float, float]] = []
        for index, turn in enumerate(turns):
            turn_start = start if index == 0 else turn[0][0]
            turn_end = end if index == last else turn[-1][1]
            spans.append((turn_start, max(turn_start, turn_end)))
        return [
            _CompactSegment(
                start=turn_start,
                end=turn_end,
                text=_join_words(turn),
                speaker=_speaker_of_words(turn),
                channel=channel,
                result_id=result.result_id,
                words=turn,
                entities=[entity for entity in entities if _turn_index(spans, entity.start) == index],
                alternatives=alternatives if index == 0 else [],
            )
            for index, (turn, (turn_start, turn_end)) in enumerate(zip(turns, spans, strict=True))
        ]
    except (ValueError, IndexError) as error:
        raise ProtocolError(f"TranscriptEvent result {result.result_id!r} is malformed: {error}") from error


def segments_from_result(result: Result) -> list[Segment]:
    """Turn one (final) streaming result into segments: one, or one per speaker turn in it.

    With speaker labels, AWS may carry a change of speaker inside one result as a
    ``speaker-change`` item (AWS developer guide, "Enabling speaker partitioning in real-time
    streams"). The result is then cut there, so that the change shows in the transcript: each
    segment holds one turn, with its own speaker, text and times; the words after the change keep
    (or, unlabelled, take) the new speaker. Without such an item, the result is one segment whose
    text is the result's own, verbatim.

    Each segment's speaker is the speaker of most of its words (the first of them on a tie).
    Entities go to the turn in which they start; the result's alternative hypotheses, if the service
    sent more than one, stay with its first segment (they are whole-result hypotheses).

    Args:
        result: A result with at least one alternative.

    Returns:
        The segments, in time order.

    Raises:
        ProtocolError: The result has labels or times the model cannot hold.
    """
    return [compact.segment() for compact in _compact_segments(result)]


def _turn_index(spans: list[tuple[float, float]], time: float) -> int:
    """The last turn that starts at or before ``time`` (the first turn for an earlier time)."""
    found = 0
    for index, (start, _end) in enumerate(spans):
        if start <= time:
            found = index
    return found


def segment_from_result(result: Result) -> Segment:
    """Turn one (final) streaming result into one :class:`Segment`, whatever its speaker turns.

    Prefer :func:`segments_from_result`, which cuts a result at its ``speaker-change`` items; here
    they are only dropped (each word still keeps its own speaker). The segment's speaker is the
    speaker of most of its words (the first of them on a tie).

    Args:
        result: A result with at least one alternative.

    Returns:
        The segment.

    Raises:
        ProtocolError: The result has labels or times the model cannot hold.
    """
    segments = segments_from_result(result)
    if len(segments) == 1:
        return segments[0]
    items = [item for segment in segments for item in segment.items]
    return segments[0].model_copy(
        update={
            "end": segments[-1].end,
            "text": result.alternatives[0].transcript,
            "speaker": _speaker_of(items),
            "items": items,
            "entities": [entity for segment in segments for entity in segment.entities],
        }
    )
