"""Tests of the plain-text export."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from transcribe_medical._exceptions import ValidationError
from transcribe_medical.exports import LOW_CONFIDENCE_MARKER, to_text
from transcribe_medical.models.batch_output import parse_batch_output
from transcribe_medical.models.events import TranscriptEvent
from transcribe_medical.models.transcript import Item, Segment, Transcript

VECTORS = Path(__file__).parents[1] / "vectors"


def _batch(name: str) -> Transcript:
    return parse_batch_output((VECTORS / "batch_outputs" / f"{name}.json").read_bytes())


def _streaming(index: int) -> Transcript:
    sequence = json.loads((VECTORS / "transcript_events.json").read_text())["sequences"][index]
    return Transcript.from_events(TranscriptEvent.from_payload(json.dumps(e["payload"])) for e in sequence["events"])


def test_speaker_turns_one_line_each() -> None:
    assert to_text(_batch("speaker_labels")) == (
        "spk_0: Good morning, Mr. Alvarez. Any chest pain?\n"
        "spk_1: Only when I climb stairs.\n"
        "spk_0: Start aspirin 81 mg daily.\n"
    )


def test_channels_are_labelled() -> None:
    assert to_text(_streaming(1)) == "ch_0: Start aspirin 81 mg daily.\nch_1: Okay.\n"


def test_plain_transcript_is_one_paragraph() -> None:
    transcript = _batch("plain")
    assert to_text(transcript) == transcript.text + "\n"


def test_without_speakers_the_text_is_the_transcript_text() -> None:
    transcript = _batch("speaker_labels")
    assert to_text(transcript, speakers=False) == transcript.text + "\n"


def test_timestamps_put_each_segment_on_its_line() -> None:
    assert to_text(_streaming(0), timestamps=True) == (
        "[00:00:00.540] spk_0: Good morning, Mr. Alvarez.\n[00:00:03.900] spk_1: Only when I climb stairs.\n"
    )
    assert to_text(_batch("plain"), timestamps=True).splitlines()[3] == "[00:00:06.020] Start aspirin 81 mg daily."


def test_low_confidence_words_are_marked() -> None:
    assert LOW_CONFIDENCE_MARKER == ("[[", "]]")
    text = to_text(_batch("speaker_labels"), min_confidence=0.99)
    assert text.splitlines() == [
        "spk_0: Good morning, Mr. [[Alvarez]]. Any chest pain?",
        "spk_1: Only when I climb stairs.",
        "spk_0: Start aspirin 81 [[mg]] daily.",
    ]
    assert "[[" not in to_text(_batch("speaker_labels"), min_confidence=0.5)


def test_punctuation_and_unscored_words_are_never_marked() -> None:
    segment = Segment(
        start=0,
        end=1,
        text="a b.",
        items=[
            Item(content="a", confidence=None),
            Item(content="b", confidence=0.1),
            Item(content=".", type="punctuation"),
        ],
    )
    assert to_text(Transcript(segments=[segment]), min_confidence=1.0) == "a [[b]].\n"


@pytest.mark.parametrize("threshold", [-0.5, 2.0])
def test_threshold_is_validated(threshold: float) -> None:
    with pytest.raises(ValidationError, match="min_confidence"):
        to_text(_batch("plain"), min_confidence=threshold)


def test_empty_transcript_and_whitespace() -> None:
    assert to_text(Transcript()) == ""
    messy = Transcript(segments=[Segment(start=0, end=1, text="  two\nlines  "), Segment(start=1, end=2, text="")])
    assert to_text(messy) == "two lines\n"
