"""The polling schedule of ``wait``: a growing interval under a deadline.

Transcribe has waiters, but they sleep a fixed 10 s; polling ourselves lets callers choose the
interval, report progress, and hit a deadline exactly.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from transcribe_medical._exceptions import ValidationError

__all__ = ["DEFAULT_MAX_POLL_INTERVAL", "DEFAULT_POLL_INTERVAL", "DEFAULT_TIMEOUT", "PollSchedule"]

#: Defaults: start at 5 s, grow by half each poll up to 30 s, give up after 30 minutes
#: (the length of the AWS waiter: 180 x 10 s).
DEFAULT_POLL_INTERVAL = 5.0
DEFAULT_MAX_POLL_INTERVAL = 30.0
DEFAULT_TIMEOUT = 1800.0
_GROWTH = 1.5


@dataclass
class PollSchedule:
    """When to poll next and when to stop.

    Attributes:
        timeout: Seconds from the first poll until :meth:`next_delay` returns None.
        poll_interval: The first wait between polls.
        max_poll_interval: The longest wait between polls.
    """

    timeout: float
    poll_interval: float
    max_poll_interval: float = DEFAULT_MAX_POLL_INTERVAL
    clock: Callable[[], float] = time.monotonic
    _deadline: float = field(init=False)
    _interval: float = field(init=False)

    def __post_init__(self) -> None:
        # "not >=" also refuses NaN, which would never reach the deadline (or reach time.sleep).
        if not self.timeout >= 0:
            raise ValidationError(f"timeout: {self.timeout!r} is invalid: use 0 or more seconds", field="timeout")
        if not 0 <= self.poll_interval < math.inf:
            raise ValidationError(
                f"poll_interval: {self.poll_interval!r} is invalid: use a finite number of seconds, 0 or more",
                field="poll_interval",
            )
        self._deadline = self.clock() + self.timeout
        self._interval = self.poll_interval
        self.max_poll_interval = max(self.max_poll_interval, self.poll_interval)

    def next_delay(self) -> float | None:
        """Seconds to wait before the next poll, or None when the deadline has passed."""
        remaining = self._deadline - self.clock()
        if remaining <= 0:
            return None
        delay = min(self._interval, remaining)
        self._interval = min(self._interval * _GROWTH, self.max_poll_interval)
        return delay
