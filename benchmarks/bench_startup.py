"""Benchmark 6: start-up time of ``import transcribe_medical`` and ``transcribe-medical --help``.

Each is a fresh interpreter (a subprocess), timed wall-clock from spawn to exit, against a fresh
interpreter running ``import boto3`` — the floor any boto3-based tool pays. Runs are interleaved
and the best of each is kept. ``transcribe-medical --help`` is the console script installed next
to this interpreter; when there is none (running from a source tree), its entry point is called
through ``python -c``, which is exactly what the generated script does.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from _harness import Result, at_most, best_of_interleaved

__all__ = ["run"]

TARGET = 1.2

_SCRIPT = Path(sys.executable).with_name("transcribe-medical")
_COMMANDS: dict[str, list[str]] = {
    "boto3": [sys.executable, "-c", "import boto3"],
    "import": [sys.executable, "-c", "import transcribe_medical"],
    "help": (
        [str(_SCRIPT), "--help"]
        if _SCRIPT.exists()
        else [
            sys.executable,
            "-c",
            "import sys; sys.argv = ['transcribe-medical', '--help']; from transcribe_medical.cli import run; run()",
        ]
    ),
}


def _spawner(command: list[str]) -> Callable[[], None]:
    def spawn() -> None:
        completed = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
        if completed.returncode != 0:
            raise RuntimeError(
                f"{' '.join(command)!r} exited {completed.returncode}: {completed.stderr.decode()[-500:]}"
            )

    return spawn


def run(short: bool = False) -> list[Result]:
    """Time the three start-ups, interleaved, and return the two ratios against ``import boto3``."""
    for command in _COMMANDS.values():  # warm the OS page cache and the .pyc files first
        _spawner(command)()
    best = best_of_interleaved(
        {name: _spawner(command) for name, command in _COMMANDS.items()},
        rounds=3 if short else 15,
        clock=time.perf_counter,
        collect_garbage=False,
    )
    results = []
    for name, label in (("import", "6a. start-up: import transcribe_medical"), ("help", "6b. start-up: --help")):
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
