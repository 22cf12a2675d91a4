"""The asyncio transport: :class:`AsyncStreamConnection` on ``websockets.asyncio.client``.

The twin of :mod:`.sync_client`, with the same sans-I/O :class:`~.protocol.StreamSession` inside.
No threads: :class:`AsyncTranscription` runs the sender as a task next to the caller's
``async for``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Self

from transcribe_medical._exceptions import ConnectionError, ProtocolError, TranscribeMedicalError
from transcribe_medical._logging import get_logger
from transcribe_medical._proxy import describe_proxy, proxy_for
from transcribe_medical.models.events import TranscriptEvent
from transcribe_medical.models.stream import StreamConfig
from transcribe_medical.models.transcript import Transcript
from transcribe_medical.streaming import _no_redirects, _transport
from transcribe_medical.streaming._iteration import AsyncEventIteration
from transcribe_medical.streaming.protocol import StreamSession, StreamState

if TYPE_CHECKING:
    from websockets.asyncio.client import ClientConnection

    from transcribe_medical.streaming.audio import AudioSource, Pacer

__all__ = ["AsyncStreamConnection", "AsyncTranscription", "open_connection"]

_log = get_logger("streaming.asyncio")

# After the connection closed, reading what the service sent before closing cannot block long.
_DRAIN_TIMEOUT_S = 1.0


async def open_connection(
    url: str,
    config: StreamConfig,
    *,
    verify: bool | str | None = None,
    proxies: Mapping[str, str] | None = None,
    open_timeout: float | None = 10.0,
    read_timeout: float | None = 60.0,
) -> AsyncStreamConnection:
    """Open the WebSocket to a presigned ``url`` and start a session (asyncio).

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
    from websockets.asyncio.client import connect

    endpoint = _transport.describe_endpoint(url)
    proxy = proxy_for(url, proxies)
    # Failures to open name the proxy too: "connection refused" may be the proxy's.
    route = endpoint if proxy is None else f"{endpoint} through the proxy {describe_proxy(proxy)}"
    _log.debug("opening a stream to %s (session %s)", route, config.session_id)
    try:
        websocket = await connect(
            url,
            ssl=_transport.ssl_context(url, verify),
            proxy=proxy,
            open_timeout=open_timeout,
            logger=_transport.websocket_logger(),
            create_connection=_no_redirects.async_connection_class(),
            **_transport.CONNECT_OPTIONS,
        )
    except Exception as error:
        translated = _transport.translate_error(error, endpoint=route, timeout=open_timeout)
        assert translated is not None  # only a connected session can end normally
        raise translated from error
    return AsyncStreamConnection(websocket, StreamSession(config), endpoint=endpoint, read_timeout=read_timeout)


class AsyncStreamConnection:
    """A live streaming session (asyncio): send audio, end it, ``async for`` the events.

    Example:
        >>> async with client.streaming.connect(config) as stream:     # doctest: +SKIP
        ...     await stream.send_audio(chunk)
        ...     await stream.end()
        ...     async for event in stream:
        ...         ...
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
        self._receiving = False

    def __repr__(self) -> str:
        return f"AsyncStreamConnection(endpoint={self._endpoint!r}, session={self._session!r})"

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

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
        return self._session.transcript

    async def send_audio(self, data: bytes | bytearray | memoryview) -> None:
        """Send audio (any length; cut into AudioEvents of at most 32 KiB).

        Waits while the socket's write buffer is full (back-pressure).

        Raises:
            ServiceError: The service had already refused the stream (found while sending).
            ConnectionError: The connection closed.
        """
        try:
            frames = self._session.send_audio(data)
        except TranscribeMedicalError as refused:  # the stream had failed: say why, with its finals
            refused.transcript = self._session.transcript
            raise
        for frame in frames:
            await self._send(frame)

    async def end(self) -> None:
        """Send the empty AudioEvent: no more audio. Then iterate to receive the last results."""
        await self._send(self._session.end())

    async def _send(self, frame: bytes) -> None:
        try:
            await self._websocket.send(frame)
        except Exception as error:
            failure = await self._send_failure(error)
            failure.transcript = self.transcript
            raise failure from error

    async def _send_failure(self, error: Exception) -> TranscribeMedicalError:
        translated = _transport.translate_error(error, endpoint=self._endpoint, session=self._session, sending=True)
        assert translated is not None
        if isinstance(translated, ConnectionError) and not self._receiving:
            # Nobody is reading: the reason the service closed is likely waiting in the
            # receive queue (an exception frame). Find it, so the caller sees the real cause.
            reason = await self._drain_for_error()
            if reason is not None:
                return reason
        return translated

    async def _drain_for_error(self) -> TranscribeMedicalError | None:
        try:
            async with asyncio.timeout(_DRAIN_TIMEOUT_S):
                while True:
                    message = await self._websocket.recv()
                    if isinstance(message, bytes):
                        self._session.receive_frame(message)
        except TranscribeMedicalError as error:
            return error
        except Exception:  # the queue is empty or the connection is gone: no better reason
            return None

    def __aiter__(self) -> AsyncIterator[TranscriptEvent]:
        return self.events()

    async def events(self) -> AsyncIterator[TranscriptEvent]:
        """Yield the service's TranscriptEvents until it closes the stream.

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
                    async with asyncio.timeout(self._read_timeout):
                        message = await self._websocket.recv()
                except Exception as error:
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
                    await self._fail(translated)
                    translated.transcript = self.transcript
                    raise translated from error
                if isinstance(message, str):
                    text_error = ProtocolError("the service sent a text WebSocket message; expected binary frames")
                    await self._fail(text_error)
                    text_error.transcript = self.transcript
                    raise text_error
                try:
                    events = self._session.receive_frame(message)
                except TranscribeMedicalError as refused:
                    await self.close()
                    refused.transcript = self.transcript
                    raise
                for event in events:
                    yield event
        finally:
            self._receiving = False

    async def _fail(self, error: TranscribeMedicalError) -> None:
        self._session.fail(error)
        await self.close()

    async def close(self) -> None:
        """Close the connection (without waiting for results). Safe to call more than once.

        A failed stream is closed abruptly: the service has ended it already, and may have
        stopped reading, which would leave a graceful close waiting behind a full write buffer.
        """
        if self._session.state is StreamState.FAILED:
            self._websocket.transport.abort()
        try:
            await self._websocket.close()
        except Exception as error:  # closing must not raise; the socket is gone either way
            _log.debug("closing the stream: %s", type(error).__name__)


class AsyncTranscription(AsyncEventIteration):
    """A stream fed from an audio source by a sender task, iterated with ``async for``.

    Returned by :meth:`AsyncStreamingClient.transcribe
    <transcribe_medical.streaming.client.AsyncStreamingClient.transcribe>`. It connects on
    ``async with`` or on the first ``async for`` step.

    Example:
        >>> async with client.streaming.transcribe("visit.wav", config) as events:   # doctest: +SKIP
        ...     async for event in events:
        ...         ...
        ...     transcript = events.transcript
    """

    def __init__(
        self,
        opener: Callable[[], Awaitable[tuple[AsyncStreamConnection, AudioSource, Pacer]]],
        *,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], Awaitable[object]] | None = None,
    ) -> None:
        self._opener = opener
        self._clock = clock
        self._sleep = sleep or asyncio.sleep
        self._connection: AsyncStreamConnection | None = None
        self._events: AsyncIterator[TranscriptEvent] | None = None
        self._sender: asyncio.Task[None] | None = None
        self._source_error: BaseException | None = None
        self._audio_done = asyncio.Event()

    def __repr__(self) -> str:
        session = self._connection.session if self._connection is not None else None
        return f"AsyncTranscription(session={session!r})"

    async def _join_sender(self) -> None:
        if self._sender is not None:
            await self._sender

    @property
    def session_id(self) -> str | None:
        """The session id sent to the service (``None`` before connecting)."""
        return self._connection.session_id if self._connection is not None else None

    @property
    def transcript(self) -> Transcript:
        """The transcript of the final results received so far."""
        if self._connection is None:
            return Transcript(source="streaming")
        return self._connection.transcript

    def finish_audio(self) -> None:
        """Stop reading the source, end the stream, and keep receiving the last results."""
        self._audio_done.set()

    async def aclose(self) -> None:
        """Stop sending, close the connection and wait for the sender task."""
        await self._stop()

    async def _start(self) -> AsyncIterator[TranscriptEvent]:
        if self._events is None:
            connection, source, pacer = await self._opener()
            self._connection = connection
            self._events = connection.events()
            self._sender = asyncio.create_task(self._send_all(connection, source, pacer))
        return self._events

    async def _stop(self) -> None:
        if self._sender is not None and not self._sender.done():
            self._sender.cancel()
        if self._connection is not None:
            await self._connection.close()
        if self._sender is not None:
            await asyncio.gather(self._sender, return_exceptions=True)

    async def _send_all(self, connection: AsyncStreamConnection, source: AudioSource, pacer: Pacer) -> None:
        clock = self._clock or asyncio.get_running_loop().time
        try:
            chunks = aiter(source.achunks())
        except Exception as error:
            await self._source_failed(connection, error)
            return
        try:
            while not self._audio_done.is_set():
                try:
                    chunk = await anext(chunks)
                except StopAsyncIteration:
                    break
                except Exception as error:
                    await self._source_failed(connection, error)
                    return
                delay = pacer.delay_for(len(chunk), clock())
                if delay > 0:
                    await self._sleep(delay)
                await connection.send_audio(chunk)
            await connection.end()
        except Exception as error:
            # A send failed: the receiving side reports why (exception frame, closed socket).
            _log.debug("the sender stopped: %s", type(error).__name__)
        finally:
            aclose = getattr(chunks, "aclose", None)
            if aclose is not None:
                try:
                    await aclose()
                except Exception as error:
                    _log.debug("closing the audio source: %s", type(error).__name__)

    async def _source_failed(self, connection: AsyncStreamConnection, error: Exception) -> None:
        self._source_error = error
        _log.debug("the audio source failed: %s", type(error).__name__)
        await connection.close()
