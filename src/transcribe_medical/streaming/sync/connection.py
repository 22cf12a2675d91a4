"""One WebSocket on ``websockets.sync``: :class:`StreamConnection` and :func:`open_connection`.

It moves bytes between a socket and the sans-I/O :class:`~transcribe_medical.streaming.protocol.StreamSession`;
all meaning lives in the session. Sending and receiving run in two threads and never wait for
each other:

* websockets' own thread reads the socket (and answers pings) into its message queue, and the
  thread that iterates :meth:`StreamConnection.events` decodes from there;
* a send first waits, outside every lock, until the socket can take more. ``websockets.sync``
  holds its connection lock while it writes, and its reader needs that lock to process what it
  read: a write that blocked on a peer that stopped reading would stop the events (and the
  pings) with it. Waiting for room first keeps the lock held only for a write that fits. On
  Linux TCP the room is read from the socket's memory counters (``SO_MEMINFO``: one
  ``getsockopt``, which neither waits nor lets other threads run); a poll is made only when
  that room is short, or elsewhere.
"""

from __future__ import annotations

import contextlib
import select
import socket
import struct
import sys
from collections.abc import Callable, Iterator, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Final, Self

from transcribe_medical import _limits
from transcribe_medical._exceptions import ConnectionError, ProtocolError, TranscribeMedicalError
from transcribe_medical._logging import get_logger
from transcribe_medical.models.events import TranscriptEvent
from transcribe_medical.models.stream import StreamConfig
from transcribe_medical.models.transcript import Transcript
from transcribe_medical.streaming import _no_redirects, _transport
from transcribe_medical.streaming.protocol import StreamSession, StreamState

if TYPE_CHECKING:
    from websockets.sync.client import ClientConnection

__all__ = ["StreamConnection", "open_connection"]

_log = get_logger("streaming.sync")

#: How often a send waiting for room checks that the connection is still open (closing the
#: socket from another thread does not wake a poll on it).
_WRITABLE_CHECK_S: Final = 1.0
#: ``SO_MEMINFO`` (Linux >= 4.6, not named by the ``socket`` module): a socket's memory counters.
_SO_MEMINFO: Final = 55
#: Of those counters, the send buffer's size and the bytes queued in it (``SK_MEMINFO_SNDBUF``,
#: ``SK_MEMINFO_WMEM_QUEUED``): a TCP write waits only once the queued bytes reach the size.
_SEND_MEMINFO: Final = struct.Struct("=12xI4xI")
_MEMINFO_SIZE: Final = _SEND_MEMINFO.size
_SOL_SOCKET: Final = socket.SOL_SOCKET
_unpack_meminfo: Final = _SEND_MEMINFO.unpack
#: Room asked for beyond twice the write's size: the kernel's per-buffer overhead, TLS records.
_ROOM_MARGIN: Final = 4096


def open_connection(
    url: str,
    config: StreamConfig,
    *,
    verify: bool | str | None = None,
    proxies: Mapping[str, str] | None = None,
    open_timeout: float | None = 10.0,
    read_timeout: float | None = 60.0,
    assemble: bool = True,
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
        assemble: Build the session's transcript (``False`` when a driver holds the one
            transcript of the stream; the connection's ``transcript`` is then empty).

    Raises:
        CredentialsError: The handshake was refused with HTTP 403.
        ServiceError: The handshake was refused with another status.
        ConnectionError: The endpoint could not be reached.
        TimeoutError: The handshake did not finish within ``open_timeout``.
    """
    from websockets.sync.client import connect

    route = _transport.route_to(url, proxies)
    _log.debug("opening a stream to %s (session %s)", route.described, config.session_id)
    try:
        # Entered as a context manager: the form every websockets version since 13 supports
        # without a deprecation warning. StreamConnection.close() closes it.
        websocket = connect(
            url,
            ssl=_transport.ssl_context(url, verify),
            proxy=route.proxy,
            open_timeout=open_timeout,
            logger=_transport.websocket_logger(),
            create_connection=_no_redirects.sync_connection_class(),
            **_transport.CONNECT_OPTIONS,
        ).__enter__()
    except Exception as error:
        raise _transport.open_failure(error, route=route, timeout=open_timeout) from error
    session = StreamSession(config, assemble=assemble)
    return StreamConnection(websocket, session, endpoint=route.endpoint, read_timeout=read_timeout)


def _meminfo_reader(sock: socket.socket) -> Callable[[int, int, int], bytes] | None:
    """``sock.getsockopt`` where it reads the send buffer's room (``SO_MEMINFO``); ``None`` where unknown.

    Linux TCP only: there a write waits only once the bytes queued reach the send buffer's size,
    both read with one ``getsockopt`` that does not wait and keeps the GIL (a poll releases it:
    with many streams, each release may hand the GIL to another thread). Elsewhere, and for
    other sockets (a Unix socket queues nothing there), callers poll.
    """
    if not sys.platform.startswith("linux"):
        return None
    try:
        if sock.type != socket.SOCK_STREAM or sock.family not in (socket.AF_INET, socket.AF_INET6):
            return None
        sock.getsockopt(_SOL_SOCKET, _SO_MEMINFO, _SEND_MEMINFO.size)
    except (OSError, ValueError, AttributeError):  # no such option (old kernel), or no socket
        return None
    return sock.getsockopt


def _writable_waiter(sock: socket.socket) -> Callable[[float], bool]:
    """A function that waits up to ``timeout`` seconds for ``sock`` to take more data."""
    try:
        fileno = sock.fileno()
    except (OSError, ValueError):  # a wrapper without a descriptor of its own
        fileno = -1
    if fileno < 0:  # closed already: the send reports it

        def closed(timeout: float) -> bool:
            return True

        return closed
    if hasattr(select, "poll"):

        def wait_poll(timeout: float) -> bool:
            # A poll object of its own each time: the sender and the keep-alive thread may wait
            # at once, and one poll object refuses a second concurrent poll().
            poller = select.poll()
            poller.register(fileno, select.POLLOUT)
            # Also true on an error or a hang-up: the write that follows reports it.
            return bool(poller.poll(timeout * 1000))

        return wait_poll

    def wait_select(timeout: float) -> bool:  # Windows: no poll(); select() takes any socket there
        _, writable, failed = select.select([], [fileno], [fileno], timeout)
        return bool(writable or failed)

    return wait_select


class StreamConnection:
    """A streaming session on one WebSocket: send audio, end it, iterate the service's events.

    Use it as a context manager; leaving the block closes the connection. One thread may send
    (:meth:`send_audio`, :meth:`end`) while another iterates (:meth:`events`): the session's
    sending half and receiving half are independent, and a send blocked by a peer that stopped
    reading never stops the events.

    Example:
        >>> with open_connection(url, config) as connection:            # doctest: +SKIP
        ...     connection.send_audio(pcm)
        ...     connection.end()
        ...     for event in connection:
        ...         print(len(event.results))
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
        self._closed = False
        self._poll_writable = _writable_waiter(websocket.socket)
        self._meminfo = _meminfo_reader(websocket.socket)

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
        return self._session.transcript

    def send_audio(self, data: bytes | bytearray | memoryview) -> None:
        """Send audio (any length; cut into AudioEvents of at most 32 KiB).

        Blocks while the socket cannot take more (back-pressure); events keep arriving meanwhile.

        Raises:
            ServiceError: The service had already refused the stream (found while sending).
            ConnectionError: The connection closed.
        """
        self.wait_writable()
        self.write_audio(data)

    def end(self) -> None:
        """Send the empty AudioEvent: no more audio. Then iterate to receive the last results."""
        self._send(self._session.end())

    def wait_writable(self, size: int = _limits.AUDIO_EVENT_MAX_PAYLOAD) -> None:
        """Wait until the socket can take a write of about ``size`` bytes, or the connection is closed.

        Waiting here, outside websockets' lock, is what lets its reader thread go on reading
        while a peer is slow to read what was sent. Where the send buffer's room can be read
        (Linux TCP), a write that fits with room to spare does not poll.

        Args:
            size: The payload about to be written (its frame adds a few bytes).
        """
        meminfo = self._meminfo
        if meminfo is not None:  # inline: this runs once per chunk
            try:
                capacity, queued = _unpack_meminfo(meminfo(_SOL_SOCKET, _SO_MEMINFO, _MEMINFO_SIZE))
                if capacity - queued >= 2 * size + _ROOM_MARGIN:
                    return
            except OSError:  # closed meanwhile: the poll below, or the write, says how
                pass
        while not self._closed and not self._poll_writable(_WRITABLE_CHECK_S):
            if self._websocket.close_code is not None:
                return  # the next send reports how the connection ended

    def write_audio(self, data: bytes | bytearray | memoryview) -> None:
        """Send audio without first waiting for room (the caller called :meth:`wait_writable`).

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
            try:  # _send, inline: this runs once per chunk
                send(frame)
            except Exception as error:
                failure = self._send_failure(error)
                failure.transcript = self.transcript
                raise failure from error

    def _send(self, frame: bytes) -> None:
        try:
            self._websocket.send(frame)
        except Exception as error:
            failure = self._send_failure(error)
            failure.transcript = self.transcript
            raise failure from error

    def _send_failure(self, error: Exception) -> TranscribeMedicalError:
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
                    events = self._session.receive_frame(message)
                except TranscribeMedicalError as refused:
                    self.close()
                    refused.transcript = self.transcript
                    raise
                yield from events
        finally:
            self._receiving = False

    def _fail(self, error: TranscribeMedicalError) -> None:
        self._session.fail(error)
        self.close()

    def close(self) -> None:
        """Close the connection (without waiting for results). Safe to call more than once.

        A failed stream is closed abruptly: the service has ended it already, and may have
        stopped reading, which would leave a graceful close waiting behind a blocked send.
        """
        self._closed = True
        if self._session.state is StreamState.FAILED:
            self._abort()
        try:
            self._websocket.close()
        except Exception as error:  # closing must not raise; the socket is gone either way
            _log.debug("closing the stream: %s", type(error).__name__)

    def abort(self) -> None:
        """Close the connection at once, without a closing handshake (a peer that stopped reading)."""
        self._closed = True
        self._abort()
        with contextlib.suppress(Exception):
            self._websocket.close()

    def _abort(self) -> None:
        with contextlib.suppress(OSError):  # already closed
            self._websocket.socket.shutdown(socket.SHUT_RDWR)
