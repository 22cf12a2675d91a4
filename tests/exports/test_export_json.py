"""Tests of the versioned JSON and the JSON Lines exports, and of format dispatch."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from transcribe_medical._exceptions import ValidationError
from transcribe_medical.exports import (
    EXPORT_FORMATS,
    SCHEMA,
    SCHEMA_VERSION,
    export,
    from_json,
    segment_to_jsonl,
    to_html,
    to_json,
    to_jsonl,
    to_srt,
    to_text,
    to_vtt,
)
from transcribe_medical.models.batch_output import parse_batch_output
from transcribe_medical.models.events import TranscriptEvent
from transcribe_medical.models.transcript import Transcript

VECTORS = Path(__file__).parents[1] / "vectors"
SEQUENCES = json.loads((VECTORS / "transcript_events.json").read_text())["sequences"]


def _all_vector_transcripts() -> list[Transcript]:
    found = [parse_batch_output(path.read_bytes()) for path in sorted((VECTORS / "batch_outputs").glob("*.json"))]
    for sequence in SEQUENCES:
        events = [TranscriptEvent.from_payload(json.dumps(e["payload"])) for e in sequence["events"]]
        found.append(Transcript.from_events(events, session_id="0f1e2d3c-4b5a-4968-8776-5a4b3c2d1e0f"))
    return found


TRANSCRIPTS = _all_vector_transcripts()


@pytest.mark.parametrize("transcript", TRANSCRIPTS)
def test_json_round_trip_is_identity(transcript: Transcript) -> None:
    assert from_json(to_json(transcript)) == transcript
    assert from_json(to_json(transcript, indent=None).encode()) == transcript


def test_json_document_shape() -> None:
    transcript = TRANSCRIPTS[4]  # speaker_labels
    document = json.loads(to_json(transcript))
    assert list(document)[:2] == ["schema", "version"]
    assert (document["schema"], document["version"]) == (SCHEMA, SCHEMA_VERSION) == ("transcribe-medical/transcript", 1)
    assert document["source"] == "batch"
    assert document["job_name"] == "visit-0412-speakers"
    assert document["speakers"] == ["spk_0", "spk_1"]
    assert document["text"] == transcript.text
    segment = document["segments"][0]
    assert list(segment) == [
        "start",
        "end",
        "speaker",
        "channel",
        "text",
        "result_id",
        "items",
        "entities",
        "alternatives",
    ]
    assert isinstance(segment["start"], float)
    assert segment["items"][0] == {
        "start": 0.54,
        "end": 0.81,
        "content": "Good",
        "type": "pronunciation",
        "confidence": 1.0,
        "speaker": "spk_0",
        "channel": None,
    }


def test_json_keeps_non_ascii_text() -> None:
    transcript = Transcript.model_validate({"segments": [{"start": 0, "end": 1, "text": "café 5 µg"}]})
    assert "café 5 µg" in to_json(transcript)
    assert from_json(to_json(transcript)) == transcript


def test_derived_keys_are_ignored_on_reading() -> None:
    document = json.loads(to_json(TRANSCRIPTS[4]))
    document["text"] = "something else"
    document["speakers"] = []
    document["future_field"] = {"x": 1}
    assert from_json(json.dumps(document)) == TRANSCRIPTS[4]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("{", "not valid JSON"),
        ("[]", "top level"),
        ('{"segments": []}', "schema"),
        ('{"schema": "other", "version": 1}', "schema"),
        ('{"schema": "transcribe-medical/transcript", "version": 2}', "version: 2 is not supported"),
        ('{"schema": "transcribe-medical/transcript"}', "version: None"),
        (
            '{"schema": "transcribe-medical/transcript", "version": 1, "segments": [{"start": 0, "end": 1}]}',
            r"segments\[0\]\.text",
        ),
    ],
)
def test_from_json_errors(data: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        from_json(data)


def test_jsonl_has_one_segment_per_line() -> None:
    transcript = TRANSCRIPTS[1]  # channel identification
    lines = to_jsonl(transcript).splitlines()
    assert len(lines) == len(transcript.segments) == 4
    for line, segment in zip(lines, transcript.segments, strict=True):
        record = json.loads(line)
        assert record["text"] == segment.text
        assert record["channel"] == segment.channel
        assert record["start"] == segment.start
        assert line == segment_to_jsonl(segment)
    assert to_jsonl(Transcript()) == ""


def test_export_dispatch() -> None:
    transcript = TRANSCRIPTS[0]
    assert list(EXPORT_FORMATS) == ["text", "json", "jsonl", "srt", "vtt", "html"]
    assert export(transcript, "text") == to_text(transcript)
    assert export(transcript, "JSON") == to_json(transcript)
    assert export(transcript, "jsonl") == to_jsonl(transcript)
    assert export(transcript, "srt") == to_srt(transcript)
    assert export(transcript, "vtt") == to_vtt(transcript)
    assert export(transcript, "html") == to_html(transcript)
    with pytest.raises(ValidationError, match="'docx' is invalid: choose one of text, json, jsonl, srt, vtt, html"):
        export(transcript, "docx")
    with pytest.raises(TypeError):
        EXPORT_FORMATS["html"] = to_text  # type: ignore[index]
