"""Bounded memory of a stream (issue 17, part 3), measured deterministically: bytes held, not time.

The replay buffer holds only the audio no final result covers yet; the transcript is held once
(the stream's ``ResilientSession``; the sessions' ``StreamSession``\\ s keep no finals) and
compactly; ``keep_transcript=False`` holds none.
"""

from __future__ import annotations

import gc
import random
import tracemalloc
from typing import Any

import pytest

from transcribe_medical import RetryPolicy, StreamConfig, TranscribeMedicalError
from transcribe_medical.eventstream import encode_message
from transcribe_medical.models.events import TranscriptEvent
from transcribe_medical.models.transcript import Transcript, TranscriptAssembler, segments_from_result
from transcribe_medical.streaming.protocol import StreamSession
from transcribe_medical.streaming.reconnect import ReconnectPolicy, ResilientSession

PCM = StreamConfig(media_encoding="pcm", sample_rate=16000)
BPS = 32_000
#: A clinical-sounding vocabulary: real dictation repeats most of its words.
STEMS = ("cardi", "pulmon", "hepat", "ren", "neur", "gastr")
SUFFIXES = ("ac", "ology", "itis", "al", "opathy", "ectomy", "ogram", "ic", "oma", "osis")
PLAIN = "the patient reports pain since monday no fever blood pressure normal follow up in two weeks"
VOCABULARY = [stem + suffix for stem in STEMS for suffix in SUFFIXES] + PLAIN.split(" ")
WORDS_PER_RESULT = 12
RESULTS = 400  # 4,800 words: about 30 minutes of dictation


def final_payload(index: int, rng: random.Random, *, speakers: bool = True) -> bytes:
    """The wire JSON of one final result of ``WORDS_PER_RESULT`` words and a full stop."""
    start = index * 5.0
    items: list[dict[str, Any]] = []
    words = [rng.choice(VOCABULARY) for _ in range(WORDS_PER_RESULT)]
    for position, word in enumerate(words):
        item: dict[str, Any] = {
            "StartTime": round(start + position * 0.4, 3),
            "EndTime": round(start + position * 0.4 + 0.35, 3),
            "Type": "pronunciation",
            "Content": word,
            "Confidence": round(rng.uniform(0.5, 1.0), 4),
        }
        if speakers:
            item["Speaker"] = str(index % 2)
        items.append(item)
    end = start + WORDS_PER_RESULT * 0.4
    items.append({"StartTime": end, "EndTime": end, "Type": "punctuation", "Content": "."})
    result = {
        "ResultId": f"result-{index:05d}",
        "StartTime": start,
        "EndTime": end,
        "IsPartial": False,
        "Alternatives": [{"Transcript": " ".join(words) + ".", "Items": items}],
    }
    return TranscriptEvent.model_validate({"Transcript": {"Results": [result]}}).to_payload()


def payloads(count: int = RESULTS) -> list[bytes]:
    rng = random.Random(17)
    return [final_payload(index, rng) for index in range(count)]


def retained_bytes(keep: bool, events: list[bytes]) -> tuple[int, ResilientSession]:
    """Bytes still allocated after ``events`` went through a stream's ResilientSession (which is kept)."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        resilient = ResilientSession(PCM, retry=RetryPolicy(), keep_transcript=keep)
        resilient.begin_session(resilient.next_session_id(), now=0.0)
        for payload in events:
            resilient.receive(TranscriptEvent.from_payload(payload))
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    return after - before, resilient


def test_the_transcript_costs_at_most_200_bytes_a_word() -> None:
    events = payloads()
    held, resilient = retained_bytes(True, events)
    words = RESULTS * WORDS_PER_RESULT
    assert held / words <= 200, f"{held / words:.0f} bytes a word"
    transcript = resilient.transcript
    assert len(transcript.segments) == RESULTS
    assert sum(1 for segment in transcript.segments for item in segment.items if not item.is_punctuation) == words


def test_without_keep_transcript_the_finals_cost_next_to_nothing() -> None:
    held, resilient = retained_bytes(False, payloads())
    assert held < 16 * 1024, f"{held} bytes held for a stream that keeps no transcript"
    with pytest.raises(TranscribeMedicalError, match="keep_transcript=False"):
        _ = resilient.transcript
    assert resilient.transcript_or_none() is None


def test_the_compact_transcript_is_the_one_pydantic_would_build() -> None:
    events = [TranscriptEvent.from_payload(payload) for payload in payloads(30)]
    compact = TranscriptAssembler(session_id="s")
    for event in events:
        compact.add(event)
    expected = Transcript(
        segments=[segment for event in events for result in event.results for segment in segments_from_result(result)],
        source="streaming",
        session_id="s",
    )
    built = compact.transcript()
    assert built == expected
    assert built.model_dump() == expected.model_dump()
    assert built.segments[3].items[2].speaker == "spk_1" and built.segments[0].items[-1].confidence is None


def test_a_built_transcript_is_the_callers_to_change() -> None:
    assembler = TranscriptAssembler()
    for payload in payloads(3):
        assembler.add(TranscriptEvent.from_payload(payload))
    first = assembler.transcript()
    first.segments.clear()
    assert len(assembler.transcript().segments) == 3


def test_the_session_of_a_reconnecting_stream_does_not_hold_the_transcript_again() -> None:
    session = StreamSession(PCM, assemble=False)
    headers = {":message-type": "event", ":event-type": "TranscriptEvent", ":content-type": "application/json"}
    received = [event for payload in payloads(20) for event in session.receive_frame(encode_message(headers, payload))]
    assert len(received) == 20
    assert session.transcript.segments == []


def test_the_replay_buffer_holds_only_audio_after_the_last_final() -> None:
    resilient = ResilientSession(PCM, retry=RetryPolicy(), policy=ReconnectPolicy(replay_seconds=60))
    resilient.begin_session(resilient.next_session_id(), now=0.0)
    resilient.accept_audio(bytes(BPS * 20))  # 20 s of a live source
    assert resilient.buffered_bytes == BPS * 20
    rng = random.Random(3)
    for index in range(3):  # finals up to 2 * 5 + 12 * 0.4 = 14.8 s
        resilient.receive(TranscriptEvent.from_payload(final_payload(index, rng)))
    assert resilient.buffered_bytes == BPS * 20 - int(14.8 * BPS)
    resilient.accept_audio(bytes(BPS * 100))  # still capped by replay_seconds
    assert resilient.buffered_bytes == BPS * 60
