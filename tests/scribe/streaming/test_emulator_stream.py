"""End to end against the emulator's HTTP/2 HealthScribe endpoint: the bundled visit, sync and asyncio."""

from __future__ import annotations

import asyncio
import wave
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from transcribe_medical import CredentialsError
from transcribe_medical.local import LocalTranscribeMedical
from transcribe_medical.scribe.streaming.config import ScribeStreamConfig

VISIT = Path(__file__).resolve().parents[3] / "src" / "transcribe_medical" / "local" / "data" / "sample_visit.wav"
ROLE_ARN = "arn:aws:iam::123456789012:role/HealthScribeAccess"  # the emulator's account
CHANNELS = [{"channel_id": 0, "participant_role": "CLINICIAN"}, {"channel_id": 1, "participant_role": "PATIENT"}]


@pytest.fixture(scope="module")
def emulator() -> Iterator[LocalTranscribeMedical]:
    with LocalTranscribeMedical() as running:
        running.create_bucket("visits")
        yield running


def _config() -> ScribeStreamConfig:
    return ScribeStreamConfig(role_arn=ROLE_ARN, output_bucket="visits", channel_definitions=CHANNELS)


class CountingChunks:
    """The visit's PCM in 100 ms chunks, counting how many have been taken."""

    def __init__(self, seconds: float | None = None) -> None:
        with wave.open(str(VISIT)) as wav:
            self.rate, self.channels = wav.getframerate(), wav.getnchannels()
            frames = wav.getnframes() if seconds is None else int(seconds * self.rate)
            self.pcm = wav.readframes(frames)
        self.size = self.rate * self.channels * 2 // 10
        self.total = -(-len(self.pcm) // self.size)
        self.taken = 0

    def __iter__(self) -> Iterator[bytes]:
        for start in range(0, len(self.pcm), self.size):
            self.taken += 1
            yield self.pcm[start : start + self.size]


def test_the_visit_streams_with_segments_during_the_audio_and_gives_a_note(emulator: LocalTranscribeMedical) -> None:
    audio = CountingChunks()
    config = _config().model_copy(update={"sample_rate": audio.rate})
    taken_at_first_final: int | None = None
    with emulator.client() as client:
        run = client.scribe.streaming.transcribe(iter(audio), config, realtime=False)
        for event in run:
            if not event.is_partial and taken_at_first_final is None:
                taken_at_first_final = audio.taken
        assert taken_at_first_final is not None and taken_at_first_final < audio.total  # not only at the end
        transcript = run.transcript
        note = run.note(poll_interval=0.2, timeout=120)
        described = client.scribe.streaming.get(run.session_id)
    assert set(transcript.speakers) == {"CLINICIAN_0", "PATIENT_0"}
    assert all(segment.segment_id for segment in transcript.segments)
    assert len({s.segment_id for s in transcript.segments}) == len(transcript.segments)
    assert "sore throat" in " ".join(s.text.lower() for s in transcript.segments if s.speaker == "PATIENT_0")
    assert note.is_emulated and note.sections
    # Every evidence link names a segment of the streamed transcript.
    assert note.evidence_ids and note.missing_evidence(transcript) == []
    assert described.stream_status == "COMPLETED" and described.note_status == "COMPLETED"
    assert described.note_uri and described.transcript_uri


def test_async_streams_the_start_of_the_visit(emulator: LocalTranscribeMedical) -> None:
    audio = CountingChunks(seconds=6.0)
    config = _config().model_copy(update={"sample_rate": audio.rate})

    async def main() -> tuple[list[str | None], str]:
        async with emulator.async_client() as client:
            run = await client.scribe.streaming.transcribe(iter(audio), config, realtime=False)
            speakers = [event.segment.speaker async for event in run if not event.is_partial]
            described = await client.scribe.streaming.get(run.session_id)
            return speakers, described.stream_status or ""

    speakers, status = asyncio.run(main())
    assert speakers and set(speakers) <= {"CLINICIAN_0", "PATIENT_0"}
    assert status == "COMPLETED"


def test_a_wrong_secret_is_a_credentials_error(emulator: LocalTranscribeMedical) -> None:
    wrong = boto3.Session(
        aws_access_key_id=emulator.credentials.access_key_id,
        aws_secret_access_key="not-the-secret",
        region_name=emulator.region,
    )
    with emulator.client(boto3_session=wrong) as client, pytest.raises(CredentialsError):
        client.scribe.streaming.connect(_config().model_copy(update={"sample_rate": 16000}))


def test_a_tampered_event_signature_is_a_credentials_error(emulator: LocalTranscribeMedical) -> None:
    config = _config().model_copy(update={"sample_rate": 16000})
    with emulator.client() as client, client.scribe.streaming.connect(config) as session:
        session._protocol._signer._prior = "0" * 64  # type: ignore[union-attr]  # break the chain
        session.send_audio(b"\0\0" * 3200)
        with pytest.raises(CredentialsError, match="signature"):
            list(session)
