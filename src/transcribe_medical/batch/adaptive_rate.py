"""A request rate that finds the account's quota by itself: AIMD, as TCP and botocore's adaptive mode.

Amazon Transcribe tells a client it is above its quota by refusing requests (``LimitExceededException``,
``ThrottlingException``); it never says what the quota is, and an account's quota may have been
raised. :class:`AdaptiveRate` paces requests at a rate that follows that feedback:

* it starts at the documented default quota (:data:`~transcribe_medical._limits.START_JOB_TPS_DEFAULT`);
* until the first refusal it doubles in about 0.7 s of full use (*slow start*: an account whose
  quota was raised is found in a second or two, not minutes);
* on a refusal it is cut to ``decrease`` times itself (multiplicative decrease), at most once per
  round: refusals of requests let go before the last cut say nothing new, so they do not cut again;
  a retry hint from the service (``Retry-After``) also pauses every request for that long;
* while requests succeed it creeps back up by ``increase`` (a tenth of the rate at the last cut) per
  second of full use (additive increase); once 5 % past the rate last refused with no refusal
  since, that refusal was a burst or the quota has been raised, and slow start resumes.

Growth needs full use: the rate rises only while callers actually wait for their turn, so a run held
back by something else (its concurrency, a slow network) does not inflate a rate it is not using.
Once settled, the rate saws between 90 % and a little above the quota, which costs about one refused
request a second: the probe that notices a quota raised, or freed by another caller.

Requests are paced one interval apart, with no catching up in a burst after a caller woke late: a
service's quota is a token bucket too, and it refuses bursts even when the average is below it,
which this controller would read as a lower quota.

The cut is gentle (0.9, where botocore's adaptive mode uses 0.7) because a refusal here is a quota
signal, not congestion: a refused request costs the quota nothing and is retried, while each second
spent below the quota is throughput lost for good. Repeated refusals still compound (0.9, 0.81, ...),
and several clients sharing one quota still converge, as AIMD does.

Everything here is pure arithmetic over an injectable clock; nothing sleeps but :meth:`AdaptiveRate.acquire`.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

from transcribe_medical._exceptions import ValidationError
from transcribe_medical._limits import START_JOB_TPS_DEFAULT

__all__ = ["AdaptiveRate"]

#: Slow start: per success while the rate is the bottleneck, the rate grows by this many requests
#: per second; successes come at the rate, so it doubles in about 0.7 s of full use (TCP's slow
#: start doubles per round trip).
_SLOW_START_GAIN = 1.0
#: Back to slow start once the rate passes the rate last refused by this factor without a refusal.
_RESTART_ABOVE = 1.05
#: The longest retry hint honoured, in seconds (a hint beyond it is taken as this).
_MAX_PAUSE_S = 60.0


def _positive(name: str, value: float) -> float:
    if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
        raise ValidationError(f"{name}: {value!r} is invalid: use a number of requests per second above 0", field=name)
    return float(value)


class AdaptiveRate:
    """A thread-safe request pacer whose rate adapts to the service's throttling (AIMD).

    Each :meth:`acquire` returns a *ticket*: the number of its request, in the order they were let go.
    Report the outcome of the request with :meth:`on_success` or :meth:`on_throttle` and that ticket.

    Args:
        initial: The first rate, requests per second (default: the documented default quota).
        minimum: The rate is never cut below this.
        maximum: The rate never grows above this (``None``: no ceiling but the service's).
        decrease: Factor applied on throttling (0 < decrease < 1).
        increase: Additive increase, as a fraction of the rate at the last cut gained per second of
            full use (0 < increase <= 1).
        clock: Monotonic clock (injectable for tests).
        sleep: Sleep function (injectable for tests).

    Example:
        >>> now = [0.0]
        >>> rate = AdaptiveRate(25, clock=lambda: now[0], sleep=lambda s: None)
        >>> ticket = rate.acquire()
        >>> rate.on_throttle(ticket)
        True
        >>> rate.rate
        22.5
    """

    def __init__(
        self,
        initial: float = START_JOB_TPS_DEFAULT,
        *,
        minimum: float = 0.5,
        maximum: float | None = None,
        decrease: float = 0.9,
        increase: float = 0.1,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        initial = _positive("rate", initial)
        self.minimum = _positive("minimum", minimum)
        self.maximum = math.inf if maximum is None else _positive("max_rate", maximum)
        if self.maximum < self.minimum:
            raise ValidationError(
                f"max_rate: {maximum!r} is invalid: use at least the minimum rate ({self.minimum:g})", field="max_rate"
            )
        if not 0 < decrease < 1:
            raise ValidationError(f"decrease: {decrease!r} is invalid: use a factor between 0 and 1", field="decrease")
        if not 0 < increase <= 1:
            raise ValidationError(
                f"increase: {increase!r} is invalid: use a fraction above 0, at most 1", field="increase"
            )
        self.decrease = float(decrease)
        self.increase = float(increase)
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._rate = min(max(initial, self.minimum), self.maximum)
        self._next_send = clock()  # the earliest moment the next request may go
        self._slow_start = True
        self._ceiling = self._rate  # the rate when last cut: the additive step is a fraction of it
        self._issued = 0  # requests let go so far: the next ticket
        self._last_cut = 0  # the first ticket let go after the last cut: older ones belong to an answered round
        self._paused_until = -math.inf
        self._waited_at = -math.inf  # when a caller last had to wait for its turn
        self.cuts = 0
        self.throttles = 0

    @property
    def rate(self) -> float:
        """The current rate, requests per second."""
        with self._lock:
            return self._rate

    @property
    def slow_start(self) -> bool:
        """True until the first throttling."""
        with self._lock:
            return self._slow_start

    def acquire(self) -> int:
        """Block until a request may go; return its ticket (for :meth:`on_success`/:meth:`on_throttle`).

        Requests go ``1 / rate`` apart on a schedule. A caller that wakes late (a busy machine) is
        made up for by at most one request sent early: a longer lag is dropped from the schedule,
        not caught up in a burst, since a burst is what a service's quota refuses even when the
        average is below it.
        """
        waited = False
        while True:
            with self._lock:
                now = self._clock()
                start = max(self._next_send, self._paused_until)
                if now >= start:
                    interval = 1.0 / self._rate
                    self._next_send = max(self._next_send, now - interval) + interval
                    if waited:
                        self._waited_at = now
                    ticket = self._issued
                    self._issued += 1
                    return ticket
                wait = start - now
            waited = True
            self._sleep(wait)

    def on_success(self, ticket: int) -> None:
        """The request of ``ticket`` succeeded: grow, if the rate is what holds callers back."""
        with self._lock:
            now = self._clock()
            # Full use: a caller waited for its turn within the last second (or two turns' time).
            if now - self._waited_at > max(1.0, 2.0 / self._rate):
                return
            # Successes come at about the rate: slow start adds the rate itself per second, the
            # additive increase a fraction of the rate at the last cut.
            step = _SLOW_START_GAIN if self._slow_start else self.increase * self._ceiling / self._rate
            self._set_rate(self._rate + step)
            if self._rate >= self._ceiling * _RESTART_ABOVE:
                # Well past the rate last refused, and nothing refused since: that refusal was a
                # burst or a quota since raised. Search upwards quickly again, as at the start.
                self._slow_start = True

    def on_throttle(self, ticket: int, retry_after: float | None = None) -> bool:
        """The request of ``ticket`` was throttled: cut the rate once per round; honour a retry hint.

        Args:
            ticket: What :meth:`acquire` returned for the refused request.
            retry_after: The service's retry hint in seconds, if it sent one: no request goes
                before it has passed.

        Returns:
            Whether the rate was cut (False for a refusal of a request let go before the last cut).
        """
        with self._lock:
            now = self._clock()
            self.throttles += 1
            if retry_after is not None and retry_after > 0:
                self._paused_until = max(self._paused_until, now + min(retry_after, _MAX_PAUSE_S))
            if ticket < self._last_cut:
                return False
            self._slow_start = False
            self._ceiling = self._rate
            self._last_cut = self._issued
            self.cuts += 1
            self._set_rate(self._rate * self.decrease)
            return True

    def _set_rate(self, rate: float) -> None:
        self._rate = min(max(rate, self.minimum), self.maximum)
