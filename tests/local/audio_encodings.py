"""Real encodings of the bundled dictation (FLAC, Ogg-Opus, Ogg-Vorbis, MP3, 24-bit WAV), made at test time.

They are written with ``soundfile`` (libsndfile's encoders), a dependency of the ``[local]`` extra
that the tests install, so no ffmpeg, sox or flite is needed. A 16 kHz Ogg-Opus made this way
records 16000 as its ``OpusHead`` input rate, as ``ffmpeg -i x16.wav -c:a libopus x16.ogg`` does.
"""

from __future__ import annotations

import io
import struct
import wave
from array import array
from typing import Any, Final

from transcribe_medical.local.data import SAMPLE_DICTATION_WAV

#: (libsndfile format, subtype) per test encoding.
ENCODINGS: Final = {
    "flac": ("FLAC", "PCM_16"),
    "opus": ("OGG", "OPUS"),
    "vorbis": ("OGG", "VORBIS"),
    "mp3": ("MP3", "MPEG_LAYER_III"),
    "wav24": ("WAV", "PCM_24"),
    "wavfloat": ("WAV", "FLOAT"),
}


def dictation(seconds: float = 4.0) -> tuple[bytes, int]:
    """The first ``seconds`` of the bundled dictation: ``(pcm16 mono, 16000)``."""
    with wave.open(str(SAMPLE_DICTATION_WAV), "rb") as reader:
        rate = reader.getframerate()
        return reader.readframes(int(rate * seconds)), rate


def stereo(left: bytes, right: bytes) -> bytes:
    """Interleave two mono PCM16 buffers of the same length."""
    out = array("h", bytes(len(left) * 2))
    out[0::2] = array("h", left)
    out[1::2] = array("h", right)
    return out.tobytes()


def _soundfile() -> Any:
    try:
        import soundfile
    except (ImportError, OSError) as error:  # pragma: no cover - the [local] extra installs it
        raise AssertionError(f"these tests need soundfile (pip install -e '.[dev]'): {error}") from error
    return soundfile


def encode(name: str, pcm16: bytes, rate: int, channels: int = 1) -> bytes:
    """``pcm16`` encoded as ``name`` (a key of :data:`ENCODINGS`), in memory."""
    soundfile = _soundfile()
    container, subtype = ENCODINGS[name]
    assert container in soundfile.available_formats(), (
        f"this libsndfile ({soundfile.__libsndfile_version__}) cannot write {container}: "
        "soundfile >= 0.12.1 bundles one that can"
    )
    out = io.BytesIO()
    with soundfile.SoundFile(out, "w", rate, channels, subtype, format=container) as writer:
        writer.buffer_write(pcm16, dtype="int16")
    return out.getvalue()


def ogg_crc(data: bytes) -> int:
    """The CRC of an Ogg page (polynomial 0x04C11DB7, not reflected), computed with its CRC field zeroed."""
    crc = 0
    for byte in data:
        crc ^= byte << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7) & 0xFFFFFFFF if crc & 0x80000000 else (crc << 1) & 0xFFFFFFFF
    return crc


def with_opus_input_rate(ogg: bytes, rate: int) -> bytes:
    """An Ogg-Opus file whose ``OpusHead`` records ``rate`` as the input rate (its page CRC redone).

    As an encoder fed 44.1 kHz audio writes it: the Opus stream itself is unchanged.
    """
    data = bytearray(ogg)
    segments = data[26]
    head = 27 + segments
    end = head + sum(data[27:head])
    assert data[head : head + 8] == b"OpusHead"
    data[head + 12 : head + 16] = struct.pack("<I", rate)
    data[22:26] = bytes(4)
    data[22:26] = struct.pack("<I", ogg_crc(bytes(data[:end])))
    return bytes(data)


def opus_input_rate(ogg: bytes) -> int:
    """The input rate an Ogg-Opus file's ``OpusHead`` records."""
    head = 27 + ogg[26]
    rate: int = struct.unpack("<I", ogg[head + 12 : head + 16])[0]
    return rate


def envelope(pcm16: bytes, rate: int, window_s: float = 0.1) -> list[float]:
    """Mean absolute amplitude of each ``window_s`` of mono PCM16: the shape of the speech."""
    samples = array("h", pcm16)
    size = int(rate * window_s)
    return [sum(map(abs, samples[start : start + size])) / size for start in range(0, len(samples) - size + 1, size)]


def correlation(a: list[float], b: list[float]) -> float:
    """Pearson correlation of two envelopes (cut to the shorter)."""
    n = min(len(a), len(b))
    a, b = a[:n], b[:n]
    mean_a, mean_b = sum(a) / n, sum(b) / n
    cov = sum((x - mean_a) * (y - mean_b) for x, y in zip(a, b, strict=True))
    var_a = sum((x - mean_a) ** 2 for x in a)
    var_b = sum((y - mean_b) ** 2 for y in b)
    return float(cov / (var_a * var_b) ** 0.5)
