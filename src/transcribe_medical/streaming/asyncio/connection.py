"""The asyncio transport: :class:`AsyncStreamConnection` on ``websockets.asyncio.client``.

One WebSocket connection = one service session, with the sans-I/O
:class:`~transcribe_medical.streaming.protocol.StreamSession` inside: bytes in and out here, their
meaning there. The stream that spans connections (reconnects, keep-alive, pacing) is
:mod:`.stream`'s job. The twin of :mod:`transcribe_medical.streaming.sync.connection`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Self

from transcribe_medical._exceptions import ConnectionError, ProtocolError, TimeoutError, TranscribeMedicalError
from transcribe_medical._logging import get_logger
from transcribe_medical.models.events import TranscriptEvent
from transcribe_medical.models.stream import StreamConfig
from transcribe_medical.models.transcript import Transcript
from transcribe_medical.streaming import _no_redirects, _transport
from transcribe_medical.streaming.protocol import StreamSession, StreamState

if TYPE_CHECKING:
    from websockets.asyncio.client import ClientConnection

__all__ = ["AsyncStreamConnection", "open_connection"]

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
    assemble: bool = True,
) -> AsyncStreamConnection:
    """Open the WebSocket to a presigned ``url`` and start a session (asyncio).

    Args:
        url: The presigned URL (a secret: it is never logged).
        config: The config the URL was signed for (with its session id).
        verify: TLS verification, as in boto3.
        proxies: Explicit proxies by scheme (botocore's ``Config(proxies=...)``); ``None`` reads
            ``HTTPS_PROXY`` / ``HTTP_PROXY`` / ``NO_PROXY`` (see :mod:`transcribe_medical._proxy`).
        open_timeout: Seconds allowed for TCP, TLS and the WebSocket handshake.
        read_timeout: Seconds to wait for the service to send something before giving up
            (``None``: the caller watches :attr:`AsyncStreamConnection.last_received` and calls
            :meth:`AsyncStreamConnection.expire`, as the stream driver does).
        assemble: Whether the connection's session assembles a transcript (``False`` when the
            stream's :class:`~transcribe_medical.streaming.reconnect.ResilientSession` holds it).

    Raises:
        CredentialsError: The handshake was refused with HTTP 403.
        ServiceError: The handshake was refused with another status.
        ConnectionError: The endpoint could not be reached.
        TimeoutError: The handshake did not finish within ``open_timeout``.
    """
    from websockets.asyncio.client import connect

    route = _transport.route_to(url, proxies)
    _log.debug("opening a stream to %s (session %s)", route.described, config.session_id)
    try:
        websocket = await connect(
            url,
            ssl=_transport.ssl_context(url, verify),
            proxy=route.proxy,
            open_timeout=open_timeout,
            logger=_transport.websocket_logger(),
            create_connection=_no_redirects.async_connection_class(),
            **_transport.CONNECT_OPTIONS,
        )
    except Exception as error:
        raise _transport.open_failure(error, route=route, timeout=open_timeout) from error
    session = StreamSession(config, assemble=assemble)
    return AsyncStreamConnection(websocket, session, endpoint=route.endpoint, read_timeout=read_timeout)


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
        self.last_received = time.monotonic()

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

    last_received: float
    """:func:`time.monotonic` when the last message arrived (or :meth:`events` began waiting)."""

    @property
    def receiving(self) -> bool:
        """Whether :meth:`events` is being iterated (a read deadline applies only then)."""
        return self._receiving

    def expire(self, waited: float) -> None:
        """Fail the session with :class:`~transcribe_medical.TimeoutError` and drop the connection.

        For a driver that watches the read deadline itself (``read_timeout=None``) rather than
        with a timeout per message: :meth:`events` then raises that error.

        Args:
            waited: The seconds waited without a message, for the message.
        """
        self._session.fail(TimeoutError(f"{self._endpoint} did not answer for {waited:g} s"))
        self._websocket.transport.abort()

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
        send = self._websocket.send
        for frame in frames:
            try:  # _send() inlined: one coroutine fewer per chunk on the hot path
                await send(frame)
            except Exception as error:
                failure = await self._send_failure(error)
                failure.transcript = self.transcript
                raise failure from error

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
        self.last_received = time.monotonic()  # the deadline runs from when someone waits
        recv = self._websocket.recv
        try:
            while True:
                try:
                    if self._read_timeout is None:
                        message = await recv()  # the driver watches the deadline (expire())
                    else:
                        async with asyncio.timeout(self._read_timeout):
                            message = await recv()
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
                self.last_received = time.monotonic()
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
