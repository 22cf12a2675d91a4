"""HealthScribe's ``transcript.json`` read into the one :class:`~transcribe_medical.Transcript`.

The file (reference healthscribe.md §2) holds ``TranscriptSegments`` (each with its
``SegmentId``, its participant role and its transcript section), ``TranscriptItems`` (words and
punctuation with times, not tied to a segment) and ``ClinicalInsights`` (clinical entities whose
spans name a segment and character offsets in its text).

The transcript built here:

* one :class:`~transcribe_medical.Segment` per ``TranscriptSegment``, in time order, with
  ``segment_id`` = ``SegmentId`` (the clinical note's evidence links name it) and the text as AWS
  wrote it;
* ``speaker`` = the participant role (``CLINICIAN_0``, ``PATIENT_0``; ``spk_N`` labels kept as
  such), on the segment and on each of its words;
* the words, each given to the segment its time falls in (punctuation follows its word);
* each clinical insight span as an :class:`~transcribe_medical.Entity` of its segment, ``category``
  = the insight's ``Category`` (``MEDICATION``, ...), timed by the words its offsets cover.

:func:`parse_clinical_insights` keeps the insights whole (type, attributes, ids), and
:func:`transcript_sections` each segment's transcript section (``SUBJECTIVE``, ``OTHER``, ...).
Reading is lenient: roles, sections, categories and types AWS adds later are kept as strings.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import ConfigDict, Field, field_validator

from transcribe_medical._exceptions import ProtocolError, ValidationError
from transcribe_medical.models._base import PhiSafeModel
from transcribe_medical.models.transcript import Entity, Item, Segment, Transcript

__all__ = [
    "ClinicalInsight",
    "InsightSpan",
    "parse_clinical_insights",
    "parse_scribe_transcript",
    "transcript_sections",
]


class _Model(PhiSafeModel):
    model_config = ConfigDict(extra="ignore", hide_input_in_errors=True, populate_by_name=True)


class InsightSpan(_Model):
    """Where an insight (or attribute) is said: a segment and character offsets in its text.

    Attributes:
        segment_id: The segment's ``SegmentId``.
        begin: ``BeginCharacterOffset``.
        end: ``EndCharacterOffset`` (AWS's examples make it the last character, inclusive).
        content: The words.
    """

    segment_id: str | None = Field(None, alias="SegmentId")
    begin: int | None = Field(None, alias="BeginCharacterOffset")
    end: int | None = Field(None, alias="EndCharacterOffset")
    content: str = Field("", alias="Content")

    _repr_values = ("segment_id", "begin", "end")


class InsightAttribute(_Model):
    """An attribute of an insight (e.g. a ``TEST_VALUE`` of a ``TEST_NAME``)."""

    attribute_id: str | None = Field(None, alias="AttributeId")
    type: str | None = Field(None, alias="Type")
    spans: list[InsightSpan] = Field(default_factory=list, alias="Spans")

    _repr_values = ("attribute_id", "type")


class ClinicalInsight(_Model):
    """One entry of ``ClinicalInsights`` (e.g. a ``MEDICATION`` / ``GENERIC_NAME``).

    Attributes:
        insight_id: ``InsightId``.
        insight_type: ``ClinicalEntity`` (or a type AWS adds later).
        category: ``MEDICAL_CONDITION``, ``MEDICATION``, ``TEST_TREATMENT_PROCEDURE``, ``ANATOMY``, ...
        type: ``DX_NAME``, ``GENERIC_NAME``, ``TEST_NAME``, ...
        spans: Where it is said.
        attributes: Its attributes.
    """

    insight_id: str | None = Field(None, alias="InsightId")
    insight_type: str | None = Field(None, alias="InsightType")
    category: str | None = Field(None, alias="Category")
    type: str | None = Field(None, alias="Type")
    spans: list[InsightSpan] = Field(default_factory=list, alias="Spans")
    attributes: list[InsightAttribute] = Field(default_factory=list, alias="Attributes")

    _repr_values = ("insight_id", "insight_type", "category", "type")
    _repr_counts = ("spans", "attributes")

    @field_validator("spans", "attributes", mode="before")
    @classmethod
    def _list(cls, value: object) -> object:
        return value if isinstance(value, list) else []


def _conversation(data: bytes | str | Mapping[str, Any]) -> Mapping[str, Any]:
    if isinstance(data, bytes | str):
        try:
            document = json.loads(data)
        except ValueError as error:
            raise ProtocolError(f"HealthScribe transcript is not valid JSON: {error}") from None
    else:
        document = data
    conversation = document.get("Conversation") if isinstance(document, Mapping) else None
    if not isinstance(conversation, Mapping):
        raise ProtocolError("HealthScribe transcript: no Conversation object at the top level")
    return conversation


def _list_of_objects(conversation: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    value = conversation.get(key)
    return [entry for entry in value if isinstance(entry, Mapping)] if isinstance(value, list) else []


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if number >= 0 and number == number and number != float("inf") else None


def _speaker(segment: Mapping[str, Any]) -> str | None:
    details = segment.get("ParticipantDetails")
    role = details.get("ParticipantRole") if isinstance(details, Mapping) else None
    if not isinstance(role, str) or not role.strip():
        return None
    role = role.strip()
    from transcribe_medical.models.transcript import normalise_speaker

    for candidate in (role, role.upper()):
        try:
            return normalise_speaker(candidate)
        except ValueError:
            continue
    return None  # a role of a shape no speaker label can hold: the segment keeps no speaker


def _channel(segment: Mapping[str, Any]) -> str | None:
    from transcribe_medical.models.transcript import normalise_channel

    try:
        return normalise_channel(segment.get("ChannelId"))
    except ValueError:
        return None


def _item(raw: Mapping[str, Any]) -> Item | None:
    alternatives = raw.get("Alternatives")
    best = alternatives[0] if isinstance(alternatives, list) and alternatives else {}
    content = best.get("Content") if isinstance(best, Mapping) else None
    if not isinstance(content, str) or not content:
        return None  # an item without content (AWS documents such items elsewhere): nothing to show
    kind = str(raw.get("Type", "PRONUNCIATION")).lower()
    if kind == "punctuation":
        return Item(content=content, type="punctuation")
    confidence = _number(best.get("Confidence"))
    return Item(
        start=_number(raw.get("BeginAudioTime")),
        end=_number(raw.get("EndAudioTime")),
        content=content,
        type="pronunciation",
        confidence=confidence if confidence is not None and confidence <= 1 else None,
    )


class _Draft:
    """A segment being built: its wire fields and the words given to it."""

    def __init__(self, raw: Mapping[str, Any], order: int) -> None:
        self.order = order
        self.segment_id = raw.get("SegmentId") if isinstance(raw.get("SegmentId"), str) else None
        self.start = _number(raw.get("BeginAudioTime")) or 0.0
        self.end = max(_number(raw.get("EndAudioTime")) or self.start, self.start)
        content = raw.get("Content")
        self.text = content if isinstance(content, str) else ""
        self.speaker = _speaker(raw)
        self.channel = _channel(raw)
        self.items: list[Item] = []
        self.entities: list[Entity] = []


def _assign_items(drafts: Sequence[_Draft], items: Sequence[Item]) -> None:
    """Give each word to the segment its time falls in (the last that starts before it)."""
    if not drafts:
        return
    starts = [draft.start for draft in drafts]
    import bisect

    current: _Draft | None = None
    for item in items:
        if item.type == "punctuation":
            if current is not None:
                current.items.append(item)
            continue
        middle = ((item.start or 0.0) + (item.end if item.end is not None else item.start or 0.0)) / 2
        index = max(bisect.bisect_right(starts, middle) - 1, 0)
        current = drafts[index]
        current.items.append(item)


def _word_offsets(text: str, items: Sequence[Item]) -> list[tuple[int, int, Item]]:
    offsets: list[tuple[int, int, Item]] = []
    cursor = 0
    for item in items:
        if item.type != "pronunciation":
            continue
        at = text.find(item.content, cursor)
        if at < 0:
            continue
        offsets.append((at, at + len(item.content), item))
        cursor = at + len(item.content)
    return offsets


def _entity(draft: _Draft, insight: ClinicalInsight, span: InsightSpan) -> Entity:
    start, end = draft.start, draft.end
    if span.begin is not None and span.end is not None:
        covered = [
            item
            for first, last, item in _word_offsets(draft.text, draft.items)
            if first <= span.end and last > span.begin and item.start is not None
        ]
        if covered:
            start = min(item.start for item in covered if item.start is not None)
            end = max(item.end if item.end is not None else start for item in covered)
    return Entity(start=start, end=max(end, start), category=insight.category or "CLINICAL", content=span.content)


def _labelled(item: Item, draft: _Draft) -> Item:
    # Every word keeps its segment's speaker and channel (already normalised).
    return item.model_copy(update={"speaker": draft.speaker, "channel": draft.channel})


def parse_clinical_insights(data: bytes | str | Mapping[str, Any]) -> list[ClinicalInsight]:
    """The ``ClinicalInsights`` of a HealthScribe transcript file, whole.

    Raises:
        ProtocolError: not JSON, or no ``Conversation`` object.
    """
    conversation = _conversation(data)
    insights: list[ClinicalInsight] = []
    for raw in _list_of_objects(conversation, "ClinicalInsights"):
        try:
            insights.append(ClinicalInsight.model_validate(dict(raw)))
        except ValidationError:
            continue  # an insight whose members are of shapes we cannot read: skipped, not fatal
    return insights


def transcript_sections(data: bytes | str | Mapping[str, Any]) -> dict[str, str]:
    """Each segment's transcript section (``SectionDetails.SectionName``), by ``SegmentId``.

    Raises:
        ProtocolError: not JSON, or no ``Conversation`` object.
    """
    sections: dict[str, str] = {}
    for raw in _list_of_objects(_conversation(data), "TranscriptSegments"):
        details = raw.get("SectionDetails")
        name = details.get("SectionName") if isinstance(details, Mapping) else None
        if isinstance(raw.get("SegmentId"), str) and isinstance(name, str):
            sections[raw["SegmentId"]] = name
    return sections


def parse_scribe_transcript(data: bytes | str | Mapping[str, Any]) -> Transcript:
    """Read a HealthScribe ``transcript.json`` (batch or streaming) into a :class:`Transcript`.

    Args:
        data: The file's bytes or text, or the parsed JSON.

    Returns:
        The transcript: ``source="batch"`` with ``job_name`` for a job's file, ``"streaming"`` with
        ``session_id`` for a stream's.

    Raises:
        ProtocolError: not JSON, no ``Conversation`` object, or a segment the model cannot hold.
    """
    conversation = _conversation(data)
    drafts = [_Draft(raw, order) for order, raw in enumerate(_list_of_objects(conversation, "TranscriptSegments"))]
    drafts.sort(key=lambda draft: (draft.start, draft.order))
    items = [item for raw in _list_of_objects(conversation, "TranscriptItems") if (item := _item(raw)) is not None]
    timed = [item for item in items if item.type == "punctuation" or item.start is not None]
    _assign_items(drafts, timed)
    by_id = {draft.segment_id: draft for draft in drafts if draft.segment_id}
    for insight in parse_clinical_insights({"Conversation": conversation}):
        for span in insight.spans:
            draft = by_id.get(span.segment_id or "")
            if draft is not None and span.content:
                draft.entities.append(_entity(draft, insight, span))
    try:
        segments = [
            Segment(
                start=draft.start,
                end=draft.end,
                text=draft.text,
                speaker=draft.speaker,
                channel=draft.channel,
                items=[_labelled(item, draft) for item in draft.items],
                entities=draft.entities,
                segment_id=draft.segment_id,
            )
            for draft in drafts
        ]
    except ValidationError as error:
        raise ProtocolError(f"malformed HealthScribe transcript: {error}") from error
    job_name = conversation.get("JobName")
    session_id = conversation.get("SessionId")
    return Transcript(
        segments=segments,
        source="streaming" if isinstance(session_id, str) and not isinstance(job_name, str) else "batch",
        job_name=job_name if isinstance(job_name, str) else None,
        session_id=session_id if isinstance(session_id, str) else None,
    )
