"""The emulator's HealthScribe streaming endpoint: HTTP/2 on ``h2``, beside the WebSocket one.

:class:`ScribeStreamServer` makes one asyncio protocol per HTTP/2 connection (cleartext, prior
knowledge: the streaming server hands it every connection that opens with the HTTP/2 preface).
Each connection may carry several streams (AWS allows one; the emulator does not insist):

* ``POST /medical-scribe-stream`` — StartMedicalScribeStream. The request's SigV4 header
  signature is verified (:mod:`~transcribe_medical.local.event_signature_verifier`) before
  anything else: a bad one is **HTTP 403** with ``x-amzn-errortype`` and a JSON ``Message``, as are
  bad headers (400) and a session already being streamed (409). Then the answer is ``200`` with
  the session headers, and every outer event's chained signature is verified: a bad one ends the
  stream with an ``InvalidSignatureException`` exception event (the message names the event
  signature; not one of the operation's modelled exceptions, so clients can tell it from a
  ``BadRequestException``). The first inner event must be the ``ConfigurationEvent``; audio
  arrives as ``AudioEvent`` (``pcm`` is recognised as it arrives; ``flac`` and ``ogg-opus`` are
  decoded when the stream ends, checked against the declared rate as AWS reads it from the
  header: :func:`~transcribe_medical.local.media_decoding.decode_stream`);
  ``SessionControlEvent`` ``END_OF_SESSION`` ends the session and starts post-stream analytics.
  The session logic is :mod:`~transcribe_medical.local.scribe_stream_sessions`.
* ``GET /medical-scribe-stream/{SessionId}`` — GetMedicalScribeStream (restJson on the streaming
  endpoint; botocore has no ``transcribe-streaming`` model): ``MedicalScribeStreamDetails`` or 404
  ``ResourceNotFoundException``. Signed like any request (the payload hash is of an empty body).

Flow control is honoured both ways: received data is acknowledged only once processed, and
events wait for the peer's window.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

from transcribe_medical import _limits
from transcribe_medical._exceptions import ProtocolError
from transcribe_medical._logging import get_logger
from transcribe_medical.eventstream import EventStreamDecoder, encode_message
from transcribe_medical.local.event_signature_verifier import EventChainVerifier, verify_header_signature
from transcribe_medical.local.media_decoding import StreamAudioRefused, decode_stream, soundfile_available
from transcribe_medical.local.scribe_stream_sessions import (
    ScribeStreamSession,
    ScribeStreamStore,
    SessionRecognition,
    StreamRefused,
    check_configuration,
    write_post_stream_outputs,
)
from transcribe_medical.local.sigv4_verifier import EmulatorCredentials, SignatureRejected

if TYPE_CHECKING:
    import concurrent.futures

    from h2.connection import H2Connection

    from transcribe_medical.local.emulated_s3 import EmulatedS3
    from transcribe_medical.local.recognizers.interface import Recognizer
    from transcribe_medical.local.vocabulary import Vocabulary

__all__ = ["PREFACE", "ScribeStreamFaults", "ScribeStreamServer"]

_log = get_logger("local.scribe_stream")

#: The HTTP/2 client connection preface (RFC 9113 §3.4).
PREFACE: Final = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
STREAM_PATH: Final = "/medical-scribe-stream"
_SESSION_ID: Final = re.compile(r"^[a-fA-F0-9]{8}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{12}$")
_ENCODINGS: Final = ("pcm", "ogg-opus", "flac")
_MAX_MESSAGE: Final = 1024 * 1024
# FLAC / Ogg-Opus audio is kept until the stream ends, then decoded whole.
_MAX_COMPRESSED: Final = 256 * 1024 * 1024
_IDLE: Final = "Your request timed out because no new event was received for {seconds:g} seconds."


@dataclass(frozen=True)
class ScribeStreamFaults:
    """Faults HealthScribe streams suffer on purpose, to test how clients resume.

    Attributes:
        drop_after_audio_events: Abort the TCP connection (no HTTP/2 goodbye) once a stream has
            received this many ``AudioEvent``\\ s (their results sent first).
        streams: Apply to this many streams, then behave normally (``None``: all).
    """

    drop_after_audio_events: int | None = None
    streams: int | None = 1


class ScribeStreamServer:
    """HealthScribe streaming, served on the emulator's streaming port (see the module notes).

    Args:
        credentials: The only credentials whose signatures are accepted.
        region: The region signatures must be scoped to.
        recognizer: Returns the emulator's recognizer.
        s3: Returns the emulated S3 (``None``: sessions end with analytics ``FAILED``).
        account_id: The emulator's account (a role of another account fails analytics).
        clock: Returns the current UTC time (signature checks, timestamps).
        filter_words: ``name`` → a vocabulary filter's entries, or ``None`` when it does not exist.
        vocabulary: ``name`` → a ready custom vocabulary, or ``None``.
        executor: Runs recognition and the output writes off the event loop.
        idle_timeout: Seconds without any event before a stream is ended with
            ``BadRequestException`` (the session pauses), as the medical WebSocket does.

    Attributes:
        sessions: Every session seen.
        faults: Faults for the next streams (see :class:`ScribeStreamFaults`); assign at any time.
    """

    def __init__(
        self,
        *,
        credentials: EmulatorCredentials,
        region: str,
        recognizer: Callable[[], Recognizer],
        s3: Callable[[], EmulatedS3 | None] | None = None,
        account_id: str = "123456789012",
        clock: Callable[[], datetime] | None = None,
        filter_words: Callable[[str], list[str] | None] | None = None,
        vocabulary: Callable[[str], Vocabulary | None] | None = None,
        executor: concurrent.futures.Executor | None = None,
        idle_timeout: float = _limits.STREAM_IDLE_TIMEOUT_S,
    ) -> None:
        self.credentials = credentials
        self.region = region
        self.recognizer = recognizer
        self.s3 = s3
        self.account_id = account_id
        self.clock: Callable[[], datetime] = clock or (lambda: datetime.now(UTC))
        self.filter_words = filter_words
        self.vocabulary = vocabulary
        self.executor = executor
        self.idle_timeout = idle_timeout
        self.sessions = ScribeStreamStore()
        self._connections: set[_H2Connection] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._faults: ScribeStreamFaults | None = None
        self._faulted = 0
        self._analytics: set[asyncio.Future[Any]] = set()

    @property
    def faults(self) -> ScribeStreamFaults | None:
        """The faults applied to new streams (``None``: none)."""
        return self._faults

    @faults.setter
    def faults(self, plan: ScribeStreamFaults | None) -> None:
        with self.sessions.lock:
            self._faults = plan
            self._faulted = 0

    def take_faults(self) -> ScribeStreamFaults | None:
        """The faults of a stream that starts now (counted against ``streams``)."""
        with self.sessions.lock:
            plan = self._faults
            if plan is None or (plan.streams is not None and self._faulted >= plan.streams):
                return None
            self._faulted += 1
            return plan

    def protocol(self) -> asyncio.Protocol:
        """A protocol for one new HTTP/2 connection."""
        return _H2Connection(self)

    def close_connections(self) -> None:
        """Close every HTTP/2 connection (from the event loop's thread)."""
        for connection in list(self._connections):
            connection.close()

    def close(self) -> None:
        """Close every HTTP/2 connection, from any thread (the emulator's stop calls it)."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self.close_connections)

    async def wait_analytics(self) -> None:
        """Wait until every post-stream analytics started so far has finished (for tests)."""
        if self._analytics:
            await asyncio.gather(*self._analytics, return_exceptions=True)

    # ------------------------------------------------------------ session work (worker threads)

    def _filter_entries(self, session: ScribeStreamSession) -> list[str] | None:
        name = (session.configuration or {}).get("VocabularyFilterName")
        if not name or self.filter_words is None:
            return None
        return self.filter_words(str(name))

    def new_recognition(self, session: ScribeStreamSession) -> SessionRecognition:
        """The recognition of a stream whose configuration was accepted."""
        name = (session.configuration or {}).get("VocabularyName")
        vocabulary = self.vocabulary(str(name)) if name and self.vocabulary else None
        return SessionRecognition(
            session, self.recognizer(), vocabulary=vocabulary, filter_words=self._filter_entries(session)
        )

    def run_analytics(self, session: ScribeStreamSession) -> None:
        """Write the session's outputs and record the result (in a worker thread)."""
        s3 = self.s3() if self.s3 is not None else None
        try:
            if s3 is None:
                result: dict[str, Any] = {
                    "Status": "FAILED",
                    "FailureReason": "The emulator runs without its batch side: no bucket to write to.",
                }
            else:
                result = write_post_stream_outputs(
                    session, s3, account_id=self.account_id, filter_words=self._filter_entries(session)
                )
        except Exception:
            _log.exception("the emulator failed a HealthScribe session's post-stream analytics")
            result = {"Status": "FAILED", "FailureReason": "Internal failure: the emulator could not write the note."}
        with self.sessions.lock:
            session.analytics = result

    def start_analytics(self, session: ScribeStreamSession) -> None:
        """Run :meth:`run_analytics` off the loop; ``IN_PROGRESS`` until it is done."""
        with self.sessions.lock:
            session.analytics = {"Status": "IN_PROGRESS"}
        future = asyncio.get_running_loop().run_in_executor(self.executor, self.run_analytics, session)
        self._analytics.add(future)
        future.add_done_callback(self._analytics.discard)


def _error_body(message: str) -> bytes:
    return (json.dumps({"Message": message}) + "\n").encode()


def _exception_event(code: str, message: str) -> bytes:
    headers = {":message-type": "exception", ":exception-type": code, ":content-type": "application/json"}
    return encode_message(headers, json.dumps({"Message": message}).encode())


def _transcript_event(segment: dict[str, Any]) -> bytes:
    headers = {":message-type": "event", ":event-type": "TranscriptEvent", ":content-type": "application/json"}
    return encode_message(headers, json.dumps({"TranscriptSegment": segment}).encode())


class _Stream:
    """One request on a connection."""

    def __init__(self, stream_id: int, headers: dict[str, str]) -> None:
        self.stream_id = stream_id
        self.headers = headers
        self.inbox: asyncio.Queue[tuple[bytes, int] | None] = asyncio.Queue()
        self.outbox = bytearray()
        self.end_after_outbox = False
        self.task: asyncio.Task[None] | None = None
        self.closed = False


class _H2Connection(asyncio.Protocol):
    """One HTTP/2 connection (the server side)."""

    def __init__(self, server: ScribeStreamServer) -> None:
        import h2.config
        import h2.connection

        self.server = server
        self.conn: H2Connection = h2.connection.H2Connection(
            h2.config.H2Configuration(client_side=False, header_encoding="utf-8")
        )
        self.transport: asyncio.Transport | None = None
        self.streams: dict[int, _Stream] = {}

    # ------------------------------------------------------------------ asyncio protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Send the server preface (SETTINGS)."""
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.server._connections.add(self)
        self.server._loop = asyncio.get_running_loop()
        self.conn.initiate_connection()
        self._write()

    def connection_lost(self, exc: Exception | None) -> None:
        """Streams still open lose their connection (their sessions pause)."""
        self.server._connections.discard(self)
        self.transport = None
        for stream in self.streams.values():
            if not stream.closed:
                stream.closed = True
                stream.inbox.put_nowait(None)

    def close(self) -> None:
        """Close the connection now."""
        if self.transport is not None:
            self.transport.abort()

    def data_received(self, data: bytes) -> None:
        """Feed h2 and act on its events."""
        import h2.events
        import h2.exceptions

        try:
            events = self.conn.receive_data(data)
        except h2.exceptions.ProtocolError:
            self._write()
            self.close()
            return
        for event in events:
            if isinstance(event, h2.events.RequestReceived):
                self._request(event.stream_id, [(str(k), str(v)) for k, v in event.headers or []])
            elif isinstance(event, h2.events.DataReceived):
                stream = self.streams.get(event.stream_id)
                if stream is None or stream.closed:
                    self.conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
                else:
                    stream.inbox.put_nowait((event.data or b"", event.flow_controlled_length))
            elif isinstance(event, h2.events.StreamEnded):
                stream = self.streams.get(event.stream_id)
                if stream is not None and not stream.closed:
                    stream.inbox.put_nowait(None)
            elif isinstance(event, h2.events.StreamReset):
                stream = self.streams.get(event.stream_id)
                if stream is not None and not stream.closed:
                    stream.closed = True
                    stream.inbox.put_nowait(None)
            elif isinstance(event, h2.events.WindowUpdated):
                for stream in list(self.streams.values()):
                    self._flush(stream)
            elif isinstance(event, h2.events.ConnectionTerminated):
                self._write()
                self.close()
                return
        self._write()

    # ------------------------------------------------------------------ sending

    def _write(self) -> None:
        data = self.conn.data_to_send()
        if data and self.transport is not None:
            self.transport.write(data)

    def _respond(self, stream: _Stream, status: int, headers: list[tuple[str, str]], body: bytes | None) -> None:
        # body None: an event stream follows (the stream stays open).
        self.conn.send_headers(stream.stream_id, [(":status", str(status)), *headers])
        if body is not None:
            stream.outbox += body
            stream.end_after_outbox = True
            self._flush(stream)
        self._write()

    def _error(self, stream: _Stream, status: int, code: str, message: str) -> None:
        headers = [
            ("content-type", "application/json"),
            ("x-amzn-errortype", code),
            ("x-amzn-requestid", str(uuid.uuid4())),
        ]
        self._respond(stream, status, headers, _error_body(message))

    def _send(self, stream: _Stream, data: bytes, *, end: bool = False) -> None:
        stream.outbox += data
        stream.end_after_outbox = stream.end_after_outbox or end
        self._flush(stream)
        self._write()

    def _flush(self, stream: _Stream) -> None:
        import h2.exceptions

        if self.transport is None:
            return
        try:
            while stream.outbox:
                size = min(
                    len(stream.outbox),
                    self.conn.local_flow_control_window(stream.stream_id),
                    self.conn.max_outbound_frame_size,
                )
                if size <= 0:
                    return
                self.conn.send_data(stream.stream_id, bytes(stream.outbox[:size]))
                del stream.outbox[:size]
            if stream.end_after_outbox:
                stream.end_after_outbox = False
                self.conn.end_stream(stream.stream_id)
        except h2.exceptions.StreamClosedError:
            stream.outbox.clear()

    # ------------------------------------------------------------------ requests

    def _request(self, stream_id: int, pairs: list[tuple[str, str]]) -> None:
        headers: dict[str, str] = {}
        for name, value in pairs:
            headers[name.lower()] = value
        stream = _Stream(stream_id, headers)
        self.streams[stream_id] = stream
        stream.task = asyncio.get_running_loop().create_task(self._serve(stream))

    async def _drain(self, stream: _Stream) -> bytes:
        """The whole body (for GET: normally empty)."""
        body = bytearray()
        while (item := await stream.inbox.get()) is not None:
            body += item[0]
            self._ack(stream, item[1])
        return bytes(body)

    def _ack(self, stream: _Stream, length: int) -> None:
        import h2.exceptions

        if self.transport is None or not length:
            return
        with contextlib.suppress(h2.exceptions.StreamClosedError, h2.exceptions.ProtocolError):
            self.conn.acknowledge_received_data(length, stream.stream_id)
            self._write()

    async def _serve(self, stream: _Stream) -> None:
        try:
            method = stream.headers.get(":method", "")
            path = stream.headers.get(":path", "")
            route = path.partition("?")[0]
            if method == "POST" and route == STREAM_PATH:
                await self._start_stream(stream)
            elif method == "GET" and route.startswith(STREAM_PATH + "/"):
                await self._get_stream(stream, route[len(STREAM_PATH) + 1 :])
            else:
                self._error(stream, 404, "NotFoundException", f"No HealthScribe operation answers {method} {route}.")
        except Exception:
            _log.exception("the HealthScribe streaming endpoint failed a request")
            if self.transport is not None and not stream.closed:
                with contextlib.suppress(Exception):
                    self._send(stream, _exception_event("InternalFailureException", "Internal failure."), end=True)

    def _verify(self, stream: _Stream) -> Any:
        return verify_header_signature(
            stream.headers.get(":method", ""),
            stream.headers.get(":path", ""),
            stream.headers,
            credentials=self.server.credentials,
            region=self.server.region,
            now=self.server.clock(),
        )

    async def _get_stream(self, stream: _Stream, session_id: str) -> None:
        await self._drain(stream)
        try:
            self._verify(stream)
        except SignatureRejected as rejected:
            self._error(stream, 403, rejected.code, rejected.reason)
            return
        details = self.server.sessions.describe(session_id)
        if details is None:
            self._error(
                stream, 404, "ResourceNotFoundException", f"The session {session_id} doesn't exist. Check the id."
            )
            return
        body = json.dumps({"MedicalScribeStreamDetails": details}).encode()
        self._respond(stream, 200, [("content-type", "application/json")], body)

    def _session_headers(self, stream: _Stream) -> tuple[str, str, int, str]:
        headers = stream.headers
        session_id = headers.get("x-amzn-transcribe-session-id") or str(uuid.uuid4())
        if not _SESSION_ID.match(session_id):
            raise StreamRefused("BadRequestException", f"x-amzn-transcribe-session-id {session_id!r} is not a UUID.")
        language = headers.get("x-amzn-transcribe-language-code", "")
        if language != "en-US":
            raise StreamRefused(
                "BadRequestException", f"x-amzn-transcribe-language-code {language!r} is not supported; use en-US."
            )
        rate_text = headers.get("x-amzn-transcribe-sample-rate", "")
        if not rate_text.isdigit() or not 16000 <= int(rate_text) <= 48000:
            raise StreamRefused(
                "BadRequestException",
                f"x-amzn-transcribe-sample-rate {rate_text!r} must be a whole number from 16000 to 48000.",
            )
        encoding = headers.get("x-amzn-transcribe-media-encoding", "")
        if encoding not in _ENCODINGS:
            raise StreamRefused(
                "BadRequestException",
                f"x-amzn-transcribe-media-encoding {encoding!r} is not one of {', '.join(_ENCODINGS)}.",
            )
        return session_id, language, int(rate_text), encoding

    async def _start_stream(self, stream: _Stream) -> None:
        try:
            signature = self._verify(stream)
        except SignatureRejected as rejected:
            self._refuse_body(stream)
            self._error(stream, 403, rejected.code, rejected.reason)
            return
        try:
            session_id, language, rate, encoding = self._session_headers(stream)
            session = self.server.sessions.open(session_id, language, rate, encoding, self.server.clock())
        except StreamRefused as refused:
            self._refuse_body(stream)
            status = 409 if refused.code == "ConflictException" else 400
            self._error(stream, status, refused.code, refused.message)
            return
        response = [
            ("content-type", "application/vnd.amazon.eventstream"),
            ("x-amzn-request-id", str(uuid.uuid4())),
            ("x-amzn-transcribe-session-id", session_id),
            ("x-amzn-transcribe-language-code", language),
            ("x-amzn-transcribe-sample-rate", str(rate)),
            ("x-amzn-transcribe-media-encoding", encoding),
        ]
        self._respond(stream, 200, response, None)
        chain = EventChainVerifier(self.server.credentials, signature)
        run = _SessionRun(self, stream, session, chain)
        try:
            await run.serve()
        finally:
            with self.server.sessions.lock:
                session.events_verified += chain.events_verified

    def _refuse_body(self, stream: _Stream) -> None:
        """Discard whatever the refused request still sends (acknowledged, so the peer is not blocked)."""
        stream.closed = True
        while not stream.inbox.empty():
            item = stream.inbox.get_nowait()
            if item is not None:
                self._ack(stream, item[1])


class _Dropped(Exception):
    """The connection was dropped on purpose (:class:`ScribeStreamFaults`)."""


class _SessionRun:
    """The event loop of one StartMedicalScribeStream request."""

    def __init__(
        self, connection: _H2Connection, stream: _Stream, session: ScribeStreamSession, chain: EventChainVerifier
    ) -> None:
        self.connection = connection
        self.server = connection.server
        self.stream = stream
        self.session = session
        self.chain = chain
        self.decoder = EventStreamDecoder(max_message_size=_MAX_MESSAGE)
        self.recognition: SessionRecognition | None = None
        self.ended_session = False
        self.configured = False
        self.faults = self.server.take_faults()
        self.audio_events = 0
        self.compressed = bytearray()  # flac / ogg-opus: decoded when the stream ends

    async def _work(self, function: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self.server.executor, function, *args)

    def _emit(self, segments: list[dict[str, Any]]) -> None:
        if segments and self.connection.transport is not None and not self.stream.closed:
            self.connection._send(self.stream, b"".join(_transcript_event(segment) for segment in segments))

    async def serve(self) -> None:
        """Read, verify and act on events until the request ends, then pause or end the session."""
        dropped = False
        try:
            while True:
                try:
                    item = await asyncio.wait_for(self.stream.inbox.get(), self.server.idle_timeout)
                except TimeoutError:
                    raise StreamRefused("BadRequestException", _IDLE.format(seconds=self.server.idle_timeout)) from None
                if item is None:
                    dropped = self.connection.transport is None or self.stream.closed
                    break
                data, length = item
                try:
                    for outer in self.decoder.feed(data):
                        inner = self.chain.unwrap(outer, now=self.server.clock())
                        if inner is not None:
                            await self._event(inner)
                except SignatureRejected as rejected:
                    raise StreamRefused("InvalidSignatureException", rejected.reason) from None
                except ProtocolError as error:
                    raise StreamRefused("BadRequestException", f"Malformed event stream: {error}") from None
                self.connection._ack(self.stream, length)
        except StreamRefused as refused:
            self._stop(refused)
            return
        except _Dropped:
            dropped = True
        await self._end(dropped)

    def _stop(self, refused: StreamRefused) -> None:
        _log.info("HealthScribe stream refused: %s", refused.code)
        if self.connection.transport is not None and not self.stream.closed:
            self.connection._send(self.stream, _exception_event(refused.code, refused.message), end=True)
        self.connection._refuse_body(self.stream)
        with self.server.sessions.lock:
            self.session.active = False
            self.session.ended_at = self.server.clock()
            if self.session.configuration is None:
                self.session.status = "FAILED"
            else:
                self.session.status = "PAUSED"
        if self.recognition is not None:
            self.recognition.abandon()
            self.recognition.close()
        if self.session.configuration is None:
            self.server.sessions.forget(self.session.session_id)

    async def _event(self, inner_bytes: bytes) -> None:
        messages = EventStreamDecoder(max_message_size=_MAX_MESSAGE).feed(inner_bytes)
        if len(messages) != 1:
            raise StreamRefused("BadRequestException", "Each signed event must wrap exactly one event message.")
        message = messages[0]
        kind = message.headers.get(":event-type")
        if self.ended_session:
            raise StreamRefused("BadRequestException", "No event may follow END_OF_SESSION but the end frame.")
        if kind == "ConfigurationEvent":
            if self.configured:
                raise StreamRefused("BadRequestException", "The ConfigurationEvent may be sent once per stream.")
            try:
                payload = json.loads(message.payload or b"{}")
            except ValueError:
                raise StreamRefused("BadRequestException", "The ConfigurationEvent is not valid JSON.") from None
            filter_words = self.server.filter_words
            vocabulary = self.server.vocabulary
            config = check_configuration(
                payload,
                filter_exists=(lambda name: filter_words(name) is not None) if filter_words else None,
                vocabulary_exists=(lambda name: vocabulary(name) is not None) if vocabulary else None,
            )
            with self.server.sessions.lock:
                self.session.configuration = config
            self.configured = True
            self.recognition = await self._work(self.server.new_recognition, self.session)
            return
        if not self.configured or self.recognition is None:
            raise StreamRefused(
                "BadRequestException", "The first event of a stream must be the ConfigurationEvent (new or resumed)."
            )
        if kind == "AudioEvent":
            if self.session.media_encoding == "pcm":
                self._emit(await self._work(self.recognition.feed, message.payload))
            else:
                self._keep_compressed(message.payload)
            self.audio_events += 1
            drop_after = self.faults.drop_after_audio_events if self.faults else None
            if drop_after is not None and self.audio_events >= drop_after:
                _log.info("HealthScribe stream dropped on purpose (ScribeStreamFaults)")
                self.connection.close()
                raise _Dropped
        elif kind == "SessionControlEvent":
            try:
                control = json.loads(message.payload or b"{}")
            except ValueError:
                control = None
            if not isinstance(control, dict) or control.get("Type") != "END_OF_SESSION":
                raise StreamRefused("BadRequestException", "SessionControlEvent Type must be END_OF_SESSION.")
            self.ended_session = True
        else:
            raise StreamRefused("BadRequestException", f"Unknown event type {kind!r} in MedicalScribeInputStream.")

    def _keep_compressed(self, payload: bytes) -> None:
        if not soundfile_available():
            raise StreamRefused(
                "BadRequestException",
                f"The local emulator decodes {self.session.media_encoding} with the soundfile package, which is "
                "not installed: pip install 'transcribe-medical[local]', or send pcm audio.",
            )
        if len(self.compressed) + len(payload) > _MAX_COMPRESSED:
            raise StreamRefused("LimitExceededException", "The emulator buffers at most 256 MiB of compressed audio.")
        self.compressed += payload

    async def _end(self, dropped: bool) -> None:
        recognition = self.recognition
        if dropped:
            if recognition is not None:
                recognition.abandon()
                recognition.close()
            with self.server.sessions.lock:
                self.session.active = False
                self.session.ended_at = self.server.clock()
                self.session.status = "PAUSED" if self.session.configuration is not None else "FAILED"
            if self.session.configuration is None:
                self.server.sessions.forget(self.session.session_id)
            return
        if recognition is None:
            self._stop(StreamRefused("BadRequestException", "The stream ended before its ConfigurationEvent."))
            return
        if self.compressed:
            try:
                pcm = await self._work(
                    decode_stream,
                    bytes(self.compressed),
                    self.session.media_encoding,
                    self.session.sample_rate,
                    recognition.channels,
                )
            except StreamAudioRefused as refused:
                self._stop(StreamRefused("BadRequestException", str(refused)))
                return
            self._emit(await self._work(recognition.feed, pcm))
        self._emit(await self._work(recognition.finish))
        recognition.close()
        with self.server.sessions.lock:
            self.session.active = False
            self.session.ended_at = self.server.clock()
            self.session.status = "COMPLETED" if self.ended_session else "PAUSED"
        if self.ended_session:
            self.server.start_analytics(self.session)
        if self.connection.transport is not None:
            self.connection._send(self.stream, b"", end=True)
