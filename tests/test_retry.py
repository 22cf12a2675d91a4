"""The one retry policy: throttling, 5xx and connection errors are retried; 4xx never."""

from __future__ import annotations

import asyncio

import pytest
from botocore.stub import Stubber

from transcribe_medical import (
    BadRequestError,
    ConflictError,
    ConnectionError,
    InternalFailureError,
    LimitExceededError,
    NotFoundError,
    RetryPolicy,
    ServiceError,
    TranscribeMedical,
    ValidationError,
)
from transcribe_medical._config import ClientConfig
from transcribe_medical._retry import call_with_retries, call_with_retries_async, is_retryable

GET = "get_medical_transcription_job"
PARAMS = {"MedicalTranscriptionJobName": "visit-1"}
OK = {"MedicalTranscriptionJob": {"MedicalTranscriptionJobName": "visit-1", "TranscriptionJobStatus": "QUEUED"}}


@pytest.fixture
def facade() -> TranscribeMedical:
    return TranscribeMedical(config=ClientConfig(region_name="us-east-1"))


def _call(facade: TranscribeMedical, sleeps: list[float], policy: RetryPolicy | None = None) -> object:
    return call_with_retries(
        policy or facade.config.retry,
        "GetMedicalTranscriptionJob",
        lambda: facade._call_once("transcribe", GET, dict(PARAMS)),
        sleep=sleeps.append,
    )


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("LimitExceededException", 429),
        ("ThrottlingException", 400),
        ("InternalFailureException", 500),
        ("ServiceUnavailableException", 503),
        ("SomeNewServerFault", 502),
    ],
)
def test_throttling_and_5xx_are_retried(facade: TranscribeMedical, code: str, status: int) -> None:
    sleeps: list[float] = []
    with Stubber(facade.boto3_client("transcribe")) as stub:
        stub.add_client_error(GET, code, "try again", status, expected_params=PARAMS)
        stub.add_client_error(GET, code, "try again", status, expected_params=PARAMS)
        stub.add_response(GET, OK, PARAMS)
        assert _call(facade, sleeps) == OK
        stub.assert_no_pending_responses()
    assert len(sleeps) == 2
    # Full jitter under an exponential cap: 0.5 s, then 1 s.
    assert 0 <= sleeps[0] <= 0.5 and 0 <= sleeps[1] <= 1.0


@pytest.mark.parametrize(
    ("code", "status", "cls"),
    [
        ("BadRequestException", 400, BadRequestError),
        ("ConflictException", 409, ConflictError),
        ("NotFoundException", 404, NotFoundError),
        ("AccessDeniedException", 403, BadRequestError),
    ],
)
def test_client_errors_are_not_retried(
    facade: TranscribeMedical, code: str, status: int, cls: type[ServiceError]
) -> None:
    sleeps: list[float] = []
    with Stubber(facade.boto3_client("transcribe")) as stub:
        stub.add_client_error(GET, code, "no", status)
        with pytest.raises(cls):
            _call(facade, sleeps)
        stub.assert_no_pending_responses()
    assert sleeps == []


def test_size_limits_are_not_retried(facade: TranscribeMedical) -> None:
    sleeps: list[float] = []
    with Stubber(facade.boto3_client("transcribe")) as stub:
        stub.add_client_error(GET, "LimitExceededException", "Invalid file size: file size too large", 429)
        with pytest.raises(LimitExceededError):
            _call(facade, sleeps)
    assert sleeps == []


def test_attempts_are_capped_and_the_last_error_is_raised(facade: TranscribeMedical) -> None:
    sleeps: list[float] = []
    with Stubber(facade.boto3_client("transcribe")) as stub:
        for _ in range(3):
            stub.add_client_error(GET, "InternalFailureException", "down", 500)
        with pytest.raises(InternalFailureError) as caught:
            _call(facade, sleeps, RetryPolicy(max_attempts=3))
        stub.assert_no_pending_responses()
    assert len(sleeps) == 2
    assert caught.value.retryable


def test_client_call_uses_the_configured_policy() -> None:
    policy = RetryPolicy(max_attempts=2, initial_backoff=0.0, max_backoff=0.0)
    facade = TranscribeMedical(config=ClientConfig(region_name="us-east-1", retry=policy))
    with Stubber(facade.boto3_client("transcribe")) as stub:
        stub.add_client_error(GET, "LimitExceededException", "slow down", 429)
        stub.add_response(GET, OK, PARAMS)
        assert facade.call("transcribe", GET, **PARAMS) == OK
        stub.add_client_error(GET, "LimitExceededException", "slow down", 429)
        stub.add_client_error(GET, "LimitExceededException", "slow down", 429)
        with pytest.raises(LimitExceededError):
            facade.call("transcribe", GET, **PARAMS)
        stub.assert_no_pending_responses()


def test_connection_errors_are_retried_validation_errors_are_not() -> None:
    sleeps: list[float] = []
    attempts: list[int] = []

    def flaky() -> str:
        attempts.append(1)
        if len(attempts) < 3:
            raise ConnectionError("refused")
        return "ok"

    assert call_with_retries(RetryPolicy(), "Op", flaky, sleep=sleeps.append) == "ok"
    assert len(sleeps) == 2

    def invalid() -> str:
        attempts.append(1)
        raise ValidationError("bad")

    attempts.clear()
    with pytest.raises(ValidationError):
        call_with_retries(RetryPolicy(), "Op", invalid, sleep=sleeps.append)
    assert len(attempts) == 1


def test_is_retryable() -> None:
    assert is_retryable(LimitExceededError("x", code="LimitExceededException"))
    assert is_retryable(ConnectionError("x"))
    assert not is_retryable(BadRequestError("x", code="BadRequestException"))
    assert not is_retryable(ValueError("x"))


def test_async_policy_matches() -> None:
    sleeps: list[float] = []
    attempts: list[int] = []

    async def record(delay: float) -> None:
        sleeps.append(delay)

    async def flaky() -> str:
        attempts.append(1)
        if len(attempts) < 2:
            raise InternalFailureError("down", code="InternalFailureException")
        return "ok"

    async def scenario() -> str:
        return await call_with_retries_async(RetryPolicy(), "Op", flaky, sleep=record)

    assert asyncio.run(scenario()) == "ok"
    assert len(sleeps) == 1 and 0 <= sleeps[0] <= 0.5

    async def refused() -> str:
        raise NotFoundError("gone", code="NotFoundException")

    async def scenario_refused() -> str:
        return await call_with_retries_async(RetryPolicy(), "Op", refused, sleep=record)

    sleeps.clear()
    with pytest.raises(NotFoundError):
        asyncio.run(scenario_refused())
    assert sleeps == []


def test_a_first_attempt_made_directly_leaves_the_rest_of_the_budget_to_the_retry_loop() -> None:
    import time

    from transcribe_medical._retry import retry_after_first

    throttled = LimitExceededError("slow down", code="LimitExceededException")
    started = time.monotonic() - 5.0  # the first attempt took 5 s
    policy = retry_after_first(RetryPolicy(max_attempts=3, max_elapsed=60.0), throttled, started)
    assert policy is not None and policy.max_attempts == 3
    assert policy.max_elapsed is not None and 0 < policy.max_elapsed <= 55.0
    assert retry_after_first(RetryPolicy(max_attempts=3, max_elapsed=4.0), throttled, started) is None  # spent
    assert retry_after_first(RetryPolicy(max_attempts=1), throttled, started) is None  # no retry allowed
    assert retry_after_first(RetryPolicy(), ValidationError("bad"), started) is None  # not retryable
    unbounded = retry_after_first(RetryPolicy(max_elapsed=None), throttled, started)
    assert unbounded is not None and unbounded.max_elapsed is None


def test_the_retry_loop_starts_with_the_failure_of_the_attempt_already_made() -> None:
    from transcribe_medical._retry import then_raise_first

    calls: list[None] = []
    attempt = then_raise_first(
        LimitExceededError("slow down", code="LimitExceededException"), lambda: calls.append(None) or "ok"
    )
    sleeps: list[float] = []
    assert call_with_retries(RetryPolicy(max_attempts=2), "Op", attempt, sleep=sleeps.append) == "ok"
    assert len(calls) == 1 and len(sleeps) == 1
