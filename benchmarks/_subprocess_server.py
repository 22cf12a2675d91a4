"""A benchmark's server in a subprocess of its own, so its CPU is not counted as the client's.

The server prints ``ENDPOINT <url>`` on its first line once it listens, and stops when its
standard input closes.
"""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterator, Sequence

__all__ = ["server_process"]


@contextlib.contextmanager
def server_process(argv: Sequence[str], what: str) -> Iterator[str]:
    """Run ``argv``; yield the endpoint it prints; close its stdin and wait for it afterwards.

    Args:
        argv: The server's command line.
        what: What it is, for the error when it does not start (``"the frame server"``).
    """
    with subprocess.Popen(list(argv), stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) as process:
        try:
            assert process.stdout is not None
            line = process.stdout.readline()
            if not line.startswith("ENDPOINT "):
                raise RuntimeError(f"{what} did not start (said {line!r})")
            yield line.split()[1]
        finally:
            assert process.stdin is not None
            process.stdin.close()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
