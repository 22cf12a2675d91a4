"""The asyncio HTTP/2 driver: asyncio streams, a reader task, and the shared :class:`H2Core`.

The reader task feeds the core and writes what it answers (WINDOW_UPDATEs, SETTINGS and PING
acknowledgements) so flow control keeps moving while the caller sends audio. A task waiting for
something (window, a message, the end) parks on a plain future that the reader resolves after each
read: no task and no lock per wait. The core is only touched between awaits, and each write takes
the core's bytes and hands them to the transport in one step, so no lock is needed to keep the
reader's and the sender's frames whole and in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Callable, Mapping

from transcribe_medical._exceptions import TimeoutError, TranscribeMedicalError
from transcribe_medical.eventstream import Message
from transcribe_medical.scribe.streaming.endpoint import SCRIBE_STREAM_PATH, ScribeEndpoint
from transcribe_medical.scribe.streaming.errors import translate_error
from transcribe_medical.scribe.streaming.h2_core import H2Core
from transcribe_medical.scribe.streaming.proxy_tunnel import check_connect_response, proxy_target
from transcribe_medical.scribe.streaming.tls import check_alpn, tls_context

__all__ = ["AsyncH2Stream"]

_READ_SIZE = 65536


class AsyncH2Stream:
    """One HTTP/2 request stream over asyncio streams (the asyncio twin of ``SyncH2Stream``)."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        core: H2Core,
        endpoint: ScribeEndpoint,
        read_timeout: float | None,
    ) -> None:
        """Wrap connected streams (use :meth:`open`)."""
        self._reader = reader
        self._writer = writer
        self._core = core
        self._endpoint = endpoint
        self._read_timeout = read_timeout
        self._waiters: list[asyncio.Future[bool]] = []
        self._closed = False
        self._task: asyncio.Task[None] | None = None

    @classmethod
    async def open(
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
    ) -> AsyncH2Stream:
        """Connect, negotiate HTTP/2, send the request headers and wait for the response status.

        Raises:
            CredentialsError: Refused with 403.
            ServiceError: Refused with another status.
            ConnectionError: Unreachable, TLS failed, or the peer does not speak HTTP/2.
            TimeoutError: Connecting or the response took longer than the timeouts.
        """
        context = tls_context(endpoint, verify)
        proxy = proxy_target(endpoint.url, proxies)
        writer: asyncio.StreamWriter | None = None
        try:
            if proxy is None:
                reader, opened = await asyncio.wait_for(
                    asyncio.open_connection(
                        endpoint.host,
                        endpoint.port,
                        ssl=context,
                        server_hostname=endpoint.host if context is not None else None,
                    ),
                    connect_timeout,
                )
                writer = opened
            else:
                reader, opened = await asyncio.wait_for(
                    asyncio.open_connection(proxy.host, proxy.port), connect_timeout
                )
                writer = opened
                opened.write(proxy.connect_request(endpoint.host, endpoint.port))
                head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), connect_timeout)
                check_connect_response(head, proxy, str(endpoint))
                if context is not None:
                    await asyncio.wait_for(opened.start_tls(context, server_hostname=endpoint.host), connect_timeout)
            if context is not None:
                ssl_object = opened.get_extra_info("ssl_object")
                check_alpn(ssl_object.selected_alpn_protocol() if ssl_object else None, endpoint)
            sock = opened.get_extra_info("socket")
            if sock is not None:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            core = H2Core(endpoint, headers, method=method, path=path, event_stream=event_stream)
            opened.write(core.outgoing())
            await opened.drain()
        except BaseException as error:
            if writer is not None:
                writer.close()
            if not isinstance(error, Exception):
                raise
            raise translate_error(error, endpoint=str(endpoint), timeout=connect_timeout) from None
        stream = cls(reader, opened, core, endpoint, read_timeout)
        stream._task = asyncio.get_running_loop().create_task(stream._read_loop())
        try:
            await stream._wait(lambda: core.status is not None or core.finished, connect_timeout or read_timeout)
            if core.error is not None:
                raise core.error
            if core.status != 200:
                await stream._wait(lambda: core.finished, read_timeout)
                raise core.error or translate_error(OSError("refused"), endpoint=str(endpoint))
        except BaseException:
            await stream.close()
            raise
        return stream

    @property
    def response_headers(self) -> Mapping[str, str]:
        """The response headers (lower-case names)."""
        return self._core.response_headers

    def _notify(self) -> None:
        """Wake every waiting task (each checks what it waits for again)."""
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(True)

    async def _wait(self, ready: Callable[[], object], timeout: float | None) -> None:
        if ready():
            return
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while not ready():
            waiter: asyncio.Future[bool] = loop.create_future()
            self._waiters.append(waiter)
            timer = None if deadline is None else loop.call_at(deadline, _time_out, waiter)
            try:
                woken = await waiter
            finally:
                if timer is not None:
                    timer.cancel()
            if not woken and not ready():
                raise TimeoutError(f"{self._endpoint} did not answer for {timeout:g} s")

    async def _flush(self) -> None:
        data = self._core.outgoing()
        if data:
            self._writer.write(data)
            await self._writer.drain()

    async def _read_loop(self) -> None:
        try:
            while True:
                data = await self._reader.read(_READ_SIZE)
                if not data:
                    self._core.connection_lost()
                    return
                try:
                    self._core.receive(data)
                except TranscribeMedicalError:
                    return  # recorded in core.error
                self._notify()
                await self._flush()
        except OSError as error:
            # After the stream's own end, a reset connection lost nothing (peers often close hard).
            if not self._closed and not self._core.finished:
                self._core.fail(translate_error(error, endpoint=str(self._endpoint)))
        finally:
            self._core.finished = True
            self._notify()

    async def send(self, data: bytes) -> None:
        """Send request body bytes, waiting for the peer's flow-control window as needed.

        Raises:
            TranscribeMedicalError: The stream failed, or the window stayed shut too long.
        """
        core = self._core
        view = memoryview(data)
        while view:
            if core.error is not None or core.finished:
                core.check_sendable()
            if core.send_window() == 0:
                await self._wait(core.send_ready, self._read_timeout)
                continue  # woken: failed, ended, or the window opened
            try:
                taken = core.write(view)
                await self._flush()
            except OSError as error:
                raise translate_error(error, endpoint=str(self._endpoint)) from None
            view = view[taken:]

    async def end_request(self) -> None:
        """End the request body."""
        self._core.end_request()
        try:
            await self._flush()
        except OSError as error:
            raise translate_error(error, endpoint=str(self._endpoint)) from None

    async def next_message(self, timeout: float | None = None) -> Message | None:
        """The next received message; ``None`` once the stream ended cleanly.

        Raises:
            TranscribeMedicalError: The stream failed; TimeoutError when nothing came in time.
        """
        await self._wait(lambda: self._core.messages or self._core.finished, timeout or self._read_timeout)
        if self._core.messages:
            return self._core.messages.popleft()
        if self._core.error is not None:
            raise self._core.error
        return None

    async def wait_message(self, timeout: float | None = None) -> None:
        """Wait until a message is waiting or the stream has finished (take it with :meth:`poll_message`).

        Raises:
            TimeoutError: Nothing came within ``timeout`` (default: the read timeout).
        """
        if not (self._core.messages or self._core.finished):
            await self._wait(lambda: self._core.messages or self._core.finished, timeout or self._read_timeout)

    def poll_message(self) -> tuple[Message | None, bool]:
        """Take a received message without waiting (see ``SyncH2Stream.poll_message``)."""
        if self._core.messages:
            return self._core.messages.popleft(), False
        if not self._core.finished:
            return None, False
        if self._core.error is not None:
            raise self._core.error
        return None, True

    async def wait_finished(self, timeout: float) -> bool:
        """Wait until the peer's side is over (so all it sent is decoded); False if it took longer."""
        try:
            await self._wait(lambda: self._core.finished, timeout)
        except TimeoutError:
            return False
        return True

    async def read_body(self) -> bytes:
        """Wait for the end of a plain response and return its body."""
        await self._wait(lambda: self._core.finished, self._read_timeout)
        if self._core.error is not None:
            raise self._core.error
        return bytes(self._core.body)

    async def close(self) -> None:
        """Send GOAWAY and close the connection (idempotent); the reader task ends."""
        if self._closed:
            return
        self._closed = True
        self._core.close()
        self._notify()  # a sender waiting for window finds the stream failed
        with contextlib.suppress(OSError, RuntimeError):
            await self._flush()
        self._writer.close()
        with contextlib.suppress(OSError):
            await self._writer.wait_closed()
        if self._task is not None and self._task is not asyncio.current_task():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


def _time_out(waiter: asyncio.Future[bool]) -> None:
    if not waiter.done():
        waiter.set_result(False)
