"""``transcribe-medical stream`` and ``mic`` against the scripted streaming service on 127.0.0.1."""

from __future__ import annotations

import io
import json
import os
import socket
import stat
import sys
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cli.fake_sounddevice import fake_sounddevice
from streaming.fake_service import FakeTranscribeStreaming, load_sequence
from transcribe_medical.cli import main

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "audio"
SAMPLE = FIXTURES / "mono_16k.wav"
STEREO = FIXTURES / "stereo_16k.wav"
PHI_SEQUENCE = load_sequence("conversation_speakers_phi")


@pytest.fixture
def service() -> Iterator[FakeTranscribeStreaming]:
    fake = FakeTranscribeStreaming({os.environ["AWS_ACCESS_KEY_ID"]: os.environ["AWS_SECRET_ACCESS_KEY"]})
    fake.events = [event["payload"] for event in PHI_SEQUENCE["events"]]
    fake.start()
    yield fake
    fake.stop()


def _run(service: FakeTranscribeStreaming, *args: str) -> int:
    return main(["stream", *args, "--endpoint-url", service.url, "--no-realtime"])


def _one_line(err: str) -> str:
    assert err.count("\n") == 1, err
    assert "Traceback" not in err
    return err


def test_stream_a_wav_file_prints_the_final_text(
    service: FakeTranscribeStreaming, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "stream",
            str(SAMPLE),
            "--specialty",
            "CARDIOLOGY",
            "--type",
            "DICTATION",
            "--endpoint-url",
            service.url,
            "--no-realtime",
        ]
    )
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "Good morning, Mr. Alvarez." in captured.out
    assert "Only when I climb stairs." in captured.out
    assert "Good morning Mr Alvarez\n" not in captured.out  # partials never printed as text
    assert service.last.query["specialty"] == "CARDIOLOGY"
    assert service.last.query["type"] == "DICTATION"
    assert service.last.query["media-encoding"] == "pcm" and service.last.query["sample-rate"] == "16000"
    with wave.open(str(SAMPLE), "rb") as wav:
        assert service.last.audio_bytes == wav.readframes(wav.getnframes())
    assert service.last.got_end
    assert captured.err == ""  # not a terminal: no notice, no partials


def test_all_the_stream_options_reach_the_query(
    service: FakeTranscribeStreaming, capsys: pytest.CaptureFixture[str]
) -> None:
    code = _run(
        service,
        str(SAMPLE),
        "--specialty",
        "pediatrics",
        "--type",
        "conversation",
        "--speaker-labels",
        "--content-identification",
        "PHI",
        "--vocabulary-name",
        "cardio_terms.v2",
        "--sample-rate",
        "16000",
        "--media-encoding",
        "pcm",
        "--partials",
    )
    assert code == 0, capsys.readouterr().err
    query = service.last.query
    assert query["specialty"] == "PRIMARYCARE" and query["type"] == "CONVERSATION"
    assert query["show-speaker-label"] == "true"
    assert query["content-identification-type"] == "PHI"
    assert query["vocabulary-name"] == "cardio_terms.v2"


@pytest.mark.parametrize("fmt", ["json", "jsonl", "srt", "vtt"])
def test_formats(service: FakeTranscribeStreaming, capsys: pytest.CaptureFixture[str], fmt: str) -> None:
    assert _run(service, str(SAMPLE), "--format", fmt) == 0
    out = capsys.readouterr().out
    assert "Alvarez" in out
    if fmt == "json":
        json.loads(out)
    if fmt == "jsonl":
        assert all(json.loads(line) for line in out.splitlines())
    if fmt == "vtt":
        assert out.startswith("WEBVTT")


def test_output_file_is_private(
    service: FakeTranscribeStreaming, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    target = tmp_path / "visit.json"
    assert _run(service, str(SAMPLE), "--format", "json", "-o", str(target)) == 0
    assert capsys.readouterr().out == ""
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert "Alvarez" in target.read_text()


def test_min_confidence_marks_words_for_review(
    service: FakeTranscribeStreaming, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(service, str(SAMPLE), "--min-confidence", "0.96") == 0
    captured = capsys.readouterr()
    assert "[[Alvarez]]" in captured.out
    assert "flagged for review" in captured.err


def test_raw_pcm_on_stdin(
    service: FakeTranscribeStreaming, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    pcm = bytes(range(256)) * 50
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(pcm)))
    assert _run(service, "-", "--sample-rate", "16000") == 0, capsys.readouterr().err
    assert service.last.audio_bytes == pcm


def test_bad_specialty_exits_2_before_connecting(
    service: FakeTranscribeStreaming, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(service, str(SAMPLE), "--specialty", "DERMATOLOGY") == 2
    err = _one_line(capsys.readouterr().err)
    assert "DERMATOLOGY" in err and "CARDIOLOGY" in err
    assert service.connections == []


def test_radiology_conversation_exits_2(service: FakeTranscribeStreaming, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(service, str(SAMPLE), "--specialty", "RADIOLOGY", "--type", "CONVERSATION") == 2
    assert "DICTATION only" in _one_line(capsys.readouterr().err)


def test_stereo_without_channel_identification_exits_2_with_the_hint(
    service: FakeTranscribeStreaming, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(service, str(STEREO)) == 2
    assert "--channel-identification" in _one_line(capsys.readouterr().err)
    assert service.connections == []


def test_unknown_format_exits_2(service: FakeTranscribeStreaming, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(service, str(SAMPLE), "--format", "docx") == 2
    assert "docx" in _one_line(capsys.readouterr().err)


def test_not_an_audio_file_exits_2(
    service: FakeTranscribeStreaming, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    text = tmp_path / "notes.wav"
    text.write_text("this is not audio\n" * 20)
    assert _run(service, str(text)) == 2
    _one_line(capsys.readouterr().err)


def test_refused_signature_exits_4(
    service: FakeTranscribeStreaming, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wrong-secret")
    assert _run(service, str(SAMPLE)) == 4
    err = _one_line(capsys.readouterr().err)
    assert "403" in err and "clock" in err


def test_no_credentials_exits_4(
    service: FakeTranscribeStreaming, capsys: pytest.CaptureFixture[str], no_credentials: None
) -> None:
    assert _run(service, str(SAMPLE)) == 4
    _one_line(capsys.readouterr().err)


def test_bad_request_frame_exits_3(service: FakeTranscribeStreaming, capsys: pytest.CaptureFixture[str]) -> None:
    service.exception = "BadRequestException"
    assert _run(service, str(SAMPLE)) == 3
    assert "BadRequestException" in _one_line(capsys.readouterr().err)


def test_connection_refused_exits_5(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    attempts: list[str] = []

    def once(policy: object, operation: str, func: Any) -> Any:
        # One attempt: the default policy would back off and retry a refused connection.
        attempts.append(operation)
        return func()

    monkeypatch.setattr("transcribe_medical.streaming.sync.client.call_with_retries", once)
    code = main(["stream", str(SAMPLE), "--endpoint-url", f"ws://127.0.0.1:{port}", "--no-realtime"])
    assert code == 5
    assert f"127.0.0.1:{port}" in _one_line(capsys.readouterr().err)
    assert attempts == ["StartMedicalStreamTranscriptionWebSocket"]


def test_plain_ws_to_a_remote_host_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["stream", str(SAMPLE), "--endpoint-url", "ws://example.com:8443"]) == 2
    assert "loopback" in _one_line(capsys.readouterr().err)


def test_mic_streams_the_default_input(
    service: FakeTranscribeStreaming, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "sounddevice", fake_sounddevice())
    code = main(["mic", "--max-seconds", "0.5", "--specialty", "NEUROLOGY", "--endpoint-url", service.url])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "Alvarez" in captured.out
    assert service.last.query["specialty"] == "NEUROLOGY"
    assert len(service.last.audio_bytes) == 16000  # 0.5 s of 16 kHz mono PCM16


def test_allow_gaps_changes_nothing_when_no_audio_was_lost(
    service: FakeTranscribeStreaming, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(service, str(SAMPLE), "--allow-gaps", "--format", "json") == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    document = json.loads(captured.out)
    assert document["gaps"] == [] and document["incomplete"] is False
