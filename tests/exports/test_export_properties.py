"""Property tests: random transcripts survive JSON and always give valid subtitles."""

from __future__ import annotations

import json
import re

from hypothesis import given
from hypothesis import strategies as st

from transcribe_medical.exports import from_json, to_json, to_jsonl, to_srt, to_text, to_vtt
from transcribe_medical.models.transcript import Segment, Transcript

from .strategies import transcripts
from .subtitle_validator import parse_srt, parse_vtt


@given(transcripts())
def test_json_round_trip_is_identity(transcript: Transcript) -> None:
    assert from_json(to_json(transcript)) == transcript


@given(transcripts())
def test_jsonl_lines_parse_back_into_segments(transcript: Transcript) -> None:
    lines = to_jsonl(transcript).splitlines()
    assert len(lines) == len(transcript.segments)
    rebuilt = Transcript.model_validate({"segments": [json.loads(line) for line in lines]})
    assert rebuilt.segments == transcript.segments


@given(transcripts())
def test_srt_is_always_valid(transcript: Transcript) -> None:
    parse_srt(to_srt(transcript))


@given(transcripts())
def test_vtt_is_always_valid_and_shows_every_character_once(transcript: Transcript) -> None:
    cues = parse_vtt(to_vtt(transcript))
    shown = "".join("".join(line.split()) for cue in cues for line in cue.lines)
    spoken = "".join("".join(segment.text.split()) for segment in transcript.segments)
    # Overlapping segments may interleave, but nothing is lost or repeated.
    assert sorted(shown) == sorted(spoken)


@given(transcripts(), st.floats(min_value=0, max_value=1000, allow_nan=False))
def test_shift_round_trips(transcript: Transcript, seconds: float) -> None:
    shifted = transcript.shift(seconds)
    assert shifted.text == transcript.text
    assert len(shifted.segments) == len(transcript.segments)
    assert from_json(to_json(shifted)) == shifted


@given(transcripts())
def test_repr_never_shows_text(transcript: Transcript) -> None:
    shown = repr(transcript) + str(transcript) + "".join(repr(s) for s in transcript.segments)
    # The repr's own vocabulary (field and class names, None/True/False) is not transcript text.
    own_words = set(re.findall(r"[A-Za-z]+", repr(Transcript()) + repr(Segment(start=0, end=0, text=""))))
    own_words |= {"None", "True", "False", "source", "streaming", "batch"}
    hypotheses = [
        item for segment in transcript.alternative_segments for alt in segment.alternatives for item in alt.items
    ]
    words = [item.content for segment in transcript.segments for item in segment.items]
    words += [item.content for item in hypotheses] + (transcript.service_text or "").split()
    for word in words:
        if len(word) >= 4 and word.isalpha() and word not in own_words:
            assert word not in shown


@given(transcripts(), st.none() | st.floats(min_value=0, max_value=1))
def test_text_never_fails(transcript: Transcript, threshold: float | None) -> None:
    text = to_text(transcript, min_confidence=threshold, timestamps=threshold is None)
    assert text == "" or text.endswith("\n")
