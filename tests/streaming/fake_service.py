"""A stand-in for the Transcribe Medical streaming endpoint, written for the tests.

It speaks AWS's protocol on 127.0.0.1 with nothing from transcribe_medical inside: the SigV4
query signature is re-derived with hashlib/hmac, frames are decoded with botocore's
``EventStreamBuffer`` and encoded by a few lines of struct/zlib below. Each test scripts it:
which TranscriptEvents to send, an exception frame to answer with, or a handshake status.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import struct
import threading
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

from botocore.eventstream import EventStreamBuffer
from websockets.http11 import Request, Response
from websockets.sync.server import Server, ServerConnection, serve

#: The fake's own logger, so that tests looking at the client's log records can leave it out.
SERVER_LOGGER = "tests.fake_transcribe_streaming"
VECTORS = Path(__file__).resolve().parents[1] / "vectors"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
MEDICAL_PATH = "/medical-stream-transcription-websocket"


def wav_bytes(seconds: float, sample_rate: int = 16000, channels: int = 1) -> bytes:
    """A PCM16 WAV (sine plus noise) with a hand-written header."""
    import math
    import random

    rng = random.Random(1234)
    frames = int(seconds * sample_rate)
    samples = bytearray()
    for i in range(frames):
        value = int(8000 * math.sin(2 * math.pi * 440 * i / sample_rate)) + rng.randint(-500, 500)
        samples += struct.pack("<h", value) * channels
    data = bytes(samples)
    header = b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVE"
    header += b"fmt " + struct.pack(
        "<IHHIIHH", 16, 1, channels, sample_rate, sample_rate * channels * 2, channels * 2, 16
    )
    return header + b"data" + struct.pack("<I", len(data)) + data


def load_sequence(name: str) -> dict[str, Any]:
    """One sequence of ``tests/vectors/transcript_events.json``."""
    data = json.loads((VECTORS / "transcript_events.json").read_text())
    for sequence in data["sequences"]:
        if sequence["name"] == name:
            return dict(sequence)
    raise KeyError(name)


def encode_frame(headers: dict[str, str], payload: bytes = b"") -> bytes:
    """An event-stream message with string headers (type 7), written independently of the SDK."""
    block = b"".join(
        bytes([len(name.encode())]) + name.encode() + b"\x07" + struct.pack(">H", len(value.encode())) + value.encode()
        for name, value in headers.items()
    )
    prelude = struct.pack(">II", 16 + len(block) + len(payload), len(block))
    prelude += struct.pack(">I", zlib.crc32(prelude))
    body = prelude + block + payload
    return body + struct.pack(">I", zlib.crc32(body))


def transcript_event_frame(payload: dict[str, Any] | bytes) -> bytes:
    data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return encode_frame(
        {":message-type": "event", ":event-type": "TranscriptEvent", ":content-type": "application/json"}, data
    )


def exception_frame(exception_type: str, message: str = "scripted failure") -> bytes:
    return encode_frame(
        {":message-type": "exception", ":exception-type": exception_type, ":content-type": "application/json"},
        json.dumps({"Message": message}).encode(),
    )


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def _encode(text: str) -> str:
    return quote(text, safe="-_.~")


def verify_presigned(path: str, host: str, secrets: dict[str, str], now: datetime) -> str | None:
    """Check a SigV4 query signature from scratch. Returns the reason it is refused, or None."""
    parts = urlsplit(path)
    params = dict(parse_qsl(parts.query, keep_blank_values=True))
    try:
        signature = params.pop("X-Amz-Signature")
        credential = params["X-Amz-Credential"]
        amz_date = params["X-Amz-Date"]
        expires = int(params["X-Amz-Expires"])
    except (KeyError, ValueError):
        return "missing SigV4 parameters"
    if params.get("X-Amz-Algorithm") != "AWS4-HMAC-SHA256" or params.get("X-Amz-SignedHeaders") != "host":
        return "bad algorithm or signed headers"
    access_key, date, region, service, terminator = credential.split("/")
    if service != "transcribe" or terminator != "aws4_request" or access_key not in secrets:
        return "bad credential scope"
    if not 1 <= expires <= 300:
        return "X-Amz-Expires out of range"
    signed_at = datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    if not signed_at - timedelta(minutes=5) <= now <= signed_at + timedelta(seconds=expires):
        return "expired or clock skew"
    canonical_query = "&".join(f"{k}={v}" for k, v in sorted((_encode(k), _encode(v)) for k, v in params.items()))
    canonical_request = "\n".join(["GET", parts.path, canonical_query, f"host:{host}", "", "host", EMPTY_SHA256])
    scope = f"{date}/{region}/{service}/aws4_request"
    string_to_sign = "\n".join(
        ["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical_request.encode()).hexdigest()]
    )
    key = _hmac(f"AWS4{secrets[access_key]}".encode(), date)
    for piece in (region, service, "aws4_request"):
        key = _hmac(key, piece)
    expected = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature):
        return "signature mismatch"
    return None


@dataclass
class Received:
    """What one connection sent."""

    query: dict[str, str] = field(default_factory=dict)
    host: str = ""
    ws_message_sizes: list[int] = field(default_factory=list)
    messages_per_ws_message: list[int] = field(default_factory=list)
    headers: list[dict[str, Any]] = field(default_factory=list)
    audio: list[bytes] = field(default_factory=list)
    got_end: bool = False
    text_messages: int = 0

    @property
    def audio_bytes(self) -> bytes:
        return b"".join(self.audio)


class FakeTranscribeStreaming:
    """The scripted service. Set the attributes, then point a client at :attr:`url`.

    Attributes:
        events: TranscriptEvent payloads (dicts or raw bytes) sent in order: one after each audio
            frame received, the rest after the end-of-stream frame.
        exception: An ``:exception-type`` to send after ``exception_after`` audio frames, then close.
        handshake_status: Answer the upgrade with this HTTP status instead of 101.
        handshake_statuses: Statuses for the next upgrades, one each, before normal service.
        handshake_body: Body of that answer.
        raw_frames: Bytes sent as they are after the first audio frame (corrupt data tests).
        secrets: access key -> secret key accepted by the signature check.
    """

    def __init__(self, secrets: dict[str, str]) -> None:
        self.secrets = dict(secrets)
        self.events: list[dict[str, Any] | bytes] = []
        self.exception: str | None = None
        self.exception_after = 1
        self.handshake_status: int | None = None
        self.handshake_statuses: list[int] = []
        self.handshake_body = ""
        self.raw_frames: list[bytes] = []
        self.close_code_after_end = 1000
        self.connections: list[Received] = []
        self.refusals: list[str] = []
        self.done = threading.Event()
        self._server: Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.socket.getsockname()[1])

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    @property
    def last(self) -> Received:
        return self.connections[-1]

    def start(self) -> FakeTranscribeStreaming:
        self._server = serve(
            self._handle,
            "127.0.0.1",
            0,
            process_request=self._process_request,
            compression=None,
            max_size=2**20,
            # Never pause reading: a handler that has returned no longer drains its queue.
            max_queue=None,
            logger=logging.getLogger(SERVER_LOGGER),
        )
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
        if self._thread is not None:
            self._thread.join()

    def _process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        received = Received(host=request.headers.get("Host", ""))
        received.query = dict(parse_qsl(urlsplit(request.path).query, keep_blank_values=True))
        self.connections.append(received)
        status = self.handshake_statuses.pop(0) if self.handshake_statuses else self.handshake_status
        if status is not None:
            return connection.respond(status, self.handshake_body)
        if urlsplit(request.path).path != MEDICAL_PATH:
            return connection.respond(404, "not found")
        reason = verify_presigned(request.path, received.host, self.secrets, datetime.now(UTC))
        if reason is not None:
            self.refusals.append(reason)
            return connection.respond(403, "<AccessDeniedException/>")
        return None

    def _handle(self, websocket: ServerConnection) -> None:
        received = self.connections[-1]
        buffer = EventStreamBuffer()
        pending = list(self.events)
        audio_frames = 0
        try:
            for data in websocket:
                if isinstance(data, str):
                    received.text_messages += 1
                    continue
                received.ws_message_sizes.append(len(data))
                buffer.add_data(data)
                messages = list(buffer)
                received.messages_per_ws_message.append(len(messages))
                for message in messages:
                    received.headers.append(dict(message.headers))
                    if not message.payload:
                        received.got_end = True
                        for payload in pending:
                            websocket.send(transcript_event_frame(payload))
                        websocket.close(self.close_code_after_end)
                        return
                    received.audio.append(message.payload)
                    audio_frames += 1
                    if audio_frames == 1:
                        for frame in self.raw_frames:
                            websocket.send(frame)
                    if self.exception is not None and audio_frames >= self.exception_after:
                        websocket.send(exception_frame(self.exception))
                        websocket.close(1000)
                        return
                    if pending:
                        websocket.send(transcript_event_frame(pending.pop(0)))
        finally:
            self.done.set()
