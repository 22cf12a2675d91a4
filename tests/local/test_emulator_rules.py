"""The emulator's documented simple methods: PHI rules, speaker clustering, result shapes."""

from __future__ import annotations

import json
import math
import struct
from pathlib import Path

import pytest

from transcribe_medical.local.batch_worker import Utterance, build_batch_output, output_key, parse_media_uri
from transcribe_medical.local.phi import PhiSpan, find_phi
from transcribe_medical.local.recognizers import RecognizedWord
from transcribe_medical.local.results import build_result, event_payload, final_words
from transcribe_medical.local.speakers import SpeakerTracker, VoiceTrack, voice_feature
from transcribe_medical.models.batch_output import parse_batch_output
from transcribe_medical.models.events import TranscriptEvent

VECTORS = Path(__file__).resolve().parents[1] / "vectors"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("good morning mr alvarez", [(2, 4, "name")]),
        ("seen by doctor patel today", [(2, 4, "name")]),
        ("a fifty two year old male", [(1, 5, "age"), (5, 6, "gender")]),
        ("follow up on march third", [(3, 5, "date")]),
        ("you may go home", []),
        ("call five five five one two three four", [(1, 8, "id")]),
        ("call five five five", []),
        ("record 12345678 noted", [(1, 2, "id")]),
        ("mail jane@example.org", [(1, 2, "contact")]),
        ("blood pressure one hundred forty over ninety", []),
    ],
)
def test_phi_rules(text: str, expected: list[tuple[int, int, str]]) -> None:
    assert find_phi(text.split()) == [PhiSpan(*span) for span in expected]


def _tone(frequency: float, seconds: float = 0.5, rate: int = 16000) -> bytes:
    return b"".join(
        struct.pack("<h", int(8000 * math.sin(2 * math.pi * frequency * i / rate))) for i in range(int(seconds * rate))
    )


def test_voice_feature_tracks_pitch_and_ignores_silence() -> None:
    low, high = voice_feature(_tone(120), 16000), voice_feature(_tone(240), 16000)
    assert low is not None and high is not None and 110 < low < 130 and 225 < high < 255
    assert voice_feature(bytes(16000), 16000) is None
    # The same pitch whatever the rate the audio arrives at (the analysis grid is in seconds).
    hifi = voice_feature(_tone(120, rate=48000), 48000)
    assert hifi is not None and 110 < hifi < 130


def test_a_voice_track_gives_the_same_feature_however_the_audio_is_cut() -> None:
    audio = _tone(150, seconds=1.0) + bytes(8000) + _tone(230, seconds=1.0)
    features = set()
    for chunk in (3200, 16000, 2 * 1237 + 1, len(audio)):
        track = VoiceTrack(16000)
        for start in range(0, len(audio), chunk):
            track.feed(audio[start : start + chunk])
        features.add((track.feature(0.0, 1.0), track.feature(1.25, 2.25)))
    assert len(features) == 1
    ((first, second),) = features
    assert first is not None and second is not None and 140 < first < 160 and 220 < second < 240
    assert VoiceTrack(16000).feature(0.0, 1.0) is None


def test_speaker_tracker_clusters_and_caps_speakers() -> None:
    tracker = SpeakerTracker(max_speakers=2)
    features = [voice_feature(_tone(f), 16000) for f in (120, 125, 240, 118, 250, 500)]
    assert [tracker.assign(f) for f in features] == [0, 0, 1, 0, 1, 1]
    assert tracker.speakers == 2
    assert SpeakerTracker(max_speakers=1).assign(features[2]) == 0


def test_partial_and_final_results_have_the_reference_shapes() -> None:
    words = [
        RecognizedWord("good", 0.54, 0.81, 0.9987),
        RecognizedWord("morning", 0.81, 1.29, 0.9991),
        RecognizedWord("mr", 1.38, 1.62, 0.9874),
        RecognizedWord("alvarez", 1.62, 2.18, 0.9512),
    ]
    reference = json.loads((VECTORS / "transcript_events.json").read_text())["sequences"][0]["events"]
    result_id = reference[0]["payload"]["Transcript"]["Results"][0]["ResultId"]
    spoken = [RecognizedWord("Good", 0.54, 0.81, 0.5), RecognizedWord("morning", 0.81, 1.29, 0.5)]
    partial = json.loads(event_payload([build_result(result_id, spoken, is_partial=True, speaker=0)]))
    assert partial == reference[0]["payload"]
    final = json.loads(event_payload([build_result("r", words, is_partial=False, speaker=0, identify_phi=True)]))
    result = final["Transcript"]["Results"][0]
    assert result["Alternatives"][0]["Transcript"] == "Good morning mr alvarez."
    assert result["Alternatives"][0]["Entities"] == [
        {"StartTime": 1.38, "EndTime": 2.18, "Category": "PHI", "Content": "mr alvarez", "Confidence": 0.9512}
    ]
    assert set(result) == set(reference[3]["payload"]["Transcript"]["Results"][0])
    assert TranscriptEvent.from_payload(json.dumps(final)).results[0].is_partial is False


def test_batch_output_matches_the_reference_layout() -> None:
    reference = json.loads((VECTORS / "batch_outputs" / "plain.json").read_text())
    words = final_words([RecognizedWord("good", 0.54, 0.81, 1.0), RecognizedWord("morning", 0.81, 1.29, 1.0)])
    built = build_batch_output("job", "123456789012", [Utterance(0, None, tuple(words))])
    assert built.keys() == reference.keys()
    assert built["results"]["items"][0] == reference["results"]["items"][0]
    assert built["results"]["items"][-1] == {
        "alternatives": [{"confidence": "0.0", "content": "."}],
        "type": "punctuation",
    }
    assert parse_batch_output(built).text == "Good morning."


def test_output_keys_and_media_uris() -> None:
    assert output_key("j", None) == "medical/j.json"
    assert output_key("j", "a/b.json") == "a/b.json"
    assert output_key("j", "a/") == "a/j.json"
    assert output_key("j", "a") == "a/j.json"
    assert parse_media_uri("s3://bucket/dir/a b.wav") == ("bucket", "dir/a b.wav")
    assert parse_media_uri("s3://bucket/dir/a%20b.wav") == ("bucket", "dir/a%20b.wav")  # s3:// keys are literal
    assert parse_media_uri("https://s3.us-east-1.amazonaws.com/bucket/dir/a%20b.wav") == ("bucket", "dir/a b.wav")
    assert parse_media_uri("https://s3.us-east-1.amazonaws.com/bucket/k.wav") == ("bucket", "k.wav")
    assert parse_media_uri("https://bucket.s3.us-east-1.amazonaws.com/k.wav") == ("bucket", "k.wav")


def _turn_spans(pcm: bytes, rate: int = 16000) -> list[tuple[float, float]]:
    """The spans between runs of half a second or more of digital silence (the bundled turns)."""
    samples = memoryview(pcm).cast("h")
    spans, start, quiet = [], None, 0
    for index, value in enumerate(samples):
        if value:
            if start is None:
                start = index
            quiet = 0
        elif start is not None:
            quiet += 1
            if quiet >= rate // 2:
                spans.append((start / rate, (index - quiet + 1) / rate))
                start, quiet = None, 0
    if start is not None:
        spans.append((start / rate, (len(samples) - quiet) / rate))
    return spans


@pytest.mark.parametrize("sample", ["conversation", "visit mixed to mono"])
def test_the_bundled_two_voice_recordings_get_one_speaker_per_voice(sample: str) -> None:
    import wave

    from transcribe_medical.local import sample_conversation, sample_visit
    from transcribe_medical.local.recognizers.pcm import mix_to_mono

    path, turns = sample_conversation() if sample == "conversation" else sample_visit()
    with wave.open(path, "rb") as recording:
        channels, pcm = recording.getnchannels(), recording.readframes(recording.getnframes())
    mono = mix_to_mono(pcm, channels)
    track = VoiceTrack(16000)
    track.feed(mono)
    spans = _turn_spans(mono)
    assert len(spans) == len(turns)
    tracker = SpeakerTracker(max_speakers=2)
    labels = [tracker.assign(track.feature(start, end)) for start, end in spans]
    first_role = turns[0][0]
    assert labels == [0 if role == first_role else 1 for role, _ in turns]
