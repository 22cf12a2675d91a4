"""A small HTTP/2 client for the emulator's HealthScribe streaming tests, independent of the SDK's.

It signs with :mod:`hmac`/:mod:`hashlib` written here (not the SDK's signer), frames with the
project's event-stream codec and speaks HTTP/2 through ``h2``'s client state machine over a
blocking socket.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import h2.config
import h2.connection
import h2.events

from transcribe_medical.eventstream import EventStreamDecoder, Message, Timestamp, encode_message
from transcribe_medical.eventstream._headers import encode_headers
from transcribe_medical.local import EmulatorCredentials

STREAMING_HASH = "STREAMING-AWS4-HMAC-SHA256-EVENTS"


def _key(secret: str, date_stamp: str, region: str, service: str) -> bytes:
    key = hmac.new(f"AWS4{secret}".encode(), date_stamp.encode(), hashlib.sha256).digest()
    for part in (region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def sign_headers(
    method: str,
    path: str,
    authority: str,
    headers: dict[str, str],
    credentials: EmulatorCredentials,
    region: str,
    when: datetime,
    payload_hash: str,
) -> tuple[dict[str, str], str]:
    """SigV4 header signing; returns the headers to send and the signature (hex)."""
    amz_date = f"{when:%Y%m%dT%H%M%SZ}"
    signed = {**{k.lower(): v for k, v in headers.items()}, "host": authority, "x-amz-date": amz_date}
    signed["x-amz-content-sha256"] = payload_hash
    names = sorted(signed)
    canonical = "\n".join(
        (
            method,
            path,
            "",
            "".join(f"{name}:{signed[name].strip()}\n" for name in names),
            ";".join(names),
            payload_hash,
        )
    )
    scope = f"{amz_date[:8]}/{region}/transcribe/aws4_request"
    to_sign = "\n".join(("AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()))
    signature = hmac.new(
        _key(credentials.secret_access_key, amz_date[:8], region, "transcribe"), to_sign.encode(), hashlib.sha256
    ).hexdigest()
    out = {name: value for name, value in signed.items() if name != "host"}
    out["authorization"] = (
        f"AWS4-HMAC-SHA256 Credential={credentials.access_key_id}/{scope}, "
        f"SignedHeaders={';'.join(names)}, Signature={signature}"
    )
    return out, signature


class EventSigner:
    """Chained event signatures (reference healthscribe.md §4), written independently for the tests."""

    def __init__(self, credentials: EmulatorCredentials, region: str, seed: str) -> None:
        self.credentials = credentials
        self.region = region
        self.prior = seed

    def wrap(self, inner: bytes, when: datetime, *, tamper: bool = False) -> bytes:
        """The outer message around ``inner`` (``b""``: the end frame)."""
        when = when.replace(microsecond=0)
        date = Timestamp(int(when.timestamp() * 1000))
        date_header = encode_headers({":date": date})
        scope = f"{when:%Y%m%d}/{self.region}/transcribe/aws4_request"
        to_sign = "\n".join(
            (
                "AWS4-HMAC-SHA256-PAYLOAD",
                f"{when:%Y%m%dT%H%M%SZ}",
                scope,
                self.prior,
                hashlib.sha256(date_header).hexdigest(),
                hashlib.sha256(inner).hexdigest(),
            )
        )
        key = _key(self.credentials.secret_access_key, f"{when:%Y%m%d}", self.region, "transcribe")
        signature = hmac.new(key, to_sign.encode(), hashlib.sha256).digest()
        self.prior = signature.hex()
        if tamper:
            signature = bytes([signature[0] ^ 1]) + signature[1:]
        return encode_message({":chunk-signature": signature, ":date": date}, inner)


def event(kind: str, payload: bytes, content_type: str = "application/json") -> bytes:
    """An inner input event."""
    return encode_message({":message-type": "event", ":event-type": kind, ":content-type": content_type}, payload)


def configuration(bucket: str = "scribe-out", **extra: Any) -> bytes:
    """A ConfigurationEvent."""
    body: dict[str, Any] = {
        "ResourceAccessRoleArn": "arn:aws:iam::123456789012:role/HealthScribeAccess",
        "PostStreamAnalyticsSettings": {"ClinicalNoteGenerationSettings": {"OutputBucketName": bucket}},
        **extra,
    }
    return event("ConfigurationEvent", json.dumps(body).encode())


def audio(chunk: bytes) -> bytes:
    """An AudioEvent."""
    return event("AudioEvent", chunk, "application/octet-stream")


END_OF_SESSION = event("SessionControlEvent", b'{"Type": "END_OF_SESSION"}')


@dataclass
class Response:
    """What one stream received."""

    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    body: bytearray = field(default_factory=bytearray)
    ended: bool = False
    reset: bool = False

    def json(self) -> Any:
        return json.loads(bytes(self.body))

    def messages(self) -> list[Message]:
        return EventStreamDecoder().feed(bytes(self.body))


class H2Client:
    """One cleartext HTTP/2 connection (prior knowledge) to the emulator's streaming port."""

    def __init__(self, port: int, credentials: EmulatorCredentials, region: str = "us-east-1") -> None:
        self.authority = f"127.0.0.1:{port}"
        self.credentials = credentials
        self.region = region
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
        self.conn.initiate_connection()
        self.responses: dict[int, Response] = {}
        self.closed = False
        self._flush()

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> H2Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _flush(self) -> None:
        data = self.conn.data_to_send()
        if data:
            self.sock.sendall(data)

    def pump(self) -> None:
        """Read once from the socket and record what it brings."""
        try:
            data = self.sock.recv(65536)
        except ConnectionResetError:
            data = b""
        if not data:
            self.closed = True
            return
        for ev in self.conn.receive_data(data):
            response = self.responses.setdefault(getattr(ev, "stream_id", 0) or 0, Response())
            if isinstance(ev, h2.events.ResponseReceived):
                response.headers = dict(ev.headers)
                response.status = int(response.headers[":status"])
            elif isinstance(ev, h2.events.DataReceived):
                response.body += ev.data
                self.conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
            elif isinstance(ev, h2.events.StreamEnded):
                response.ended = True
            elif isinstance(ev, h2.events.StreamReset):
                response.reset = True
                response.ended = True
        self._flush()

    def wait(self, stream_id: int, condition: Any) -> Response:
        response = self.responses.setdefault(stream_id, Response())
        while not condition(response):
            if self.closed:
                raise ConnectionError("the emulator closed the connection")
            self.pump()
        return response

    def finish(self, stream_id: int) -> Response:
        return self.wait(stream_id, lambda r: r.ended)

    def open_stream(
        self,
        *,
        session_id: str | None = None,
        when: datetime | None = None,
        credentials: EmulatorCredentials | None = None,
        headers: dict[str, str] | None = None,
        signer: Callable[[dict[str, str]], tuple[dict[str, str], str]] | None = None,
    ) -> tuple[int, EventSigner]:
        """Send a signed StartMedicalScribeStream request; return its stream id and event signer."""
        when = when or datetime.now(UTC)
        base = {
            "content-type": "application/vnd.amazon.eventstream",
            "x-amzn-transcribe-language-code": "en-US",
            "x-amzn-transcribe-sample-rate": "16000",
            "x-amzn-transcribe-media-encoding": "pcm",
            "x-amzn-transcribe-session-id": session_id or str(uuid.uuid4()),
            **(headers or {}),
        }
        if signer is not None:
            signed, seed = signer(base)
        else:
            signed, seed = sign_headers(
                "POST",
                "/medical-scribe-stream",
                self.authority,
                base,
                credentials or self.credentials,
                self.region,
                when,
                STREAMING_HASH,
            )
        stream_id = self.conn.get_next_available_stream_id()
        request = [
            (":method", "POST"),
            (":scheme", "http"),
            (":authority", self.authority),
            (":path", "/medical-scribe-stream"),
            *signed.items(),
        ]
        self.conn.send_headers(stream_id, request)
        self._flush()
        return stream_id, EventSigner(self.credentials, self.region, seed)

    def send(self, stream_id: int, data: bytes, *, end: bool = False) -> None:
        """Send body bytes, waiting for the peer's flow-control window."""
        view = memoryview(data)
        while view:
            window = min(self.conn.local_flow_control_window(stream_id), self.conn.max_outbound_frame_size)
            if window <= 0:
                self.pump()
                continue
            self.conn.send_data(stream_id, bytes(view[:window]))
            view = view[window:]
            self._flush()
        if end:
            self.conn.end_stream(stream_id)
            self._flush()

    def get(self, path: str, *, when: datetime | None = None) -> Response:
        """A signed GET (GetMedicalScribeStream)."""
        signed, _ = sign_headers(
            "GET",
            path,
            self.authority,
            {},
            self.credentials,
            self.region,
            when or datetime.now(UTC),
            hashlib.sha256(b"").hexdigest(),
        )
        stream_id = self.conn.get_next_available_stream_id()
        request = [(":method", "GET"), (":scheme", "http"), (":authority", self.authority), (":path", path)]
        self.conn.send_headers(stream_id, [*request, *signed.items()], end_stream=True)
        self._flush()
        return self.finish(stream_id)

    def wait_for_status(self, session_id: str, status: str, attempts: int = 2000) -> dict[str, Any]:
        """GetMedicalScribeStream until the session has ``status`` (each call is a round trip, no sleeping)."""
        details: dict[str, Any] = {}
        for _ in range(attempts):
            response = self.get(f"/medical-scribe-stream/{session_id}")
            if response.status == 200:
                details = response.json()["MedicalScribeStreamDetails"]
                if details["StreamStatus"] == status:
                    return details
        raise AssertionError(f"the session never became {status}: {details.get('StreamStatus')}")
