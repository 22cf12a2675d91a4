"""The one retry policy (tenacity), used by batch and streaming alike.

Throttling, 5xx and connection errors are retried with exponential backoff and full jitter,
within an attempt count and an elapsed-time budget. Validation errors and other 4xx never are.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    stop_after_delay,
    stop_any,
    wait_random_exponential,
)
from tenacity.stop import stop_base

from transcribe_medical._config import RetryPolicy
from transcribe_medical._exceptions import ConnectionError, ServiceError
from transcribe_medical._logging import get_logger

__all__ = [
    "call_with_retries",
    "call_with_retries_async",
    "is_retryable",
    "retry_after_first",
    "retry_delay",
    "then_raise_first",
]

T = TypeVar("T")

_log = get_logger("retry")


def is_retryable(error: BaseException) -> bool:
    """Whether ``error`` may succeed when the same call is made again."""
    if isinstance(error, ServiceError):
        return error.retryable
    return isinstance(error, ConnectionError)


def retry_delay(policy: RetryPolicy, attempt_number: int) -> float:
    """The wait before retry number ``attempt_number`` (1-based), from the policy's tenacity wait.

    For loops that cannot hand a whole call to :func:`call_with_retries` (a reconnecting stream
    fails while it is being read, not while it is being opened) but must back off the same way.
    """
    wait = wait_random_exponential(multiplier=policy.initial_backoff, max=policy.max_backoff)
    state = RetryCallState(retry_object=Retrying(), fn=None, args=(), kwargs={})
    state.attempt_number = max(1, attempt_number)
    return float(wait(state))


def retry_after_first(policy: RetryPolicy, error: BaseException, started: float) -> RetryPolicy | None:
    """The policy for the rest of a run whose first attempt, made directly, failed with ``error``.

    A call on every stream's path (opening it) makes its first attempt without the retry loop
    (tenacity: ~30 us and ~40 objects in reference cycles per call): it nearly always succeeds.
    Only a retryable failure enters the loop, with that failure as the loop's first attempt (see
    :func:`then_raise_first`), under what this returns: the same attempts, and what is left of
    the elapsed-time budget, so the attempts, the backoff and the logs are as if the loop had run
    from the start.

    Args:
        policy: The caller's policy.
        error: Why the first attempt failed.
        started: ``time.monotonic()`` when the first attempt started.

    Returns:
        The policy to retry under, or ``None`` when ``error`` must be raised as it is (not
        retryable, no retry allowed, or the elapsed-time budget already spent).
    """
    if policy.max_attempts <= 1 or not is_retryable(error):
        return None
    if policy.max_elapsed is not None:
        left = policy.max_elapsed - (time.monotonic() - started)
        if left <= 0:
            return None
        policy = dataclasses.replace(policy, max_elapsed=left)
    return policy


def then_raise_first(failure: BaseException, func: Callable[[], T]) -> Callable[[], T]:
    """``func``, whose first call raises ``failure`` instead: the retry loop's first attempt, already made."""
    made = [failure]

    def attempt() -> T:
        if made:
            raise made.pop()
        return func()

    return attempt


def _stop(policy: RetryPolicy) -> stop_base:
    stop: stop_base = stop_after_attempt(policy.max_attempts)
    if policy.max_elapsed is not None:
        stop = stop_any(stop, stop_after_delay(policy.max_elapsed))
    return stop


def _before_sleep(operation: str) -> Callable[[RetryCallState], None]:
    def log(state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        code = getattr(error, "code", type(error).__name__)
        wait = state.next_action.sleep if state.next_action else 0.0
        _log.info("retrying %s after %s (attempt %d, waiting %.2f s)", operation, code, state.attempt_number, wait)

    return log


def _kwargs(policy: RetryPolicy, operation: str) -> dict[str, object]:
    return {
        "stop": _stop(policy),
        "wait": wait_random_exponential(multiplier=policy.initial_backoff, max=policy.max_backoff),
        "retry": retry_if_exception(is_retryable),
        "reraise": True,
        "before_sleep": _before_sleep(operation),
    }


def call_with_retries(
    policy: RetryPolicy,
    operation: str,
    func: Callable[[], T],
    *,
    sleep: Callable[[float], None] | None = None,
) -> T:
    """Call ``func`` under ``policy``; the last error is re-raised when the budget is spent."""
    retrying = Retrying(**_kwargs(policy, operation))  # type: ignore[arg-type]
    if sleep is not None:
        retrying.sleep = sleep
    return retrying(func)


async def call_with_retries_async(
    policy: RetryPolicy,
    operation: str,
    func: Callable[[], Awaitable[T]],
    *,
    sleep: Callable[[float], Awaitable[None]] | None = None,
) -> T:
    """The asyncio twin of :func:`call_with_retries`."""
    kwargs = _kwargs(policy, operation)
    if sleep is not None:
        kwargs["sleep"] = sleep
    retrying = AsyncRetrying(**kwargs)  # type: ignore[arg-type]
    async for attempt in retrying:
        with attempt:
            result = await func()
        if attempt.retry_state.outcome is not None and not attempt.retry_state.outcome.failed:
            return result
    raise AssertionError("unreachable: tenacity re-raises the last error")  # pragma: no cover
