"""Realistic inputs for the benchmarks: TranscriptEvent frames as the service sends them, and PCM.

Transcribe Medical streams a partial result after roughly every word, each one repeating the
whole utterance so far with per-word items, and a final result per utterance. The frames built
here follow that shape (speaker labels, confidences, a PHI entity now and then), so their sizes
(a few hundred bytes to a few KiB) and header sections match what a client really decodes.
"""

from __future__ import annotations

import json
import math
import struct
import uuid
from collections.abc import Iterator
from typing import Any, Final

from transcribe_medical.eventstream import encode_message

__all__ = [
    "AUDIO_CHUNK_BYTES",
    "SAMPLE_RATE",
    "TRANSCRIPT_EVENT_HEADERS",
    "pcm_chunk",
    "pieces",
    "transcript_event_frames",
    "transcript_event_payloads",
]

SAMPLE_RATE: Final = 16_000
#: 100 ms of 16 kHz, 16-bit mono PCM.
AUDIO_CHUNK_BYTES: Final = SAMPLE_RATE * 2 // 10

TRANSCRIPT_EVENT_HEADERS: Final = {
    ":message-type": "event",
    ":event-type": "TranscriptEvent",
    ":content-type": "application/json",
}

_UTTERANCES: Final = (
    "The patient is a fifty four year old male presenting with intermittent chest pain on exertion.",
    "He reports shortness of breath when climbing two flights of stairs and denies syncope.",
    "Current medications include metoprolol twenty five milligrams twice daily and atorvastatin.",
    "Blood pressure is one hundred forty over ninety and heart rate is seventy two.",
    "Plan is an exercise stress test and follow up in two weeks with the cardiology clinic.",
)


def _items(words: list[str], start: float, speaker: str) -> tuple[list[dict[str, Any]], float]:
    items: list[dict[str, Any]] = []
    clock = start
    for index, word in enumerate(words):
        bare = word.rstrip(".,")
        duration = round(0.08 + 0.045 * len(bare), 3)
        items.append(
            {
                "StartTime": round(clock, 3),
                "EndTime": round(clock + duration, 3),
                "Type": "pronunciation",
                "Content": bare,
                "Confidence": round(0.9 + 0.0997 * math.sin(index + len(bare)) ** 2, 4),
                "Speaker": speaker,
            }
        )
        clock += duration + 0.03
        if bare != word:
            items.append(
                {
                    "StartTime": round(clock, 3),
                    "EndTime": round(clock, 3),
                    "Type": "punctuation",
                    "Content": word[-1],
                    "Speaker": speaker,
                }
            )
    return items, clock


def transcript_event_payloads(utterances: int = len(_UTTERANCES)) -> Iterator[bytes]:
    """Yield the JSON payloads of a stream: a partial result per word, then a final one per utterance."""
    clock = 0.0
    for number in range(utterances):
        words = _UTTERANCES[number % len(_UTTERANCES)].split()
        result_id = str(uuid.UUID(int=number + 1))
        speaker = str(number % 2)
        start = clock
        for count in range(1, len(words) + 1):
            items, end = _items(words[:count], start, speaker)
            partial = count < len(words)
            text = " ".join(words[:count])
            entities = []
            if not partial and number % 2 == 0:
                entities = [
                    {
                        "StartTime": items[1]["StartTime"],
                        "EndTime": items[3]["EndTime"],
                        "Category": "PROTECTED_HEALTH_INFORMATION",
                        "Type": "AGE",
                        "Content": "fifty four",
                        "Confidence": 0.9921,
                    }
                ]
            result = {
                "Alternatives": [{"Items": items, "Transcript": text, "Entities": entities}],
                "EndTime": round(end, 3),
                "IsPartial": partial,
                "ResultId": result_id,
                "StartTime": round(start, 3),
                "ChannelId": "ch_0",
            }
            yield json.dumps({"Transcript": {"Results": [result]}}, separators=(",", ":")).encode()
            clock = end
        clock += 0.4


def transcript_event_frames(utterances: int = len(_UTTERANCES)) -> list[bytes]:
    """The payloads of :func:`transcript_event_payloads`, each framed as a TranscriptEvent message."""
    return [encode_message(TRANSCRIPT_EVENT_HEADERS, payload) for payload in transcript_event_payloads(utterances)]


def pieces(data: bytes, size: int) -> list[bytes]:
    """Cut ``data`` into ``size``-byte pieces (the last may be shorter), as a socket read would."""
    return [data[offset : offset + size] for offset in range(0, len(data), size)]


def pcm_chunk(byte_count: int = AUDIO_CHUNK_BYTES, *, seed: int = 0) -> bytes:
    """A chunk of 16-bit PCM (a 440 Hz tone with a little variation), ``byte_count`` bytes long."""
    samples = byte_count // 2
    values = (
        int(8000 * math.sin(2 * math.pi * 440 * (n + seed) / SAMPLE_RATE)) + (n * 7919 + seed) % 64 - 32
        for n in range(samples)
    )
    return struct.pack(f"<{samples}h", *values)
