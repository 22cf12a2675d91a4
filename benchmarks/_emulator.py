"""The emulator's streaming endpoint with the scripted recognizer, and the benchmarks' credentials.

``bench_latency.py`` signs with :data:`ACCESS_KEY` and :data:`SECRET_KEY`. Run as a script, this
serves the emulator for checking a stream benchmark's clients against a server that verifies
signatures and recognizes audio (the benchmarks themselves use ``_frame_server.py``, whose cost
per stream is far lower, so that 100 real-time streams per side do not make the server the
machine's biggest consumer)::

    python benchmarks/_emulator.py

It prints ``ENDPOINT ws://127.0.0.1:<port>`` once listening and serves until its standard input
closes. The recognizer is :class:`~transcribe_medical.local.recognizers.ScriptedRecognizer`
(DESIGN.md: concurrency benchmarks use it; pocketsphinx holds the GIL and needs ~90 MiB per
stream), revealing a medical dictation at 2.5 words per second of audio.
"""

from __future__ import annotations

import sys
from typing import Final

__all__ = ["ACCESS_KEY", "DICTATION", "REGION", "SECRET_KEY", "main"]

ACCESS_KEY: Final = "AKIDBENCHMARK0000000"
SECRET_KEY: Final = "benchmark/secret/key/000000000000000000"
REGION: Final = "us-east-1"
DICTATION: Final = (
    "The patient is a fifty four year old male presenting with intermittent chest pain on exertion. "
    "He reports shortness of breath when climbing two flights of stairs and denies syncope. "
    "Current medications include metoprolol twenty five milligrams twice daily and atorvastatin. "
    "Blood pressure is one hundred forty over ninety and heart rate is seventy two."
)


def main() -> None:
    """Serve until standard input reaches end of file."""
    from transcribe_medical.local.recognizers import ScriptedRecognizer
    from transcribe_medical.local.sigv4_verifier import EmulatorCredentials
    from transcribe_medical.local.streaming_server import StreamingServer

    server = StreamingServer(
        credentials=EmulatorCredentials(ACCESS_KEY, SECRET_KEY),
        region=REGION,
        recognizer=ScriptedRecognizer(DICTATION),
        max_concurrent_streams=64,
    )
    with server:
        print(f"ENDPOINT {server.endpoint}", flush=True)
        sys.stdin.read()


if __name__ == "__main__":
    main()
