"""The rich progress bar of a bulk run (``submit_many(..., progress=True)``), on stderr."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

__all__ = ["progress_bar"]


@contextmanager
def progress_bar(total: int, *, wait: bool) -> Iterator[tuple[Progress, Callable[[str, str], None]]]:
    """Yield ``(bar, callback)``: the callback advances "submitting", then "finishing" with ``wait``.

    Each job reports exactly once while submitting; waiting starts only after every job has, so a
    count tells the phases apart.
    """
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
    ) as bar:
        submitting = bar.add_task("submitting", total=total)
        finishing = bar.add_task("finishing", total=total, visible=wait)
        lock = threading.Lock()
        seen = 0

        def advance(_outcome: str, _name: str) -> None:
            nonlocal seen
            with lock:
                if seen < total:
                    seen += 1
                    bar.advance(submitting)
                else:
                    bar.advance(finishing)

        yield bar, advance
