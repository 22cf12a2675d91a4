"""The batch parser and the exports against real outputs that AWS made (tests/fixtures/aws/batch).

Each file is one AWS published or one real job's output published by another project; where
each comes from is in ``tests/fixtures/aws/SOURCES.md``, with its SHA-256, checked here so a
fixture cannot be "fixed up" quietly. For every file: the text is AWS's transcript, every
alternative hypothesis can be read back verbatim, every word has the channel ``channel_labels``
lists it under and the speaker ``speaker_labels`` gives it, the segments follow the turns in
time order, and every export renders.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from collections import Counter
from functools import cache
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from exports.subtitle_validator import parse_srt, parse_vtt  # tests/exports, a package beside this one
from transcribe_medical.exports import EXPORT_FORMATS, export, from_json, to_json, to_jsonl, to_srt, to_vtt
from transcribe_medical.models.batch_output import SENTENCE_END, parse_batch_output
from transcribe_medical.models.transcript import Item, Transcript

AWS_DIR = Path(__file__).parents[1] / "fixtures" / "aws"
FIXTURES = sorted(path for path in (AWS_DIR / "batch").iterdir() if path.name.endswith((".json", ".json.gz")))


def _raw(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if path.suffix == ".gz" else data


@cache
def _wire(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(_raw(path))
    return document


@cache
def _parsed(path: Path) -> Transcript:
    return parse_batch_output(_raw(path))


WITH_CHANNELS = [path for path in FIXTURES if "channel_labels" in _wire(path)["results"]]
WITH_SPEAKERS = [path for path in FIXTURES if "speaker_labels" in _wire(path)["results"]]


def _words(transcript: Transcript) -> list[Item]:
    return [item for segment in transcript.segments for item in segment.items]


def _content(item: dict[str, Any]) -> str:
    content: str = item["alternatives"][0]["content"] if "alternatives" in item else item["content"]
    return content


def _time(value: Any) -> float | None:
    return None if value is None else float(value)


def _identity(item: dict[str, Any]) -> tuple[str, str, float | None, float | None]:
    return (item["type"], _content(item), _time(item.get("start_time")), _time(item.get("end_time")))


def _mine(item: Item) -> tuple[str, str, float | None, float | None]:
    return (item.type, item.content, item.start, item.end)


def test_there_are_channel_identified_speaker_labelled_and_alternative_fixtures() -> None:
    results = [_wire(path)["results"] for path in FIXTURES]
    with_channels = [r for r in results if "channel_labels" in r]
    assert len(with_channels) >= 6
    assert sum(1 for r in with_channels if r.get("segments")) >= 3
    assert sum(1 for r in with_channels if not r.get("segments")) >= 3
    assert sum(1 for r in results if "speaker_labels" in r) >= 6
    assert sum(1 for r in results if r.get("segments")) >= 9


@pytest.mark.parametrize("path", FIXTURES, ids=lambda path: path.name)
def test_each_fixture_is_listed_in_sources_with_its_sha256(path: Path) -> None:
    sources = (AWS_DIR / "SOURCES.md").read_text()
    row = next((line for line in sources.splitlines() if f"`{path.name}`" in line), None)
    assert row is not None, f"{path.name} is not in SOURCES.md"
    assert hashlib.sha256(_raw(path)).hexdigest() in row, f"{path.name} differs from the published file"


@pytest.mark.parametrize("path", FIXTURES, ids=lambda path: path.name)
def test_text_is_aws_transcript(path: Path) -> None:
    transcript = _parsed(path)
    assert transcript.text == _wire(path)["results"]["transcripts"][0]["transcript"]
    assert transcript.source == "batch"
    assert transcript.job_name == _wire(path)["jobName"]


@pytest.mark.parametrize("path", FIXTURES, ids=lambda path: path.name)
def test_every_word_is_kept_in_aws_order(path: Path) -> None:
    wire = _wire(path)["results"]["items"]
    assert [_mine(item) for item in _words(_parsed(path))] == [_identity(item) for item in wire]


@pytest.mark.parametrize("path", FIXTURES, ids=lambda path: path.name)
def test_segments_are_turns_in_time_order(path: Path) -> None:
    transcript = _parsed(path)
    starts = [segment.start for segment in transcript.segments]
    assert starts == sorted(starts)
    for segment in transcript.segments:
        words = [item for item in segment.items if item.type == "pronunciation"]
        assert {(item.speaker, item.channel) for item in words} == {(segment.speaker, segment.channel)}
        # Sentence-ending punctuation only ever closes a segment.
        inner = segment.items[:-1]
        assert not any(item.type == "punctuation" and item.content in SENTENCE_END for item in inner)
    for before, after in pairwise(transcript.segments):
        last = before.items[-1]
        ended = last.type == "punctuation" and last.content in SENTENCE_END
        assert ended or (before.speaker, before.channel) != (after.speaker, after.channel)


@pytest.mark.parametrize("path", WITH_CHANNELS, ids=lambda path: path.name)
def test_every_word_has_the_channel_channel_labels_lists_it_under(path: Path) -> None:
    words = _words(_parsed(path))
    channels = _wire(path)["results"]["channel_labels"]["channels"]
    assert {item.channel for item in words} == {channel["channel_label"] for channel in channels}
    for channel in channels:
        label = channel["channel_label"]
        assert [_mine(item) for item in words if item.channel == label] == [
            _identity(item) for item in channel["items"]
        ]


@pytest.mark.parametrize("path", FIXTURES, ids=lambda path: path.name)
def test_every_alternative_hypothesis_is_kept_verbatim_per_aws_segment(path: Path) -> None:
    wire_segments = _wire(path)["results"].get("segments", [])
    mine = _parsed(path).alternative_segments
    assert len(mine) == len(wire_segments)
    for wire_segment, segment in zip(wire_segments, mine, strict=True):
        assert (segment.start, segment.end) == (
            _time(wire_segment["start_time"]),
            _time(wire_segment["end_time"]),
        )
        assert [alt.text for alt in segment.alternatives] == [alt["transcript"] for alt in wire_segment["alternatives"]]
        for wire_alt, alternative in zip(wire_segment["alternatives"], segment.alternatives, strict=True):
            assert [_mine(item) for item in alternative.items] == [_identity(item) for item in wire_alt["items"]]
            assert [item.confidence for item in alternative.items if item.type == "pronunciation"] == [
                float(item["confidence"]) for item in wire_alt["items"] if item["type"] == "pronunciation"
            ]


@pytest.mark.parametrize("path", WITH_CHANNELS, ids=lambda path: path.name)
def test_words_inside_alternatives_keep_their_channel(path: Path) -> None:
    channels = _wire(path)["results"]["channel_labels"]["channels"]
    listed: dict[tuple[str, str, float | None, float | None], set[str]] = {}
    for channel in channels:
        for item in channel["items"]:
            listed.setdefault(_identity(item), set()).add(channel["channel_label"])
    for segment in _parsed(path).alternative_segments:
        assert segment.channel is not None
        for alternative in segment.alternatives:
            for item in alternative.items:
                owners = listed.get(_mine(item), set())
                if len(owners) == 1:  # channel_labels lists this very word: its channel
                    assert item.channel == next(iter(owners))
                else:  # a word only this hypothesis has: the channel of AWS's segment
                    assert item.channel == segment.channel
        # AWS's best hypothesis is the words of the transcript: all listed, all one channel.
        best = [item for item in segment.alternatives[0].items if item.type == "pronunciation"]
        assert all(len(listed.get(_mine(item), set())) == 1 for item in best)


@pytest.mark.parametrize("path", WITH_SPEAKERS, ids=lambda path: path.name)
def test_every_word_has_the_speaker_speaker_labels_gives_it(path: Path) -> None:
    labels = _wire(path)["results"]["speaker_labels"]
    speaker_of = {
        (float(item["start_time"]), float(item["end_time"])): item.get("speaker_label", segment["speaker_label"])
        for segment in labels["segments"]
        for item in segment["items"]
    }
    transcript = _parsed(path)
    hypotheses = [item for s in transcript.alternative_segments for alt in s.alternatives for item in alt.items]
    checked = 0
    for item in [*_words(transcript), *hypotheses]:
        if item.type == "pronunciation" and (item.start, item.end) in speaker_of:
            assert item.speaker == speaker_of[(item.start, item.end)]
            checked += 1
    assert checked >= len([i for i in _wire(path)["results"]["items"] if i["type"] == "pronunciation"])
    assert transcript.speakers == sorted(set(speaker_of.values()), key=lambda s: int(s[4:]))


@pytest.mark.parametrize("path", FIXTURES, ids=lambda path: path.name)
def test_every_export_renders_and_json_round_trips(path: Path) -> None:
    transcript = _parsed(path)
    for fmt in EXPORT_FORMATS:
        assert export(transcript, fmt)
    parse_srt(to_srt(transcript))
    cues = parse_vtt(to_vtt(transcript))
    shown = Counter("".join("".join(line.split()) for cue in cues for line in cue.lines))
    assert shown == Counter("".join("".join(segment.text.split()) for segment in transcript.segments))
    assert from_json(to_json(transcript)) == transcript
    assert len(to_jsonl(transcript).splitlines()) == len(transcript.segments)


@pytest.mark.parametrize("path", WITH_CHANNELS, ids=lambda path: path.name)
def test_text_export_shows_the_turns_as_spoken(path: Path) -> None:
    transcript = _parsed(path)
    lines = export(transcript, "text").splitlines()
    labels = [re.match(r"(ch_\d+): ", line) for line in lines]
    assert all(labels)
    # One line per turn: consecutive lines are of different channels.
    channels = [match.group(1) for match in labels if match]
    assert all(a != b for a, b in pairwise(channels))
    spoken = " ".join(line.split(": ", 1)[1] for line in lines)
    assert spoken == " ".join(transcript.text.split())
