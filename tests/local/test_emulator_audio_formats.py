"""Every encoding the SDK sends, and every batch format AWS accepts, through the SDK and the whole emulator.

The audio is the bundled dictation encoded at test time by :mod:`local.audio_encodings`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from local.audio_encodings import dictation, encode, with_opus_input_rate
from local.emulator_support import SCRIPT
from transcribe_medical import ClientConfig, RetryPolicy, ScribeStreamConfig
from transcribe_medical._exceptions import BadRequestError
from transcribe_medical.batch._errors import JobFailedError
from transcribe_medical.local import LocalTranscribeMedical, ScriptedRecognizer
from transcribe_medical.models.stream import StreamConfig
from transcribe_medical.streaming.audio import open_audio

NO_RETRY = ClientConfig(retry=RetryPolicy(max_attempts=1))
FIRST_WORDS = " ".join(SCRIPT.split()[:3])


@pytest.fixture(scope="module")
def emu() -> Iterator[LocalTranscribeMedical]:
    with LocalTranscribeMedical(recognizer=ScriptedRecognizer(SCRIPT)) as running:
        yield running


@pytest.fixture(scope="module")
def speech() -> tuple[bytes, int]:
    return dictation(3.0)


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


# ---------------------------------------------------------------- streaming: FLAC and Ogg-Opus


@pytest.mark.parametrize(
    ("name", "rate_in_header", "expected_rate"),
    [("flac", None, 16000), ("opus", None, 16000), ("opus", 44100, 44100)],
    ids=["flac", "opus-16k", "opus-44.1k-input"],
)
def test_compressed_files_stream_with_the_rate_read_from_their_header(
    emu: LocalTranscribeMedical,
    speech: tuple[bytes, int],
    tmp_path: Path,
    name: str,
    rate_in_header: int | None,
    expected_rate: int,
) -> None:
    # `transcribe-medical stream x16.ogg` with no --sample-rate: the SDK declares what the
    # header says (OpusHead's input rate, not Opus's 48 kHz) and the emulator agrees.
    pcm, rate = speech
    data = encode(name, pcm, rate)
    if rate_in_header is not None:
        data = with_opus_input_rate(data, rate_in_header)
    path = _write(tmp_path, f"x16.{'flac' if name == 'flac' else 'ogg'}", data)
    with emu.client(config=NO_RETRY) as client:
        run = client.streaming.transcribe(path, StreamConfig(), realtime=False)
        events = list(run)
    assert events
    assert run.transcript.text.startswith(FIRST_WORDS)
    assert run.transcript.text.endswith("chest pain.")
    assert run.session_id  # a whole session, not refused
    declared = open_audio(path).format
    assert declared is not None and declared.sample_rate == expected_rate


def test_an_opus_stream_declared_at_48k_is_refused_as_aws_does(
    emu: LocalTranscribeMedical, speech: tuple[bytes, int]
) -> None:
    # Bytes without a file name give the SDK nothing to check: the service side refuses.
    pcm, rate = speech
    data = encode("opus", pcm, rate)
    wrong = StreamConfig(media_encoding="ogg-opus", sample_rate=48000)
    with emu.client(config=NO_RETRY) as client, pytest.raises(BadRequestError) as caught:
        list(client.streaming.transcribe(iter([data]), wrong, realtime=False, reconnect=False))
    assert "The sample rate provided (48000) does not match the detected sample rate (16000)" in str(caught.value)


def test_flac_declared_as_ogg_opus_is_refused(emu: LocalTranscribeMedical, speech: tuple[bytes, int]) -> None:
    pcm, rate = speech
    wrong = StreamConfig(media_encoding="ogg-opus", sample_rate=16000)
    with emu.client(config=NO_RETRY) as client, pytest.raises(BadRequestError, match=r"does not match.*\(flac\)"):
        list(client.streaming.transcribe(iter([encode("flac", pcm, rate)]), wrong, realtime=False, reconnect=False))


# ---------------------------------------------------------------- batch: every format AWS accepts


@pytest.mark.parametrize(
    ("encoding", "file_name", "media_format"),
    [
        ("mp3", "visit.mp3", "mp3"),
        ("flac", "visit.flac", "flac"),
        ("opus", "visit.ogg", "ogg"),
        ("vorbis", "visit.ogg", "ogg"),
        ("wav24", "visit.wav", "wav"),
        ("wavfloat", "visit.wav", "wav"),
    ],
)
def test_batch_jobs_transcribe_every_format_decodable_here(
    emu: LocalTranscribeMedical,
    speech: tuple[bytes, int],
    tmp_path: Path,
    encoding: str,
    file_name: str,
    media_format: str,
) -> None:
    pcm, rate = speech
    path = _write(tmp_path, file_name, encode(encoding, pcm, rate))
    bucket = emu.create_bucket()
    with emu.client(config=NO_RETRY) as client:
        transcript = client.jobs.transcribe_file(path, bucket=bucket, poll_interval=0.05, job_name=f"fmt-{encoding}")
        job = client.jobs.get(f"fmt-{encoding}")
    assert transcript.text.startswith(FIRST_WORDS)
    assert job.status is not None and job.status.value == "COMPLETED"
    assert job.media_format == media_format and job.sample_rate == 16000


@pytest.mark.parametrize(
    ("file_name", "data", "named"),
    [
        ("visit.mp4", b"\x00\x00\x00\x20ftypisom" + bytes(2000), "MP4 (AAC)"),
        ("visit.m4a", b"\x00\x00\x00\x20ftypM4A " + bytes(2000), "M4A (AAC)"),
        ("visit.webm", b"\x1aE\xdf\xa3" + bytes(2000), "WebM"),
        ("visit.amr", b"#!AMR\n" + bytes(2000), "AMR"),
    ],
)
def test_batch_formats_no_package_here_decodes_fail_the_job_by_name(
    emu: LocalTranscribeMedical, tmp_path: Path, file_name: str, data: bytes, named: str
) -> None:
    bucket = emu.create_bucket()
    with emu.client(config=NO_RETRY) as client, pytest.raises(JobFailedError) as caught:
        client.jobs.transcribe_file(_write(tmp_path, file_name, data), bucket=bucket, poll_interval=0.05)
    reason = caught.value.failure_reason or ""
    assert reason.startswith("Unsupported media format: ")
    assert f"cannot decode {named} audio (AWS can)" in reason


# ---------------------------------------------------------------- HealthScribe streaming: FLAC and Ogg-Opus


def _scribe_config(**options: object) -> ScribeStreamConfig:
    return ScribeStreamConfig(
        role_arn="arn:aws:iam::123456789012:role/HealthScribeAccess", output_bucket="scribe-notes", **options
    )


@pytest.mark.parametrize("name", ["flac", "opus"])
def test_healthscribe_streams_compressed_files_too(
    emu: LocalTranscribeMedical, speech: tuple[bytes, int], tmp_path: Path, name: str
) -> None:
    pcm, rate = speech
    path = _write(tmp_path, f"visit.{'flac' if name == 'flac' else 'ogg'}", encode(name, pcm, rate))
    emu.create_bucket("scribe-notes")
    with emu.client(config=NO_RETRY) as client:
        run = client.scribe.streaming.transcribe(path, _scribe_config(), realtime=False)
        finals = [event.segment for event in run if not event.is_partial]
        described = client.scribe.streaming.get(run.session_id)
    assert finals and finals[0].text.startswith(FIRST_WORDS) and finals[-1].text.endswith("chest pain.")
    assert described.stream_status == "COMPLETED"
    assert described.media_encoding == ("flac" if name == "flac" else "ogg-opus")
    assert described.sample_rate == 16000


def test_healthscribe_refuses_opus_declared_at_another_rate(
    emu: LocalTranscribeMedical, speech: tuple[bytes, int]
) -> None:
    pcm, rate = speech
    config = _scribe_config(sample_rate=48000, media_encoding="ogg-opus")
    with emu.client(config=NO_RETRY) as client, pytest.raises(BadRequestError) as caught:
        list(client.scribe.streaming.transcribe(iter([encode("opus", pcm, rate)]), config, realtime=False))
    assert "The sample rate provided (48000) does not match the detected sample rate (16000)" in str(caught.value)
