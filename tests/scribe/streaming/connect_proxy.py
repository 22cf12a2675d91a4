"""A minimal HTTP CONNECT proxy on loopback for tests: records each target, pipes bytes both ways."""

from __future__ import annotations

import contextlib
import socket
import threading


class ConnectProxy:
    """Accepts CONNECT host:port, answers 200 (or ``status``), then relays until either side closes."""

    def __init__(self, *, status: int = 200, require_auth: str | None = None) -> None:
        self.status = status
        self.require_auth = require_auth
        self.targets: list[str] = []
        self.auth_headers: list[str | None] = []
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen()
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        threading.Thread(target=self._serve, daemon=True).start()

    def close(self) -> None:
        self._sock.close()

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self._sock.accept()
            except OSError:
                return
            threading.Thread(target=self._tunnel, args=(client,), daemon=True).start()

    def _tunnel(self, client: socket.socket) -> None:
        head = b""
        while b"\r\n\r\n" not in head:
            data = client.recv(1)
            if not data:
                client.close()
                return
            head += data
        lines = head.decode("latin-1").split("\r\n")
        target = lines[0].split(" ")[1]
        auth = next(
            (line.split(":", 1)[1].strip() for line in lines if line.lower().startswith("proxy-authorization:")), None
        )
        self.targets.append(target)
        self.auth_headers.append(auth)
        if self.status != 200 or (self.require_auth is not None and auth != self.require_auth):
            status = self.status if self.status != 200 else 407
            client.sendall(f"HTTP/1.1 {status} No\r\nContent-Length: 0\r\n\r\n".encode())
            client.close()
            return
        host, port = target.rsplit(":", 1)
        upstream = socket.create_connection((host.strip("[]"), int(port)))
        client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        back = threading.Thread(target=self._pipe, args=(upstream, client), daemon=True)
        back.start()
        self._pipe(client, upstream)
        back.join(timeout=10)
        upstream.close()
        client.close()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)
