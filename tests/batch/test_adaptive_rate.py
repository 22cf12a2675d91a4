"""The adaptive request rate on its own, in virtual time: an injected clock, a sleep that moves it.

Nothing here sleeps or reads the wall clock: every figure follows from the arithmetic, so the
assertions are exact or within the slack of a discrete simulation, on any machine.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
from botocore.exceptions import ClientError

from transcribe_medical import ValidationError
from transcribe_medical._exceptions import translate_error
from transcribe_medical._limits import START_JOB_TPS_DEFAULT
from transcribe_medical.batch.adaptive_rate import AdaptiveRate
from transcribe_medical.batch.bulk import _retry_hint


class VirtualTime:
    """A clock, and a sleep that moves it (the pacer's only way to wait)."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def _rate(time: VirtualTime, **options: float) -> AdaptiveRate:
    return AdaptiveRate(clock=time.clock, sleep=time.sleep, **options)


def test_starts_at_the_documented_default_quota() -> None:
    assert START_JOB_TPS_DEFAULT == 25.0
    assert AdaptiveRate().rate == 25.0
    assert AdaptiveRate().slow_start


def test_paces_requests_one_interval_apart() -> None:
    time = VirtualTime()
    rate = _rate(time)
    tickets = [rate.acquire() for _ in range(51)]
    assert tickets == list(range(51))
    # The first goes at once; 50 more at 25/s take 2 s, each 40 ms after the one before.
    assert time.now == pytest.approx(2.0)
    assert time.slept == pytest.approx([0.04] * 50)


def test_a_late_caller_is_made_up_for_by_one_early_request_not_a_burst() -> None:
    time = VirtualTime()
    rate = _rate(time)
    rate.acquire()
    time.now = 1.0  # the machine stalled: 24 turns went by unused
    rate.acquire()  # late: goes at once
    rate.acquire()  # one made up for: also at once
    assert time.slept == []
    rate.acquire()  # the rest keep the interval
    assert time.slept == pytest.approx([0.04])


def test_a_throttle_cuts_the_rate_once_per_round() -> None:
    time = VirtualTime()
    rate = _rate(time)
    in_flight = [rate.acquire() for _ in range(4)]
    assert rate.on_throttle(in_flight[0]) is True
    assert rate.rate == pytest.approx(22.5)
    # The others were let go before the cut: their refusals say nothing new.
    assert [rate.on_throttle(ticket) for ticket in in_flight[1:]] == [False, False, False]
    assert rate.rate == pytest.approx(22.5)
    # A request let go after the cut and still refused: the new rate is still too high.
    assert rate.on_throttle(rate.acquire()) is True
    assert rate.rate == pytest.approx(22.5 * 0.9)
    assert (rate.cuts, rate.throttles) == (2, 5)
    assert not rate.slow_start


def _full_use(rate: AdaptiveRate, time: VirtualTime, seconds: float) -> int:
    """Callers always waiting for their turn, every request succeeding, for ``seconds``; return the count."""
    end = time.now + seconds
    sent = 0
    while time.now < end:
        rate.on_success(rate.acquire())
        sent += 1
    return sent


def test_slow_start_doubles_in_about_seven_tenths_of_a_second_of_full_use() -> None:
    time = VirtualTime()
    rate = _rate(time)
    _full_use(rate, time, 0.7)
    # dr/dt = r while every request succeeds: 25 * e^0.7 = 50.3 (the discrete steps lag a little).
    assert 45 <= rate.rate <= 51


def test_after_a_throttle_it_creeps_back_up_additively() -> None:
    time = VirtualTime()
    rate = _rate(time)
    rate.on_throttle(rate.acquire())
    assert rate.rate == pytest.approx(22.5)
    _full_use(rate, time, 0.5)
    # A tenth of the rate at the cut (25) per second of full use: 22.5 + 1.25 per half second...
    assert rate.rate == pytest.approx(23.75, abs=0.2)
    _full_use(rate, time, 0.5)
    assert rate.rate == pytest.approx(25.0, abs=0.3)  # ...linear, not compounding
    assert not rate.slow_start


def test_past_the_rate_last_refused_it_searches_quickly_again() -> None:
    time = VirtualTime()
    rate = _rate(time)
    rate.on_throttle(rate.acquire())  # a lone refusal at 25/s: a burst, say
    _full_use(rate, time, 1.4)  # additively, 22.5 -> 26 (5 % past 25)
    assert not rate.slow_start
    _full_use(rate, time, 0.2)
    assert rate.slow_start  # past 26.25 with no refusal since: slow start again
    _full_use(rate, time, 0.7)
    assert rate.rate >= 45  # doubled, where the additive increase would have reached about 28


def test_no_growth_while_the_rate_is_not_what_holds_callers_back() -> None:
    time = VirtualTime()
    rate = _rate(time)
    for _ in range(20):
        rate.on_success(rate.acquire())
        time.now += 2.0  # the caller is slower than the rate: it never waits for its turn
    assert rate.rate == 25.0


def test_a_retry_hint_pauses_every_request() -> None:
    time = VirtualTime()
    rate = _rate(time)
    rate.on_throttle(rate.acquire(), retry_after=3.0)
    rate.acquire()
    assert time.now == pytest.approx(3.0)
    rate.on_throttle(rate.acquire(), retry_after=1e9)  # an absurd hint is capped at a minute
    rate.acquire()
    assert time.now == pytest.approx(63.0, abs=0.1)


def test_bounds_and_validation() -> None:
    time = VirtualTime()
    capped = _rate(time, maximum=30.0)
    _full_use(capped, time, 5.0)
    assert capped.rate == 30.0
    assert _rate(time, maximum=10.0).rate == 10.0  # a ceiling below the default is where it starts
    floored = _rate(time, initial=1.0, minimum=0.5)
    for _ in range(10):
        floored.on_throttle(floored.acquire())
    assert floored.rate == 0.5
    for bad in (0.0, -1.0, math.nan, math.inf):
        with pytest.raises(ValidationError, match="rate"):
            AdaptiveRate(bad)
    with pytest.raises(ValidationError, match="max_rate"):
        AdaptiveRate(maximum=0.1)
    with pytest.raises(ValidationError, match="decrease"):
        AdaptiveRate(decrease=1.0)
    with pytest.raises(ValidationError, match="increase"):
        AdaptiveRate(increase=0.0)


class ModelQuota:
    """A service's quota as a token bucket (``quota`` per second, ``burst`` at most), in virtual time."""

    def __init__(self, time: VirtualTime, quota: float, burst: float = 5.0) -> None:
        self.time = time
        self.quota = quota
        self.burst = burst
        self.tokens = burst
        self.updated = time.now

    def accept(self) -> bool:
        now = self.time.now
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.quota)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


@pytest.mark.parametrize("quota", [25.0, 50.0, 10.0, 120.0])
def test_it_finds_the_quota_and_stays_near_it(quota: float) -> None:
    time = VirtualTime()
    rate = _rate(time)
    service = ModelQuota(time, quota)
    accepted = throttled = 0
    while time.now < 60.0:
        ticket = rate.acquire()
        if service.accept():
            accepted += 1
            rate.on_success(ticket)
        else:
            throttled += 1
            rate.on_throttle(ticket)
    # From the documented default to the quota, whatever it is: >= 90 % of it over a minute...
    assert accepted / 60.0 >= 0.9 * quota
    # ...with about one refusal a second once settled (the probe that tells the quota has not
    # moved), and a few more while the quota is searched for; each is retried, costing a request
    # but never a job.
    assert throttled <= 75
    assert 0.8 * quota <= rate.rate <= 1.2 * quota


def test_the_retry_hint_is_read_from_the_services_answer() -> None:
    def throttled(headers: dict[str, str]) -> BaseException:
        cause = ClientError(
            {
                "Error": {"Code": "LimitExceededException", "Message": "Rate exceeded"},
                "ResponseMetadata": {
                    "HTTPStatusCode": 400,
                    "HTTPHeaders": headers,
                    "RequestId": "3b8f4a5e-0000-4000-8000-000000000000",
                    "HostId": "",
                    "RetryAttempts": 0,
                },
            },
            "StartMedicalTranscriptionJob",
        )
        error = translate_error(cause)
        error.__cause__ = cause  # as the facade raises it: translated from botocore's
        return error

    assert _retry_hint(throttled({"retry-after": "2"})) == 2.0
    assert _retry_hint(throttled({})) is None
    assert _retry_hint(throttled({"retry-after": "Wed, 21 Oct 2026 07:28:00 GMT"})) is None
    assert _retry_hint(ValueError("no botocore error behind it")) is None


class _AlwaysAnswers:
    """A jobs facade whose client answers every request at once."""

    def __init__(self) -> None:
        self._client = self
        self.calls: list[str] = []

    def _call_once(self, service: str, operation: str, params: dict[str, object]) -> dict[str, object]:
        self.calls.append(operation)
        return {}


def _bulk_run(rate: AdaptiveRate) -> tuple[Any, _AlwaysAnswers]:
    from transcribe_medical._retry import RetryPolicy
    from transcribe_medical.batch.bulk import _Run
    from transcribe_medical.batch.rate_limit import RequestWindow

    jobs = _AlwaysAnswers()
    run = _Run(
        jobs,  # type: ignore[arg-type]
        state=None,  # type: ignore[arg-type]
        limiter=rate,
        window=RequestWindow(25),
        retry=RetryPolicy(),
        progress=None,
        sleep=lambda seconds: None,
    )
    return run, jobs


def test_get_successes_do_not_raise_the_rate_start_successes_do() -> None:
    # The service counts Gets against a quota of their own: were their successes to raise the rate,
    # the Starts sharing it would be pushed far past the Start quota (133 requests in a second at a
    # 25/s quota, 32 of them Starts, before this was fixed).
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    rate = AdaptiveRate(25, clock=lambda: now[0], sleep=sleep)
    run, jobs = _bulk_run(rate)
    for _ in range(200):  # full use: each request waits for its turn
        run._request("get_medical_transcription_job", {"MedicalTranscriptionJobName": "x"})
    assert jobs.calls == ["get_medical_transcription_job"] * 200  # every Get paid a token and went out
    assert rate.rate == 25
    for _ in range(10):
        run._request("start_medical_transcription_job", {})
    assert rate.rate > 25
