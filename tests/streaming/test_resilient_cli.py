"""``stream --no-reconnect`` and the one-line reconnect note on stderr, against the emulator."""

from __future__ import annotations

import wave
from collections.abc import Iterator
from pathlib import Path

import pytest

from streaming.resilient_support import ToneRecognizer, spoken
from transcribe_medical.cli import main
from transcribe_medical.local import FaultPlan, LocalTranscribeMedical


@pytest.fixture
def emu(monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalTranscribeMedical]:
    with LocalTranscribeMedical(batch=False, recognizer=ToneRecognizer()) as running:
        for name, value in running.environment().items():
            monkeypatch.setenv(name, value)
        yield running


@pytest.fixture
def raw_audio(tmp_path: Path) -> Path:
    path = tmp_path / "dictation.wav"
    with wave.open(str(path), "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(16000)
        writer.writeframes(spoken(9))
    return path


def _stream(raw_audio: Path, *options: str) -> int:
    return main(["stream", str(raw_audio), "--no-realtime", *options])


def test_a_reconnect_is_noted_on_stderr_and_the_transcript_is_whole(
    emu: LocalTranscribeMedical, raw_audio: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _stream(raw_audio) == 0
    clean = capsys.readouterr().out
    emu.faults = FaultPlan(drop_after_frames=20, streams=1)
    assert _stream(raw_audio) == 0
    captured = capsys.readouterr()
    assert captured.out == clean
    notes = [line for line in captured.err.splitlines() if "reconnected after" in line]
    assert len(notes) == 1 and "connection lost" in notes[0]
    assert "X-Amz" not in captured.err and "chest" not in captured.err.lower()


def test_no_reconnect_fails_on_the_first_drop(
    emu: LocalTranscribeMedical, raw_audio: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    emu.faults = FaultPlan(drop_after_frames=20, streams=1)
    assert _stream(raw_audio, "--no-reconnect") == 5
    assert "reconnected" not in capsys.readouterr().err
    assert emu.streaming.streams_served == 1
