"""Fixtures for the batch tests: a moto-backed client, buckets, and request counting."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from moto import mock_aws
from moto.moto_api import state_manager

from transcribe_medical import ClientConfig, RetryPolicy, TranscribeMedical

REGION = "us-east-1"
MEDIA_BUCKET = "media-bucket"
OUTPUT_BUCKET = "output-bucket"
BATCH_OUTPUTS = Path(__file__).resolve().parents[1] / "vectors" / "batch_outputs"
JOB_MODEL = "transcribe::medicaltranscriptionjob"

#: Retries without waiting: tests must not sleep.
FAST_RETRIES = RetryPolicy(max_attempts=3, initial_backoff=0.0, max_backoff=0.0, max_elapsed=None)


def golden(name: str) -> bytes:
    """A batch output file from the reference vectors (copied into tests/vectors)."""
    return (BATCH_OUTPUTS / name).read_bytes()


def fast_config(**changes: Any) -> ClientConfig:
    """A client config whose retries never sleep."""
    return ClientConfig(region_name=REGION, retry=FAST_RETRIES, **changes)


@pytest.fixture
def moto_aws() -> Iterator[None]:
    """moto in-process, each Get moving a job one step: QUEUED, IN_PROGRESS, COMPLETED.

    moto's "immediate" progression jumps to COMPLETED without ever setting ``TranscriptFileUri``
    (it is set on the IN_PROGRESS -> COMPLETED step), so the tests drive the manual one.
    """
    with mock_aws():
        state_manager.set_transition(JOB_MODEL, {"progression": "manual", "times": 1})
        try:
            yield
        finally:
            state_manager.unset_transition(JOB_MODEL)


@pytest.fixture
def client(moto_aws: None) -> Iterator[TranscribeMedical]:
    """A TranscribeMedical on moto, with the media and output buckets made."""
    with TranscribeMedical(config=fast_config()) as facade:
        s3 = facade.boto3_client("s3")
        s3.create_bucket(Bucket=MEDIA_BUCKET)
        s3.create_bucket(Bucket=OUTPUT_BUCKET)
        yield facade


class RequestCounter:
    """Counts the API calls a botocore client makes (its ``before-call`` event, before any I/O)."""

    def __init__(self) -> None:
        self.operations: list[str] = []

    def __call__(self, model: Any, **kwargs: Any) -> None:
        self.operations.append(str(model.name))

    @property
    def count(self) -> int:
        """How many requests were about to be sent."""
        return len(self.operations)


@pytest.fixture
def sent(client: TranscribeMedical) -> RequestCounter:
    """Every request the client's transcribe and s3 clients send."""
    counter = RequestCounter()
    for service in ("transcribe", "s3"):
        client.boto3_client(service).meta.events.register("before-call", counter)
    return counter
