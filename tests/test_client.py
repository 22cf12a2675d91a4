"""The facades: configuration, the resolved wire protocol, and no botocore error escaping."""

from __future__ import annotations

import asyncio
import builtins
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore import exceptions as bce

from transcribe_medical import (
    AsyncTranscribeMedical,
    ClientConfig,
    ConnectionError,
    CredentialsError,
    RetryPolicy,
    StartJobRequest,
    TimeoutError,
    TranscribeMedical,
    TranscribeMedicalError,
    ValidationError,
)

TEST_SECRET_KEY = "test/secret+key/EXAMPLEKEY0000000000000"  # tests/conftest.py sets it

NO_RETRIES = RetryPolicy(max_attempts=1)


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A loopback port that accepts connections and never answers."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"


def _request() -> StartJobRequest:
    return StartJobRequest(job_name="visit-1", media_uri="s3://media-bucket/a.wav", output_bucket="output-bucket")


def test_transcribe_client_speaks_json() -> None:
    # reference §1.1: a botocore preferring CBOR would break moto and the emulator.
    client = TranscribeMedical(region_name="us-east-1").boto3_client("transcribe")
    assert client.meta.service_model.resolved_protocol == "json"


def test_botocore_clients_do_not_retry_themselves() -> None:
    client = TranscribeMedical(region_name="us-east-1").boto3_client("transcribe")
    assert client.meta.config.retries["total_max_attempts"] == 1


def test_clients_are_made_once_and_closed() -> None:
    with TranscribeMedical(region_name="eu-west-1") as facade:
        first = facade.boto3_client("transcribe")
        assert facade.boto3_client("transcribe") is first
        assert first.meta.region_name == "eu-west-1"
        assert facade.jobs is facade.jobs
        assert facade.vocabularies is facade.vocabularies
    assert facade.boto3_client("transcribe") is not first


def test_repr_shows_no_secret() -> None:
    facade = TranscribeMedical(region_name="us-east-1")
    facade.credentials()
    assert TEST_SECRET_KEY not in repr(facade)
    assert TEST_SECRET_KEY not in repr(facade.config)


def test_endpoint_url_applies_to_transcribe_and_s3() -> None:
    facade = TranscribeMedical(region_name="us-east-1", endpoint_url="http://127.0.0.1:5000")
    assert facade.boto3_client("transcribe").meta.endpoint_url == "http://127.0.0.1:5000"
    assert facade.boto3_client("s3").meta.endpoint_url == "http://127.0.0.1:5000"


def test_standard_endpoint_variable_is_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_TRANSCRIBE", "http://127.0.0.1:5001")
    facade = TranscribeMedical(region_name="us-east-1")
    assert facade.boto3_client("transcribe").meta.endpoint_url == "http://127.0.0.1:5001"


def test_missing_region_is_a_validation_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_REGION", raising=False)
    with pytest.raises(ValidationError, match="region"):
        TranscribeMedical().jobs.get("visit-1")


def test_missing_profile_is_a_credentials_error() -> None:
    with pytest.raises(CredentialsError, match="AWS_PROFILE"):
        TranscribeMedical(profile_name="no-such-profile", region_name="us-east-1").jobs.get("visit-1")


def _calls(facade: TranscribeMedical, tmp_path: Path) -> list[Callable[[], Any]]:
    audio = tmp_path / "a.wav"
    audio.write_bytes(b"RIFF")
    return [
        lambda: facade.jobs.start(_request()),
        lambda: facade.jobs.get("visit-1"),
        lambda: list(facade.jobs.list()),
        lambda: facade.jobs.wait("visit-1", poll_interval=0.0),
        lambda: facade.jobs.delete("visit-1"),
        lambda: facade.jobs.transcript("visit-1"),
        lambda: facade.jobs.transcribe_file(audio, bucket="media-bucket"),
        lambda: facade.vocabularies.create("v", ["a"], bucket="media-bucket"),
        lambda: facade.vocabularies.get("v"),
        lambda: list(facade.vocabularies.list()),
        lambda: facade.vocabularies.delete("v"),
        lambda: facade.vocabularies.update("v", file_uri="s3://media-bucket/v.txt"),
    ]


def test_no_credentials_on_every_call(no_credentials: None, tmp_path: Path) -> None:
    facade = TranscribeMedical(config=ClientConfig(region_name="us-east-1", retry=NO_RETRIES))
    for call in _calls(facade, tmp_path):
        with pytest.raises(CredentialsError) as caught:
            call()
        assert isinstance(caught.value.__cause__, bce.NoCredentialsError)


def test_connection_refused_on_every_call(tmp_path: Path) -> None:
    endpoint = f"http://127.0.0.1:{_closed_port()}"
    facade = TranscribeMedical(config=ClientConfig(region_name="us-east-1", endpoint_url=endpoint, retry=NO_RETRIES))
    for call in _calls(facade, tmp_path):
        with pytest.raises(ConnectionError) as caught:
            call()
        assert isinstance(caught.value, builtins.ConnectionError)
        assert isinstance(caught.value.__cause__, bce.BotoCoreError)


def test_connection_refused_is_retried_then_reported(tmp_path: Path) -> None:
    endpoint = f"http://127.0.0.1:{_closed_port()}"
    policy = RetryPolicy(max_attempts=3, initial_backoff=0.0, max_backoff=0.0)
    facade = TranscribeMedical(config=ClientConfig(region_name="us-east-1", endpoint_url=endpoint, retry=policy))
    attempts: list[str] = []
    facade.boto3_client("transcribe").meta.events.register("before-send", lambda **_: attempts.append("x"))
    with pytest.raises(ConnectionError, match="could not connect"):
        facade.jobs.get("visit-1")
    assert len(attempts) == 3


def test_read_timeout_is_our_timeout_error(silent_server: str) -> None:
    config = ClientConfig(region_name="us-east-1", endpoint_url=silent_server, retry=NO_RETRIES, read_timeout=0.05)
    with pytest.raises(TimeoutError) as caught:
        TranscribeMedical(config=config).jobs.get("visit-1")
    assert isinstance(caught.value, builtins.TimeoutError)
    assert isinstance(caught.value.__cause__, bce.ReadTimeoutError)


def test_botocore_parameter_errors_are_validation_errors() -> None:
    facade = TranscribeMedical(region_name="us-east-1")
    with pytest.raises(ValidationError, match="Missing required parameter"):
        facade.call("transcribe", "get_medical_transcription_job")


def test_async_calls_translate_errors_too(no_credentials: None) -> None:
    async def scenario() -> None:
        async with AsyncTranscribeMedical(config=ClientConfig(region_name="us-east-1", retry=NO_RETRIES)) as facade:
            with pytest.raises(CredentialsError):
                await facade.jobs.get("visit-1")
            with pytest.raises(CredentialsError):
                await facade.vocabularies.get("v")
            with pytest.raises(TranscribeMedicalError):
                async for _ in facade.jobs.list():
                    pass

    asyncio.run(scenario())


def test_async_connection_refused() -> None:
    endpoint = f"http://127.0.0.1:{_closed_port()}"

    async def scenario() -> None:
        config = ClientConfig(region_name="us-east-1", endpoint_url=endpoint, retry=NO_RETRIES)
        async with AsyncTranscribeMedical(config=config) as facade:
            with pytest.raises(ConnectionError):
                await facade.jobs.start(_request())

    asyncio.run(scenario())
