"""Fixtures of the streaming tests: a scripted AWS-like service on 127.0.0.1 and clients for it."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from streaming.fake_service import FakeTranscribeStreaming
from transcribe_medical import AsyncTranscribeMedical, ClientConfig, RetryPolicy, TranscribeMedical

#: One attempt: the tests check the first failure, and never sleep in backoff.
NO_RETRY = ClientConfig(retry=RetryPolicy(max_attempts=1))


@pytest.fixture
def service() -> Iterator[FakeTranscribeStreaming]:
    """The fake service, accepting the test credentials set by the root conftest."""
    fake = FakeTranscribeStreaming({os.environ["AWS_ACCESS_KEY_ID"]: os.environ["AWS_SECRET_ACCESS_KEY"]})
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture
def client(service: FakeTranscribeStreaming) -> Iterator[TranscribeMedical]:
    with TranscribeMedical(region_name="us-east-1", streaming_endpoint_url=service.url, config=NO_RETRY) as made:
        yield made


@pytest.fixture
def async_client(service: FakeTranscribeStreaming) -> AsyncTranscribeMedical:
    return AsyncTranscribeMedical(region_name="us-east-1", streaming_endpoint_url=service.url, config=NO_RETRY)
