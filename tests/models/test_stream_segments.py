"""Streaming results into segments: speaker turns inside one result (``speaker-change`` items)."""

from __future__ import annotations

from typing import Any

import pytest

from streaming.aws_examples import speaker_change_payload
from transcribe_medical import ProtocolError, TranscriptEvent
from transcribe_medical.models.events import Result
from transcribe_medical.models.transcript import (
    TranscriptAssembler,
    join_items,
    segment_from_result,
    segments_from_result,
)


def _aws_result() -> Result:
    return TranscriptEvent.model_validate(speaker_change_payload()).results[0]


def _word(content: str, start: float, end: float, **extra: Any) -> dict[str, Any]:
    return {"StartTime": start, "EndTime": end, "Type": "pronunciation", "Content": content, **extra}


def _result(items: list[dict[str, Any]], **extra: Any) -> Result:
    text = " ".join(item["Content"] for item in items if "Content" in item)
    return Result.model_validate(
        {
            "ResultId": "r1",
            "StartTime": items[0]["StartTime"],
            "EndTime": items[-1]["EndTime"],
            "IsPartial": False,
            "Alternatives": [{"Transcript": text, "Items": items, **extra}],
        }
    )


def test_the_aws_example_is_cut_where_the_speaker_changes() -> None:
    first, second = segments_from_result(_aws_result())
    assert (first.speaker, second.speaker) == ("spk_0", "spk_1")
    assert first.text == "From the last chronic fatigue"  # AWS's example leaves words out (its "...")
    assert second.text == "True."
    assert (first.start, first.end) == (18.74, 24.42)
    assert (second.start, second.end) == (25.22, 25.63)
    assert [item.content for item in second.items] == ["True", "."]
    assert {item.speaker for item in first.items} == {"spk_0"}
    assert first.result_id == second.result_id
    # The speaker-change item marks the cut; it is no word.
    assert all(item.content for segment in (first, second) for item in segment.items)


def test_one_segment_keeps_every_word_and_its_speaker() -> None:
    segment = segment_from_result(_aws_result())
    assert segment.text == _aws_result().transcript  # AWS's text, verbatim
    assert segment.speaker == "spk_0"  # most words
    assert [(item.content, item.speaker) for item in segment.items][-2:] == [("True", "spk_1"), (".", None)]
    assert len(segment.items) == 7  # the speaker-change item is not a word


def test_the_assembler_shows_the_change_in_the_transcript() -> None:
    assembler = TranscriptAssembler()
    assembler.add(TranscriptEvent.model_validate(speaker_change_payload()))
    transcript = assembler.transcript()
    assert [segment.speaker for segment in transcript.segments] == ["spk_0", "spk_1"]
    assert transcript.speakers == ["spk_0", "spk_1"]
    assert transcript.segments[-1].text == "True."


def test_words_without_a_label_take_the_speaker_the_change_announces() -> None:
    result = _result(
        [
            _word("Hello", 0.0, 0.5, Speaker="0"),
            {"StartTime": 0.6, "EndTime": 0.6, "Type": "speaker-change", "Speaker": "1"},
            _word("Hi", 0.6, 0.9),
        ]
    )
    first, second = segments_from_result(result)
    assert (first.speaker, second.speaker) == ("spk_0", "spk_1")
    assert second.items[0].speaker == "spk_1"


def test_a_result_without_a_change_is_one_segment_with_aws_text() -> None:
    result = _result([_word("Any", 0.0, 0.2, Speaker="0"), _word("pain", 0.3, 0.6, Speaker="0")])
    (segment,) = segments_from_result(result)
    assert segment.text == "Any pain" and segment.speaker == "spk_0"
    assert (segment.start, segment.end) == (0.0, 0.6)


def test_a_change_at_the_edges_makes_no_empty_segment() -> None:
    change = {"StartTime": 0.0, "EndTime": 0.0, "Type": "speaker-change"}
    (segment,) = segments_from_result(_result([change, _word("Okay", 0.0, 0.4, Speaker="1"), change]))
    assert segment.text == "Okay" and segment.speaker == "spk_1"


def test_items_aws_adds_later_are_not_words() -> None:
    result = _result([_word("Okay", 0.0, 0.4), {"StartTime": 0.4, "EndTime": 0.9, "Type": "sound", "Content": "x"}])
    (segment,) = segments_from_result(result)
    assert [item.content for item in segment.items] == ["Okay"]


def test_entities_go_to_the_turn_they_start_in() -> None:
    result = _result(
        [
            _word("Mister", 0.0, 0.3, Speaker="0"),
            _word("Alvarez", 0.3, 0.8, Speaker="0"),
            {"StartTime": 1.0, "EndTime": 1.0, "Type": "speaker-change"},
            _word("Yes", 1.0, 1.2, Speaker="1"),
        ],
        Entities=[
            {"StartTime": 0.0, "EndTime": 0.8, "Category": "PHI", "Content": "Mister Alvarez", "Confidence": 0.9},
            {"StartTime": 1.0, "EndTime": 1.2, "Category": "PHI", "Content": "Yes", "Confidence": 0.5},
        ],
    )
    first, second = segments_from_result(result)
    assert [entity.content for entity in first.entities] == ["Mister Alvarez"]
    assert [entity.content for entity in second.entities] == ["Yes"]
    assert join_items(first.items) == "Mister Alvarez"


def test_a_bad_speaker_label_is_a_protocol_error() -> None:
    with pytest.raises(ProtocolError, match="r1"):
        segments_from_result(_result([_word("Okay", 0.0, 0.4, Speaker="doctor")]))
