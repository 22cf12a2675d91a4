"""AsyncTranscribeMedical mirrors every batch call (run with asyncio.run: no plugin needed)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from transcribe_medical import (
    AsyncTranscribeMedical,
    ConflictError,
    JobStatus,
    NotFoundError,
    StartJobRequest,
    UnsupportedSpecialtyError,
    ValidationError,
)
from transcribe_medical.batch import expected_output_location
from transcribe_medical.models.enums import VocabularyState

from .conftest import MEDIA_BUCKET, OUTPUT_BUCKET, fast_config, golden


def _request(name: str = "visit-1", **changes: object) -> StartJobRequest:
    data: dict[str, object] = {
        "job_name": name,
        "media_uri": f"s3://{MEDIA_BUCKET}/{name}.wav",
        "output_bucket": OUTPUT_BUCKET,
    }
    data.update(changes)
    return StartJobRequest(**data)


async def _buckets(client: AsyncTranscribeMedical) -> None:
    for bucket in (MEDIA_BUCKET, OUTPUT_BUCKET):
        await client.acall("s3", "create_bucket", Bucket=bucket)


def test_async_job_cycle(moto_aws: None) -> None:
    async def scenario() -> None:
        async with AsyncTranscribeMedical(config=fast_config()) as client:
            await _buckets(client)
            started = await client.jobs.start(_request())
            assert started.name == "visit-1"
            with pytest.raises(ConflictError):
                await client.jobs.start(_request())
            seen: list[JobStatus | None] = []
            job = await client.jobs.wait("visit-1", poll_interval=0.0, progress=lambda j: seen.append(j.status))
            assert seen == [JobStatus.QUEUED, JobStatus.IN_PROGRESS, JobStatus.COMPLETED]
            location = expected_output_location("visit-1", OUTPUT_BUCKET)
            await client.acall("s3", "put_object", Bucket=location.bucket, Key=location.key, Body=golden("plain.json"))
            transcript = await client.jobs.transcript(job)
            assert transcript.text.startswith("Good morning")
            names = [summary.name async for summary in client.jobs.list(page_size=1)]
            assert names == ["visit-1"]
            await client.jobs.delete("visit-1")
            with pytest.raises(NotFoundError):
                await client.jobs.get("visit-1")

    asyncio.run(scenario())


def test_async_list_paginates(moto_aws: None) -> None:
    async def scenario() -> list[str]:
        async with AsyncTranscribeMedical(config=fast_config()) as client:
            for index in range(12):
                await client.jobs.start(_request(f"job-{index:02d}"))
            return [summary.name async for summary in client.jobs.list(page_size=5)]

    assert asyncio.run(scenario()) == [f"job-{i:02d}" for i in range(12)]


def test_async_refuses_bad_input_before_sending(moto_aws: None) -> None:
    async def scenario() -> None:
        async with AsyncTranscribeMedical(config=fast_config()) as client:
            with pytest.raises(ValidationError):
                client.jobs.list(status="nope")
            with pytest.raises(ValidationError):
                await client.jobs.get("bad name")
            with pytest.raises(UnsupportedSpecialtyError):
                await client.jobs.transcribe_file("x.wav", bucket=MEDIA_BUCKET, specialty="CARDIOLOGY")

    asyncio.run(scenario())


def test_async_transcribe_file(moto_aws: None, tmp_path: Path) -> None:
    audio = tmp_path / "visit.flac"
    audio.write_bytes(b"fLaC")

    async def scenario() -> str:
        async with AsyncTranscribeMedical(config=fast_config()) as client:
            await _buckets(client)

            def progress(job: object) -> None:
                name = getattr(job, "name")  # noqa: B009 - the job model
                location = expected_output_location(name, MEDIA_BUCKET)
                client.boto3_client("s3").put_object(
                    Bucket=location.bucket, Key=location.key, Body=golden("plain.json")
                )

            transcript = await client.jobs.transcribe_file(
                audio, bucket=MEDIA_BUCKET, job_name="visit-flac", poll_interval=0.0, progress=progress
            )
            job = await client.jobs.get("visit-flac")
            assert job.media_format == "flac"
            return transcript.text

    assert asyncio.run(scenario()).startswith("Good morning")


def test_async_vocabulary_round_trip(moto_aws: None) -> None:
    async def scenario() -> None:
        async with AsyncTranscribeMedical(config=fast_config()) as client:
            await _buckets(client)
            await client.vocabularies.create("cardio", ["atrial fibrillation"], bucket=MEDIA_BUCKET)
            ready = await client.vocabularies.wait("cardio", poll_interval=0.0)
            assert ready.state is VocabularyState.READY
            assert [v.name async for v in client.vocabularies.list()] == ["cardio"]
            await client.vocabularies.delete("cardio")
            with pytest.raises(NotFoundError):
                await client.vocabularies.get("cardio")

    asyncio.run(scenario())
