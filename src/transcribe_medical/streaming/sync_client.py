"""The synchronous transport: :class:`StreamConnection` on ``websockets.sync.client``.

It moves bytes between a socket and the sans-I/O :class:`~.protocol.StreamSession`; all meaning
lives in the session. :class:`Transcription` streams an audio source from a sender thread (the
way ``websockets.sync`` itself runs its keep-alive in a thread) while the caller iterates the
events. No asyncio loop is involved.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Self

from transcribe_medical._exceptions import ConnectionError, ProtocolError, TranscribeMedicalError
from transcribe_medical._logging import get_logger
from transcribe_medical._proxy import describe_proxy, proxy_for
from transcribe_medical.models.events import TranscriptEvent
from transcribe_medical.models.stream import StreamConfig
from transcribe_medical.models.transcript import Transcript
from transcribe_medical.streaming import _no_redirects, _transport
from transcribe_medical.streaming._iteration import EventIteration
from transcribe_medical.streaming.protocol import StreamSession, StreamState

if TYPE_CHECKING:
    from websockets.sync.client import ClientConnection

    from transcribe_medical.streaming.audio import AudioSource, Pacer

__all__ = ["StreamConnection", "Transcription", "open_connection"]

_log = get_logger("streaming.sync")


def open_connection(
    url: str,
    config: StreamConfig,
    *,
    verify: bool | str | None = None,
    proxies: Mapping[str, str] | None = None,
    open_timeout: float | None = 10.0,
    read_timeout: float | None = 60.0,
) -> StreamConnection:
    """Open the WebSocket to a presigned ``url`` and start a session.

    Args:
        url: The presigned URL (a secret: it is never logged).
        config: The config the URL was signed for (with its session id).
        verify: TLS verification, as in boto3.
        proxies: Explicit proxies by scheme (botocore's ``Config(proxies=...)``); ``None`` reads
            ``HTTPS_PROXY`` / ``HTTP_PROXY`` / ``NO_PROXY`` (see :mod:`transcribe_medical._proxy`).
        open_timeout: Seconds allowed for TCP, TLS and the WebSocket handshake.
        read_timeout: Seconds to wait for the service to send something before giving up.

    Raises:
        CredentialsError: The handshake was refused with HTTP 403.
        ServiceError: The handshake was refused with another status.
        ConnectionError: The endpoint could not be reached.
        TimeoutError: The handshake did not finish within ``open_timeout``.
    """
    from websockets.sync.client import connect

    endpoint = _transport.describe_endpoint(url)
    proxy = proxy_for(url, proxies)
    # Failures to open name the proxy too: "connection refused" may be the proxy's.
    route = endpoint if proxy is None else f"{endpoint} through the proxy {describe_proxy(proxy)}"
    _log.debug("opening a stream to %s (session %s)", route, config.session_id)
    try:
        # Entered as a context manager: the form every websockets version since 13 supports
        # without a deprecation warning. StreamConnection.close() closes it.
        websocket = connect(
            url,
            ssl=_transport.ssl_context(url, verify),
            proxy=proxy,
            open_timeout=open_timeout,
            logger=_transport.websocket_logger(),
            create_connection=_no_redirects.sync_connection_class(),
            **_transport.CONNECT_OPTIONS,
        ).__enter__()
    except Exception as error:
        translated = _transport.translate_error(error, endpoint=route, timeout=open_timeout)
        assert translated is not None  # only a connected session can end normally
        raise translated from error
    return StreamConnection(websocket, StreamSession(config), endpoint=endpoint, read_timeout=read_timeout)


class StreamConnection:
    """A live streaming session: send audio, end it, iterate the service's events.

    Use it as a context manager; leaving the block closes the connection. Sending and
    iterating may happen in two threads at once (see :class:`Transcription`).

    Example:
        >>> with client.streaming.connect(config) as stream:          # doctest: +SKIP
        ...     for chunk in chunks:
        ...         stream.send_audio(chunk)
        ...     stream.end()
        ...     for event in stream:
        ...         print(len(event.results))
        ...     transcript = stream.transcript
    """

    def __init__(
        self,
        websocket: ClientConnection,
        session: StreamSession,
        *,
        endpoint: str,
        read_timeout: float | None = 60.0,
    ) -> None:
        self._websocket = websocket
        self._session = session
        self._endpoint = endpoint
        self._read_timeout = read_timeout
        # The session is not thread-safe; the sender thread and the reader share it.
        self._lock = threading.Lock()
        self._receiving = False

    def __repr__(self) -> str:
        return f"StreamConnection(endpoint={self._endpoint!r}, session={self._session!r})"

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @property
    def session(self) -> StreamSession:
        """The sans-I/O session (state, counters)."""
        return self._session

    @property
    def session_id(self) -> str:
        """The session id sent to the service."""
        return self._session.session_id

    @property
    def state(self) -> StreamState:
        """Where the session is: streaming, ending, done or failed."""
        return self._session.state

    @property
    def transcript(self) -> Transcript:
        """The transcript of the final results received so far."""
        with self._lock:
            return self._session.transcript

    def send_audio(self, data: bytes | bytearray | memoryview) -> None:
        """Send audio (any length; cut into AudioEvents of at most 32 KiB).

        Blocks while the socket cannot take more (back-pressure).

        Raises:
            ServiceError: The service had already refused the stream (found while sending).
            ConnectionError: The connection closed.
        """
        with self._lock:
            try:
                frames = self._session.send_audio(data)
            except TranscribeMedicalError as refused:  # the stream had failed: say why, with its finals
                refused.transcript = self._session.transcript
                raise
        for frame in frames:
            self._send(frame)

    def end(self) -> None:
        """Send the empty AudioEvent: no more audio. Then iterate to receive the last results."""
        with self._lock:
            frame = self._session.end()
        self._send(frame)

    def _send(self, frame: bytes) -> None:
        try:
            self._websocket.send(frame)
        except Exception as error:
            failure = self._send_failure(error)
            failure.transcript = self.transcript
            raise failure from error

    def _send_failure(self, error: Exception) -> TranscribeMedicalError:
        with self._lock:
            translated = _transport.translate_error(error, endpoint=self._endpoint, session=self._session, sending=True)
        assert translated is not None
        if isinstance(translated, ConnectionError) and not self._receiving:
            # Nobody is reading: the reason the service closed is likely waiting in the
            # receive queue (an exception frame). Find it, so the caller sees the real cause.
            reason = self._drain_for_error()
            if reason is not None:
                return reason
        return translated

    def _drain_for_error(self) -> TranscribeMedicalError | None:
        try:
            while True:
                message = self._websocket.recv(timeout=0)
                if isinstance(message, bytes):
                    with self._lock:
                        self._session.receive_frame(message)
        except TranscribeMedicalError as error:
            return error
        except Exception:  # the queue is empty or the connection is gone: no better reason
            return None

    def __iter__(self) -> Iterator[TranscriptEvent]:
        return self.events()

    def events(self) -> Iterator[TranscriptEvent]:
        """Yield the service's TranscriptEvents until it closes the stream.

        The iteration ends normally after :meth:`end` once the service has sent its last results.

        Raises:
            ServiceError: The service sent an exception frame (the matching subclass).
            CredentialsError: The service refused the credentials mid-stream.
            ConnectionError: The connection was lost or closed early.
            ProtocolError: The service sent malformed data.
            TimeoutError: Nothing arrived within the read timeout.
        """
        self._receiving = True
        try:
            while True:
                try:
                    message = self._websocket.recv(timeout=self._read_timeout)
                except Exception as error:
                    with self._lock:
                        translated = _transport.translate_error(
                            error, endpoint=self._endpoint, session=self._session, timeout=self._read_timeout
                        )
                    if translated is None:
                        _log.debug(
                            "stream %s done: %d audio bytes sent, %d events received",
                            self.session_id,
                            self._session.audio_bytes_sent,
                            self._session.events_received,
                        )
                        return
                    self._fail(translated)
                    translated.transcript = self.transcript
                    raise translated from error
                if isinstance(message, str):
                    text_error = ProtocolError("the service sent a text WebSocket message; expected binary frames")
                    self._fail(text_error)
                    text_error.transcript = self.transcript
                    raise text_error
                try:
                    with self._lock:
                        events = self._session.receive_frame(message)
                except TranscribeMedicalError as refused:
                    self.close()
                    refused.transcript = self.transcript
                    raise
                yield from events
        finally:
            self._receiving = False

    def _fail(self, error: TranscribeMedicalError) -> None:
        with self._lock:
            self._session.fail(error)
        self.close()

    def close(self) -> None:
        """Close the connection (without waiting for results). Safe to call more than once.

        A failed stream is closed abruptly: the service has ended it already, and may have
        stopped reading, which would leave a graceful close waiting behind a blocked send.
        """
        if self._session.state is StreamState.FAILED:
            self._abort()
        try:
            self._websocket.close()
        except Exception as error:  # closing must not raise; the socket is gone either way
            _log.debug("closing the stream: %s", type(error).__name__)

    def _abort(self) -> None:
        with contextlib.suppress(OSError):  # already closed
            self._websocket.socket.shutdown(socket.SHUT_RDWR)


class Transcription(EventIteration):
    """A stream fed from an audio source by a sender thread, iterated for its events.

    Returned by :meth:`StreamingClient.transcribe <transcribe_medical.streaming.client.StreamingClient.transcribe>`.
    The sender paces the audio in real time (unless told not to), ends the stream with the empty
    AudioEvent, and the iteration stops after the service's last results.

    Example:
        >>> with client.streaming.transcribe("visit.wav", config) as events:   # doctest: +SKIP
        ...     for event in events:
        ...         ...
        ...     transcript = events.transcript
    """

    def __init__(
        self,
        connection: StreamConnection,
        source: AudioSource,
        pacer: Pacer,
        *,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], object] | None = None,
    ) -> None:
        self._connection = connection
        self._source = source
        self._pacer = pacer
        self._clock = clock or time.monotonic
        self._wake = threading.Event()
        self._sleep = sleep or self._wake.wait
        self._stopping = False
        self._audio_done = False
        self._source_error: BaseException | None = None
        self._events = connection.events()
        self._thread = threading.Thread(target=self._send_all, name="transcribe-medical-sender", daemon=True)
        self._thread.start()

    def __repr__(self) -> str:
        return f"Transcription(session={self._connection.session!r})"

    def _join_sender(self) -> None:
        self._thread.join()

    @property
    def session_id(self) -> str:
        """The session id sent to the service."""
        return self._connection.session_id

    @property
    def transcript(self) -> Transcript:
        """The transcript of the final results received so far."""
        return self._connection.transcript

    def finish_audio(self) -> None:
        """Stop reading the source, end the stream, and keep receiving the last results.

        Safe from any thread (e.g. a Ctrl-C handler).
        """
        self._audio_done = True
        self._wake.set()

    def close(self) -> None:
        """Stop sending, close the connection and wait for the sender thread."""
        self._stop()

    def _stop(self) -> None:
        self._stopping = True
        self._wake.set()
        self._connection.close()
        if self._thread is not threading.current_thread():
            self._thread.join()

    def _send_all(self) -> None:
        try:
            chunks = iter(self._source.chunks())
        except BaseException as error:
            self._source_failed(error)
            return
        try:
            while not (self._stopping or self._audio_done):
                try:
                    chunk = next(chunks)
                except StopIteration:
                    break
                except BaseException as error:
                    self._source_failed(error)
                    return
                delay = self._pacer.delay_for(len(chunk), self._clock())
                if delay > 0:
                    self._sleep(delay)
                    if self._stopping:
                        return
                self._connection.send_audio(chunk)
            if not self._stopping:
                self._connection.end()
        except BaseException as error:
            # A send failed: the receiving side reports why (exception frame, closed socket).
            _log.debug("the sender stopped: %s", type(error).__name__)
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()

    def _source_failed(self, error: BaseException) -> None:
        if not self._stopping:
            self._source_error = error
            _log.debug("the audio source failed: %s", type(error).__name__)
            self._connection.close()
