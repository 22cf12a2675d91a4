"""Tests of the medical batch transcript parser against the golden outputs."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from transcribe_medical._exceptions import ProtocolError
from transcribe_medical.models.batch_output import parse_batch_output
from transcribe_medical.models.transcript import Transcript

BATCH_DIR = Path(__file__).parents[1] / "vectors" / "batch_outputs"
GOLDEN = sorted(BATCH_DIR.glob("*.json"))
SENTENCES = ["Good morning, Mr. Alvarez.", "Any chest pain?", "Only when I climb stairs.", "Start aspirin 81 mg daily."]


def _load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((BATCH_DIR / f"{name}.json").read_text())
    return data


def test_all_five_golden_files_are_present() -> None:
    assert [path.stem for path in GOLDEN] == [
        "alternatives",
        "channel_identification",
        "phi",
        "plain",
        "speaker_labels",
    ]


@pytest.mark.parametrize("path", GOLDEN, ids=lambda path: path.stem)
def test_every_golden_file_parses_to_its_transcript_text(path: Path) -> None:
    raw = path.read_bytes()
    expected = json.loads(raw)
    transcript = parse_batch_output(raw)
    assert transcript.text == expected["results"]["transcripts"][0]["transcript"]
    assert transcript.source == "batch"
    assert transcript.job_name == expected["jobName"]
    assert [segment.text for segment in transcript.segments] == SENTENCES
    for segment in transcript.segments:
        words = [item for item in segment.items if item.type == "pronunciation"]
        assert segment.start == words[0].start
        assert segment.end == words[-1].end
        for item in segment.items:
            if item.type == "punctuation":
                assert item.confidence is None
                assert item.start is None
            else:
                assert item.confidence is not None


@pytest.mark.parametrize("path", GOLDEN, ids=lambda path: path.stem)
def test_str_bytes_and_mapping_inputs_agree(path: Path) -> None:
    text = path.read_text()
    assert parse_batch_output(text) == parse_batch_output(text.encode()) == parse_batch_output(json.loads(text))


def test_plain_file_has_no_labels() -> None:
    transcript = parse_batch_output(_load("plain"))
    assert transcript.speakers == []
    assert transcript.channels == []
    assert all(segment.speaker is None and segment.channel is None for segment in transcript.segments)
    first = transcript.segments[0].items
    assert [(i.content, i.start, i.end, i.confidence) for i in first[:3]] == [
        ("Good", 0.54, 0.81, 1.0),
        ("morning", 0.81, 1.29, 1.0),
        (",", None, None, None),
    ]


def test_speaker_labels_become_spk_segments() -> None:
    transcript = parse_batch_output(_load("speaker_labels"))
    assert [segment.speaker for segment in transcript.segments] == ["spk_0", "spk_0", "spk_1", "spk_0"]
    assert transcript.speakers == ["spk_0", "spk_1"]
    for segment in transcript.segments:
        assert {item.speaker for item in segment.items} == {segment.speaker}


def test_channels_are_merged_chronologically_keeping_each_channel() -> None:
    transcript = parse_batch_output(_load("channel_identification"))
    assert [segment.channel for segment in transcript.segments] == ["ch_0", "ch_0", "ch_1", "ch_0"]
    assert transcript.channels == ["ch_0", "ch_1"]
    starts = [segment.start for segment in transcript.segments]
    assert starts == sorted(starts)
    for segment in transcript.segments:
        assert {item.channel for item in segment.items} == {segment.channel}


def test_channels_without_item_level_labels() -> None:
    data = _load("channel_identification")
    for item in data["results"]["items"]:
        item.pop("channel_label")
    assert [s.channel for s in parse_batch_output(data).segments] == ["ch_0", "ch_0", "ch_1", "ch_0"]


def test_channel_lists_without_content_fall_back_to_results_items() -> None:
    data = _load("channel_identification")
    for channel in data["results"]["channel_labels"]["channels"]:
        for item in channel["items"]:
            item.pop("alternatives")
            item.pop("type")
            item.pop("channel_label")
        channel["items"] = [item for item in channel["items"] if "start_time" in item]
    for item in data["results"]["items"]:
        item.pop("channel_label")
    transcript = parse_batch_output(data)
    assert [s.channel for s in transcript.segments] == ["ch_0", "ch_0", "ch_1", "ch_0"]
    assert transcript.text == data["results"]["transcripts"][0]["transcript"]


def _merged_by_time(channels: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The channels' items merged as AWS merges them into results.items: by start, marks after their word."""
    timed = []
    for number, channel in enumerate(channels):
        start = 0.0
        for position, item in enumerate(channel["items"]):
            start = float(item.get("start_time", start))
            timed.append((start, number, position, item))
    return [copy.deepcopy(item) for *_, item in sorted(timed, key=lambda entry: entry[:3])]


def test_overlapping_speech_interleaves_turns_in_time_order_each_word_keeping_its_channel() -> None:
    data = _load("channel_identification")
    channels = data["results"]["channel_labels"]["channels"]
    for item in channels[1]["items"]:  # the patient answers over the doctor's question
        if "start_time" in item:
            item["start_time"] = f"{float(item['start_time']) - 1.5:.2f}"
            item["end_time"] = f"{float(item['end_time']) - 1.5:.2f}"
    data["results"]["items"] = _merged_by_time(channels)
    for item in data["results"]["items"]:
        item.pop("channel_label")
    words = [(i["alternatives"][0]["content"], i["type"]) for i in data["results"]["items"]]
    data["results"]["transcripts"][0]["transcript"] = "".join(
        (" " if n and kind == "pronunciation" else "") + word for n, (word, kind) in enumerate(words)
    )
    transcript = parse_batch_output(data)
    assert transcript.text == data["results"]["transcripts"][0]["transcript"]
    assert [(s.channel, s.text) for s in transcript.segments] == [
        ("ch_0", "Good morning, Mr. Alvarez."),
        ("ch_0", "Any"),
        ("ch_1", "Only"),
        ("ch_0", "chest"),
        ("ch_1", "when"),
        ("ch_0", "pain?"),
        ("ch_1", "I climb stairs."),
        ("ch_0", "Start aspirin 81 mg daily."),
    ]
    for number, channel in enumerate(channels):
        label = f"ch_{number}"
        mine = [item.content for s in transcript.segments for item in s.items if item.channel == label]
        assert mine == [item["alternatives"][0]["content"] for item in channel["items"]]


def test_a_word_said_on_both_channels_at_once_goes_to_each_once() -> None:
    data = _load("channel_identification")
    channels = data["results"]["channel_labels"]["channels"]
    echo = copy.deepcopy(channels[0]["items"][0])  # "Good" heard on the patient's channel too
    echo["channel_label"] = "ch_1"
    channels[1]["items"].insert(0, echo)
    data["results"]["items"] = _merged_by_time(channels)
    for item in data["results"]["items"]:
        item.pop("channel_label")
    transcript = parse_batch_output(data)
    firsts = [(item.content, item.channel) for item in transcript.segments[0].items[:1]]
    firsts += [(item.content, item.channel) for item in transcript.segments[1].items[:1]]
    assert firsts == [("Good", "ch_0"), ("Good", "ch_1")]


def test_alternatives_are_kept_per_aws_segment_verbatim() -> None:
    data = _load("alternatives")
    transcript = parse_batch_output(data)
    assert [[alt.text for alt in segment.alternatives] for segment in transcript.alternative_segments] == [
        [
            "Good morning, Mr. Alvarez. Any chest pain?",
            "Good morning, Mr. Alvarado. Any chest pain?",
            "Good morning, Mr. Alvarez's. Any just pain?",
        ],
        ["Only when I climb stairs.", "Only when I climbed stairs."],
        ["Start aspirin 81 mg daily.", "Start aspirin eighty one milligrams daily."],
    ]
    assert [(s.start, s.end) for s in transcript.alternative_segments] == [(0.54, 3.2), (3.9, 5.4), (6.02, 8.15)]
    assert all(not segment.alternatives for segment in transcript.segments)  # not regrouped into ours
    second = transcript.alternative_segments[0].alternatives[1]
    assert [(i.content, i.confidence) for i in second.items[3:5]] == [("Mr.", 0.68), ("Alvarado", 0.64)]
    assert second.items[2].type == "punctuation"
    assert second.items[2].confidence is None
    for wire, mine in zip(data["results"]["segments"], transcript.alternative_segments, strict=True):
        for wire_alt, alt in zip(wire["alternatives"], mine.alternatives, strict=True):
            assert [i.content for i in alt.items] == [i["content"] for i in wire_alt["items"]]


def test_alternatives_with_channels_take_each_words_channel_from_channel_labels() -> None:
    data = _load("channel_identification")
    alternatives = _load("alternatives")["results"]["segments"]
    data["results"]["segments"] = [
        {"start_time": "0.54", "end_time": "3.2", "alternatives": alternatives[0]["alternatives"]},
        {"start_time": "3.9", "end_time": "5.4", "alternatives": alternatives[1]["alternatives"]},
    ]
    transcript = parse_batch_output(data)
    assert [s.channel for s in transcript.alternative_segments] == ["ch_0", "ch_1"]
    for segment in transcript.alternative_segments:
        for alternative in segment.alternatives:
            assert {item.channel for item in alternative.items} == {segment.channel}


def test_alternative_words_keep_their_speaker() -> None:
    data = _load("speaker_labels")
    data["results"]["segments"] = _load("alternatives")["results"]["segments"]
    transcript = parse_batch_output(data)
    first = transcript.alternative_segments[0]
    assert first.speaker == "spk_0"
    assert {item.speaker for alt in first.alternatives for item in alt.items} == {"spk_0"}
    assert transcript.alternative_segments[1].speaker == "spk_1"


def test_text_the_items_cannot_give_is_kept_as_the_services() -> None:
    data = _load("plain")
    data["results"]["transcripts"][0]["transcript"] = " Good morning..."
    transcript = parse_batch_output(data)
    assert transcript.service_text == " Good morning..."
    assert transcript.text == " Good morning..."
    assert parse_batch_output(_load("plain")).service_text is None


def test_phi_entities_are_attached_to_their_segment() -> None:
    transcript = parse_batch_output(_load("phi"))
    entities = transcript.segments[0].entities
    assert [(e.category, e.content, e.start, e.end, e.confidence) for e in entities] == [
        ("PHI", "Mr. Alvarez", 1.38, 2.18, 0.9761)
    ]
    assert all(not segment.entities for segment in transcript.segments[1:])


def test_phi_entities_with_string_values_and_snake_case_keys() -> None:
    data = _load("phi")
    data["results"]["entities"] = [
        {
            "startTime": "6.93",
            "endTime": "7.74",
            "category": "PHI",
            "type": "DOSE",
            "content": "81 mg",
            "confidence": "0.9",
        },
        {"start_time": 3.9, "end_time": 4.18, "category": "PHI", "content": "Only"},
    ]
    transcript = parse_batch_output(data)
    assert [(e.content, e.start, e.confidence) for e in transcript.segments[3].entities] == [("81 mg", 6.93, 0.9)]
    assert [(e.content, e.confidence) for e in transcript.segments[2].entities] == [("Only", None)]


def test_item_level_speaker_labels_without_speaker_section() -> None:
    data = _load("plain")
    speakers = ["0"] * 10 + ["1"] * 6 + ["0"] * 6
    for item, speaker in zip(data["results"]["items"], speakers, strict=True):
        item["speaker_label"] = f"spk_{speaker}"
    transcript = parse_batch_output(data)
    assert [s.speaker for s in transcript.segments] == ["spk_0", "spk_0", "spk_1", "spk_0"]


def test_speaker_change_without_punctuation_splits_the_segment() -> None:
    data = _load("speaker_labels")
    items = data["results"]["items"]
    del items[9]  # the "?" after "pain": the change of speaker alone must split
    data["results"]["transcripts"][0]["transcript"] = "x"
    segments = parse_batch_output(data).segments
    assert [(s.speaker, s.text) for s in segments] == [
        ("spk_0", "Good morning, Mr. Alvarez."),
        ("spk_0", "Any chest pain"),
        ("spk_1", "Only when I climb stairs."),
        ("spk_0", "Start aspirin 81 mg daily."),
    ]


def test_speaker_found_by_time_range_when_items_do_not_match_exactly() -> None:
    data = _load("speaker_labels")
    for segment in data["results"]["speaker_labels"]["segments"]:
        segment["items"] = []
    assert [s.speaker for s in parse_batch_output(data).segments] == ["spk_0", "spk_0", "spk_1", "spk_0"]


def test_leading_punctuation_joins_the_first_segment() -> None:
    data = _load("plain")
    data["results"]["items"].insert(
        0, {"alternatives": [{"confidence": "0.0", "content": "\u00bf"}], "type": "punctuation"}
    )
    segments = parse_batch_output(data).segments
    assert segments[0].items[0].content == "\u00bf"
    assert segments[0].start == 0.54


def test_empty_output_and_text_without_items() -> None:
    empty = {"jobName": "silence", "results": {"transcripts": [{"transcript": ""}], "items": []}}
    assert parse_batch_output(empty) == Transcript(segments=[], source="batch", job_name="silence")
    only_text = {"results": {"transcripts": [{"transcript": "Hello."}]}}
    assert parse_batch_output(only_text).text == "Hello."


def _without(data: dict[str, Any], *path: str | int) -> dict[str, Any]:
    data = copy.deepcopy(data)
    target: Any = data
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    return data


@pytest.mark.parametrize(
    ("data", "named"),
    [
        (b"{not json", "not valid JSON"),
        ("[]", "top level"),
        (_without(_load("plain"), "results"), "results"),
        (_without(_load("plain"), "results", "items", 0, "start_time"), "results.items[0]"),
        (_without(_load("plain"), "results", "items", 0, "alternatives"), "items[0]"),
        (
            _without(_load("plain"), "results", "items", 3, "type"),
            "results.items[3]: an item with content needs a type",
        ),
        (
            _without(_load("speaker_labels"), "results", "speaker_labels", "segments", 1, "speaker_label"),
            "speaker_labels.segments[1]",
        ),
        (_without(_load("phi"), "results", "entities", 0, "startTime"), "results.entities[0].startTime"),
    ],
)
def test_malformed_files_raise_protocol_error_naming_the_field(data: Any, named: str) -> None:
    with pytest.raises(ProtocolError) as caught:
        parse_batch_output(data)
    message = str(caught.value)
    assert named in message
    for word in ("Alvarez", "morning", "Good"):
        assert word not in message


def test_bad_labels_and_values_are_protocol_errors() -> None:
    data = _load("plain")
    data["results"]["items"][0]["speaker_label"] = "SECRETWORD"
    with pytest.raises(ProtocolError, match=r"items\[0\]") as caught:
        parse_batch_output(data)
    assert "SECRETWORD" not in str(caught.value)
    data = _load("plain")
    data["results"]["items"][0]["alternatives"][0]["confidence"] = "SECRETWORD"
    with pytest.raises(ProtocolError, match=r"results\.items\[0\]\.alternatives\[0\]\.confidence") as caught:
        parse_batch_output(data)
    assert "SECRETWORD" not in str(caught.value)


def test_channel_lists_alone_are_merged_by_time() -> None:
    data = _load("channel_identification")
    expected = parse_batch_output(data)
    data["results"]["items"] = []  # only channel_labels lists the words
    transcript = parse_batch_output(data)
    assert [(s.channel, s.text) for s in transcript.segments] == [(s.channel, s.text) for s in expected.segments]
    assert transcript.text == data["results"]["transcripts"][0]["transcript"]


def test_an_item_a_channel_lists_but_results_items_lacks_is_skipped() -> None:
    data = _load("channel_identification")
    for item in data["results"]["items"]:
        item.pop("channel_label")
    extra = {"start_time": "1.30", "end_time": "1.37", "alternatives": [{"confidence": "0.2", "content": "uh"}]}
    data["results"]["channel_labels"]["channels"][1]["items"].insert(0, {**extra, "type": "pronunciation"})
    transcript = parse_batch_output(data)
    assert [s.channel for s in transcript.segments] == ["ch_0", "ch_0", "ch_1", "ch_0"]
    assert transcript.text == data["results"]["transcripts"][0]["transcript"]


def test_a_mark_after_the_other_channels_word_stays_with_its_own_channel() -> None:
    def word(content: str, start: float, channel: str) -> dict[str, Any]:
        return {
            "start_time": str(start),
            "end_time": str(start + 0.2),
            "alternatives": [{"confidence": "0.9", "content": content}],
            "type": "pronunciation",
            "channel_label": channel,
        }

    stop = {"alternatives": [{"confidence": "0.0", "content": "."}], "type": "punctuation", "channel_label": "ch_0"}
    items = [word("Breathe", 1.0, "ch_0"), word("Okay", 1.1, "ch_1"), stop]
    data = {
        "results": {
            "transcripts": [{"transcript": "Breathe Okay."}],
            "items": [{k: v for k, v in item.items() if k != "channel_label"} for item in items],
            "channel_labels": {
                "channels": [
                    {"channel_label": "ch_0", "items": [items[0], stop]},
                    {"channel_label": "ch_1", "items": [items[1]]},
                ],
                "number_of_channels": 2,
            },
        }
    }
    transcript = parse_batch_output(data)
    assert [(s.channel, s.text) for s in transcript.segments] == [("ch_0", "Breathe"), ("ch_1", "Okay"), ("ch_0", ".")]
    assert transcript.text == "Breathe Okay."
    assert transcript.service_text is None


def test_channel_lists_alone_put_ch_0_first_at_the_same_time_whatever_the_file_order() -> None:
    def word(content: str) -> dict[str, Any]:
        return {
            "start_time": "0.5",
            "end_time": "0.9",
            "type": "pronunciation",
            "alternatives": [{"content": content, "confidence": "0.9"}],
        }

    data = {
        "jobName": "tie",
        "results": {
            "transcripts": [{"transcript": "Hello there"}],
            "items": [],
            "channel_labels": {
                "number_of_channels": 2,
                "channels": [
                    {"channel_label": "ch_1", "items": [word("there")]},
                    {"channel_label": "ch_0", "items": [word("Hello")]},
                ],
            },
        },
    }
    transcript = parse_batch_output(data)
    assert [(s.channel, s.text) for s in transcript.segments] == [("ch_0", "Hello"), ("ch_1", "there")]
