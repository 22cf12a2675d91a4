"""A HealthScribe streaming peer for tests: an h2 server on loopback that checks every signature.

It verifies the request's SigV4 signature and each event's chained signature with hashlib/hmac
written here (independent of the library), answers 403 on a bad request signature and a
BadRequestException event on a bad event signature, and answers each pair of AudioEvents with
one final TranscriptEvent segment covering them. Like the service (as the emulator models it), a
dropped connection keeps only the audio covered by finals; a clean end keeps it all. A small
initial window makes the client wait for WINDOW_UPDATEs.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import socket
import ssl
import struct
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import h2.config
import h2.connection
import h2.events
import h2.settings

from transcribe_medical.eventstream import EventStreamDecoder, Message, encode_message

STREAMING = "STREAMING-AWS4-HMAC-SHA256-EVENTS"


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def _key(secret: str, day: str, region: str) -> bytes:
    key = _hmac(f"AWS4{secret}".encode(), day)
    for part in (region, "transcribe", "aws4_request"):
        key = _hmac(key, part)
    return key


def request_signature(method: str, path: str, headers: dict[str, str], secret: str, payload_hash: str) -> str | None:
    """The expected request signature, recomputed from the received headers (None: unparsable)."""
    auth = headers.get("authorization", "")
    try:
        scope = auth.split("Credential=")[1].split(",")[0].split("/", 1)[1]
        names = auth.split("SignedHeaders=")[1].split(",")[0].split(";")
    except IndexError:
        return None
    values = dict(headers)
    values["host"] = headers[":authority"]
    canonical = "\n".join(
        [method, path, "", "".join(f"{n}:{values[n].strip()}\n" for n in names), ";".join(names), payload_hash]
    )
    day, region = scope.split("/")[0], scope.split("/")[1]
    text = "\n".join(["AWS4-HMAC-SHA256", headers["x-amz-date"], scope, hashlib.sha256(canonical.encode()).hexdigest()])
    return _hmac(_key(secret, day, region), text).hex()


def event_signature(secret: str, region: str, prior: str, outer: Message) -> bytes:
    """The expected :chunk-signature of a received outer message."""
    millis = int(outer.headers[":date"])
    when = datetime.fromtimestamp(millis / 1000, UTC)
    date_header = bytes([5]) + b":date" + bytes([8]) + struct.pack(">q", millis)
    text = "\n".join(
        [
            "AWS4-HMAC-SHA256-PAYLOAD",
            when.strftime("%Y%m%dT%H%M%SZ"),
            f"{when:%Y%m%d}/{region}/transcribe/aws4_request",
            prior,
            hashlib.sha256(date_header).hexdigest(),
            hashlib.sha256(outer.payload).hexdigest(),
        ]
    )
    return _hmac(_key(secret, f"{when:%Y%m%d}", region), text)


@dataclass
class Seen:
    """What the server received, for assertions."""

    requests: list[dict[str, str]] = field(default_factory=list)
    events: list[tuple[str, bytes]] = field(default_factory=list)
    end_frames: int = 0
    bad_signatures: int = 0
    window_updates_sent: int = 0
    connections: int = 0
    descriptions: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: Per session: the audio the "service" kept (covered by finals, or all of a clean pause).
    kept_audio: dict[str, bytearray] = field(default_factory=dict)


class ScribeH2Server:
    """A threaded loopback server; one connection at a time, each served to its end."""

    def __init__(
        self, secret: str, *, region: str = "us-east-1", window: int = 4096, tls: ssl.SSLContext | None = None
    ) -> None:
        self.secret = secret
        self.tls = tls
        self.region = region
        self.window = window
        self.seen = Seen()
        self.drop_after_audio: int | None = None
        self.refuse_after_audio: int | None = None
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen()
        self.port = self._sock.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    def close(self) -> None:
        self._sock.close()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            with contextlib.suppress(OSError):
                if self.tls is not None:
                    conn = self.tls.wrap_socket(conn, server_side=True)
                with conn:
                    _Connection(self, conn).run()


class _Connection:
    def __init__(self, server: ScribeH2Server, sock: socket.socket) -> None:
        self.server = server
        self.sock = sock
        self.h2 = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False, header_encoding="utf-8"))
        self.decoder = EventStreamDecoder()
        self.prior = ""
        self.stream_id = 0
        self.audio = 0
        self.pending = bytearray()  # audio of this connection not yet covered by a final
        self.done = False
        self.configured = False

    def flush(self) -> None:
        data = self.h2.data_to_send()
        if data:
            self.sock.sendall(data)

    def run(self) -> None:
        self.h2.initiate_connection()
        self.h2.update_settings({h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: self.server.window})
        self.flush()
        while not self.done:
            data = self.sock.recv(65536)
            if not data:
                return
            for event in self.h2.receive_data(data):
                self.handle(event)
            self.flush()
        # Close gracefully (GOAWAY, then read to EOF) so the client reads the whole response
        # before the socket goes: a hard close with unread data would be a reset.
        self.h2.close_connection()
        self.flush()
        self.sock.shutdown(socket.SHUT_WR)
        self.sock.settimeout(5)
        while self.sock.recv(65536):
            pass

    def handle(self, event: Any) -> None:
        if isinstance(event, h2.events.RequestReceived):
            self.request(event.stream_id, dict(event.headers))
        elif isinstance(event, h2.events.DataReceived):
            # Acknowledge in small steps so the client sees several WINDOW_UPDATEs.
            self.h2.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
            self.server.seen.window_updates_sent += 1
            for outer in self.decoder.feed(event.data):
                self.event(outer)
        elif isinstance(event, h2.events.StreamEnded):
            # A clean end (pause or END_OF_SESSION): all the audio is kept.
            if self.configured:
                self.server.seen.kept_audio[self.session_id] += self.pending
                self.pending.clear()
            if not self.done:
                self.h2.send_data(self.stream_id, b"", end_stream=True)
                self.done = True
        elif isinstance(event, h2.events.ConnectionTerminated):
            self.done = True

    def respond(self, status: int, body: bytes = b"", *, end: bool = True) -> None:
        self.h2.send_headers(self.stream_id, [(":status", str(status)), ("content-type", "application/json")])
        if end:
            self.h2.send_data(self.stream_id, body, end_stream=True)
            self.done = True

    def request(self, stream_id: int, headers: dict[str, str]) -> None:
        self.stream_id = stream_id
        self.server.seen.requests.append(headers)
        method, path = headers[":method"], headers[":path"]
        payload_hash = STREAMING if method == "POST" else hashlib.sha256(b"").hexdigest()
        if method == "POST" and headers.get("x-amz-content-sha256") != STREAMING:
            self.respond(400, b'{"message": "x-amz-content-sha256 must be STREAMING-AWS4-HMAC-SHA256-EVENTS"}')
            return
        expected = request_signature(method, path, headers, self.server.secret, payload_hash)
        given = headers.get("authorization", "").rpartition("Signature=")[2]
        if expected is None or not hmac.compare_digest(expected, given):
            self.respond(
                403, b'{"message": "The request signature we calculated does not match the signature you provided."}'
            )
            return
        if method == "GET":
            session_id = path.rsplit("/", 1)[1]
            found = self.server.seen.descriptions.get(session_id)
            if found is None:
                self.h2.send_headers(stream_id, [(":status", "404"), ("x-amzn-errortype", "ResourceNotFoundException")])
                self.h2.send_data(stream_id, b'{"Message": "no such session"}', end_stream=True)
                self.done = True
                return
            self.respond(200, json.dumps({"MedicalScribeStreamDetails": found}).encode())
            return
        self.prior = given
        self.session_id = headers["x-amzn-transcribe-session-id"]
        self.server.seen.connections += 1
        self.server.seen.kept_audio.setdefault(self.session_id, bytearray())
        self.respond(200, end=False)

    def event(self, outer: Message) -> None:
        expected = event_signature(self.server.secret, self.server.region, self.prior, outer)
        if not hmac.compare_digest(expected, outer.headers[":chunk-signature"]):
            self.server.seen.bad_signatures += 1
            self.exception("BadRequestException", "invalid event signature")
            return
        self.prior = expected.hex()
        if not outer.payload:
            self.server.seen.end_frames += 1
            return
        [inner] = EventStreamDecoder().feed(outer.payload)
        kind = str(inner.headers[":event-type"])
        self.server.seen.events.append((kind, inner.payload))
        if kind == "ConfigurationEvent":
            self.configured = True
        elif not self.configured:
            self.exception("BadRequestException", "the first event must be the ConfigurationEvent")
            return
        if kind == "AudioEvent":
            self.audio += 1
            self.pending += inner.payload
            if self.audio % 2 == 0:
                self.segment()
            if self.server.refuse_after_audio is not None and self.audio >= self.server.refuse_after_audio:
                self.exception("LimitExceededException", "too many sessions")
                return
            if self.server.drop_after_audio is not None and self.audio >= self.server.drop_after_audio:
                self.server.drop_after_audio = None
                self.sock.shutdown(socket.SHUT_RDWR)
                self.done = True
        elif kind == "SessionControlEvent":
            self.server.seen.descriptions[self.session_id] = {
                "SessionId": self.session_id,
                "StreamStatus": "COMPLETED",
                "PostStreamAnalyticsResult": {"ClinicalNoteGenerationResult": {"Status": "IN_PROGRESS"}},
            }

    def exception(self, kind: str, message: str) -> None:
        body = json.dumps({"Message": message}).encode()
        headers = {":message-type": "exception", ":exception-type": kind}
        self.h2.send_data(self.stream_id, encode_message(headers, body), end_stream=True)
        self.done = True

    def segment(self) -> None:
        """A final covering this connection's pending audio, in session time (16 kHz mono)."""
        kept = self.server.seen.kept_audio[self.session_id]
        begin, end = len(kept) / 32000, (len(kept) + len(self.pending)) / 32000
        kept += self.pending
        self.pending.clear()
        index = round(begin / 0.2)
        body = {
            "TranscriptSegment": {
                "SegmentId": f"{self.session_id[:8]}-{len(kept):08d}",
                "BeginAudioTime": begin,
                "EndAudioTime": end,
                "Content": f"word{index}",
                "Items": [
                    {
                        "BeginAudioTime": begin,
                        "EndAudioTime": end,
                        "Type": "PRONUNCIATION",
                        "Content": f"word{index}",
                        "Confidence": 0.9,
                    }
                ],
                "IsPartial": False,
                "ChannelId": f"ch_{index % 2}",
            }
        }
        headers = {":message-type": "event", ":event-type": "TranscriptEvent", ":content-type": "application/json"}
        self.h2.send_data(self.stream_id, encode_message(headers, json.dumps(body).encode()))
