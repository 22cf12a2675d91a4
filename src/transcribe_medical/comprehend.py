"""Hand a :class:`~transcribe_medical.Transcript` to Amazon Comprehend Medical.

:func:`analyze_transcript` sends the transcript's text to ``DetectEntitiesV2`` (and optionally
``InferICD10CM`` and ``InferRxNorm``), splitting it on sentence boundaries so that no request
exceeds the API's size limit, and maps every entity's character offsets back to the transcript:
which segment it came from, and when it was said.

Example:
    >>> from transcribe_medical import TranscribeMedical                       # doctest: +SKIP
    >>> from transcribe_medical.comprehend import analyze_transcript            # doctest: +SKIP
    >>> analysis = analyze_transcript(transcript, TranscribeMedical(), icd10cm=True)  # doctest: +SKIP
    >>> for entity in analysis.entities:                                        # doctest: +SKIP
    ...     print(entity.category, entity.start_time, entity.score)

Entity text is PHI-bearing clinical content: the models' ``repr()`` never shows it.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from transcribe_medical._exceptions import ValidationError
from transcribe_medical.models._base import PhiSafeModel
from transcribe_medical.models.transcript import Transcript, join_items

if TYPE_CHECKING:
    from transcribe_medical._client import _ClientBase

__all__ = [
    "DETECT_ENTITIES_MAX_BYTES",
    "ONTOLOGY_MAX_BYTES",
    "ClinicalAnalysis",
    "ClinicalEntity",
    "OntologyConcept",
    "TextChunk",
    "analyze_transcript",
    "split_text",
]

#: Size limit of ``DetectEntitiesV2``'s ``Text`` (botocore model: 20,000).
DETECT_ENTITIES_MAX_BYTES = 20_000
#: Size limit of ``InferICD10CM`` / ``InferRxNorm``'s ``Text`` (botocore model: 10,000).
ONTOLOGY_MAX_BYTES = 10_000

_SENTENCE_END = re.compile(r"(?<=[.?!])\s+")
_WORD_GAP = re.compile(r"\s+")

Operation = Literal["DetectEntitiesV2", "InferICD10CM", "InferRxNorm"]


class OntologyConcept(PhiSafeModel):
    """An ICD-10-CM or RxNorm concept an entity may refer to."""

    code: str = Field(alias="Code")
    description: str | None = Field(default=None, alias="Description")
    score: float | None = Field(default=None, alias="Score")

    _repr_values = ("code", "score")


class ClinicalEntity(PhiSafeModel):
    """A Comprehend Medical entity, placed in the transcript.

    Attributes:
        operation: The API that found it.
        text: The entity's text (PHI: never shown by ``repr()``).
        category: e.g. ``MEDICATION``, ``MEDICAL_CONDITION``, ``PROTECTED_HEALTH_INFORMATION``.
        type: The entity sub-type, e.g. ``DX_NAME``, ``GENERIC_NAME``.
        score: Comprehend's confidence.
        begin_offset: Character offset in :attr:`ClinicalAnalysis.text` where it begins.
        end_offset: Character offset where it ends.
        segment_index: The transcript segment it falls in.
        start_time: When its first word was said (seconds), if the words carry times.
        end_time: When its last word ended (seconds).
        traits: Trait names (e.g. ``NEGATION``, ``DIAGNOSIS``).
        concepts: ICD-10-CM or RxNorm concepts (ontology operations only).
    """

    operation: str
    text: str
    category: str | None = None
    type: str | None = None
    score: float | None = None
    begin_offset: int
    end_offset: int
    segment_index: int
    start_time: float | None = None
    end_time: float | None = None
    traits: list[str] = Field(default_factory=list)
    concepts: list[OntologyConcept] = Field(default_factory=list)
    raw: dict[str, Any] = Field(default_factory=dict, repr=False)

    _repr_values = ("operation", "category", "type", "score", "segment_index", "start_time", "end_time")


class ClinicalAnalysis(PhiSafeModel):
    """What Comprehend Medical found in a transcript.

    Attributes:
        text: The text that was analysed (segments joined by single spaces).
        entities: ``DetectEntitiesV2`` entities.
        icd10cm: ``InferICD10CM`` entities (when asked for).
        rxnorm: ``InferRxNorm`` entities (when asked for).
        requests: How many API requests were made.
    """

    text: str
    entities: list[ClinicalEntity] = Field(default_factory=list)
    icd10cm: list[ClinicalEntity] = Field(default_factory=list)
    rxnorm: list[ClinicalEntity] = Field(default_factory=list)
    requests: int = 0

    _repr_values = ("requests",)
    _repr_counts = ("entities", "icd10cm", "rxnorm")


@dataclass(frozen=True)
class TextChunk:
    """A piece of the text sent in one request: its text and where it starts in the whole."""

    offset: int
    text: str


def split_text(text: str, max_bytes: int) -> list[TextChunk]:
    """Split ``text`` into chunks of at most ``max_bytes`` UTF-8 bytes, on sentence boundaries.

    A sentence longer than the limit is split between words, and a word longer than the limit
    between characters. Whitespace between chunks is dropped; offsets stay exact.

    Raises:
        ValidationError: ``max_bytes`` is below 4 (one UTF-8 character must fit).
    """
    if max_bytes < 4:
        raise ValidationError(f"max_bytes: {max_bytes!r} is invalid: use 4 or more", field="max_bytes")
    pieces = list(_pieces(text, _SENTENCE_END, 0, len(text)))
    chunks: list[TextChunk] = []
    start = end = None
    for piece_start, piece_end in pieces:
        for part_start, part_end in _fit(text, piece_start, piece_end, max_bytes):
            if start is not None and end is not None and _size(text, start, part_end) <= max_bytes:
                end = part_end
                continue
            if start is not None and end is not None:
                chunks.append(TextChunk(start, text[start:end]))
            start, end = part_start, part_end
    if start is not None and end is not None:
        chunks.append(TextChunk(start, text[start:end]))
    return chunks


def _size(text: str, start: int, end: int) -> int:
    return len(text[start:end].encode("utf-8"))


def _pieces(text: str, separator: re.Pattern[str], start: int, end: int) -> Iterator[tuple[int, int]]:
    position = start
    for match in separator.finditer(text, start, end):
        if match.start() > position:
            yield position, match.start()
        position = match.end()
    if end > position:
        yield position, end


def _fit(text: str, start: int, end: int, max_bytes: int) -> Iterator[tuple[int, int]]:
    """Yield spans of ``text[start:end]`` each within ``max_bytes``: whole, by words, or by characters."""
    if _size(text, start, end) <= max_bytes:
        yield start, end
        return
    current: tuple[int, int] | None = None
    for word_start, word_end in _pieces(text, _WORD_GAP, start, end):
        if current is not None and _size(text, current[0], word_end) <= max_bytes:
            current = (current[0], word_end)
            continue
        if current is not None:
            yield current
        if _size(text, word_start, word_end) <= max_bytes:
            current = (word_start, word_end)
            continue
        current = None
        position = word_start
        while position < word_end:
            stop = position
            while stop < word_end and _size(text, position, stop + 1) <= max_bytes:
                stop += 1
            yield position, stop
            position = stop
    if current is not None:
        yield current


@dataclass(frozen=True)
class _Layout:
    """Where each segment's text, and each word, sits in the analysed text."""

    text: str
    segment_starts: list[int]
    word_starts: list[int]
    word_ends: list[int]
    word_times: list[tuple[float | None, float | None]]
    segment_times: list[tuple[float, float]]

    @classmethod
    def of(cls, transcript: Transcript) -> _Layout:
        parts: list[str] = []
        segment_starts: list[int] = []
        word_starts: list[int] = []
        word_ends: list[int] = []
        word_times: list[tuple[float | None, float | None]] = []
        position = 0
        for segment in transcript.segments:
            if parts:
                parts.append(" ")
                position += 1
            segment_starts.append(position)
            text = segment.text
            if segment.items and join_items(segment.items) == text:
                cursor = 0
                for item in segment.items:
                    found = text.find(item.content, cursor)
                    if found < 0:  # pragma: no cover - join_items guarantees the order
                        break
                    cursor = found + len(item.content)
                    if item.type == "pronunciation":
                        word_starts.append(position + found)
                        word_ends.append(position + cursor)
                        word_times.append((item.start, item.end))
            parts.append(text)
            position += len(text)
        return cls(
            text="".join(parts),
            segment_starts=segment_starts,
            word_starts=word_starts,
            word_ends=word_ends,
            word_times=word_times,
            segment_times=[(s.start, s.end) for s in transcript.segments],
        )

    def place(self, begin: int, end: int) -> tuple[int, float | None, float | None]:
        """The segment index and the time span of the characters ``begin..end``."""
        segment = max(bisect.bisect_right(self.segment_starts, begin) - 1, 0)
        first = bisect.bisect_right(self.word_ends, begin)
        last = bisect.bisect_left(self.word_starts, end) - 1
        if self.word_starts and first <= last and first < len(self.word_times):
            return segment, self.word_times[first][0], self.word_times[last][1]
        if not self.segment_times:
            return segment, None, None
        seg_start, seg_end = self.segment_times[segment]
        return segment, seg_start, seg_end


def analyze_transcript(
    transcript: Transcript,
    client: _ClientBase,
    *,
    icd10cm: bool = False,
    rxnorm: bool = False,
) -> ClinicalAnalysis:
    """Send a transcript to Comprehend Medical and place every entity back in the transcript.

    Args:
        transcript: The transcript to analyse (streaming or batch).
        client: A :class:`~transcribe_medical.TranscribeMedical` (its region, credentials,
            endpoint and retry policy are used for the ``comprehendmedical`` client).
        icd10cm: Also call ``InferICD10CM`` (ICD-10-CM codes for medical conditions).
        rxnorm: Also call ``InferRxNorm`` (RxNorm codes for medications).

    Returns:
        The entities of each operation, with offsets into the analysed text, segment indexes
        and times.

    Raises:
        ServiceError: Comprehend Medical refused a request (after retries for throttling/5xx).
        CredentialsError: No usable credentials.
    """
    layout = _Layout.of(transcript)
    analysis = ClinicalAnalysis(text=layout.text)
    if not layout.text.strip():
        return analysis
    operations: list[tuple[Operation, int, list[ClinicalEntity]]] = [
        ("DetectEntitiesV2", DETECT_ENTITIES_MAX_BYTES, analysis.entities)
    ]
    if icd10cm:
        operations.append(("InferICD10CM", ONTOLOGY_MAX_BYTES, analysis.icd10cm))
    if rxnorm:
        operations.append(("InferRxNorm", ONTOLOGY_MAX_BYTES, analysis.rxnorm))
    for operation, limit, found in operations:
        for chunk in split_text(layout.text, limit):
            response = client.call("comprehendmedical", _method(operation), Text=chunk.text)
            analysis.requests += 1
            found.extend(_entities(operation, response.get("Entities", []), chunk, layout))
    return analysis


def _method(operation: Operation) -> str:
    return {
        "DetectEntitiesV2": "detect_entities_v2",
        "InferICD10CM": "infer_icd10_cm",
        "InferRxNorm": "infer_rx_norm",
    }[operation]


def _entities(
    operation: Operation, raw_entities: Sequence[dict[str, Any]], chunk: TextChunk, layout: _Layout
) -> Iterator[ClinicalEntity]:
    for raw in raw_entities:
        begin = chunk.offset + int(raw.get("BeginOffset", 0))
        end = chunk.offset + int(raw.get("EndOffset", raw.get("BeginOffset", 0)))
        segment, start_time, end_time = layout.place(begin, end)
        concepts = raw.get("ICD10CMConcepts") or raw.get("RxNormConcepts") or []
        yield ClinicalEntity(
            operation=operation,
            text=str(raw.get("Text", layout.text[begin:end])),
            category=raw.get("Category"),
            type=raw.get("Type"),
            score=raw.get("Score"),
            begin_offset=begin,
            end_offset=end,
            segment_index=segment,
            start_time=start_time,
            end_time=end_time,
            traits=[str(t.get("Name")) for t in raw.get("Traits", []) if t.get("Name")],
            concepts=[OntologyConcept.model_validate(c) for c in concepts],
            raw=dict(raw),
        )
