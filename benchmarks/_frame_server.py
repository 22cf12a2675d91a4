"""A tiny WebSocket server that sends timestamped TranscriptEvent frames, for the latency benchmark.

Run as a subprocess by ``bench_latency.py``::

    python benchmarks/_frame_server.py --frames 500 --interval-ms 3

It prints ``ENDPOINT ws://127.0.0.1:<port>`` and serves until its standard input closes. To each
connection (any path: it checks no signature) it sends ``--frames`` realistic TranscriptEvent
frames, one every ``--interval-ms`` so that none waits behind another, then closes normally
(1000). Each frame's ``ResultId`` is ``time.monotonic_ns()`` taken just before the send — a
clock shared by every process on the machine — so the receiver can tell how long the frame took
to reach it. What the client sends (audio, the end-of-stream event) is read and dropped.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import threading
import time
from typing import Any

from _workloads import TRANSCRIPT_EVENT_HEADERS, transcript_event_payloads

from transcribe_medical.eventstream import encode_message

__all__ = ["main"]


def _templates() -> list[dict[str, Any]]:
    return [json.loads(payload) for payload in transcript_event_payloads()]


def _latest_time(value: Any) -> float:
    if isinstance(value, dict):
        own = [float(v) for k, v in value.items() if k in ("StartTime", "EndTime")]
        return max([*own, *(_latest_time(v) for v in value.values())], default=0.0)
    if isinstance(value, list):
        return max((_latest_time(v) for v in value), default=0.0)
    return 0.0


def _shifted(value: Any, seconds: float) -> Any:
    """A copy of ``value`` with every ``StartTime``/``EndTime`` moved ``seconds`` later."""
    if isinstance(value, dict):
        return {
            k: float(v) + seconds if k in ("StartTime", "EndTime") else _shifted(v, seconds) for k, v in value.items()
        }
    if isinstance(value, list):
        return [_shifted(v, seconds) for v in value]
    return value


async def _serve(frames: int, interval: float) -> None:
    from websockets.asyncio.server import ServerConnection, serve

    templates = _templates()
    # The templates repeat; their times must not, as the service's never go back on a channel
    # (a client may rightly drop a final that starts inside audio already final).
    span = max(_latest_time(template) for template in templates) + 1.0
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()

    async def handle(websocket: ServerConnection) -> None:
        async def drain() -> None:
            async for _ in websocket:
                pass

        reader = asyncio.create_task(drain())
        for index in range(frames):
            body = _shifted(templates[index % len(templates)], (index // len(templates)) * span)
            body["Transcript"]["Results"][0]["ResultId"] = str(time.monotonic_ns())
            frame = encode_message(TRANSCRIPT_EVENT_HEADERS, json.dumps(body, separators=(",", ":")).encode())
            await websocket.send(frame)
            await asyncio.sleep(interval)
        await websocket.close(1000)
        reader.cancel()

    async with serve(handle, "127.0.0.1", 0, compression=None, ping_interval=None, max_size=2**20) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        print(f"ENDPOINT ws://127.0.0.1:{port}", flush=True)
        threading.Thread(target=lambda: (sys.stdin.read(), loop.call_soon_threadsafe(stop.set)), daemon=True).start()
        await stop.wait()


def main() -> None:
    """Serve until standard input reaches end of file."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frames", type=int, default=500)
    parser.add_argument("--interval-ms", type=float, default=3.0)
    args = parser.parse_args()
    asyncio.run(_serve(args.frames, args.interval_ms / 1000))


if __name__ == "__main__":
    main()
