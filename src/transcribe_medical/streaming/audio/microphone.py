"""The microphone as an audio source: :class:`MicrophoneSource`, through ``sounddevice``.

``sounddevice`` (the ``[mic]`` extra, which needs PortAudio) is imported only when a
:class:`MicrophoneSource` is created without an input stream factory. The module never logs audio.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, Final, Protocol, TypeAlias

from transcribe_medical._exceptions import AudioFormatError
from transcribe_medical._limits import CHUNK_DEFAULT_MS
from transcribe_medical.models.enums import MediaEncoding
from transcribe_medical.streaming.audio.formats import _PCM_SAMPLE_BYTES, AudioFormat, pcm_chunk_size

__all__ = ["InputStream", "InputStreamFactory", "MicrophoneSource"]

logger = logging.getLogger(__name__)

_MIC_HINT: Final = (
    "the microphone needs the sounddevice package and PortAudio: "
    "install transcribe-medical[mic] and apt install libportaudio2"
)


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
        self._stopped = threading.Event()

    def stop(self) -> None:
        """Ask the capture to end after the chunk being read; safe from any thread."""
        self._stopped.set()

    def _open(self) -> InputStream:
        assert self.format is not None
        stream = self._factory(
            samplerate=self.format.sample_rate,
            channels=self.format.channels,
            dtype="int16",
            blocksize=self._frames,
            device=self._device,
        )
        stream.start()
        return stream

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
                data = self._take(stream.read(self._frames), captured)
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
                data = self._take(await asyncio.to_thread(stream.read, self._frames), captured)
                captured += len(data)
                if data:
                    yield data
        finally:
            stream.stop()
            stream.close()


def _sounddevice_factory() -> InputStreamFactory:
    try:
        import sounddevice  # the [mic] extra
    except (ImportError, OSError) as exc:  # OSError: PortAudio library not found
        raise AudioFormatError(_MIC_HINT) from exc
    factory: InputStreamFactory = sounddevice.RawInputStream
    return factory
