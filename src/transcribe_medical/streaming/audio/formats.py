"""Audio formats: :class:`AudioFormat`, container sniffing, and the checks against the service's limits.

A stream's audio is PCM (signed 16-bit little-endian), FLAC or Ogg-Opus at 16000-48000 Hz with 1
or 2 channels (aws-transcribe-medical §3.5). This module reads what a container's header declares
(through the sans-I/O parsers of :mod:`transcribe_medical.streaming._wav`) and turns anything the
service would refuse into an :class:`~transcribe_medical.AudioFormatError` that names the fix.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from typing import BinaryIO, Final

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
    OpusInfo,
    parse_flac_streaminfo,
    parse_opus_head,
    parse_wav,
    parse_wav_stream,
)

__all__ = ["OGG_OPUS_SAMPLE_RATE", "AudioFormat", "opus_sample_rate", "pcm_chunk_size", "read_wav_header"]

#: The rate Opus decodes at and counts granule positions in; declared for an Ogg-Opus stream only
#: when its ``OpusHead`` records no input rate (otherwise that rate is declared: see
#: :func:`opus_sample_rate`).
OGG_OPUS_SAMPLE_RATE: Final = 48_000
_PCM_SAMPLE_BYTES: Final = 2
_SNIFF_BYTES: Final = 512
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
            f"{what} has no header to read its sample rate from: pass sample_rate=",
            field="sample_rate",
        )
    return AudioFormat(encoding or MediaEncoding.PCM, sample_rate, channels or 1)


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
            f"omit media_encoding= or pass {actual.media_encoding.value}",
            field="media_encoding",
        )
    if sample_rate is not None and sample_rate != actual.sample_rate:
        raise AudioFormatError(
            f"sample_rate={sample_rate} was given but {name} is sampled at {actual.sample_rate} Hz; "
            f"omit sample_rate= or pass {actual.sample_rate}",
            field="sample_rate",
        )
    if channels is not None and channels != actual.channels:
        raise AudioFormatError(
            f"channels={channels} was given but {name} has {actual.channels}; omit it or pass {actual.channels}",
            field="channels",
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
    fmt = _pcm_wav_format(
        name, info.format_tag, info.bits_per_sample, info.channels, info.block_align, info.sample_rate
    )
    if info.data_length == 0:
        raise AudioFormatError(f"{name} contains no audio (its data chunk is empty)", field="audio")
    return fmt, info.data_offset, info.data_length


def _pcm_wav_format(
    name: str, tag: int, bits: int, channels: int, block_align: int, sample_rate: int, *, file: str | None = None
) -> AudioFormat:
    """The format of a WAV whose ``fmt `` chunk says this, if streaming can send it as ``pcm``.

    ``file`` is the path to show in the conversion commands (default ``name``).
    """
    file = file or name
    if tag == WAVE_FORMAT_IEEE_FLOAT:
        raise AudioFormatError(
            f"{name} is {bits}-bit floating-point WAV; streaming needs 16-bit PCM: "
            f"convert with: sox {file} -b 16 -e signed-integer out.wav",
            field="audio",
        )
    if tag != WAVE_FORMAT_PCM:
        raise AudioFormatError(
            f"{name} is a compressed WAV (format tag 0x{tag:04x}); streaming needs 16-bit PCM: "
            f"convert with: sox {file} -b 16 -e signed-integer out.wav",
            field="audio",
        )
    if bits != 16:
        raise AudioFormatError(
            f"{name} is {bits}-bit PCM; streaming needs 16-bit PCM: convert with: sox {file} -b 16 out.wav",
            field="audio",
        )
    if channels < 1 or block_align != channels * _PCM_SAMPLE_BYTES:
        if channels > STREAM_CHANNELS:
            raise _channels_error(name, channels, file=file)
        raise AudioFormatError(f"{name} has an inconsistent WAV header; export it again", field="audio")
    return _file_format(name, MediaEncoding.PCM, sample_rate, channels, file=file)


def _wav_stream_format(stream: BinaryIO, name: str) -> tuple[AudioFormat, int | None]:
    """Read a WAV header from a stream that may not seek (stdin) and check it like a file's.

    The stream is left at the first audio byte.

    Returns:
        ``(format, data_length)``; ``data_length`` is ``None`` when the writer could not know it
        (sox or ffmpeg writing to a pipe): the audio runs to the end of the stream.
    """
    head = stream.read(4)  # a buffered stream returns 4 bytes unless it ends first
    if head in (b"RIFX", b"RF64"):
        raise AudioFormatError(
            f"{name} is a {head.decode()} file, which is not supported; convert it with: sox in.wav -b 16 out.wav",
            field="audio",
        )
    try:
        info = parse_wav_stream(stream, head)
    except ContainerError as exc:
        raise AudioFormatError(f"{name} is not a usable WAV file: {exc}", field="audio") from None
    fmt = _pcm_wav_format(
        name, info.format_tag, info.bits_per_sample, info.channels, info.block_align, info.sample_rate, file="in.wav"
    )
    return fmt, info.data_length


def _channels_error(name: str, channels: int, *, file: str | None = None) -> AudioFormatError:
    return AudioFormatError(
        f"{name} has {channels} channels; streaming accepts 1 or 2: mix down with: sox {file or name} -c 1 out.wav",
        field="channels",
    )


def _file_format(
    name: str, encoding: MediaEncoding, sample_rate: int, channels: int, *, file: str | None = None
) -> AudioFormat:
    if not SAMPLE_RATE_MIN <= sample_rate <= SAMPLE_RATE_MAX:
        raise AudioFormatError(
            f"{name} is sampled at {sample_rate} Hz; Transcribe Medical needs {_RATES}: "
            f"resample with: {_resample_command(file or name, encoding)}",
            field="sample_rate",
        )
    if not 1 <= channels <= STREAM_CHANNELS:
        raise _channels_error(name, channels, file=file)
    return AudioFormat(encoding, sample_rate, channels)


def _resample_command(file: str, encoding: MediaEncoding) -> str:
    if encoding is MediaEncoding.OGG_OPUS:
        return f"ffmpeg -i {file} -ar 16000 -c:a libopus out.ogg"
    return f"sox {file} -r 16000 out.{'flac' if encoding is MediaEncoding.FLAC else 'wav'}"


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
    return _file_format(name, MediaEncoding.OGG_OPUS, opus_sample_rate(info), info.channels)


def opus_sample_rate(info: OpusInfo) -> int:
    """The sample rate to declare for an Ogg-Opus stream: its ``OpusHead`` input rate, as AWS reads it.

    Opus itself always decodes at 48 kHz, but the service checks the declared rate against the
    rate of the original input recorded in the header (``ffmpeg -c:a libopus`` of a 16 kHz WAV
    records 16000). A header that gives no rate (0, "unspecified" in RFC 7845) means 48 kHz.
    """
    return info.input_sample_rate or OGG_OPUS_SAMPLE_RATE
