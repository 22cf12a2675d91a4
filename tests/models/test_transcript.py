"""Tests of the one Transcript model and of assembling it from streaming events."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from transcribe_medical._exceptions import ProtocolError, ValidationError
from transcribe_medical.models import transcript as transcript_module
from transcribe_medical.models.events import Result, ResultAlternative, ResultItem, TranscriptEvent
from transcribe_medical.models.transcript import (
    Alternative,
    AlternativeSegment,
    Entity,
    Item,
    ReviewFlag,
    Segment,
    Transcript,
    TranscriptAssembler,
    join_items,
    joined_text,
    normalise_channel,
    normalise_speaker,
    segment_from_result,
)

VECTORS = json.loads((Path(__file__).parents[1] / "vectors" / "transcript_events.json").read_text())
SEQUENCES = {seq["name"]: seq for seq in VECTORS["sequences"]}
WORDS = ("Good", "morning", "Alvarez", "climb", "stairs", "aspirin", "Okay")


def _events(name: str) -> list[TranscriptEvent]:
    return [TranscriptEvent.from_payload(json.dumps(event["payload"])) for event in SEQUENCES[name]["events"]]


def _result(result_id: str, start: float, text: str, *, partial: bool, channel: str | None = None) -> Result:
    words = text.split()
    items = [
        ResultItem(start_time=start + i, end_time=start + i + 1, type="pronunciation", content=word, confidence=0.9)
        for i, word in enumerate(words)
    ]
    return Result(
        result_id=result_id,
        start_time=start,
        end_time=start + len(words),
        is_partial=partial,
        alternatives=[ResultAlternative(transcript=text, items=items)],
        channel_id=channel,
    )


def _event(*results: Result) -> TranscriptEvent:
    return TranscriptEvent.from_results(results)


# --- golden streaming sequences ----------------------------------------------------------------


def test_conversation_vector_assembles_into_expected_transcript() -> None:
    seq = SEQUENCES["conversation_speakers_phi"]
    transcript = Transcript.from_events(_events("conversation_speakers_phi"))
    assert transcript.text == seq["expected_transcript"]
    assert transcript.source == "streaming"
    turns = [{"speaker": s.speaker, "text": s.text} for s in transcript.segments]
    assert turns == [
        {"speaker": f"spk_{turn['speaker']}", "text": turn["text"]} for turn in seq["expected_speaker_turns"]
    ]
    assert transcript.speakers == ["spk_0", "spk_1"]
    assert transcript.channels == []
    assert [(e.content, e.start, e.end) for e in transcript.entities] == [
        (phi["content"], phi["start"], phi["end"]) for phi in seq["expected_phi"]
    ]
    assert [s.result_id for s in transcript.segments] == seq["expected_final_results"]


def test_two_channel_vector_merges_channels_chronologically() -> None:
    seq = SEQUENCES["two_channels"]
    transcript = Transcript.from_events(_events("two_channels"))
    assert transcript.text == seq["expected_transcript_interleaved"]
    by_channel: dict[str, list[str]] = {}
    for segment in transcript.segments:
        assert segment.channel is not None
        by_channel.setdefault(segment.channel, []).append(segment.text)
        assert all(item.channel == segment.channel for item in segment.items)
    assert {ch: " ".join(texts) for ch, texts in by_channel.items()} == seq["expected_transcript_by_channel"]
    assert transcript.channels == ["ch_0", "ch_1"]
    starts = [segment.start for segment in transcript.segments]
    assert starts == sorted(starts)


@pytest.mark.parametrize("name", sorted(SEQUENCES))
def test_add_returns_each_final_once_in_arrival_order(name: str) -> None:
    assembler = TranscriptAssembler(session_id="s-1")
    finals = [result.result_id for event in _events(name) for result in assembler.add(event)]
    expected = [s.result_id or "" for s in assembler.transcript().segments]
    assert sorted(finals) == sorted(expected)
    assert len(finals) == len(set(finals))
    assert assembler.partials == []
    assert assembler.transcript().session_id == "s-1"
    if name == "conversation_speakers_phi":
        assert finals == SEQUENCES[name]["expected_final_results"]


def test_item_times_confidences_and_punctuation_from_vector() -> None:
    segment = Transcript.from_events(_events("conversation_speakers_phi")).segments[0]
    assert [i.content for i in segment.items] == ["Good", "morning", ",", "Mr.", "Alvarez", "."]
    assert segment.items[0].confidence == 0.9987
    assert segment.items[2].type == "punctuation"
    assert segment.items[2].confidence is None
    assert all(item.speaker == "spk_0" for item in segment.items)
    assert (segment.start, segment.end) == (0.54, 2.18)


# --- assembly rule ------------------------------------------------------------------------------


def test_partial_never_duplicates_a_final() -> None:
    assembler = TranscriptAssembler()
    assembler.add(_event(_result("a", 0, "one", partial=True)))
    assert [r.result_id for r in assembler.partials] == ["a"]
    assert assembler.transcript().segments == []  # partials are never in the transcript
    assert [r.result_id for r in assembler.add(_event(_result("a", 0, "one two", partial=False)))] == ["a"]
    assert assembler.add(_event(_result("a", 0, "one two three", partial=True))) == []  # late partial
    assert assembler.add(_event(_result("a", 0, "changed", partial=False))) == []  # final re-sent
    assert assembler.partials == []
    assert assembler.transcript().text == "one two"


def test_empty_events_and_empty_finals_are_skipped() -> None:
    assembler = TranscriptAssembler()
    assert assembler.add(_event()) == []
    final_empty = Result(result_id="e", start_time=0, end_time=0, is_partial=False)
    assert [r.result_id for r in assembler.add(_event(final_empty))] == ["e"]
    assert assembler.transcript().segments == []


def test_out_of_order_finals_are_sorted_by_start_time_then_channel() -> None:
    assembler = TranscriptAssembler()
    assembler.add(_event(_result("late", 5, "second", partial=False, channel="ch_1")))
    assembler.add(_event(_result("early", 1, "first", partial=False, channel="ch_0")))
    assembler.add(_event(_result("tie", 5, "third", partial=False, channel="ch_0")))
    transcript = assembler.transcript()
    # At the same start, ch_0 before ch_1, whichever final arrived first.
    assert [(s.channel, s.text) for s in transcript.segments] == [
        ("ch_0", "first"),
        ("ch_0", "third"),
        ("ch_1", "second"),
    ]


def test_several_results_in_one_event() -> None:
    event = _event(_result("a", 0, "alpha", partial=False), _result("b", 2, "beta", partial=True))
    assembler = TranscriptAssembler()
    assert [r.result_id for r in assembler.add(event)] == ["a"]
    assert [r.result_id for r in assembler.partials] == ["b"]


def test_transcript_is_a_snapshot() -> None:
    assembler = TranscriptAssembler()
    assembler.add(_event(_result("a", 0, "alpha", partial=False)))
    snapshot = assembler.transcript()
    assembler.add(_event(_result("b", 2, "beta", partial=False)))
    assert snapshot.text == "alpha"
    assert assembler.transcript().text == "alpha beta"


def test_segment_speaker_is_the_majority_speaker() -> None:
    items = [
        ResultItem(start_time=0, end_time=1, type="pronunciation", content="a", speaker="1"),
        ResultItem(start_time=1, end_time=2, type="pronunciation", content="b", speaker="0"),
        ResultItem(start_time=2, end_time=3, type="pronunciation", content="c", speaker="0"),
        ResultItem(start_time=3, end_time=3, type="punctuation", content=".", speaker="1"),
    ]
    result = Result(
        result_id="r",
        start_time=0,
        end_time=3,
        is_partial=False,
        alternatives=[ResultAlternative(transcript="a b c.", items=items)],
    )
    segment = segment_from_result(result)
    assert segment.speaker == "spk_0"
    assert [i.speaker for i in segment.items] == ["spk_1", "spk_0", "spk_0", "spk_1"]


def test_several_alternatives_are_kept_best_first() -> None:
    result = Result(
        result_id="r",
        start_time=0,
        end_time=1,
        is_partial=False,
        alternatives=[ResultAlternative(transcript="best"), ResultAlternative(transcript="second")],
    )
    segment = segment_from_result(result)
    assert segment.text == "best"
    assert [a.text for a in segment.alternatives] == ["best", "second"]
    assert segment_from_result(_result("s", 0, "single", partial=False)).alternatives == []


def test_bad_speaker_label_from_the_service_is_a_protocol_error() -> None:
    item = ResultItem(start_time=0, end_time=1, type="pronunciation", content="SECRETWORD", speaker="bob")
    result = Result(
        result_id="r",
        start_time=0,
        end_time=1,
        is_partial=False,
        alternatives=[ResultAlternative(transcript="SECRETWORD", items=[item])],
    )
    with pytest.raises(ProtocolError, match="'r'") as caught:
        TranscriptAssembler().add(_event(result))
    assert "SECRETWORD" not in str(caught.value)


# --- normalisation and validation ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "speaker", "channel"),
    [(None, None, None), (0, "spk_0", "ch_0"), ("1", "spk_1", "ch_1"), (" 12 ", "spk_12", "ch_12")],
)
def test_labels_are_normalised(value: object, speaker: str | None, channel: str | None) -> None:
    assert normalise_speaker(value) == speaker
    assert normalise_channel(value) == channel
    item = Item(content="x", speaker=value, channel=value)
    assert (item.speaker, item.channel) == (speaker, channel)


def test_prefixed_labels_are_kept() -> None:
    assert normalise_speaker("spk_3") == "spk_3"
    assert normalise_channel("ch_1") == "ch_1"
    assert Segment(start=0, end=1, text="x", speaker="spk_02", channel="ch_0").speaker == "spk_2"


@pytest.mark.parametrize("bad", ["bob", "ch_0", -1, True, "spk_", 1.5])
def test_bad_speaker_labels_are_refused(bad: object) -> None:
    with pytest.raises(ValidationError, match="speaker"):
        Item(content="x", speaker=bad)


def test_punctuation_never_has_confidence() -> None:
    assert Item(content=".", type="punctuation", confidence=0.0).confidence is None
    assert Item(content="word", confidence=0.0).confidence == 0.0


@pytest.mark.parametrize(
    "kwargs",
    [
        {"content": "SECRETWORD", "confidence": 1.5},
        {"content": "SECRETWORD", "start": -1},
        {"content": "SECRETWORD", "type": "SECRETTYPE"},
        {"content": "SECRETWORD", "end": float("nan")},
    ],
)
def test_item_validation_errors_are_one_line_without_the_text(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as caught:
        Item(**kwargs)
    assert "SECRET" not in str(caught.value)
    assert "\n" not in str(caught.value)


def test_nested_validation_error_names_the_path() -> None:
    with pytest.raises(ValidationError, match=r"segments\[0\]\.items\[1\]\.confidence"):
        Transcript.model_validate(
            {
                "segments": [
                    {
                        "start": 0,
                        "end": 1,
                        "text": "a b",
                        "items": [{"content": "a"}, {"content": "b", "confidence": 2}],
                    }
                ]
            }
        )


# --- behaviour ----------------------------------------------------------------------------------


def _sample() -> Transcript:
    return Transcript(
        segments=[
            Segment(
                start=0.5,
                end=2.0,
                text="Take metoprolol daily.",
                speaker="spk_0",
                items=[
                    Item(start=0.5, end=0.8, content="Take", confidence=0.99, speaker="spk_0"),
                    Item(start=0.8, end=1.5, content="metoprolol", confidence=0.42, speaker="spk_0"),
                    Item(start=1.5, end=2.0, content="daily", confidence=0.9, speaker="spk_0"),
                    Item(content=".", type="punctuation"),
                ],
                entities=[Entity(start=0.8, end=1.5, content="metoprolol", confidence=0.5)],
                alternatives=[Alternative(text="Take metoprolol daily.")],
            ),
            Segment(start=3.0, end=4.0, text="Okay.", channel="ch_1", speaker="1"),
        ],
        alternative_segments=[
            AlternativeSegment(
                start=0.5,
                end=2.0,
                speaker="0",
                alternatives=[
                    Alternative(text="Take metoprolol daily.", items=[Item(start=0.5, end=0.8, content="Take")]),
                    Alternative(text="Take metoprolol Daley.", items=[Item(start=1.5, end=2.1, content="Daley")]),
                ],
            )
        ],
        source="batch",
        job_name="job-1",
    )


def test_text_joins_segments() -> None:
    assert _sample().text == "Take metoprolol daily. Okay."
    assert _sample().model_copy(update={"service_text": " As AWS wrote it"}).text == " As AWS wrote it"
    assert Transcript().text == ""
    assert Transcript().duration == 0.0
    assert _sample().duration == 4.0


def test_review_flags_words_below_threshold_only() -> None:
    flags = _sample().review(0.95)
    assert [(f.segment_index, f.item_index, f.content, f.confidence) for f in flags] == [
        (0, 1, "metoprolol", 0.42),
        (0, 2, "daily", 0.9),
    ]
    assert flags[0].start == 0.8
    assert flags[0].speaker == "spk_0"
    assert _sample().review(0.0) == []
    assert all(f.content != "." for f in _sample().review(1.0))


@pytest.mark.parametrize("threshold", [-0.1, 1.1])
def test_review_threshold_is_validated(threshold: float) -> None:
    with pytest.raises(ValidationError, match="min_confidence"):
        _sample().review(threshold)


def test_shift_moves_every_time_and_keeps_the_original() -> None:
    original = _sample()
    shifted = original.shift(10.1)
    assert original == _sample()
    segment = shifted.segments[0]
    assert (segment.start, segment.end) == (10.6, 12.1)
    assert [i.start for i in segment.items] == [10.6, 10.9, 11.6, None]
    assert (segment.entities[0].start, segment.entities[0].end) == (10.9, 11.6)
    assert shifted.segments[1].start == 13.1
    hypotheses = shifted.alternative_segments[0]
    assert (hypotheses.start, hypotheses.end, hypotheses.speaker) == (10.6, 12.1, "spk_0")
    assert [i.start for alt in hypotheses.alternatives for i in alt.items] == [10.6, 11.6]
    assert shifted.job_name == "job-1"
    assert shifted.shift(-10.1) == original


def test_shift_before_zero_is_refused() -> None:
    with pytest.raises(ValidationError, match="before 0"):
        _sample().shift(-1)


def test_join_items_follows_the_aws_rule() -> None:
    items = [
        Item(content="Hi"),
        Item(content=",", type="punctuation"),
        Item(content="you"),
        Item(content="?", type="punctuation"),
    ]
    assert join_items(items) == "Hi, you?"
    assert join_items([]) == ""


def test_joined_text_puts_no_space_before_a_segment_that_starts_with_punctuation() -> None:
    segments = [
        Segment(start=0, end=1, text="It hurts", items=[Item(content="It"), Item(content="hurts")]),
        Segment(start=1, end=2, text="Where", channel="ch_1", items=[Item(content="Where", channel="ch_1")]),
        Segment(start=1, end=1, text=".", items=[Item(content=".", type="punctuation")]),
        Segment(start=2, end=3, text=""),
        Segment(start=3, end=4, text="Here."),
    ]
    assert joined_text(segments) == "It hurts Where. Here."
    assert Transcript(segments=segments).text == "It hurts Where. Here."


def test_repr_and_str_never_show_words() -> None:
    transcript = Transcript.from_events(_events("conversation_speakers_phi"))
    assembler = TranscriptAssembler()
    for event in _events("two_channels"):
        assembler.add(event)
    models: list[object] = [
        transcript,
        _sample(),
        assembler,
        *_sample().review(1.0),
        *_sample().segments,
        *_sample().alternative_segments,
    ]
    for segment in [*transcript.segments, *_sample().segments]:
        models.extend([*segment.items, *segment.entities, *segment.alternatives])
    for model in models:
        for shown in (repr(model), str(model)):
            for word in (*WORDS, "metoprolol", "Take"):
                assert word not in shown, shown
    assert repr(_sample()) == (
        "Transcript(source='batch', job_name='job-1', session_id=None, segments=2, alternative_segments=1)"
    )
    with_text = _sample().model_copy(update={"service_text": "Take metoprolol daily... Okay"})
    assert "metoprolol" not in repr(with_text)


def test_review_flag_is_frozen() -> None:
    flag = ReviewFlag(segment_index=0, item_index=0, content="x", confidence=0.1)
    with pytest.raises(Exception, match="frozen"):
        flag.confidence = 0.2  # type: ignore[misc]


def test_the_model_holds_data_only() -> None:
    # Rendering and files live in transcribe_medical.exports, above the models.
    for name in ("to_text", "to_json", "from_json", "to_jsonl", "to_srt", "to_vtt", "export", "write"):
        assert not hasattr(Transcript, name), name
    source = Path(transcript_module.__file__).read_text()
    assert "from transcribe_medical.exports" not in source
    assert "import transcribe_medical.exports" not in source
