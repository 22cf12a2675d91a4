"""A small HTTP CONNECT proxy on 127.0.0.1 for the proxy tests: counts tunnels, checks auth."""

from __future__ import annotations

import base64
import contextlib
import selectors
import socket
import threading
from types import TracebackType
from typing import Self

_MAX_HEADER = 16 * 1024


class ConnectProxy:
    """An HTTP proxy that only tunnels (``CONNECT host:port``), in threads.

    Attributes:
        connects: The ``host:port`` of every CONNECT request accepted, in order.
        authorizations: The ``Proxy-Authorization`` header of every CONNECT (or ``None``).
    """

    def __init__(self, *, credentials: tuple[str, str] | None = None) -> None:
        self.connects: list[str] = []
        self.authorizations: list[str | None] = []
        self._credentials = credentials
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._server.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._threads: list[threading.Thread] = []
        self._closed = False
        self._accepter = threading.Thread(target=self._accept, name="test-connect-proxy", daemon=True)

    def __enter__(self) -> Self:
        self._accepter.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._closed = True
        with contextlib.suppress(OSError):
            self._server.shutdown(socket.SHUT_RDWR)
        self._server.close()
        self._accepter.join(5)
        for thread in self._threads:
            thread.join(5)

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            thread = threading.Thread(target=self._serve, args=(client,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, client: socket.socket) -> None:
        with client:
            head = b""
            while b"\r\n\r\n" not in head and len(head) < _MAX_HEADER:
                data = client.recv(4096)
                if not data:
                    return
                head += data
            header, _, rest = head.partition(b"\r\n\r\n")
            lines = header.decode("latin-1").split("\r\n")
            method, target, _ = lines[0].split(" ", 2)
            headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
            if method != "CONNECT":
                client.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
                return
            authorization = headers.get("proxy-authorization")
            self.authorizations.append(authorization)
            if self._credentials is not None:
                expected = "Basic " + base64.b64encode(":".join(self._credentials).encode()).decode()
                if authorization != expected:
                    client.sendall(b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n")
                    return
            self.connects.append(target)
            host, _, port = target.rpartition(":")
            try:
                upstream = socket.create_connection((host.strip("[]"), int(port)), timeout=5)
            except OSError:
                client.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
                return
            with upstream:
                client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                if rest:
                    upstream.sendall(rest)
                self._pump(client, upstream)

    def _pump(self, client: socket.socket, upstream: socket.socket) -> None:
        peers = {client: upstream, upstream: client}
        with selectors.DefaultSelector() as selector:
            for sock in peers:
                sock.settimeout(None)
                selector.register(sock, selectors.EVENT_READ)
            while not self._closed:
                for key, _ in selector.select(timeout=0.2):
                    source: socket.socket = key.fileobj  # type: ignore[assignment]
                    try:
                        data = source.recv(65536)
                    except OSError:
                        return
                    if not data:
                        return
                    peers[source].sendall(data)
