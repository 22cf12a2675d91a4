"""``transcribe-medical scribe mic``: a fake ``sounddevice`` plays the bundled visit into the emulator.

The first Ctrl-C stops the recording; the session is ended with END_OF_SESSION, its note fetched
and printed, and the command exits 130 as ``mic`` does. Device problems are bad input (exit 2, one
line) found before any connection, through the same check and options as ``mic``.
"""

from __future__ import annotations

import re
import signal
import sys
import threading
import wave
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from cli.fake_sounddevice import PortAudioError, fake_sounddevice
from transcribe_medical.cli import main
from transcribe_medical.local import LocalTranscribeMedical

VISIT = Path(__file__).resolve().parents[3] / "src" / "transcribe_medical" / "local" / "data" / "sample_visit.wav"
ROLE_ARN = "arn:aws:iam::123456789012:role/HealthScribeAccess"
_NO_CONNECTION = "http://127.0.0.1:9"  # the discard port: a test that connects here fails loudly


class VisitInputStream:
    """A ``sounddevice.RawInputStream`` that records the bundled visit, then silence.

    After ``interrupt_after`` seconds of audio it presses Ctrl-C once (SIGINT to this process),
    as a user ending the visit would.
    """

    def __init__(self, interrupt_after: float | None, **kwargs: Any) -> None:
        self.kwargs = kwargs
        with wave.open(str(VISIT)) as wav:
            self.rate, self.channels = wav.getframerate(), wav.getnchannels()
            self.pcm = wav.readframes(wav.getnframes())
        assert kwargs["samplerate"] == self.rate and kwargs["channels"] == self.channels
        self.position = 0
        self.interrupt_at = None if interrupt_after is None else int(interrupt_after * self.rate) * self.channels * 2
        self.interrupted = threading.Event()

    def start(self) -> None:
        """Start capturing (nothing to do)."""

    def stop(self) -> None:
        """Stop capturing (nothing to do)."""

    def close(self) -> None:
        """Release the device (nothing to do)."""

    def read(self, frames: int) -> tuple[bytes, bool]:
        """The next ``frames`` frames of the visit (silence after its end)."""
        size = frames * self.channels * 2
        data = self.pcm[self.position : self.position + size]
        self.position += size
        if self.interrupt_at is not None and self.position >= self.interrupt_at and not self.interrupted.is_set():
            self.interrupted.set()
            signal.raise_signal(signal.SIGINT)  # handled in the main thread: the first Ctrl-C
        return data + bytes(size - len(data)), False


def _visit_device(monkeypatch: pytest.MonkeyPatch, interrupt_after: float | None) -> list[VisitInputStream]:
    module = fake_sounddevice()
    opened: list[VisitInputStream] = []

    def raw_input_stream(**kwargs: Any) -> VisitInputStream:
        stream = VisitInputStream(interrupt_after, **kwargs)
        opened.append(stream)
        return stream

    module.RawInputStream = raw_input_stream  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "sounddevice", module)
    return opened


@pytest.fixture(scope="module")
def emulator() -> Iterator[LocalTranscribeMedical]:
    with LocalTranscribeMedical() as running:
        running.create_bucket("visits")
        yield running


@pytest.fixture
def emu(emulator: LocalTranscribeMedical, monkeypatch: pytest.MonkeyPatch) -> LocalTranscribeMedical:
    for name, value in emulator.environment().items():
        monkeypatch.setenv(name, value)
    return emulator


def _argv(*extra: str) -> list[str]:
    return [
        "scribe",
        "mic",
        "--role-arn",
        ROLE_ARN,
        "--output-bucket",
        "visits",
        "--channel-roles",
        "0=CLINICIAN,1=PATIENT",
        "--poll-interval",
        "0.1",
        *extra,
    ]


def test_ctrl_c_ends_the_session_and_prints_its_note(
    emu: LocalTranscribeMedical, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    opened = _visit_device(monkeypatch, interrupt_after=12.0)
    code = main(_argv())
    captured = capsys.readouterr()
    assert code == 130, captured.err
    assert opened and opened[0].interrupted.is_set()
    found = re.search(r"HealthScribe session ([0-9a-f-]{36})", captured.err)
    assert found, captured.err
    # Live segments while recording, with the participants' roles.
    assert "[CLINICIAN_0] " in captured.err and "[PATIENT_0] " in captured.err
    assert captured.err.rstrip().splitlines()[-1] == (
        f"transcribe-medical: interrupted; HealthScribe session {found.group(1)} was ended, its note written"
    )
    # The note, in Markdown, on stdout.
    assert captured.out.startswith("#") and "emulated" in captured.out.lower()
    server = emu.scribe_streams.sessions.get(found.group(1))
    assert server is not None and server.status == "COMPLETED"  # END_OF_SESSION reached it
    assert server.analytics is not None and server.analytics["Status"] == "COMPLETED"


def test_max_seconds_ends_the_recording_without_ctrl_c(
    emu: LocalTranscribeMedical, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    _visit_device(monkeypatch, interrupt_after=None)
    target = tmp_path / "note.json"
    code = main(_argv("--max-seconds", "8", "--format", "json", "-o", str(target)))
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert target.stat().st_mode & 0o777 == 0o600
    assert '"sections"' in target.read_text() or '"Sections"' in target.read_text()
    assert "interrupted" not in captured.err


def test_list_devices_needs_no_session_settings(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "sounddevice", fake_sounddevice())
    assert main(["scribe", "mic", "--list-devices"]) == 0
    out = capsys.readouterr().out
    assert "*   0  Built-in Microphone" in out and "USB Headset Mic" in out


def test_no_input_device_exits_2_with_one_line_before_connecting(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    refused: ModuleType = fake_sounddevice(default_input=-1, refuse=PortAudioError("Error querying device -1"))
    monkeypatch.setitem(sys.modules, "sounddevice", refused)
    code = main(_argv("--streaming-endpoint-url", _NO_CONNECTION))
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "the default input device cannot be used" in err
    assert refused.checked == [{"device": None, "channels": 2, "dtype": "int16", "samplerate": 16000}]  # type: ignore[attr-defined]


def test_recording_needs_a_role(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(sys.modules, "sounddevice", fake_sounddevice())
    assert main(["scribe", "mic", "--output-bucket", "visits", "--streaming-endpoint-url", _NO_CONNECTION]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--role-arn" in err
