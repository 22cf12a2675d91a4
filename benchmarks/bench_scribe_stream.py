"""Benchmark 7: client CPU per audio-second of HealthScribe streaming (HTTP/2), beside the medical WebSocket stream.

The emulator runs in a subprocess (this file with ``--serve``: the streaming port, which speaks
WebSocket for medical streams and HTTP/2 for HealthScribe, with the scripted recognizer), so only
the client's work is measured, with ``time.process_time()`` (user + system CPU of this process,
all threads).

Both sides run at the defaults a user runs, asyncio, :data:`STREAMS` sessions at once, each fed
fresh 100 ms chunks of 16 kHz mono PCM from an async generator (as a live feed delivers them)
and paced in real time (the default), every event read to the end:

* **HealthScribe**: ``await client.scribe.streaming.transcribe(audio, ScribeStreamConfig(...))``
  — HTTP/2 on ``h2``, every event SigV4-signed in a chain, the replay buffer kept for resuming,
  the keep-alive timer armed, ``END_OF_SESSION`` and the signed end frame at the end;
* **medical (the baseline)**: ``client.streaming.transcribe(audio, StreamConfig(...))`` — the
  presigned WebSocket stream, the same audio.

Rounds alternate between the two, best of each kept; the ratio is HealthScribe / medical (below 1:
HealthScribe costs the client less per audio-second). The target is the medical stream's own
(``<= 2 ms/audio-s``, benchmark 3), judged on the HealthScribe figure.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any, Final

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import Result, at_most, best_of_interleaved
from _subprocess_server import server_process
from _workloads import AUDIO_CHUNK_BYTES, SAMPLE_RATE, pcm_chunk

__all__ = ["run", "serve"]

ACCESS_KEY: Final = "AKIDBENCHSCRIBE00000"
SECRET_KEY: Final = "benchmark/scribe/secret/0000000000000000"
REGION: Final = "us-east-1"
ROLE_ARN: Final = "arn:aws:iam::123456789012:role/HealthScribeBenchmark"
STREAMS: Final = 10
CPU_TARGET_MS: Final = 2.0
_DICTATION: Final = (
    "The patient reports a sore throat and a cough for five days and denies shortness of breath. "
    "She has asthma. The lungs are clear and the throat is red. Likely a viral infection. "
    "Drink plenty of fluids and take ibuprofen for the fever."
)
_TEMPLATES: Final = [pcm_chunk(AUDIO_CHUNK_BYTES, seed=n) for n in range(10)]


def serve() -> None:
    """The emulator's streaming port (WebSocket + HTTP/2), scripted recognizer; until stdin closes."""
    from transcribe_medical.local.recognizers import ScriptedRecognizer
    from transcribe_medical.local.scribe_stream_server import ScribeStreamServer
    from transcribe_medical.local.sigv4_verifier import EmulatorCredentials
    from transcribe_medical.local.streaming_server import StreamingServer

    credentials = EmulatorCredentials(ACCESS_KEY, SECRET_KEY)
    recognizer = ScriptedRecognizer(_DICTATION)
    server = StreamingServer(credentials=credentials, region=REGION, recognizer=recognizer, max_concurrent_streams=64)
    # No S3: each session's note FAILS after END_OF_SESSION, which the streaming never waits for.
    scribe = ScribeStreamServer(credentials=credentials, region=REGION, recognizer=lambda: recognizer)
    server.http2_protocol = scribe.protocol
    with server:
        print(f"ENDPOINT {server.endpoint}", flush=True)
        sys.stdin.read()


@contextlib.contextmanager
def emulator() -> Iterator[str]:
    """Start :func:`serve` in a subprocess; yield its ``ws://`` endpoint; stop it afterwards."""
    with server_process([sys.executable, str(Path(__file__).resolve()), "--serve"], "the emulator") as endpoint:
        yield endpoint


def _client(endpoint: str) -> Any:
    import boto3

    from transcribe_medical import AsyncTranscribeMedical

    session = boto3.Session(aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY, region_name=REGION)
    return AsyncTranscribeMedical(region_name=REGION, streaming_endpoint_url=endpoint, boto3_session=session)


async def _audio(seconds: float) -> AsyncIterator[bytes]:
    """Fresh 100 ms chunks, as a live feed delivers them (a replay buffer pays for what it keeps)."""
    for index in range(round(seconds * SAMPLE_RATE * 2 / AUDIO_CHUNK_BYTES)):
        yield bytearray(_TEMPLATES[index % len(_TEMPLATES)])


async def _scribe_stream(client: Any, seconds: float) -> int:
    from transcribe_medical.scribe.streaming.config import ScribeStreamConfig

    config = ScribeStreamConfig(role_arn=ROLE_ARN, output_bucket="benchmark-notes", sample_rate=SAMPLE_RATE)
    events = 0
    run = await client.scribe.streaming.transcribe(_audio(seconds), config)
    async for _ in run:
        events += 1
    return events


async def _medical_stream(client: Any, seconds: float) -> int:
    from transcribe_medical import StreamConfig

    config = StreamConfig(media_encoding="pcm", sample_rate=SAMPLE_RATE, specialty="PRIMARYCARE", type="DICTATION")
    events = 0
    async with client.streaming.transcribe(_audio(seconds), config) as transcription:
        async for _ in transcription:
            events += 1
    return events


async def _all(*coroutines: Any) -> list[Any]:
    return list(await asyncio.gather(*coroutines))


def run(short: bool = False) -> list[Result]:
    """Measure both sides' client CPU per audio-second; return the row."""
    seconds = 3.0 if short else 15.0
    audio_seconds = STREAMS * seconds
    loop = asyncio.new_event_loop()
    events: dict[str, int] = {}
    try:
        with emulator() as endpoint:
            client = _client(endpoint)
            # Warm up both paths: imports, credentials, the first connections.
            loop.run_until_complete(_all(_scribe_stream(client, 0.5), _medical_stream(client, 0.5)))

            def side(name: str, stream: Any) -> Any:
                def work() -> None:
                    counts = loop.run_until_complete(_all(*(stream(client, seconds) for _ in range(STREAMS))))
                    if min(counts) == 0:
                        raise RuntimeError(f"a {name} stream received no event: the emulator is not transcribing")
                    events[name] = min(counts)

                return work

            wall = time.perf_counter()
            best = best_of_interleaved(
                {"healthscribe": side("healthscribe", _scribe_stream), "medical": side("medical", _medical_stream)},
                rounds=1 if short else 2,
                clock=time.process_time,
                collect_garbage=False,  # the collector's work is part of a client's real cost
            )
            wall = time.perf_counter() - wall
            loop.run_until_complete(client.aclose())
    finally:
        loop.close()
    scribe_ms = best["healthscribe"] * 1000 / audio_seconds
    medical_ms = best["medical"] * 1000 / audio_seconds
    details: dict[str, float | int | str] = {
        "streams": STREAMS,
        "seconds_per_stream": seconds,
        "audio_seconds_per_round": audio_seconds,
        "healthscribe_cpu_s": best["healthscribe"],
        "medical_cpu_s": best["medical"],
        "healthscribe_events_per_stream": events.get("healthscribe", 0),
        "medical_events_per_stream": events.get("medical", 0),
        "wall_s_all_rounds": wall,
    }
    return [
        Result(
            f"7. HealthScribe stream client CPU, {STREAMS} asyncio sessions",
            f"{scribe_ms:.2f} ms/audio-s",
            f"{medical_ms:.2f} ms/audio-s (medical WebSocket stream)",
            scribe_ms / medical_ms,
            f"<= {CPU_TARGET_MS:g} ms/audio-s",
            at_most(scribe_ms, CPU_TARGET_MS),
            details=details,
        )
    ]


if __name__ == "__main__":
    if sys.argv[1:] == ["--serve"]:
        serve()
    else:
        from _harness import format_table

        print(format_table(run(short="--short" in sys.argv[1:])))
