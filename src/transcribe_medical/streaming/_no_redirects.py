"""Refuse redirects at the WebSocket upgrade.

``websockets``' ``connect`` follows 3xx answers to the upgrade (up to 10) by default. AWS never
redirects the medical streaming endpoint, and following one would take the presigned URL's
stream to wherever the peer says: another port, or ``ws://0.0.0.0``, past the rule that plain
``ws://`` goes to loopback only. The connection classes here are handed to ``connect`` through its
``create_connection`` option (websockets' documented hook for customising the connection); their
``handshake`` turns a redirect into :class:`RedirectRefused` before ``connect`` can follow it.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from websockets.asyncio.client import ClientConnection as AsyncClientConnection
    from websockets.sync.client import ClientConnection as SyncClientConnection

__all__ = ["REDIRECT_STATUSES", "RedirectRefused", "async_connection_class", "sync_connection_class"]

#: The statuses ``websockets`` would follow (with a ``Location`` header).
REDIRECT_STATUSES: Final = frozenset({300, 301, 302, 303, 307, 308})


class RedirectRefused(Exception):
    """The peer answered the upgrade with a redirect (translated by ``_transport.translate_error``).

    Attributes:
        status: The HTTP status of the answer.
    """

    def __init__(self, status: int) -> None:
        super().__init__(f"HTTP {status} redirect at the WebSocket upgrade")
        self.status = status


def _refuse_redirect(error: Exception) -> None:
    from websockets.exceptions import InvalidStatus

    if isinstance(error, InvalidStatus) and error.response.status_code in REDIRECT_STATUSES:
        raise RedirectRefused(error.response.status_code) from error


@cache
def sync_connection_class() -> type[SyncClientConnection]:
    """``websockets.sync.client.ClientConnection`` that refuses redirects (imported on first use)."""
    from websockets.sync.client import ClientConnection

    class NoRedirectConnection(ClientConnection):
        def handshake(self, *args: Any, **kwargs: Any) -> None:
            try:
                super().handshake(*args, **kwargs)
            except Exception as error:
                _refuse_redirect(error)
                raise

    return NoRedirectConnection


@cache
def async_connection_class() -> type[AsyncClientConnection]:
    """``websockets.asyncio.client.ClientConnection`` that refuses redirects (imported on first use)."""
    from websockets.asyncio.client import ClientConnection

    class NoRedirectConnection(ClientConnection):
        async def handshake(self, *args: Any, **kwargs: Any) -> None:
            try:
                await super().handshake(*args, **kwargs)
            except Exception as error:
                _refuse_redirect(error)
                raise

    return NoRedirectConnection
