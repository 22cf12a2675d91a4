"""``transcribe-medical stream -`` with a WAV on stdin, and ``stream x16.ogg``: the format comes from the header."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import wave
from collections.abc import Iterator
from pathlib import Path

import pytest

from local.audio_encodings import dictation, encode
from streaming.fake_service import FakeTranscribeStreaming, load_sequence
from transcribe_medical.cli import main

SAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "audio" / "mono_16k.wav"
STEREO = Path(__file__).resolve().parents[1] / "fixtures" / "audio" / "stereo_16k.wav"
# The CLI as a user runs it, in its own process, so that stdin is a real pipe.
CLI = [sys.executable, "-c", "import sys; from transcribe_medical.cli import main; sys.exit(main(sys.argv[1:]))"]


@pytest.fixture
def service() -> Iterator[FakeTranscribeStreaming]:
    fake = FakeTranscribeStreaming({os.environ["AWS_ACCESS_KEY_ID"]: os.environ["AWS_SECRET_ACCESS_KEY"]})
    fake.events = [event["payload"] for event in load_sequence("conversation_speakers_phi")["events"]]
    fake.start()
    yield fake
    fake.stop()


def _frames(path: Path) -> bytes:
    with wave.open(str(path), "rb") as reader:
        return reader.readframes(reader.getnframes())


def test_cat_a_wav_into_stream_dash_sends_its_audio_without_the_header(service: FakeTranscribeStreaming) -> None:
    # `cat mono_16k.wav | transcribe-medical stream -`, no --sample-rate.
    done = subprocess.run(
        [*CLI, "stream", "-", "--endpoint-url", service.url, "--no-realtime"],
        input=SAMPLE.read_bytes(),
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()
    assert "Good morning, Mr. Alvarez." in done.stdout.decode()
    assert service.last.query["media-encoding"] == "pcm"
    assert service.last.query["sample-rate"] == "16000"
    assert service.last.audio_bytes == _frames(SAMPLE)  # no RIFF header in the audio
    assert service.last.got_end


def test_a_stereo_wav_on_stdin_with_channel_identification(
    service: FakeTranscribeStreaming, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(STEREO.read_bytes())))
    code = main(["stream", "-", "--channel-identification", "--endpoint-url", service.url, "--no-realtime"])
    assert code == 0, capsys.readouterr().err
    assert service.last.query["number-of-channels"] == "2"
    assert service.last.query["sample-rate"] == "16000"
    assert service.last.audio_bytes == _frames(STEREO)


def test_raw_pcm_on_stdin_without_a_rate_exits_2_naming_the_option(
    service: FakeTranscribeStreaming, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(_frames(SAMPLE))))
    assert main(["stream", "-", "--endpoint-url", service.url, "--no-realtime"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "--sample-rate" in err and "no WAV, FLAC or Ogg-Opus header" in err
    assert not service.connections  # refused before connecting


def test_a_wav_on_stdin_whose_rate_contradicts_the_option_exits_2(
    service: FakeTranscribeStreaming, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(SAMPLE.read_bytes())))
    assert main(["stream", "-", "--sample-rate", "44100", "--endpoint-url", service.url, "--no-realtime"]) == 2
    err = capsys.readouterr().err
    assert "44100" in err and "stdin is sampled at 16000 Hz" in err and err.count("\n") == 1


def test_a_16k_ogg_opus_file_is_declared_at_16k(
    service: FakeTranscribeStreaming, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # `ffmpeg -i x16.wav -c:a libopus x16.ogg; transcribe-medical stream x16.ogg`: Opus decodes
    # at 48 kHz, but AWS expects the rate OpusHead records; with it given too, nothing is refused.
    pcm, rate = dictation(2.0)
    ogg = tmp_path / "x16.ogg"
    ogg.write_bytes(encode("opus", pcm, rate))
    for extra in ([], ["--sample-rate", "16000"]):
        assert main(["stream", str(ogg), *extra, "--endpoint-url", service.url, "--no-realtime"]) == 0, (
            capsys.readouterr().err
        )
        assert service.last.query["media-encoding"] == "ogg-opus"
        assert service.last.query["sample-rate"] == "16000"
        assert service.last.audio_bytes == ogg.read_bytes()
