"""Sans-I/O parsing of container headers: RIFF/WAVE, FLAC STREAMINFO and Ogg-Opus ``OpusHead``.

These functions only read what the file says; whether the service accepts it (16-bit PCM,
16000-48000 Hz, 1 or 2 channels) is decided by :mod:`transcribe_medical.streaming.audio.formats`, which
turns their findings into :class:`~transcribe_medical.AudioFormatError` messages.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import BinaryIO, Final

__all__ = [
    "WAVE_FORMAT_EXTENSIBLE",
    "WAVE_FORMAT_PCM",
    "ContainerError",
    "FlacInfo",
    "OpusInfo",
    "WavInfo",
    "WavStreamInfo",
    "last_ogg_granule",
    "parse_flac_streaminfo",
    "parse_opus_head",
    "parse_wav",
    "parse_wav_stream",
]

WAVE_FORMAT_PCM: Final = 0x0001
WAVE_FORMAT_IEEE_FLOAT: Final = 0x0003
WAVE_FORMAT_EXTENSIBLE: Final = 0xFFFE
# KSDATAFORMAT_SUBTYPE_* GUIDs share these 14 trailing bytes; the first two hold the format tag.
_SUBFORMAT_TAIL: Final = b"\x00\x00\x00\x00\x10\x00\x80\x00\x00\xaa\x00\x38\x9b\x71"
# Writers that stream a WAV (sox or ffmpeg to a pipe) cannot seek back to fill in the sizes.
_UNKNOWN_SIZES: Final = (0, 0xFFFFFFFF)
# A fmt chunk is 16, 18 or 40 bytes; anything much larger is not a WAV we should trust.
_FMT_MAX: Final = 1024
# Chunks before the audio (LIST, bext, JUNK, ...) are small; a huge one on a pipe means garbage.
_SKIP_MAX: Final = 16 * 1024 * 1024


class ContainerError(Exception):
    """The bytes are not a well-formed container; the message says what is wrong."""


@dataclass(frozen=True)
class WavInfo:
    """What a WAV file's header declares.

    Attributes:
        format_tag: The effective format tag (the subformat's, for WAVE_FORMAT_EXTENSIBLE).
        sample_rate: Samples per second.
        channels: Interleaved channels.
        bits_per_sample: Container bits per sample.
        block_align: Bytes per frame (one sample of every channel).
        data_offset: Offset of the first audio byte in the file.
        data_length: Audio bytes present, cut down to whole frames.
    """

    format_tag: int
    sample_rate: int
    channels: int
    bits_per_sample: int
    block_align: int
    data_offset: int
    data_length: int


@dataclass(frozen=True)
class WavStreamInfo:
    """What a WAV header read from a stream that cannot seek (a pipe) declares.

    Attributes:
        format_tag: The effective format tag (the subformat's, for WAVE_FORMAT_EXTENSIBLE).
        sample_rate: Samples per second.
        channels: Interleaved channels.
        bits_per_sample: Container bits per sample.
        block_align: Bytes per frame (one sample of every channel).
        data_length: Audio bytes the ``data`` chunk declares, cut down to whole frames, or ``None``
            when the writer could not know it (0 or 0xFFFFFFFF): the audio then runs to the end.
    """

    format_tag: int
    sample_rate: int
    channels: int
    bits_per_sample: int
    block_align: int
    data_length: int | None


@dataclass(frozen=True)
class FlacInfo:
    """What a FLAC file's STREAMINFO block declares (``total_samples`` is 0 when unknown)."""

    sample_rate: int
    channels: int
    bits_per_sample: int
    total_samples: int


@dataclass(frozen=True)
class OpusInfo:
    """What an Ogg-Opus file's ``OpusHead`` declares (the rate of the original input)."""

    channels: int
    input_sample_rate: int


def parse_wav(stream: BinaryIO, file_size: int) -> WavInfo:
    """Parse a RIFF/WAVE header and locate the ``data`` chunk.

    Chunks other than ``fmt `` and ``data`` (``LIST``, ``fact``, ``bext``, ...) are skipped,
    honouring RIFF's pad byte after odd-sized chunks.

    Args:
        stream: A seekable binary file positioned anywhere; it is read from offset 0.
        file_size: The total size of the file in bytes.

    Returns:
        The header's description of the audio.

    Raises:
        ContainerError: The header is malformed, truncated or has no ``fmt ``/``data`` chunk.
    """
    stream.seek(0)
    riff = stream.read(12)
    if len(riff) < 12 or riff[:4] != b"RIFF" or riff[8:12] != b"WAVE":
        raise ContainerError("not a RIFF/WAVE file")
    fmt: tuple[int, int, int, int, int] | None = None
    position = 12
    while True:
        header = stream.read(8)
        if len(header) < 8:
            if fmt is None:
                raise ContainerError("the header ends before its 'fmt ' chunk")
            raise ContainerError("the file has no 'data' chunk")
        chunk_id, size = header[:4], struct.unpack("<I", header[4:])[0]
        body_offset = position + 8
        if chunk_id == b"fmt ":
            if size < 16 or size > _FMT_MAX:
                raise ContainerError(f"its 'fmt ' chunk has an invalid size ({size} bytes)")
            body = stream.read(size)
            if len(body) < size:
                raise ContainerError("the header ends inside its 'fmt ' chunk")
            fmt = _parse_fmt(body)
        elif chunk_id == b"data":
            if fmt is None:
                raise ContainerError("its 'data' chunk comes before the 'fmt ' chunk")
            available = file_size - body_offset
            if size in _UNKNOWN_SIZES and available > 0:
                size = available
            elif size > available:
                raise ContainerError(
                    f"the header declares {size} bytes of audio but only {max(available, 0)} are present"
                )
            tag, rate, channels, bits, block_align = fmt
            return WavInfo(
                format_tag=tag,
                sample_rate=rate,
                channels=channels,
                bits_per_sample=bits,
                block_align=block_align,
                data_offset=body_offset,
                data_length=size - size % block_align if block_align else size,
            )
        position = body_offset + size + (size & 1)
        if position > file_size:
            raise ContainerError(f"its {chunk_id!r} chunk runs past the end of the file")
        stream.seek(position)


def parse_wav_stream(stream: BinaryIO, head: bytes = b"") -> WavStreamInfo:
    """Read a RIFF/WAVE header from a stream that may not seek, up to the first audio byte.

    The stream is read forward only: chunks before ``data`` are read and dropped, and the stream
    is left at the first byte of audio.

    Args:
        stream: A binary stream (e.g. ``sys.stdin.buffer`` over a pipe).
        head: Bytes already read from the start of the stream (at most its first 12).

    Raises:
        ContainerError: The header is malformed or ends before its ``data`` chunk.
    """
    riff = head + _read_exactly(stream, 12 - len(head))
    if len(riff) < 12 or riff[:4] != b"RIFF" or riff[8:12] != b"WAVE":
        raise ContainerError("not a RIFF/WAVE file")
    fmt: tuple[int, int, int, int, int] | None = None
    while True:
        header = _read_exactly(stream, 8)
        if len(header) < 8:
            if fmt is None:
                raise ContainerError("the header ends before its 'fmt ' chunk")
            raise ContainerError("the stream has no 'data' chunk")
        chunk_id, size = header[:4], struct.unpack("<I", header[4:])[0]
        if chunk_id == b"data":
            if fmt is None:
                raise ContainerError("its 'data' chunk comes before the 'fmt ' chunk")
            tag, rate, channels, bits, block_align = fmt
            length = None if size in _UNKNOWN_SIZES else size - size % block_align if block_align else size
            return WavStreamInfo(tag, rate, channels, bits, block_align, length)
        if chunk_id == b"fmt " and not 16 <= size <= _FMT_MAX:
            raise ContainerError(f"its 'fmt ' chunk has an invalid size ({size} bytes)")
        if chunk_id != b"fmt " and size > _SKIP_MAX:
            raise ContainerError(f"its {chunk_id!r} chunk before the audio is implausibly large ({size} bytes)")
        body = _read_exactly(stream, size + (size & 1))
        if len(body) < size:
            raise ContainerError(f"the header ends inside its {chunk_id!r} chunk")
        if chunk_id == b"fmt ":
            fmt = _parse_fmt(body[:size])


def _read_exactly(stream: BinaryIO, size: int) -> bytes:
    """Up to ``size`` bytes: fewer only at the end of the stream (a pipe may return short reads)."""
    parts: list[bytes] = []
    while size > 0 and (data := stream.read(size)):
        parts.append(data)
        size -= len(data)
    return b"".join(parts)


def _parse_fmt(body: bytes) -> tuple[int, int, int, int, int]:
    tag, channels, rate, _byte_rate, block_align, bits = struct.unpack("<HHIIHH", body[:16])
    if tag == WAVE_FORMAT_EXTENSIBLE:
        if len(body) < 40:
            raise ContainerError("its WAVE_FORMAT_EXTENSIBLE 'fmt ' chunk is too short")
        subformat = body[24:40]
        if subformat[2:] != _SUBFORMAT_TAIL:
            raise ContainerError("its WAVE_FORMAT_EXTENSIBLE subformat is not a standard one")
        tag = struct.unpack("<H", subformat[:2])[0]
    return tag, rate, channels, bits, block_align


def parse_flac_streaminfo(head: bytes) -> FlacInfo:
    """Parse the STREAMINFO block that follows the ``fLaC`` marker.

    Args:
        head: At least the first 42 bytes of the file.

    Raises:
        ContainerError: The marker or the STREAMINFO block is missing or truncated.
    """
    if head[:4] != b"fLaC":
        raise ContainerError("not a FLAC file")
    if len(head) < 42:
        raise ContainerError("the FLAC header is truncated")
    block_type = head[4] & 0x7F
    block_length = int.from_bytes(head[5:8], "big")
    if block_type != 0 or block_length < 34:
        raise ContainerError("the FLAC file does not start with a STREAMINFO block")
    # STREAMINFO bytes 10..17: rate (20 bits), channels-1 (3), bits-1 (5), total samples (36).
    packed = int.from_bytes(head[18:26], "big")
    return FlacInfo(
        sample_rate=packed >> 44,
        channels=((packed >> 41) & 0x7) + 1,
        bits_per_sample=((packed >> 36) & 0x1F) + 1,
        total_samples=packed & 0xFFFFFFFFF,
    )


def parse_opus_head(head: bytes) -> OpusInfo | None:
    """Find ``OpusHead`` in the first Ogg page.

    Args:
        head: The first bytes of the file (one Ogg page is at most 65,307 bytes; the identification
            header is in the first few dozen).

    Returns:
        The identification header, or ``None`` when the Ogg stream is not Opus (e.g. Vorbis).

    Raises:
        ContainerError: The data does not start with an Ogg page or the page is truncated.
    """
    if head[:4] != b"OggS" or len(head) < 27:
        raise ContainerError("not an Ogg file")
    segments = head[26]
    packet_start = 27 + segments
    packet = head[packet_start : packet_start + 19]
    if len(packet) < 8:
        raise ContainerError("the first Ogg page is truncated")
    if packet[:8] != b"OpusHead":
        return None
    if len(packet) < 19:
        raise ContainerError("the OpusHead header is truncated")
    return OpusInfo(channels=packet[9], input_sample_rate=struct.unpack("<I", packet[12:16])[0])


def last_ogg_granule(tail: bytes) -> int | None:
    """Return the granule position of the last Ogg page found in ``tail`` (an Opus stream's length).

    Args:
        tail: The last bytes of the file (64 KiB is enough: an Ogg page is at most 65,307 bytes).
    """
    index = tail.rfind(b"OggS")
    while index >= 0:
        if len(tail) - index >= 14:
            granule: int = struct.unpack("<q", tail[index + 6 : index + 14])[0]
            if granule >= 0:
                return granule
        index = tail.rfind(b"OggS", 0, index)
    return None
