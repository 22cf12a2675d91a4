"""Benchmark 6: start-up time of the import users write and of the CLI's help, against ``import boto3``.

Each is a fresh interpreter (a subprocess), timed wall-clock from spawn to exit, against a fresh
interpreter running ``import boto3`` — what any boto3-based tool pays before doing anything:

* 6a: ``from transcribe_medical import TranscribeMedical, StreamConfig``, the import a user writes
  to stream (the names resolve, so lazily exported modules load);
* 6b: ``transcribe-medical stream --help``, the command users run first;
* 6c: ``transcribe-medical --help``.

Runs are interleaved and the best of each is kept. ``transcribe-medical`` is the console script
installed next to this interpreter; when there is none (running from a source tree), or when
``PYTHONPATH`` points at another source tree, its entry point is called through ``python -c``,
which is exactly what the generated script does. ``import transcribe_medical`` alone is timed too
and reported in the details.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from _harness import Result, at_most, best_of_interleaved

__all__ = ["run"]

TARGET = 1.0

_SCRIPT = Path(sys.executable).with_name("transcribe-medical")


def _cli(*arguments: str) -> list[str]:
    if _SCRIPT.exists() and not os.environ.get("PYTHONPATH"):
        return [str(_SCRIPT), *arguments]
    argv = ["transcribe-medical", *arguments]
    return [sys.executable, "-c", f"import sys; sys.argv = {argv!r}; from transcribe_medical.cli import run; run()"]


_COMMANDS: dict[str, list[str]] = {
    "boto3": [sys.executable, "-c", "import boto3"],
    "import": [sys.executable, "-c", "from transcribe_medical import TranscribeMedical, StreamConfig"],
    "stream_help": _cli("stream", "--help"),
    "help": _cli("--help"),
    "bare_import": [sys.executable, "-c", "import transcribe_medical"],
}
_ROWS = (
    ("import", "6a. start-up: import TranscribeMedical, StreamConfig"),
    ("stream_help", "6b. start-up: transcribe-medical stream --help"),
    ("help", "6c. start-up: transcribe-medical --help"),
)


def _spawner(command: list[str]) -> Callable[[], None]:
    def spawn() -> None:
        completed = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
        if completed.returncode != 0:
            raise RuntimeError(
                f"{' '.join(command)!r} exited {completed.returncode}: {completed.stderr.decode()[-500:]}"
            )

    return spawn


def run(short: bool = False) -> list[Result]:
    """Time the start-ups, interleaved, and return their ratios against ``import boto3``."""
    for command in _COMMANDS.values():  # warm the OS page cache and the .pyc files first
        _spawner(command)()
    best = best_of_interleaved(
        {name: _spawner(command) for name, command in _COMMANDS.items()},
        rounds=3 if short else 15,
        clock=time.perf_counter,
        collect_garbage=False,
    )
    results = []
    for name, label in _ROWS:
        ratio = best[name] / best["boto3"]
        results.append(
            Result(
                label,
                f"{best[name] * 1000:.0f} ms",
                f"{best['boto3'] * 1000:.0f} ms (import boto3)",
                ratio,
                f"<= {TARGET}x",
                at_most(ratio, TARGET),
                details={f"{key}_s": value for key, value in best.items()},
            )
        )
    return results
