"""A tiny WebSocket server that sends realistic TranscriptEvent frames, for the stream benchmarks.

Run as a subprocess by ``bench_latency.py`` and ``bench_streams.py``::

    python benchmarks/_frame_server.py --frames 500 --interval-ms 3    # latency: timestamped frames
    python benchmarks/_frame_server.py --follow-audio                  # streams: results follow audio

It prints ``ENDPOINT ws://127.0.0.1:<port>`` and serves until its standard input closes. It
accepts any path and checks no signature, and costs little per stream, so that the client's work
dominates what a benchmark sees.

* Default (latency): to each connection it sends ``--frames`` TranscriptEvent frames, one every
  ``--interval-ms`` so that none waits behind another, then closes normally (1000). Each frame's
  ``ResultId`` is ``time.monotonic_ns()`` taken just before the send — a clock shared by every
  process on the machine — so the receiver can tell how long the frame took to reach it. What the
  client sends is read and dropped.
* ``--follow-audio`` (streams): results follow the audio as the service's do. It counts the
  16 kHz mono PCM received in AudioEvents and sends each event of one long dictation (a partial
  result per word, a final one per utterance, times increasing) once the audio reaches its end
  time; on the empty AudioEvent that ends the stream it closes normally. Every connection gets
  the same frames, encoded once and shared.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import struct
import sys
import threading
import time
from typing import Any

from _workloads import SAMPLE_RATE, TRANSCRIPT_EVENT_HEADERS, transcript_event_payloads

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


#: Bytes per second of the audio the clients send: 16 kHz, 16-bit, mono PCM.
_PCM_BYTES_PER_SECOND = SAMPLE_RATE * 2
#: An event-stream message's bytes besides its headers and payload: prelude (12) and CRC (4).
_FRAMING_BYTES = 16
_UNLIMITED_UTTERANCES = 10**9


class _Dictation:
    """The events of one endless dictation, each with the audio time it ends at, encoded once."""

    def __init__(self) -> None:
        self._payloads = transcript_event_payloads(_UNLIMITED_UTTERANCES)
        self._frames: list[tuple[float, bytes]] = []

    def frame(self, index: int) -> tuple[float, bytes]:
        """The ``index``-th event: the audio time (s) its result ends at, and its frame."""
        while len(self._frames) <= index:
            payload = next(self._payloads)
            end = float(json.loads(payload)["Transcript"]["Results"][0]["EndTime"])
            self._frames.append((end, encode_message(TRANSCRIPT_EVENT_HEADERS, payload)))
        return self._frames[index]


def _audio_bytes(message: bytes) -> int:
    """The payload size of an AudioEvent message (its CRCs are not checked: the client is trusted)."""
    total, headers = struct.unpack_from(">II", message)
    return int(total - headers - _FRAMING_BYTES)


async def _follow_audio(websocket: Any, dictation: _Dictation) -> None:
    received = 0
    index = 0
    async for message in websocket:
        if isinstance(message, str):
            continue
        size = _audio_bytes(message)
        if size == 0:  # the empty AudioEvent: the caller's audio has ended
            break
        received += size
        heard = received / _PCM_BYTES_PER_SECOND
        while (event := dictation.frame(index))[0] <= heard:
            await websocket.send(event[1])
            index += 1
    await websocket.close(1000)


async def _serve(frames: int, interval: float, follow_audio: bool = False) -> None:
    from websockets.asyncio.server import ServerConnection, serve

    dictation = _Dictation()
    templates = _templates()
    # The templates repeat; their times must not, as the service's never go back on a channel
    # (a client may rightly drop a final that starts inside audio already final).
    span = max(_latest_time(template) for template in templates) + 1.0
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()

    async def handle(websocket: ServerConnection) -> None:
        if follow_audio:
            await _follow_audio(websocket, dictation)
            return

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

    async with serve(
        handle, "127.0.0.1", 0, compression=None, ping_interval=None, max_size=2**20, backlog=1024
    ) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        print(f"ENDPOINT ws://127.0.0.1:{port}", flush=True)
        threading.Thread(target=lambda: (sys.stdin.read(), loop.call_soon_threadsafe(stop.set)), daemon=True).start()
        await stop.wait()


def main() -> None:
    """Serve until standard input reaches end of file."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frames", type=int, default=500)
    parser.add_argument("--interval-ms", type=float, default=3.0)
    parser.add_argument("--follow-audio", action="store_true", help="send results as the audio reaches them")
    args = parser.parse_args()
    asyncio.run(_serve(args.frames, args.interval_ms / 1000, args.follow_audio))


if __name__ == "__main__":
    main()
