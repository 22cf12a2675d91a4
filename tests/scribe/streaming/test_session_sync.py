"""The sync HealthScribe session against an in-test h2 server that checks every signature."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from conftest import TEST_SECRET_KEY
from scribe.streaming.h2_server import ScribeH2Server
from transcribe_medical import ClientConfig, CredentialsError, RetryPolicy, TranscribeMedical, ValidationError
from transcribe_medical._exceptions import BadRequestError, ConnectionError, NotFoundError
from transcribe_medical.scribe.streaming.config import ScribeStreamConfig

ROLE = "arn:aws:iam::111122223333:role/HealthScribeAccess"
CHUNK = b"\x01\x00" * 1600  # 100 ms of 16 kHz PCM


@pytest.fixture
def server() -> Iterator[ScribeH2Server]:
    made = ScribeH2Server(TEST_SECRET_KEY)
    yield made
    made.close()


def _client(server: ScribeH2Server) -> TranscribeMedical:
    config = ClientConfig(
        streaming_endpoint_url=server.url.replace("http", "ws"),
        retry=RetryPolicy(max_attempts=1, initial_backoff=0.0, max_backoff=0.0),
        read_timeout=10.0,
    )
    return TranscribeMedical(region_name="us-east-1", config=config)


def _config(**extra: object) -> ScribeStreamConfig:
    return ScribeStreamConfig(
        role_arn=ROLE,
        output_bucket="notes-bucket",
        sample_rate=16000,
        note_template="GIRPP",
        channel_definitions=[
            {"channel_id": 0, "participant_role": "CLINICIAN"},
            {"channel_id": 1, "participant_role": "PATIENT"},
        ],
        **extra,
    )


def test_session_signs_every_event_and_collects_segments(server: ScribeH2Server) -> None:
    with _client(server) as client, client.scribe.streaming.connect(_config()) as session:
        for _ in range(6):
            session.send_audio(CHUNK)
        session.end()
        events = list(session)
    seen = server.seen
    assert seen.bad_signatures == 0
    assert [kind for kind, _ in seen.events] == ["ConfigurationEvent"] + ["AudioEvent"] * 6 + ["SessionControlEvent"]
    assert seen.end_frames == 1
    configuration = json.loads(seen.events[0][1])
    assert configuration["ResourceAccessRoleArn"] == ROLE
    assert configuration["PostStreamAnalyticsSettings"] == {
        "ClinicalNoteGenerationSettings": {"OutputBucketName": "notes-bucket", "NoteTemplate": "GIRPP"}
    }
    assert json.loads(seen.events[-1][1]) == {"Type": "END_OF_SESSION"}
    assert all(payload == CHUNK for kind, payload in seen.events if kind == "AudioEvent")
    request = seen.requests[0]
    assert request[":path"] == "/medical-scribe-stream"
    assert request["x-amzn-transcribe-sample-rate"] == "16000"
    assert request["x-amzn-transcribe-session-id"] == session.session_id
    # The server's 4 KiB stream window is smaller than what was sent: flow control was honoured.
    assert seen.window_updates_sent >= 2
    assert len({e.segment.segment_id for e in events}) == 3
    assert [(e.segment.start, e.segment.end) for e in events] == [(0.0, 0.2), (0.2, 0.4), (0.4, 0.6)]
    transcript = session.transcript
    assert [s.speaker for s in transcript.segments] == ["CLINICIAN_0", "PATIENT_0", "CLINICIAN_0"]
    assert [s.channel for s in transcript.segments] == ["ch_0", "ch_1", "ch_0"]
    assert transcript.session_id == session.session_id


def test_transcribe_streams_a_source_and_get_describes_the_session(server: ScribeH2Server) -> None:
    with _client(server) as client:
        run = client.scribe.streaming.transcribe([CHUNK] * 4, _config(), realtime=False)
        texts = [event.segment.text for event in run]
        assert texts == ["word0", "word1"]
        described = client.scribe.streaming.get(run.session_id)
    assert described.session_id == run.session_id
    assert described.stream_status == "COMPLETED"
    assert described.note_status == "IN_PROGRESS"
    assert not described.note_done


def test_get_unknown_session_is_not_found(server: ScribeH2Server) -> None:
    with _client(server) as client, pytest.raises(NotFoundError):
        client.scribe.streaming.get("00000000-0000-4000-8000-000000000000")


def test_wrong_secret_is_a_credentials_error(server: ScribeH2Server, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret")
    with _client(server) as client, pytest.raises(CredentialsError, match="HTTP 403"):
        client.scribe.streaming.connect(_config())
    assert server.seen.events == []


def test_tampered_event_signature_is_refused(server: ScribeH2Server) -> None:
    with _client(server) as client, client.scribe.streaming.connect(_config()) as session:
        # Break the chain: sign the next event from a different prior signature.
        session._protocol._signer._prior = "0" * 64  # type: ignore[union-attr]
        session.send_audio(CHUNK)
        with pytest.raises(BadRequestError, match="invalid event signature"):
            list(session)
    assert server.seen.bad_signatures == 1


def test_a_dropped_connection_resumes_the_session_with_no_audio_lost_or_doubled(server: ScribeH2Server) -> None:
    server.drop_after_audio = 3  # one final (chunks 1-2) kept; chunk 3 and what followed are dropped
    chunks = [bytes([index]) * 3200 for index in range(1, 11)]
    resumed: list[int] = []
    mono = _config().model_copy(update={"channel_definitions": None})
    with _client(server) as client:
        run = client.scribe.streaming.transcribe(chunks, mono, realtime=False, on_resume=resumed.append)
        events = list(run)
    assert resumed == [1]
    assert server.seen.connections == 2
    assert {r["x-amzn-transcribe-session-id"] for r in server.seen.requests} == {run.session_id}
    # Configuration first on both connections.
    kinds = [kind for kind, _ in server.seen.events]
    assert kinds[0] == "ConfigurationEvent" and kinds.count("ConfigurationEvent") == 2
    assert kinds[kinds.index("ConfigurationEvent", 1) - 1] == "AudioEvent"
    # What the service kept is every chunk once, in order.
    assert bytes(server.seen.kept_audio[run.session_id]) == b"".join(chunks)
    assert server.seen.bad_signatures == 0 and server.seen.end_frames == 1
    spans = [(s.start, s.end) for s in run.transcript.segments]
    assert spans == [(round(0.2 * i, 6), round(0.2 * (i + 1), 6)) for i in range(5)]
    assert len(events) == 5


def test_no_resume_when_resumes_are_off(server: ScribeH2Server) -> None:
    server.drop_after_audio = 3
    with _client(server) as client:
        run = client.scribe.streaming.transcribe([CHUNK] * 10, _config(), realtime=False, max_resumes=0)
        with pytest.raises(ConnectionError):
            list(run)
    assert server.seen.connections == 1


def test_dropped_connection_is_a_connection_error_when_resumes_are_off(server: ScribeH2Server) -> None:
    server.drop_after_audio = 3
    with _client(server) as client, client.scribe.streaming.connect(_config(), max_resumes=0) as session:
        for _ in range(3):
            session.send_audio(CHUNK)
        with pytest.raises(ConnectionError):
            list(session)


def test_note_of_a_failed_session_says_why(server: ScribeH2Server) -> None:
    from transcribe_medical.scribe.streaming.client import ScribeNoteFailedError

    session_id = "11111111-2222-4333-8444-555555555555"
    server.seen.descriptions[session_id] = {
        "SessionId": session_id,
        "StreamStatus": "COMPLETED",
        "PostStreamAnalyticsResult": {
            "ClinicalNoteGenerationResult": {"Status": "FAILED", "FailureReason": "too little conversation"}
        },
    }
    with _client(server) as client, pytest.raises(ScribeNoteFailedError, match="too little conversation"):
        client.scribe.streaming.note(session_id, poll_interval=0.0)


def test_waiting_for_a_note_times_out(server: ScribeH2Server) -> None:
    from transcribe_medical import TimeoutError

    session_id = "11111111-2222-4333-8444-555555555556"
    server.seen.descriptions[session_id] = {
        "SessionId": session_id,
        "PostStreamAnalyticsResult": {"ClinicalNoteGenerationResult": {"Status": "IN_PROGRESS"}},
    }
    with _client(server) as client, pytest.raises(TimeoutError, match="IN_PROGRESS"):
        client.scribe.streaming.wait(session_id, timeout=0.0, poll_interval=1.0)


def test_a_stereo_file_needs_channel_definitions(server: ScribeH2Server) -> None:
    from pathlib import Path

    stereo = Path(__file__).resolve().parents[2] / "fixtures" / "audio" / "stereo_16k.wav"
    mono = _config().model_copy(update={"channel_definitions": None})
    with _client(server) as client, pytest.raises(ValidationError, match="channel_definitions"):
        client.scribe.streaming.transcribe(stereo, mono)
    assert server.seen.requests == []


def test_an_exception_event_mid_audio_ends_transcribe_and_its_sender(server: ScribeH2Server) -> None:
    from transcribe_medical import LimitExceededError

    server.refuse_after_audio = 3
    with _client(server) as client:
        run = client.scribe.streaming.transcribe([CHUNK] * 200, _config(), realtime=False)
        with pytest.raises(LimitExceededError, match="too many sessions"):
            list(run)
        run._sender.join(timeout=10)
        assert not run._sender.is_alive()  # woken by the close, not left waiting for window
    assert server.seen.connections == 1
