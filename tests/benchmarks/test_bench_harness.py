"""The benchmark harness's arithmetic, and that ``benchmarks/run.py --short`` still runs.

Benchmarks are not tests (their timings are never asserted); what is tested here is the math that
turns timings into the table: interleaved best-of-N rounds, speed-up ratios, percentiles, the
target checks, and the table itself.
"""

from __future__ import annotations

import importlib.util
import itertools
import json
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


harness = _load("_harness")


class FakeClock:
    """A clock whose every call-to-call span is the next of the given durations."""

    def __init__(self, durations: list[float]) -> None:
        self._durations = iter(durations)
        self._now = 0.0
        self._started = False

    def __call__(self) -> float:
        if self._started:
            self._now += next(self._durations)
        self._started = not self._started
        return self._now


def test_rounds_alternate_order_and_keep_each_best() -> None:
    calls: list[str] = []
    workloads = {"a": lambda: calls.append("a"), "b": lambda: calls.append("b")}
    # Durations in call order: a b | b a | a b
    clock = FakeClock([5.0, 9.0, 8.0, 3.0, 4.0, 7.0])
    best = harness.best_of_interleaved(workloads, rounds=3, clock=clock, collect_garbage=False)
    assert calls == ["a", "b", "b", "a", "a", "b"]
    assert best == {"a": 3.0, "b": 7.0}


def test_one_round_runs_each_once() -> None:
    counter = itertools.count()
    best = harness.best_of_interleaved(
        {"x": lambda: next(counter)}, rounds=1, clock=FakeClock([2.5]), collect_garbage=False
    )
    assert best == {"x": 2.5}
    assert next(counter) == 1


def test_garbage_collector_is_restored_even_when_a_workload_fails() -> None:
    import gc

    def boom() -> None:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        harness.best_of_interleaved({"boom": boom}, rounds=1)
    assert gc.isenabled()


@pytest.mark.parametrize("rounds", [0, -1])
def test_rounds_must_be_positive(rounds: int) -> None:
    with pytest.raises(ValueError, match="rounds"):
        harness.best_of_interleaved({"a": lambda: None}, rounds=rounds)


def test_nothing_to_time_is_an_error() -> None:
    with pytest.raises(ValueError, match="no workloads"):
        harness.best_of_interleaved({}, rounds=3)


def test_speedup_is_baseline_over_ours() -> None:
    assert harness.speedup(our_time=2.0, baseline_time=5.0) == 2.5
    assert harness.speedup(our_time=4.0, baseline_time=2.0) == 0.5
    with pytest.raises(ValueError, match="positive"):
        harness.speedup(0.0, 1.0)


def test_percentile_is_nearest_rank() -> None:
    samples = [float(n) for n in range(100, 0, -1)]  # 1..100, unordered
    assert harness.percentile(samples, 0.50) == 50.0
    assert harness.percentile(samples, 0.99) == 99.0
    assert harness.percentile(samples, 1.0) == 100.0
    assert harness.percentile([7.0], 0.5) == 7.0
    assert harness.percentile([1.0, 2.0, 3.0], 0.5) == 2.0
    with pytest.raises(ValueError, match="no samples"):
        harness.percentile([], 0.5)
    with pytest.raises(ValueError, match="fraction"):
        harness.percentile([1.0], 0.0)


def test_target_checks_include_the_limit() -> None:
    assert harness.at_least(1.5, 1.5) and not harness.at_least(1.49, 1.5)
    assert harness.at_most(3.0, 3.0) and not harness.at_most(3.01, 3.0)


def test_table_has_every_column_and_marks_met_missed_and_pending() -> None:
    rows = [
        harness.Result("decode", "500 MiB/s", "150 MiB/s", 3.333, ">= 1.5x", True),
        harness.Result("encode", "4 us", "3 us", 0.75, ">= 2x", False),
        harness.Result.pending("bulk", ">= 90%", "pending: not written yet"),
    ]
    lines = harness.format_table(rows).splitlines()
    assert [cell.strip() for cell in lines[0].strip("|").split("|")] == [
        "benchmark", "ours", "baseline", "ratio", "target", "met?",
    ]  # fmt: skip
    cells = [[cell.strip() for cell in line.strip("|").split("|")] for line in lines[2:]]
    assert cells[0] == ["decode", "500 MiB/s", "150 MiB/s", "3.33", ">= 1.5x", "yes"]
    assert cells[1][3:] == ["0.75", ">= 2x", "NO"]
    assert cells[2][3:] == ["-", ">= 90%", "n/a"]
    assert len({len(line) for line in lines}) == 1  # columns line up


def test_json_output_round_trips() -> None:
    rows = [harness.Result("decode", "1", "2", 0.5, ">= 1.5x", False, details={"frames": 3})]
    [decoded] = json.loads(harness.results_to_json(rows))
    assert decoded["ratio"] == 0.5 and decoded["met"] is False and decoded["details"] == {"frames": 3}


def test_run_short_exits_zero() -> None:
    """``run.py --short`` (CI's command) works; the slow groups are skipped here to stay quick."""
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    completed = subprocess.run(
        [sys.executable, str(BENCHMARKS / "run.py"), "--short", "--only", "codec", "startup"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert "1. decode" in completed.stdout
    assert "6b. start-up" in completed.stdout
