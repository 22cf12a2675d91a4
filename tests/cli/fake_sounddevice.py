"""A stand-in for the ``sounddevice`` module: no sound card, no PortAudio, in ``sys.modules``.

``mic`` imports ``sounddevice`` lazily; a test puts :func:`fake_sounddevice`'s module in
``sys.modules`` (``monkeypatch.setitem``) to play a machine with some input devices, none, or a
device PortAudio refuses, and to record what the CLI asked of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import ModuleType
from typing import Any


class PortAudioError(Exception):
    """What sounddevice raises for PortAudio's failures (its message is PortAudio's)."""


#: A laptop: a built-in microphone (default input), speakers (output only), a USB headset.
LAPTOP_DEVICES: tuple[dict[str, Any], ...] = (
    {"name": "Built-in Microphone", "index": 0, "max_input_channels": 2, "default_samplerate": 48000.0},
    {"name": "Built-in Speakers", "index": 1, "max_input_channels": 0, "default_samplerate": 48000.0},
    {"name": "USB Headset Mic", "index": 2, "max_input_channels": 1, "default_samplerate": 16000.0},
)


class FakeInputStream:
    """A ``sounddevice.RawInputStream``: near-silence, one block per read."""

    def __init__(self, **kwargs: Any) -> None:
        self.kwargs = kwargs

    def start(self) -> None:
        """Start capturing (nothing to do)."""

    def stop(self) -> None:
        """Stop capturing (nothing to do)."""

    def close(self) -> None:
        """Release the device (nothing to do)."""

    def read(self, frames: int) -> tuple[bytes, bool]:
        """``frames`` frames of a constant, tiny signal."""
        return b"\x01\x00" * frames * int(self.kwargs["channels"]), False


def fake_sounddevice(
    devices: Sequence[dict[str, Any]] = LAPTOP_DEVICES,
    *,
    default_input: int = 0,
    refuse: BaseException | None = None,
    open_error: BaseException | None = None,
) -> ModuleType:
    """A module that answers as ``sounddevice`` does.

    Args:
        devices: What ``query_devices()`` lists.
        default_input: The default input device's index (``-1``: none, as PortAudio says).
        refuse: Raised by ``check_input_settings`` (e.g. ``PortAudioError("Error querying device -1")``).
        open_error: Raised when an input stream is opened.

    The module records the calls: ``checked`` (keyword arguments of each ``check_input_settings``)
    and ``opened`` (the streams made).
    """
    module = ModuleType("sounddevice")
    module.PortAudioError = PortAudioError  # type: ignore[attr-defined]
    checked: list[dict[str, Any]] = []
    opened: list[FakeInputStream] = []
    module.checked = checked  # type: ignore[attr-defined]
    module.opened = opened  # type: ignore[attr-defined]

    class _Default:
        device = [default_input, 1]

    module.default = _Default()  # type: ignore[attr-defined]

    def query_devices() -> list[dict[str, Any]]:
        return [dict(device) for device in devices]

    def check_input_settings(**kwargs: Any) -> None:
        checked.append(kwargs)
        if refuse is not None:
            raise refuse

    def raw_input_stream(**kwargs: Any) -> FakeInputStream:
        if open_error is not None:
            raise open_error
        stream = FakeInputStream(**kwargs)
        opened.append(stream)
        return stream

    module.query_devices = query_devices  # type: ignore[attr-defined]
    module.check_input_settings = check_input_settings  # type: ignore[attr-defined]
    module.RawInputStream = raw_input_stream  # type: ignore[attr-defined]
    return module
