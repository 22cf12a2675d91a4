"""Audio sources for streaming: files, stdin and bytes iterables, and :func:`open_audio`.

Every source yields the payloads of the AudioEvents to send, already cut to the service's rules
(aws-transcribe-medical §3.5): PCM is stripped of its WAV header and cut into sample-aligned chunks
of ``chunk_ms`` milliseconds (50-200 ms), FLAC and Ogg-Opus pass through as container bytes, and no
chunk is ever empty (an empty AudioEvent means end of stream) or larger than 32 KiB.

The module never logs audio bytes.
"""

from __future__ import annotations

import asyncio
import io
import logging
import os
import stat
import sys
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Iterator
from typing import Any, BinaryIO, Final, Protocol, runtime_checkable

from transcribe_medical._exceptions import AudioFormatError
from transcribe_medical._limits import AUDIO_EVENT_MAX_PAYLOAD, CHUNK_DEFAULT_MS
from transcribe_medical.models.enums import MediaEncoding
from transcribe_medical.streaming._wav import last_ogg_granule as _last_ogg_granule
from transcribe_medical.streaming.audio.formats import (
    _PCM_SAMPLE_BYTES,
    _SNIFF_BYTES,
    OGG_OPUS_SAMPLE_RATE,
    AudioFormat,
    _check_chunk_ms,
    _check_matches,
    _encoding,
    _flac_format,
    _not_audio_message,
    _open_file,
    _opus_format,
    _raw_format,
    _size,
    _sniff,
    _wav_header,
    _wav_stream_format,
    pcm_chunk_size,
)

__all__ = [
    "AsyncIterableAudioSource",
    "AudioSource",
    "FileAudioSource",
    "IterableAudioSource",
    "RawStreamAudioSource",
    "RereadableSource",
    "SeekableRawStreamAudioSource",
    "open_audio",
    "raw_stream_source",
    "rereader",
]

logger = logging.getLogger(__name__)

# Compressed formats without a known duration are sent in pieces of this size.
_COMPRESSED_FALLBACK_CHUNK: Final = 4096
_COMPRESSED_MIN_CHUNK: Final = 512
# An Ogg page is at most 65,307 bytes: the last one is within this many bytes of the end.
_OGG_TAIL: Final = 65_536
_REREAD_PIECE: Final = 64 * 1024  # a replay's read size (send_audio cuts it into AudioEvents)


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
    """Audio read from a binary stream until EOF, e.g. ``sys.stdin.buffer`` for ``-``.

    The stream is read once; reads in :meth:`achunks` run in a worker thread so a slow pipe never
    blocks the event loop.

    Attributes:
        length: How many bytes to read at most (a WAV's ``data`` chunk, so that chunks after it
            are not sent as audio); ``None`` reads to EOF.
    """

    def __init__(self, stream: BinaryIO, *, format: AudioFormat, chunk_bytes: int, length: int | None = None) -> None:
        """Create a source reading ``chunk_bytes`` at a time from ``stream``, ``length`` bytes at most."""
        self._stream = stream
        self.format: AudioFormat | None = format
        self.chunk_bytes = chunk_bytes
        self.length = length
        self.bytes_per_second = format.bytes_per_second

    def _next_size(self, read: int) -> int:
        return self.chunk_bytes if self.length is None else min(self.chunk_bytes, self.length - read)

    def chunks(self) -> Iterator[bytes]:
        """Yield what the stream holds, ``chunk_bytes`` at a time."""
        read = 0
        while (size := self._next_size(read)) > 0 and (data := self._stream.read(size)):
            read += len(data)
            yield data

    async def achunks(self) -> AsyncIterator[bytes]:
        """Asynchronous twin of :meth:`chunks`."""
        read = 0
        while (size := self._next_size(read)) > 0 and (data := await asyncio.to_thread(self._stream.read, size)):
            read += len(data)
            yield data


class SeekableRawStreamAudioSource(RawStreamAudioSource):
    """Raw audio read from a binary stream over a regular file (``-`` with ``< visit.pcm``).

    Read once like :class:`RawStreamAudioSource`, but it can also be :meth:`reread` from any
    point, with ``os.pread`` (which leaves the stream's position alone), so a reconnect replays it
    like a file. A pipe is not a regular file: it stays a live :class:`RawStreamAudioSource`.
    """

    def __init__(
        self,
        stream: BinaryIO,
        *,
        format: AudioFormat,
        chunk_bytes: int,
        fd: int,
        base: int,
        length: int | None = None,
    ) -> None:
        """Create a source over ``stream``, whose byte 0 is at offset ``base`` of file descriptor ``fd``."""
        super().__init__(stream, format=format, chunk_bytes=chunk_bytes, length=length)
        self._fd = fd
        self._base = base

    def reread(self, start: int, end: int) -> Iterator[bytes]:
        """Yield the bytes ``[start, end)`` of the stream again, in pieces of at most 64 KiB.

        Raises:
            AudioFormatError: The file is now shorter than what was read from it before.
        """
        if self.length is not None:
            end = min(end, self.length)
        position = start
        while position < end:
            data = os.pread(self._fd, min(_REREAD_PIECE, end - position), self._base + position)
            if not data:
                raise AudioFormatError("the audio on stdin ended early: its file was truncated while being read")
            position += len(data)
            yield data


def raw_stream_source(
    stream: BinaryIO, *, format: AudioFormat, chunk_bytes: int, length: int | None = None
) -> RawStreamAudioSource:
    """A source over ``stream``: one that can be re-read when it is a regular file, else a live one.

    Args:
        stream: Where the audio is read from, starting at its current position.
        format: The audio's format.
        chunk_bytes: Bytes per chunk.
        length: Bytes to read at most; ``None`` reads to EOF.
    """
    fd = _regular_file_descriptor(stream)
    if fd is not None:
        return SeekableRawStreamAudioSource(
            stream, format=format, chunk_bytes=chunk_bytes, fd=fd, base=stream.tell(), length=length
        )
    return RawStreamAudioSource(stream, format=format, chunk_bytes=chunk_bytes, length=length)


def _regular_file_descriptor(stream: BinaryIO) -> int | None:
    try:
        fd = stream.fileno()
        if stat.S_ISREG(os.fstat(fd).st_mode):
            return fd
    except (OSError, ValueError, AttributeError):  # no descriptor (io.UnsupportedOperation is an OSError)
        pass
    return None


class _PrefixedStream(io.RawIOBase):
    """A stream that yields ``prefix`` (bytes already read to sniff the format), then the rest of ``inner``."""

    def __init__(self, prefix: bytes, inner: BinaryIO) -> None:
        self._prefix = prefix
        self._inner = inner

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        if self._prefix:
            size = min(len(view), len(self._prefix))
            view[:size] = self._prefix[:size]
            self._prefix = self._prefix[size:]
            return size
        data = self._inner.read1(len(view)) if hasattr(self._inner, "read1") else self._inner.read(len(view))
        view[: len(data)] = data
        return len(data)


def _stdin_source(
    stream: BinaryIO,
    sample_rate: int | None,
    encoding: MediaEncoding | None,
    channels: int | None,
    chunk_ms: int,
) -> RawStreamAudioSource:
    """Audio on stdin: a WAV, FLAC or Ogg-Opus stream is known by its header, anything else is raw.

    A WAV's header gives the format and is not sent (PCM is sent without it); FLAC and Ogg-Opus
    are sent whole, container bytes included. Raw audio needs ``sample_rate``.
    """
    name = "the audio on stdin"
    regular = _regular_file_descriptor(stream) is not None
    start = stream.tell() if regular else 0
    head = _read_up_to(stream, 4)
    kind = _sniff(head)
    if kind in ("flac", "ogg"):
        head += _read_up_to(stream, _SNIFF_BYTES - len(head))
    body: BinaryIO
    if regular:
        stream.seek(start)  # a regular file is re-read from its start, so a reconnect can replay it
        body = stream
    else:
        body = io.BufferedReader(_PrefixedStream(head, stream))
    length: int | None = None
    if kind == "wav":
        fmt, length = _wav_stream_format(body, "the WAV audio on stdin")
    elif kind == "flac":
        fmt, _duration = _flac_format(head, name)
    elif kind == "ogg":
        fmt = _opus_format(head, name)
    else:
        if sample_rate is None:
            raise AudioFormatError(
                "the audio on stdin has no WAV, FLAC or Ogg-Opus header, so it is read as raw audio, "
                "whose sample rate nothing gives: pass sample_rate=",
                field="sample_rate",
            )
        fmt = _raw_format(name, sample_rate, encoding, channels)
        return raw_stream_source(body, format=fmt, chunk_bytes=_raw_chunk(fmt, chunk_ms))
    _check_matches(name, fmt, sample_rate, encoding, channels)
    logger.debug("audio on stdin is %s: %s Hz, %s channel(s)", fmt.media_encoding, fmt.sample_rate, fmt.channels)
    return raw_stream_source(body, format=fmt, chunk_bytes=_raw_chunk(fmt, chunk_ms), length=length)


def _read_up_to(stream: BinaryIO, size: int) -> bytes:
    """Up to ``size`` bytes: fewer only at EOF (a pipe may return short reads)."""
    parts: list[bytes] = []
    while size > 0 and (data := stream.read(size)):
        parts.append(data)
        size -= len(data)
    return b"".join(parts)


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
            if type(piece) is bytes and 0 < len(piece) <= limit:
                yield piece  # the usual live chunk: as it is, without a generator of its own
            else:
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
            if type(piece) is bytes and 0 < len(piece) <= limit:
                yield piece  # the usual chunk: passed on without a generator of its own
                continue
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
    * ``"-"``: audio on ``sys.stdin.buffer``: a WAV, FLAC or Ogg-Opus stream is recognised by its
      header (a WAV's header is read, not sent); anything else is raw audio (PCM by default),
      for which ``sample_rate`` is required. The first bytes of stdin are read here (blocking
      until they arrive, at most 512), to look for that header;
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
            return _stdin_source(sys.stdin.buffer, sample_rate, encoding, channels, chunk_ms)
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
    if type(piece) is bytes and 0 < len(piece) <= limit:
        yield piece  # already a right-sized payload: no copy on the hot path
        return
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


def _compressed_rate(size: int, duration: float | None, chunk_ms: int) -> tuple[float | None, int]:
    if not duration:
        return None, _COMPRESSED_FALLBACK_CHUNK
    rate = size / duration
    chunk = int(rate * chunk_ms / 1000)
    return rate, max(_COMPRESSED_MIN_CHUNK, min(chunk, AUDIO_EVENT_MAX_PAYLOAD))
