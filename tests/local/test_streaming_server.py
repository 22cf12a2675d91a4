"""The emulator's streaming endpoint, driven by a raw WebSocket client (no SDK client in between)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from local.emulator_support import (
    CHUNK,
    CREDENTIALS,
    QUERY,
    audio,
    exception_of,
    presigned,
    receive_all,
    results_of,
    server,
    stream,
)
from transcribe_medical.eventstream import encode_message
from transcribe_medical.local import EmulatorCredentials, FaultPlan, StreamingServer


@pytest.fixture
def emulator() -> Iterator[StreamingServer]:
    with server() as running:
        yield running


def _dictate(url: str, chunks: int = 20) -> list:  # type: ignore[type-arg]
    with stream(url) as ws:
        for _ in range(chunks):
            ws.send(audio(CHUNK))
        ws.send(audio(b""))
        messages = receive_all(ws)
        assert ws.close_code == 1000
    return messages


# ---------------------------------------------------------------- handshake and signature


def test_a_good_presign_is_upgraded_and_answered_with_aws_headers(emulator: StreamingServer) -> None:
    with stream(presigned(emulator, {**QUERY, "session-id": "8c2bd5a3-0e3d-4c9e-9d3b-2f1c7a6e5b40"})) as ws:
        headers = ws.response.headers
        assert headers["x-amzn-transcribe-session-id"] == "8c2bd5a3-0e3d-4c9e-9d3b-2f1c7a6e5b40"
        assert headers["x-amzn-transcribe-specialty"] == "PRIMARYCARE"
        assert headers["x-amzn-request-id"]


def _status_of(url: str) -> tuple[int, dict[str, str]]:
    with pytest.raises(InvalidStatus) as caught, connect(url, open_timeout=10):
        pass
    response = caught.value.response
    return response.status_code, json.loads(response.body or b"{}")


def test_bad_signature_is_refused_with_403_before_upgrading(emulator: StreamingServer) -> None:
    url = presigned(emulator)
    signature = url.rsplit("X-Amz-Signature=", 1)[1][:64]
    flipped = ("0" if signature[0] != "0" else "1") + signature[1:]
    status, body = _status_of(url.replace(signature, flipped))
    assert status == 403
    assert "signature we calculated does not match" in body["Message"]


def test_wrong_secret_wrong_host_and_wrong_key_get_403(emulator: StreamingServer) -> None:
    wrong_secret = EmulatorCredentials(CREDENTIALS.access_key_id, "not-the-secret")
    assert _status_of(presigned(emulator, credentials=wrong_secret))[0] == 403
    assert _status_of(presigned(emulator, credentials=EmulatorCredentials("AKIDSOMEONEELSE00000", "x")))[0] == 403
    # Signed for another port than the one connected to: the Host header (port included) differs.
    other_port = emulator.endpoint.rsplit(":", 1)[0] + ":8443"
    url = presigned(emulator, endpoint=other_port).replace(":8443/", f":{emulator.port}/")
    assert _status_of(url)[0] == 403


def test_expired_and_future_urls_get_403() -> None:
    now = datetime(2026, 11, 22, 12, 0, 0, tzinfo=UTC)
    with server(clock=lambda: now) as emulator:
        assert _status_of(presigned(emulator, now=now - timedelta(seconds=301)))[0] == 403
        assert _status_of(presigned(emulator, now=now + timedelta(minutes=6)))[0] == 403
        with stream(presigned(emulator, now=now - timedelta(seconds=299))):
            pass


def test_expires_over_300_gets_403(emulator: StreamingServer) -> None:
    from botocore.auth import SigV4QueryAuth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    request = AWSRequest(
        method="GET", url=f"http://127.0.0.1:{emulator.port}/medical-stream-transcription-websocket", params=QUERY
    )
    SigV4QueryAuth(
        Credentials(CREDENTIALS.access_key_id, CREDENTIALS.secret_access_key), "transcribe", "us-east-1", expires=301
    ).add_auth(request)
    status, body = _status_of(request.prepare().url.replace("http://", "ws://"))
    assert status == 403 and "X-Amz-Expires" in body["Message"]


def test_a_url_presigned_by_botocore_itself_is_accepted(emulator: StreamingServer) -> None:
    from botocore.auth import SigV4QueryAuth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    request = AWSRequest(
        method="GET",
        url=f"http://127.0.0.1:{emulator.port}/medical-stream-transcription-websocket",
        params={**QUERY, "show-speaker-label": "true"},
    )
    SigV4QueryAuth(
        Credentials(CREDENTIALS.access_key_id, CREDENTIALS.secret_access_key), "transcribe", "us-east-1", expires=300
    ).add_auth(request)
    results = results_of(_dictate(request.prepare().url.replace("http://", "ws://"), chunks=5))
    assert results and not results[-1]["IsPartial"]


def test_wrong_path_is_404(emulator: StreamingServer) -> None:
    url = presigned(emulator).replace("/medical-stream-transcription-websocket", "/stream-transcription-websocket")
    assert _status_of(url)[0] == 404


# ---------------------------------------------------------------- parameters and frames


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"sample-rate": "8000"}, "greater than or equal to 16000"),
        ({"specialty": "DERMATOLOGY"}, "'DERMATOLOGY' at 'specialty'"),
        ({"language-code": "en-GB"}, "'en-GB' at 'languageCode'"),
        ({"content-identification-type": "PII"}, "contentIdentificationType"),
    ],
)
def test_invalid_parameters_get_a_bad_request_frame_then_a_normal_close(
    emulator: StreamingServer, change: dict[str, str], expected: str
) -> None:
    with stream(presigned(emulator, {**QUERY, **change})) as ws:
        messages = receive_all(ws)
        assert ws.close_code == 1000
    code, message = exception_of(messages)
    assert code == "BadRequestException" and expected in message


def test_unknown_vocabulary_is_a_bad_request() -> None:
    with server(vocabulary_exists=lambda name: name == "known") as emulator:
        with stream(presigned(emulator, {**QUERY, "vocabulary-name": "unknown"})) as ws:
            assert exception_of(receive_all(ws)) == (
                "BadRequestException",
                "The requested vocabulary couldn't be found. Check the vocabulary name and try your request again.",
            )
        with stream(presigned(emulator, {**QUERY, "vocabulary-name": "known"})) as ws:
            ws.send(audio(b""))
            assert receive_all(ws) == []


def test_payload_over_32768_bytes_is_refused(emulator: StreamingServer) -> None:
    with stream(presigned(emulator)) as ws:
        ws.send(audio(bytes(32768)))
        ws.send(
            encode_message(
                {":message-type": "event", ":event-type": "AudioEvent", ":content-type": "application/octet-stream"},
                bytes(32770),
            )
        )
        code, message = exception_of(receive_all(ws))
    assert code == "BadRequestException" and "32770 bytes; the maximum is 32768" in message


@pytest.mark.parametrize(
    ("frame", "expected"),
    [
        (audio(CHUNK)[:-1] + bytes([audio(CHUNK)[-1] ^ 0xFF]), "Could not decode"),
        (audio(CHUNK)[:40], "Could not decode"),
        (audio(CHUNK) + audio(CHUNK), "exactly one event-stream message, not 2"),
        (encode_message({":message-type": "event", ":event-type": "Ping"}, b""), "only AudioEvent"),
    ],
    ids=["bad-crc", "truncated", "two-messages", "wrong-event"],
)
def test_malformed_frames_get_bad_request_and_close(emulator: StreamingServer, frame: bytes, expected: str) -> None:
    with stream(presigned(emulator)) as ws:
        ws.send(frame)
        messages = receive_all(ws)
        assert ws.close_code == 1000
    code, message = exception_of(messages)
    assert code == "BadRequestException" and expected in message


def test_text_messages_are_refused(emulator: StreamingServer) -> None:
    with stream(presigned(emulator)) as ws:
        ws.send("hello")
        assert exception_of(receive_all(ws))[0] == "BadRequestException"


def test_idle_stream_times_out_with_the_injected_timeout() -> None:
    with server(idle_timeout=0.2) as emulator, stream(presigned(emulator)) as ws:
        ws.send(audio(CHUNK))
        code, message = exception_of(receive_all(ws))
    assert code == "BadRequestException"
    assert message == "Your request timed out because no new audio was received for 0.2 seconds."


# ---------------------------------------------------------------- results


def test_partials_grow_then_one_final_with_confidences_and_punctuation(emulator: StreamingServer) -> None:
    results = results_of(_dictate(presigned(emulator), chunks=20))
    partials = [r for r in results if r["IsPartial"]]
    finals = [r for r in results if not r["IsPartial"]]
    assert partials and len(finals) == 1
    assert {r["ResultId"] for r in results} == {finals[0]["ResultId"]}
    lengths = [len(r["Alternatives"][0]["Items"]) for r in partials]
    assert lengths == sorted(lengths)
    assert all("Confidence" not in item for r in partials for item in r["Alternatives"][0]["Items"])
    final = finals[0]["Alternatives"][0]
    words = [i for i in final["Items"] if i["Type"] == "pronunciation"]
    assert [w["Confidence"] for w in words[:2]] == [0.95, 0.6]
    assert final["Items"][-1] == {
        "StartTime": words[-1]["EndTime"],
        "EndTime": words[-1]["EndTime"],
        "Type": "punctuation",
        "Content": ".",
    }
    assert final["Transcript"].startswith("Good morning mister Alvarez")
    assert "Entities" not in final and "ChannelId" not in finals[0] and "Speaker" not in words[0]
    assert finals[0]["StartTime"] == words[0]["StartTime"] and finals[0]["EndTime"] == words[-1]["EndTime"]


def test_speaker_labels_and_phi_entities(emulator: StreamingServer) -> None:
    query = {**QUERY, "type": "CONVERSATION", "show-speaker-label": "true", "content-identification-type": "PHI"}
    results = results_of(_dictate(presigned(emulator, query)))
    for result in results:
        assert all(item["Speaker"] == "0" for item in result["Alternatives"][0]["Items"])
        assert ("Entities" in result["Alternatives"][0]) is (not result["IsPartial"])
    final = next(r for r in results if not r["IsPartial"])["Alternatives"][0]
    entities = {e["Content"]: e for e in final["Entities"]}
    assert {"mister Alvarez", "fifty two year old", "male"} <= set(entities)
    assert all(e["Category"] == "PHI" and 0 <= e["Confidence"] <= 1 for e in entities.values())


def test_channel_identification_gives_one_result_per_channel(emulator: StreamingServer) -> None:
    query = {**QUERY, "enable-channel-identification": "true", "number-of-channels": "2"}
    with stream(presigned(emulator, query)) as ws:
        for _ in range(10):
            ws.send(audio(bytes(6400)))  # 100 ms of 2-channel audio
        ws.send(audio(b""))
        results = results_of(receive_all(ws))
    finals = [r for r in results if not r["IsPartial"]]
    assert sorted(r["ChannelId"] for r in finals) == ["ch_0", "ch_1"]
    assert all(r["EndTime"] <= 1.0 for r in finals)


def test_frames_are_readable_by_botocore_s_own_decoder(emulator: StreamingServer) -> None:
    from botocore.eventstream import EventStreamBuffer

    with stream(presigned(emulator)) as ws:
        for _ in range(5):
            ws.send(audio(CHUNK))
        ws.send(audio(b""))
        buffer = EventStreamBuffer()
        try:
            while True:
                buffer.add_data(ws.recv(timeout=10))  # type: ignore[arg-type]
        except ConnectionClosed:
            pass
    messages = list(buffer)
    assert messages and all(m.headers[":event-type"] == "TranscriptEvent" for m in messages)
    assert json.loads(messages[-1].payload)["Transcript"]["Results"][0]["IsPartial"] is False


# ---------------------------------------------------------------- limits and faults


def test_the_26th_concurrent_stream_gets_limit_exceeded(emulator: StreamingServer) -> None:
    from contextlib import ExitStack

    with ExitStack() as open_streams:
        for _ in range(25):
            ws = open_streams.enter_context(stream(presigned(emulator)))
            ws.send(audio(CHUNK))
            ws.recv(timeout=10)  # the first partial: the stream is being served
        assert emulator.active_streams == 25
        with stream(presigned(emulator)) as refused:
            code, message = exception_of(receive_all(refused))
        assert code == "LimitExceededException" and "concurrent streams, 25" in message
    with stream(presigned(emulator)) as ws:  # closing them freed the slots
        ws.send(audio(b""))
        assert receive_all(ws) == []


def test_a_second_stream_with_the_same_session_id_ends_the_first(emulator: StreamingServer) -> None:
    query = {**QUERY, "session-id": "8c2bd5a3-0e3d-4c9e-9d3b-2f1c7a6e5b40"}
    with stream(presigned(emulator, query)) as first:
        first.send(audio(CHUNK))
        first.recv(timeout=10)
        with stream(presigned(emulator, query)) as second:
            assert exception_of(receive_all(first))[0] == "ConflictException"
            second.send(audio(b""))
            receive_all(second)
            assert second.close_code == 1000


def test_fault_drop_after_frames_aborts_the_connection() -> None:
    with server(faults=FaultPlan(drop_after_frames=3)) as emulator, stream(presigned(emulator)) as ws:
        for _ in range(3):
            ws.send(audio(CHUNK))
        receive_all(ws)
        assert ws.close_code is None or ws.close_code == 1006


def test_fault_drop_after_seconds_aborts_the_connection() -> None:
    with server(faults=FaultPlan(drop_after_seconds=0.05)) as emulator, stream(presigned(emulator)) as ws:
        receive_all(ws)
        assert ws.close_code in (None, 1006)


def test_fault_exception_after_frames_then_normal_behaviour_for_later_streams() -> None:
    plan = FaultPlan(exception="ServiceUnavailableException", exception_after_frames=2, streams=1)
    with server(faults=plan) as emulator:
        with stream(presigned(emulator)) as ws:
            ws.send(audio(CHUNK))
            ws.send(audio(CHUNK))
            code, _ = exception_of(receive_all(ws))
        assert code == "ServiceUnavailableException"
        assert results_of(_dictate(presigned(emulator), chunks=3))


def test_fault_stall_stops_answering(emulator: StreamingServer) -> None:
    emulator.faults = FaultPlan(stall_after_frames=1)
    with stream(presigned(emulator)) as ws:
        ws.send(audio(CHUNK))
        with pytest.raises(TimeoutError):
            ws.recv(timeout=0.3)


def test_fault_handshake_status(emulator: StreamingServer) -> None:
    emulator.faults = FaultPlan(handshake_status=503, streams=1)
    assert _status_of(presigned(emulator))[0] == 503
    with stream(presigned(emulator)):
        pass
