"""A TLS socket that one thread may read while another writes.

Both threaded clients read on one thread (websockets' receiver, the HTTP/2 reader) while another
thread sends on the same socket. OpenSSL does not allow one ``SSL`` object to be used by two
threads at once, and Python's :class:`ssl.SSLSocket` does not serialise them: with TLS 1.3 the
server's session tickets arrive just after the handshake, the reader thread processes them inside
``SSL_read`` while the sender writes the upgrade request, and now and then the request never
reaches the wire — both sides then wait until the open timeout (seen on loopback about once in a
hundred ``wss://`` opens, with websockets 15 and 17 alike; never with TLS 1.2).

:class:`ThreadSafeSSLSocket` keeps the socket non-blocking after the handshake and runs every
read and write under one lock, waiting for the socket to be ready *outside* the lock, so a reader
waiting for data never holds up a writer, and OpenSSL is never entered by two threads. The
timeout a caller sets still applies to its waits. It is installed through
:attr:`ssl.SSLContext.sslsocket_class`, the standard library's documented hook; asyncio does not
use it (its TLS runs on one thread).
"""

from __future__ import annotations

import select
import ssl
import threading
import time
from typing import Any

__all__ = ["ThreadSafeSSLSocket", "for_threads"]

_WAIT_READ = 1
_WAIT_WRITE = 2
_HAS_POLL = hasattr(select, "poll")


def for_threads(context: ssl.SSLContext) -> ssl.SSLContext:
    """Make ``context`` wrap sockets as :class:`ThreadSafeSSLSocket`; returns the same context."""
    context.sslsocket_class = ThreadSafeSSLSocket
    return context


class ThreadSafeSSLSocket(ssl.SSLSocket):
    """An :class:`ssl.SSLSocket` whose reads and writes may come from different threads.

    Until its handshake is done it behaves exactly as its base class. From then on the socket
    itself is non-blocking; :meth:`recv`, :meth:`recv_into`, :meth:`send` and :meth:`sendall`
    each take the lock only for the non-blocking OpenSSL call and wait for readiness without it,
    honouring the timeout set with :meth:`settimeout` (``None`` waits for ever, ``0.0`` raises
    :class:`ssl.SSLWantReadError` / :class:`ssl.SSLWantWriteError` as a non-blocking socket does).
    """

    # SSLSocket has no public constructor (SSLContext.wrap_socket builds it through _create), so
    # the state lives in class defaults until the handshake arms the instance.
    _armed: bool = False
    _wanted_timeout: float | None = None

    def settimeout(self, value: float | None) -> None:
        """Set the timeout of later reads and writes (the socket stays non-blocking once armed)."""
        self._wanted_timeout = value
        if not self._armed:
            super().settimeout(value)

    def gettimeout(self) -> float | None:
        """The timeout set with :meth:`settimeout`."""
        return self._wanted_timeout if self._armed else super().gettimeout()

    def setblocking(self, flag: bool) -> None:
        """Blocking (``True``) means no timeout; non-blocking (``False``) a timeout of ``0.0``."""
        self.settimeout(None if flag else 0.0)

    def do_handshake(self, block: bool = False) -> None:
        """Run the TLS handshake, then switch to serialised, non-blocking reads and writes."""
        super().do_handshake(block)
        if not self._armed:
            self._lock = threading.Lock()
            wanted = super().gettimeout()
            super().settimeout(0.0)
            self._wanted_timeout = wanted
            self._armed = True

    def recv(self, buflen: int = 1024, flags: int = 0) -> bytes:
        """Receive up to ``buflen`` bytes of plaintext; ``b""`` at the end of the stream."""
        if not self._armed or flags:
            return super().recv(buflen, flags)
        result: bytes = self._serialised(lambda: ssl.SSLSocket.recv(self, buflen), _WAIT_READ)
        return result

    def recv_into(self, buffer: Any, nbytes: int | None = None, flags: int = 0) -> int:
        """Receive into ``buffer``; returns the number of bytes received (0 at the end)."""
        if not self._armed or flags:
            return super().recv_into(buffer, nbytes, flags)
        if nbytes is None or nbytes <= 0:
            with memoryview(buffer) as view:
                nbytes = view.nbytes or 1024
        size = nbytes
        result: int = self._serialised(lambda: ssl.SSLSocket.recv_into(self, buffer, size), _WAIT_READ)
        return result

    def send(self, data: Any, flags: int = 0) -> int:
        """Send some of ``data``; returns how many bytes were taken."""
        if not self._armed or flags:
            return super().send(data, flags)
        result: int = self._serialised(lambda: ssl.SSLSocket.send(self, data), _WAIT_WRITE)
        return result

    def sendall(self, data: Any, flags: int = 0) -> None:
        """Send all of ``data``."""
        if not self._armed or flags:
            super().sendall(data, flags)
            return
        with memoryview(data) as view, view.cast("B") as byte_view:
            count, amount = 0, len(byte_view)
            while count < amount:
                count += self.send(byte_view[count:])

    def _serialised(self, call: Any, direction: int) -> Any:
        # Try first: decrypted bytes may already be buffered where select() cannot see them. After
        # shutdown() the base class reads and writes the bare socket: BlockingIOError then.
        timeout = self._wanted_timeout
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            with self._lock:
                try:
                    return call()
                except ssl.SSLWantReadError:
                    if timeout == 0.0:
                        raise
                    wait = _WAIT_READ
                except ssl.SSLWantWriteError:
                    if timeout == 0.0:
                        raise
                    wait = _WAIT_WRITE
                except BlockingIOError:
                    if timeout == 0.0:
                        raise
                    wait = direction
            self._wait(wait, deadline)

    def _wait(self, wait: int, deadline: float | None) -> None:
        remaining = None if deadline is None else deadline - time.monotonic()
        if remaining is not None and remaining <= 0:
            raise TimeoutError("timed out")
        fileno = self.fileno()
        if fileno < 0:
            raise OSError("the socket is closed")
        if _HAS_POLL:  # poll() takes any descriptor; select() only those below FD_SETSIZE
            poller = select.poll()
            poller.register(fileno, select.POLLIN if wait == _WAIT_READ else select.POLLOUT)
            ready = bool(poller.poll(None if remaining is None else remaining * 1000))
        else:  # Windows
            readable, writable = ([fileno], []) if wait == _WAIT_READ else ([], [fileno])
            ready = any(select.select(readable, writable, [], remaining))
        if not ready:
            raise TimeoutError("timed out")
