"""The TLS socket our threaded clients use: one thread reads while another writes, nothing lost.

Without it, Python's ``SSLSocket`` lets two threads into one OpenSSL object at once; with TLS 1.3
the session tickets that follow the handshake then now and then swallow the client's first
request (about one ``wss://`` open in a hundred on loopback hung until its open timeout).
"""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from websockets.sync.client import connect

from streaming.tls_server import TLSWebSocketServer, make_certificates
from transcribe_medical._tls_socket import ThreadSafeSSLSocket, for_threads
from transcribe_medical.streaming._transport import ssl_context

PATTERN = bytes(range(256)) * 64  # 16 KiB
UPLOAD = 256 * 1024


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    return make_certificates(tmp_path_factory.mktemp("certs"))


def exchange(tls: ssl.SSLSocket, *, send: int, receive: int) -> bytes:
    """Send ``send`` bytes of PATTERN on this thread while another reads ``receive`` bytes; return those."""
    chunks: list[bytes] = []

    def read() -> None:
        got = 0
        while got < receive and (chunk := tls.recv(65536)):
            chunks.append(chunk)
            got += len(chunk)

    reader = threading.Thread(target=read)
    reader.start()
    sent = 0
    while sent < send:
        piece = PATTERN[: min(len(PATTERN), send - sent)]
        tls.sendall(piece)
        sent += len(piece)
    reader.join()
    return b"".join(chunks)


class DuplexServer:
    """Per connection: one thread sends ``size`` bytes of PATTERN while another counts what arrives."""

    def __init__(self, certificates: tuple[Path, Path, Path], size: int, upload: int) -> None:
        _, cert, key = certificates
        self.context = for_threads(ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER))
        self.context.load_cert_chain(cert, key)
        self.size = size
        self.upload = upload
        self.received: list[bytes] = []
        self.done = threading.Semaphore(0)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                raw, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._connection, args=(raw,), daemon=True).start()

    def _connection(self, raw: socket.socket) -> None:
        with self.context.wrap_socket(raw, server_side=True) as tls:
            tls.settimeout(60)
            self.received.append(exchange(tls, send=self.size, receive=self.upload))
            self.done.release()
            tls.recv(1)  # until the client closes

    def close(self) -> None:
        self.listener.close()


@pytest.fixture
def duplex_server(certificates: tuple[Path, Path, Path]) -> Iterator[DuplexServer]:
    server = DuplexServer(certificates, size=256 * 1024, upload=UPLOAD)
    yield server
    server.close()


def _expected(size: int) -> bytes:
    return (PATTERN * (size // len(PATTERN) + 1))[:size]


def test_both_directions_at_once_keep_every_byte(
    duplex_server: DuplexServer, certificates: tuple[Path, Path, Path]
) -> None:
    ca, _, _ = certificates
    context = for_threads(ssl.create_default_context(cafile=str(ca)))
    for _ in range(20):  # each right after its handshake, when TLS 1.3's tickets arrive
        with context.wrap_socket(
            socket.create_connection(("127.0.0.1", duplex_server.port)), server_hostname="localhost"
        ) as tls:
            assert isinstance(tls, ThreadSafeSSLSocket)
            tls.settimeout(60)
            assert exchange(tls, send=UPLOAD, receive=duplex_server.size) == _expected(duplex_server.size)
    for _ in range(20):
        assert duplex_server.done.acquire(timeout=60)
    assert duplex_server.received == [_expected(UPLOAD)] * 20


def test_many_wss_opens_all_answered(tmp_path: Path) -> None:
    # websockets' threaded client reads on its own thread while it writes the upgrade request.
    with TLSWebSocketServer(tmp_path) as server:
        context = ssl_context(server.endpoint, str(server.ca))
        assert context is not None
        for _ in range(300):
            with connect(f"{server.endpoint}/stream", ssl=context, open_timeout=60) as websocket:
                websocket.send(b"x")
        assert len(server.paths) == 300


def test_the_timeout_still_applies_to_reads(duplex_server: DuplexServer, certificates: tuple[Path, Path, Path]) -> None:
    ca, _, _ = certificates
    context = for_threads(ssl.create_default_context(cafile=str(ca)))
    with context.wrap_socket(
        socket.create_connection(("127.0.0.1", duplex_server.port)), server_hostname="localhost"
    ) as tls:
        received = 0
        tls.settimeout(60)
        while received < duplex_server.size:
            received += len(tls.recv(65536))
        # The server sent all it will send until we close our side: the next read must time out.
        tls.settimeout(0.05)
        assert tls.gettimeout() == 0.05
        with pytest.raises(TimeoutError):
            tls.recv(1024)
        tls.setblocking(False)
        assert tls.gettimeout() == 0.0
        with pytest.raises(ssl.SSLWantReadError):
            tls.recv(1024)


def test_asyncio_and_plain_contexts_are_unchanged(tmp_path: Path) -> None:
    assert ssl_context("ws://127.0.0.1:1/x", None) is None
    context = ssl_context("wss://example.com/x", None)
    assert context is not None and context.sslsocket_class is ThreadSafeSSLSocket
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
