"""The SDK's own clients (streaming sync + asyncio, batch facade) against the whole emulator."""

from __future__ import annotations

import asyncio
import io
import json
import struct
import wave
from collections.abc import Iterator
from pathlib import Path

import pytest

from local.emulator_support import SCRIPT
from transcribe_medical import ClientConfig, RetryPolicy
from transcribe_medical._exceptions import LimitExceededError, ServiceUnavailableError
from transcribe_medical.batch._errors import JobFailedError
from transcribe_medical.local import FaultPlan, LocalTranscribeMedical, ScriptedRecognizer
from transcribe_medical.models.batch import JobSettings, StartJobRequest
from transcribe_medical.models.batch_output import parse_batch_output
from transcribe_medical.models.stream import StreamConfig

AUDIO = Path(__file__).resolve().parents[1] / "fixtures" / "audio"
NO_RETRY = ClientConfig(retry=RetryPolicy(max_attempts=1))


@pytest.fixture(scope="module")
def emu() -> Iterator[LocalTranscribeMedical]:
    with LocalTranscribeMedical(recognizer=ScriptedRecognizer(SCRIPT, confidences=[0.95, 0.6])) as running:
        yield running


@pytest.fixture
def bucket(emu: LocalTranscribeMedical) -> str:
    return emu.create_bucket()


def _wav(rate: int = 16000, channels: int = 1, seconds: float = 1.0) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as writer:
        writer.setnchannels(channels)
        writer.setsampwidth(2)
        writer.setframerate(rate)
        writer.writeframes(struct.pack("<h", 1000) * int(rate * seconds) * channels)
    return out.getvalue()


# ---------------------------------------------------------------- streaming through the SDK


def test_sync_streaming_client_gets_the_scripted_transcript(emu: LocalTranscribeMedical) -> None:
    with emu.client(config=NO_RETRY) as client:
        transcript = client.streaming.transcribe_file(AUDIO / "mono_16k.wav", StreamConfig(), realtime=False)
    assert transcript.text.startswith("Good morning mister Alvarez")
    assert transcript.text.endswith("chest pain.")
    assert [flag.content for flag in transcript.review(0.9)][:1] == ["morning"]


def test_async_streaming_client_with_speaker_labels(emu: LocalTranscribeMedical) -> None:
    async def run() -> str:
        async with emu.async_client(config=NO_RETRY) as client:
            config = StreamConfig(type="CONVERSATION", show_speaker_labels=True)
            transcript = await client.streaming.transcribe_file(AUDIO / "mono_16k.wav", config, realtime=False)
            return transcript.segments[0].speaker or ""

    assert asyncio.run(run()) == "spk_0"


def test_channel_identification_through_the_client(emu: LocalTranscribeMedical) -> None:
    with emu.client(config=NO_RETRY) as client:
        config = StreamConfig(type="CONVERSATION", channel_identification=True)
        transcript = client.streaming.transcribe_file(AUDIO / "stereo_16k.wav", config, realtime=False)
    assert {segment.channel for segment in transcript.segments} == {"ch_0", "ch_1"}


def test_concurrency_limit_reaches_the_client_as_limit_exceeded() -> None:
    emulator = LocalTranscribeMedical(batch=False, max_concurrent_streams=1, recognizer=ScriptedRecognizer(SCRIPT))
    config = StreamConfig(media_encoding="pcm", sample_rate=16000)
    with emulator as emu, emu.client(config=NO_RETRY) as client, client.streaming.connect(config) as first:
        first.send_audio(bytes(3200))
        with pytest.raises(LimitExceededError):
            client.streaming.transcribe_file(AUDIO / "mono_16k.wav", StreamConfig(), realtime=False)
        first.end()
        assert list(first)


def test_injected_exception_reaches_the_client(emu: LocalTranscribeMedical) -> None:
    emu.faults = FaultPlan(exception="ServiceUnavailableException", streams=1)
    try:
        with emu.client(config=NO_RETRY) as client, pytest.raises(ServiceUnavailableError):
            client.streaming.transcribe_file(AUDIO / "mono_16k.wav", StreamConfig(), realtime=False)
    finally:
        emu.faults = None


def test_environment_points_the_sdk_at_the_emulator(
    emu: LocalTranscribeMedical, monkeypatch: pytest.MonkeyPatch
) -> None:
    from transcribe_medical import TranscribeMedical

    for name, value in emu.environment().items():
        monkeypatch.setenv(name, value)
    with TranscribeMedical(config=NO_RETRY) as client:
        transcript = client.streaming.transcribe_file(AUDIO / "mono_16k.wav", StreamConfig(), realtime=False)
    assert transcript.text


# ---------------------------------------------------------------- batch through the SDK


def test_batch_job_output_parses_into_the_same_transcript_as_streaming(
    emu: LocalTranscribeMedical, bucket: str
) -> None:
    with emu.client(config=NO_RETRY) as client:
        batch = client.jobs.transcribe_file(AUDIO / "mono_16k.wav", bucket=bucket, poll_interval=0.05)
        streamed = client.streaming.transcribe_file(AUDIO / "mono_16k.wav", StreamConfig(), realtime=False)
        job = client.jobs.get(batch.job_name or "")
    assert batch.text == streamed.text
    assert job.status is not None and job.status.value == "COMPLETED"
    assert job.sample_rate == 16000 and job.media_format == "wav"
    assert job.transcript_uri == f"https://s3.us-east-1.amazonaws.com/{bucket}/medical/{job.name}.json"


@pytest.mark.parametrize(
    ("output_key", "expected"),
    [("notes/visit.json", "notes/visit.json"), ("notes/", "notes/{job}.json"), ("notes/x", "notes/x/{job}.json")],
)
def test_output_key_rules(emu: LocalTranscribeMedical, bucket: str, output_key: str, expected: str) -> None:
    s3 = emu.boto3_client("s3")
    s3.put_object(Bucket=bucket, Key="in/visit.wav", Body=_wav())
    with emu.client(config=NO_RETRY) as client:
        name = f"key-{abs(hash(output_key))}"
        client.jobs.start(
            StartJobRequest(
                job_name=name, media_uri=f"s3://{bucket}/in/visit.wav", output_bucket=bucket, output_key=output_key
            )
        )
        client.jobs.wait(name, poll_interval=0.05)
    body = s3.get_object(Bucket=bucket, Key=expected.format(job=name))["Body"].read()
    assert parse_batch_output(body).text


def test_batch_output_sections_match_aws_shapes(emu: LocalTranscribeMedical, bucket: str) -> None:
    s3 = emu.boto3_client("s3")
    s3.put_object(Bucket=bucket, Key="stereo.wav", Body=(AUDIO / "stereo_16k.wav").read_bytes())
    s3.put_object(Bucket=bucket, Key="mono.wav", Body=(AUDIO / "mono_16k.wav").read_bytes())
    jobs = {
        "speakers": ("mono.wav", JobSettings(show_speaker_labels=True, max_speakers=2), None, "CONVERSATION"),
        "channels": ("stereo.wav", JobSettings(channel_identification=True), None, "CONVERSATION"),
        "alternatives": ("mono.wav", JobSettings(show_alternatives=True, max_alternatives=2), None, "DICTATION"),
        "phi": ("mono.wav", None, "PHI", "DICTATION"),
    }
    with emu.client(config=NO_RETRY) as client:
        for name, (key, settings, content, kind) in jobs.items():
            client.jobs.start(
                StartJobRequest(
                    job_name=f"shape-{name}",
                    media_uri=f"s3://{bucket}/{key}",
                    output_bucket=bucket,
                    settings=settings,
                    type=kind,
                    content_identification=content,
                )
            )
        files = {}
        for name in jobs:
            client.jobs.wait(f"shape-{name}", poll_interval=0.05)
            raw = s3.get_object(Bucket=bucket, Key=f"medical/shape-{name}.json")["Body"].read()
            files[name] = json.loads(raw)
            assert parse_batch_output(raw).text
    for data in files.values():
        assert data["status"] == "COMPLETED" and data["accountId"]
        for item in data["results"]["items"]:
            assert isinstance(item["alternatives"][0]["confidence"], str)
            if item["type"] == "punctuation":
                assert "start_time" not in item and item["alternatives"][0]["confidence"] == "0.0"
            else:
                assert isinstance(item["start_time"], str) and isinstance(item["end_time"], str)
    labels = files["speakers"]["results"]["speaker_labels"]
    assert labels["speakers"] >= 1 and labels["segments"][0]["speaker_label"].startswith("spk_")
    channels = files["channels"]["results"]["channel_labels"]
    assert channels["number_of_channels"] == 2
    assert [c["channel_label"] for c in channels["channels"]] == ["ch_0", "ch_1"]
    segment = files["alternatives"]["results"]["segments"][0]
    assert segment["alternatives"][0]["items"][0]["content"] == "Good"
    entities = files["phi"]["results"]["entities"]
    assert {"category": "PHI", "content": "mister Alvarez"}.items() <= next(
        e for e in entities if e["content"] == "mister Alvarez"
    ).items()
    assert isinstance(entities[0]["startTime"], float)


@pytest.mark.parametrize(
    ("body", "request_options", "reason"),
    [
        (None, {}, "can't be accessed"),
        (b"ID3\x04\x00\x00\x00\x00\x00\x00" + bytes(2000), {}, "Unsupported media format"),
        (b"this is not audio at all", {}, "Unsupported media format"),
        (_wav(rate=8000), {}, "Invalid sample rate for audio file"),
        (_wav(rate=16000), {"sample_rate": 44100}, "The sample rate provided does not match the detected sample rate"),
        (_wav(rate=16000), {"media_format": "flac"}, "does not match the detected media format"),
        (_wav(channels=3), {}, "Invalid number of channels"),
    ],
    ids=["missing", "mp3", "garbage", "8khz", "rate-mismatch", "format-mismatch", "3-channels"],
)
def test_failed_jobs_carry_a_failure_reason(
    emu: LocalTranscribeMedical, bucket: str, body: bytes | None, request_options: dict[str, object], reason: str
) -> None:
    if body is not None:
        emu.boto3_client("s3").put_object(Bucket=bucket, Key="media/input.wav", Body=body)
    name = f"fail-{abs(hash((body, tuple(request_options))))}"
    with emu.client(config=NO_RETRY) as client:
        client.jobs.start(
            StartJobRequest(
                job_name=name, media_uri=f"s3://{bucket}/media/input.wav", output_bucket=bucket, **request_options
            )
        )  # type: ignore[arg-type]
        job = client.jobs.wait(name, poll_interval=0.05)
        listed = [s for s in client.jobs.list(status="FAILED") if s.name == name]
        with pytest.raises(JobFailedError) as caught:
            client.jobs.transcript(job)
    assert job.status is not None and job.status.value == "FAILED"
    assert reason in (job.failure_reason or "")
    assert listed
    assert reason in (caught.value.failure_reason or "")


def test_start_refuses_what_the_service_refuses(emu: LocalTranscribeMedical, bucket: str) -> None:
    transcribe = emu.boto3_client("transcribe")
    with pytest.raises(transcribe.exceptions.BadRequestException, match="ShowSpeakerLabels and ChannelIdentification"):
        transcribe.start_medical_transcription_job(
            MedicalTranscriptionJobName="both",
            LanguageCode="en-US",
            Media={"MediaFileUri": f"s3://{bucket}/x.wav"},
            OutputBucketName=bucket,
            Specialty="PRIMARYCARE",
            Type="CONVERSATION",
            Settings={"ShowSpeakerLabels": True, "MaxSpeakerLabels": 2, "ChannelIdentification": True},
        )
    with pytest.raises(transcribe.exceptions.BadRequestException, match="CARDIOLOGY"):
        transcribe.start_medical_transcription_job(
            MedicalTranscriptionJobName="cardio",
            LanguageCode="en-US",
            Media={"MediaFileUri": f"s3://{bucket}/x.wav"},
            OutputBucketName=bucket,
            Specialty="CARDIOLOGY",
            Type="DICTATION",
        )


def test_start_returns_a_status(emu: LocalTranscribeMedical, bucket: str) -> None:
    emu.boto3_client("s3").put_object(Bucket=bucket, Key="a.wav", Body=_wav())
    answer = emu.boto3_client("transcribe").start_medical_transcription_job(
        MedicalTranscriptionJobName="status-check",
        LanguageCode="en-US",
        Media={"MediaFileUri": f"s3://{bucket}/a.wav"},
        OutputBucketName=bucket,
        Specialty="PRIMARYCARE",
        Type="DICTATION",
    )
    assert answer["MedicalTranscriptionJob"]["TranscriptionJobStatus"] in ("QUEUED", "IN_PROGRESS")
    emu.wait_for_jobs(10)


def test_mock_aws_elsewhere_in_the_process_keeps_moto_s_own_behaviour(emu: LocalTranscribeMedical) -> None:
    import boto3
    from moto import mock_aws

    with mock_aws():
        transcribe = boto3.client("transcribe", region_name="us-east-1")
        transcribe.start_medical_transcription_job(
            MedicalTranscriptionJobName="untouched",
            LanguageCode="en-US",
            Media={"MediaFileUri": "s3://b/x.wav"},
            OutputBucketName="b",
            Specialty="PRIMARYCARE",
            Type="DICTATION",
        )
        statuses = [
            transcribe.get_medical_transcription_job(MedicalTranscriptionJobName="untouched")[
                "MedicalTranscriptionJob"
            ]["TranscriptionJobStatus"]
            for _ in range(3)
        ]
    assert statuses == ["QUEUED", "IN_PROGRESS", "COMPLETED"]
