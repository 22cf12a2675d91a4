"""The sync HTTP/2 driver: a socket, a reader thread, and the shared :class:`H2Core`.

As ``websockets.sync`` does, a background thread reads the socket so that received DATA is
acknowledged and window updates arrive while the caller is busy sending audio; no asyncio loop
is involved. One lock guards the ``h2`` state and socket writes.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Mapping

from transcribe_medical._exceptions import TimeoutError, TranscribeMedicalError
from transcribe_medical.eventstream import Message
from transcribe_medical.scribe.streaming.endpoint import SCRIBE_STREAM_PATH, ScribeEndpoint
from transcribe_medical.scribe.streaming.errors import translate_error
from transcribe_medical.scribe.streaming.h2_core import H2Core
from transcribe_medical.scribe.streaming.proxy_tunnel import MAX_RESPONSE_HEAD, check_connect_response, proxy_target
from transcribe_medical.scribe.streaming.tls import check_alpn, tls_context

__all__ = ["SyncH2Stream"]

_READ_SIZE = 65536


def _read_head(sock: socket.socket) -> bytes:
    # Byte by byte: nothing after the proxy's answer may be consumed (TLS or HTTP/2 follow).
    head = bytearray()
    while not head.endswith(b"\r\n\r\n") and len(head) < MAX_RESPONSE_HEAD:
        byte = sock.recv(1)
        if not byte:
            break
        head += byte
    return bytes(head)


class SyncH2Stream:
    """One HTTP/2 request stream over a blocking socket.

    Build it with :meth:`open`; then :meth:`send` body bytes, :meth:`end_request`, and take
    messages with :meth:`next_message` until it returns ``None``.
    """

    def __init__(self, sock: socket.socket, core: H2Core, endpoint: ScribeEndpoint, read_timeout: float | None) -> None:
        """Wrap a connected socket (use :meth:`open`)."""
        self._sock = sock
        self._core = core
        self._endpoint = endpoint
        self._read_timeout = read_timeout
        self._cond = threading.Condition()
        self._closed = False
        self._reader = threading.Thread(target=self._read_loop, name="transcribe-medical-h2-reader", daemon=True)

    @classmethod
    def open(
        cls,
        endpoint: ScribeEndpoint,
        headers: Mapping[str, str],
        *,
        verify: bool | str | None = None,
        connect_timeout: float | None = 10.0,
        read_timeout: float | None = 60.0,
        method: str = "POST",
        path: str = SCRIBE_STREAM_PATH,
        event_stream: bool = True,
        proxies: Mapping[str, str] | None = None,
    ) -> SyncH2Stream:
        """Connect, negotiate HTTP/2, send the request headers and wait for the response status.

        Raises:
            CredentialsError: The request was refused with 403.
            ServiceError: Refused with another status.
            ConnectionError: Unreachable, TLS failed, or the peer does not speak HTTP/2.
            TimeoutError: Connecting or the response took longer than the timeouts.
        """
        context = tls_context(endpoint, verify)
        proxy = proxy_target(endpoint.url, proxies)
        sock: socket.socket | None = None
        try:
            if proxy is None:
                sock = socket.create_connection((endpoint.host, endpoint.port), timeout=connect_timeout)
            else:
                sock = socket.create_connection((proxy.host, proxy.port), timeout=connect_timeout)
                sock.sendall(proxy.connect_request(endpoint.host, endpoint.port))
                check_connect_response(_read_head(sock), proxy, str(endpoint))
            if context is not None:
                sock = context.wrap_socket(sock, server_hostname=endpoint.host)
                check_alpn(sock.selected_alpn_protocol(), endpoint)
            sock.settimeout(None)  # the reader thread blocks; waits on the condition carry the timeouts
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            core = H2Core(endpoint, headers, method=method, path=path, event_stream=event_stream)
            sock.sendall(core.outgoing())
        except BaseException as error:
            if sock is not None:
                sock.close()
            if isinstance(error, KeyboardInterrupt | SystemExit):
                raise
            raise translate_error(error, endpoint=str(endpoint), timeout=connect_timeout) from None
        stream = cls(sock, core, endpoint, read_timeout)
        stream._reader.start()
        try:
            stream._wait(lambda: core.status is not None or core.finished, connect_timeout or read_timeout)
            if core.error is not None:
                raise core.error
            if core.status != 200:
                # A refusal's body follows its headers: wait for the end to read the service's words.
                stream._wait(lambda: core.finished, read_timeout)
                raise core.error or translate_error(OSError("refused"), endpoint=str(endpoint))
        except BaseException:
            stream.close()
            raise
        return stream

    @property
    def response_headers(self) -> Mapping[str, str]:
        """The response headers (lower-case names)."""
        return self._core.response_headers

    def _wait(self, ready: Callable[[], object], timeout: float | None) -> None:
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while not ready():
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    raise TimeoutError(f"{self._endpoint} did not answer for {timeout:g} s")
                self._cond.wait(remaining)

    def _flush(self) -> None:
        # Called with the lock held: writes stay in the order h2 produced them.
        data = self._core.outgoing()
        if data:
            self._sock.sendall(data)

    def _read_loop(self) -> None:
        try:
            while True:
                data = self._sock.recv(_READ_SIZE)
                with self._cond:
                    if not data:
                        self._core.connection_lost()
                        return
                    try:
                        self._core.receive(data)
                    except TranscribeMedicalError:
                        return  # recorded in core.error
                    self._flush()
                    self._cond.notify_all()
        except OSError as error:
            with self._cond:
                # After the stream's own end, a reset connection lost nothing (peers often close hard).
                if not self._closed and not self._core.finished:
                    self._core.fail(translate_error(error, endpoint=str(self._endpoint)))
        finally:
            with self._cond:
                self._core.finished = True
                self._cond.notify_all()

    def send(self, data: bytes) -> None:
        """Send request body bytes, waiting for the peer's flow-control window as needed.

        Raises:
            TranscribeMedicalError: The stream failed (the recorded error), or the window stayed
                shut longer than the read timeout (TimeoutError).
        """
        view = memoryview(data)
        while view:
            self._wait(self._core.send_ready, self._read_timeout)
            with self._cond:
                if self._core.error is not None or self._core.finished or self._core.send_window() == 0:
                    self._core.check_sendable()
                    continue  # woken, but the window is still shut
                try:
                    taken = self._core.write(view)
                    self._flush()
                except OSError as error:
                    raise translate_error(error, endpoint=str(self._endpoint)) from None
            view = view[taken:]

    def end_request(self) -> None:
        """End the request body (the peer then finishes its results and ends the stream)."""
        with self._cond:
            self._core.end_request()
            try:
                self._flush()
            except OSError as error:
                raise translate_error(error, endpoint=str(self._endpoint)) from None

    def next_message(self, timeout: float | None = None) -> Message | None:
        """The next received message; ``None`` once the stream ended cleanly.

        Raises:
            TranscribeMedicalError: The stream failed; TimeoutError when nothing came in time.
        """
        self._wait(lambda: self._core.messages or self._core.finished, timeout or self._read_timeout)
        with self._cond:
            if self._core.messages:
                return self._core.messages.popleft()
            if self._core.error is not None:
                raise self._core.error
            return None

    def wait_message(self, timeout: float | None = None) -> None:
        """Block until a message is waiting or the stream has finished (take it with :meth:`poll_message`).

        Raises:
            TimeoutError: Nothing came within ``timeout`` (default: the read timeout).
        """
        self._wait(lambda: self._core.messages or self._core.finished, timeout or self._read_timeout)

    def poll_message(self) -> tuple[Message | None, bool]:
        """Take a received message without waiting: ``(message, False)``, ``(None, True)`` once the
        stream ended cleanly, or ``(None, False)`` when nothing is waiting yet.

        Raises:
            TranscribeMedicalError: The stream failed and every message before the failure was taken.
        """
        with self._cond:
            if self._core.messages:
                return self._core.messages.popleft(), False
            if not self._core.finished:
                return None, False
            if self._core.error is not None:
                raise self._core.error
            return None, True

    def wait_finished(self, timeout: float) -> bool:
        """Wait until the peer's side is over (so all it sent is decoded); False if it took longer."""
        try:
            self._wait(lambda: self._core.finished, timeout)
        except TimeoutError:
            return False
        return True

    def read_body(self) -> bytes:
        """Wait for the end of a plain (non-event-stream) response and return its body.

        Raises:
            TranscribeMedicalError: The stream failed; TimeoutError when it did not end in time.
        """
        self._wait(lambda: self._core.finished, self._read_timeout)
        with self._cond:
            if self._core.error is not None:
                raise self._core.error
            return bytes(self._core.body)

    def close(self) -> None:
        """Send GOAWAY and close the socket (idempotent); the reader thread ends."""
        with self._cond:
            if self._closed:
                return
            self._closed = True
            self._core.close()
            with contextlib.suppress(OSError):  # the peer is gone already
                self._flush()
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)
        self._sock.close()
        if self._reader.is_alive() and self._reader is not threading.current_thread():
            self._reader.join(timeout=5)
