"""The microphone as an audio source: :class:`MicrophoneSource`, through ``sounddevice``.

``sounddevice`` (the ``[mic]`` extra, which needs PortAudio) is imported only when a
:class:`MicrophoneSource` is created without an input stream factory, or when the input devices
are listed (:func:`input_devices`) or checked (:func:`check_input_device`). Every PortAudio
failure (no input device, a busy or unplugged one, settings it refuses) becomes an
:class:`~transcribe_medical.AudioFormatError` naming the device and saying how to list them. The
module never logs audio.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any, Final, Protocol, TypeAlias

from transcribe_medical._exceptions import AudioFormatError
from transcribe_medical._limits import CHUNK_DEFAULT_MS
from transcribe_medical.models.enums import MediaEncoding
from transcribe_medical.streaming.audio.formats import _PCM_SAMPLE_BYTES, AudioFormat, pcm_chunk_size

__all__ = [
    "InputDevice",
    "InputStream",
    "InputStreamFactory",
    "MicrophoneSource",
    "check_input_device",
    "input_devices",
]

logger = logging.getLogger(__name__)

_MIC_HINT: Final = (
    "the microphone needs the sounddevice package and PortAudio: "
    "install transcribe-medical[mic] and apt install libportaudio2"
)
_LIST_HINT: Final = "list the input devices with 'transcribe-medical mic --list-devices' and pick one with --device"


class InputStream(Protocol):
    """The part of ``sounddevice.RawInputStream`` that :class:`MicrophoneSource` uses."""

    def start(self) -> None:
        """Start capturing."""

    def stop(self) -> None:
        """Stop capturing."""

    def close(self) -> None:
        """Release the device."""

    def read(self, frames: int) -> tuple[Any, bool]:
        """Block until ``frames`` frames are captured; return ``(buffer, overflowed)``."""
        ...


#: Called as ``factory(samplerate=, channels=, dtype="int16", blocksize=, device=)``.
InputStreamFactory: TypeAlias = Callable[..., InputStream]


class MicrophoneSource:
    """PCM16 audio from an input device (the default microphone), through ``sounddevice``.

    Capture runs until :meth:`stop` is called (from any thread, e.g. a signal handler) or
    ``max_seconds`` of audio were captured. The ``[mic]`` extra provides ``sounddevice``, which
    needs PortAudio (``apt install libportaudio2``).

    Example:
        >>> mic = MicrophoneSource(max_seconds=30)                 # doctest: +SKIP
        >>> events = client.streaming.transcribe(mic, config)     # doctest: +SKIP
    """

    def __init__(
        self,
        *,
        sample_rate: int = 16_000,
        channels: int = 1,
        chunk_ms: int = CHUNK_DEFAULT_MS,
        device: int | str | None = None,
        max_seconds: float | None = None,
        input_stream_factory: InputStreamFactory | None = None,
    ) -> None:
        """Prepare a capture (the device is opened by :meth:`chunks` / :meth:`achunks`).

        Args:
            sample_rate: Capture rate, 16000-48000.
            channels: 1 or 2.
            chunk_ms: Milliseconds of audio per chunk (50-200).
            device: A ``sounddevice`` device index or name; ``None`` for the default input.
            max_seconds: Stop after this much audio; ``None`` to run until :meth:`stop`.
            input_stream_factory: Builds the input stream; defaults to
                ``sounddevice.RawInputStream``. Tests pass a fake.

        Raises:
            AudioFormatError: The format is not supported, or ``sounddevice``/PortAudio is missing.
        """
        self.format: AudioFormat | None = AudioFormat(MediaEncoding.PCM, sample_rate, channels)
        self.chunk_bytes = pcm_chunk_size(sample_rate, channels, chunk_ms)
        self.bytes_per_second = self.format.bytes_per_second
        self._frames = self.chunk_bytes // (channels * _PCM_SAMPLE_BYTES)
        self._device = device
        self._max_bytes = None if max_seconds is None else int(max_seconds * sample_rate) * channels * 2
        self._factory = input_stream_factory or _sounddevice_factory()
        # The factory's own failures (sounddevice.PortAudioError) become AudioFormatError.
        self._device_errors: tuple[type[BaseException], ...] = _device_errors() if input_stream_factory is None else ()
        self._stopped = threading.Event()

    def stop(self) -> None:
        """Ask the capture to end after the chunk being read; safe from any thread."""
        self._stopped.set()

    def _open(self) -> InputStream:
        assert self.format is not None
        try:
            stream = self._factory(
                samplerate=self.format.sample_rate,
                channels=self.format.channels,
                dtype="int16",
                blocksize=self._frames,
                device=self._device,
            )
            stream.start()
        except self._device_errors as error:
            raise _device_error(self._device, error) from error
        return stream

    def _read(self, stream: InputStream) -> tuple[Any, bool]:
        try:
            return stream.read(self._frames)
        except self._device_errors as error:
            raise _device_error(self._device, error, lost=True) from error

    def _more(self, captured: int) -> bool:
        return not self._stopped.is_set() and (self._max_bytes is None or captured < self._max_bytes)

    def _take(self, result: tuple[Any, bool], captured: int) -> bytes:
        buffer, overflowed = result
        if overflowed:
            logger.warning("microphone input overflowed: some audio was lost")
        data = bytes(buffer)
        if self._max_bytes is not None:
            data = data[: self._max_bytes - captured]
        return data

    def chunks(self) -> Iterator[bytes]:
        """Capture and yield chunks until stopped."""
        self._stopped.clear()
        stream = self._open()
        try:
            captured = 0
            while self._more(captured):
                data = self._take(self._read(stream), captured)
                captured += len(data)
                if data:
                    yield data
        finally:
            stream.stop()
            stream.close()

    async def achunks(self) -> AsyncIterator[bytes]:
        """Asynchronous twin of :meth:`chunks`; blocking reads run in a worker thread."""
        self._stopped.clear()
        stream = self._open()
        try:
            captured = 0
            while self._more(captured):
                data = self._take(await asyncio.to_thread(self._read, stream), captured)
                captured += len(data)
                if data:
                    yield data
        finally:
            stream.stop()
            stream.close()


@dataclass(frozen=True)
class InputDevice:
    """An audio input device, as PortAudio lists it.

    Attributes:
        index: The device's number (``--device INDEX``; ``sounddevice``'s index).
        name: Its name (``--device NAME`` takes a unique part of it).
        channels: Its maximum number of input channels.
        default_sample_rate: Its default sample rate in Hz.
        is_default: Whether it is the default input device.
    """

    index: int
    name: str
    channels: int
    default_sample_rate: float
    is_default: bool


def _sounddevice() -> Any:
    try:
        import sounddevice  # the [mic] extra
    except (ImportError, OSError) as exc:  # OSError: PortAudio library not found
        raise AudioFormatError(_MIC_HINT) from exc
    return sounddevice


def _sounddevice_factory() -> InputStreamFactory:
    factory: InputStreamFactory = _sounddevice().RawInputStream
    return factory


def _device_errors() -> tuple[type[BaseException], ...]:
    error = getattr(_sounddevice(), "PortAudioError", None)
    return (error,) if isinstance(error, type) and issubclass(error, BaseException) else ()


def _device_name(device: int | str | None) -> str:
    return "the default input device" if device is None else f"input device {device!r}"


def _device_error(device: int | str | None, error: BaseException, *, lost: bool = False) -> AudioFormatError:
    # PortAudio's message names the device and the failure; it holds no audio.
    reason = " ".join(str(error).split()) or type(error).__name__
    what = "failed while recording" if lost else "cannot be used"
    return AudioFormatError(f"microphone: {_device_name(device)} {what} ({reason}); {_LIST_HINT}")


def input_devices() -> list[InputDevice]:
    """The input devices PortAudio knows (those with at least one input channel), in its order.

    Raises:
        AudioFormatError: ``sounddevice``/PortAudio is missing, or PortAudio cannot list devices.
    """
    sounddevice = _sounddevice()
    try:
        devices = sounddevice.query_devices()
        default = sounddevice.default.device
    except _device_errors() as error:
        reason = " ".join(str(error).split()) or type(error).__name__
        raise AudioFormatError(f"microphone: PortAudio cannot list the devices ({reason})") from error
    default_input = default[0] if isinstance(default, list | tuple) else default
    found = []
    for position, device in enumerate(devices):
        channels = int(device.get("max_input_channels", 0))
        if channels < 1:
            continue
        index = int(device.get("index", position))
        found.append(
            InputDevice(
                index=index,
                name=str(device.get("name", "")),
                channels=channels,
                default_sample_rate=float(device.get("default_samplerate", 0.0)),
                is_default=index == default_input,
            )
        )
    return found


def check_input_device(device: int | str | None, *, sample_rate: int, channels: int) -> None:
    """Check that ``device`` can record PCM16 at ``sample_rate`` with ``channels``, before streaming.

    Args:
        device: A device index or (part of a) name; ``None`` for the default input device.
        sample_rate: The capture rate in Hz.
        channels: 1 or 2.

    Raises:
        AudioFormatError: ``sounddevice``/PortAudio is missing, there is no such input device (or
            none at all), or it refuses these settings; the message says how to list devices.
    """
    sounddevice = _sounddevice()
    refused: tuple[type[BaseException], ...] = (ValueError, *_device_errors())  # ValueError: no such name
    try:
        sounddevice.check_input_settings(device=device, channels=channels, dtype="int16", samplerate=sample_rate)
    except refused as error:
        raise _device_error(device, error) from error
