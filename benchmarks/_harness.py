"""The measuring rules every benchmark shares: interleaved best-of-N rounds, ratios, the table.

The machines that run these benchmarks are shared and noisy, so no figure is trusted on its
own. Each benchmark times our code and its baseline *in the same process run*, alternating
between them round after round (``A B``, then ``B A``, ...) so a burst of background load hits
both, and keeps the best (smallest) time of each: noise only ever adds time, so the minimum is
the closest estimate of the real cost. What the table reports is the ratio of the two.
"""

from __future__ import annotations

import gc
import json
import math
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field

__all__ = [
    "Result",
    "Workload",
    "at_least",
    "at_most",
    "best_of_interleaved",
    "format_table",
    "percentile",
    "results_to_json",
    "speedup",
]

#: A unit of work to time: called once per round, its return value ignored.
Workload = Callable[[], object]


@dataclass(frozen=True)
class Result:
    """One row of the benchmark table.

    Attributes:
        benchmark: What was measured, e.g. ``"decode throughput (4 KiB pieces)"``.
        ours: Our figure, formatted with its unit.
        baseline: The baseline's figure (same unit), or ``"-"`` when the target is absolute.
        ratio: Ours relative to the baseline, in the direction the row names (a speed-up for
            throughput, ours / baseline for costs and times); ``None`` when there is no baseline
            or the benchmark could not run. When the target is absolute (ms, MiB, %) it is
            judged on our figure and the ratio is context.
        target: The target in words, e.g. ``">= 1.5x"``.
        met: Whether the target was met; ``None`` when it could not be measured (pending, error).
        note: Anything a reader needs to interpret the row (what was pending, what failed).
    """

    benchmark: str
    ours: str
    baseline: str
    ratio: float | None
    target: str
    met: bool | None
    note: str = ""
    details: dict[str, float | int | str] = field(default_factory=dict)

    @classmethod
    def pending(cls, benchmark: str, target: str, note: str) -> Result:
        """A row for a benchmark whose subject does not exist (yet) or could not run."""
        return cls(benchmark, "-", "-", None, target, None, note)


def best_of_interleaved(
    workloads: Mapping[str, Workload],
    rounds: int,
    *,
    clock: Callable[[], float] = time.perf_counter,
    collect_garbage: bool = True,
) -> dict[str, float]:
    """Time each workload ``rounds`` times, interleaved, and return each one's best time.

    Round ``r`` runs the workloads in their mapping order when ``r`` is even and in reverse order
    when it is odd, so neither side always runs first (warm caches, CPU frequency ramps). The
    garbage collector is run before, and disabled during, each timed call, as :mod:`timeit` does,
    so one side does not pay for the other's garbage.

    Args:
        workloads: Names mapped to zero-argument callables doing one unit of work each.
        rounds: How many times to run each workload (at least 1).
        clock: The clock to read before and after each call (seconds).
        collect_garbage: Whether to collect before and disable the collector during each call.

    Returns:
        Each name mapped to the smallest time one call took, in the clock's unit.

    Raises:
        ValueError: If ``rounds`` is below 1 or there is nothing to time.
    """
    if rounds < 1:
        raise ValueError(f"rounds must be at least 1, got {rounds}")
    if not workloads:
        raise ValueError("no workloads to time")
    names = list(workloads)
    best = dict.fromkeys(names, math.inf)
    for round_index in range(rounds):
        for name in names if round_index % 2 == 0 else reversed(names):
            work = workloads[name]
            if collect_garbage:
                gc.collect()
                gc.disable()
            try:
                start = clock()
                work()
                elapsed = clock() - start
            finally:
                if collect_garbage:
                    gc.enable()
            best[name] = min(best[name], elapsed)
    return best


def speedup(our_time: float, baseline_time: float) -> float:
    """How many times faster we are than the baseline on the same work (``baseline / ours``).

    Raises:
        ValueError: If a time is not positive (a clock too coarse for the workload).
    """
    if our_time <= 0 or baseline_time <= 0:
        raise ValueError(f"times must be positive, got ours={our_time} baseline={baseline_time}")
    return baseline_time / our_time


def percentile(samples: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile: the smallest sample with at least ``fraction`` of them at or below it.

    Args:
        samples: The measurements, in any order.
        fraction: Between 0 (exclusive) and 1 (inclusive), e.g. ``0.99`` for p99.

    Raises:
        ValueError: If there are no samples or ``fraction`` is out of range.
    """
    if not samples:
        raise ValueError("no samples")
    if not 0 < fraction <= 1:
        raise ValueError(f"fraction must be in (0, 1], got {fraction}")
    ordered = sorted(samples)
    rank = math.ceil(fraction * len(ordered))
    return ordered[rank - 1]


def at_least(value: float, limit: float) -> bool:
    """Whether ``value`` meets a ``>= limit`` target."""
    return value >= limit


def at_most(value: float, limit: float) -> bool:
    """Whether ``value`` meets a ``<= limit`` target."""
    return value <= limit


_COLUMNS = ("benchmark", "ours", "baseline", "ratio", "target", "met?")


def _met_text(met: bool | None) -> str:
    return {True: "yes", False: "NO", None: "n/a"}[met]


def format_table(results: Iterable[Result]) -> str:
    """Render the results as a Markdown table (readable in a terminal and pasteable in the docs)."""
    rows = [
        (
            r.benchmark,
            r.ours,
            r.baseline,
            "-" if r.ratio is None else f"{r.ratio:.2f}",
            r.target,
            _met_text(r.met),
        )
        for r in results
    ]
    widths = [
        max(len(column), *(len(row[i]) for row in rows)) if rows else len(column) for i, column in enumerate(_COLUMNS)
    ]
    lines = [
        "| " + " | ".join(c.ljust(w) for c, w in zip(_COLUMNS, widths, strict=True)) + " |",
        "|" + "|".join("-" * (w + 2) for w in widths) + "|",
    ]
    lines += ["| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |" for row in rows]
    return "\n".join(lines)


def results_to_json(results: Iterable[Result]) -> str:
    """The results as a JSON array of objects, one per row, with their raw details."""
    return json.dumps([asdict(r) for r in results], indent=2)
