"""The sans-I/O StreamSession, without sockets: audio → frames, frames → events and errors."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from botocore.eventstream import EventStreamBuffer

from streaming.aws_examples import speaker_change_payload
from streaming.fake_service import encode_frame, exception_frame, load_sequence, transcript_event_frame
from transcribe_medical import (
    BadRequestError,
    ConflictError,
    ConnectionError,
    CredentialsError,
    InternalFailureError,
    LimitExceededError,
    ProtocolError,
    ServiceError,
    ServiceUnavailableError,
    StreamConfig,
    TranscribeMedicalError,
    TranscriptEvent,
)
from transcribe_medical.streaming.protocol import StreamSession, StreamState

VECTORS = Path(__file__).resolve().parents[1] / "vectors"
CONFIG = StreamConfig(media_encoding="pcm", sample_rate=16000)

EXCEPTIONS = [
    ("BadRequestException", BadRequestError),
    ("LimitExceededException", LimitExceededError),
    ("InternalFailureException", InternalFailureError),
    ("ConflictException", ConflictError),
    ("ServiceUnavailableException", ServiceUnavailableError),
]


def _decode(frames: list[bytes]) -> list[Any]:
    messages = []
    for frame in frames:
        buffer = EventStreamBuffer()
        buffer.add_data(frame)
        decoded = list(buffer)
        assert len(decoded) == 1
        messages.extend(decoded)
    return messages


def test_audio_is_cut_into_payloads_of_at_most_32_kib() -> None:
    session = StreamSession(CONFIG)
    audio = bytes(range(256)) * 400  # 102,400 bytes
    frames = session.send_audio(audio)
    messages = _decode(frames)
    assert [len(m.payload) for m in messages] == [32768, 32768, 32768, 4096]
    assert b"".join(m.payload for m in messages) == audio
    assert all(len(frame) <= 32768 + 104 for frame in frames)
    for message in messages:
        assert message.headers == {
            ":message-type": "event",
            ":event-type": "AudioEvent",
            ":content-type": "application/octet-stream",
        }
    assert session.audio_bytes_sent == len(audio) and session.frames_sent == 4


def test_empty_audio_gives_no_frame_because_it_would_end_the_stream() -> None:
    session = StreamSession(CONFIG)
    assert session.send_audio(b"") == []
    assert session.state is StreamState.STREAMING


def test_end_is_the_empty_audio_event_of_the_vectors() -> None:
    vectors = json.loads((VECTORS / "eventstream.json").read_text())
    [end_vector] = [v for v in vectors["valid"] if v["name"] == "audio_event_end_of_stream"]
    session = StreamSession(CONFIG)
    assert session.end() == bytes.fromhex(end_vector["encoded_hex"])
    assert session.state is StreamState.ENDING


def test_nothing_may_be_sent_after_the_end() -> None:
    session = StreamSession(CONFIG)
    session.end()
    with pytest.raises(TranscribeMedicalError, match="ending"):
        session.send_audio(b"\x00\x00")
    with pytest.raises(TranscribeMedicalError):
        session.end()


def test_the_session_id_is_generated_and_kept() -> None:
    session = StreamSession(CONFIG)
    assert uuid.UUID(session.session_id).version == 4
    assert session.config.to_query()["session-id"] == session.session_id
    given = str(uuid.uuid4())
    assert StreamSession(CONFIG.model_copy(update={"session_id": given})).session_id == given


@pytest.mark.parametrize("name", ["conversation_speakers_phi", "two_channels"])
def test_events_of_the_vectors_assemble_finals_only(name: str) -> None:
    sequence = load_sequence(name)
    session = StreamSession(CONFIG)
    received: list[TranscriptEvent] = []
    for event in sequence["events"]:
        received.extend(session.receive_frame(transcript_event_frame(event["payload"])))
    assert len(received) == len(sequence["events"])
    transcript = session.transcript
    expected = sequence.get("expected_transcript") or sequence["expected_transcript_interleaved"]
    assert transcript.text == expected
    assert transcript.session_id == session.session_id
    assert session.events_received == len(sequence["events"])
    assert session.partials == []


def test_partials_never_duplicate_finals() -> None:
    sequence = load_sequence("conversation_speakers_phi")
    session = StreamSession(CONFIG)
    for event in sequence["events"]:
        session.receive_frame(transcript_event_frame(event["payload"]))
        # Replaying a partial of a result that is already final must change nothing.
        session.receive_frame(transcript_event_frame(sequence["events"][0]["payload"]))
    texts = [segment.text for segment in session.transcript.segments]
    assert len(texts) == len(set(texts)) == len(sequence["expected_final_results"])


def test_frames_split_anywhere_decode_the_same() -> None:
    sequence = load_sequence("conversation_speakers_phi")
    data = b"".join(transcript_event_frame(event["payload"]) for event in sequence["events"])
    session = StreamSession(CONFIG)
    events: list[TranscriptEvent] = []
    for i in range(0, len(data), 7):
        events.extend(session.receive_frame(data[i : i + 7]))
    assert len(events) == len(sequence["events"])
    assert session.transcript.text == sequence["expected_transcript"]


@pytest.mark.parametrize(("exception_type", "error_class"), EXCEPTIONS)
def test_exception_frames_raise_the_matching_error(exception_type: str, error_class: type[ServiceError]) -> None:
    session = StreamSession(CONFIG)
    with pytest.raises(error_class) as raised:
        session.receive_frame(exception_frame(exception_type, "why it failed"))
    assert raised.value.code == exception_type
    assert raised.value.message == "why it failed"
    assert session.state is StreamState.FAILED
    assert session.error is raised.value
    with pytest.raises(error_class):
        session.receive_frame(transcript_event_frame({"Transcript": {"Results": []}}))
    with pytest.raises(error_class):
        session.connection_closed(1000)


def test_limit_exceeded_on_stream_length_is_not_retryable() -> None:
    session = StreamSession(CONFIG)
    with pytest.raises(LimitExceededError) as raised:
        session.receive_frame(exception_frame("LimitExceededException", "Your stream is too long."))
    assert raised.value.retryable is False


def test_refused_credentials_in_a_frame_are_a_credentials_error() -> None:
    with pytest.raises(CredentialsError):
        StreamSession(CONFIG).receive_frame(exception_frame("UnrecognizedClientException"))


def test_generic_error_frames_map_by_code() -> None:
    frame = encode_frame(
        {":message-type": "error", ":error-code": "ServiceUnavailableException", ":error-message": "try later"}
    )
    with pytest.raises(ServiceUnavailableError, match="try later"):
        StreamSession(CONFIG).receive_frame(frame)


def test_unknown_event_types_are_ignored() -> None:
    frame = encode_frame({":message-type": "event", ":event-type": "FutureEvent"}, b"{}")
    session = StreamSession(CONFIG)
    assert session.receive_frame(frame) == []
    assert session.state is StreamState.STREAMING


@pytest.mark.parametrize(
    "headers",
    [
        {":message-type": "event", ":event-type": "FutureEvent", ":content-type": "application/json"},
        {":message-type": "event", ":event-type": "SECRETWORD said \x1b[2J", ":content-type": "application/json"},
        {":message-type": "event"},
        {":message-type": "future-kind", ":event-type": "SECRETWORD"},
    ],
)
def test_what_aws_may_add_is_skipped_with_a_debug_line_without_text(
    headers: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    payload = json.dumps({"Text": "SECRETWORD Mr. Alvarez"}).encode()
    final = load_sequence("conversation_speakers_phi")["events"][-1]["payload"]
    session = StreamSession(CONFIG)
    with caplog.at_level("DEBUG", logger="transcribe_medical"):
        assert session.receive_frame(encode_frame(headers, payload)) == []
        # The session is still up: what follows is read as usual.
        assert len(session.receive_frame(transcript_event_frame(final))) == 1
    assert session.state is StreamState.STREAMING and session.transcript.segments
    skipped = [record for record in caplog.records if "skipping" in record.getMessage()]
    assert len(skipped) == 1 and skipped[0].levelname == "DEBUG"
    line = skipped[0].getMessage()
    assert "SECRETWORD" not in line and "Alvarez" not in line and "\x1b" not in line
    if headers.get(":event-type") == "FutureEvent":
        assert "FutureEvent" in line


def test_the_aws_speaker_change_example_keeps_the_session_up() -> None:
    session = StreamSession(CONFIG)
    (event,) = session.receive_frame(transcript_event_frame(speaker_change_payload()))
    assert session.state is StreamState.STREAMING
    assert [item.type for item in event.results[0].alternatives[0].items].count("speaker-change") == 1
    assert [segment.speaker for segment in session.transcript.segments] == ["spk_0", "spk_1"]


@pytest.mark.parametrize(
    "frame",
    [
        encode_frame({":content-type": "application/json"}),
        transcript_event_frame(b"not json"),
        transcript_event_frame(b'{"Transcript": {"Results": [{"ResultId": 5}]}}'),
        b"\x00\x00\x00\x10\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00",
    ],
)
def test_malformed_frames_raise_protocol_error(frame: bytes) -> None:
    session = StreamSession(CONFIG)
    with pytest.raises(ProtocolError):
        session.receive_frame(frame)
    assert session.state is StreamState.FAILED


def test_closing_normally_after_the_end_is_done() -> None:
    session = StreamSession(CONFIG)
    session.end()
    session.connection_closed(1000)
    assert session.state is StreamState.DONE
    session.connection_closed(1000)  # idempotent


def test_closing_before_the_end_is_a_connection_error_with_the_transcript() -> None:
    sequence = load_sequence("conversation_speakers_phi")
    session = StreamSession(CONFIG)
    for event in sequence["events"]:
        session.receive_frame(transcript_event_frame(event["payload"]))
    with pytest.raises(ConnectionError, match="before the end of the audio") as raised:
        session.connection_closed(1000)
    assert raised.value.transcript.text == sequence["expected_transcript"]


@pytest.mark.parametrize("code", [None, 1006, 1011])
def test_abnormal_closure_after_the_end_is_a_connection_error(code: int | None) -> None:
    session = StreamSession(CONFIG)
    session.end()
    with pytest.raises(ConnectionError, match="lost"):
        session.connection_closed(code)


def test_closing_in_the_middle_of_a_frame_is_a_protocol_error() -> None:
    session = StreamSession(CONFIG)
    session.end()
    session.receive_frame(transcript_event_frame({"Transcript": {"Results": []}})[:20])
    with pytest.raises(ProtocolError):
        session.connection_closed(1000)


def test_repr_shows_no_audio_or_text() -> None:
    session = StreamSession(CONFIG)
    session.send_audio(b"secret audio")
    assert "secret" not in repr(session)
