"""Tests of the SRT and WebVTT exports, checked by a strict validator."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from transcribe_medical.exports import to_srt, to_vtt
from transcribe_medical.exports.subtitles import format_timestamp
from transcribe_medical.models.batch_output import parse_batch_output
from transcribe_medical.models.events import TranscriptEvent
from transcribe_medical.models.transcript import Item, Segment, Transcript

from .subtitle_validator import parse_srt, parse_vtt

VECTORS = Path(__file__).parents[1] / "vectors"
LONG = (
    "The patient reports intermittent substernal chest pressure radiating to the left arm, "
    "worse with exertion and relieved by rest, over the past three weeks, with no syncope."
)


def _batch(name: str) -> Transcript:
    return parse_batch_output((VECTORS / "batch_outputs" / f"{name}.json").read_bytes())


def _streaming(index: int) -> Transcript:
    sequence = json.loads((VECTORS / "transcript_events.json").read_text())["sequences"][index]
    return Transcript.from_events(TranscriptEvent.from_payload(json.dumps(e["payload"])) for e in sequence["events"])


def _long_segment(start: float = 10.0, speaker: str | None = "spk_0") -> Segment:
    words = LONG.split()
    items = [
        Item(start=start + i * 0.4, end=start + i * 0.4 + 0.35, content=w, confidence=0.9) for i, w in enumerate(words)
    ]
    return Segment(start=start, end=start + len(words) * 0.4, text=LONG, speaker=speaker, items=items)


CASES = {
    "plain": _batch("plain"),
    "speakers": _batch("speaker_labels"),
    "channels": _batch("channel_identification"),
    "streaming_speakers": _streaming(0),
    "streaming_channels": _streaming(1),
    "long": Transcript(segments=[_long_segment(), _long_segment(40.0, None)]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_srt_and_vtt_are_valid(name: str) -> None:
    transcript = CASES[name]
    srt_cues = parse_srt(to_srt(transcript))
    vtt_cues = parse_vtt(to_vtt(transcript))
    assert srt_cues
    assert vtt_cues
    if not transcript.speakers and not transcript.channels:  # no SRT label to narrow the lines
        assert [(c.start_ms, c.end_ms) for c in srt_cues] == [(c.start_ms, c.end_ms) for c in vtt_cues]


@pytest.mark.parametrize("name", ["plain", "speakers", "channels", "long"])
def test_subtitles_keep_every_word_in_order(name: str) -> None:
    transcript = CASES[name]
    cues = parse_vtt(to_vtt(transcript))
    assert " ".join(line for cue in cues for line in cue.lines) == transcript.text


def test_speaker_srt_exact_output() -> None:
    assert to_srt(_batch("speaker_labels")).split("\n\n")[:3] == [
        "1\n00:00:00,540 --> 00:00:02,180\nspk_0: Good morning, Mr. Alvarez.",
        "2\n00:00:02,310 --> 00:00:03,200\nspk_0: Any chest pain?",
        "3\n00:00:03,900 --> 00:00:05,400\nspk_1: Only when I climb stairs.",
    ]


def test_vtt_uses_voice_tags() -> None:
    vtt = to_vtt(_batch("speaker_labels"))
    assert vtt.startswith("WEBVTT\n\n00:00:00.540 --> 00:00:02.180\n<v spk_0>Good morning, Mr. Alvarez.</v>\n")
    assert "<v spk_1>Only when I climb stairs.</v>" in vtt
    plain = to_vtt(_batch("plain"))
    assert "<v" not in plain


def test_overlapping_channels_become_one_cue_with_a_line_each() -> None:
    srt = to_srt(CASES["streaming_channels"])
    assert srt == "1\n00:00:06,020 --> 00:00:08,150\nch_0: Start aspirin 81 mg daily.\nch_1: Okay.\n"
    vtt = to_vtt(CASES["streaming_channels"])
    assert vtt == "WEBVTT\n\n00:00:06.020 --> 00:00:08.150\n<v ch_0>Start aspirin 81 mg daily.</v>\n<v ch_1>Okay.</v>\n"


def test_overlap_with_a_long_segment_keeps_two_lines_per_speaker() -> None:
    answer = Segment(start=12.0, end=12.5, text="Yes.", speaker="spk_1")
    transcript = Transcript(segments=[_long_segment(), answer])
    cues = parse_vtt(to_vtt(transcript))
    assert len(cues) > 2
    with_answer = [cue for cue in cues if "Yes." in cue.lines]
    assert len(with_answer) == 1
    assert set(with_answer[0].voices) == {"spk_0", "spk_1"}
    parse_srt(to_srt(transcript))


def test_long_segments_are_split_into_cues_timed_by_words() -> None:
    cues = parse_srt(to_srt(Transcript(segments=[_long_segment()])))
    assert len(cues) >= 2
    assert all(len(cue.lines) <= 2 for cue in cues)
    assert cues[0].start_ms == 10_000
    assert cues[-1].end_ms == round((10.0 + len(LONG.split()) * 0.4) * 1000)
    # The second cue starts with its first word's time.
    first_word_of_second = cues[1].lines[0].removeprefix("spk_0: ").split()[0]
    index = LONG.split().index(first_word_of_second)
    assert cues[1].start_ms == round((10.0 + index * 0.4) * 1000)


def test_words_longer_than_a_line_are_broken() -> None:
    word = "x" * 100
    cues = parse_srt(to_srt(Transcript(segments=[Segment(start=0, end=3, text=word, speaker="spk_0")])))
    assert "".join(line.removeprefix("spk_0: ") for cue in cues for line in cue.lines) == word


def test_vtt_escapes_markup() -> None:
    transcript = Transcript(segments=[Segment(start=0, end=1, text="<b> & --> a<b")])
    vtt = to_vtt(transcript)
    assert "&lt;b&gt; &amp; --&gt; a&lt;b" in vtt
    assert parse_vtt(vtt)[0].lines == ["<b> & --> a<b"]


def test_bad_times_still_give_valid_cues() -> None:
    transcript = Transcript(
        segments=[
            Segment(start=5, end=1, text="end before start"),
            Segment(start=5, end=5, text="zero length"),
            Segment(start=5, end=9, text="same start same speaker"),
            Segment(start=0, end=0, text="at zero", channel="ch_1"),
        ]
    )
    parse_srt(to_srt(transcript))
    parse_vtt(to_vtt(transcript))


def test_empty_transcript() -> None:
    assert to_srt(Transcript()) == ""
    assert to_vtt(Transcript()) == "WEBVTT\n"
    assert to_srt(Transcript(segments=[Segment(start=0, end=1, text="  ")])) == ""


@pytest.mark.parametrize(
    ("seconds", "srt", "vtt"),
    [
        (0, "00:00:00,000", "00:00:00.000"),
        (0.5405, "00:00:00,540", "00:00:00.540"),
        (3723.004, "01:02:03,004", "01:02:03.004"),
        (360_000.25, "100:00:00,250", "100:00:00.250"),
        (-1, "00:00:00,000", "00:00:00.000"),
    ],
)
def test_format_timestamp(seconds: float, srt: str, vtt: str) -> None:
    assert format_timestamp(seconds) == srt
    assert format_timestamp(seconds, decimal=".") == vtt
