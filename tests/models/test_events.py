"""Tests of the streaming TranscriptEvent models."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from streaming.aws_examples import speaker_change_payload
from transcribe_medical._exceptions import ProtocolError, ValidationError
from transcribe_medical.models.events import (
    MedicalTranscript,
    Result,
    ResultAlternative,
    ResultEntity,
    ResultItem,
    TranscriptEvent,
)

VECTORS = json.loads((Path(__file__).parents[1] / "vectors" / "transcript_events.json").read_text())
PAYLOADS: list[dict[str, Any]] = [event["payload"] for seq in VECTORS["sequences"] for event in seq["events"]]
WORDS = ("Good", "morning", "Alvarez", "stairs", "aspirin", "Okay")


def _every_model(event: TranscriptEvent) -> list[object]:
    found: list[object] = [event, event.transcript]
    for result in event.results:
        found.append(result)
        for alternative in result.alternatives:
            found.extend([alternative, *alternative.items, *alternative.entities])
    return found


@pytest.mark.parametrize("payload", PAYLOADS)
def test_every_vector_payload_parses(payload: dict[str, Any]) -> None:
    event = TranscriptEvent.from_payload(json.dumps(payload).encode())
    assert len(event.results) == len(payload["Transcript"]["Results"])
    for result, wire in zip(event.results, payload["Transcript"]["Results"], strict=True):
        assert result.result_id == wire["ResultId"]
        assert result.is_partial is wire["IsPartial"]
        assert result.start_time == wire["StartTime"]
        assert result.channel_id == wire.get("ChannelId")
        assert result.transcript == wire["Alternatives"][0]["Transcript"]


def test_fields_are_snake_case_with_raw_speaker() -> None:
    final = TranscriptEvent.from_payload(json.dumps(PAYLOADS[3]))
    result = final.results[0]
    item = result.alternatives[0].items[0]
    assert (item.start_time, item.end_time, item.type, item.content) == (0.54, 0.81, "pronunciation", "Good")
    assert item.confidence == 0.9987
    assert item.speaker == "0"  # raw here; normalised to spk_0 in the Transcript model
    punctuation = result.alternatives[0].items[2]
    assert punctuation.type == "punctuation"
    assert punctuation.confidence is None
    entity = result.alternatives[0].entities[0]
    assert (entity.category, entity.content, entity.start_time, entity.end_time) == ("PHI", "Mr. Alvarez", 1.38, 2.18)


def test_empty_results_event() -> None:
    assert TranscriptEvent.from_payload(b'{"Transcript": {"Results": []}}').results == []


def test_unknown_fields_are_tolerated() -> None:
    payload = {
        "Transcript": {
            "Results": [
                {
                    "ResultId": "r1",
                    "StartTime": 0.0,
                    "EndTime": 1.0,
                    "IsPartial": False,
                    "NewResultField": 1,
                    "Alternatives": [{"Transcript": "hi", "Items": [{**_item("hi"), "Stable": True}], "Extra": []}],
                }
            ],
            "NewTranscriptField": "x",
        },
        "NewTopField": {"a": 1},
    }
    event = TranscriptEvent.from_payload(json.dumps(payload))
    assert event.results[0].alternatives[0].items[0].content == "hi"


def test_what_aws_may_add_is_read_leniently() -> None:
    # DESIGN.md, Forward compatibility: a new item type is kept as sent, an item may have no
    # Content, and an event without a Transcript carries no results.
    payload = {
        "Transcript": {
            "Results": [
                {
                    "ResultId": "r1",
                    "StartTime": 0.0,
                    "EndTime": 2.0,
                    "IsPartial": False,
                    "Alternatives": [
                        {
                            "Transcript": "hi",
                            "Items": [
                                _item("hi"),
                                {"StartTime": 1.0, "EndTime": 1.0, "Type": "speaker-change"},
                                {"StartTime": 1.5, "EndTime": 2.0, "Type": "sound-event", "Content": "[cough]"},
                            ],
                        }
                    ],
                }
            ]
        }
    }
    items = TranscriptEvent.from_payload(json.dumps(payload)).results[0].alternatives[0].items
    assert [(item.type, item.content) for item in items] == [
        ("pronunciation", "hi"),
        ("speaker-change", None),
        ("sound-event", "[cough]"),
    ]
    assert [item.is_speaker_change for item in items] == [False, True, False]
    assert TranscriptEvent.from_payload(b"{}").results == []


def _item(content: str, **extra: Any) -> dict[str, Any]:
    return {"StartTime": 0.0, "EndTime": 1.0, "Type": "pronunciation", "Content": content, **extra}


@pytest.mark.parametrize(
    ("payload", "named"),
    [
        (b"not json", "Invalid JSON"),
        (b'{"Transcript": {"Results": []', "Invalid JSON"),
        (b"[]", "value"),
        (b'{"Transcript": 3}', "Transcript"),
        (b'{"Transcript": {"Results": {}}}', "Transcript.Results"),
        (b'{"Transcript": {"Results": [{"ResultId": "r"}]}}', "Transcript.Results[0].StartTime"),
        (
            json.dumps(
                {
                    "Transcript": {
                        "Results": [
                            {
                                "ResultId": "r",
                                "StartTime": 0,
                                "EndTime": 1,
                                "IsPartial": False,
                                "Alternatives": [{"Items": [_item("x", StartTime="SECRETWORD")]}],
                            }
                        ]
                    }
                }
            ).encode(),
            "Transcript.Results[0].Alternatives[0].Items[0].StartTime",
        ),
    ],
)
def test_malformed_payloads_raise_protocol_error(payload: bytes, named: str) -> None:
    with pytest.raises(ProtocolError, match="malformed TranscriptEvent payload") as caught:
        TranscriptEvent.from_payload(payload)
    assert named in str(caught.value)
    assert "SECRETWORD" not in str(caught.value)
    assert "\n" not in str(caught.value)


def test_error_never_echoes_transcript_text() -> None:
    payload = {"Transcript": {"Results": [{"ResultId": "r", "StartTime": "SECRETWORD", "EndTime": 1}]}}
    with pytest.raises(ProtocolError) as caught:
        TranscriptEvent.from_payload(json.dumps(payload))
    assert "SECRETWORD" not in str(caught.value)
    assert "SECRETWORD" not in str(caught.value.__cause__)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_repr_and_str_never_show_text(payload: dict[str, Any]) -> None:
    event = TranscriptEvent.from_payload(json.dumps(payload))
    for model in _every_model(event):
        for shown in (repr(model), str(model)):
            for word in WORDS:
                assert word not in shown


def test_repr_shows_times_ids_and_counts() -> None:
    result = TranscriptEvent.from_payload(json.dumps(PAYLOADS[3])).results[0]
    assert repr(result) == (
        "Result(result_id='2f5c8e1a-93b4-4d6e-8a7f-0c1b2d3e4f50', start_time=0.54, end_time=2.18, "
        "is_partial=False, channel_id=None, alternatives=1)"
    )
    assert repr(result.alternatives[0]) == "ResultAlternative(items=6, entities=1)"


@pytest.mark.parametrize("payload", PAYLOADS)
def test_to_payload_round_trips(payload: dict[str, Any]) -> None:
    event = TranscriptEvent.from_payload(json.dumps(payload))
    assert TranscriptEvent.from_payload(event.to_payload()) == event
    wire = json.loads(event.to_payload())
    for result, original in zip(wire["Transcript"]["Results"], payload["Transcript"]["Results"], strict=True):
        assert set(original) <= set(result)  # PascalCase keys; only empty defaults are added
        assert result["Alternatives"][0]["Items"] == original["Alternatives"][0]["Items"]


def test_from_results_builds_an_event() -> None:
    result = Result(
        result_id="r1",
        start_time=0.5,
        end_time=1.0,
        is_partial=False,
        alternatives=[
            ResultAlternative(
                transcript="Okay.",
                items=[
                    ResultItem(start_time=0.5, end_time=1.0, type="pronunciation", content="Okay", confidence=0.9),
                    ResultItem(start_time=1.0, end_time=1.0, type="punctuation", content="."),
                ],
                entities=[ResultEntity(start_time=0.5, end_time=1.0, category="PHI", content="Okay")],
            )
        ],
        channel_id="ch_1",
    )
    event = TranscriptEvent.from_results([result])
    assert event.results == [result]
    assert event.transcript == MedicalTranscript(results=[result])
    wire = json.loads(event.to_payload())
    assert wire["Transcript"]["Results"][0]["ChannelId"] == "ch_1"
    assert wire["Transcript"]["Results"][0]["Alternatives"][0]["Items"][0]["Content"] == "Okay"


def test_building_with_bad_input_raises_validation_error_without_echo() -> None:
    with pytest.raises(ValidationError) as caught:
        ResultItem.model_validate({"start_time": "SECRETWORD", "end_time": 1, "type": "pronunciation"})
    assert "start_time" in str(caught.value)
    assert "SECRETWORD" not in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_result_without_alternatives_has_empty_transcript() -> None:
    assert Result(result_id="r", start_time=0, end_time=0, is_partial=True).transcript == ""


def test_aws_speaker_change_example_parses() -> None:
    # AWS developer guide (tests/fixtures/aws/SOURCES.md): a medical streaming result with speaker
    # labels whose items include {"Type": "speaker-change"} without Content.
    event = TranscriptEvent.from_payload(json.dumps(speaker_change_payload()))
    result = event.results[0]
    assert not result.is_partial and result.start_time == 18.74 and result.end_time == 25.63
    items = result.alternatives[0].items
    change = [item for item in items if item.is_speaker_change]
    assert len(change) == 1 and change[0].content is None and change[0].start_time == 25.22
    assert [item.speaker for item in items if item.type == "pronunciation"] == ["0"] * 5 + ["1"]
    assert items[0].model_extra == {"VocabularyFilterMatch": False}  # a field medical items lack in the reference
    assert TranscriptEvent.from_payload(event.to_payload()) == event


def test_a_lone_surrogate_escape_is_read_not_fatal() -> None:
    # RFC 8259 grammar allows "\ud800"; pydantic's parser refuses it, the event must still be read.
    payload = (
        b'{"Transcript":{"Results":[{"ResultId":"r1","StartTime":0,"EndTime":1,"IsPartial":false,'
        b'"Alternatives":[{"Transcript":"take \\ud800 daily","Items":[]}]}]}}'
    )
    event = TranscriptEvent.from_payload(payload)
    assert event.results[0].alternatives[0].transcript == "take \ufffd daily"


def test_a_surrogate_pair_escape_is_kept_and_bad_json_still_fails() -> None:
    payload = (
        b'{"Transcript":{"Results":[{"ResultId":"r1","StartTime":0,"EndTime":1,"IsPartial":false,'
        b'"Alternatives":[{"Transcript":"ok \\ud83d\\ude00","Items":[]}]}]}}'
    )
    assert TranscriptEvent.from_payload(payload).results[0].alternatives[0].transcript == "ok \U0001f600"
    with pytest.raises(ProtocolError):
        TranscriptEvent.from_payload(b'{"Transcript": "\\ud800"')
