"""Request rate limits, thread-safe: a token bucket that spaces requests, and a request window.

The bucket spaces the moments requests are *released*; the service counts them when they
*arrive*, and a request released on time can arrive late (a busy machine, a slow connection) and
land in the same second as the ones after it. :class:`RequestWindow` closes that gap: it counts a
request from before it is sent until its answer is back, so whatever the delays, no second seen
by the service holds more requests than its limit.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from transcribe_medical._exceptions import ValidationError

__all__ = ["RequestWindow", "TokenBucket"]


class TokenBucket:
    """Allow ``rate`` acquisitions per second on average, with bursts of up to ``burst``.

    Args:
        rate: Tokens added per second (requests per second).
        burst: Bucket capacity; 1 spaces every request evenly.
        clock: Monotonic clock (injectable for tests).
        sleep: Sleep function (injectable for tests).
    """

    def __init__(
        self,
        rate: float,
        *,
        burst: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not (rate > 0 and math.isfinite(rate)):
            raise ValidationError(
                f"rate: {rate!r} is invalid: use a number of requests per second above 0", field="rate"
            )
        if burst < 1:
            raise ValidationError(f"burst: {burst!r} is invalid: use 1 or more", field="burst")
        self.rate = float(rate)
        self.burst = float(burst)
        self._clock = clock
        self._sleep = sleep
        self._tokens = self.burst
        self._updated = clock()
        self._lock = threading.Lock()

    def reserve(self) -> float:
        """Take one token and return how long the caller must wait before using it (seconds)."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.rate)
            self._updated = now
            self._tokens -= 1.0
            if self._tokens >= 0:
                return 0.0
            return -self._tokens / self.rate

    def acquire(self) -> None:
        """Block until a token is available."""
        delay = self.reserve()
        if delay > 0:
            self._sleep(delay)


class RequestWindow:
    """At most ``limit`` requests in any window of ``period`` seconds, as the service counts them.

    A request counts from the moment :meth:`admit` lets it go until its ``with`` block ends
    (after its answer arrived): its arrival at the service lies in that span, whatever the delays.
    A request is let go only while fewer than ``limit`` requests are in flight or ended within the
    last ``period``. Then any window of the service's arrivals holds at most ``limit``: of the
    requests arriving in it, the last one let go found every other already gone out and not yet
    answered a ``period`` before, so it counted them.

    Args:
        limit: Requests per window (1 or more).
        period: The window, in seconds.
        clock: Monotonic clock (injectable for tests).
    """

    def __init__(self, limit: int, *, period: float = 1.0, clock: Callable[[], float] = time.monotonic) -> None:
        if limit < 1:
            raise ValidationError(f"limit: {limit!r} is invalid: use 1 or more", field="limit")
        self.limit = limit
        self.period = period
        self._clock = clock
        self._in_flight = 0
        self._ended: deque[float] = deque()  # answer times within the last period, oldest first
        self._changed = threading.Condition()

    def ready_in(self) -> float:
        """Seconds until a request may go (0.0: now; ``inf``: when a request in flight ends)."""
        with self._changed:
            return self._ready_in(self._clock())

    def _ready_in(self, now: float) -> float:
        while self._ended and self._ended[0] <= now - self.period:
            self._ended.popleft()
        if self._in_flight + len(self._ended) < self.limit:
            return 0.0
        if self._ended:
            return self._ended[0] + self.period - now
        return math.inf

    @contextmanager
    def admit(self) -> Iterator[None]:
        """Block until a request may go; the ``with`` block is its span (send it inside)."""
        with self._changed:
            while (delay := self._ready_in(self._clock())) > 0:
                self._changed.wait(None if math.isinf(delay) else delay)
            self._in_flight += 1
        try:
            yield
        finally:
            with self._changed:
                self._in_flight -= 1
                self._ended.append(self._clock())
                self._changed.notify_all()
