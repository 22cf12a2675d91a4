"""The batch facade over real HTTP: moto's ThreadedMotoServer on 127.0.0.1, a free port."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from moto.server import ThreadedMotoServer

from transcribe_medical import (
    ConflictError,
    JobStatus,
    NotFoundError,
    StartJobRequest,
    TranscribeMedical,
    UnsupportedSpecialtyError,
)
from transcribe_medical.batch import expected_output_location

from .conftest import MEDIA_BUCKET, OUTPUT_BUCKET, RequestCounter, fast_config, golden


@pytest.fixture(scope="module")
def moto_server() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def client(moto_server: str) -> Iterator[TranscribeMedical]:
    reset = urllib.request.Request(f"{moto_server}/moto-api/reset", method="POST")
    with urllib.request.urlopen(reset) as answer:
        assert answer.status == 200
    with TranscribeMedical(config=fast_config(endpoint_url=moto_server)) as facade:
        for bucket in (MEDIA_BUCKET, OUTPUT_BUCKET):
            facade.boto3_client("s3").create_bucket(Bucket=bucket)
        yield facade


def _request(name: str, **changes: Any) -> StartJobRequest:
    return StartJobRequest(
        job_name=name, media_uri=f"s3://{MEDIA_BUCKET}/{name}.mp3", output_bucket=OUTPUT_BUCKET, **changes
    )


def test_the_wire_protocol_is_json(client: TranscribeMedical) -> None:
    transcribe = client.boto3_client("transcribe")
    model = transcribe.meta.service_model
    # botocore >= 1.40 lists several protocols and resolves one; older releases name only "json".
    assert getattr(model, "resolved_protocol", model.protocol) == "json"
    headers: list[dict[str, str]] = []
    transcribe.meta.events.register("before-send", lambda request, **_: headers.append(dict(request.headers)))
    client.jobs.start(_request("wire-check"))
    sent = {name: value.decode() if isinstance(value, bytes) else value for name, value in headers[0].items()}
    assert sent["X-Amz-Target"] == "Transcribe.StartMedicalTranscriptionJob"
    assert sent["Content-Type"] == "application/x-amz-json-1.1"


def test_job_cycle_over_http(client: TranscribeMedical) -> None:
    client.jobs.start(_request("visit-http"))
    with pytest.raises(ConflictError) as caught:
        client.jobs.start(_request("visit-http"))
    assert caught.value.code == "ConflictException"
    job = client.jobs.wait("visit-http", poll_interval=0.0)
    assert job.status is JobStatus.COMPLETED
    location = expected_output_location("visit-http", OUTPUT_BUCKET)
    client.boto3_client("s3").put_object(Bucket=location.bucket, Key=location.key, Body=golden("phi.json"))
    expected = json.loads(golden("phi.json"))["results"]["transcripts"][0]["transcript"]
    assert client.jobs.transcript("visit-http").text == expected
    client.jobs.delete("visit-http")
    with pytest.raises(NotFoundError):
        client.jobs.get("visit-http")


def test_pagination_over_http(client: TranscribeMedical) -> None:
    for index in range(120):
        client.jobs.start(_request(f"job-{index:03d}"))
    assert len(list(client.jobs.list())) == 120
    assert len(list(client.jobs.list(page_size=50))) == 120


def test_cardiology_never_reaches_the_server(client: TranscribeMedical) -> None:
    counter = RequestCounter()
    client.boto3_client("transcribe").meta.events.register("before-call", counter)
    with pytest.raises(UnsupportedSpecialtyError):
        client.jobs.start(_request("cardio", specialty="CARDIOLOGY"))
    assert counter.count == 0


def test_vocabulary_round_trip_over_http(client: TranscribeMedical) -> None:
    client.vocabularies.create("terms", ["metoprolol"], bucket=MEDIA_BUCKET)
    assert client.vocabularies.wait("terms", poll_interval=0.0).state is not None
    assert [v.name for v in client.vocabularies.list()] == ["terms"]
    client.vocabularies.delete("terms")
