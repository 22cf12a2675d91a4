"""Audio sources: WAV/FLAC/Ogg-Opus headers, chunking rules, pacing and the microphone."""

from __future__ import annotations

import asyncio
import io
import logging
import os
import struct
import sys
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from transcribe_medical._exceptions import AudioFormatError, ValidationError
from transcribe_medical._limits import AUDIO_EVENT_MAX_PAYLOAD
from transcribe_medical.models.enums import MediaEncoding
from transcribe_medical.streaming.audio import (
    AsyncIterableAudioSource,
    AudioFormat,
    AudioSource,
    FileAudioSource,
    IterableAudioSource,
    MicrophoneSource,
    Pacer,
    RawStreamAudioSource,
    open_audio,
    pcm_chunk_size,
    raw_stream_source,
    read_wav_header,
    rereader,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "audio"
PCM_SUBFORMAT = struct.pack("<H", 1) + b"\x00\x00\x00\x00\x10\x00\x80\x00\x00\xaa\x00\x38\x9b\x71"


# --- builders ---------------------------------------------------------------------------------


def chunk(chunk_id: bytes, body: bytes) -> bytes:
    """A RIFF chunk, with its pad byte when the body is odd-sized."""
    return chunk_id + struct.pack("<I", len(body)) + body + (b"\x00" if len(body) % 2 else b"")


def make_wav(
    pcm: bytes,
    *,
    rate: int = 16000,
    channels: int = 1,
    bits: int = 16,
    tag: int = 1,
    extensible: bool = False,
    before_fmt: bytes = b"",
    before_data: bytes = b"",
    data_size: int | None = None,
) -> bytes:
    """A WAV file; ``data_size`` overrides the declared size of the data chunk."""
    block_align = channels * bits // 8
    fields = struct.pack(
        "<HHIIHH", 0xFFFE if extensible else tag, channels, rate, rate * block_align, block_align, bits
    )
    if extensible:
        subformat = struct.pack("<H", tag) + PCM_SUBFORMAT[2:]
        fields += struct.pack("<HHI", 22, bits, 0) + subformat
    size = len(pcm) if data_size is None else data_size
    data = b"data" + struct.pack("<I", size) + pcm
    body = b"WAVE" + before_fmt + chunk(b"fmt ", fields) + before_data + data
    return b"RIFF" + struct.pack("<I", len(body)) + body


def make_flac(*, rate: int = 16000, channels: int = 1, total_samples: int = 32000, frames: bytes = b"") -> bytes:
    """A FLAC file: marker, STREAMINFO (last metadata block), then opaque frame bytes."""
    packed = (rate << 44) | ((channels - 1) << 41) | (15 << 36) | total_samples
    streaminfo = struct.pack(">HH", 4096, 4096) + b"\x00" * 6 + packed.to_bytes(8, "big") + b"\x00" * 16
    return b"fLaC" + bytes([0x80]) + len(streaminfo).to_bytes(3, "big") + streaminfo + frames


def ogg_page(packet: bytes, *, granule: int, header_type: int = 0) -> bytes:
    """One Ogg page holding one packet (no CRC: the sources never check it)."""
    segments = [255] * (len(packet) // 255) + [len(packet) % 255]
    return (
        b"OggS"
        + bytes([0, header_type])
        + struct.pack("<qIII", granule, 1, 0, 0)
        + bytes([len(segments)])
        + bytes(segments)
        + packet
    )


def make_ogg_opus(
    *, channels: int = 1, seconds: float = 2.0, body: bytes = b"\x01" * 3000, input_rate: int = 16000
) -> bytes:
    """An Ogg-Opus file: OpusHead (recording ``input_rate``), OpusTags, then ``body`` in pages.

    The last page ends at ``seconds`` (granule positions count 48 kHz samples, whatever the input rate).
    """
    head = b"OpusHead" + struct.pack("<BBHIhB", 1, channels, 312, input_rate, 0, 0)
    pages = [ogg_page(head, granule=0, header_type=2), ogg_page(b"OpusTags" + b"\x00" * 8, granule=0)]
    pieces = [body[start : start + 60_000] for start in range(0, len(body), 60_000)]
    for index, piece in enumerate(pieces, start=1):
        pages.append(ogg_page(piece, granule=int(seconds * 48000 * index / len(pieces))))
    return b"".join(pages)


def tone(n_frames: int, channels: int = 1) -> bytes:
    """Distinct little-endian samples, so misplaced bytes are detected."""
    return b"".join(struct.pack("<h", (i * 7919) % 65536 - 32768) for i in range(n_frames * channels))


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def collect_async(source: AudioSource) -> list[bytes]:
    async def run() -> list[bytes]:
        return [piece async for piece in source.achunks()]

    return asyncio.run(run())


# --- WAV headers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "rate", "channels"),
    [("mono_16k.wav", 16000, 1), ("stereo_16k.wav", 16000, 2), ("mono_44k.wav", 44100, 1)],
)
def test_read_wav_header_of_fixtures(name: str, rate: int, channels: int) -> None:
    path = FIXTURES / name
    fmt, offset, length = read_wav_header(path)
    assert fmt == AudioFormat(MediaEncoding.PCM, rate, channels)
    assert offset + length == path.stat().st_size
    assert length % (2 * channels) == 0
    assert length / fmt.sample_rate / channels / 2 > 1.5  # seconds


def test_extensible_header_and_extra_chunks_are_understood(tmp_path: Path) -> None:
    pcm = tone(1601, channels=2)
    wav = make_wav(
        pcm,
        rate=22050,
        channels=2,
        extensible=True,
        before_fmt=chunk(b"JUNK", b"\x00" * 27),  # odd size: a pad byte follows
        before_data=chunk(b"LIST", b"INFOISFT" + struct.pack("<I", 5) + b"sox\x00\x00\x00")
        + chunk(b"fact", struct.pack("<I", 1601)),
    )
    path = write(tmp_path, "extensible.wav", wav)
    fmt, offset, length = read_wav_header(path)
    assert fmt == AudioFormat(MediaEncoding.PCM, 22050, 2)
    assert wav[offset : offset + length] == pcm
    source = open_audio(path)
    assert b"".join(source.chunks()) == pcm


def test_read_wav_header_accepts_an_open_file() -> None:
    with (FIXTURES / "mono_16k.wav").open("rb") as stream:
        fmt, offset, _ = read_wav_header(stream)
    assert (fmt.sample_rate, offset) == (16000, 44)


@pytest.mark.parametrize("declared", [0xFFFFFFFF, 0])
def test_streamed_wav_without_sizes_reads_to_the_end(declared: int) -> None:
    pcm = tone(800)
    source = open_audio(make_wav(pcm, data_size=declared))
    assert b"".join(source.chunks()) == pcm


def test_trailing_partial_frame_is_dropped() -> None:
    pcm = tone(100, channels=2)
    source = open_audio(make_wav(pcm + b"\x01", channels=2))
    assert b"".join(source.chunks()) == pcm


def test_wav_chunks_are_chunk_ms_of_audio() -> None:
    source = open_audio(FIXTURES / "mono_16k.wav", chunk_ms=50)
    sizes = [len(piece) for piece in source.chunks()]
    assert set(sizes[:-1]) == {1600}
    assert 0 < sizes[-1] <= 1600
    assert isinstance(source, FileAudioSource)
    assert source.bytes_per_second == 32000


def test_file_source_can_be_replayed_and_iterated_async() -> None:
    source = open_audio(FIXTURES / "stereo_16k.wav")
    first = list(source.chunks())
    assert list(source.chunks()) == first
    assert collect_async(source) == first


def test_a_file_can_be_re_read_from_any_point_and_a_live_source_cannot() -> None:
    source = open_audio(FIXTURES / "stereo_16k.wav")
    audio = b"".join(source.chunks())
    reread = rereader(source)
    assert reread is not None
    assert b"".join(reread(1000, len(audio))) == audio[1000:]
    assert b"".join(reread(4, 200_000)) == audio[4:200_000]
    assert all(len(piece) <= 64 * 1024 for piece in reread(0, len(audio)))
    assert b"".join(reread(len(audio), len(audio) + 10)) == b""
    raw = open_audio(b"\x01\x02" * 8000, sample_rate=16000)  # bytes in memory are read again too
    assert rereader(raw) is not None
    assert rereader(open_audio(iter([b"\x00\x00"]), sample_rate=16000)) is None
    assert rereader(RawStreamAudioSource(io.BytesIO(b""), format=AudioFormat("pcm", 16000), chunk_bytes=3200)) is None


def test_stdin_from_a_regular_file_is_re_read_and_from_a_pipe_is_live(tmp_path: Path) -> None:
    fmt = AudioFormat("pcm", 16000)
    pcm = bytes(range(256)) * 100
    path = tmp_path / "visit.pcm"
    path.write_bytes(b"skipped!" + pcm)
    with path.open("rb") as stream:
        stream.read(8)  # the source starts where the stream is
        source = raw_stream_source(stream, format=fmt, chunk_bytes=3200)
        chunks = source.chunks()
        assert next(chunks) == pcm[:3200]
        reread = rereader(source)
        assert reread is not None
        assert b"".join(reread(100, 9000)) == pcm[100:9000]
        assert b"".join(chunks) == pcm[3200:]  # re-reading moved nothing
    read_end, write_end = os.pipe()
    with os.fdopen(read_end, "rb") as piped, os.fdopen(write_end, "wb"):
        assert rereader(raw_stream_source(piped, format=fmt, chunk_bytes=3200)) is None


def test_a_file_truncated_before_it_is_re_read(tmp_path: Path) -> None:
    path = write(tmp_path, "shrinks.wav", make_wav(tone(16000)))
    source = open_audio(path)
    reread = rereader(source)
    assert reread is not None
    path.write_bytes(path.read_bytes()[:2000])
    with pytest.raises(AudioFormatError, match="truncated"):
        list(reread(0, 20_000))


# --- errors -----------------------------------------------------------------------------------

ErrorCase = tuple[str, bytes, dict[str, Any], tuple[str, ...]]
PCM = tone(1600)
ERROR_CASES: list[ErrorCase] = [
    ("notes.wav", b"Patient notes: follow up in two weeks.\n", {}, ("not a WAV/FLAC/Ogg-Opus file", "text", "sox")),
    ("noise.bin", bytes(range(200, 256)) * 4, {}, ("not a WAV/FLAC/Ogg-Opus file", "not recognised")),
    ("empty.wav", b"", {}, ("empty",)),
    ("8bit.wav", make_wav(bytes(1600), bits=8), {}, ("8-bit", "16-bit", "sox")),
    ("24bit.wav", make_wav(bytes(4800), bits=24), {}, ("24-bit", "-b 16")),
    ("24bit_ext.wav", make_wav(bytes(4800), bits=24, extensible=True), {}, ("24-bit",)),
    ("float.wav", make_wav(bytes(6400), bits=32, tag=3), {}, ("floating-point",)),
    ("alaw.wav", make_wav(bytes(1600), bits=8, tag=6), {}, ("compressed WAV", "0x0006")),
    ("3ch.wav", make_wav(bytes(600), channels=3), {}, ("3 channels", "1 or 2", "-c 1")),
    ("8k.wav", make_wav(PCM, rate=8000), {}, ("8000 Hz", "16000-48000", "-r 16000")),
    ("96k.wav", make_wav(PCM, rate=96000), {}, ("96000 Hz", "16000-48000")),
    ("header_only.wav", make_wav(PCM)[:30], {}, ("truncated",)),
    ("cut.wav", make_wav(PCM)[:1000], {}, ("declares 3200 bytes", "only 956")),
    ("no_data.wav", make_wav(PCM)[:36], {}, ("no 'data' chunk",)),
    ("silent.wav", make_wav(b""), {}, ("contains no audio",)),
    ("rifx.wav", b"RIFX" + make_wav(PCM)[4:], {}, ("RIFX", "not supported")),
    ("rate.wav", make_wav(PCM), {"sample_rate": 8000}, ("sample_rate=8000", "16000 Hz", "omit sample_rate=")),
    ("rate2.wav", make_wav(PCM), {"sample_rate": 44100}, ("sample_rate=44100", "pass 16000")),
    ("enc.wav", make_wav(PCM), {"media_encoding": "flac"}, ("media_encoding=flac", "is pcm")),
    ("channels.wav", make_wav(PCM), {"channels": 2}, ("channels=2", "has 1")),
    ("8k.flac", make_flac(rate=8000), {}, ("8000 Hz", "16000-48000")),
    ("3ch.flac", make_flac(channels=3), {}, ("3 channels",)),
    ("short.flac", b"fLaC\x80\x00\x00", {}, ("FLAC", "truncated")),
    ("vorbis.ogg", ogg_page(b"\x01vorbis" + b"\x00" * 23, granule=0, header_type=2), {}, ("not Opus",)),
    ("3ch.ogg", make_ogg_opus(channels=3), {}, ("3 channels",)),
    ("rate.ogg", make_ogg_opus(), {"sample_rate": 48000}, ("sample_rate=48000", "16000 Hz", "pass 16000")),
    ("8k.ogg", make_ogg_opus(input_rate=8000), {}, ("8000 Hz", "16000-48000", "ffmpeg", "-ar 16000 -c:a libopus")),
]


@pytest.mark.parametrize(("name", "data", "options", "expected"), ERROR_CASES, ids=[case[0] for case in ERROR_CASES])
def test_unsupported_audio_raises_one_clear_line(
    tmp_path: Path, name: str, data: bytes, options: dict[str, Any], expected: tuple[str, ...]
) -> None:
    path = write(tmp_path, name, data)
    with pytest.raises(AudioFormatError) as caught:
        open_audio(path, **options)
    message = str(caught.value)
    assert "\n" not in message
    for fragment in expected:
        assert fragment in message
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("notes.txt", b"not audio at all\n", "not a WAV/FLAC/Ogg-Opus file"),
        ("8bit.wav", make_wav(bytes(1600), bits=8), "8-bit"),
        ("3ch.wav", make_wav(bytes(600), channels=3), "3 channels"),
        ("empty.wav", b"", "empty"),
    ],
)
def test_read_wav_header_raises_the_same_errors(tmp_path: Path, name: str, data: bytes, expected: str) -> None:
    with pytest.raises(AudioFormatError, match=expected):
        read_wav_header(write(tmp_path, name, data))


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(AudioFormatError, match="no such file"):
        open_audio(tmp_path / "absent.wav")
    with pytest.raises(AudioFormatError, match="is a directory"):
        open_audio(tmp_path)


def test_file_truncated_while_being_read(tmp_path: Path) -> None:
    path = write(tmp_path, "shrinks.wav", make_wav(tone(16000)))
    source = open_audio(path)
    path.write_bytes(path.read_bytes()[:2000])
    with pytest.raises(AudioFormatError, match="truncated"):
        list(source.chunks())


@pytest.mark.parametrize("chunk_ms", [0, 49, 201, 1000])
def test_chunk_ms_outside_50_to_200_is_refused(chunk_ms: int) -> None:
    with pytest.raises(ValidationError, match="50-200 ms"):
        open_audio(FIXTURES / "mono_16k.wav", chunk_ms=chunk_ms)
    with pytest.raises(ValidationError):
        pcm_chunk_size(16000, 1, chunk_ms)


@pytest.mark.parametrize(("rate", "channels"), [(8000, 1), (48001, 1), (16000, 0), (16000, 3)])
def test_audio_format_validates_itself(rate: int, channels: int) -> None:
    with pytest.raises(AudioFormatError):
        AudioFormat(MediaEncoding.PCM, rate, channels)


def test_audio_format_coerces_the_encoding() -> None:
    fmt = AudioFormat("ogg-opus", 48000, 2)  # type: ignore[arg-type]
    assert fmt.media_encoding is MediaEncoding.OGG_OPUS
    assert fmt.bytes_per_second is None
    assert AudioFormat(MediaEncoding.PCM, 16000, 2).bytes_per_second == 64000


def test_unknown_media_encoding_is_refused() -> None:
    with pytest.raises(AudioFormatError, match="use one of pcm, ogg-opus, flac"):
        open_audio([b"\x00\x00"], sample_rate=16000, media_encoding="mp3")


# --- chunk sizes ------------------------------------------------------------------------------


@given(
    rate=st.integers(16000, 48000),
    channels=st.integers(1, 2),
    chunk_ms=st.integers(50, 200),
)
def test_pcm_chunk_size_is_aligned_and_capped(rate: int, channels: int, chunk_ms: int) -> None:
    size = pcm_chunk_size(rate, channels, chunk_ms)
    frame = 2 * channels
    assert 0 < size <= AUDIO_EVENT_MAX_PAYLOAD
    assert size % frame == 0
    wanted = rate * chunk_ms // 1000 * frame
    assert size == min(wanted, AUDIO_EVENT_MAX_PAYLOAD // frame * frame)


def test_pcm_chunk_size_examples() -> None:
    assert pcm_chunk_size(16000, 1) == 3200
    assert pcm_chunk_size(44100, 1) == 8820
    assert pcm_chunk_size(48000, 2, 200) == 32768  # 200 ms would be 38,400 B: capped


@given(
    rate=st.sampled_from([16000, 22050, 32000, 44100, 48000]),
    channels=st.integers(1, 2),
    chunk_ms=st.integers(50, 200),
    n_frames=st.integers(1, 20000),
)
def test_wav_chunks_respect_the_rules(rate: int, channels: int, chunk_ms: int, n_frames: int) -> None:
    pcm = bytes(range(256)) * (n_frames * channels * 2 // 256) + bytes(n_frames * channels * 2 % 256)
    source = open_audio(make_wav(pcm, rate=rate, channels=channels), chunk_ms=chunk_ms)
    pieces = list(source.chunks())
    assert b"".join(pieces) == pcm
    for piece in pieces:
        assert 0 < len(piece) <= AUDIO_EVENT_MAX_PAYLOAD
        assert len(piece) % (2 * channels) == 0


# --- FLAC and Ogg-Opus ------------------------------------------------------------------------


def test_flac_passes_through_with_its_streaminfo(tmp_path: Path) -> None:
    data = make_flac(rate=44100, channels=2, total_samples=88200, frames=bytes(range(256)) * 300)
    source = open_audio(write(tmp_path, "visit.flac", data))
    assert source.format == AudioFormat(MediaEncoding.FLAC, 44100, 2)
    pieces = list(source.chunks())
    assert b"".join(pieces) == data
    assert all(0 < len(piece) <= AUDIO_EVENT_MAX_PAYLOAD for piece in pieces)
    assert isinstance(source, FileAudioSource)
    assert source.bytes_per_second == pytest.approx(len(data) / 2.0)
    assert len(pieces[0]) == int(len(data) / 2.0 * 0.1)


def test_flac_of_unknown_length_uses_a_fixed_chunk() -> None:
    data = make_flac(total_samples=0, frames=b"\x07" * 100_000)
    source = open_audio(data, media_encoding=MediaEncoding.FLAC, sample_rate=16000)
    assert isinstance(source, FileAudioSource)
    assert source.bytes_per_second is None
    assert {len(piece) for piece in source.chunks()} <= {4096, 100_042 % 4096}


@pytest.mark.parametrize(("input_rate", "declared"), [(16000, 16000), (44100, 44100), (48000, 48000), (0, 48000)])
def test_ogg_opus_is_declared_at_the_input_rate_of_its_header(tmp_path: Path, input_rate: int, declared: int) -> None:
    # Opus decodes at 48 kHz, but AWS checks the declared rate against OpusHead's input rate
    # (0 means unspecified: 48 kHz); pacing still counts granules at 48 kHz.
    data = make_ogg_opus(channels=2, seconds=2.0, body=b"\x05" * 100_000, input_rate=input_rate)
    source = open_audio(write(tmp_path, "visit.ogg", data))
    assert source.format == AudioFormat(MediaEncoding.OGG_OPUS, declared, 2)
    assert open_audio(data, sample_rate=declared).format == source.format
    pieces = list(source.chunks())
    assert b"".join(pieces) == data
    assert max(len(piece) for piece in pieces) <= AUDIO_EVENT_MAX_PAYLOAD
    assert Pacer.for_source(source).bytes_per_second == pytest.approx(len(data) / 2.0)


def test_huge_compressed_rate_is_still_capped() -> None:
    data = make_flac(total_samples=1600, frames=b"\x01" * 1_000_000)  # 0.1 s in 1 MB
    pieces = list(open_audio(data).chunks())
    assert max(len(piece) for piece in pieces) == AUDIO_EVENT_MAX_PAYLOAD
    assert b"".join(pieces) == data


# --- bytes, iterables, stdin ------------------------------------------------------------------


def test_raw_bytes_need_a_sample_rate() -> None:
    with pytest.raises(AudioFormatError, match="sample_rate"):
        open_audio(b"\x00" * 100)
    source = open_audio(bytearray(tone(5000)), sample_rate=16000)
    assert source.format == AudioFormat(MediaEncoding.PCM, 16000, 1)
    assert [len(piece) for piece in source.chunks()] == [3200, 3200, 3200, 400]


def test_wav_bytes_in_memory_are_parsed() -> None:
    data = (FIXTURES / "mono_16k.wav").read_bytes()
    source = open_audio(memoryview(data))
    assert source.format == AudioFormat(MediaEncoding.PCM, 16000, 1)
    assert b"".join(source.chunks()) == data[44:]


@given(pieces=st.lists(st.binary(max_size=70_000), max_size=8), channels=st.sampled_from([None, 1, 2]))
def test_iterable_rechunking_keeps_every_byte_in_order(pieces: list[bytes], channels: int | None) -> None:
    options: dict[str, Any] = {} if channels is None else {"sample_rate": 16000, "channels": channels}
    source = open_audio(iter(pieces), **options)
    out = list(source.chunks())
    assert b"".join(out) == b"".join(pieces)
    assert all(0 < len(piece) <= AUDIO_EVENT_MAX_PAYLOAD for piece in out)
    if channels == 2:
        # Splits fall on frame boundaries: only an input piece's own tail can be unaligned.
        assert all(len(piece) % 4 == 0 for piece in out if len(piece) == AUDIO_EVENT_MAX_PAYLOAD)


def test_iterable_without_rate_has_no_format() -> None:
    source = open_audio([b"\x01\x02", b"", b"\x03"])
    assert isinstance(source, IterableAudioSource)
    assert source.format is None
    assert list(source.chunks()) == [b"\x01\x02", b"\x03"]  # the empty piece would end the stream
    assert Pacer.for_source(source).enabled is False


def test_iterable_of_non_bytes_is_refused() -> None:
    source = open_audio(["text"])  # type: ignore[list-item]
    with pytest.raises(AudioFormatError, match="must be bytes, got str"):
        list(source.chunks())


@given(pieces=st.lists(st.binary(max_size=50_000), max_size=6))
def test_async_iterable_rechunking(pieces: list[bytes]) -> None:
    async def produce() -> AsyncIterator[bytes]:
        for piece in pieces:
            yield piece

    source = open_audio(produce(), sample_rate=16000, channels=2)
    assert isinstance(source, AsyncIterableAudioSource)
    assert source.format == AudioFormat(MediaEncoding.PCM, 16000, 2)
    out = collect_async(source)
    assert b"".join(out) == b"".join(pieces)
    assert all(0 < len(piece) <= AUDIO_EVENT_MAX_PAYLOAD for piece in out)


def test_async_iterable_has_no_sync_form() -> None:
    async def produce() -> AsyncIterator[bytes]:
        yield b"\x00\x00"

    source = open_audio(produce())
    with pytest.raises(TypeError, match="achunks"):
        source.chunks()


def test_sync_iterable_works_with_achunks() -> None:
    source = open_audio([b"\x00" * 40000], sample_rate=16000)
    assert [len(piece) for piece in collect_async(source)] == [32768, 40000 - 32768]


@pytest.mark.parametrize("data", [b"", tone(1600)], ids=["empty", "raw-pcm"])
def test_raw_audio_on_stdin_needs_a_sample_rate(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    with pytest.raises(AudioFormatError, match="pass sample_rate=") as caught:
        open_audio("-")
    assert "no WAV, FLAC or Ogg-Opus header" in str(caught.value)


@pytest.fixture
def pipe_stdin(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[bytes], None]]:
    """Make ``sys.stdin`` a real pipe that a thread fills with the given bytes in small writes."""
    opened: list[io.TextIOWrapper] = []
    feeders: list[threading.Thread] = []

    def use(data: bytes) -> None:
        read_end, write_end = os.pipe()

        def feed() -> None:
            with os.fdopen(write_end, "wb", buffering=0) as writer:
                for start in range(0, len(data), 1000):  # short writes: the reader sees short reads
                    writer.write(data[start : start + 1000])

        feeders.append(threading.Thread(target=feed, daemon=True))
        feeders[-1].start()
        opened.append(io.TextIOWrapper(os.fdopen(read_end, "rb")))
        monkeypatch.setattr(sys, "stdin", opened[-1])

    yield use
    for stream in opened:
        stream.close()  # the feeder then sees a broken pipe if the test read less than it wrote
    for feeder in feeders:
        feeder.join()


@pytest.mark.parametrize("how", ["pipe", "file", "memory"])
@pytest.mark.parametrize("use_async", [False, True])
def test_a_wav_on_stdin_is_read_by_its_header_which_is_not_sent(
    monkeypatch: pytest.MonkeyPatch, pipe_stdin: Callable[[bytes], None], tmp_path: Path, how: str, use_async: bool
) -> None:
    # `cat visit.wav | transcribe-medical stream -`: rate and channels from the RIFF header; the
    # header, and chunks after the audio, are not audio.
    pcm = tone(24000, channels=2)
    wav = make_wav(pcm, rate=24000, channels=2, before_data=chunk(b"LIST", b"INFOISFT" + b"x" * 301)) + chunk(
        b"id3 ", b"trailing tag"
    )
    if how == "pipe":
        pipe_stdin(wav)
    elif how == "file":
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(write(tmp_path, "visit.wav", wav).open("rb")))
    else:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(wav)))
    source = open_audio("-")
    assert source.format == AudioFormat(MediaEncoding.PCM, 24000, 2)
    pieces = collect_async(source) if use_async else list(source.chunks())
    assert b"".join(pieces) == pcm
    assert {len(piece) for piece in pieces[:-1]} == {pcm_chunk_size(24000, 2)}
    assert Pacer.for_source(source).bytes_per_second == 24000 * 2 * 2
    reread = rereader(source)
    assert (reread is not None) == (how == "file")  # a regular file is replayed from its audio
    if reread is not None:
        assert b"".join(reread(100, len(pcm) + 500)) == pcm[100:]
    if how == "file":
        sys.stdin.close()


@pytest.mark.parametrize("declared", [0, 0xFFFFFFFF])
def test_a_wav_streamed_to_stdin_without_sizes_runs_to_the_end(
    pipe_stdin: Callable[[bytes], None], declared: int
) -> None:
    # sox or ffmpeg writing a WAV to a pipe cannot go back to fill in the data size.
    pcm = tone(5000)
    pipe_stdin(make_wav(pcm, data_size=declared))
    source = open_audio("-")
    assert source.format == AudioFormat(MediaEncoding.PCM, 16000, 1)
    assert b"".join(source.chunks()) == pcm


@pytest.mark.parametrize(
    ("data", "options", "expected"),
    [
        (make_wav(tone(1600)), {"sample_rate": 8000}, ("sample_rate=8000", "sampled at 16000 Hz")),
        (make_wav(tone(1600)), {"channels": 2}, ("channels=2", "has 1")),
        (make_wav(bytes(4800), bits=24), {}, ("24-bit", "sox in.wav -b 16")),
        (make_wav(tone(1600), rate=8000), {}, ("8000 Hz", "sox in.wav -r 16000")),
        (make_wav(tone(1600))[:30], {}, ("not a usable WAV", "ends inside")),
        (b"RIFX" + make_wav(tone(1600))[4:], {}, ("RIFX", "not supported")),
    ],
    ids=["rate-mismatch", "channels-mismatch", "24-bit", "8k", "cut-header", "rifx"],
)
def test_a_bad_wav_on_stdin_is_refused_in_one_line(
    monkeypatch: pytest.MonkeyPatch, data: bytes, options: dict[str, Any], expected: tuple[str, ...]
) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    with pytest.raises(AudioFormatError) as caught:
        open_audio("-", **options)
    message = str(caught.value)
    assert "\n" not in message and "stdin" in message
    for fragment in expected:
        assert fragment in message


def test_flac_and_ogg_opus_on_stdin_are_recognised_and_sent_whole(
    monkeypatch: pytest.MonkeyPatch, pipe_stdin: Callable[[bytes], None]
) -> None:
    flac = make_flac(rate=22050, channels=2, frames=b"\x07" * 10_000)
    pipe_stdin(flac)
    source = open_audio("-")
    assert source.format == AudioFormat(MediaEncoding.FLAC, 22050, 2)
    assert b"".join(source.chunks()) == flac
    opus = make_ogg_opus(input_rate=16000)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(opus)))
    source = open_audio("-", sample_rate=16000, media_encoding="ogg-opus")
    assert source.format == AudioFormat(MediaEncoding.OGG_OPUS, 16000, 1)
    assert b"".join(source.chunks()) == opus


def test_raw_pcm_on_a_pipe_keeps_its_first_bytes(pipe_stdin: Callable[[bytes], None]) -> None:
    pcm = tone(7000)
    pipe_stdin(pcm)
    source = open_audio("-", sample_rate=16000)
    assert b"".join(source.chunks()) == pcm  # the bytes read to look for a header are sent too


@pytest.mark.parametrize("use_async", [False, True])
def test_stdin_raw_pcm(monkeypatch: pytest.MonkeyPatch, use_async: bool) -> None:
    pcm = tone(12000, channels=2)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(pcm)))
    source = open_audio("-", sample_rate=32000, channels=2)
    assert source.format == AudioFormat(MediaEncoding.PCM, 32000, 2)
    pieces = collect_async(source) if use_async else list(source.chunks())
    assert b"".join(pieces) == pcm
    assert [len(piece) for piece in pieces[:-1]] == [12800] * (len(pieces) - 1)


def test_audio_source_is_returned_or_given_a_format() -> None:
    wav = open_audio(FIXTURES / "mono_16k.wav")
    assert open_audio(wav) is wav
    with pytest.raises(AudioFormatError, match="sample_rate=48000"):
        open_audio(wav, sample_rate=48000)
    unknown = open_audio([b"\x00\x00"])
    assert open_audio(unknown) is unknown
    known = open_audio(unknown, sample_rate=24000, channels=2)
    assert known.format == AudioFormat(MediaEncoding.PCM, 24000, 2)
    assert list(known.chunks()) == [b"\x00\x00"]
    assert Pacer.for_source(known).bytes_per_second == 96000


def test_unreadable_object_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="cannot read audio from int"):
        open_audio(42)  # type: ignore[arg-type]


# --- pacing -----------------------------------------------------------------------------------


def test_pacer_schedules_chunks_at_real_time() -> None:
    pacer = Pacer(32000)
    assert pacer.delay_for(3200, now=100.0) == 0.0  # the first chunk goes at once
    assert pacer.delay_for(3200, now=100.0) == pytest.approx(0.1)
    assert pacer.delay_for(3200, now=100.15) == pytest.approx(0.05)
    assert pacer.delay_for(3200, now=100.5) == 0.0  # late: no waiting, no catching up needed
    assert pacer.delay_for(3200, now=100.5) == 0.0  # 0.4 s of audio due at 100.4: still behind
    assert pacer.delay_for(3200, now=100.5) == pytest.approx(0.0)
    assert pacer.delay_for(3200, now=100.5) == pytest.approx(0.1)
    assert pacer.audio_seconds == pytest.approx(0.7)


def test_pacer_simulated_stream_takes_real_time() -> None:
    clock = 0.0
    pacer = Pacer(16000 * 2 * 2)  # 16 kHz stereo
    for _ in range(50):  # 5 s of audio in 100 ms chunks
        clock += pacer.delay_for(6400, clock)
        clock += 0.001  # sending takes a little time
    assert clock == pytest.approx(4.9 + 0.001, abs=1e-9)  # the last chunk is due at 4.9 s


def test_pacer_lead_lets_a_burst_through() -> None:
    pacer = Pacer(32000, lead_s=0.5)
    delays = [pacer.delay_for(3200, now=0.0) for _ in range(8)]
    assert delays[:6] == [0.0] * 6
    assert delays[6:] == pytest.approx([0.1, 0.2])
    with pytest.raises(ValidationError):
        Pacer(32000, lead_s=-1)


def test_a_batched_pacer_wakes_once_per_batch_ahead_of_real_time_by_at_most_the_batch() -> None:
    clock = 0.0
    pacer = Pacer(32000, batch_s=0.2)
    waits: list[float] = []
    for index in range(30):  # 3 s of audio in 100 ms chunks
        delay = pacer.delay_for(3200, clock)
        if delay:
            waits.append(delay)
            clock += delay
            assert clock == pytest.approx(index * 0.1)  # woke at the chunk's own due time: never behind
        assert index * 0.1 - clock <= 0.2 + 1e-9  # never more than the batch ahead
    assert waits == pytest.approx([0.3] * 9)  # three chunks per wake-up, not one
    with pytest.raises(ValidationError, match="batch_s"):
        Pacer(32000, batch_s=-0.1)


@given(
    sizes=st.lists(st.integers(min_value=1, max_value=12800), min_size=1, max_size=60),
    batch=st.sampled_from([0.0, 0.05, 0.2, 0.5]),
    lag=st.floats(min_value=0.0, max_value=0.05),
)
def test_a_batched_pacer_keeps_every_chunk_between_its_due_time_and_the_batch_before_it(
    sizes: list[int], batch: float, lag: float
) -> None:
    clock = 0.0
    pacer = Pacer(32000, batch_s=batch)
    before = 0
    for size in sizes:
        delay = pacer.delay_for(size, clock)
        clock += delay
        due = before / 32000
        assert clock >= due - batch - 2e-6  # sent at most the batch early (and a microsecond of rounding)
        if delay:
            assert clock == pytest.approx(due)  # a wake-up is for the chunk's own due time
        before += size
        clock += lag  # sending and reading the source take a little time


@pytest.mark.parametrize("pacer", [Pacer(32000, realtime=False), Pacer(None), Pacer(0)])
def test_pacing_disabled(pacer: Pacer) -> None:
    assert not pacer.enabled
    assert [pacer.delay_for(3200, now=0.0) for _ in range(5)] == [0.0] * 5


def test_pacer_reset_starts_over() -> None:
    pacer = Pacer(32000)
    pacer.delay_for(32000, now=0.0)
    assert pacer.delay_for(100, now=0.0) == pytest.approx(1.0)
    pacer.reset()
    assert pacer.delay_for(100, now=5.0) == 0.0
    assert pacer.audio_seconds == pytest.approx(100 / 32000)


def test_pacer_for_a_wav_source() -> None:
    pacer = Pacer.for_source(open_audio(FIXTURES / "stereo_16k.wav"), realtime=True)
    assert pacer.bytes_per_second == 64000
    assert not Pacer.for_source(open_audio(FIXTURES / "stereo_16k.wav"), realtime=False).enabled


# --- microphone -------------------------------------------------------------------------------


class FakeInputStream:
    """Stands in for sounddevice.RawInputStream: returns numbered blocks of samples."""

    def __init__(
        self, *, overflow_at: int | None = None, on_read: Callable[[int], None] | None = None, **options: Any
    ) -> None:
        self.options = options
        self.calls: list[str] = []
        self.reads = 0
        self.overflow_at = overflow_at
        self.on_read = on_read

    def start(self) -> None:
        self.calls.append("start")

    def stop(self) -> None:
        self.calls.append("stop")

    def close(self) -> None:
        self.calls.append("close")

    def read(self, frames: int) -> tuple[Any, bool]:
        self.reads += 1
        if self.on_read:
            self.on_read(self.reads)
        data = bytearray([self.reads % 256]) * (frames * self.options["channels"] * 2)
        return memoryview(data), self.reads == self.overflow_at


def fake_factory(streams: list[FakeInputStream], **behaviour: Any) -> Callable[..., FakeInputStream]:
    def factory(**options: Any) -> FakeInputStream:
        stream = FakeInputStream(**behaviour, **options)
        streams.append(stream)
        return stream

    return factory


def test_microphone_reads_chunks_until_max_seconds() -> None:
    streams: list[FakeInputStream] = []
    mic = MicrophoneSource(max_seconds=0.25, input_stream_factory=fake_factory(streams))
    assert mic.format == AudioFormat(MediaEncoding.PCM, 16000, 1)
    pieces = list(mic.chunks())
    assert [len(piece) for piece in pieces] == [3200, 3200, 1600]
    assert pieces[1] == b"\x02" * 3200
    (stream,) = streams
    assert stream.options == {"samplerate": 16000, "channels": 1, "dtype": "int16", "blocksize": 1600, "device": None}
    assert stream.calls == ["start", "stop", "close"]


def test_microphone_stops_on_request_and_logs_overflow(caplog: pytest.LogCaptureFixture) -> None:
    streams: list[FakeInputStream] = []
    mic: MicrophoneSource

    def stop_after_third(reads: int) -> None:
        if reads == 3:
            mic.stop()

    mic = MicrophoneSource(
        sample_rate=48000,
        channels=2,
        chunk_ms=200,
        device="USB mic",
        input_stream_factory=fake_factory(streams, overflow_at=2, on_read=stop_after_third),
    )
    with caplog.at_level(logging.WARNING, logger="transcribe_medical"):
        pieces = list(mic.chunks())
    assert [len(piece) for piece in pieces] == [32768] * 3
    assert streams[0].options["device"] == "USB mic"
    assert streams[0].options["blocksize"] == 8192
    assert "overflowed" in caplog.text
    assert streams[0].calls == ["start", "stop", "close"]


def test_microphone_async_and_closed_on_early_exit() -> None:
    streams: list[FakeInputStream] = []
    mic = MicrophoneSource(max_seconds=1.0, input_stream_factory=fake_factory(streams))

    async def first_two() -> list[bytes]:
        out = []
        generator = mic.achunks()
        async for piece in generator:
            out.append(piece)
            if len(out) == 2:
                break
        await generator.aclose()  # type: ignore[attr-defined]
        return out

    assert [len(piece) for piece in asyncio.run(first_two())] == [3200, 3200]
    assert streams[0].calls == ["start", "stop", "close"]
    iterator: Iterator[bytes] = mic.chunks()
    next(iterator)
    iterator.close()  # type: ignore[attr-defined]
    assert streams[1].calls == ["start", "stop", "close"]


def test_microphone_without_sounddevice_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "sounddevice", None)
    with pytest.raises(AudioFormatError, match=r"transcribe-medical\[mic\].*libportaudio2"):
        MicrophoneSource()


def test_microphone_validates_its_format() -> None:
    with pytest.raises(AudioFormatError):
        MicrophoneSource(sample_rate=8000, input_stream_factory=fake_factory([]))
    with pytest.raises(ValidationError):
        MicrophoneSource(chunk_ms=10, input_stream_factory=fake_factory([]))


def test_sources_satisfy_the_protocol() -> None:
    mic = MicrophoneSource(input_stream_factory=fake_factory([]))
    for source in (open_audio(FIXTURES / "mono_16k.wav"), open_audio([b"\x00"]), mic):
        assert isinstance(source, AudioSource)
