"""Benchmark 3: client CPU per audio-second and memory per open stream, 20 concurrent asyncio streams.

The emulator runs in a subprocess (``_emulator.py``, scripted recognizer), so only the client's
work is measured, with ``time.process_time()`` (user + system CPU of this process, all threads).

* **CPU**: 20 streams at once through ``AsyncTranscribeMedical(...).streaming.transcribe(...,
  realtime=False)`` (pacing off: audio is sent as fast as the connection takes it), each sending
  N seconds of 16 kHz PCM in 100 ms chunks and reading every TranscriptEvent to the end. Everything
  the client does is counted: presigning, the handshake, encoding, sending, decoding, parsing
  events into models, assembling the transcript. The figure is CPU milliseconds per second of
  audio sent. As a reference (not a target) the same traffic is moved by bare ``websockets``
  with pre-encoded frames and no decoding at all: the floor of a Python WebSocket client.
* **Memory**: with ``tracemalloc`` on, 20 streams are opened and held open mid-stream (2 s of
  audio sent, events being read); the Python memory allocated since just before they opened,
  divided by 20. As DESIGN.md asks, the per-stream figure excludes the reconnect replay buffer:
  it is measured with ``reconnect=False``, and the same measurement with reconnecting on (the
  default) gives the replay buffer's share, reported on its own row (it grows with the audio not
  yet finalised, up to ``ReconnectPolicy.replay_seconds``: 60 s of 16 kHz mono is 1.9 MB).

CPU rounds alternate between our client and the bare floor, best of each kept.
"""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
import time
import tracemalloc
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

from _emulator import ACCESS_KEY, REGION, SECRET_KEY
from _harness import Result, at_most, best_of_interleaved
from _workloads import AUDIO_CHUNK_BYTES, pcm_chunk

__all__ = ["run"]

STREAMS = 20
CPU_TARGET_MS = 2.0
MEMORY_TARGET_MIB = 1.0
_EMULATOR = Path(__file__).with_name("_emulator.py")


@contextlib.contextmanager
def emulator() -> Iterator[str]:
    """Start ``_emulator.py`` in a subprocess; yield its ``ws://`` endpoint; stop it afterwards."""
    process = subprocess.Popen(
        [sys.executable, str(_EMULATOR)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line.startswith("ENDPOINT "):
            raise RuntimeError(f"the emulator did not start (said {line!r})")
        yield line.split()[1]
    finally:
        assert process.stdin is not None
        process.stdin.close()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _client(endpoint: str) -> Any:
    import boto3

    from transcribe_medical import AsyncTranscribeMedical

    session = boto3.Session(aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY, region_name=REGION)
    return AsyncTranscribeMedical(region_name=REGION, streaming_endpoint_url=endpoint, boto3_session=session)


def _config() -> Any:
    from transcribe_medical import StreamConfig

    return StreamConfig(media_encoding="pcm", sample_rate=16_000, specialty="PRIMARYCARE", type="DICTATION")


async def _our_stream(client: Any, chunks: list[bytes]) -> int:
    events = 0
    async with client.streaming.transcribe(chunks, _config(), realtime=False) as transcription:
        async for _ in transcription:
            events += 1
    return events


async def _raw_stream(url: str, frames: list[bytes]) -> int:
    from websockets.asyncio.client import connect

    events = 0
    async with connect(url, compression=None, max_size=2**20) as websocket:

        async def send() -> None:
            for frame in frames:
                await websocket.send(frame)

        sender = asyncio.create_task(send())
        async for _ in websocket:
            events += 1
        await sender
    return events


async def _held_stream(
    client: Any,
    chunks: list[bytes],
    hold_after: int,
    opened: asyncio.Queue[None],
    release: asyncio.Event,
    reconnect: bool,
) -> None:
    async def audio() -> AsyncIterator[bytes]:
        for index, chunk in enumerate(chunks):
            if index == hold_after:
                await opened.put(None)
                await release.wait()
            yield chunk

    async with client.streaming.transcribe(audio(), _config(), realtime=False, reconnect=reconnect) as transcription:
        async for _ in transcription:
            pass


async def _memory_per_stream(client: Any, chunks: list[bytes], *, reconnect: bool) -> tuple[float, int]:
    """Bytes of Python memory per stream held open mid-stream, and the 20 streams' peak."""
    opened: asyncio.Queue[None] = asyncio.Queue()
    release = asyncio.Event()
    hold_after = 20  # 2 s of audio sent, its events arriving
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        tasks = [
            asyncio.create_task(_held_stream(client, chunks, hold_after, opened, release, reconnect))
            for _ in range(STREAMS)
        ]
        for _ in range(STREAMS):
            await opened.get()
        await asyncio.sleep(0.3)  # let the events for the audio sent so far arrive and be read
        during, peak = tracemalloc.get_traced_memory()
        release.set()
        await asyncio.gather(*tasks)
    finally:
        tracemalloc.stop()
    return (during - before) / STREAMS, peak - before


async def _all(*coroutines: Any) -> list[Any]:
    return list(await asyncio.gather(*coroutines))


def run(short: bool = False) -> list[Result]:
    """Measure client CPU per audio-second and memory per stream; return both rows."""
    from transcribe_medical.eventstream import encode_audio_event

    seconds_per_stream = 5 if short else 30
    chunks = [pcm_chunk(AUDIO_CHUNK_BYTES, seed=n) for n in range(seconds_per_stream * 10)]
    frames = [encode_audio_event(chunk) for chunk in chunks] + [encode_audio_event(b"")]
    audio_seconds = STREAMS * seconds_per_stream
    loop = asyncio.new_event_loop()
    try:
        with emulator() as endpoint:
            client = _client(endpoint)
            loop.run_until_complete(_our_stream(client, chunks[:20]))  # warm up: imports, credentials

            events_per_stream: list[int] = []

            def ours() -> None:
                counts = loop.run_until_complete(_all(*(_our_stream(client, chunks) for _ in range(STREAMS))))
                if min(counts) == 0:
                    raise RuntimeError("a stream received no TranscriptEvent: the emulator is not transcribing")
                events_per_stream[:] = counts

            def floor() -> None:
                urls = [client.streaming.presigned_url(_config().with_session_id()) for _ in range(STREAMS)]
                loop.run_until_complete(_all(*(_raw_stream(url, frames) for url in urls)))

            wall = time.perf_counter()
            best = best_of_interleaved(
                {"ours": ours, "websockets": floor},
                rounds=1 if short else 3,
                clock=time.process_time,
                collect_garbage=False,  # the collector's work is part of a client's real cost
            )
            wall = time.perf_counter() - wall
            per_stream, peak = loop.run_until_complete(_memory_per_stream(client, chunks, reconnect=False))
            resilient_per_stream, _ = loop.run_until_complete(_memory_per_stream(client, chunks, reconnect=True))
            loop.run_until_complete(client.aclose())
    finally:
        loop.close()
    cpu_ms = best["ours"] * 1000 / audio_seconds
    floor_ms = best["websockets"] * 1000 / audio_seconds
    memory_mib = per_stream / 2**20
    details: dict[str, float | int | str] = {
        "streams": STREAMS,
        "events_per_stream": max(events_per_stream),
        "audio_seconds_per_round": audio_seconds,
        "ours_cpu_s": best["ours"],
        "websockets_cpu_s": best["websockets"],
        "memory_per_stream_bytes": int(per_stream),
        "memory_peak_all_streams_bytes": peak,
        "memory_per_reconnecting_stream_bytes": int(resilient_per_stream),
        "wall_s_all_rounds": wall,
    }
    return [
        Result(
            f"3a. client CPU, {STREAMS} asyncio streams",
            f"{cpu_ms:.2f} ms/audio-s",
            f"{floor_ms:.2f} ms/audio-s (bare websockets)",
            cpu_ms / floor_ms,
            f"<= {CPU_TARGET_MS:g} ms/audio-s",
            at_most(cpu_ms, CPU_TARGET_MS),
            details=details,
        ),
        Result(
            "3b. memory per open stream",
            f"{memory_mib * 1024:.0f} KiB",
            "-",
            None,
            f"<= {MEMORY_TARGET_MIB:g} MiB",
            at_most(memory_mib, MEMORY_TARGET_MIB),
            details=details,
        ),
        Result(
            "3c. + replay buffer, reconnect on",
            f"{max(resilient_per_stream - per_stream, 0) / 1024:.0f} KiB after 2 s of audio",
            "-",
            None,
            "reported, no target",
            None,
            details=details,
        ),
    ]
