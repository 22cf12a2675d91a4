"""Where HealthScribe streaming connects: the shared streaming endpoint setting read for HTTP/2.

One setting (``streaming_endpoint_url`` / ``AWS_ENDPOINT_URL_TRANSCRIBE_STREAMING``) serves the
medical WebSocket and HealthScribe; here ``wss``/``ws`` are read as ``https``/``http``. Toward AWS
the endpoint is ``https://transcribestreaming.<region>.amazonaws.com`` on port 443. Cleartext
HTTP/2 is allowed only toward loopback (the emulator).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit

from transcribe_medical._exceptions import ValidationError
from transcribe_medical.streaming.presign import is_loopback_host

__all__ = ["SCRIBE_STREAM_PATH", "ScribeEndpoint", "resolve_scribe_endpoint"]

#: The request path of StartMedicalScribeStream.
SCRIBE_STREAM_PATH: Final = "/medical-scribe-stream"
_SCHEMES: Final = {"https": "https", "wss": "https", "http": "http", "ws": "http"}


@dataclass(frozen=True)
class ScribeEndpoint:
    """An HTTP/2 endpoint: scheme (``https`` or loopback ``http``), host and port."""

    scheme: str
    host: str
    port: int

    @property
    def tls(self) -> bool:
        """Whether the connection uses TLS (ALPN ``h2``)."""
        return self.scheme == "https"

    @property
    def authority(self) -> str:
        """The ``:authority`` (and signed ``host``): the host, with the port unless it is the default."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.tls else 80
        return host if self.port == default else f"{host}:{self.port}"

    @property
    def url(self) -> str:
        """The StartMedicalScribeStream URL (what is signed)."""
        return f"{self.scheme}://{self.authority}{SCRIBE_STREAM_PATH}"

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


def resolve_scribe_endpoint(region: str, endpoint: str | None = None) -> ScribeEndpoint:
    """The endpoint for ``region``, or the configured override read as HTTP/2.

    Raises:
        ValidationError: An unknown scheme, a URL with a query, or cleartext toward a non-loopback host.
    """
    if not endpoint:
        suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
        return ScribeEndpoint("https", f"transcribestreaming.{region}.{suffix}", 443)
    try:
        parts = urlsplit(endpoint)
        port = parts.port
    except ValueError as error:
        raise ValidationError(f"endpoint_url: {endpoint!r} is invalid: {error}", field="endpoint_url") from None
    scheme = _SCHEMES.get(parts.scheme.lower())
    if scheme is None or not parts.hostname or parts.query or parts.fragment:
        raise ValidationError(
            f"endpoint_url: {endpoint!r} is invalid: give https://host[:port] (or wss://; "
            "http:// and ws:// only for a loopback emulator)",
            field="endpoint_url",
        )
    if scheme == "http" and not is_loopback_host(parts.hostname):
        raise ValidationError(
            f"endpoint_url: {endpoint!r} is invalid: cleartext HTTP/2 is allowed only toward loopback; use https://",
            field="endpoint_url",
        )
    return ScribeEndpoint(scheme, parts.hostname, port or (443 if scheme == "https" else 80))
