"""The emulator's HealthScribe streaming endpoint over HTTP/2, driven by an independent h2 client."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from scribe_stream_client import END_OF_SESSION, H2Client, audio, configuration

from transcribe_medical.local import EmulatorCredentials, ScriptedRecognizer, StreamingServer
from transcribe_medical.local.event_signature_verifier import event_string_to_sign
from transcribe_medical.local.scribe_stream_server import ScribeStreamServer

CREDENTIALS = EmulatorCredentials("AKIDEMULATORTEST0000", "emulator/test/secret+key")
SCRIPT = "I have had a cough for five days."
CHANNELS = [{"ChannelId": 0, "ParticipantRole": "CLINICIAN"}, {"ChannelId": 1, "ParticipantRole": "PATIENT"}]
#: 100 ms of 16 kHz mono PCM (the scripted recognizer ignores the content).
CHUNK = b"\x01\x00" * 1600  # not digital silence, which the emulator does not decode


class FakeS3:
    """Records the objects the post-stream analytics writes."""

    def __init__(self) -> None:
        self.objects: dict[tuple[str, str], bytes] = {}

    def write(self, bucket: str, key: str, data: bytes, *, kms_key_id: str | None = None) -> str:
        self.objects[(bucket, key)] = data
        return f"https://s3.us-east-1.amazonaws.com/{bucket}/{key}"


class Emulator:
    def __init__(self) -> None:
        self.s3 = FakeS3()
        self.streaming = StreamingServer(credentials=CREDENTIALS, recognizer=ScriptedRecognizer(SCRIPT))
        self.scribe = ScribeStreamServer(
            credentials=CREDENTIALS,
            region="us-east-1",
            recognizer=lambda: ScriptedRecognizer(SCRIPT),
            s3=lambda: self.s3,  # type: ignore[arg-type,return-value]
            filter_words=lambda name: ["cough"] if name == "hide-cough" else None,
        )
        self.streaming.http2_protocol = self.scribe.protocol

    def wait_analytics(self) -> None:
        loop = self.streaming._loop
        assert loop is not None
        asyncio.run_coroutine_threadsafe(self.scribe.wait_analytics(), loop).result(10)


@pytest.fixture
def emu() -> Iterator[Emulator]:
    emulator = Emulator()
    with emulator.streaming:
        yield emulator


def _events(response: Any) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for message in response.messages():
        kind = message.headers.get(":event-type") or message.headers.get(":exception-type")
        out.append((str(kind), json.loads(message.payload)))
    return out


def test_the_public_vector_gives_the_expected_string_to_sign() -> None:
    inner = bytes.fromhex(
        "0000003000000014ded9b3920b736f6d652d68656164657207000576616c756574657374207061796c6f61643e89b924"
    )
    from transcribe_medical.eventstream import Timestamp
    from transcribe_medical.eventstream._headers import encode_headers

    when = datetime.fromtimestamp(123456789, UTC)
    prior = "be1f8c7d79ef8e1abc5254a2c70e4da3bfaf4f07328f527444e1fc6ea67273e2"
    text = event_string_to_sign(
        when,
        "19731129/us-east-1/testservice/aws4_request",
        prior,
        encode_headers({":date": Timestamp(123456789000)}),
        inner,
    )
    assert text.split("\n") == [
        "AWS4-HMAC-SHA256-PAYLOAD",
        "19731129T213309Z",
        "19731129/us-east-1/testservice/aws4_request",
        prior,
        "0c0e3b3bf66b59b976181bd7d401927bbd624107303c713fd1e5f3d3c8dd1b1e",
        "f2eba0f2e95967ee9fbc6db5e678d2fd599229c0d04b11e4fc8e0f2a02a806c6",
    ]


def test_a_session_streams_segments_as_audio_arrives_and_writes_the_note(emu: Emulator) -> None:
    session_id = str(uuid.uuid4())
    stereo = b"\x01\x00" * 3200  # 100 ms, one participant per channel (not digital silence)
    with H2Client(emu.streaming.port, CREDENTIALS) as client:
        stream, signer = client.open_stream(session_id=session_id)
        now = datetime.now(UTC)
        client.send(stream, signer.wrap(configuration(ChannelDefinitions=CHANNELS), now))
        for _ in range(20):
            client.send(stream, signer.wrap(audio(stereo), now))
        # Segments come while audio is still being sent, before any end.
        early = client.wait(stream, lambda r: b"TranscriptEvent" in r.body)
        assert early.status == 200
        assert early.headers["x-amzn-transcribe-session-id"] == session_id
        for _ in range(20):
            client.send(stream, signer.wrap(audio(stereo), now))
        client.send(stream, signer.wrap(END_OF_SESSION, now))
        client.send(stream, signer.wrap(b"", now), end=True)
        response = client.finish(stream)
        events = _events(response)
        assert {kind for kind, _ in events} == {"TranscriptEvent"}
        segments = [body["TranscriptSegment"] for _, body in events]
        assert segments[0]["IsPartial"] is True
        finals = [segment for segment in segments if not segment["IsPartial"]]
        assert [(s["ChannelId"], s["Content"]) for s in finals] == [
            ("ch_0", "I have had a cough for five days."),
            ("ch_1", "I have had a cough for five days."),
        ]
        emu.wait_analytics()
        details = client.get(f"/medical-scribe-stream/{session_id}").json()["MedicalScribeStreamDetails"]
    assert details["StreamStatus"] == "COMPLETED"
    assert details["ChannelDefinitions"] == CHANNELS
    result = details["PostStreamAnalyticsResult"]["ClinicalNoteGenerationResult"]
    assert result["Status"] == "COMPLETED"
    prefix = f"healthscribe-streaming/{session_id}/post-stream-analytics/clinical-notes"
    assert result["TranscriptOutputLocation"].endswith(f"scribe-out/{prefix}/transcript.json")
    transcript = json.loads(emu.s3.objects[("scribe-out", f"{prefix}/transcript.json")])["Conversation"]
    note = json.loads(emu.s3.objects[("scribe-out", f"{prefix}/summary.json")])["ClinicalDocumentation"]
    assert transcript["SessionId"] == session_id and "JobName" not in transcript
    written = transcript["TranscriptSegments"]
    assert [s["SegmentId"] for s in written] == [s["SegmentId"] for s in finals]
    assert [s["ParticipantDetails"]["ParticipantRole"] for s in written] == ["CLINICIAN_0", "PATIENT_0"]
    links = {
        link["SegmentId"] for section in note["Sections"] for s in section["Summary"] for link in s["EvidenceLinks"]
    }
    assert links == {finals[1]["SegmentId"]}  # the patient's complaint
    assert note["SessionId"] == session_id
    assert emu.scribe.sessions.get(session_id).events_verified == 43  # type: ignore[union-attr]


def test_a_wrong_secret_is_refused_with_403_before_any_event(emu: Emulator) -> None:
    wrong = EmulatorCredentials(CREDENTIALS.access_key_id, "not the secret")
    with H2Client(emu.streaming.port, CREDENTIALS) as client:
        stream, _ = client.open_stream(credentials=wrong)
        response = client.finish(stream)
    assert response.status == 403
    assert response.headers["x-amzn-errortype"] == "InvalidSignatureException"
    assert "signature we calculated does not match" in response.json()["Message"]


def test_an_expired_request_signature_is_refused_with_403(emu: Emulator) -> None:
    with H2Client(emu.streaming.port, CREDENTIALS) as client:
        stream, _ = client.open_stream(when=datetime.now(UTC) - timedelta(minutes=20))
        response = client.finish(stream)
    assert response.status == 403
    assert response.json()["Message"].startswith("Signature expired")


def test_a_tampered_event_signature_ends_the_stream_with_an_exception_event(emu: Emulator) -> None:
    with H2Client(emu.streaming.port, CREDENTIALS) as client:
        stream, signer = client.open_stream()
        now = datetime.now(UTC)
        client.send(stream, signer.wrap(configuration(), now))
        client.send(stream, signer.wrap(audio(CHUNK), now, tamper=True))
        response = client.finish(stream)
    assert response.status == 200
    kind, body = _events(response)[-1]
    assert kind == "InvalidSignatureException"
    assert "event signature we calculated does not match" in body["Message"]


def test_an_event_signed_out_of_chain_is_refused(emu: Emulator) -> None:
    with H2Client(emu.streaming.port, CREDENTIALS) as client:
        stream, signer = client.open_stream()
        now = datetime.now(UTC)
        signer.wrap(configuration(), now)  # signed but never sent: the chain moves on without the server
        client.send(stream, signer.wrap(audio(CHUNK), now))
        response = client.finish(stream)
    assert _events(response)[-1][0] == "InvalidSignatureException"


def test_audio_before_the_configuration_event_is_a_bad_request(emu: Emulator) -> None:
    with H2Client(emu.streaming.port, CREDENTIALS) as client:
        stream, signer = client.open_stream()
        client.send(stream, signer.wrap(audio(CHUNK), datetime.now(UTC)))
        response = client.finish(stream)
    kind, body = _events(response)[-1]
    assert kind == "BadRequestException"
    assert "first event of a stream must be the ConfigurationEvent" in body["Message"]


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        ({"ChannelDefinitions": [{"ChannelId": 0, "ParticipantRole": "CLINICIAN"}]}, "exactly 2 channel"),
        ({"ResourceAccessRoleArn": "not-a-role-arn-at-all-x"}, "ResourceAccessRoleArn"),
        ({"VocabularyFilterName": "missing"}, "vocabulary filter 'missing' doesn't exist"),
        ({"VocabularyFilterMethod": "blur"}, "VocabularyFilterMethod 'blur'"),
    ],
)
def test_a_bad_configuration_is_refused_with_one_line(emu: Emulator, extra: dict[str, Any], needle: str) -> None:
    with H2Client(emu.streaming.port, CREDENTIALS) as client:
        stream, signer = client.open_stream()
        client.send(stream, signer.wrap(configuration(**extra), datetime.now(UTC)))
        response = client.finish(stream)
    kind, body = _events(response)[-1]
    assert kind == "BadRequestException"
    assert needle in body["Message"] and "\n" not in body["Message"]


def test_bad_session_headers_are_a_400(emu: Emulator) -> None:
    with H2Client(emu.streaming.port, CREDENTIALS) as client:
        stream, _ = client.open_stream(headers={"x-amzn-transcribe-sample-rate": "8000"})
        response = client.finish(stream)
    assert response.status == 400
    assert "x-amzn-transcribe-sample-rate '8000'" in response.json()["Message"]


def test_a_paused_session_resumes_with_its_id_and_times_continue(emu: Emulator) -> None:
    session_id = str(uuid.uuid4())
    with H2Client(emu.streaming.port, CREDENTIALS) as client:
        now = datetime.now(UTC)
        first, signer = client.open_stream(session_id=session_id)
        client.send(first, signer.wrap(configuration(), now))
        for _ in range(10):
            client.send(first, signer.wrap(audio(CHUNK), now))
        client.send(first, signer.wrap(b"", now), end=True)
        part_one = [body["TranscriptSegment"] for _, body in _events(client.finish(first))]
        paused = client.get(f"/medical-scribe-stream/{session_id}").json()["MedicalScribeStreamDetails"]
        assert paused["StreamStatus"] == "PAUSED"
        assert "PostStreamAnalyticsResult" not in paused

        second, signer = client.open_stream(session_id=session_id)
        client.send(second, signer.wrap(audio(CHUNK), now))
        refused = _events(client.finish(second))[-1]
        assert refused[0] == "BadRequestException"  # configuration first again, also on resume

        third, signer = client.open_stream(session_id=session_id)
        client.send(third, signer.wrap(configuration(), now))
        for _ in range(10):
            client.send(third, signer.wrap(audio(CHUNK), now))
        client.send(third, signer.wrap(END_OF_SESSION, now))
        client.send(third, signer.wrap(b"", now), end=True)
        part_two = [body["TranscriptSegment"] for _, body in _events(client.finish(third))]
        emu.wait_analytics()
        done = client.get(f"/medical-scribe-stream/{session_id}").json()["MedicalScribeStreamDetails"]
    first_final = [s for s in part_one if not s["IsPartial"]][-1]
    second_final = [s for s in part_two if not s["IsPartial"]][-1]
    assert first_final["EndAudioTime"] <= 1.0
    assert second_final["BeginAudioTime"] >= 1.0  # the resumed stream continues the session's clock
    assert done["StreamStatus"] == "COMPLETED"
    assert done["PostStreamAnalyticsResult"]["ClinicalNoteGenerationResult"]["Status"] == "COMPLETED"
    prefix = f"healthscribe-streaming/{session_id}/post-stream-analytics/clinical-notes"
    transcript = json.loads(emu.s3.objects[("scribe-out", f"{prefix}/transcript.json")])["Conversation"]
    assert [s["SegmentId"] for s in transcript["TranscriptSegments"]] == [
        first_final["SegmentId"],
        second_final["SegmentId"],
    ]


def test_a_session_already_streaming_is_a_conflict_and_an_ended_one_cannot_resume(emu: Emulator) -> None:
    session_id = str(uuid.uuid4())
    with H2Client(emu.streaming.port, CREDENTIALS) as client:
        now = datetime.now(UTC)
        first, signer = client.open_stream(session_id=session_id)
        client.send(first, signer.wrap(configuration(), now))
        client.wait(first, lambda r: r.status == 200)
        second, _ = client.open_stream(session_id=session_id)
        assert client.finish(second).status == 409
        client.send(first, signer.wrap(END_OF_SESSION, now))
        client.send(first, signer.wrap(b"", now), end=True)
        client.finish(first)
        third, _ = client.open_stream(session_id=session_id)
        ended = client.finish(third)
    assert ended.status == 400
    assert "has ended" in ended.json()["Message"]


def test_get_of_an_unknown_session_is_404_and_an_unsigned_get_403(emu: Emulator) -> None:
    with H2Client(emu.streaming.port, CREDENTIALS) as client:
        missing = client.get(f"/medical-scribe-stream/{uuid.uuid4()}")
        stream = client.conn.get_next_available_stream_id()
        client.conn.send_headers(
            stream,
            [
                (":method", "GET"),
                (":scheme", "http"),
                (":authority", client.authority),
                (":path", "/medical-scribe-stream/x"),
            ],
            end_stream=True,
        )
        client._flush()
        unsigned = client.finish(stream)
    assert missing.status == 404
    assert missing.headers["x-amzn-errortype"] == "ResourceNotFoundException"
    assert unsigned.status == 403


def test_the_vocabulary_filter_applies_to_live_segments_and_the_files(emu: Emulator) -> None:
    session_id = str(uuid.uuid4())
    with H2Client(emu.streaming.port, CREDENTIALS) as client:
        now = datetime.now(UTC)
        stream, signer = client.open_stream(session_id=session_id)
        client.send(stream, signer.wrap(configuration(VocabularyFilterName="hide-cough"), now))
        for _ in range(30):
            client.send(stream, signer.wrap(audio(CHUNK), now))
        client.send(stream, signer.wrap(END_OF_SESSION, now))
        client.send(stream, signer.wrap(b"", now), end=True)
        segments = [body["TranscriptSegment"] for _, body in _events(client.finish(stream))]
        emu.wait_analytics()
    final = segments[-1]
    assert "cough" not in final["Content"] and "***" in final["Content"]
    prefix = f"healthscribe-streaming/{session_id}/post-stream-analytics/clinical-notes"
    transcript = emu.s3.objects[("scribe-out", f"{prefix}/transcript.json")].decode()
    assert "cough" not in transcript


def test_a_request_signed_by_botocore_itself_is_accepted(emu: Emulator) -> None:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    def botocore_signer(headers: dict[str, str]) -> tuple[dict[str, str], str]:
        request = AWSRequest(
            method="POST",
            url=f"http://127.0.0.1:{emu.streaming.port}/medical-scribe-stream",
            headers={**headers, "x-amz-content-sha256": "STREAMING-AWS4-HMAC-SHA256-EVENTS"},
        )
        SigV4Auth(
            Credentials(CREDENTIALS.access_key_id, CREDENTIALS.secret_access_key), "transcribe", "us-east-1"
        ).add_auth(request)
        sent = {name.lower(): value for name, value in request.headers.items() if name.lower() != "host"}
        return sent, sent["authorization"].rpartition("Signature=")[2]

    with H2Client(emu.streaming.port, CREDENTIALS) as client:
        stream, signer = client.open_stream(signer=botocore_signer)
        client.send(stream, signer.wrap(configuration(), datetime.now(UTC)))
        client.send(stream, signer.wrap(b"", datetime.now(UTC)), end=True)
        response = client.finish(stream)
    assert response.status == 200
    assert _events(response) == []


def test_a_dropped_connection_pauses_the_session_and_keeps_only_its_finals(emu: Emulator) -> None:
    session_id = str(uuid.uuid4())
    now = datetime.now(UTC)
    with H2Client(emu.streaming.port, CREDENTIALS) as client:
        stream, signer = client.open_stream(session_id=session_id)
        client.send(stream, signer.wrap(configuration(), now))
        for _ in range(5):
            client.send(stream, signer.wrap(audio(CHUNK), now))
        client.wait(stream, lambda r: b"TranscriptEvent" in r.body)  # partials only: nothing final yet
    with H2Client(emu.streaming.port, CREDENTIALS) as client:
        details = client.wait_for_status(session_id, "PAUSED")
        assert details["StreamStatus"] == "PAUSED"
        stream, signer = client.open_stream(session_id=session_id)
        client.send(stream, signer.wrap(configuration(), now))
        for _ in range(10):
            client.send(stream, signer.wrap(audio(CHUNK), now))
        client.send(stream, signer.wrap(END_OF_SESSION, now))
        client.send(stream, signer.wrap(b"", now), end=True)
        finals = [
            b["TranscriptSegment"] for _, b in _events(client.finish(stream)) if not b["TranscriptSegment"]["IsPartial"]
        ]
        emu.wait_analytics()
    # The unfinished utterance of the dropped stream was not kept: the replayed audio is heard once.
    assert len(finals) == 1 and finals[0]["BeginAudioTime"] == 0.0
    prefix = f"healthscribe-streaming/{session_id}/post-stream-analytics/clinical-notes"
    transcript = json.loads(emu.s3.objects[("scribe-out", f"{prefix}/transcript.json")])["Conversation"]
    assert [s["SegmentId"] for s in transcript["TranscriptSegments"]] == [finals[0]["SegmentId"]]


def test_close_ends_open_http2_connections_and_their_sessions_pause(emu: Emulator) -> None:
    session_id = str(uuid.uuid4())
    with H2Client(emu.streaming.port, CREDENTIALS) as client:
        stream, signer = client.open_stream(session_id=session_id)
        client.send(stream, signer.wrap(configuration(), datetime.now(UTC)))
        client.send(stream, signer.wrap(audio(CHUNK * 5), datetime.now(UTC)))
        client.wait(stream, lambda r: b"TranscriptEvent" in r.body)  # configured and recognising
        emu.scribe.close()
        while not client.closed:
            client.pump()
    with H2Client(emu.streaming.port, CREDENTIALS) as client:
        assert client.wait_for_status(session_id, "PAUSED")["StreamStatus"] == "PAUSED"


def test_the_port_tells_a_split_http2_preface_from_a_websocket_upgrade(emu: Emulator) -> None:
    import socket

    import h2.config
    import h2.connection
    from emulator_support import presigned, stream

    raw = socket.create_connection(("127.0.0.1", emu.streaming.port), timeout=10)
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    conn.initiate_connection()
    opening = conn.data_to_send()
    for piece in (opening[:3], opening[3:20], opening[20:]):
        raw.sendall(piece)
    assert raw.recv(9)[3] == 0x4  # the server's SETTINGS frame: HTTP/2 answered
    raw.close()
    with stream(presigned(emu.streaming)) as websocket:  # and the WebSocket side still upgrades
        assert websocket.response is not None and websocket.response.status_code == 101


def test_a_stream_without_events_for_the_idle_timeout_ends_and_its_session_pauses(emu: Emulator) -> None:
    emu.scribe.idle_timeout = 0.2
    session_id = str(uuid.uuid4())
    with H2Client(emu.streaming.port, CREDENTIALS) as client:
        stream, signer = client.open_stream(session_id=session_id)
        client.send(stream, signer.wrap(configuration(), datetime.now(UTC)))
        response = client.finish(stream)  # nothing more is sent
        details = client.get(f"/medical-scribe-stream/{session_id}").json()["MedicalScribeStreamDetails"]
    kind, body = _events(response)[-1]
    assert kind == "BadRequestException"
    assert body["Message"] == "Your request timed out because no new event was received for 0.2 seconds."
    assert details["StreamStatus"] == "PAUSED"


def _end_session(emu: Emulator, session_id: str, **extra: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    with H2Client(emu.streaming.port, CREDENTIALS) as client:
        stream, signer = client.open_stream(session_id=session_id)
        client.send(stream, signer.wrap(configuration(**extra), now))
        client.send(stream, signer.wrap(audio(CHUNK * 10), now))
        client.send(stream, signer.wrap(END_OF_SESSION, now))
        client.send(stream, signer.wrap(b"", now), end=True)
        client.finish(stream)
        emu.wait_analytics()
        details: dict[str, Any] = client.get(f"/medical-scribe-stream/{session_id}").json()
    return details["MedicalScribeStreamDetails"]


def test_a_role_of_another_account_fails_the_note_but_completes_the_stream(emu: Emulator) -> None:
    details = _end_session(emu, str(uuid.uuid4()), ResourceAccessRoleArn="arn:aws:iam::999999999999:role/Other")
    result = details["PostStreamAnalyticsResult"]["ClinicalNoteGenerationResult"]
    assert details["StreamStatus"] == "COMPLETED"
    assert result["Status"] == "FAILED"
    assert "arn:aws:iam::999999999999:role/Other can't be assumed" in result["FailureReason"]
    assert emu.s3.objects == {}


def test_an_output_bucket_that_refuses_the_write_fails_the_note(emu: Emulator) -> None:
    from transcribe_medical.local.emulated_s3 import WriteRefused

    def refuse(bucket: str, key: str, data: bytes, *, kms_key_id: str | None = None) -> str:
        raise WriteRefused(f"s3://{bucket}/{key}")

    emu.s3.write = refuse  # type: ignore[method-assign]
    details = _end_session(
        emu,
        str(uuid.uuid4()),
        PostStreamAnalyticsSettings={"ClinicalNoteGenerationSettings": {"OutputBucketName": "no-such-bucket"}},
    )
    result = details["PostStreamAnalyticsResult"]["ClinicalNoteGenerationResult"]
    assert result["Status"] == "FAILED"
    assert "The output bucket no-such-bucket can't be accessed" in result["FailureReason"]
