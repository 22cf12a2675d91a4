"""SigV4 query presigning of the medical streaming WebSocket URL (reference §3.3).

The signing itself is botocore's :class:`~botocore.auth.SigV4QueryAuth` (service ``transcribe``);
this module chooses the URL, enforces what botocore does not (``expires`` at most 300 s, ``ws://``
only toward loopback) and signs the ``host:port`` the client will actually connect to, because
the WebSocket handshake sends that ``Host`` and a signature over anything else is refused (403).

The returned URL is a bearer secret until it expires: never log it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit, urlunsplit

from transcribe_medical import _limits
from transcribe_medical._exceptions import CredentialsError, ValidationError
from transcribe_medical.models.stream import StreamConfig

if TYPE_CHECKING:
    from botocore.credentials import Credentials, ReadOnlyCredentials

__all__ = ["default_endpoint", "is_loopback_host", "presign_url", "resolve_endpoint"]

_SIGV4_TIMESTAMP: Final = "%Y%m%dT%H%M%SZ"
_LOOPBACK_NAMES: Final = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})
# WebSocket scheme -> the HTTP scheme botocore understands (same default ports, so the host it
# signs is the Host header the WebSocket client sends).
_TO_HTTP: Final = {"wss": "https", "ws": "http", "https": "https", "http": "http"}
_TO_WS: Final = {"https": "wss", "http": "ws"}


def default_endpoint(region: str) -> str:
    """The public streaming endpoint of ``region``.

    Example:
        >>> default_endpoint("us-east-1")
        'wss://transcribestreaming.us-east-1.amazonaws.com:8443'
    """
    suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    return f"wss://transcribestreaming.{region}.{suffix}:{_limits.STREAMING_PORT}"


def is_loopback_host(host: str) -> bool:
    """Whether ``host`` names this machine: 127.0.0.0/8, ``::1`` or ``localhost``."""
    name = host.strip("[]").lower().rstrip(".")
    if name in _LOOPBACK_NAMES or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def resolve_endpoint(region: str, endpoint: str | None = None) -> str:
    """The ``ws(s)://host[:port]/path`` base URL (no query) for ``region`` or an override.

    Args:
        region: The AWS Region.
        endpoint: An override such as ``wss://vpce-...:8443`` or ``ws://127.0.0.1:8443``
            (``https://``/``http://`` are read as ``wss://``/``ws://``). A missing or ``/`` path
            becomes the medical streaming path.

    Returns:
        The WebSocket URL to sign and connect to, without a query string.

    Raises:
        ValidationError: The endpoint is not a ws/wss/http/https URL with a host, has a query or
            fragment, or is plain ``ws://`` toward a host other than loopback.
    """
    url = endpoint or default_endpoint(region)
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as error:
        raise ValidationError(f"endpoint_url: {url!r} is invalid: {error}", field="endpoint_url") from None
    scheme = parts.scheme.lower()
    if scheme not in _TO_HTTP or not parts.hostname:
        raise ValidationError(
            f"endpoint_url: {url!r} is invalid: give wss://host[:port] (ws:// only for a loopback emulator)",
            field="endpoint_url",
        )
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ValidationError(
            f"endpoint_url: {url!r} is invalid: give scheme, host, port and path only", field="endpoint_url"
        )
    ws_scheme = _TO_WS[_TO_HTTP[scheme]]
    if ws_scheme == "ws" and not is_loopback_host(parts.hostname):
        raise ValidationError(
            f"endpoint_url: {url!r} is invalid: plain ws:// is allowed only toward loopback "
            "(127.0.0.1, ::1, localhost); use wss:// for any other host",
            field="endpoint_url",
        )
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    netloc = host if port is None else f"{host}:{port}"
    path = parts.path if parts.path not in ("", "/") else _limits.STREAMING_PATH
    return urlunsplit((ws_scheme, netloc, path, "", ""))


def presign_url(
    credentials: Credentials | ReadOnlyCredentials | Any,
    region: str,
    config: StreamConfig | Mapping[str, str],
    endpoint: str | None = None,
    expires: int = _limits.PRESIGN_MAX_EXPIRES,
    now: datetime | None = None,
) -> str:
    """Presign the streaming WebSocket URL with SigV4 query authentication.

    Example:
        >>> from botocore.credentials import Credentials
        >>> url = presign_url(Credentials("AKID", "SECRET"), "us-east-1",
        ...                   StreamConfig(media_encoding="pcm", sample_rate=16000))
        >>> url.startswith("wss://transcribestreaming.us-east-1.amazonaws.com:8443/")
        True

    Args:
        credentials: botocore credentials (frozen or not); a session token is signed with them.
        region: The AWS Region (part of the signing scope).
        config: The stream's parameters, or the wire query parameters themselves.
        endpoint: Endpoint override (see :func:`resolve_endpoint`); default: the Region's.
        expires: Seconds the URL stays valid, 1-300.
        now: The signing time (default: the current UTC time); naive values are taken as UTC.

    Returns:
        The ``wss://`` (or loopback ``ws://``) URL. It is a secret until it expires.

    Raises:
        ValidationError: ``expires`` is out of range, the endpoint is refused, or the config
            lacks its media encoding or sample rate.
        CredentialsError: The credentials lack an access key or secret key.
    """
    from botocore.awsrequest import AWSRequest

    if not 1 <= expires <= _limits.PRESIGN_MAX_EXPIRES:
        raise ValidationError(
            f"expires: {expires!r} is invalid: presigned streaming URLs last 1-{_limits.PRESIGN_MAX_EXPIRES} s",
            field="expires",
        )
    if not region:
        raise ValidationError("region: no AWS Region given for signing", field="region")
    if not getattr(credentials, "access_key", None) or not getattr(credentials, "secret_key", None):
        raise CredentialsError("the AWS credentials are incomplete: " + CredentialsError.HINT)
    query = config.to_query() if isinstance(config, StreamConfig) else dict(config)
    base = urlsplit(resolve_endpoint(region, endpoint))
    http_url = urlunsplit((_TO_HTTP[base.scheme], base.netloc, base.path, "", ""))

    signer = _ClockedQueryAuth(credentials, _limits.STREAMING_SIGNING_NAME, region, expires=expires, now=now)
    request = AWSRequest(method="GET", url=http_url, params=query)
    signer.add_auth(request)
    signed = urlsplit(request.prepare().url)
    return urlunsplit((base.scheme, signed.netloc, signed.path, signed.query, ""))


class _ClockedQueryAuth:
    """``SigV4QueryAuth`` with an injectable clock and without botocore's DEBUG logging.

    botocore reads the clock inside ``add_auth`` and logs the canonical request and signature at
    DEBUG; this runs the same steps from a given time and logs nothing.
    """

    def __init__(self, credentials: Any, service: str, region: str, *, expires: int, now: datetime | None):
        from botocore.auth import SigV4QueryAuth

        # Any: the stubs do not declare the (long-stable) steps of add_auth used below.
        self._signer: Any = SigV4QueryAuth(credentials, service, region, expires=expires)
        self._now = now

    def add_auth(self, request: Any) -> None:
        now = self._now or datetime.now(UTC)
        if now.tzinfo is not None:
            now = now.astimezone(UTC)
        signer = self._signer
        request.context["timestamp"] = now.strftime(_SIGV4_TIMESTAMP)
        signer._modify_request_before_signing(request)
        canonical_request = signer.canonical_request(request)
        string_to_sign = signer.string_to_sign(request, canonical_request)
        signature = signer.signature(string_to_sign, request)
        signer._inject_signature_to_request(request, signature)
