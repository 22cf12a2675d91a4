"""Benchmark 4: the latency the SDK adds between a frame reaching the socket and the event reaching the caller.

``_frame_server.py`` runs in a subprocess on loopback and sends realistic TranscriptEvent frames,
spaced out so none queues behind another, each stamped with ``time.monotonic_ns()`` just before
the send (a clock every process on the machine shares). Two receivers, in alternating rounds:

* **bare websockets** (the baseline): ``websockets.asyncio.client.connect`` and ``recv()``; the
  arrival time is taken when ``recv()`` returns the frame's bytes;
* **ours**: ``AsyncTranscribeMedical(...).streaming.connect(config)``, ``async for event in
  stream``; the arrival time is taken when the caller's loop body gets the
  :class:`~transcribe_medical.TranscriptEvent` (decoded, CRC-checked, parsed into models, its
  results assembled into the transcript).

Both include the same kernel and loopback path, so the difference of their percentiles is the
time our SDK adds on top of bare websockets: targets p50 <= 1 ms and p99 <= 5 ms. Each side's
p50/p99 is the best over the rounds (noise only ever adds latency).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from _emulator import ACCESS_KEY, REGION, SECRET_KEY
from _harness import Result, at_most, percentile
from _subprocess_server import server_process

from transcribe_medical.eventstream import EventStreamDecoder

__all__ = ["run"]

P50_TARGET_MS = 1.0
P99_TARGET_MS = 5.0
_SERVER = Path(__file__).with_name("_frame_server.py")


@contextlib.contextmanager
def frame_server(frames: int, interval_ms: float) -> Iterator[str]:
    """Start ``_frame_server.py`` in a subprocess; yield its ``ws://`` endpoint; stop it afterwards."""
    argv = [sys.executable, str(_SERVER), "--frames", str(frames), "--interval-ms", str(interval_ms)]
    with server_process(argv, "the frame server") as endpoint:
        yield endpoint


async def _bare(endpoint: str) -> list[float]:
    """Latencies in ms seen by a bare websockets client."""
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosedOK

    arrivals: list[tuple[int, bytes]] = []
    async with connect(endpoint + "/medical-stream-transcription-websocket", compression=None) as websocket:
        with contextlib.suppress(ConnectionClosedOK):
            while True:
                frame = await websocket.recv()
                arrivals.append((time.monotonic_ns(), frame))  # type: ignore[arg-type]
    decoder = EventStreamDecoder()  # outside the timed path: only to read the send stamps
    latencies = []
    for arrived, frame in arrivals:
        [message] = decoder.feed(frame)
        sent = int(json.loads(message.payload)["Transcript"]["Results"][0]["ResultId"])
        latencies.append((arrived - sent) / 1e6)
    return latencies


async def _ours(client: Any) -> list[float]:
    """Latencies in ms seen by a caller of our asyncio streaming client."""
    from transcribe_medical import StreamConfig

    config = StreamConfig(media_encoding="pcm", sample_rate=16_000)
    arrivals: list[tuple[int, Any]] = []
    async with client.streaming.connect(config) as stream:
        await stream.end()  # no audio: the server sends its frames regardless, then closes
        async for event in stream:
            arrivals.append((time.monotonic_ns(), event))
    return [(arrived - int(event.results[0].result_id)) / 1e6 for arrived, event in arrivals]


def run(short: bool = False) -> list[Result]:
    """Measure both receivers in alternating rounds; return the p50 and p99 rows."""
    import boto3

    from transcribe_medical import AsyncTranscribeMedical

    frames = 200 if short else 1000
    rounds = 2 if short else 5
    best: dict[str, dict[float, float]] = {"ours": {}, "bare": {}}
    samples = 0
    loop = asyncio.new_event_loop()
    try:
        with frame_server(frames, interval_ms=3.0) as endpoint:
            session = boto3.Session(aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY, region_name=REGION)
            client = AsyncTranscribeMedical(region_name=REGION, streaming_endpoint_url=endpoint, boto3_session=session)
            loop.run_until_complete(_ours(client))  # warm up: imports, credentials, pydantic
            for round_index in range(rounds):
                order = ("bare", "ours") if round_index % 2 == 0 else ("ours", "bare")
                for side in order:
                    latencies = loop.run_until_complete(_bare(endpoint) if side == "bare" else _ours(client))
                    if len(latencies) != frames:
                        raise RuntimeError(f"{side}: {len(latencies)} of {frames} events arrived")
                    samples += len(latencies)
                    for fraction in (0.5, 0.99):
                        value = percentile(latencies, fraction)
                        best[side][fraction] = min(best[side].get(fraction, value), value)
            loop.run_until_complete(client.aclose())
    finally:
        loop.close()
    details: dict[str, float | int | str] = {"frames_per_round": frames, "rounds": rounds, "samples": samples}
    details |= {f"{side}_p{int(f * 100)}_ms": value for side, values in best.items() for f, value in values.items()}
    rows = []
    for fraction, target in ((0.5, P50_TARGET_MS), (0.99, P99_TARGET_MS)):
        name = f"p{int(fraction * 100)}"
        added = best["ours"][fraction] - best["bare"][fraction]
        rows.append(
            Result(
                f"4{'ab'[fraction > 0.5]}. latency added, {name}",
                f"{best['ours'][fraction]:.3f} ms total (+{added:.3f})",
                f"{best['bare'][fraction]:.3f} ms (bare websockets)",
                best["ours"][fraction] / best["bare"][fraction],
                f"added <= {target:g} ms",
                at_most(added, target),
                details=details,
            )
        )
    return rows
