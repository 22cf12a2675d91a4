"""Run the transcribe-medical benchmarks and print each ratio against its baseline and target.

Usage::

    python benchmarks/run.py            # the full run (a few minutes)
    python benchmarks/run.py --short    # every benchmark, briefly (CI: must work, timings not asserted)
    python benchmarks/run.py --json     # the rows as JSON, with raw figures, instead of the table
    python benchmarks/run.py --only codec startup

Every figure is measured against its baseline in the same run, best of several interleaved
rounds (see ``_harness.py``), because absolute times on shared machines mean little. The exit
status is 0 unless a benchmark crashed: a missed target is a finding, not a failure. See
docs/performance.md for what each benchmark does and the latest results.
"""

from __future__ import annotations

import argparse
import importlib
import platform
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import Result, format_table, results_to_json

#: Benchmark groups, in table order: the name used by ``--only`` and the module that runs them.
GROUPS: dict[str, tuple[str, str]] = {
    "codec": ("bench_codec", "1-2. event-stream codec"),
    "streams": ("bench_streams", "3. streaming at the defaults vs a hand-written peer"),
    "latency": ("bench_latency", "4. latency added per event"),
    "bulk": ("bench_bulk", "5. bulk submissions at default options"),
    "startup": ("bench_startup", "6. start-up"),
    "scribe": ("bench_scribe_stream", "7. HealthScribe streaming (HTTP/2) vs the medical WebSocket stream"),
}


def run_group(name: str, short: bool) -> tuple[list[Result], bool]:
    """Run one group; return its rows and whether it crashed (a crash becomes an ``error`` row)."""
    module_name, title = GROUPS[name]
    try:
        module = importlib.import_module(module_name)
        return module.run(short=short), False
    except Exception as error:  # report it in the table and keep going with the others
        traceback.print_exc(file=sys.stderr)
        return [Result.pending(title, "-", f"error: {type(error).__name__}: {error}")], True


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments, run the chosen benchmarks, print the table; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--short", action="store_true", help="run every benchmark briefly (for CI)")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON instead of a table")
    parser.add_argument("--only", nargs="+", choices=list(GROUPS), metavar="GROUP", help=f"one of {list(GROUPS)}")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    results: list[Result] = []
    crashed = False
    for name in args.only or GROUPS:
        print(f"running {name} ...", file=sys.stderr, flush=True)
        rows, failed = run_group(name, args.short)
        results += rows
        crashed |= failed
    elapsed = time.perf_counter() - started

    if args.json:
        print(results_to_json(results))
    else:
        print(format_table(results))
        for row in results:
            if row.note:
                print(f"- {row.benchmark}: {row.note}")
        mode = "short" if args.short else "full"
        print(
            f"\n{mode} run in {elapsed:.0f} s on Python {platform.python_version()} "
            f"({platform.machine()}, {platform.system()})"
        )
    return 1 if crashed else 0


if __name__ == "__main__":
    sys.exit(main())
