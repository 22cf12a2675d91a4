"""SSE-KMS for batch output: the key and the encryption context reach StartMedicalTranscriptionJob.

botocore's Stubber checks the exact parameters sent (moto does not model KMS on Transcribe
outputs), for the sync and asyncio facades and for ``transcribe-medical jobs start``.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.stub import Stubber

from transcribe_medical import AsyncTranscribeMedical, ClientConfig, StartJobRequest, TranscribeMedical
from transcribe_medical.cli import main

KEY = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
CONTEXT = {"clinic": "north", "purpose": "dictation"}
EXPECTED = {
    "MedicalTranscriptionJobName": "visit-1",
    "LanguageCode": "en-US",
    "Media": {"MediaFileUri": "s3://audio-bucket/visit-1.wav"},
    "OutputBucketName": "transcripts-bucket",
    "Specialty": "PRIMARYCARE",
    "Type": "DICTATION",
    "OutputEncryptionKMSKeyId": KEY,
    "KMSEncryptionContext": CONTEXT,
}
RESPONSE = {
    "MedicalTranscriptionJob": {
        "MedicalTranscriptionJobName": "visit-1",
        "TranscriptionJobStatus": "IN_PROGRESS",
        "LanguageCode": "en-US",
        "Media": {"MediaFileUri": "s3://audio-bucket/visit-1.wav"},
        "Specialty": "PRIMARYCARE",
        "Type": "DICTATION",
        "CreationTime": datetime(2026, 11, 22, tzinfo=UTC),
    }
}


def _request() -> StartJobRequest:
    return StartJobRequest(
        job_name="visit-1",
        media_uri="s3://audio-bucket/visit-1.wav",
        output_bucket="transcripts-bucket",
        kms_key_id=KEY,
        kms_encryption_context=CONTEXT,
    )


def test_kms_key_and_context_reach_start_medical_transcription_job() -> None:
    client = TranscribeMedical(config=ClientConfig(region_name="us-east-1"))
    with client, Stubber(client.boto3_client("transcribe")) as stub:
        stub.add_response("start_medical_transcription_job", RESPONSE, EXPECTED)
        job = client.jobs.start(_request())
        stub.assert_no_pending_responses()
    assert job.name == "visit-1"


def test_kms_key_and_context_reach_the_service_from_the_async_facade() -> None:
    async def start() -> None:
        async with AsyncTranscribeMedical(config=ClientConfig(region_name="us-east-1")) as client:
            with Stubber(client.boto3_client("transcribe")) as stub:
                stub.add_response("start_medical_transcription_job", RESPONSE, EXPECTED)
                await client.jobs.start(_request())
                stub.assert_no_pending_responses()

    asyncio.run(start())


def test_jobs_start_passes_kms_options(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    client = TranscribeMedical(config=ClientConfig(region_name="us-east-1"))
    stub = Stubber(client.boto3_client("transcribe"))
    stub.add_response("start_medical_transcription_job", RESPONSE, EXPECTED)

    def make_client(*args: Any) -> TranscribeMedical:
        return client

    monkeypatch.setattr("transcribe_medical.cli.commands.jobs.make_client", make_client)
    with stub:
        code = main(
            [
                "jobs",
                "start",
                "visit-1",
                "s3://audio-bucket/visit-1.wav",
                "--output-bucket",
                "transcripts-bucket",
                "--kms-key-id",
                KEY,
                "--kms-encryption-context",
                "clinic=north",
                "--kms-encryption-context",
                "purpose=dictation",
                "--format",
                "json",
            ]
        )
        stub.assert_no_pending_responses()
    assert code == 0, capsys.readouterr().err


def test_a_malformed_kms_context_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "jobs",
            "start",
            "visit-1",
            "s3://audio-bucket/visit-1.wav",
            "--output-bucket",
            "transcripts-bucket",
            "--kms-encryption-context",
            "no-equals-sign",
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "--kms-encryption-context" in err
