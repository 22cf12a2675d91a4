"""Test your own code against the local emulator with the package's pytest fixtures.

Run with ``pytest examples/test_with_fixture.py`` (needs ``transcribe-medical[local]``; the fixtures
come from the ``transcribe_medical.testing`` plugin, installed with the package).
"""

from __future__ import annotations

import boto3

from transcribe_medical import StreamConfig, TranscribeMedical
from transcribe_medical.local import ScriptedRecognizer, sample_dictation


def summarize_dictation(path: str) -> str:
    """The code under test: it builds its own client and knows nothing of the emulator."""
    with TranscribeMedical() as client:
        transcript = client.streaming.transcribe_file(path, StreamConfig(type="DICTATION"), realtime=False)
    return transcript.text


def archive_transcript(bucket: str, name: str, text: str) -> None:
    """More code under test, with plain boto3."""
    boto3.client("s3").put_object(Bucket=bucket, Key=f"notes/{name}.txt", Body=text.encode())


def test_summary_mentions_the_complaint(transcribe_medical_env, transcribe_medical_bucket) -> None:  # type: ignore[no-untyped-def]
    # transcribe_medical_env exports AWS_ENDPOINT_URL*, credentials and AWS_REGION for this test.
    wav, _ = sample_dictation()
    text = summarize_dictation(wav)  # real recognition (pocketsphinx) of the bundled sample
    assert "chest pain" in text.lower()
    archive_transcript(transcribe_medical_bucket, "visit-1", text)
    body = boto3.client("s3").get_object(Bucket=transcribe_medical_bucket, Key="notes/visit-1.txt")["Body"]
    assert body.read().decode() == text


def test_low_confidence_words_are_flagged(transcribe_medical_emulator_factory) -> None:  # type: ignore[no-untyped-def]
    # A scripted recognizer makes the test fast and deterministic: every other word at 0.4.
    emulator = transcribe_medical_emulator_factory(
        recognizer=ScriptedRecognizer("no acute distress noted", confidences=[0.99, 0.4]), batch=False
    )
    wav, _ = sample_dictation()
    with emulator.client() as client:
        transcript = client.streaming.transcribe_file(wav, StreamConfig(), realtime=False)
    assert [flag.content for flag in transcript.review(0.5)] == ["acute", "noted"]
