"""The emulator's one audio decoder: every format it can decode, at the rate AWS detects, and what it cannot."""

from __future__ import annotations

import io
import wave

import pytest

from local.audio_encodings import (
    correlation,
    dictation,
    encode,
    envelope,
    opus_input_rate,
    stereo,
    with_opus_input_rate,
)
from transcribe_medical.local import media_decoding
from transcribe_medical.local.media_decoding import UndecodableMedia, decode, detect_container
from transcribe_medical.local.recognizers.pcm import split_channels
from transcribe_medical.streaming.audio import open_audio


@pytest.fixture(scope="module")
def speech() -> tuple[bytes, int]:
    return dictation(4.0)


def test_flac_decodes_to_the_same_samples(speech: tuple[bytes, int]) -> None:
    pcm, rate = speech
    decoded = decode(encode("flac", pcm, rate))
    assert (decoded.container, decoded.sample_rate, decoded.channels) == ("flac", 16000, 1)
    assert decoded.pcm16 == pcm  # lossless


@pytest.mark.parametrize("name", ["opus", "vorbis", "mp3", "wav24", "wavfloat"])
def test_lossy_and_other_encodings_decode_to_the_same_speech(speech: tuple[bytes, int], name: str) -> None:
    pcm, rate = speech
    data = encode(name, pcm, rate)
    decoded = decode(data)
    assert decoded.container == {"opus": "ogg", "vorbis": "ogg", "mp3": "mp3"}.get(name, "wav")
    assert (decoded.sample_rate, decoded.channels) == (16000, 1)
    # Encoders add or trim a few ms (MP3 padding, Opus pre-skip); the speech is the same.
    assert abs(len(decoded.pcm16) - len(pcm)) / 2 / rate < 0.1
    assert correlation(envelope(decoded.pcm16, rate), envelope(pcm, rate)) > 0.9


def test_a_16k_ogg_opus_is_16k_for_the_sdk_and_the_emulator_alike(speech: tuple[bytes, int]) -> None:
    pcm, rate = speech
    data = encode("opus", pcm, rate)
    assert opus_input_rate(data) == 16000  # as ffmpeg -c:a libopus writes for a 16 kHz WAV
    assert open_audio(data).format is not None
    assert open_audio(data).format.sample_rate == decode(data).sample_rate == 16000  # type: ignore[union-attr]


def test_an_opus_header_rate_opus_cannot_decode_at_is_resampled_to(speech: tuple[bytes, int]) -> None:
    # A 44.1 kHz input: Opus (and libsndfile) decode at 48 kHz; AWS and the SDK take 44100 from
    # OpusHead, so the emulator hands the recognizer 44.1 kHz audio, both channels kept apart.
    pcm, rate = speech
    data = with_opus_input_rate(encode("opus", stereo(pcm, bytes(len(pcm))), rate, channels=2), 44100)
    sdk_format = open_audio(data).format
    assert sdk_format is not None and sdk_format.sample_rate == 44100
    decoded = decode(data)
    assert (decoded.sample_rate, decoded.channels) == (44100, 2)
    left, right = split_channels(decoded.pcm16, 2)
    assert abs(len(left) / 2 / 44100 - len(pcm) / 2 / rate) < 0.1
    assert correlation(envelope(left, 44100), envelope(pcm, rate)) > 0.9
    assert max(envelope(right, 44100)) < max(envelope(left, 44100)) / 20  # the silent channel stayed silent


def test_an_opus_header_without_a_rate_means_48k(speech: tuple[bytes, int]) -> None:
    pcm, rate = speech
    data = with_opus_input_rate(encode("opus", pcm, rate), 0)
    assert decode(data).sample_rate == 48000
    assert open_audio(data).format.sample_rate == 48000  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("data", "container", "named"),
    [
        (b"\x00\x00\x00\x20ftypM4A " + bytes(100), "mp4", "MP4 (AAC)"),
        (b"\x1aE\xdf\xa3" + bytes(100), "webm", "WebM"),
        (b"#!AMR\n" + bytes(100), "amr", "AMR"),
    ],
)
def test_formats_no_package_here_decodes_are_named(data: bytes, container: str, named: str) -> None:
    assert detect_container(data) == container
    with pytest.raises(UndecodableMedia) as caught:
        decode(data)
    message = str(caught.value)
    assert named in message and "AWS can" in message and f"ffmpeg -i in.{container} out.flac" in message
    with pytest.raises(UndecodableMedia, match="M4A"):
        decode(data, "m4a")


def test_unknown_and_damaged_audio_are_refused_by_name() -> None:
    with pytest.raises(UndecodableMedia, match="not audio the local emulator recognises"):
        decode(b"Patient notes, not audio.")
    with pytest.raises(UndecodableMedia, match=r"the flac file could not be decoded"):
        decode(b"fLaC" + bytes(200))
    with pytest.raises(UndecodableMedia, match="WAV file is not usable"):
        decode(b"RIFF\x00\x00\x00\x00WAVEfmt ")


def test_without_soundfile_pcm_wav_still_decodes_and_the_rest_says_how_to_install(
    speech: tuple[bytes, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    pcm, rate = speech
    flac = encode("flac", pcm, rate)
    monkeypatch.setattr(media_decoding, "_soundfile", lambda: None)
    assert not media_decoding.soundfile_available()
    with pytest.raises(UndecodableMedia, match=r"pip install 'transcribe-medical\[local\]'"):
        decode(flac)
    out = io.BytesIO()
    with wave.open(out, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(rate)
        writer.writeframes(pcm)
    wav = out.getvalue()
    assert decode(wav).pcm16 == pcm
