"""One streaming port for both protocols: hand a connection that opens with the HTTP/2 preface to HTTP/2.

The WebSocket server (``websockets``) makes one connection object per TCP connection through its
documented ``create_connection`` factory. :func:`preface_sniffing_connection` returns a subclass
that looks at the first bytes a client sends: a WebSocket upgrade starts ``GET `` and is passed on
at once (the first byte already differs from the preface); a connection that starts with
``PRI * HTTP/2.0\\r\\n\\r\\nSM\\r\\n\\r\\n`` is handed over whole to the HTTP/2 protocol
(``transport.set_protocol``), and the WebSocket object, which never saw a request, is told its
connection ended on a detached transport, so it lets go without touching the socket.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, Final

from websockets.asyncio.server import ServerConnection

__all__ = ["HTTP2_PREFACE", "preface_sniffing_connection"]

HTTP2_PREFACE: Final = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


class _DetachedTransport(asyncio.Transport):
    """What the WebSocket side holds once HTTP/2 owns the socket: every call does nothing."""

    def write(self, data: Any) -> None:
        """Drop the data (the socket belongs to HTTP/2 now)."""

    def writelines(self, list_of_data: Any) -> None:
        """Drop the data."""

    def close(self) -> None:
        """Nothing to close here."""

    def abort(self) -> None:
        """Nothing to abort here."""

    def is_closing(self) -> bool:
        """Always closed."""
        return True

    def get_write_buffer_size(self) -> int:
        """Nothing is buffered."""
        return 0

    def pause_reading(self) -> None:
        """Nothing to pause."""

    def resume_reading(self) -> None:
        """Nothing to resume."""

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        """Nothing to limit."""


def preface_sniffing_connection(
    http2_protocol: Callable[[], Callable[[], asyncio.Protocol] | None],
) -> type[ServerConnection]:
    """A ``create_connection`` class for ``websockets.asyncio.server.serve`` that diverts HTTP/2.

    Args:
        http2_protocol: Returns the factory of the HTTP/2 protocol, or ``None`` while HTTP/2 is
            not served (then every connection is a WebSocket one, as before).
    """

    class PrefaceSniffingConnection(ServerConnection):
        _sniffed = b""
        _decided = False

        def data_received(self, data: bytes) -> None:
            if self._decided:
                super().data_received(data)
                return
            seen = self._sniffed + data
            factory = http2_protocol()
            if factory is None or not HTTP2_PREFACE.startswith(seen[: len(HTTP2_PREFACE)]):
                self._decided = True
                self._sniffed = b""
                super().data_received(seen)
                return
            if len(seen) < len(HTTP2_PREFACE):
                self._sniffed = seen
                return
            self._decided = True
            self._sniffed = b""
            transport = self.transport
            protocol = factory()
            transport.set_protocol(protocol)
            self.transport = _DetachedTransport()
            super().connection_lost(None)
            protocol.connection_made(transport)
            protocol.data_received(seen)

    return PrefaceSniffingConnection
