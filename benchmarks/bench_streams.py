"""Benchmark 3: streaming at the defaults users run, against a hand-written peer client in the same run.

Our client runs as users run it: ``client.streaming.transcribe(audio, config)`` with nothing tuned
— real-time pacing, reconnect on (so its replay buffer holds live audio), the default options.
The baseline is ``_peer_client.py``: what a developer writes from the AWS documentation with
``websockets``, botocore's SigV4 presign and event-stream decoder, and ``json.loads``, pacing the
audio in real time and doing nothing more (no reconnect, no replay buffer, no models).

Each side runs in its own process (``_stream_worker.py``), the two started together against one
``_frame_server.py --follow-audio`` in a third process: a cheap server that sends a realistic
dictation's results (a partial per word, a final per utterance) as the audio reaches them, so
the server's work does not weigh on the machine the clients share. Every stream sends 16 kHz
mono PCM in 100 ms chunks, each chunk a new object as live audio is.

* **CPU** (3a-3c): process CPU time (``time.process_time``, all threads) from the first stream
  opened to the last closed, per second of audio; 20 and 100 concurrent asyncio streams, 20
  threaded (sync) streams. The ratio is ours / the peer's.
* **RSS per open stream** (3d): (peak resident memory during the 100 asyncio streams - resident
  memory before them) / 100, replay buffer included.
* **One long stream** (3e): one sync stream of 1 h of audio (10 min with ``--short``), resident
  memory growth from minute 5 to the end, the transcript still held. Memory depends on the audio
  and the results, not on wall time, so this row feeds the audio as fast as the connection takes
  it (``realtime=False``; the peer unpaced) rather than taking an hour.

CPU and memory are the best (smallest) over the rounds. A stream that receives nothing is a
failure (the benchmark raises); different transcripts on the two sides are reported in a note.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from _harness import Result, at_most
from _subprocess_server import server_process

__all__ = ["run"]

CPU_TARGET_RATIO: Final = 1.0
RSS_TARGET_KIB: Final = 512
GROWTH_TARGET_MIB: Final = 6.0
_HERE: Final = Path(__file__).resolve().parent
_SERVER: Final = _HERE / "_frame_server.py"
_WORKER: Final = _HERE / "_stream_worker.py"
_LONG_MARK_S: Final = 300.0


@contextlib.contextmanager
def frame_server() -> Iterator[str]:
    """Start ``_frame_server.py --follow-audio`` in a subprocess; yield its ``ws://`` endpoint."""
    with server_process([sys.executable, str(_SERVER), "--follow-audio"], "the frame server") as endpoint:
        yield endpoint


def _worker_environment() -> dict[str, str]:
    """The environment with throwaway credentials only: no profile, no config file, no metadata service."""
    empty = str(Path(tempfile.gettempdir()) / "transcribe-medical-bench-no-aws-config")
    environment = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    return environment | {
        "AWS_ACCESS_KEY_ID": "AKIDBENCHMARK0000000",
        "AWS_SECRET_ACCESS_KEY": "benchmark/secret/key/000000000000000000",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": empty,
        "AWS_SHARED_CREDENTIALS_FILE": empty,
        "AWS_EC2_METADATA_DISABLED": "true",
    }


@dataclass(frozen=True)
class Side:
    """What one worker measured."""

    cpu_s: float
    wall_s: float
    audio_s: float
    rss_before: int
    rss_peak: int
    events: list[int]
    words: list[int]
    marks: dict[str, int]

    @property
    def cpu_ms_per_audio_s(self) -> float:
        """Client CPU milliseconds per second of audio streamed."""
        return self.cpu_s * 1000 / self.audio_s

    def rss_per_stream(self) -> float:
        """Bytes of resident memory per open stream at the peak."""
        return max(self.rss_peak - self.rss_before, 0) / len(self.events)

    def growth(self) -> float:
        """Bytes of resident memory gained from the mark to the end."""
        return self.marks["end"] - self.marks["mark"]


def run_pair(endpoint: str, *options: str, timeout: float) -> dict[str, Side]:
    """Run our worker and the peer's with the same ``options``, their streams started together."""
    environment = _worker_environment()
    with contextlib.ExitStack() as stack:  # on leaving: each worker waited for, its pipes closed
        processes = {
            client: stack.enter_context(
                subprocess.Popen(
                    [sys.executable, str(_WORKER), "--client", client, "--endpoint", endpoint, *options],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                    env=environment,
                )
            )
            for client in ("ours", "peer")
        }
        # A worker stuck before READY would block readline() forever: past the timeout, kill both.
        deadline = threading.Timer(timeout, lambda: [p.kill() for p in processes.values() if p.poll() is None])
        deadline.start()
        try:
            sides = _drive(processes, timeout)
        finally:
            deadline.cancel()
            for process in processes.values():
                if process.poll() is None:
                    process.kill()
    for client, side in sides.items():
        if min(side.events) == 0:
            raise RuntimeError(f"{client}: a stream received no TranscriptEvent ({side.events})")
    return sides


def _drive(processes: dict[str, subprocess.Popen[str]], timeout: float) -> dict[str, Side]:
    """Wait for every worker's ``READY``, start them together, and read their figures."""
    for client, process in processes.items():
        assert process.stdout is not None
        if process.stdout.readline().strip() != "READY":
            process.wait(timeout=10)
            raise RuntimeError(f"the {client} worker failed to start: {_tail(process)}")
    for process in processes.values():
        assert process.stdin is not None
        process.stdin.write("go\n")
        process.stdin.flush()
    sides = {}
    for client, process in processes.items():
        out, err = process.communicate(timeout=timeout)
        if process.returncode != 0:
            raise RuntimeError(f"the {client} worker exited {process.returncode}: {err[-1500:]}")
        sides[client] = Side(**{k: v for k, v in json.loads(out).items() if k in Side.__dataclass_fields__})
    return sides


def _tail(process: subprocess.Popen[str]) -> str:
    assert process.stderr is not None
    return process.stderr.read()[-1500:]


def _best(rounds: list[dict[str, Side]], measure: str) -> dict[str, float]:
    return {client: min(getattr(r[client], measure)() for r in rounds) for client in ("ours", "peer")}


def _transcripts_note(rounds: list[dict[str, Side]]) -> str:
    """A note when the two sides' transcripts differ in length (results lost or doubled on one side)."""
    if all(sorted(r["ours"].words) == sorted(r["peer"].words) for r in rounds):
        return ""
    last = rounds[-1]
    return f"transcripts differ: ours {sorted(last['ours'].words)} words, peer {sorted(last['peer'].words)}"


def run(short: bool = False) -> list[Result]:
    """Measure CPU, memory per stream and a long stream's growth, ours and the peer's; return the rows."""
    seconds = 6 if short else 20
    # Three rounds of each CPU row: at 100 streams a round varies by +-10 % on a shared 2-core
    # machine, and the best of three is a steadier estimate of the floor than the best of two.
    rounds = 1 if short else 3
    long_rounds_count = 1 if short else 2
    long_seconds = 600 if short else 3600
    timeout = seconds * 5 + 120
    rows: list[Result] = []
    with frame_server() as endpoint:
        measured: dict[str, list[dict[str, Side]]] = {}
        for label, streams, flavour in (("3a", 20, "asyncio"), ("3b", 100, "asyncio"), ("3c", 20, "sync")):
            options = ("--flavour", flavour, "--streams", str(streams), "--seconds", str(seconds))
            measured[label] = [run_pair(endpoint, *options, timeout=timeout) for _ in range(rounds)]
            cpu = {client: min(r[client].cpu_ms_per_audio_s for r in measured[label]) for client in ("ours", "peer")}
            ratio = cpu["ours"] / cpu["peer"]
            kind = "asyncio" if flavour == "asyncio" else "threaded"
            rows.append(
                Result(
                    f"{label}. client CPU, {streams} {kind} streams, defaults",
                    f"{cpu['ours']:.2f} ms/audio-s",
                    f"{cpu['peer']:.2f} ms/audio-s (hand-written peer)",
                    ratio,
                    f"<= {CPU_TARGET_RATIO:.1f}x peer",
                    at_most(ratio, CPU_TARGET_RATIO),
                    note=_transcripts_note(measured[label]),
                    details={
                        "streams": streams,
                        "audio_seconds_per_stream": seconds,
                        "rounds": rounds,
                        "ours_cpu_ms_per_audio_s": cpu["ours"],
                        "peer_cpu_ms_per_audio_s": cpu["peer"],
                        "events_per_stream": max(measured[label][0]["ours"].events),
                        "ours_wall_s": measured[label][0]["ours"].wall_s,
                        "peer_wall_s": measured[label][0]["peer"].wall_s,
                    },
                )
            )
        rss = _best(measured["3b"], "rss_per_stream")
        long_options = ("--flavour", "sync", "--seconds", str(long_seconds), "--fast", "--mark-at", str(_LONG_MARK_S))
        long_rounds = [
            run_pair(endpoint, *long_options, timeout=timeout + long_seconds / 10) for _ in range(long_rounds_count)
        ]
        growth = _best(long_rounds, "growth")
    rows.append(
        Result(
            "3d. RSS per open stream, replay buffer incl.",
            f"{rss['ours'] / 1024:.0f} KiB",
            f"{rss['peer'] / 1024:.0f} KiB (hand-written peer)",
            rss["ours"] / rss["peer"] if rss["peer"] > 0 else None,
            f"<= {RSS_TARGET_KIB} KiB",
            at_most(rss["ours"] / 1024, RSS_TARGET_KIB),
            details={"streams": 100, "audio_seconds_per_stream": seconds} | {f"{k}_bytes": v for k, v in rss.items()},
        )
    )
    length = "1 h" if long_seconds == 3600 else f"{long_seconds // 60} min"
    rows.append(
        Result(
            f"3e. one {length} stream: RSS growth, min 5 to end",
            f"{growth['ours'] / 2**20:+.1f} MiB",
            f"{growth['peer'] / 2**20:+.1f} MiB (hand-written peer)",
            None,
            f"<= {GROWTH_TARGET_MIB:g} MiB (1 h)",
            at_most(growth["ours"] / 2**20, GROWTH_TARGET_MIB),
            note=_transcripts_note(long_rounds),
            details={"audio_seconds": long_seconds, "fed": "faster than real time"}
            | {f"{k}_bytes": v for k, v in growth.items()}
            | {"words": max(long_rounds[0]["ours"].words)},
        )
    )
    return rows
