"""Recognizers of the local emulator: scripted timings, PCM helpers, pocketsphinx accuracy."""

from __future__ import annotations

import itertools
import struct
import wave
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from transcribe_medical.local.data import SAMPLE_DICTATION_WAV, sample_dictation_reference
from transcribe_medical.local.recognizers import (
    LinearResampler,
    PocketSphinxRecognizer,
    RecognizedWord,
    Recognizer,
    RecognizerSession,
    ScriptedRecognizer,
    mix_to_mono,
    normalize_words,
    resample,
    split_channels,
    word_error_rate,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "audio"
SECOND_16K = 32000  # bytes of one second of 16 kHz mono PCM16


def pcm(*samples: int) -> bytes:
    return struct.pack(f"<{len(samples)}h", *samples)


def unpack(data: bytes) -> list[int]:
    return list(struct.unpack(f"<{len(data) // 2}h", data))


def read_wav(path: Path) -> tuple[bytes, int, int]:
    with wave.open(str(path)) as reader:
        return reader.readframes(reader.getnframes()), reader.getframerate(), reader.getnchannels()


def reference(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def feed(session: RecognizerSession, audio: bytes, chunk: int = 3200) -> None:
    for start in range(0, len(audio), chunk):
        session.accept_audio(audio[start : start + chunk])


def text_of(words: list[RecognizedWord]) -> str:
    return " ".join(word.text for word in words)


# --- scripted recognizer ----------------------------------------------------------------------


def test_scripted_final_words_spread_over_the_audio() -> None:
    recognizer = ScriptedRecognizer("Chest pain, no fever.", confidences=[0.9, 0.4])
    session = recognizer.new_session(16000)
    session.accept_audio(bytes(SECOND_16K * 2))
    words = session.finish_utterance()
    assert words == [
        RecognizedWord("Chest", 0.0, 0.4, 0.9),
        RecognizedWord("pain", 0.5, 0.9, 0.4),
        RecognizedWord("no", 1.0, 1.4, 0.9),
        RecognizedWord("fever", 1.5, 1.9, 0.4),
    ]
    session.accept_audio(bytes(SECOND_16K))
    assert session.partial() == []
    assert session.finish_utterance() == []  # the script is exhausted


def test_scripted_partials_reveal_words_at_the_pace() -> None:
    session = ScriptedRecognizer("one two three four five six", words_per_second=2.0).new_session(48000)
    assert session.partial() == []
    session.accept_audio(bytes(48000 * 2 // 4))  # 0.25 s
    assert text_of(session.partial()) == "one"
    session.accept_audio(bytes(48000 * 2 * 3 // 4))  # 1.0 s
    partial = session.partial()
    assert text_of(partial) == "one two"
    assert [(word.start, word.end) for word in partial] == [(0.0, 0.4), (0.5, 0.9)]
    session.accept_audio(bytes(48000 * 2 * 2))  # 3.0 s: the pace would show 6 words
    assert len(session.partial()) == 6
    session.accept_audio(bytes(48000 * 2 * 5))  # never more words than the script has
    assert len(session.partial()) == 6


def test_scripted_utterances_follow_each_other() -> None:
    session = ScriptedRecognizer("alpha beta gamma").new_session(16000)
    session.accept_audio(bytes(SECOND_16K))
    assert session.partial()[0].start == 0.0
    first = session.finish_utterance()
    assert [word.text for word in first] == ["alpha", "beta", "gamma"]
    assert first[-1].end <= 1.0
    assert session.finish_utterance() == []  # no audio since: nothing to spread


def test_scripted_finish_starts_after_the_previous_utterance() -> None:
    session = ScriptedRecognizer("a b c d e f", words_per_second=2.0).new_session(16000)
    session.accept_audio(bytes(SECOND_16K * 3))
    assert len(session.partial()) == 6
    assert session.finish_utterance()[0].start == 0.0
    session = ScriptedRecognizer("a b", words_per_second=2.0).new_session(16000)
    session.accept_audio(bytes(SECOND_16K))
    session.finish_utterance()
    session.accept_audio(bytes(SECOND_16K))
    assert session.partial() == []


def test_scripted_confidences_are_seeded() -> None:
    text = " ".join(f"w{index}" for index in range(50))
    first = ScriptedRecognizer(text, seed=7).confidences
    assert ScriptedRecognizer(text, seed=7).confidences == first
    assert ScriptedRecognizer(text, seed=8).confidences != first
    assert all(0.35 <= value <= 1.0 for value in first)
    assert min(first) < 0.5  # some words fall below a typical review threshold


def test_scripted_with_no_audio_or_no_words() -> None:
    session = ScriptedRecognizer("hello there").new_session(16000)
    assert session.finish_utterance() == []
    empty = ScriptedRecognizer(" ... ").new_session(16000)
    empty.accept_audio(bytes(SECOND_16K))
    assert empty.finish_utterance() == []


def test_scripted_session_closes() -> None:
    session = ScriptedRecognizer("hello").new_session(16000)
    session.close()
    with pytest.raises(RuntimeError, match="closed"):
        session.accept_audio(b"\x00\x00")


@pytest.mark.parametrize(
    "options",
    [{"words_per_second": 0}, {"confidences": []}, {"confidences": [1.5]}],
)
def test_scripted_options_are_validated(options: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        ScriptedRecognizer("hello", **options)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="sample_rate"):
        ScriptedRecognizer("hello").new_session(0)


def test_recognizers_satisfy_the_protocols() -> None:
    recognizer: Recognizer = ScriptedRecognizer("hello")
    session: RecognizerSession = recognizer.new_session(16000)
    session.close()


# --- PCM helpers ------------------------------------------------------------------------------

samples = st.lists(st.integers(-32768, 32767), max_size=400)


@given(left=samples, right=samples)
def test_split_channels_undoes_interleaving(left: list[int], right: list[int]) -> None:
    n = min(len(left), len(right))
    interleaved = pcm(*[value for pair in zip(left[:n], right[:n], strict=True) for value in pair])
    assert split_channels(interleaved, 2) == [pcm(*left[:n]), pcm(*right[:n])]
    mixed = unpack(mix_to_mono(interleaved, 2))
    assert mixed == [(a + b) // 2 for a, b in zip(left[:n], right[:n], strict=True)]


def test_pcm_helpers_edge_cases() -> None:
    assert split_channels(pcm(1, 2, 3) + b"\x07", 1) == [pcm(1, 2, 3)]
    assert split_channels(pcm(1, 2, 3), 2) == [pcm(1), pcm(2)]  # trailing partial frame dropped
    assert mix_to_mono(pcm(32767, 32767, -32768, -32768), 2) == pcm(32767, -32768)
    assert mix_to_mono(pcm(5, -7), 1) == pcm(5, -7)
    assert split_channels(pcm(1, 2, 3, 4, 5, 6), 3) == [pcm(1, 4), pcm(2, 5), pcm(3, 6)]
    with pytest.raises(ValueError, match="channels"):
        split_channels(b"", 0)


@pytest.mark.parametrize("from_rate", [22050, 32000, 44100, 48000])
def test_resample_length_and_constant_signal(from_rate: int) -> None:
    source = pcm(*([1000] * from_rate))  # one second
    out = unpack(resample(source, from_rate, 16000))
    assert abs(len(out) - 16000) <= 1
    assert set(out[5:]) == {1000}


def test_resample_same_rate_is_identity() -> None:
    assert resample(pcm(1, 2, 3), 16000, 16000) == pcm(1, 2, 3)
    with pytest.raises(ValueError, match="positive"):
        LinearResampler(0, 16000)


def test_resample_keeps_a_low_tone() -> None:
    import math

    tone = pcm(*[round(10000 * math.sin(2 * math.pi * 200 * i / 44100)) for i in range(4410)])
    out = unpack(resample(tone, 44100, 16000))
    expected = [10000 * math.sin(2 * math.pi * 200 * i / 16000) for i in range(len(out))]
    # A 200 Hz tone survives; the causal filter delays it by half an input sample at most.
    assert max(abs(a - b) for a, b in zip(out, expected, strict=True)) < 400


@given(
    values=st.lists(st.integers(-32768, 32767), min_size=1, max_size=3000),
    cuts=st.lists(st.integers(0, 3000), max_size=6),
    from_rate=st.sampled_from([22050, 44100, 48000]),
)
def test_resampling_in_chunks_equals_resampling_at_once(values: list[int], cuts: list[int], from_rate: int) -> None:
    whole = pcm(*values)
    bounds = sorted({min(cut, len(values)) for cut in cuts} | {0, len(values)})
    resampler = LinearResampler(from_rate, 16000)
    pieces = [resampler.process(whole[2 * a : 2 * b]) for a, b in itertools.pairwise(bounds)]
    assert b"".join(pieces) == resample(whole, from_rate, 16000)


# --- scoring ----------------------------------------------------------------------------------


def test_word_error_rate() -> None:
    assert word_error_rate("Chest X-ray, today.", "chest x ray today") == 0.0
    assert word_error_rate("a b c d", "a c d e") == 0.5
    assert word_error_rate("", "") == 0.0
    assert word_error_rate("", "noise") == 1.0
    assert normalize_words("Patient's BP: 140/90.") == ["patient's", "bp", "140", "90"]


# --- pocketsphinx -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sphinx() -> PocketSphinxRecognizer:
    pytest.importorskip("pocketsphinx")
    return PocketSphinxRecognizer()


def recognize(recognizer: PocketSphinxRecognizer, audio: bytes, rate: int) -> list[RecognizedWord]:
    session = recognizer.new_session(rate)
    try:
        feed(session, audio)
        return session.finish_utterance()
    finally:
        session.close()


def check_words(words: list[RecognizedWord], duration: float) -> None:
    for word in words:
        assert 0.0 <= word.start < word.end <= duration + 0.05
        assert 0.0 <= word.confidence <= 1.0
        assert word.text.isalpha() or "-" in word.text or "'" in word.text
    starts = [word.start for word in words]
    assert starts == sorted(starts)


@pytest.mark.slow
def test_pocketsphinx_wer_on_the_mono_fixture(sphinx: PocketSphinxRecognizer) -> None:
    audio, rate, _ = read_wav(FIXTURES / "mono_16k.wav")
    words = recognize(sphinx, audio, rate)
    assert word_error_rate(reference("mono_16k.txt"), text_of(words)) <= 0.25
    check_words(words, len(audio) / 2 / rate)


@pytest.mark.slow
def test_pocketsphinx_resamples_44k_fed_in_odd_pieces(sphinx: PocketSphinxRecognizer) -> None:
    audio, rate, _ = read_wav(FIXTURES / "mono_44k.wav")
    assert rate == 44100
    session = sphinx.new_session(rate)
    feed(session, audio, chunk=4411)  # samples split across pieces
    words = session.finish_utterance()
    session.close()
    assert word_error_rate(reference("mono_44k.txt"), text_of(words)) <= 0.25
    check_words(words, len(audio) / 2 / rate)


@pytest.mark.slow
def test_pocketsphinx_per_channel(sphinx: PocketSphinxRecognizer) -> None:
    audio, rate, channels = read_wav(FIXTURES / "stereo_16k.wav")
    assert channels == 2
    for index, channel in enumerate(split_channels(audio, channels)):
        words = recognize(sphinx, channel, rate)
        assert word_error_rate(reference(f"stereo_16k.ch{index}.txt"), text_of(words)) <= 0.25


@pytest.mark.slow
def test_pocketsphinx_wer_on_the_bundled_dictation(sphinx: PocketSphinxRecognizer) -> None:
    audio, rate, channels = read_wav(SAMPLE_DICTATION_WAV)
    assert (rate, channels) == (16000, 1)
    assert 12.0 <= len(audio) / 2 / rate <= 20.0
    words = recognize(sphinx, audio, rate)
    assert word_error_rate(sample_dictation_reference(), text_of(words)) <= 0.25
    check_words(words, len(audio) / 2 / rate)


@pytest.mark.slow
def test_pocketsphinx_partials_and_pauses(sphinx: PocketSphinxRecognizer) -> None:
    audio, rate, _ = read_wav(FIXTURES / "mono_16k.wav")
    session = sphinx.new_session(rate)
    try:
        feed(session, audio[: len(audio) // 2])
        assert session.partial()  # words appear while the audio arrives
        feed(session, audio[len(audio) // 2 :] + bytes(SECOND_16K))  # then one second of silence
        (first,) = session.completed_utterances()  # the pause closed the utterance
        assert word_error_rate(reference("mono_16k.txt"), text_of(first)) <= 0.25
        assert session.partial() == []
        feed(session, audio)
        second = session.finish_utterance()
        assert word_error_rate(reference("mono_16k.txt"), text_of(second)) <= 0.25
        offset = len(audio) / 2 / rate + 1.0
        assert second[0].start >= offset  # times count from the start of the session
        check_words(second, 2 * offset)
    finally:
        session.close()
    with pytest.raises(RuntimeError, match="closed"):
        session.partial()


@pytest.mark.slow
def test_pocketsphinx_ends_a_long_utterance_at_its_next_short_pause() -> None:
    pytest.importorskip("pocketsphinx")
    audio, rate, _ = read_wav(SAMPLE_DICTATION_WAV)
    audio *= 2  # 32 s read without a 0.6 s pause: one utterance unless a long one is ended
    results = {}
    for limit in (0.0, 10.0, 5.0):
        session = PocketSphinxRecognizer(max_utterance_s=limit).new_session(rate)
        try:
            feed(session, audio)
            results[limit] = [*session.completed_utterances(), session.finish_utterance()]
        finally:
            session.close()
    assert len(results[0.0]) == 1  # unlimited: nothing final until the end
    reference_text = sample_dictation_reference() + " " + sample_dictation_reference()
    for limit in (10.0, 5.0):
        limited = [utterance for utterance in results[limit] if utterance]
        assert len(limited) >= 32 / (2 * limit)
        for utterance in limited[:-1]:
            # Ended once it had lasted the limit, at a short pause (here only where the recording
            # repeats), or at twice the limit.
            assert limit - 1.0 <= utterance[-1].end - utterance[0].start <= 2 * limit + 0.1
        words = [word for utterance in limited for word in utterance]
        starts = [word.start for word in words]
        assert starts == sorted(starts) and words[-1].end <= len(audio) / 2 / rate + 0.05
        assert word_error_rate(reference_text, text_of(words)) <= 0.25


@pytest.mark.slow
def test_pocketsphinx_vocabulary_and_pronunciations(sphinx: PocketSphinxRecognizer) -> None:
    recognizer = PocketSphinxRecognizer(
        vocabulary=["chest x-ray", "zzxqword"],
        pronunciations={"Metoprolol": "M EH T OW P R OW L AO L"},
        silence_s=0,
    )
    audio, rate, _ = read_wav(FIXTURES / "mono_16k.wav")
    words = recognize(recognizer, audio, rate)
    assert word_error_rate(reference("mono_16k.txt"), text_of(words)) <= 0.25
    decoder = recognizer._idle[0]  # the closed session's decoder went back to the pool
    assert decoder.lookup_word("metoprolol") == "M EH T OW P R OW L AO L"


# --- determinism: one file, one transcript --------------------------------------------------------


def visit_mono(seconds: float | None = None) -> bytes:
    """The bundled two-voice visit mixed to mono (16 kHz): pauses, so several utterances."""
    from transcribe_medical.local import sample_visit

    audio, rate, channels = read_wav(Path(sample_visit()[0]))
    assert (rate, channels) == (16000, 2)
    mono = mix_to_mono(audio, channels)
    return mono if seconds is None else mono[: int(seconds * SECOND_16K)]


def utterances_of(recognizer: PocketSphinxRecognizer, audio: bytes, chunk: int) -> list[tuple[object, ...]]:
    session = recognizer.new_session(16000)
    done: list[list[RecognizedWord]] = []
    try:
        for start in range(0, len(audio), chunk):
            session.accept_audio(audio[start : start + chunk])
            done.extend(session.completed_utterances())
        done.append(session.finish_utterance())
    finally:
        session.close()
    return [tuple((w.text, w.start, w.end, w.confidence) for w in words) for words in done]


@pytest.mark.slow
def test_pocketsphinx_gives_one_transcript_per_file_whatever_the_chunks_and_the_decoder_heard_before() -> None:
    pytest.importorskip("pocketsphinx")
    recognizer = PocketSphinxRecognizer(max_idle_decoders=1)  # every session after the first reuses one decoder
    audio = visit_mono(seconds=20)
    # Streaming chunks (100 ms), the batch worker's (0.5 s), odd pieces; and another file in between,
    # whose cepstral mean and noise floor a pooled decoder would otherwise carry into the next session.
    runs = [utterances_of(recognizer, audio, chunk) for chunk in (3200, 16000, 2 * 1237 + 1, 3200)]
    recognize(recognizer, read_wav(FIXTURES / "mono_16k.wav")[0], 16000)
    runs.append(utterances_of(recognizer, audio, 3200))
    assert len(runs[0]) >= 3  # the pauses closed utterances, so where they close is tested too
    assert all(run == runs[0] for run in runs[1:])


@pytest.mark.slow
def test_the_emulator_gives_the_same_words_and_speakers_streaming_and_in_batch(tmp_path: Path) -> None:
    pytest.importorskip("pocketsphinx")
    from transcribe_medical import JobSettings, StreamConfig
    from transcribe_medical.local import LocalTranscribeMedical

    wav = tmp_path / "visit-mono.wav"
    with wave.open(str(wav), "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(16000)
        # Its first 15 s hold four turns, two per voice: enough to compare speakers and words
        # (the whole 36 s visit took twice as long and tested nothing more).
        writer.writeframes(visit_mono(seconds=15))
    config = StreamConfig(type="CONVERSATION", show_speaker_labels=True)
    settings = JobSettings(show_speaker_labels=True, max_speakers=2)
    with LocalTranscribeMedical() as emulator, emulator.client() as client:
        bucket = emulator.create_bucket()
        streamed = [client.streaming.transcribe_file(wav, config, realtime=False) for _ in range(2)]
        batch = client.jobs.transcribe_file(
            wav, bucket=bucket, type="CONVERSATION", settings=settings, poll_interval=0.2
        )

    def turns(transcript: object) -> list[tuple[str | None, str]]:
        return [(segment.speaker, segment.text) for segment in transcript.segments]  # type: ignore[attr-defined]

    assert turns(streamed[0]) == turns(streamed[1]) == turns(batch)
    assert len({speaker for speaker, _ in turns(batch)}) == 2
