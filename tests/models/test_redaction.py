"""PHI redaction: no entity content in any export, everything else (words, times, labels) kept."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings

from exports.strategies import transcripts  # tests/exports, a package beside this one
from exports.subtitle_validator import parse_srt, parse_vtt
from transcribe_medical._exceptions import ValidationError
from transcribe_medical.exports import EXPORT_FORMATS, export, from_json, to_json, to_srt, to_text, to_vtt
from transcribe_medical.models.batch_output import parse_batch_output
from transcribe_medical.models.events import TranscriptEvent
from transcribe_medical.models.redaction import phi_item_indices, redact_phi
from transcribe_medical.models.transcript import Alternative, Entity, Item, Segment, Transcript

VECTORS = Path(__file__).parents[1] / "vectors"
PHI_WORDS = ("Alvarez", "ALVAREZ", "alvarez")


def _phi_batch() -> Transcript:
    return parse_batch_output((VECTORS / "batch_outputs" / "phi.json").read_bytes())


def _phi_streaming() -> Transcript:
    sequences = json.loads((VECTORS / "transcript_events.json").read_text())["sequences"]
    sequence = next(s for s in sequences if s["name"] == "conversation_speakers_phi")
    return Transcript.from_events(TranscriptEvent.from_payload(json.dumps(e["payload"])) for e in sequence["events"])


def _phi_channels() -> Transcript:
    data = json.loads((VECTORS / "batch_outputs" / "channel_identification.json").read_text())
    data["results"]["entities"] = json.loads((VECTORS / "batch_outputs" / "phi.json").read_text())["results"][
        "entities"
    ]
    return parse_batch_output(data)


SOURCES = {"batch": _phi_batch, "streaming": _phi_streaming, "channels": _phi_channels}


def _words(transcript: Transcript) -> list[Item]:
    return [item for segment in transcript.segments for item in segment.items if item.type == "pronunciation"]


@pytest.mark.parametrize("source", sorted(SOURCES))
@pytest.mark.parametrize("fmt", sorted(EXPORT_FORMATS))
def test_no_export_of_a_redacted_transcript_contains_the_entities(source: str, fmt: str) -> None:
    original = SOURCES[source]()
    assert original.entities, "the vector has PHI"
    rendered = export(original.redact_phi(), fmt)
    for word in PHI_WORDS:
        assert word not in rendered
    assert "[PHI]" in rendered
    assert "Alvarez" in export(original, fmt), "the unredacted export does show it"


@pytest.mark.parametrize("source", sorted(SOURCES))
def test_review_and_marked_text_of_a_redacted_transcript(source: str) -> None:
    redacted = SOURCES[source]().redact_phi()
    assert all("Alvarez" not in flag.content for flag in redacted.review(1.0))
    assert "Alvarez" not in to_text(redacted, min_confidence=1.0, timestamps=True)


def test_batch_redaction_keeps_everything_else() -> None:
    original = _phi_batch()
    redacted = original.redact_phi()
    assert redacted.text == "Good morning, [PHI]. Any chest pain? Only when I climb stairs. Start aspirin 81 mg daily."
    # "Mr." and "Alvarez" became one placeholder spanning both words' times.
    first = redacted.segments[0].items
    assert [item.content for item in first] == ["Good", "morning", ",", "[PHI]", "."]
    assert (first[3].start, first[3].end, first[3].confidence) == (1.38, 2.18, 0.95)
    assert [(e.start, e.end, e.content) for e in redacted.entities] == [(1.38, 2.18, "[PHI]")]
    kept = [item for item in _words(original) if item.content not in ("Mr.", "Alvarez")]
    assert [item for item in _words(redacted) if item.content != "[PHI]"] == kept
    assert [(s.start, s.end, s.speaker, s.channel) for s in redacted.segments] == [
        (s.start, s.end, s.speaker, s.channel) for s in original.segments
    ]
    assert redacted.segments[1:] == original.segments[1:]
    assert (redacted.source, redacted.job_name) == (original.source, original.job_name)


def test_streaming_redaction() -> None:
    original = _phi_streaming()
    redacted = original.redact_phi()
    assert redacted.segments[0].text == "Good morning, [PHI]."
    assert [item.content for item in redacted.segments[0].items] == ["Good", "morning", ",", "[PHI]", "."]
    assert {item.speaker for item in redacted.segments[0].items} == {"spk_0"}
    assert redacted.source == "streaming" and redacted.speakers == original.speakers


def test_original_is_unchanged_and_redaction_is_idempotent() -> None:
    original = _phi_batch()
    before = original.model_copy(deep=True)
    once = original.redact_phi()
    assert original == before
    assert once.redact_phi() == once
    assert redact_phi(original) == once


def test_redacted_transcript_survives_our_json() -> None:
    redacted = _phi_channels().redact_phi()
    assert from_json(to_json(redacted)) == redacted
    assert from_json(to_json(redacted)).redact_phi() == redacted


@pytest.mark.parametrize("source", sorted(SOURCES))
def test_redacted_subtitles_are_valid(source: str) -> None:
    redacted = SOURCES[source]().redact_phi()
    assert parse_srt(to_srt(redacted))
    cues = parse_vtt(to_vtt(redacted))
    assert any("[PHI]" in line for cue in cues for line in cue.lines)


def test_custom_and_blank_placeholder() -> None:
    assert "Good morning, ***." in _phi_batch().redact_phi("***").text
    for blank in ("", "   "):
        with pytest.raises(ValidationError, match="placeholder"):
            _phi_batch().redact_phi(blank)


def test_without_entities_nothing_changes() -> None:
    plain = parse_batch_output((VECTORS / "batch_outputs" / "plain.json").read_bytes())
    assert plain.redact_phi() == plain


def _segment(words: list[tuple[str, float, float]], entities: list[Entity], text: str | None = None) -> Segment:
    items = [Item(start=start, end=end, content=word, confidence=0.9) for word, start, end in words]
    return Segment(
        start=words[0][1],
        end=words[-1][2],
        text=text if text is not None else " ".join(w for w, _, _ in words),
        items=items,
        entities=entities,
    )


def test_words_touching_an_entity_are_kept() -> None:
    entity = Entity(start=1.0, end=2.0, content="Roe")
    segment = _segment([("before", 0.0, 1.0), ("Roe", 1.0, 2.0), ("after", 2.0, 3.0)], [entity])
    assert phi_item_indices(segment.items, [entity]) == {1}
    assert Transcript(segments=[segment]).redact_phi().text == "before [PHI] after"


def test_other_mentions_of_an_entity_are_redacted() -> None:
    # The service tagged the first mention only; the name is PHI at every mention, any case.
    entity = Entity(start=0.5, end=1.5, content="Jane Roe")
    first = _segment([("Jane", 0.5, 1.0), ("Roe", 1.0, 1.5), ("is", 1.5, 2.0), ("here", 2.0, 2.5)], [entity])
    second = _segment([("ask", 5.0, 5.5), ("jane", 5.5, 6.0), ("roe,", 6.0, 6.5), ("Jane", 6.5, 7.0)], [])
    redacted = Transcript(segments=[first, second]).redact_phi()
    assert redacted.segments[0].text == "[PHI] is here"
    assert [item.content for item in redacted.segments[1].items] == ["ask", "[PHI]", "Jane"]
    assert redacted.segments[1].text == "ask [PHI] Jane"


def test_punctuation_inside_an_entity_goes_with_it() -> None:
    items = [
        Item(start=0.0, end=0.5, content="Roe", confidence=0.9),
        Item(content=",", type="punctuation"),
        Item(start=0.6, end=1.0, content="Jane", confidence=0.8),
        Item(content=".", type="punctuation"),
    ]
    entity = Entity(start=0.0, end=1.0, content="Roe, Jane")
    segment = Segment(start=0.0, end=1.0, text="Roe, Jane.", items=items, entities=[entity])
    redacted = Transcript(segments=[segment]).redact_phi()
    assert [item.content for item in redacted.segments[0].items] == ["[PHI]", "."]
    assert redacted.segments[0].items[0].confidence == 0.8
    assert redacted.text == "[PHI]."


def test_text_without_items_and_alternatives_are_redacted() -> None:
    entity = Entity(start=0.0, end=1.0, content="Jane Roe")
    alternative_items = [
        Item(start=0.0, end=0.5, content="Jane", confidence=0.9),
        Item(start=0.5, end=1.0, content="Rowe", confidence=0.4),
    ]
    segments = [
        Segment(
            start=0.0,
            end=1.0,
            text="Jane Roe",
            items=[Item(start=0.0, end=0.5, content="Jane"), Item(start=0.5, end=1.0, content="Roe")],
            entities=[entity],
            alternatives=[Alternative(text="Jane Rowe", items=alternative_items)],
        ),
        Segment(start=3.0, end=4.0, text="Call JANE  ROE back; Jane Roes is someone else."),
    ]
    redacted = Transcript(segments=segments).redact_phi()
    assert redacted.segments[0].alternatives[0].text == "[PHI]"  # by time, though the words differ
    assert redacted.segments[1].text == "Call [PHI] back; Jane Roes is someone else."


def test_entity_in_another_segment_still_redacts_by_time() -> None:
    # The parser attaches an entity to one segment; redaction uses all of the transcript's.
    first = _segment([("hello", 0.0, 1.0)], [Entity(start=1.5, end=2.5, content="Roe")])
    second = _segment([("Doctor", 1.0, 1.5), ("Roe", 1.5, 2.5)], [])
    redacted = Transcript(segments=[first, second]).redact_phi()
    assert redacted.segments[1].text == "Doctor [PHI]"


def test_aws_alternative_hypotheses_and_text_are_redacted_too() -> None:
    data = json.loads((Path(__file__).parents[1] / "vectors" / "batch_outputs" / "phi.json").read_text())
    alternatives = json.loads(
        (Path(__file__).parents[1] / "vectors" / "batch_outputs" / "alternatives.json").read_text()
    )
    data["results"]["segments"] = alternatives["results"]["segments"]
    data["results"]["transcripts"][0]["transcript"] += "..."  # only AWS's own text can hold it
    transcript = parse_batch_output(data)
    assert transcript.service_text is not None
    redacted = transcript.redact_phi()
    assert redacted.service_text is None
    assert "Alvarez" not in redacted.text
    for hypotheses in redacted.alternative_segments:
        for alternative in hypotheses.alternatives:
            assert "Alvar" not in alternative.text
            assert all("Alvar" not in item.content for item in alternative.items)
    assert "Alvarez" not in to_json(redacted)


def _tokens(text: str) -> set[str]:
    return set(re.findall(r"\w+", text))


@settings(max_examples=150, deadline=None)
@given(transcripts())
def test_random_transcripts_lose_their_phi_and_nothing_else(transcript: Transcript) -> None:
    placeholder = "#"  # not a word character: it cannot create or hide a word token
    redacted = transcript.redact_phi(placeholder)
    entities = transcript.entities
    # Entities are all replaced, their times kept.
    assert [(e.start, e.end) for e in redacted.entities] == [(e.start, e.end) for e in entities]
    assert all(e.content == placeholder for e in redacted.entities)
    # No single-word entity content is left as a word anywhere.
    single = {e.content for e in entities if re.fullmatch(r"\w{2,}", e.content)}
    for segment in redacted.segments:
        shown = [segment.text, *(a.text for a in segment.alternatives)]
        shown += [item.content for item in segment.items]
        shown += [item.content for a in segment.alternatives for item in a.items]
        for text in shown:
            assert not (_tokens(text) & single)
    for hypotheses in redacted.alternative_segments:  # AWS's own hypotheses too
        for alternative in hypotheses.alternatives:
            for text in [alternative.text, *(item.content for item in alternative.items)]:
                assert not (_tokens(text) & single)
    assert redacted.service_text is None  # AWS's text cannot be redacted word by word
    # Same segments, times and labels; the non-PHI words are all still there, in order.
    assert len(redacted.segments) == len(transcript.segments)
    for before, after in zip(transcript.segments, redacted.segments, strict=True):
        assert (before.start, before.end, before.speaker, before.channel, before.result_id) == (
            after.start,
            after.end,
            after.speaker,
            after.channel,
            after.result_id,
        )
        phi = phi_item_indices(before.items, entities)
        kept = [
            (i.start, i.end, i.confidence, i.speaker, i.channel)
            for index, i in enumerate(before.items)
            if index not in phi and i.type == "pronunciation"
        ]
        remaining = iter((i.start, i.end, i.confidence, i.speaker, i.channel) for i in after.items)
        assert all(word in remaining for word in kept), "a non-PHI word was lost or moved"
        assert bool(phi) <= any(item.content == placeholder for item in after.items), "a PHI word was kept"
    # Every export renders, subtitles stay valid, and the JSON round trip holds.
    for fmt in EXPORT_FORMATS:
        export(redacted, fmt)
    parse_srt(to_srt(redacted))
    parse_vtt(to_vtt(redacted))
    assert from_json(to_json(redacted)) == redacted


def test_redaction_keeps_clinical_insights_and_hides_only_phi() -> None:
    from transcribe_medical import Entity, Item, Segment, Transcript

    items = [
        Item(start=0.0, end=0.4, content="John", confidence=0.9),
        Item(start=0.5, end=0.9, content="takes", confidence=0.9),
        Item(start=1.0, end=1.6, content="aspirin", confidence=0.9),
    ]
    segment = Segment(
        start=0.0,
        end=1.6,
        text="John takes aspirin",
        items=items,
        entities=[
            Entity(start=0.0, end=0.4, category="PHI", content="John"),
            Entity(start=1.0, end=1.6, category="MEDICATION", content="aspirin"),
        ],
    )
    transcript = Transcript(segments=[segment])
    assert [entity.category for entity in transcript.phi_entities] == ["PHI"]
    redacted = transcript.redact_phi()
    assert redacted.text == "[PHI] takes aspirin"
    assert [entity.content for entity in redacted.entities] == ["[PHI]", "aspirin"]
