"""An emulator reachable from the network: only its own credentials' signatures get through."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from local.emulator_support import QUERY, SCRIPT
from transcribe_medical.local import EmulatorCredentials, LocalTranscribeMedical, ScriptedRecognizer
from transcribe_medical.local.emulator import DEFAULT_CREDENTIALS
from transcribe_medical.local.signed_requests import SignedRequestsLayer
from transcribe_medical.local.sigv4_verifier import random_credentials


@pytest.fixture
def remote() -> Iterator[tuple[LocalTranscribeMedical, EmulatorCredentials]]:
    credentials = random_credentials()
    emulator = LocalTranscribeMedical(
        credentials=credentials,
        layers=[SignedRequestsLayer(credentials)],
        recognizer=ScriptedRecognizer(SCRIPT),
        batch_workers=1,
    )
    with emulator:
        yield emulator, credentials


def _client(emulator: LocalTranscribeMedical, service: str, credentials: EmulatorCredentials) -> Any:
    return boto3.client(
        service,
        endpoint_url=emulator.endpoint_url,
        region_name=emulator.region,
        aws_access_key_id=credentials.access_key_id,
        aws_secret_access_key=credentials.secret_access_key,
    )


def test_random_credentials_differ_every_time_and_from_the_documented_ones() -> None:
    first, second = random_credentials(), random_credentials()
    assert first != second
    assert DEFAULT_CREDENTIALS.access_key_id not in (first.access_key_id, second.access_key_id)
    assert len(first.secret_access_key) >= 40


def test_batch_and_s3_refuse_the_fixed_credentials_and_a_wrong_secret_with_403(
    remote: tuple[LocalTranscribeMedical, EmulatorCredentials],
) -> None:
    emulator, credentials = remote
    wrong_secret = EmulatorCredentials(credentials.access_key_id, "not-the-secret-" * 3)
    for refused in (DEFAULT_CREDENTIALS, wrong_secret):
        with pytest.raises(ClientError) as caught:
            _client(emulator, "s3", refused).list_buckets()
        assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
        with pytest.raises(ClientError) as caught:
            _client(emulator, "transcribe", refused).list_medical_vocabularies()
        assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_the_run_s_credentials_work_for_batch_s3_and_streaming(
    remote: tuple[LocalTranscribeMedical, EmulatorCredentials],
) -> None:
    from transcribe_medical.local import sample_dictation
    from transcribe_medical.models.stream import StreamConfig

    emulator, credentials = remote
    bucket = emulator.create_bucket()
    s3 = _client(emulator, "s3", credentials)
    s3.put_object(Bucket=bucket, Key="hello.txt", Body=b"hello")
    assert s3.get_object(Bucket=bucket, Key="hello.txt")["Body"].read() == b"hello"
    wav, _ = sample_dictation()
    with emulator.client() as client:
        streamed = client.streaming.transcribe_file(wav, StreamConfig(), realtime=False)
        batch = client.jobs.transcribe_file(wav, bucket=bucket, poll_interval=0.1)
    assert streamed.text == batch.text
    assert streamed.text.startswith("Good morning")


def test_streaming_refuses_a_url_presigned_with_the_fixed_credentials(
    remote: tuple[LocalTranscribeMedical, EmulatorCredentials],
) -> None:
    from botocore.credentials import Credentials

    from transcribe_medical.streaming.presign import presign_url

    emulator, _ = remote
    fixed = Credentials(DEFAULT_CREDENTIALS.access_key_id, DEFAULT_CREDENTIALS.secret_access_key)
    url = presign_url(fixed, emulator.region, dict(QUERY), endpoint=emulator.streaming_endpoint, expires=300)
    with pytest.raises(InvalidStatus) as caught, connect(url, open_timeout=10):
        pass
    assert caught.value.response.status_code == 403
