"""Audio sources for streaming: files, stdin, bytes iterables and the microphone.

Every source yields the payloads of the AudioEvents to send, already cut to the service's rules
(aws-transcribe-medical §3.5): PCM is stripped of its WAV header and cut into sample-aligned chunks
of ``chunk_ms`` milliseconds (50-200 ms), FLAC and Ogg-Opus pass through as container bytes, and no
chunk is ever empty (an empty AudioEvent means end of stream) or larger than 32 KiB.

Example:
    >>> from transcribe_medical.streaming.audio import open_audio, Pacer
    >>> source = open_audio("visit.wav")                       # doctest: +SKIP
    >>> source.format                                          # doctest: +SKIP
    AudioFormat(media_encoding=<MediaEncoding.PCM: 'pcm'>, sample_rate=16000, channels=1)
    >>> pacer = Pacer.for_source(source)                       # doctest: +SKIP
    >>> for chunk in source.chunks():                          # doctest: +SKIP
    ...     time.sleep(pacer.delay_for(len(chunk), time.monotonic()))
    ...     stream.send_audio(chunk)

The module never logs audio bytes.
"""

from __future__ import annotations

import asyncio
import io
import logging
import os
import stat
import sys
import threading
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO, Final, Protocol, TypeAlias, runtime_checkable

from transcribe_medical._exceptions import AudioFormatError, ValidationError
from transcribe_medical._limits import (
    AUDIO_EVENT_MAX_PAYLOAD,
    CHUNK_DEFAULT_MS,
    CHUNK_MAX_MS,
    CHUNK_MIN_MS,
    SAMPLE_RATE_MAX,
    SAMPLE_RATE_MIN,
    STREAM_CHANNELS,
)
from transcribe_medical.models.enums import MediaEncoding
from transcribe_medical.streaming._wav import (
    WAVE_FORMAT_IEEE_FLOAT,
    WAVE_FORMAT_PCM,
    ContainerError,
    parse_flac_streaminfo,
    parse_opus_head,
    parse_wav,
)
from transcribe_medical.streaming._wav import last_ogg_granule as _last_ogg_granule

__all__ = [
    "OGG_OPUS_SAMPLE_RATE",
    "AsyncIterableAudioSource",
    "AudioFormat",
    "AudioSource",
    "FileAudioSource",
    "InputStream",
    "IterableAudioSource",
    "MicrophoneSource",
    "Pacer",
    "RawStreamAudioSource",
    "RereadableSource",
    "SeekableRawStreamAudioSource",
    "open_audio",
    "pcm_chunk_size",
    "raw_stream_source",
    "read_wav_header",
    "rereader",
]

logger = logging.getLogger("transcribe_medical.streaming.audio")

#: The sample rate declared for Ogg-Opus streams (Opus always decodes at 48 kHz).
OGG_OPUS_SAMPLE_RATE: Final = 48_000
_PCM_SAMPLE_BYTES: Final = 2
# Compressed formats without a known duration are sent in pieces of this size.
_COMPRESSED_FALLBACK_CHUNK: Final = 4096
_COMPRESSED_MIN_CHUNK: Final = 512
# An Ogg page is at most 65,307 bytes: the last one is within this many bytes of the end.
_OGG_TAIL: Final = 65_536
_SNIFF_BYTES: Final = 512
_REREAD_PIECE: Final = 64 * 1024  # a replay's read size (send_audio cuts it into AudioEvents)
_MIC_HINT: Final = (
    "the microphone needs the sounddevice package and PortAudio: "
    "install transcribe-medical[mic] and apt install libportaudio2"
)
_RATES = f"{SAMPLE_RATE_MIN}-{SAMPLE_RATE_MAX} Hz"


@dataclass(frozen=True)
class AudioFormat:
    """How the audio of a stream is encoded.

    Building one validates it against the service's limits.

    Attributes:
        media_encoding: ``pcm`` (signed 16-bit little-endian), ``flac`` or ``ogg-opus``.
        sample_rate: Samples per second, 16000-48000.
        channels: 1, or 2 (interleaved; needs channel identification).

    Raises:
        AudioFormatError: The rate or channel count is outside what the service accepts.
    """

    media_encoding: MediaEncoding
    sample_rate: int
    channels: int = 1

    def __post_init__(self) -> None:
        object.__setattr__(self, "media_encoding", MediaEncoding(self.media_encoding))
        if not SAMPLE_RATE_MIN <= self.sample_rate <= SAMPLE_RATE_MAX:
            raise AudioFormatError(
                f"sample rate {self.sample_rate} Hz is not supported: Transcribe Medical needs {_RATES}; "
                f"resample with: sox in.wav -r 16000 out.wav",
                field="sample_rate",
            )
        if not 1 <= self.channels <= STREAM_CHANNELS:
            raise AudioFormatError(
                f"{self.channels} channels are not supported: streaming accepts 1 or 2; "
                f"mix down with: sox in.wav -c 1 out.wav",
                field="channels",
            )

    @property
    def bytes_per_second(self) -> int | None:
        """Bytes per second of audio for PCM; ``None`` for compressed encodings."""
        if self.media_encoding is MediaEncoding.PCM:
            return self.sample_rate * self.channels * _PCM_SAMPLE_BYTES
        return None


@runtime_checkable
class AudioSource(Protocol):
    """Anything that yields AudioEvent payloads.

    Attributes:
        format: The audio's format, or ``None`` when unknown (a bytes iterable opened without
            ``sample_rate``): the caller's ``StreamConfig`` then says what it is.
    """

    format: AudioFormat | None

    def chunks(self) -> Iterator[bytes]:
        """Yield the payloads to send, in order; none empty, none above 32 KiB."""
        ...

    def achunks(self) -> AsyncIterator[bytes]:
        """Asynchronous twin of :meth:`chunks` (use with ``async for``)."""
        ...


@runtime_checkable
class RereadableSource(Protocol):
    """An :class:`AudioSource` whose audio can be read again from any point (a file).

    A reconnecting stream re-reads such a source from the point the service last finalised,
    however far back, instead of keeping its audio in memory; a source without :meth:`reread`
    is live, and only the last ``replay_seconds`` of it can be replayed.
    """

    def reread(self, start: int, end: int) -> Iterator[bytes]:
        """Yield the bytes ``[start, end)`` of what :meth:`AudioSource.chunks` yields, again, in pieces."""
        ...


def rereader(source: AudioSource) -> Callable[[int, int], Iterator[bytes]] | None:
    """The ``reread`` method of a source that can be read again, else ``None`` (a live source)."""
    if isinstance(source, RereadableSource):
        return source.reread
    return None


def pcm_chunk_size(sample_rate: int, channels: int, chunk_ms: int = CHUNK_DEFAULT_MS) -> int:
    """Bytes of PCM16 audio in one chunk of ``chunk_ms`` milliseconds.

    The result is a whole number of frames (one sample per channel) and never above
    ``AUDIO_EVENT_MAX_PAYLOAD`` (32,768 bytes): at 48 kHz stereo, 200 ms is capped to ~170 ms.

    Args:
        sample_rate: Samples per second (16000-48000).
        channels: 1 or 2.
        chunk_ms: Milliseconds per chunk (50-200).

    Raises:
        ValidationError: ``chunk_ms`` is outside 50-200.
        AudioFormatError: The rate or channel count is not supported.

    Example:
        >>> pcm_chunk_size(16000, 1)
        3200
    """
    _check_chunk_ms(chunk_ms)
    AudioFormat(MediaEncoding.PCM, sample_rate, channels)
    frame = channels * _PCM_SAMPLE_BYTES
    frames = min(sample_rate * chunk_ms // 1000, AUDIO_EVENT_MAX_PAYLOAD // frame)
    return frames * frame


class Pacer:
    """Real-time pacing, sans-I/O: says how long to wait before sending each chunk.

    The clock is injected, so the pacer never sleeps; callers ``time.sleep`` or
    ``asyncio.sleep`` the delay it returns. Chunk *k* is due when the audio sent before it has
    played, counted from the first chunk: ``start + bytes_before / bytes_per_second - lead_s``.

    Example:
        >>> pacer = Pacer(32000)                  # 16 kHz mono PCM
        >>> pacer.delay_for(3200, now=10.0)       # first chunk: send now
        0.0
        >>> round(pacer.delay_for(3200, now=10.02), 3)   # 100 ms of audio already sent
        0.08
    """

    def __init__(self, bytes_per_second: float | None, *, realtime: bool = True, lead_s: float = 0.0) -> None:
        """Create a pacer.

        Args:
            bytes_per_second: The audio's byte rate; ``None`` or 0 disables pacing (unknown rate).
            realtime: ``False`` disables pacing (``--no-realtime``): every delay is 0.
            lead_s: How far ahead of real time the sender may run (a burst allowance).
        """
        if lead_s < 0:
            raise ValidationError(f"lead_s must be >= 0, got {lead_s}", field="lead_s")
        self.bytes_per_second = bytes_per_second
        self.realtime = realtime
        self.lead_s = lead_s
        self._start: float | None = None
        self._sent = 0

    @classmethod
    def for_source(cls, source: AudioSource, *, realtime: bool = True, lead_s: float = 0.0) -> Pacer:
        """A pacer for a source: its ``bytes_per_second`` attribute if it has one, else its PCM rate."""
        rate: float | None = getattr(source, "bytes_per_second", None)
        if rate is None and source.format is not None:
            rate = source.format.bytes_per_second
        return cls(rate, realtime=realtime, lead_s=lead_s)

    @property
    def enabled(self) -> bool:
        """Whether this pacer ever asks to wait."""
        return self.realtime and bool(self.bytes_per_second)

    @property
    def audio_seconds(self) -> float:
        """Seconds of audio accounted for so far (0 when the rate is unknown)."""
        return self._sent / self.bytes_per_second if self.bytes_per_second else 0.0

    def delay_for(self, n_bytes: int, now: float) -> float:
        """Seconds to wait before sending a chunk of ``n_bytes``, then count it as sent.

        Args:
            n_bytes: Size of the chunk about to be sent.
            now: The current time of a monotonic clock (``time.monotonic()``, ``loop.time()``).

        Returns:
            A delay >= 0; always 0 when pacing is disabled.
        """
        if not self.enabled:
            return 0.0
        assert self.bytes_per_second is not None  # for mypy: enabled implies a rate
        if self._start is None:
            self._start = now
        due = self._start + self._sent / self.bytes_per_second - self.lead_s
        self._sent += n_bytes
        return max(0.0, due - now)

    def reset(self) -> None:
        """Start over: the next chunk is sent at once (e.g. after a reconnection)."""
        self._start = None
        self._sent = 0


class FileAudioSource:
    """Audio read from a WAV, FLAC or Ogg-Opus file (or the same bytes in memory).

    Each call of :meth:`chunks` reopens the data, so the source can be replayed.

    Attributes:
        format: The format read from the header.
        name: The file name used in messages.
        bytes_per_second: Byte rate of the payload (exact for PCM, the file's average for
            FLAC/Ogg-Opus when its duration is known, else ``None``): used by :class:`Pacer`.
        chunk_bytes: Size of every chunk but the last.
    """

    def __init__(
        self,
        opener: Callable[[], BinaryIO],
        *,
        name: str,
        format: AudioFormat,
        data_offset: int,
        data_length: int,
        chunk_bytes: int,
        bytes_per_second: float | None,
    ) -> None:
        """Create a source over ``data_length`` bytes at ``data_offset`` of what ``opener`` opens."""
        self._opener = opener
        self.name = name
        self.format: AudioFormat | None = format
        self.data_offset = data_offset
        self.data_length = data_length
        self.chunk_bytes = chunk_bytes
        self.bytes_per_second = bytes_per_second

    def __repr__(self) -> str:
        return f"FileAudioSource(name={self.name!r}, format={self.format!r}, data_length={self.data_length})"

    def chunks(self) -> Iterator[bytes]:
        """Yield the audio payload in chunks of :attr:`chunk_bytes`."""
        with self._opener() as stream:
            stream.seek(self.data_offset)
            remaining = self.data_length
            while remaining > 0:
                data = stream.read(min(self.chunk_bytes, remaining))
                if not data:
                    raise AudioFormatError(f"{self.name} ended early: it was truncated while being read")
                remaining -= len(data)
                yield data

    async def achunks(self) -> AsyncIterator[bytes]:
        """Asynchronous twin of :meth:`chunks` (local file reads of a few KiB do not block)."""
        for chunk in self.chunks():
            yield chunk

    def reread(self, start: int, end: int) -> Iterator[bytes]:
        """Yield the payload's bytes ``[start, end)`` again, read afresh, in pieces of at most 64 KiB.

        A reconnecting stream replays a file this way from the last final result, however far
        back, without keeping the audio in memory.

        Raises:
            AudioFormatError: The file is now shorter than what was read from it before.
        """
        end = min(end, self.data_length)
        if start >= end:
            return
        with self._opener() as stream:
            stream.seek(self.data_offset + start)
            remaining = end - start
            while remaining > 0:
                data = stream.read(min(_REREAD_PIECE, remaining))
                if not data:
                    raise AudioFormatError(f"{self.name} ended early: it was truncated while being read")
                remaining -= len(data)
                yield data


class RawStreamAudioSource:
    """Raw audio read from a binary stream until EOF, e.g. ``sys.stdin.buffer`` for ``-``.

    The stream is read once; reads in :meth:`achunks` run in a worker thread so a slow pipe never
    blocks the event loop.
    """

    def __init__(self, stream: BinaryIO, *, format: AudioFormat, chunk_bytes: int) -> None:
        """Create a source reading ``chunk_bytes`` at a time from ``stream``."""
        self._stream = stream
        self.format: AudioFormat | None = format
        self.chunk_bytes = chunk_bytes
        self.bytes_per_second = format.bytes_per_second

    def chunks(self) -> Iterator[bytes]:
        """Yield what the stream holds, ``chunk_bytes`` at a time."""
        while data := self._stream.read(self.chunk_bytes):
            yield data

    async def achunks(self) -> AsyncIterator[bytes]:
        """Asynchronous twin of :meth:`chunks`."""
        while data := await asyncio.to_thread(self._stream.read, self.chunk_bytes):
            yield data


class SeekableRawStreamAudioSource(RawStreamAudioSource):
    """Raw audio read from a binary stream over a regular file (``-`` with ``< visit.pcm``).

    Read once like :class:`RawStreamAudioSource`, but it can also be :meth:`reread` from any
    point, with ``os.pread`` (which leaves the stream's position alone), so a reconnect replays it
    like a file. A pipe is not a regular file: it stays a live :class:`RawStreamAudioSource`.
    """

    def __init__(self, stream: BinaryIO, *, format: AudioFormat, chunk_bytes: int, fd: int, base: int) -> None:
        """Create a source over ``stream``, whose byte 0 is at offset ``base`` of file descriptor ``fd``."""
        super().__init__(stream, format=format, chunk_bytes=chunk_bytes)
        self._fd = fd
        self._base = base

    def reread(self, start: int, end: int) -> Iterator[bytes]:
        """Yield the bytes ``[start, end)`` of the stream again, in pieces of at most 64 KiB.

        Raises:
            AudioFormatError: The file is now shorter than what was read from it before.
        """
        position = start
        while position < end:
            data = os.pread(self._fd, min(_REREAD_PIECE, end - position), self._base + position)
            if not data:
                raise AudioFormatError("the audio on stdin ended early: its file was truncated while being read")
            position += len(data)
            yield data


def raw_stream_source(stream: BinaryIO, *, format: AudioFormat, chunk_bytes: int) -> RawStreamAudioSource:
    """A source over ``stream``: one that can be re-read when it is a regular file, else a live one."""
    try:
        fd = stream.fileno()
        if stat.S_ISREG(os.fstat(fd).st_mode):
            return SeekableRawStreamAudioSource(
                stream, format=format, chunk_bytes=chunk_bytes, fd=fd, base=stream.tell()
            )
    except (OSError, ValueError, AttributeError):  # no descriptor (io.UnsupportedOperation is an OSError)
        pass
    return RawStreamAudioSource(stream, format=format, chunk_bytes=chunk_bytes)


class IterableAudioSource:
    """Audio payloads from an iterable of bytes, re-chunked to at most 32 KiB.

    Larger pieces are split (at frame boundaries when the format is known PCM); empty pieces are
    dropped, since an empty AudioEvent would end the stream. Pieces are not merged, so a live
    producer's latency is kept. An iterator can be consumed only once.

    :meth:`achunks` iterates in the event loop: wrap a producer that blocks in an async generator.
    """

    def __init__(self, iterable: Iterable[bytes], *, format: AudioFormat | None = None) -> None:
        """Wrap ``iterable``; ``format`` is ``None`` when the caller's config will say."""
        self._iterable = iterable
        self.format = format
        self.bytes_per_second = format.bytes_per_second if format else None

    def chunks(self) -> Iterator[bytes]:
        """Yield the pieces, split to at most 32 KiB."""
        limit = _max_payload(self.format)
        for piece in self._iterable:
            yield from _split(piece, limit)

    async def achunks(self) -> AsyncIterator[bytes]:
        """Asynchronous twin of :meth:`chunks`."""
        for chunk in self.chunks():
            yield chunk


class AsyncIterableAudioSource:
    """Audio payloads from an async iterable of bytes, re-chunked like :class:`IterableAudioSource`.

    It has no synchronous form: :meth:`chunks` raises ``TypeError``.
    """

    def __init__(self, iterable: AsyncIterable[bytes], *, format: AudioFormat | None = None) -> None:
        """Wrap ``iterable``; ``format`` is ``None`` when the caller's config will say."""
        self._iterable = iterable
        self.format = format
        self.bytes_per_second = format.bytes_per_second if format else None

    def chunks(self) -> Iterator[bytes]:
        """Not available: the source is asynchronous.

        Raises:
            TypeError: Always; use :meth:`achunks` with the asyncio client.
        """
        raise TypeError("this audio source is an async iterable: use achunks() with AsyncTranscribeMedical")

    async def achunks(self) -> AsyncIterator[bytes]:
        """Yield the pieces, split to at most 32 KiB."""
        limit = _max_payload(self.format)
        async for piece in self._iterable:
            for chunk in _split(piece, limit):
                yield chunk


class _FormattedSource:
    """Gives a format to an :class:`AudioSource` that has none."""

    def __init__(self, inner: AudioSource, format: AudioFormat) -> None:
        self._inner = inner
        self.format: AudioFormat | None = format
        self.bytes_per_second = getattr(inner, "bytes_per_second", None) or format.bytes_per_second

    def chunks(self) -> Iterator[bytes]:
        return self._inner.chunks()

    def achunks(self) -> AsyncIterator[bytes]:
        return self._inner.achunks()


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


def read_wav_header(path: str | os.PathLike[str] | BinaryIO) -> tuple[AudioFormat, int, int]:
    """Read and check a WAV file's header.

    Args:
        path: A file path, or a seekable binary file.

    Returns:
        ``(format, data_offset, data_length)``: the PCM format, where the audio starts and how many
        bytes of it there are (whole frames).

    Raises:
        AudioFormatError: The file is not a 16-bit PCM WAV at 16000-48000 Hz with 1 or 2 channels,
            or it is truncated.
    """
    if isinstance(path, str | os.PathLike):
        name = os.fspath(path)
        with _open_file(name) as stream:
            return _wav_header(stream, _size(stream), name)
    return _wav_header(path, _size(path), getattr(path, "name", "the audio data"))


def open_audio(
    source: str
    | os.PathLike[str]
    | bytes
    | bytearray
    | memoryview
    | Iterable[bytes]
    | AsyncIterable[bytes]
    | AudioSource,
    *,
    sample_rate: int | None = None,
    media_encoding: MediaEncoding | str | None = None,
    channels: int | None = None,
    chunk_ms: int = CHUNK_DEFAULT_MS,
) -> AudioSource:
    """Open any supported audio as an :class:`AudioSource`.

    * a path to a ``.wav`` (16-bit PCM), ``.flac`` or Ogg-Opus file: the format is read from its
      header (the content decides, not the extension), and any ``sample_rate``/``media_encoding``/
      ``channels`` given must match it;
    * ``"-"``: raw audio on ``sys.stdin.buffer`` (PCM by default); ``sample_rate`` is required;
    * ``bytes``: a whole file in memory if it starts like one, else raw audio;
    * an iterable or async iterable of ``bytes``: passed through, split to at most 32 KiB; its
      format is ``None`` unless ``sample_rate`` is given;
    * an :class:`AudioSource`: returned as is (given a format if it has none).

    Args:
        source: What to read.
        sample_rate: The rate of raw audio, or the rate the file must have.
        media_encoding: The encoding of raw audio (default ``pcm``), or the one the file must have.
        channels: The channels of raw audio (default 1), or the number the file must have.
        chunk_ms: Milliseconds per PCM chunk, 50-200 (also sizes FLAC/Ogg-Opus chunks when the
            file's duration is known).

    Raises:
        AudioFormatError: The audio is unreadable or unsupported, or does not match the given
            format. The message names the problem and the fix.
        ValidationError: ``chunk_ms`` is outside 50-200.
    """
    _check_chunk_ms(chunk_ms)
    encoding = None if media_encoding is None else _encoding(media_encoding)
    if isinstance(source, str | os.PathLike):
        name = os.fspath(source)
        if name == "-":
            fmt = _raw_format("raw audio on stdin", sample_rate, encoding, channels)
            return raw_stream_source(sys.stdin.buffer, format=fmt, chunk_bytes=_raw_chunk(fmt, chunk_ms))
        return _open_container(lambda: _open_file(name), name, sample_rate, encoding, channels, chunk_ms)
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
        if _sniff(data[:_SNIFF_BYTES]) is not None:
            return _open_container(
                lambda: io.BytesIO(data), "the audio data", sample_rate, encoding, channels, chunk_ms
            )
        fmt = _raw_format("raw audio data", sample_rate, encoding, channels)
        return FileAudioSource(
            lambda: io.BytesIO(data),
            name="the audio data",
            format=fmt,
            data_offset=0,
            data_length=len(data),
            chunk_bytes=_raw_chunk(fmt, chunk_ms),
            bytes_per_second=fmt.bytes_per_second,
        )
    if isinstance(source, AudioSource):
        return _with_format(source, sample_rate, encoding, channels)
    fmt_or_none = None
    if sample_rate is not None:
        fmt_or_none = _raw_format("the audio", sample_rate, encoding, channels)
    if isinstance(source, AsyncIterable):
        return AsyncIterableAudioSource(source, format=fmt_or_none)
    if isinstance(source, Iterable):
        return IterableAudioSource(source, format=fmt_or_none)
    raise TypeError(f"cannot read audio from {type(source).__name__}: pass a path, bytes or an iterable of bytes")


# --- internals -------------------------------------------------------------------------------


def _check_chunk_ms(chunk_ms: int) -> None:
    if not CHUNK_MIN_MS <= chunk_ms <= CHUNK_MAX_MS:
        raise ValidationError(
            f"chunk_ms={chunk_ms} is not allowed: send {CHUNK_MIN_MS}-{CHUNK_MAX_MS} ms of audio per event",
            field="chunk_ms",
        )


def _encoding(value: MediaEncoding | str) -> MediaEncoding:
    try:
        return MediaEncoding(value)
    except ValueError:
        allowed = ", ".join(e.value for e in MediaEncoding)
        raise AudioFormatError(
            f"media_encoding={value!r} is not supported: use one of {allowed}", field="media_encoding"
        ) from None


def _open_file(name: str) -> BinaryIO:
    try:
        return open(name, "rb")
    except FileNotFoundError:
        raise AudioFormatError(f"{name}: no such file; check the path", field="audio") from None
    except IsADirectoryError:
        raise AudioFormatError(f"{name} is a directory; pass an audio file", field="audio") from None
    except OSError as exc:
        raise AudioFormatError(f"{name} cannot be read ({exc.strerror}); check the path", field="audio") from exc


def _size(stream: BinaryIO) -> int:
    position = stream.tell()
    size = stream.seek(0, io.SEEK_END)
    stream.seek(position)
    return size


def _sniff(head: bytes) -> str | None:
    """The container kind of the data starting with ``head``, or ``None``."""
    if head[:4] in (b"RIFF", b"RIFX", b"RF64"):
        return "wav"
    if head[:4] == b"fLaC":
        return "flac"
    if head[:4] == b"OggS":
        return "ogg"
    return None


def _raw_format(
    what: str, sample_rate: int | None, encoding: MediaEncoding | None, channels: int | None
) -> AudioFormat:
    if sample_rate is None:
        raise AudioFormatError(
            f"{what} has no header to read its sample rate from: pass sample_rate= (--sample-rate)",
            field="sample_rate",
        )
    return AudioFormat(encoding or MediaEncoding.PCM, sample_rate, channels or 1)


def _raw_chunk(fmt: AudioFormat, chunk_ms: int) -> int:
    if fmt.media_encoding is MediaEncoding.PCM:
        return pcm_chunk_size(fmt.sample_rate, fmt.channels, chunk_ms)
    return _COMPRESSED_FALLBACK_CHUNK


def _max_payload(fmt: AudioFormat | None) -> int:
    if fmt is not None and fmt.media_encoding is MediaEncoding.PCM:
        frame = fmt.channels * _PCM_SAMPLE_BYTES
        return AUDIO_EVENT_MAX_PAYLOAD - AUDIO_EVENT_MAX_PAYLOAD % frame
    return AUDIO_EVENT_MAX_PAYLOAD


def _split(piece: object, limit: int) -> Iterator[bytes]:
    if not isinstance(piece, bytes | bytearray | memoryview):
        raise AudioFormatError(f"audio chunks must be bytes, got {type(piece).__name__}", field="audio")
    view = memoryview(piece).cast("B")
    for start in range(0, len(view), limit):
        yield bytes(view[start : start + limit])


def _with_format(
    source: AudioSource, sample_rate: int | None, encoding: MediaEncoding | None, channels: int | None
) -> AudioSource:
    if source.format is None:
        if sample_rate is None:
            return source
        return _FormattedSource(source, _raw_format("the audio", sample_rate, encoding, channels))
    _check_matches("the audio source", source.format, sample_rate, encoding, channels)
    return source


def _check_matches(
    name: str,
    actual: AudioFormat,
    sample_rate: int | None,
    encoding: MediaEncoding | None,
    channels: int | None,
) -> None:
    if encoding is not None and encoding is not actual.media_encoding:
        raise AudioFormatError(
            f"media_encoding={encoding.value} was given but {name} is {actual.media_encoding.value}; "
            f"omit --media-encoding or pass {actual.media_encoding.value}",
            field="media_encoding",
        )
    if sample_rate is not None and sample_rate != actual.sample_rate:
        raise AudioFormatError(
            f"sample_rate={sample_rate} was given but {name} is sampled at {actual.sample_rate} Hz; "
            f"omit --sample-rate or pass {actual.sample_rate}",
            field="sample_rate",
        )
    if channels is not None and channels != actual.channels:
        raise AudioFormatError(
            f"channels={channels} was given but {name} has {actual.channels}; omit it or pass {actual.channels}",
            field="channels",
        )


def _open_container(
    opener: Callable[[], BinaryIO],
    name: str,
    sample_rate: int | None,
    encoding: MediaEncoding | None,
    channels: int | None,
    chunk_ms: int,
) -> FileAudioSource:
    with opener() as stream:
        size = _size(stream)
        head = stream.read(_SNIFF_BYTES)
        kind = _sniff(head)
        if size == 0:
            raise AudioFormatError(f"{name} is empty (0 bytes); record or export the audio again", field="audio")
        if kind == "wav":
            fmt, offset, length = _wav_header(stream, size, name)
            chunk = pcm_chunk_size(fmt.sample_rate, fmt.channels, chunk_ms)
            rate: float | None = fmt.bytes_per_second
        elif kind == "flac":
            fmt, duration = _flac_format(head, name)
            offset, length = 0, size
            rate, chunk = _compressed_rate(size, duration, chunk_ms)
        elif kind == "ogg":
            fmt = _opus_format(head, name)
            stream.seek(max(0, size - _OGG_TAIL))
            granule = _last_ogg_granule(stream.read(_OGG_TAIL))
            offset, length = 0, size
            rate, chunk = _compressed_rate(size, None if not granule else granule / OGG_OPUS_SAMPLE_RATE, chunk_ms)
        else:
            raise AudioFormatError(_not_audio_message(name, head), field="audio")
    _check_matches(name, fmt, sample_rate, encoding, channels)
    logger.debug(
        "opened %s audio: %s Hz, %s channel(s), %d bytes", fmt.media_encoding, fmt.sample_rate, fmt.channels, length
    )
    return FileAudioSource(
        opener,
        name=name,
        format=fmt,
        data_offset=offset,
        data_length=length,
        chunk_bytes=chunk,
        bytes_per_second=rate,
    )


def _not_audio_message(name: str, head: bytes) -> str:
    looks = "it looks like text" if _is_text(head) else "its content is not recognised"
    return f"{name} is not a WAV/FLAC/Ogg-Opus file ({looks}); convert it with: sox {name} -r 16000 -c 1 -b 16 out.wav"


def _is_text(head: bytes) -> bool:
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return all(ch.isprintable() or ch.isspace() for ch in text)


def _wav_header(stream: BinaryIO, size: int, name: str) -> tuple[AudioFormat, int, int]:
    if size == 0:
        raise AudioFormatError(f"{name} is empty (0 bytes); record or export the audio again", field="audio")
    stream.seek(0)
    magic = stream.read(4)
    if magic in (b"RIFX", b"RF64"):
        raise AudioFormatError(
            f"{name} is a {magic.decode()} file, which is not supported; convert it with: sox {name} -b 16 out.wav",
            field="audio",
        )
    try:
        info = parse_wav(stream, size)
    except ContainerError as exc:
        if magic != b"RIFF":
            raise AudioFormatError(_not_audio_message(name, magic), field="audio") from None
        raise AudioFormatError(
            f"{name} is not a usable WAV file: {exc}; it may be truncated, export it again", field="audio"
        ) from None
    if info.format_tag == WAVE_FORMAT_IEEE_FLOAT:
        raise AudioFormatError(
            f"{name} is {info.bits_per_sample}-bit floating-point WAV; streaming needs 16-bit PCM: "
            f"convert with: sox {name} -b 16 -e signed-integer out.wav",
            field="audio",
        )
    if info.format_tag != WAVE_FORMAT_PCM:
        raise AudioFormatError(
            f"{name} is a compressed WAV (format tag 0x{info.format_tag:04x}); streaming needs 16-bit PCM: "
            f"convert with: sox {name} -b 16 -e signed-integer out.wav",
            field="audio",
        )
    if info.bits_per_sample != 16:
        raise AudioFormatError(
            f"{name} is {info.bits_per_sample}-bit PCM; streaming needs 16-bit PCM: "
            f"convert with: sox {name} -b 16 out.wav",
            field="audio",
        )
    if info.channels < 1 or info.block_align != info.channels * _PCM_SAMPLE_BYTES:
        if info.channels > STREAM_CHANNELS:
            raise _channels_error(name, info.channels)
        raise AudioFormatError(f"{name} has an inconsistent WAV header; export it again", field="audio")
    fmt = _file_format(name, MediaEncoding.PCM, info.sample_rate, info.channels)
    if info.data_length == 0:
        raise AudioFormatError(f"{name} contains no audio (its data chunk is empty)", field="audio")
    return fmt, info.data_offset, info.data_length


def _channels_error(name: str, channels: int) -> AudioFormatError:
    return AudioFormatError(
        f"{name} has {channels} channels; streaming accepts 1 or 2: mix down with: sox {name} -c 1 out.wav",
        field="channels",
    )


def _file_format(name: str, encoding: MediaEncoding, sample_rate: int, channels: int) -> AudioFormat:
    if not SAMPLE_RATE_MIN <= sample_rate <= SAMPLE_RATE_MAX:
        raise AudioFormatError(
            f"{name} is sampled at {sample_rate} Hz; Transcribe Medical needs {_RATES}: "
            f"resample with: sox {name} -r 16000 out.{'flac' if encoding is MediaEncoding.FLAC else 'wav'}",
            field="sample_rate",
        )
    if not 1 <= channels <= STREAM_CHANNELS:
        raise _channels_error(name, channels)
    return AudioFormat(encoding, sample_rate, channels)


def _flac_format(head: bytes, name: str) -> tuple[AudioFormat, float | None]:
    try:
        info = parse_flac_streaminfo(head)
    except ContainerError as exc:
        raise AudioFormatError(f"{name} is not a usable FLAC file: {exc}; export it again", field="audio") from None
    fmt = _file_format(name, MediaEncoding.FLAC, info.sample_rate, info.channels)
    duration = info.total_samples / info.sample_rate if info.total_samples else None
    return fmt, duration


def _opus_format(head: bytes, name: str) -> AudioFormat:
    try:
        info = parse_opus_head(head)
    except ContainerError as exc:
        raise AudioFormatError(f"{name} is not a usable Ogg file: {exc}; export it again", field="audio") from None
    if info is None:
        raise AudioFormatError(
            f"{name} is an Ogg file but not Opus (Vorbis?); streaming accepts Ogg-Opus: "
            f"convert with: ffmpeg -i {name} -c:a libopus out.ogg",
            field="audio",
        )
    if not 1 <= info.channels <= STREAM_CHANNELS:
        raise _channels_error(name, info.channels)
    return AudioFormat(MediaEncoding.OGG_OPUS, OGG_OPUS_SAMPLE_RATE, info.channels)


def _compressed_rate(size: int, duration: float | None, chunk_ms: int) -> tuple[float | None, int]:
    if not duration:
        return None, _COMPRESSED_FALLBACK_CHUNK
    rate = size / duration
    chunk = int(rate * chunk_ms / 1000)
    return rate, max(_COMPRESSED_MIN_CHUNK, min(chunk, AUDIO_EVENT_MAX_PAYLOAD))
