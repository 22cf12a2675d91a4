"""How the emulator turns received audio into PCM16: the one decoder of its batch and streaming sides.

* 16-bit PCM WAV is read by the SDK's own header parser (no dependency);
* FLAC, Ogg (Opus and Vorbis), MP3 and every other WAV go through ``soundfile`` (libsndfile, which
  decodes MP3 from version 1.1 on), a dependency of the ``[local]`` extra;
* MP4/M4A (AAC), WebM and AMR, which AWS also accepts for batch jobs, are decoded by no package
  the emulator installs: :func:`decode` raises :class:`UndecodableMedia` naming the format, and the
  job fails with ``Unsupported media format`` instead of crashing.

The rate of Ogg-Opus is the one in its ``OpusHead`` (the original input's rate), as AWS and the
SDK read it (:func:`~transcribe_medical.streaming.audio.opus_sample_rate`). libsndfile decodes
Opus at a rate Opus supports (16 kHz audio stays 16 kHz; 44.1 kHz comes out at 48 kHz), so the
decoded PCM is resampled to the header's rate when the two differ: a stream that declared the
header's rate is recognised at the rate it declared.
"""

from __future__ import annotations

import importlib
import io
import sys
from array import array
from dataclasses import dataclass
from typing import Any, Final

from transcribe_medical.local.recognizers.pcm import resample, split_channels
from transcribe_medical.streaming._wav import WAVE_FORMAT_PCM, ContainerError, parse_opus_head, parse_wav
from transcribe_medical.streaming.audio.formats import opus_sample_rate

__all__ = [
    "UNDECODABLE_FORMATS",
    "DecodedPcm",
    "StreamAudioRefused",
    "UndecodableMedia",
    "decode",
    "decode_stream",
    "detect_container",
    "soundfile_available",
]

#: Batch formats AWS accepts that no package of the ``[local]`` extra decodes, with what they hold.
UNDECODABLE_FORMATS: Final = {"mp4": "MP4 (AAC)", "m4a": "M4A (AAC)", "webm": "WebM", "amr": "AMR"}
# What libsndfile calls each container the emulator hands it.
_SOUNDFILE_FORMATS: Final = {"wav": "WAV", "flac": "FLAC", "ogg": "OGG", "mp3": "MP3"}
_INSTALL_HINT: Final = "install it with: pip install 'transcribe-medical[local]'"


class UndecodableMedia(Exception):
    """The audio cannot be decoded here; ``str()`` says why, naming the format."""


class StreamAudioRefused(Exception):
    """A stream's compressed audio is not what its request declared; ``str()`` is the service's message."""


@dataclass(frozen=True)
class DecodedPcm:
    """Decoded audio: interleaved PCM16 little-endian at ``sample_rate``.

    Attributes:
        container: ``wav``, ``flac``, ``ogg`` or ``mp3``.
        sample_rate: The audio's rate as AWS detects it (for Ogg-Opus, the ``OpusHead`` input rate).
        channels: Interleaved channels.
        pcm16: The samples, at ``sample_rate``.
    """

    container: str
    sample_rate: int
    channels: int
    pcm16: bytes


def detect_container(data: bytes) -> str | None:
    """The media format the bytes start like (``wav``, ``flac``, ``ogg``, ``mp3``, ``mp4``, ``webm``, ``amr``).

    Example:
        >>> detect_container(b"fLaC\\x00\\x00\\x00\\x22")
        'flac'
    """
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return "wav"
    if data[:4] == b"fLaC":
        return "flac"
    if data[:4] == b"OggS":
        return "ogg"
    if data[:3] == b"ID3" or (len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0):
        return "mp3"
    if data[4:8] == b"ftyp":
        return "mp4"
    if data[:4] == b"\x1aE\xdf\xa3":
        return "webm"
    if data[:6] == b"#!AMR\n":
        return "amr"
    return None


def soundfile_available() -> bool:
    """Whether ``soundfile`` (FLAC, Ogg, MP3 decoding; part of ``[local]``) can be imported."""
    return _soundfile() is not None


def decode(data: bytes, container: str | None = None) -> DecodedPcm:
    """Decode a whole audio file to PCM16.

    Args:
        data: The file's bytes.
        container: What the bytes are, if already known (see :func:`detect_container`).

    Raises:
        UndecodableMedia: The format is unknown, not decodable here, or the bytes are damaged.
    """
    container = container or detect_container(data)
    if container in UNDECODABLE_FORMATS:
        raise UndecodableMedia(
            f"the local emulator cannot decode {UNDECODABLE_FORMATS[container]} audio (AWS can); "
            f"to test locally, convert it with: ffmpeg -i in.{container} out.flac"
        )
    if container not in _SOUNDFILE_FORMATS:
        raise UndecodableMedia(
            "the file is not audio the local emulator recognises (WAV, FLAC, Ogg, MP3, MP4/M4A, WebM or AMR)"
        )
    if container == "wav":
        pcm = _pcm16_wav(data)
        if pcm is not None:
            return pcm
    return _decode_with_soundfile(data, container)


def decode_stream(data: bytes, media_encoding: str, sample_rate: int, channels: int) -> bytes:
    """Decode the whole of a stream's ``flac`` or ``ogg-opus`` audio, checked against its request.

    The rate checked is the one AWS and the SDK read from the header: FLAC's STREAMINFO rate, and
    for Ogg-Opus the ``OpusHead`` input rate (not the 48 kHz Opus decodes at).

    Args:
        data: Every AudioEvent payload of the stream, in order.
        media_encoding: The declared ``media-encoding`` (``flac`` or ``ogg-opus``).
        sample_rate: The declared sample rate.
        channels: The channels the request implies (2 with channel identification, else 1).

    Returns:
        Interleaved PCM16 at ``sample_rate``.

    Raises:
        StreamAudioRefused: The audio is another format, another rate or channel count, or damaged.
    """
    expected = "flac" if media_encoding == "flac" else "ogg"
    container = detect_container(data)
    if container != expected:
        raise StreamAudioRefused(
            f"The media encoding provided ({media_encoding}) does not match the detected media format "
            f"({container or 'unknown'})."
        )
    try:
        decoded = decode(data, container)
    except UndecodableMedia as error:
        raise StreamAudioRefused(f"The {media_encoding} audio could not be decoded: {error}.") from None
    if decoded.sample_rate != sample_rate:
        raise StreamAudioRefused(
            f"The sample rate provided ({sample_rate}) does not match the detected sample rate ({decoded.sample_rate})."
        )
    if decoded.channels != channels:
        raise StreamAudioRefused(f"The audio has {decoded.channels} channel(s); the request declared {channels}.")
    return decoded.pcm16


def _pcm16_wav(data: bytes) -> DecodedPcm | None:
    """A 16-bit PCM WAV, read without soundfile; ``None`` for another kind of WAV."""
    try:
        info = parse_wav(io.BytesIO(data), len(data))
    except ContainerError as error:
        raise UndecodableMedia(f"the WAV file is not usable: {error}") from None
    if info.format_tag != WAVE_FORMAT_PCM or info.bits_per_sample != 16 or info.channels < 1:
        return None
    pcm = data[info.data_offset : info.data_offset + info.data_length]
    return DecodedPcm("wav", info.sample_rate, info.channels, pcm)


def _soundfile() -> Any:
    try:
        return importlib.import_module("soundfile")
    except (ImportError, OSError):  # OSError: the package is there but libsndfile is not
        return None


def _decode_with_soundfile(data: bytes, container: str) -> DecodedPcm:
    soundfile = _soundfile()
    if soundfile is None:
        raise UndecodableMedia(f"the local emulator decodes {container} with the soundfile package: {_INSTALL_HINT}")
    if _SOUNDFILE_FORMATS[container] not in soundfile.available_formats():
        raise UndecodableMedia(
            f"this soundfile's libsndfile ({soundfile.__libsndfile_version__}) cannot decode {container}; "
            "libsndfile 1.1 or newer decodes MP3: upgrade with: pip install -U soundfile"
        )
    try:
        with soundfile.SoundFile(io.BytesIO(data)) as audio:
            rate, channels = int(audio.samplerate), int(audio.channels)
            # buffer_read gives native-endian int16 without needing numpy.
            pcm = _little_endian(bytes(audio.buffer_read(dtype="int16")))
    except Exception as error:  # soundfile raises RuntimeError / LibsndfileError / SoundFileError
        raise UndecodableMedia(f"the {container} file could not be decoded ({type(error).__name__})") from None
    declared = _opus_rate(data) if container == "ogg" else None
    if declared is not None and declared != rate:
        pcm, rate = _resample_interleaved(pcm, channels, rate, declared), declared
    return DecodedPcm(container, rate, channels, pcm)


def _opus_rate(data: bytes) -> int | None:
    try:
        info = parse_opus_head(data[:512])
    except ContainerError:
        return None
    return None if info is None else opus_sample_rate(info)


def _little_endian(pcm: bytes) -> bytes:
    if sys.byteorder == "little":
        return pcm
    samples = array("h", pcm)
    samples.byteswap()
    return samples.tobytes()


def _resample_interleaved(pcm16: bytes, channels: int, from_rate: int, to_rate: int) -> bytes:
    parts = [resample(part, from_rate, to_rate) for part in split_channels(pcm16, channels)]
    if channels == 1:
        return parts[0]
    length = min(len(part) for part in parts) // 2
    out = array("h", bytes(2 * length * channels))
    for index, part in enumerate(parts):
        samples = array("h", part[: 2 * length])
        out[index::channels] = samples
    return out.tobytes()
