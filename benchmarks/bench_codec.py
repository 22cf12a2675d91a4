"""Benchmarks 1 and 2: the event-stream codec against botocore's decoder and amazon-transcribe's encoder.

1. Decode: a realistic stream of TranscriptEvent frames, fed in 4 KiB pieces (what a socket read
   delivers), through :class:`~transcribe_medical.eventstream.EventStreamDecoder` and through
   ``botocore.eventstream.EventStreamBuffer``. Both produce every message's headers and payload.
2. Encode: 100 ms chunks of 16 kHz PCM framed as AudioEvents by
   :func:`~transcribe_medical.eventstream.encode_audio_event` and by amazon-transcribe's pure-Python
   ``EventStreamMessageSerializer.serialize``; and, as the floor no encoder can beat, one
   ``zlib.crc32`` over each chunk (every frame must be checksummed).
"""

from __future__ import annotations

import zlib

from _harness import Result, at_least, at_most, best_of_interleaved, speedup
from _workloads import AUDIO_CHUNK_BYTES, pcm_chunk, pieces, transcript_event_frames

from transcribe_medical.eventstream import AUDIO_EVENT_HEADERS, EventStreamDecoder, encode_audio_event

__all__ = ["run"]

DECODE_TARGET = 1.5
ENCODE_TARGET = 2.0
CRC_FLOOR_TARGET = 3.0
READ_SIZE = 4096


def _decode(short: bool) -> Result:
    from botocore.eventstream import EventStreamBuffer

    frames = transcript_event_frames(utterances=5 if short else 20)
    stream = b"".join(frames)
    chunks = pieces(stream, READ_SIZE)

    repeats = 1 if short else 5  # a few milliseconds per timed call, well above clock noise

    def ours() -> None:
        count = 0
        for _ in range(repeats):
            decoder = EventStreamDecoder()
            for chunk in chunks:
                for message in decoder.feed(chunk):
                    count += len(message.payload) > 0
            decoder.close()
        assert count == len(frames) * repeats

    def botocore() -> None:
        count = 0
        for _ in range(repeats):
            buffer = EventStreamBuffer()
            for chunk in chunks:
                buffer.add_data(chunk)
                for message in buffer:
                    count += len(message.payload) > 0
        assert count == len(frames) * repeats

    best = best_of_interleaved({"ours": ours, "botocore": botocore}, rounds=5 if short else 25)
    mib = len(stream) * repeats / 2**20
    ratio = speedup(best["ours"], best["botocore"])
    return Result(
        "1. decode TranscriptEvents, 4 KiB pieces",
        f"{mib / best['ours']:.0f} MiB/s",
        f"{mib / best['botocore']:.0f} MiB/s (botocore)",
        ratio,
        f">= {DECODE_TARGET}x",
        at_least(ratio, DECODE_TARGET),
        details={
            "frames": len(frames),
            "stream_bytes": len(stream),
            "mean_frame_bytes": len(stream) // len(frames),
            "ours_s": best["ours"],
            "botocore_s": best["botocore"],
        },
    )


def _encode(short: bool) -> list[Result]:
    try:
        from amazon_transcribe.eventstream import EventStreamMessageSerializer
    except ImportError:
        return [
            Result.pending(
                "2. encode 100 ms AudioEvents",
                f">= {ENCODE_TARGET}x",
                "amazon-transcribe is not installed (pip install 'transcribe-medical[dev]')",
            )
        ]
    serializer = EventStreamMessageSerializer()
    headers = dict(AUDIO_EVENT_HEADERS)
    chunks = [pcm_chunk(AUDIO_CHUNK_BYTES, seed=n) for n in range(200 if short else 1000)]
    assert encode_audio_event(chunks[0]) == serializer.serialize(headers, chunks[0])  # same bytes out
    crc32 = zlib.crc32

    def ours() -> None:
        for chunk in chunks:
            encode_audio_event(chunk)

    def amazon_transcribe() -> None:
        serialize = serializer.serialize
        for chunk in chunks:
            serialize(headers, chunk)

    def crc_floor() -> None:
        for chunk in chunks:
            crc32(chunk)

    best = best_of_interleaved(
        {"ours": ours, "amazon_transcribe": amazon_transcribe, "crc32": crc_floor}, rounds=7 if short else 41
    )
    per_chunk = {name: seconds / len(chunks) * 1e6 for name, seconds in best.items()}
    ratio = speedup(best["ours"], best["amazon_transcribe"])
    floor = best["ours"] / best["crc32"]
    details: dict[str, float | int | str] = {"chunks": len(chunks), "chunk_bytes": AUDIO_CHUNK_BYTES}
    details.update({f"{name}_us_per_chunk": value for name, value in per_chunk.items()})
    return [
        Result(
            "2a. encode 100 ms AudioEvents",
            f"{per_chunk['ours']:.2f} us/frame",
            f"{per_chunk['amazon_transcribe']:.2f} us/frame (amazon-transcribe)",
            ratio,
            f">= {ENCODE_TARGET}x",
            at_least(ratio, ENCODE_TARGET),
            details=details,
        ),
        Result(
            "2b. encode cost / zlib.crc32 cost",
            f"{per_chunk['ours']:.2f} us/frame",
            f"{per_chunk['crc32']:.2f} us/chunk (crc32)",
            floor,
            f"<= {CRC_FLOOR_TARGET}x",
            at_most(floor, CRC_FLOOR_TARGET),
            details=details,
        ),
    ]


def run(short: bool = False) -> list[Result]:
    """Run the codec benchmarks and return their rows (decode, encode, encode-vs-crc32)."""
    return [_decode(short), *_encode(short)]
