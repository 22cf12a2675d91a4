"""HTTP proxies for HealthScribe streaming: an HTTP ``CONNECT`` tunnel, then HTTP/2 inside it.

The proxy is chosen as for every other connection of the library (:func:`~transcribe_medical.
_proxy.proxy_for`: botocore's rules, ``HTTPS_PROXY``/``NO_PROXY`` or ``proxies=``). Only
``http://`` proxies are supported here (the tunnel's own traffic is TLS when the endpoint is
``https``). Sans-I/O: the request bytes and the reading of the answer; the drivers do the I/O.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Final
from urllib.parse import unquote, urlsplit

from transcribe_medical._exceptions import ConnectionError, ValidationError
from transcribe_medical._proxy import describe_proxy

__all__ = ["MAX_RESPONSE_HEAD", "ProxyTarget", "check_connect_response", "proxy_target"]

#: The most bytes of a proxy's answer head that are read.
MAX_RESPONSE_HEAD: Final = 64 * 1024


class ProxyTarget:
    """Where the proxy is and how to ask it for a tunnel."""

    def __init__(self, proxy: str) -> None:
        """Read ``proxy`` (``http://[user:password@]host[:port]``).

        Raises:
            ValidationError: Not an ``http://`` proxy.
        """
        parts = urlsplit(proxy)
        if parts.scheme != "http" or not parts.hostname:
            raise ValidationError(
                f"proxies: {describe_proxy(proxy)} is not supported for HealthScribe streaming: "
                "give an http:// proxy (it is asked for a CONNECT tunnel)",
                field="proxies",
            )
        self.host: str = parts.hostname
        self.port: int = parts.port or 80
        self.name = describe_proxy(proxy)
        self._auth = None
        if parts.username is not None:
            pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode()
            self._auth = base64.b64encode(pair).decode()

    def __repr__(self) -> str:
        return f"ProxyTarget({self.name!r})"

    def connect_request(self, host: str, port: int) -> bytes:
        """The ``CONNECT host:port`` request (with ``Proxy-Authorization`` when the URL has a user)."""
        target = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        lines = [f"CONNECT {target} HTTP/1.1", f"Host: {target}"]
        if self._auth:
            lines.append(f"Proxy-Authorization: Basic {self._auth}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii")


def proxy_target(url: str, proxies: Mapping[str, str] | None) -> ProxyTarget | None:
    """The proxy to tunnel through toward ``url`` (botocore's rules), or ``None`` to connect directly.

    Raises:
        ValidationError: A proxy that is not usable here.
    """
    from transcribe_medical._proxy import proxy_for

    proxy = proxy_for(url, proxies)
    return ProxyTarget(proxy) if proxy else None


def check_connect_response(head: bytes, proxy: ProxyTarget, endpoint: str) -> None:
    """Accept a ``2xx`` answer to CONNECT; anything else is one line.

    Raises:
        ConnectionError: The proxy refused the tunnel or did not answer as HTTP.
    """
    status_line = head.split(b"\r\n", 1)[0].decode("latin-1")
    parts = status_line.split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
        raise ConnectionError(f"the proxy {proxy.name} did not answer CONNECT as an HTTP proxy")
    status = int(parts[1])
    if not 200 <= status < 300:
        hint = ": check the proxy's user and password" if status == 407 else ""
        raise ConnectionError(f"the proxy {proxy.name} refused the tunnel to {endpoint} (HTTP {status}){hint}")
