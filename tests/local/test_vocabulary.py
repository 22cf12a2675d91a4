"""The emulator honours medical custom vocabularies: phrases joined, DisplayAs applied."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from transcribe_medical import ClientConfig, JobSettings, RetryPolicy
from transcribe_medical.local import LocalTranscribeMedical, ScriptedRecognizer
from transcribe_medical.local.recognizers import RecognizedWord
from transcribe_medical.local.vocabulary import Vocabulary, VocabularyEntry, parse_vocabulary

AUDIO = Path(__file__).resolve().parents[1] / "fixtures" / "audio"


def _words(text: str) -> list[RecognizedWord]:
    return [RecognizedWord(word, i * 0.5, i * 0.5 + 0.4, 0.9 - i * 0.01) for i, word in enumerate(text.split())]


def test_table_and_list_formats_parse() -> None:
    table = "Phrase\tSoundsLike\tIPA\tDisplayAs\nchest-x-ray\t\t\tchest X-ray\nECG\t\t\t\nmetoprolol\t\t\t\n"
    assert parse_vocabulary(table) == [
        VocabularyEntry(("chest", "x", "ray"), "chest X-ray"),
        VocabularyEntry(("ecg",), "ECG"),
        VocabularyEntry(("metoprolol",), "metoprolol"),
    ]
    assert parse_vocabulary("Los-Angeles\nECG\n\n") == [
        VocabularyEntry(("los", "angeles"), "Los Angeles"),
        VocabularyEntry(("ecg",), "ECG"),
    ]
    assert parse_vocabulary("") == []


def test_phrases_are_joined_and_displayed() -> None:
    vocabulary = Vocabulary(parse_vocabulary("Phrase\tDisplayAs\nx-ray\tX-ray\nchest-x-ray\tchest X-ray\necg\tECG\n"))
    out = vocabulary.apply(_words("order an ecg and a chest x ray today"))
    assert [w.text for w in out] == ["order", "an", "ECG", "and", "a", "chest X-ray", "today"]
    joined = out[5]
    assert (joined.start, joined.end) == (2.5, 3.9)  # from "chest" to "ray"
    assert joined.confidence == pytest.approx(0.83)  # the lowest of the three words


def test_hyphenated_recognized_words_match_and_others_pass_through() -> None:
    vocabulary = Vocabulary(parse_vocabulary("x-ray\n"))
    assert [w.text for w in vocabulary.apply(_words("an x-ray and an x"))] == ["an", "x ray", "and", "an", "x"]
    assert Vocabulary([]).apply(_words("a b")) == tuple(_words("a b"))


@pytest.fixture(scope="module")
def emu() -> Iterator[LocalTranscribeMedical]:
    script = "Order an ecg and a chest x ray today."
    with LocalTranscribeMedical(batch_workers=1, recognizer=ScriptedRecognizer(script)) as running:
        yield running


def test_batch_job_with_a_vocabulary_uses_it(emu: LocalTranscribeMedical) -> None:
    bucket = emu.create_bucket()
    config = ClientConfig(retry=RetryPolicy(max_attempts=1))
    with emu.client(config=config) as client:
        client.vocabularies.create("cardio-terms", phrases=["chest X-ray", "ECG"], bucket=bucket)
        client.vocabularies.wait("cardio-terms", poll_interval=0.05)  # usable once READY, as in AWS
        plain = client.jobs.transcribe_file(AUDIO / "mono_16k.wav", bucket=bucket, poll_interval=0.05)
        tuned = client.jobs.transcribe_file(
            AUDIO / "mono_16k.wav",
            bucket=bucket,
            poll_interval=0.05,
            settings=JobSettings(vocabulary_name="cardio-terms"),
        )
    assert "chest x ray" in plain.text
    assert "chest X-ray" in tuned.text and "ECG" in tuned.text
    words = [item.content for segment in tuned.segments for item in segment.items]
    assert "chest X-ray" in words  # one item, as the service shows a vocabulary phrase


def test_streaming_with_a_vocabulary_uses_it(emu: LocalTranscribeMedical) -> None:
    from transcribe_medical import StreamConfig

    bucket = emu.create_bucket()
    config = ClientConfig(retry=RetryPolicy(max_attempts=1))
    with emu.client(config=config) as client:
        client.vocabularies.create("stream-terms", phrases=["chest X-ray"], bucket=bucket)
        client.vocabularies.wait("stream-terms", poll_interval=0.05)
        transcript = client.streaming.transcribe_file(
            AUDIO / "mono_16k.wav", StreamConfig(vocabulary_name="stream-terms"), realtime=False
        )
    words = [item.content for segment in transcript.segments for item in segment.items]
    assert "chest X-ray" in words and "ecg" in words  # only the vocabulary's phrase changes
