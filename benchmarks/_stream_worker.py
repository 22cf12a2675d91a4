"""One side of a stream benchmark, in its own process: our client or the hand-written peer.

Run by ``bench_streams.py``, one process per side, so that each side's CPU time and resident
memory are its own::

    python benchmarks/_stream_worker.py --client ours --flavour asyncio --streams 20 --seconds 20 \\
        --endpoint ws://127.0.0.1:PORT

It imports everything and runs one short warm-up stream, prints ``READY``, and waits for a line
on standard input, so both sides start their streams at the same moment. Then it runs
``--streams`` concurrent streams of ``--seconds`` of 16 kHz mono PCM, in 100 ms chunks made fresh
for each stream (as a microphone or a live feed delivers them, so a replay buffer pays for what
it holds), and prints one JSON line: the process CPU time (``time.process_time``: all threads,
user + system) from the start to the end of the streams, the resident memory before them and at
its peak during them (sampled from ``/proc/self/statm`` every 50 ms), and what each stream
received.

Our client runs at the defaults a user runs: ``client.streaming.transcribe(audio, config)``,
real-time pacing and reconnect on, nothing tuned; credentials come from the environment through
the default chain. ``--fast`` sends as fast as the connection takes it (``realtime=False`` for
ours, no pacing for the peer), for the long-stream memory row where only the audio and the
results matter, not the wall time; ``--mark-at S`` then also reports the resident memory when
the audio source reaches second ``S``, and at the end, before the stream's object is released.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import gc
import json
import os
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Final

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _workloads import AUDIO_CHUNK_BYTES, SAMPLE_RATE, pcm_chunk

__all__ = ["main"]

REGION: Final = "us-east-1"
CHUNK_SECONDS: Final = AUDIO_CHUNK_BYTES / (SAMPLE_RATE * 2)
_CHUNKS_PER_SECOND: Final = round(1 / CHUNK_SECONDS)
_TEMPLATES: Final = [pcm_chunk(AUDIO_CHUNK_BYTES, seed=n) for n in range(_CHUNKS_PER_SECOND)]
_WARM_UP_SECONDS: Final = 1
_SAMPLE_INTERVAL: Final = 0.05
_PAGE: Final = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def rss_bytes() -> int:
    """This process's resident memory now (Linux), or its peak so far elsewhere."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * _PAGE
    except OSError:
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak if sys.platform == "darwin" else peak * 1024  # bytes on macOS, KiB elsewhere


class PeakMemory:
    """The largest resident memory seen by a sampling thread while the block runs."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(_SAMPLE_INTERVAL):
            self.peak = max(self.peak, rss_bytes())

    def __enter__(self) -> PeakMemory:
        self.peak = rss_bytes()
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_bytes())


class Marks:
    """Resident memory when the audio reaches a given second, and at the end of the stream."""

    def __init__(self, at_second: float | None) -> None:
        self._at_chunk = None if at_second is None else round(at_second * _CHUNKS_PER_SECOND)
        self.values: dict[str, int] = {}

    def chunk_sent(self, index: int) -> None:
        if index == self._at_chunk:
            self.take("mark")

    def take(self, name: str) -> None:
        gc.collect()
        self.values[name] = rss_bytes()


def _fresh_chunks(seconds: float, marks: Marks | None = None) -> Iterator[bytes]:
    for index in range(round(seconds * _CHUNKS_PER_SECOND)):
        if marks is not None:
            marks.chunk_sent(index)
        yield bytes(memoryview(_TEMPLATES[index % _CHUNKS_PER_SECOND]))  # a new object, as live audio is


async def _fresh_chunks_async(seconds: float, marks: Marks | None = None) -> AsyncIterator[bytes]:
    for chunk in _fresh_chunks(seconds, marks):
        yield chunk


# --- our client ---------------------------------------------------------------------------------


def _config() -> Any:
    from transcribe_medical import StreamConfig

    return StreamConfig(media_encoding="pcm", sample_rate=SAMPLE_RATE, specialty="PRIMARYCARE", type="DICTATION")


def _options(fast: bool) -> dict[str, Any]:
    return {"realtime": False} if fast else {}  # nothing else: the defaults


async def _ours_async(client: Any, seconds: float, fast: bool, marks: Marks | None = None) -> dict[str, Any]:
    events = 0
    async with client.streaming.transcribe(_fresh_chunks_async(seconds, marks), _config(), **_options(fast)) as stream:
        async for _ in stream:
            events += 1
        if marks is not None:
            marks.take("end")
        words = len(stream.transcript.text.split())
    return {"events": events, "words": words}


def _ours_sync(client: Any, seconds: float, fast: bool, marks: Marks | None = None) -> dict[str, Any]:
    events = 0
    with client.streaming.transcribe(_fresh_chunks(seconds, marks), _config(), **_options(fast)) as stream:
        for _ in stream:
            events += 1
        if marks is not None:
            marks.take("end")
        words = len(stream.transcript.text.split())
    return {"events": events, "words": words}


# --- the hand-written peer ----------------------------------------------------------------------


@functools.cache
def _peer_credentials() -> Any:
    """The default chain's credentials, resolved once per process as a client is built once."""
    import botocore.session

    return botocore.session.get_session().get_credentials()


def _peer_url(endpoint: str) -> str:
    from _peer_client import presign

    query = {
        "language-code": "en-US",
        "media-encoding": "pcm",
        "sample-rate": str(SAMPLE_RATE),
        "specialty": "PRIMARYCARE",
        "type": "DICTATION",
    }
    return presign(_peer_credentials(), REGION, endpoint.rstrip("/") + "/medical-stream-transcription-websocket", query)


async def _peer_async(endpoint: str, seconds: float, fast: bool, marks: Marks | None = None) -> dict[str, Any]:
    from _peer_client import stream_async

    received = await stream_async(
        _peer_url(endpoint), _fresh_chunks_async(seconds, marks), 0.0 if fast else CHUNK_SECONDS
    )
    if marks is not None:
        marks.take("end")
    return {"events": received.events, "words": len(received.transcript.split())}


def _peer_sync(endpoint: str, seconds: float, fast: bool, marks: Marks | None = None) -> dict[str, Any]:
    from _peer_client import stream_sync

    received = stream_sync(_peer_url(endpoint), _fresh_chunks(seconds, marks), 0.0 if fast else CHUNK_SECONDS)
    if marks is not None:
        marks.take("end")
    return {"events": received.events, "words": len(received.transcript.split())}


# --- running N streams --------------------------------------------------------------------------


#: Runs N concurrent streams (N, seconds of audio each, the memory marks); returns what each received.
StreamsRunner = Callable[[int, float, Marks | None], list[dict[str, Any]]]


def _runner(args: argparse.Namespace) -> tuple[StreamsRunner, Callable[[], None]]:
    """What runs concurrent streams of a given length, and what closes the client after."""
    if args.flavour == "asyncio":
        loop = asyncio.new_event_loop()
        if args.client == "ours":
            from transcribe_medical import AsyncTranscribeMedical

            client: Any = AsyncTranscribeMedical(region_name=REGION, streaming_endpoint_url=args.endpoint)

            def one_async(seconds: float, marks: Marks | None) -> Any:
                return _ours_async(client, seconds, args.fast, marks)

            def close() -> None:
                loop.run_until_complete(client.aclose())
                loop.close()

        else:

            def one_async(seconds: float, marks: Marks | None) -> Any:
                return _peer_async(args.endpoint, seconds, args.fast, marks)

            close = loop.close

        async def all_streams(count: int, seconds: float, marks: Marks | None) -> list[dict[str, Any]]:
            return list(await asyncio.gather(*(one_async(seconds, marks) for _ in range(count))))

        return (lambda count, seconds, marks: loop.run_until_complete(all_streams(count, seconds, marks))), close

    if args.client == "ours":
        from transcribe_medical import TranscribeMedical

        sync_client: Any = TranscribeMedical(region_name=REGION, streaming_endpoint_url=args.endpoint)

        def one(seconds: float, marks: Marks | None) -> dict[str, Any]:
            return _ours_sync(sync_client, seconds, args.fast, marks)

        close = sync_client.close
    else:

        def one(seconds: float, marks: Marks | None) -> dict[str, Any]:
            return _peer_sync(args.endpoint, seconds, args.fast, marks)

        def close() -> None:
            pass

    def all_threads(count: int, seconds: float, marks: Marks | None) -> list[dict[str, Any]]:
        with ThreadPoolExecutor(max_workers=count) as pool:
            return list(pool.map(lambda _: one(seconds, marks), range(count)))

    return all_threads, close


def main(argv: list[str] | None = None) -> None:
    """Warm up, say ``READY``, wait for the go, run the streams, print the figures as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--client", choices=["ours", "peer"], required=True)
    parser.add_argument("--flavour", choices=["asyncio", "sync"], default="asyncio")
    parser.add_argument("--streams", type=int, default=1)
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--fast", action="store_true", help="no real-time pacing (the long-stream row)")
    parser.add_argument("--mark-at", type=float, help="also report the RSS when the audio reaches this second")
    args = parser.parse_args(argv)

    run_streams, close = _runner(args)
    # One stream: imports, credentials, first-use caches. Only one, so that the memory N streams
    # need is not already held by the allocator from a warm-up of N.
    run_streams(1, _WARM_UP_SECONDS, None)
    gc.collect()
    print("READY", flush=True)
    sys.stdin.readline()

    marks = Marks(args.mark_at) if args.mark_at is not None else None
    rss_before = rss_bytes()
    cpu = time.process_time()
    wall = time.perf_counter()
    with PeakMemory() as memory:
        streams = run_streams(args.streams, args.seconds, marks)
    cpu = time.process_time() - cpu
    wall = time.perf_counter() - wall
    close()
    figures = {
        "cpu_s": cpu,
        "wall_s": wall,
        "audio_s": args.seconds * args.streams,
        "rss_before": rss_before,
        "rss_peak": memory.peak,
        "events": [stream["events"] for stream in streams],
        "words": [stream["words"] for stream in streams],
        "marks": marks.values if marks is not None else {},
    }
    print(json.dumps(figures), flush=True)


if __name__ == "__main__":
    main()
