"""``transcribe-medical mic``: input devices through a fake ``sounddevice`` (no sound card needed).

No device, an unknown ``--device``, or settings PortAudio refuses are bad input: exit 2 with one
line naming the device and saying how to list them, before any connection is made. ``--list-devices``
lists the input devices; ``--device ID|NAME`` picks one.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from types import ModuleType

import pytest

from cli.fake_sounddevice import PortAudioError, fake_sounddevice
from streaming.fake_service import FakeTranscribeStreaming, load_sequence
from transcribe_medical.cli import main

_NO_CONNECTION = "ws://127.0.0.1:9"  # the discard port: a test that connects here fails loudly


@pytest.fixture
def service() -> Iterator[FakeTranscribeStreaming]:
    fake = FakeTranscribeStreaming({os.environ["AWS_ACCESS_KEY_ID"]: os.environ["AWS_SECRET_ACCESS_KEY"]})
    fake.events = [event["payload"] for event in load_sequence("conversation_speakers_phi")["events"]]
    fake.start()
    yield fake
    fake.stop()


def _use(monkeypatch: pytest.MonkeyPatch, module: ModuleType) -> ModuleType:
    monkeypatch.setitem(sys.modules, "sounddevice", module)
    return module


def _one_line(err: str) -> str:
    assert err.count("\n") == 1, err
    assert "Traceback" not in err and "unexpected error" not in err
    return err


def test_no_input_device_exits_2_with_one_line_before_connecting(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _use(monkeypatch, fake_sounddevice(default_input=-1, refuse=PortAudioError("Error querying device -1")))
    code = main(["mic", "--endpoint-url", _NO_CONNECTION])
    captured = capsys.readouterr()
    assert code == 2, captured.err
    line = _one_line(captured.err)
    assert "the default input device cannot be used (Error querying device -1)" in line
    assert "transcribe-medical mic --list-devices" in line
    assert captured.out == ""


def test_an_unknown_device_name_exits_2(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    fake = _use(monkeypatch, fake_sounddevice(refuse=ValueError("No input device matching 'Studio'")))
    code = main(["mic", "--device", "Studio", "--endpoint-url", _NO_CONNECTION])
    captured = capsys.readouterr()
    assert code == 2, captured.err
    assert "input device 'Studio' cannot be used (No input device matching 'Studio')" in _one_line(captured.err)
    assert fake.checked == [{"device": "Studio", "channels": 1, "dtype": "int16", "samplerate": 16000}]


def test_a_device_that_fails_when_opened_exits_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], service: FakeTranscribeStreaming
) -> None:
    # The settings check passes, then the device is taken by another program before capture starts.
    _use(monkeypatch, fake_sounddevice(open_error=PortAudioError("Device unavailable [PaErrorCode -9985]")))
    code = main(["mic", "--max-seconds", "0.5", "--endpoint-url", service.url])
    captured = capsys.readouterr()
    assert code == 2, captured.err
    assert "cannot be used (Device unavailable [PaErrorCode -9985])" in _one_line(captured.err)


def test_no_portaudio_at_all_exits_2(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(sys.modules, "sounddevice", None)  # import fails, as without the [mic] extra
    code = main(["mic", "--endpoint-url", _NO_CONNECTION])
    captured = capsys.readouterr()
    assert code == 2, captured.err
    assert "install transcribe-medical[mic] and apt install libportaudio2" in _one_line(captured.err)


def test_list_devices_lists_the_inputs_and_stars_the_default(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fake = _use(monkeypatch, fake_sounddevice(default_input=2))
    code = main(["mic", "--list-devices"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert captured.out.splitlines() == [
        "    0  Built-in Microphone  (2 ch, 48000 Hz)",
        "*   2  USB Headset Mic  (1 ch, 16000 Hz)",
    ]
    assert "--device" in captured.err
    assert fake.opened == []  # nothing recorded


def test_list_devices_says_when_there_is_none(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _use(monkeypatch, fake_sounddevice(devices=[], default_input=-1))
    assert main(["mic", "--list-devices"]) == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "no input device found" in captured.err


@pytest.mark.parametrize(("given", "device"), [("2", 2), ("USB Headset", "USB Headset")])
def test_device_by_index_or_name_is_the_one_recorded(
    given: str,
    device: int | str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    service: FakeTranscribeStreaming,
) -> None:
    fake = _use(monkeypatch, fake_sounddevice())
    code = main(["mic", "--device", given, "--max-seconds", "0.5", "--endpoint-url", service.url])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "Alvarez" in captured.out
    assert fake.checked[0]["device"] == device
    assert [stream.kwargs["device"] for stream in fake.opened] == [device]
    assert len(service.last.audio_bytes) == 16000  # 0.5 s of 16 kHz mono PCM16
