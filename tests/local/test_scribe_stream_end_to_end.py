"""HealthScribe streaming end to end: the SDK's HTTP/2 client against the emulator (moto S3 behind it)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from transcribe_medical import CredentialsError, ScribeStreamConfig
from transcribe_medical.local import LocalTranscribeMedical, ScriptedRecognizer

SCRIPT = "I have had a cough for five days."
STEREO = b"\x01\x00" * 3200  # 100 ms of 16 kHz 2-channel PCM (not digital silence): clinician on 0, patient on 1
CHANNELS = [
    {"channel_id": 0, "participant_role": "CLINICIAN"},
    {"channel_id": 1, "participant_role": "PATIENT"},
]


@pytest.fixture(scope="module")
def emu() -> Iterator[LocalTranscribeMedical]:
    with LocalTranscribeMedical(recognizer=ScriptedRecognizer(SCRIPT), batch_workers=1) as running:
        running.create_bucket("scribe-notes")
        yield running


def _config() -> ScribeStreamConfig:
    return ScribeStreamConfig(
        role_arn="arn:aws:iam::123456789012:role/HealthScribeAccess",
        output_bucket="scribe-notes",
        sample_rate=16000,
        channel_definitions=CHANNELS,
    )


def test_the_sync_client_streams_and_gets_a_note_linked_to_its_segments(emu: LocalTranscribeMedical) -> None:
    with emu.client() as client:
        with client.scribe.streaming.connect(_config()) as session:
            for _ in range(30):
                session.send_audio(STEREO)
            session.end()
            events = list(session)
            note = session.note(poll_interval=0.05, timeout=30)
        described = client.scribe.streaming.get(session.session_id)
    finals = [event.segment for event in events if not event.is_partial]
    assert [segment.text for segment in finals] == [SCRIPT, SCRIPT]
    assert any(event.is_partial for event in events)
    assert [s.speaker for s in session.transcript.segments] == ["CLINICIAN_0", "PATIENT_0"]
    evidence = {link for section in note.sections for sentence in section.sentences for link in sentence.evidence}
    assert evidence == {finals[1].segment_id}
    assert (described.stream_status, described.note_status) == ("COMPLETED", "COMPLETED")
    assert described.note_uri is not None and described.note_uri.endswith(
        f"/healthscribe-streaming/{session.session_id}/post-stream-analytics/clinical-notes/summary.json"
    )
    server_side = emu.scribe_streams.sessions.get(session.session_id)
    assert server_side is not None
    assert server_side.events_verified == 1 + 30 + 1 + 1  # configuration, audio, END_OF_SESSION, end frame


def test_the_async_client_streams_too(emu: LocalTranscribeMedical) -> None:
    async def run() -> tuple[str, int]:
        async with emu.async_client() as client, await client.scribe.streaming.connect(_config()) as session:
            for _ in range(10):
                await session.send_audio(STEREO)
            await session.end()
            finals = [event async for event in session if not event.is_partial]
            note = await session.note(poll_interval=0.05, timeout=30)
            return session.session_id, len(finals) + len(note.sections)

    session_id, count = asyncio.run(run())
    assert count >= 2
    assert emu.scribe_streams.sessions.get(session_id).status == "COMPLETED"  # type: ignore[union-attr]


def test_a_wrong_secret_is_a_credentials_error(emu: LocalTranscribeMedical) -> None:
    import boto3

    wrong = boto3.Session(
        aws_access_key_id=emu.credentials.access_key_id, aws_secret_access_key="not-the-secret", region_name=emu.region
    )
    with emu.client(boto3_session=wrong) as client, pytest.raises(CredentialsError) as raised:
        client.scribe.streaming.connect(_config())  # the 403 comes with the response headers
    assert "\n" not in str(raised.value)


def test_a_dropped_session_resumes_with_its_id_and_every_segment_once(emu: LocalTranscribeMedical) -> None:
    from transcribe_medical import ConnectionError as StreamDropped
    from transcribe_medical.local.scribe_stream_server import ScribeStreamFaults

    config = _config().with_session_id()
    emu.scribe_streams.faults = ScribeStreamFaults(drop_after_audio_events=5, streams=1)
    try:
        with emu.client() as client:
            with client.scribe.streaming.connect(config, max_resumes=0) as first:  # resumed by hand below
                for _ in range(5):
                    first.send_audio(STEREO)
                with pytest.raises(StreamDropped):
                    list(first)  # the emulator drops the connection after the 5th chunk
            assert client.scribe.streaming.get(config.session_id).stream_status == "PAUSED"
            with client.scribe.streaming.connect(config) as second:  # configuration first again
                for _ in range(20):
                    second.send_audio(STEREO)
                second.end()
                finals = [event.segment for event in second if not event.is_partial]
                second.note(poll_interval=0.05, timeout=30)
    finally:
        emu.scribe_streams.faults = None
    server_side = emu.scribe_streams.sessions.get(config.session_id)
    assert server_side is not None and server_side.streams == 2
    assert [segment.segment_id for segment in server_side.segments] == [s.segment_id for s in finals]
    assert [segment.text for segment in finals] == [SCRIPT, SCRIPT]
