"""A thread-safe token bucket that spaces requests to a steady rate."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from transcribe_medical._exceptions import ValidationError

__all__ = ["TokenBucket"]


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
        if not rate > 0:
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
