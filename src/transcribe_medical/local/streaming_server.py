"""The emulator's streaming endpoint: ``/medical-stream-transcription-websocket`` over ``websockets``.

:class:`StreamingServer` runs a ``websockets.asyncio`` server on its own event loop in a
background thread. For each connection:

1. **Before the upgrade** (``process_request``): the path must be the medical WebSocket path (else
   404) and the SigV4 presign must verify against the server's credentials, region and clock
   (:mod:`~transcribe_medical.local.sigv4_verifier`); otherwise the answer is **HTTP 403** with
   ``{"Message": ...}`` and ``x-amzn-ErrorType``, and no WebSocket is opened.
2. **After the upgrade**, refusals come as an event-stream ``exception`` message followed by a
   normal close (1000). This is a documented choice: invalid query parameters
   (:mod:`~transcribe_medical.local.stream_parameters`) get a ``BadRequestException`` frame
   carrying AWS's validation message, rather than a bare HTTP 400, so clients see the same text
   they would read from the service. The concurrency limit (default 25 streams) answers
   ``LimitExceededException`` the same way, and a second stream with the same ``session-id``
   ends the first one with ``ConflictException``.
3. **Audio**: each binary message must be exactly one event-stream message (strict codec) with
   ``:message-type=event`` and ``:event-type=AudioEvent``, its payload at most 32,768 bytes; any
   violation gets ``BadRequestException`` and the stream ends. The audio waits in a bounded queue
   (``audio_queue_bytes``; when full, the socket is not read, which slows the sender) and is
   recognized in 0.1 s blocks in worker threads, so the loop keeps serving other streams and
   streams take turns; partial results are sent as audio is recognized and a final result at
   each pause the recognizer detects (see :class:`_StreamPipeline`).
4. **End**: the empty AudioEvent flushes the final results, then the server closes with 1000.
   No audio for ``idle_timeout`` seconds (15) ends the stream with ``BadRequestException``; a
   stream longer than ``max_stream_seconds`` (4 h) ends with ``LimitExceededException``.

:class:`FaultPlan` makes streams misbehave on purpose, for testing clients: drop the connection
after N seconds or N audio frames, send a given exception, stall, or refuse the handshake.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import socket
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit

from transcribe_medical import _limits
from transcribe_medical._exceptions import ProtocolError
from transcribe_medical._logging import get_logger
from transcribe_medical.eventstream import EventStreamDecoder, encode_message
from transcribe_medical.local.media_decoding import StreamAudioRefused, decode_stream, soundfile_available
from transcribe_medical.local.recognizers.interface import resolve_recognizer
from transcribe_medical.local.results import build_result, event_payload
from transcribe_medical.local.sigv4_verifier import EmulatorCredentials, SignatureRejected, verify_presigned_request
from transcribe_medical.local.speakers import SpeakerTracker
from transcribe_medical.local.stream_parameters import ParameterError, StreamParameters, parse_stream_parameters
from transcribe_medical.local.transcriber import ChannelTranscriber
from transcribe_medical.local.vocabulary import Vocabulary
from transcribe_medical.models.enums import MediaEncoding, TranscriptionType

if TYPE_CHECKING:
    from websockets.asyncio.server import Server, ServerConnection
    from websockets.http11 import Request, Response

    from transcribe_medical.local.recognizers.interface import Recognizer
    from transcribe_medical.models.events import Result

__all__ = ["FaultPlan", "StreamingServer"]

_log = get_logger("local.streaming")

_TRANSCRIPT_HEADERS: Final = {
    ":message-type": "event",
    ":event-type": "TranscriptEvent",
    ":content-type": "application/json",
}
# Room for the headers around a full 32 KiB payload; larger messages are refused politely.
_MAX_FRAME: Final = 1024 * 1024
_MAX_BUFFERED_AUDIO: Final = 256 * 1024 * 1024
_REFUSE_CLOSE_TIMEOUT_S: Final = 1.0
#: Bytes of audio a stream may have queued for recognition before the server stops reading its
#: socket: about 35 minutes of 16 kHz mono PCM. Large, because a client whose send holds its
#: connection's lock while blocked (websockets' sync client, which the SDK's sync streaming uses)
#: hardly reads while pushed back, and its keepalive pings then time out; Linux's own socket
#: buffer would grow to tcp_rmem's maximum (often 6-32 MiB) anyway.
DEFAULT_AUDIO_QUEUE_BYTES: Final = 64 * 1024 * 1024
# Recognition is fed this much audio per executor call, so that streams take turns.
_BLOCK_S: Final = 0.1
# Small send buffers (websockets' and the kernel's, which Linux otherwise grows to 4 MiB): results
# that a client is slow to read then wait in the stream's outbox, where newer partials replace
# older ones, instead of megabytes of stale partials delaying the client's pongs and finals.
_WRITE_LIMIT: Final = 32 * 1024
_SOCKET_SEND_BUFFER: Final = 64 * 1024
# A small receive buffer makes the push-back felt within seconds of audio, not minutes (Linux
# grows it up to tcp_rmem's maximum, often 6-32 MiB).
_SOCKET_RECEIVE_BUFFER: Final = 256 * 1024
IDLE_MESSAGE: Final = "Your request timed out because no new audio was received for {seconds:g} seconds."


@dataclass(frozen=True)
class FaultPlan:
    """Faults the streaming server injects, to test how clients cope.

    Counting starts when a stream is accepted. Several faults may be combined; the first to
    trigger wins.

    Attributes:
        drop_after_seconds: Abort the TCP connection (no close frame) this many seconds in.
        drop_after_frames: Abort the TCP connection after receiving this many audio frames.
        drop_after_audio_seconds: Abort the TCP connection once this much PCM audio has arrived
            (stream time, whatever the frame sizes and the client's pace; PCM streams only).
        exception: Send this exception (e.g. ``"InternalFailureException"``,
            ``"ServiceUnavailableException"``) and close normally ...
        exception_after_frames: ... after this many audio frames (0: right after the upgrade).
        exception_message: The exception's ``Message``.
        stall_after_frames: After this many audio frames, stop reading and answering (the
            connection stays open until the client gives up).
        handshake_status: Answer the opening handshake with this HTTP status instead
            (e.g. 429, 500, 503), before verifying anything.
        streams: Apply the plan to this many streams, then behave normally (``None``: all).
    """

    drop_after_seconds: float | None = None
    drop_after_frames: int | None = None
    drop_after_audio_seconds: float | None = None
    exception: str | None = None
    exception_after_frames: int = 0
    exception_message: str = "An internal error occurred (injected by the emulator's FaultPlan)."
    stall_after_frames: int | None = None
    handshake_status: int | None = None
    streams: int | None = None


class _Refusal(Exception):
    """End the stream with an exception frame."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class _Pending:
    """What ``process_request`` learned about a connection, for its handler."""

    params: StreamParameters | None
    error: str | None
    request_id: str
    session_id: str
    query: dict[str, str]
    faults: FaultPlan | None


@dataclass(frozen=True)
class _Outgoing:
    """One ``TranscriptEvent`` payload to send, with the result it carries."""

    result_id: str
    is_partial: bool
    payload: bytes


class _StreamRecognition:
    """The recognition side of one stream: audio in, ``TranscriptEvent`` payloads out.

    Runs in worker threads; a lock makes the calls of one stream take turns, so that a close
    waits for a block still being recognized.
    """

    def __init__(self, params: StreamParameters, recognizer: Recognizer, vocabulary: Vocabulary | None = None) -> None:
        self.params = params
        self.channels = params.number_of_channels
        self._lock = threading.Lock()
        self._closed = False
        self._remainder = b""
        self._buffer = bytearray()  # flac / ogg-opus: decoded at the end
        self._transcribers: list[ChannelTranscriber] = []
        speakers_max = 1 if params.type is TranscriptionType.DICTATION else 2
        for _ in range(self.channels):
            tracker = SpeakerTracker(speakers_max) if params.show_speaker_label else None
            self._transcribers.append(
                ChannelTranscriber(
                    recognizer.new_session(params.sample_rate),
                    params.sample_rate,
                    speakers=tracker,
                    vocabulary=vocabulary,
                )
            )

    def _results(self, channel: int, updates: list[Any]) -> list[Result]:
        channel_id = f"ch_{channel}" if self.params.enable_channel_identification else None
        return [
            build_result(
                update.result_id,
                update.words,
                is_partial=update.is_partial,
                channel_id=channel_id,
                speaker=update.speaker if self.params.show_speaker_label else None,
                identify_phi=self.params.identify_phi,
            )
            for update in updates
        ]

    def feed(self, audio: bytes) -> list[_Outgoing]:
        """Recognize the next piece of audio; return the events to send."""
        with self._lock:
            if self._closed:
                return []
            return self._feed(audio)

    def _feed(self, audio: bytes) -> list[_Outgoing]:
        if self.params.media_encoding is not MediaEncoding.PCM:
            if len(self._buffer) + len(audio) > _MAX_BUFFERED_AUDIO:
                raise _Refusal("LimitExceededException", "The emulator buffers at most 256 MiB of compressed audio.")
            self._buffer += audio
            return []
        return self._feed_pcm(audio)

    def _feed_pcm(self, audio: bytes) -> list[_Outgoing]:
        from transcribe_medical.local.recognizers.pcm import split_channels

        data = self._remainder + audio
        frame = 2 * self.channels
        whole = len(data) - len(data) % frame
        self._remainder = data[whole:]
        if not whole:
            return []
        parts = split_channels(data[:whole], self.channels)
        events: list[_Outgoing] = []
        for channel, (transcriber, part) in enumerate(zip(self._transcribers, parts, strict=True)):
            events.extend(_outgoing(self._results(channel, transcriber.accept(part))))
        return events

    def finish(self) -> list[_Outgoing]:
        """End of audio: the final results still pending."""
        with self._lock:
            if self._closed:
                return []
            events: list[_Outgoing] = []
            if self.params.media_encoding is not MediaEncoding.PCM and self._buffer:
                events.extend(self._feed_pcm(_decode_compressed(bytes(self._buffer), self.params)))
            for channel, transcriber in enumerate(self._transcribers):
                events.extend(_outgoing(self._results(channel, transcriber.finish())))
            return events

    def close_when_idle(self) -> None:
        """Release the recognizer sessions, once the call in progress (if any) has returned."""
        with self._lock:
            self._closed = True
            for transcriber in self._transcribers:
                transcriber.close()


def _outgoing(results: list[Result]) -> list[_Outgoing]:
    return [_Outgoing(result.result_id, result.is_partial, event_payload([result])) for result in results]


def _limit_socket_buffers(connection: ServerConnection) -> None:
    sock = connection.transport.get_extra_info("socket")
    if sock is None:
        return
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, _SOCKET_SEND_BUFFER)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, _SOCKET_RECEIVE_BUFFER)


def _decode_compressed(data: bytes, params: StreamParameters) -> bytes:
    """Decode a whole FLAC / Ogg-Opus stream to PCM16 at the declared rate, or refuse it as AWS would."""
    try:
        return decode_stream(data, params.media_encoding.value, params.sample_rate, params.number_of_channels)
    except StreamAudioRefused as refused:
        raise _Refusal("BadRequestException", str(refused)) from None


class StreamingServer:
    """The emulated streaming endpoint (see the module notes).

    Example:
        >>> with StreamingServer(credentials=EmulatorCredentials("AKID", "SECRET"),
        ...                      recognizer=ScriptedRecognizer("no acute distress")) as server:  # doctest: +SKIP
        ...     print(server.endpoint)  # ws://127.0.0.1:PORT
    """

    def __init__(
        self,
        *,
        credentials: EmulatorCredentials,
        region: str = "us-east-1",
        host: str = "127.0.0.1",
        port: int = 0,
        recognizer: Recognizer | Callable[[], Recognizer] | None = None,
        clock: Callable[[], datetime] | None = None,
        idle_timeout: float = _limits.STREAM_IDLE_TIMEOUT_S,
        max_stream_seconds: float = _limits.STREAM_MAX_DURATION_S,
        max_concurrent_streams: int = _limits.CONCURRENT_STREAMS_DEFAULT,
        vocabulary_exists: Callable[[str], bool] | None = None,
        vocabulary_loader: Callable[[str], Vocabulary | None] | None = None,
        faults: FaultPlan | None = None,
        audio_queue_bytes: int = DEFAULT_AUDIO_QUEUE_BYTES,
    ) -> None:
        """Configure the server; :meth:`start` (or ``with``) runs it.

        Args:
            credentials: The only credentials whose signatures are accepted.
            region: The region the presign's scope must name.
            host: Interface to bind (loopback by default).
            port: Port to bind; 0 picks a free one (see :attr:`port`).
            recognizer: A recognizer, or a factory called on the first stream. Default:
                :class:`~transcribe_medical.local.recognizers.PocketSphinxRecognizer`.
            clock: Returns the current UTC time, for signature checks (default: the system clock).
            idle_timeout: Seconds without audio before a stream is ended.
            max_stream_seconds: Longest stream accepted, in seconds of wall-clock time.
            max_concurrent_streams: Streams served at once; one more gets LimitExceededException.
            vocabulary_exists: Checks a ``vocabulary-name`` (``None``: any name is accepted).
            vocabulary_loader: Loads a ``vocabulary-name``'s phrases, applied to the stream's words.
            faults: Initial :class:`FaultPlan` (see :attr:`faults`).
            audio_queue_bytes: Bytes of audio a stream may have waiting for recognition; when
                they reach it the server stops reading that stream's socket, which slows the sender.
        """
        if audio_queue_bytes < 1:
            raise ValueError(f"audio_queue_bytes must be >= 1, got {audio_queue_bytes}")
        self.audio_queue_bytes = audio_queue_bytes
        self._queue_high_water = 0
        if max_concurrent_streams < 1:
            raise ValueError(f"max_concurrent_streams must be >= 1, got {max_concurrent_streams}")
        self.credentials = credentials
        self.region = region
        self.host = host
        self._requested_port = port
        self._recognizer_source = recognizer
        self._recognizer: Recognizer | None = None
        self.clock: Callable[[], datetime] = clock or (lambda: datetime.now(UTC))
        self.idle_timeout = idle_timeout
        self.max_stream_seconds = max_stream_seconds
        self.max_concurrent_streams = max_concurrent_streams
        self.vocabulary_exists = vocabulary_exists
        self.vocabulary_loader = vocabulary_loader
        self._faults = faults
        self._faulted_streams = 0
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: Server | None = None
        self._thread: threading.Thread | None = None
        self._executor: concurrent.futures.ThreadPoolExecutor | None = None
        self._pending: dict[ServerConnection, _Pending] = {}
        self._sessions: dict[str, ServerConnection] = {}
        self._active = 0
        self.streams_served = 0
        self._port = 0
        # HealthScribe streaming (issue 19): connections opening with the HTTP/2 preface go to this
        # protocol factory instead of the WebSocket handshake (None: WebSocket only).
        self.http2_protocol: Callable[[], asyncio.Protocol] | None = None

    # ----------------------------------------------------------------- lifecycle

    def __enter__(self) -> StreamingServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The bound port (after :meth:`start`)."""
        return self._port

    @property
    def endpoint(self) -> str:
        """``ws://HOST:PORT`` — give it to clients as the streaming endpoint."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"ws://{host}:{self._port}"

    @property
    def audio_queue_high_water(self) -> int:
        """The most audio bytes any stream has had waiting for recognition.

        At most ``audio_queue_bytes`` plus one AudioEvent (32 KiB): the event that reaches the bound.
        """
        with self._lock:
            return self._queue_high_water

    def _note_queue_depth(self, depth: int) -> None:
        with self._lock:
            self._queue_high_water = max(self._queue_high_water, depth)

    @property
    def active_streams(self) -> int:
        """Streams being served right now."""
        with self._lock:
            return self._active

    @property
    def faults(self) -> FaultPlan | None:
        """The fault plan applied to new streams; assign a new one (or ``None``) at any time."""
        return self._faults

    @faults.setter
    def faults(self, plan: FaultPlan | None) -> None:
        with self._lock:
            self._faults = plan
            self._faulted_streams = 0

    def start(self) -> None:
        """Bind and serve in a background thread; returns once the port is open.

        Raises:
            OSError: The port could not be bound.
        """
        if self._thread is not None:
            return
        ready = threading.Event()
        failure: list[BaseException] = []
        self._executor = concurrent.futures.ThreadPoolExecutor(
            max_workers=self.max_concurrent_streams + 4, thread_name_prefix="emulator-recognizer"
        )

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            try:
                loop.run_until_complete(self._open())
            except BaseException as error:
                failure.append(error)
                ready.set()
                loop.close()
                return
            ready.set()
            try:
                loop.run_forever()
            finally:
                loop.run_until_complete(loop.shutdown_asyncgens())
                loop.close()

        self._thread = threading.Thread(target=run, name="emulator-streaming", daemon=True)
        self._thread.start()
        ready.wait()
        if failure:
            self._thread.join()
            self._thread = None
            raise failure[0]
        _log.info("streaming emulator listening on %s", self.endpoint)

    async def _open(self) -> None:
        from websockets.asyncio.server import serve

        from transcribe_medical.local.http2_preface import preface_sniffing_connection

        self._server = await serve(
            self._handle,
            self.host,
            self._requested_port,
            process_request=self._process_request,
            process_response=self._process_response,
            max_size=_MAX_FRAME,
            write_limit=_WRITE_LIMIT,
            ping_interval=None,
            compression=None,
            create_connection=preface_sniffing_connection(lambda: self.http2_protocol),
        )
        sockets = list(self._server.sockets)
        self._port = int(sockets[0].getsockname()[1])

    def stop(self) -> None:
        """Close every connection, stop the server and its thread."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return

        async def close() -> None:
            if self._server is not None:
                self._server.close(close_connections=True)
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(self._server.wait_closed(), 5)

        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(close(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        self._thread = None
        self._loop = None
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None

    def _get_recognizer(self) -> Recognizer:
        with self._lock:
            if self._recognizer is None:
                self._recognizer = resolve_recognizer(self._recognizer_source)
            assert self._recognizer is not None
            return self._recognizer

    # ----------------------------------------------------------------- handshake

    def _take_fault_plan(self) -> FaultPlan | None:
        with self._lock:
            plan = self._faults
            if plan is None:
                return None
            if plan.streams is not None and self._faulted_streams >= plan.streams:
                return None
            self._faulted_streams += 1
            return plan

    @staticmethod
    def _error_response(connection: ServerConnection, status: int, code: str, message: str) -> Response:
        response = connection.respond(status, json.dumps({"Message": message}) + "\n")
        response.headers["Content-Type"] = "application/json"
        response.headers["x-amzn-ErrorType"] = code
        response.headers["x-amzn-RequestId"] = str(uuid.uuid4())
        return response

    def _process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        parts = urlsplit(request.path)
        if parts.path != _limits.STREAMING_PATH:
            return self._error_response(
                connection, 404, "NotFoundException", f"No such endpoint: use {_limits.STREAMING_PATH}"
            )
        faults = self._take_fault_plan()
        if faults is not None and faults.handshake_status is not None:
            status = HTTPStatus(faults.handshake_status)
            return self._error_response(
                connection, status.value, status.phrase.replace(" ", ""), "Refused by the emulator's FaultPlan."
            )
        host = request.headers.get("Host", "")
        try:
            pairs = verify_presigned_request(
                method="GET",
                path=parts.path,
                raw_query=parts.query,
                host=host,
                credentials=self.credentials,
                region=self.region,
                now=self.clock(),
            )
        except SignatureRejected as rejected:
            _log.info("refused a streaming handshake (403 %s)", rejected.code)
            return self._error_response(connection, 403, rejected.code, rejected.reason)
        query = {name: value for name, value in pairs if not name.startswith("X-Amz-")}
        params: StreamParameters | None = None
        error: str | None = None
        try:
            params = parse_stream_parameters(pairs)
        except ParameterError as problem:
            error = str(problem)
        if (
            params is not None
            and params.vocabulary_name
            and self.vocabulary_exists is not None
            and not self.vocabulary_exists(params.vocabulary_name)
        ):
            error = "The requested vocabulary couldn't be found. Check the vocabulary name and try your request again."
        session_id = (params.session_id if params is not None else None) or str(uuid.uuid4())
        self._pending[connection] = _Pending(params, error, str(uuid.uuid4()), session_id, query, faults)
        return None

    def _process_response(self, connection: ServerConnection, request: Request, response: Response) -> None:
        pending = self._pending.get(connection)
        if pending is None:
            return
        if response.status_code != 101:  # the upgrade failed after all: no handler will take it
            self._pending.pop(connection, None)
            return
        response.headers["x-amzn-request-id"] = pending.request_id
        response.headers["x-amzn-transcribe-session-id"] = pending.session_id
        for name, value in pending.query.items():
            if name != "session-id":
                response.headers[f"x-amzn-transcribe-{name}"] = value

    # ----------------------------------------------------------------- streams

    async def _send_exception(self, connection: ServerConnection, code: str, message: str) -> None:
        frame = encode_message(
            {":message-type": "exception", ":exception-type": code, ":content-type": "application/json"},
            json.dumps({"Message": message}).encode(),
        )
        with contextlib.suppress(Exception):
            await connection.send(frame)

    async def _refuse(self, connection: ServerConnection, code: str, message: str) -> None:
        await self._send_exception(connection, code, message)
        try:
            # A client that fails the stream on this frame may abort without a close frame; with
            # reading paused (unread audio queued) the server would not see it go, so do not wait long.
            async with asyncio.timeout(_REFUSE_CLOSE_TIMEOUT_S):
                await connection.close(1000)
        except TimeoutError:
            connection.transport.abort()
        except Exception:  # noqa: S110  (the connection is gone either way)
            pass

    async def _handle(self, connection: ServerConnection) -> None:
        from websockets.exceptions import ConnectionClosed

        pending = self._pending.pop(connection, None)
        _limit_socket_buffers(connection)
        if pending is None:  # pragma: no cover - process_request always records one
            await self._refuse(connection, "InternalFailureException", "The emulator lost the request.")
            return
        if pending.params is None or pending.error is not None:
            await self._refuse(connection, "BadRequestException", pending.error or "Bad request.")
            return
        with self._lock:
            if self._active >= self.max_concurrent_streams:
                full = True
            else:
                full = False
                self._active += 1
                self.streams_served += 1
        if full:
            await self._refuse(
                connection,
                "LimitExceededException",
                f"You have reached your limit of concurrent streams, {self.max_concurrent_streams}. "
                "Reduce the number of streams sending audio, or ask for a higher quota, then try again.",
            )
            return
        previous = self._sessions.get(pending.session_id)
        self._sessions[pending.session_id] = connection
        if previous is not None:
            await self._refuse(
                previous, "ConflictException", "A new stream started with the same session id; this stream has ended."
            )
        try:
            await self._serve_stream(connection, pending.params, pending.faults)
        except _Refusal as refusal:
            await self._refuse(connection, refusal.code, refusal.message)
        except ConnectionClosed:
            # The client went away (or a fault dropped it) while results were being sent.
            _log.info("a stream's connection closed while results were being sent")
        except Exception:
            _log.exception("the emulator failed a stream")
            await self._refuse(connection, "InternalFailureException", "The emulator failed to process the stream.")
        finally:
            if self._sessions.get(pending.session_id) is connection:
                del self._sessions[pending.session_id]
            with self._lock:
                self._active -= 1

    async def _serve_stream(
        self, connection: ServerConnection, params: StreamParameters, faults: FaultPlan | None
    ) -> None:
        loop = asyncio.get_running_loop()
        if faults is not None and faults.drop_after_seconds is not None:
            loop.call_later(faults.drop_after_seconds, connection.transport.abort)
        if faults is not None and faults.exception and faults.exception_after_frames <= 0:
            raise _Refusal(faults.exception, faults.exception_message)
        if params.media_encoding is not MediaEncoding.PCM and not soundfile_available():
            raise _Refusal(
                "BadRequestException",
                f"The local emulator decodes {params.media_encoding.value} with the soundfile package, which "
                "is not installed: pip install 'transcribe-medical[local]', or send pcm audio.",
            )
        recognizer = self._get_recognizer()
        vocabulary = None
        if params.vocabulary_name and self.vocabulary_loader is not None:
            vocabulary = await loop.run_in_executor(self._executor, self.vocabulary_loader, params.vocabulary_name)
        recognition = await loop.run_in_executor(self._executor, _StreamRecognition, params, recognizer, vocabulary)
        pipeline = _StreamPipeline(self, connection, params, faults, recognition)
        try:
            await pipeline.run()
        finally:
            # Under the stream's lock: a block still being recognized finishes before the close.
            await loop.run_in_executor(self._executor, recognition.close_when_idle)

    async def _apply_faults(
        self,
        connection: ServerConnection,
        faults: FaultPlan,
        frames: int,
        audio_seconds: float,
        silence: Callable[[], None],
    ) -> None:
        by_time = faults.drop_after_audio_seconds is not None and audio_seconds >= faults.drop_after_audio_seconds
        by_frames = faults.drop_after_frames is not None and frames >= faults.drop_after_frames
        if by_time or by_frames:
            connection.transport.abort()
            await connection.wait_closed()
        if faults.exception and frames >= faults.exception_after_frames:
            raise _Refusal(faults.exception, faults.exception_message)
        if faults.stall_after_frames is not None and frames >= faults.stall_after_frames:
            # Answer nothing more, but keep reading (and dropping) so that a client giving up is
            # noticed: with reading paused the server would wait for it until its close timeout.
            silence()
            with contextlib.suppress(Exception):
                async for _ in connection:
                    pass
            await connection.wait_closed()

    @staticmethod
    def _audio_payload(data: bytes) -> bytes:
        decoder = EventStreamDecoder(max_message_size=_MAX_FRAME)
        try:
            messages = decoder.feed(data)
            decoder.close()
        except ProtocolError as error:
            raise _Refusal("BadRequestException", f"Could not decode the event-stream message: {error}") from None
        if len(messages) != 1:
            raise _Refusal(
                "BadRequestException",
                f"Each WebSocket message must hold exactly one event-stream message, not {len(messages)}.",
            )
        message = messages[0]
        message_type = message.headers.get(":message-type")
        event_type = message.headers.get(":event-type")
        if message_type != "event" or event_type != "AudioEvent":
            raise _Refusal(
                "BadRequestException",
                f"Unexpected message (:message-type={message_type!r}, :event-type={event_type!r}): "
                "the client may send only AudioEvent events.",
            )
        if len(message.payload) > _limits.AUDIO_EVENT_MAX_PAYLOAD:
            raise _Refusal(
                "BadRequestException",
                f"The AudioEvent payload is {len(message.payload)} bytes; the maximum is "
                f"{_limits.AUDIO_EVENT_MAX_PAYLOAD} bytes. Send smaller chunks of audio.",
            )
        return bytes(message.payload)


class _Outbox:
    """The events of one stream waiting to be sent.

    Recognition never waits for the client to read: it appends here and goes on. A partial
    result replaces an unsent older version of itself, and a final one replaces its unsent
    partials, so a client that reads slowly gets fewer, newer partials instead of a backlog
    (which, with a client that stops reading while its own send is blocked, would deadlock both).
    """

    def __init__(self) -> None:
        self._items: list[_Outgoing] = []
        self._changed = asyncio.Event()
        self._closed = False

    def extend(self, events: list[_Outgoing]) -> None:
        for event in events:
            self._items = [item for item in self._items if not (item.is_partial and item.result_id == event.result_id)]
            self._items.append(event)
        if events:
            self._changed.set()

    def close(self) -> None:
        """No more events will come."""
        self._closed = True
        self._changed.set()

    async def take(self) -> list[_Outgoing] | None:
        """Everything pending (waiting for something); ``None`` once closed and empty."""
        while not self._items:
            if self._closed:
                return None
            self._changed.clear()
            await self._changed.wait()
        items, self._items = self._items, []
        return items


_END: Final = object()


class _StreamPipeline:
    """One stream's three tasks: read audio, recognize it, send the results.

    The reader puts audio into a bounded queue; when recognition falls behind, the queue fills,
    the reader stops reading the socket (until the queue is down to a quarter) and TCP flow
    control slows the client's sends (push-back, not silence). Recognition takes the audio in
    blocks of at most ``_BLOCK_S`` seconds, one executor call per block, so streams take turns on
    the CPU (pocketsphinx holds the GIL while it decodes a block) and results are sent while later
    audio is still queued.
    """

    def __init__(
        self,
        server: StreamingServer,
        connection: ServerConnection,
        params: StreamParameters,
        faults: FaultPlan | None,
        recognition: _StreamRecognition,
    ) -> None:
        self._server = server
        self._connection = connection
        self._params = params
        self._faults = faults
        self._recognition = recognition
        self._queue: asyncio.Queue[object] = asyncio.Queue()
        self._queued_bytes = 0
        self._outbox = _Outbox()
        self._drained = asyncio.Event()
        self._silenced = False
        frame = 2 * params.number_of_channels
        block = int(params.sample_rate * _BLOCK_S) * frame
        self._block_bytes = block if params.media_encoding is MediaEncoding.PCM else _MAX_FRAME

    async def run(self) -> None:
        """Serve the stream to its end; raises :class:`_Refusal` or ``ConnectionClosed``."""
        reader = asyncio.create_task(self._read())
        worker = asyncio.create_task(self._recognize())
        sender = asyncio.create_task(self._send())
        tasks = {reader, worker, sender}
        try:
            while tasks:
                done, tasks = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    error = task.exception()
                    if error is not None:
                        raise error
                if reader in done and reader.result() is False:
                    return  # the client went away
                if sender in done:
                    break  # the final results are sent
            await self._connection.close(1000)
        finally:
            for task in (reader, worker, sender):
                task.cancel()
            await asyncio.gather(reader, worker, sender, return_exceptions=True)

    async def _read(self) -> bool:
        """Queue the audio; ``True`` at the end of the audio, ``False`` if the connection closed."""
        from websockets.exceptions import ConnectionClosed

        server, connection, faults = self._server, self._connection, self._faults
        loop = asyncio.get_running_loop()
        started = loop.time()
        frames = 0
        audio_bytes = 0
        # Stream time of PCM audio; other encodings never reach drop_after_audio_seconds.
        is_pcm = self._params.media_encoding is MediaEncoding.PCM
        channels = self._params.number_of_channels
        bytes_per_second = self._params.sample_rate * channels * 2 if is_pcm else float("inf")
        while True:
            remaining = server.max_stream_seconds - (loop.time() - started)
            if remaining <= 0:
                raise _Refusal(
                    "LimitExceededException",
                    f"Your stream is too long. The maximum stream length is {server.max_stream_seconds:g} seconds.",
                )
            try:
                data = await asyncio.wait_for(connection.recv(), timeout=min(server.idle_timeout, remaining))
            except TimeoutError:
                if server.max_stream_seconds - (loop.time() - started) <= 0:
                    continue
                raise _Refusal("BadRequestException", IDLE_MESSAGE.format(seconds=server.idle_timeout)) from None
            except ConnectionClosed:
                return False
            if isinstance(data, str):
                raise _Refusal(
                    "BadRequestException",
                    "Text WebSocket messages are not supported: send event-stream messages as binary messages.",
                )
            audio = server._audio_payload(data)
            frames += 1
            audio_bytes += len(audio)
            if faults is not None:
                await server._apply_faults(connection, faults, frames, audio_bytes / bytes_per_second, self._silence)
            if not audio:
                await self._queue.put(_END)
                return True
            self._queue.put_nowait(audio)
            self._queued_bytes += len(audio)
            server._note_queue_depth(self._queued_bytes)
            if self._queued_bytes >= server.audio_queue_bytes:
                await self._wait_for_room()

    async def _wait_for_room(self) -> None:
        # Hysteresis: stay off the socket until recognition has worked the queue down to a quarter.
        # Resuming at the first free slot would keep the client's send blocked almost all the
        # time, and a client whose send holds its connection's lock (websockets' sync client)
        # then hardly ever reads: its own keepalive pings time out.
        low_water = self._server.audio_queue_bytes // 4
        while self._queued_bytes > low_water:
            self._drained.clear()
            await self._drained.wait()

    def _silence(self) -> None:
        self._silenced = True

    async def _recognize(self) -> None:
        loop = asyncio.get_running_loop()
        executor = self._server._executor
        while True:
            item = await self._queue.get()
            if isinstance(item, bytes):
                self._queued_bytes -= len(item)
            self._drained.set()
            if item is _END:
                self._outbox.extend(await loop.run_in_executor(executor, self._recognition.finish))
                self._outbox.close()
                return
            assert isinstance(item, bytes)
            for start in range(0, len(item), self._block_bytes):
                block = item[start : start + self._block_bytes]
                self._outbox.extend(await loop.run_in_executor(executor, self._recognition.feed, block))

    async def _send(self) -> None:
        while (events := await self._outbox.take()) is not None:
            for event in events:
                if not self._silenced:
                    await self._connection.send(encode_message(_TRANSCRIPT_HEADERS, event.payload))
