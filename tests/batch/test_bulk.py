"""Bulk submission against moto: bounded, rate-limited, resumable, nothing lost or doubled."""

from __future__ import annotations

import os
import stat
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.moto_api import state_manager

from transcribe_medical import StartJobRequest, TranscribeMedical, ValidationError
from transcribe_medical.batch import bulk
from transcribe_medical.batch.bulk import submit_many
from transcribe_medical.batch.bulk_state import StateStore
from transcribe_medical.batch.manifest import job_fingerprint
from transcribe_medical.batch.rate_limit import TokenBucket

BUCKET = "bulk-output"


def _no_sleep(_: float) -> None:
    return None


@pytest.fixture
def client() -> Iterator[TranscribeMedical]:
    with mock_aws():
        state_manager.set_transition("transcribe::medicaltranscriptionjob", {"progression": "immediate"})
        with TranscribeMedical(region_name="us-east-1") as facade:
            facade.boto3_client("s3").create_bucket(Bucket=BUCKET)
            yield facade
        state_manager.unset_transition("transcribe::medicaltranscriptionjob")


def _requests(count: int, prefix: str = "visit") -> list[StartJobRequest]:
    return [
        StartJobRequest(job_name=f"{prefix}-{i}", media_uri=f"s3://media-in/{prefix}-{i}.wav", output_bucket=BUCKET)
        for i in range(count)
    ]


def _service_jobs(client: TranscribeMedical) -> list[str]:
    return sorted(summary.name for summary in client.jobs.list())


def _before_each_request(client: TranscribeMedical, operation: str, handler: Callable[..., None]) -> None:
    """Call ``handler(params=...)`` before every ``operation`` request the facade's boto3 client makes.

    The submitter sends each attempt itself, so the requests are watched where every attempt
    passes: botocore's own event hooks (a public API), not a method of ours replaced.
    """
    client.boto3_client("transcribe").meta.events.register(f"before-parameter-build.transcribe.{operation}", handler)


def test_submits_every_job_once(client: TranscribeMedical, tmp_path: Path) -> None:
    requests = _requests(30)
    result = submit_many(
        client.jobs, requests, max_concurrency=8, rate=10_000, state_path=tmp_path / "s.sqlite", sleep=_no_sleep
    )
    assert sorted(result.submitted) == sorted(r.job_name for r in requests)
    assert result.ok and not result.skipped
    assert _service_jobs(client) == sorted(r.job_name for r in requests)
    assert stat.S_IMODE(os.stat(tmp_path / "s.sqlite").st_mode) == 0o600


def test_rerun_submits_nothing_twice(client: TranscribeMedical, tmp_path: Path) -> None:
    requests = _requests(12)
    state = tmp_path / "s.sqlite"
    submit_many(client.jobs, requests, rate=10_000, state_path=state, sleep=_no_sleep)
    calls: list[str] = []

    def count(params: dict[str, Any], **_: object) -> None:
        calls.append(params["MedicalTranscriptionJobName"])

    _before_each_request(client, "StartMedicalTranscriptionJob", count)
    again = submit_many(client.jobs, requests, rate=10_000, state_path=state, sleep=_no_sleep)
    assert calls == []
    assert sorted(again.skipped) == sorted(r.job_name for r in requests)
    assert len(_service_jobs(client)) == 12


def test_crash_between_send_and_record_is_resolved_by_asking_the_service(
    client: TranscribeMedical, tmp_path: Path
) -> None:
    sent, unsent = _requests(2, prefix="crash")
    state_path = tmp_path / "s.sqlite"
    client.jobs.start(sent)  # the request went out...
    with StateStore(state_path) as state:  # ...but the run died before recording the answer
        state.put(sent.job_name, job_fingerprint(sent), "starting")
        state.put(unsent.job_name, job_fingerprint(unsent), "starting")
    result = submit_many(client.jobs, [sent, unsent], rate=10_000, state_path=state_path, sleep=_no_sleep)
    assert result.skipped == [sent.job_name]
    assert result.submitted == [unsent.job_name]
    assert _service_jobs(client) == sorted([sent.job_name, unsent.job_name])


def test_conflict_with_same_media_counts_as_done_and_other_media_fails(client: TranscribeMedical) -> None:
    mine, theirs = _requests(2, prefix="dup")
    client.jobs.start(mine)
    client.jobs.start(
        StartJobRequest(job_name=theirs.job_name, media_uri="s3://media-in/other.wav", output_bucket=BUCKET)
    )
    result = submit_many(client.jobs, [mine, theirs], rate=10_000, sleep=_no_sleep)
    assert result.skipped == [mine.job_name]
    assert "other media" in result.failed[theirs.job_name]


def _throttle_twice_each(client: TranscribeMedical) -> dict[str, int]:
    """Refuse the first two Start requests of every job as AWS throttling does; count every Start."""
    attempts: dict[str, int] = {}
    lock = threading.Lock()

    def throttle(params: dict[str, Any], **_: object) -> None:
        name = params["MedicalTranscriptionJobName"]
        with lock:
            attempts[name] = attempts.get(name, 0) + 1
            if attempts[name] <= 2:
                error = {"Code": "LimitExceededException", "Message": "Rate exceeded"}
                raise ClientError({"Error": error}, "StartMedicalTranscriptionJob")

    _before_each_request(client, "StartMedicalTranscriptionJob", throttle)
    return attempts


def test_throttling_is_retried_until_it_passes(client: TranscribeMedical) -> None:
    attempts = _throttle_twice_each(client)
    waits: list[float] = []
    result = submit_many(client.jobs, _requests(5), rate=10_000, sleep=waits.append)
    assert sorted(result.submitted) == sorted(r.job_name for r in _requests(5))
    assert attempts == {r.job_name: 3 for r in _requests(5)}
    assert len([w for w in waits if w > 0]) >= 1  # backoff happened (jitter may draw 0)
    assert _service_jobs(client) == sorted(r.job_name for r in _requests(5))


def _count_requests(client: TranscribeMedical) -> list[str]:
    """Record the operation of every Transcribe request the facade's boto3 client makes.

    The count happens before any test hook that refuses a request (those run a step later, at
    parameter build), so refused attempts are counted too.
    """
    sent: list[str] = []
    lock = threading.Lock()

    def record(model: Any, **_: object) -> None:
        with lock:
            sent.append(model.name)

    client.boto3_client("transcribe").meta.events.register("provide-client-params.transcribe", record)
    return sent


def _count_tokens(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count every token the submitter takes from its rate limiter."""
    taken: list[int] = []

    class CountingBucket(TokenBucket):
        def acquire(self) -> None:
            taken.append(1)
            super().acquire()

    monkeypatch.setattr(bulk, "TokenBucket", CountingBucket)
    return taken


def test_every_request_takes_a_token_retries_included(
    client: TranscribeMedical, monkeypatch: pytest.MonkeyPatch
) -> None:
    taken = _count_tokens(monkeypatch)
    sent = _count_requests(client)
    _throttle_twice_each(client)
    result = submit_many(client.jobs, _requests(5), rate=10_000, wait=True, poll_interval=0, sleep=_no_sleep)
    assert sorted(result.completed) == sorted(r.job_name for r in _requests(5))
    assert sent.count("StartMedicalTranscriptionJob") == 15  # 5 jobs, each refused twice
    assert sent.count("GetMedicalTranscriptionJob") >= 5  # the waits
    assert len(taken) == len(sent)


def test_a_start_whose_answer_was_lost_is_looked_up_not_sent_again(
    client: TranscribeMedical, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Start that reached the service but failed on the way back (here: a 500 after moto made
    the job) is followed by a Get, which finds the job: no second Start, no ConflictException."""
    taken = _count_tokens(monkeypatch)
    sent = _count_requests(client)
    lost = {"visit-0"}

    def lose_the_answer(parsed: dict[str, Any], **_: object) -> None:
        if parsed["MedicalTranscriptionJob"]["MedicalTranscriptionJobName"] in lost:
            lost.clear()
            error = {"Code": "InternalFailureException", "Message": "We encountered an internal error."}
            raise ClientError({"Error": error, "ResponseMetadata": {"HTTPStatusCode": 500}}, "Start")

    client.boto3_client("transcribe").meta.events.register(
        "after-call.transcribe.StartMedicalTranscriptionJob", lose_the_answer
    )
    result = submit_many(client.jobs, _requests(3), max_concurrency=1, rate=10_000, sleep=_no_sleep)
    assert sorted(result.submitted) == ["visit-0", "visit-1", "visit-2"]
    assert sent == [
        "StartMedicalTranscriptionJob",  # visit-0: made, answer lost
        "GetMedicalTranscriptionJob",  # visit-0: there it is
        "StartMedicalTranscriptionJob",  # visit-1
        "StartMedicalTranscriptionJob",  # visit-2
    ]
    assert len(taken) == len(sent)
    assert _service_jobs(client) == ["visit-0", "visit-1", "visit-2"]


def test_wait_reports_completion(client: TranscribeMedical) -> None:
    result = submit_many(client.jobs, _requests(4), rate=10_000, wait=True, poll_interval=0, sleep=_no_sleep)
    assert sorted(result.completed) == sorted(r.job_name for r in _requests(4))
    assert "4 submitted" in result.summary() and "4 completed" in result.summary()


def test_invalid_input_is_refused_before_any_request(client: TranscribeMedical) -> None:
    twice = _requests(1) * 2
    with pytest.raises(ValidationError, match="appears twice"):
        submit_many(client.jobs, twice, sleep=_no_sleep)
    with pytest.raises(ValidationError, match="max_concurrency"):
        submit_many(client.jobs, _requests(1), max_concurrency=0, sleep=_no_sleep)
    with pytest.raises(ValidationError, match="max_rate: 20 is invalid with a fixed rate"):
        submit_many(client.jobs, _requests(1), rate=10, max_rate=20, sleep=_no_sleep)
    with pytest.raises(ValidationError, match="max_rate"):
        submit_many(client.jobs, _requests(1), max_rate=0, sleep=_no_sleep)
    with pytest.raises(ValidationError, match="rate"):
        submit_many(client.jobs, _requests(1), rate=float("nan"), sleep=_no_sleep)
    assert _service_jobs(client) == []


def test_token_bucket_spaces_requests() -> None:
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    bucket = TokenBucket(25, clock=lambda: now[0], sleep=sleep)
    for _ in range(51):
        bucket.acquire()
    # The first token is free; 50 more at 25/s take 2 s.
    assert now[0] == pytest.approx(2.0)
    with pytest.raises(ValidationError, match="rate"):
        TokenBucket(0)


def test_progress_true_draws_a_bar_on_stderr(client: TranscribeMedical, capsys: pytest.CaptureFixture[str]) -> None:
    result = submit_many(client.jobs, _requests(3), rate=10_000, progress=True, sleep=_no_sleep)
    captured = capsys.readouterr()
    assert len(result.submitted) == 3
    assert "submitting" in captured.err and "3/3" in captured.err
    assert captured.out == ""


def test_facade_method_and_async_twin(client: TranscribeMedical) -> None:
    import asyncio

    from transcribe_medical import AsyncTranscribeMedical

    assert len(client.jobs.submit_many(_requests(3, prefix="sync"), rate=10_000).submitted) == 3

    async def run() -> list[str]:
        async with AsyncTranscribeMedical(region_name="us-east-1") as async_client:
            result = await async_client.jobs.submit_many(_requests(3, prefix="async"), rate=10_000)
        return result.submitted

    assert sorted(asyncio.run(run())) == ["async-0", "async-1", "async-2"]
    assert len(_service_jobs(client)) == 6
