"""Fixtures of the HealthScribe tests: a client whose boto3 clients are stubbed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from botocore.stub import Stubber

from scribe.support import Sent
from transcribe_medical import ClientConfig, RetryPolicy, TranscribeMedical


@pytest.fixture
def client() -> Iterator[TranscribeMedical]:
    """A client that retries without sleeping (nothing reaches a network: every test stubs)."""
    config = ClientConfig(retry=RetryPolicy(initial_backoff=0.0, max_backoff=0.0))
    with TranscribeMedical(region_name="us-east-1", config=config) as made:
        yield made


@pytest.fixture
def stubs(client: TranscribeMedical) -> Iterator[tuple[Stubber, Stubber, Sent]]:
    """Stubbers on the client's transcribe and s3 clients, and a count of what botocore built."""
    transcribe, s3 = client.boto3_client("transcribe"), client.boto3_client("s3")
    sent = Sent()
    transcribe.meta.events.register("before-parameter-build.transcribe", sent)
    s3.meta.events.register("before-parameter-build.s3", sent)
    with Stubber(transcribe) as transcribe_stub, Stubber(s3) as s3_stub:
        yield transcribe_stub, s3_stub, sent
        transcribe_stub.assert_no_pending_responses()
        s3_stub.assert_no_pending_responses()
