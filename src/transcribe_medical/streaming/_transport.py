"""What the sync and asyncio transports share: WebSocket options, TLS, and error translation.

:func:`translate_error` is the one place where ``websockets`` (and socket/TLS) exceptions become the
library's own; both transports call it and nothing else catches ``websockets`` exceptions.
"""

from __future__ import annotations

import builtins
import json
import logging
import os
import ssl
from collections.abc import Mapping
from typing import Any, Final, NamedTuple
from urllib.parse import urlsplit

from transcribe_medical import __version__, _limits
from transcribe_medical._exceptions import (
    ConnectionError,
    CredentialsError,
    ProtocolError,
    TimeoutError,
    TranscribeMedicalError,
    ValidationError,
    service_error_from_code,
)
from transcribe_medical._logging import RedactionFilter, get_logger
from transcribe_medical._proxy import describe_proxy, proxy_for
from transcribe_medical._tls_socket import for_threads
from transcribe_medical.streaming._no_redirects import RedirectRefused
from transcribe_medical.streaming.protocol import StreamSession

__all__ = [
    "CONNECT_OPTIONS",
    "OPERATION",
    "describe_endpoint",
    "handshake_error",
    "ssl_context",
    "translate_error",
    "websocket_logger",
]

#: The operation name used in retry logs.
OPERATION: Final = "StartMedicalStreamTranscriptionWebSocket"

_WEBSOCKET_MESSAGE_TOO_BIG: Final = 1009
_BODY_EXCERPT: Final = 200


def websocket_logger() -> logging.Logger:
    """The logger handed to ``websockets``: INFO at most, redacted.

    ``websockets`` logs the request line (the presigned URL, with its signature) and hex dumps
    of every frame (audio, transcript text) at DEBUG. Those records must never exist, whatever
    level the application sets on the root logger.
    """
    logger = get_logger("streaming.websocket")
    if logger.level == logging.NOTSET or logger.level < logging.INFO:
        logger.setLevel(logging.INFO)
    if not any(isinstance(f, RedactionFilter) for f in logger.filters):
        logger.addFilter(RedactionFilter())
    return logger


#: Keyword arguments for ``websockets``' ``connect`` shared by both transports. Audio does not
#: compress, and AWS does not negotiate permessage-deflate.
CONNECT_OPTIONS: Final[dict[str, Any]] = {
    "compression": None,
    "max_size": _limits.EVENTSTREAM_MAX_MESSAGE_SIZE,
    "user_agent_header": f"transcribe-medical/{__version__}",
}


def ssl_context(url: str, verify: bool | str | None) -> ssl.SSLContext | None:
    """The TLS context for ``url``: ``None`` for ``ws://``; else honour ``verify`` and ``AWS_CA_BUNDLE``.

    Args:
        url: The WebSocket URL.
        verify: ``False`` to skip certificate checks, a CA bundle path, or ``True``/``None`` for the
            default trust store (or ``AWS_CA_BUNDLE`` when set), as in boto3.
    """
    if urlsplit(url).scheme != "wss":
        return None
    # The threaded driver reads on websockets' thread while its sender writes: the context's
    # sockets serialise the two (see _tls_socket); asyncio's TLS does not use them.
    if verify is False:
        context = for_threads(ssl.create_default_context())
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    cafile = verify if isinstance(verify, str) else os.environ.get("AWS_CA_BUNDLE") or None
    try:
        return for_threads(ssl.create_default_context(cafile=cafile))
    except OSError as error:
        raise ValidationError(
            f"verify: cannot read the CA bundle {cafile!r}: {error.strerror}", field="verify"
        ) from None


def describe_endpoint(url: str) -> str:
    """``host:port`` of ``url``, for messages (never the query string: it holds the signature)."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "wss" else 80)
    return f"{parts.hostname}:{port}"


class Route(NamedTuple):
    """Where a stream connects: what both drivers need before opening it."""

    endpoint: str  #: ``host:port`` of the service, for messages
    proxy: str | None  #: the proxy URL to go through, or ``None`` to connect directly
    described: str  #: the endpoint, and the proxy if any, for messages about opening


def route_to(url: str, proxies: Mapping[str, str] | None) -> Route:
    """The :class:`Route` to the presigned ``url`` (``proxies`` as in :func:`~transcribe_medical._proxy.proxy_for`)."""
    endpoint = describe_endpoint(url)
    proxy = proxy_for(url, proxies)
    # Failures to open name the proxy too: "connection refused" may be the proxy's.
    described = endpoint if proxy is None else f"{endpoint} through the proxy {describe_proxy(proxy)}"
    return Route(endpoint, proxy, described)


def open_failure(error: Exception, *, route: Route, timeout: float | None) -> TranscribeMedicalError:
    """The library error for ``error``, raised while opening a stream along ``route``."""
    translated = translate_error(error, endpoint=route.described, timeout=timeout)
    assert translated is not None  # only a connected session can end normally
    return translated


def handshake_error(status: int, headers: Any, body: bytes) -> TranscribeMedicalError:
    """The error for a refused WebSocket upgrade (HTTP ``status`` instead of 101).

    403 means the signature, clock, region or permission was refused: a
    :class:`~transcribe_medical.CredentialsError`. Other statuses become the
    :class:`~transcribe_medical.ServiceError` of their family (429 → LimitExceededError, 5xx →
    InternalFailureError/ServiceUnavailableError, ...).
    """
    request_id = _header(headers, "x-amzn-requestid") or _header(headers, "x-amz-request-id")
    code, message = _error_details(headers, body)
    if status == 403:
        # The service's own words (when it sent some) come first: they tell an expired token from
        # a bad signature, which the status alone cannot.
        return CredentialsError.refused(
            code,
            message or "",
            request_id=request_id,
            status_code=status,
            refusal="the service refused the streaming handshake (HTTP 403: signature or permission)",
            hint=f"{CredentialsError.HINT}; the identity also needs transcribe:StartStreamTranscriptionWebSocket",
        )
    return service_error_from_code(
        code or f"HTTP{status}",
        message or f"the streaming handshake was refused with HTTP {status}",
        request_id=request_id,
        status_code=status,
    )


def _header(headers: Any, name: str) -> str | None:
    try:
        value = headers.get(name)
    except AttributeError:
        return None
    return str(value) if value else None


def _error_details(headers: Any, body: bytes) -> tuple[str | None, str | None]:
    code = _header(headers, "x-amzn-errortype")
    if code:
        code = code.split(":", 1)[0]
    message: str | None = None
    text = bytes(body[:4096]).decode("utf-8", "replace").strip()
    if text.startswith("{"):
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):  # RecursionError: a body nested thousands deep
            data = None
        if isinstance(data, dict):
            raw_code = data.get("__type") or data.get("code") or data.get("Code")
            if raw_code and not code:
                code = str(raw_code).rsplit("#", 1)[-1]
            raw_message = data.get("message") or data.get("Message")
            message = str(raw_message) if raw_message else None
    elif text and not text.startswith("<"):
        message = text[:_BODY_EXCERPT].splitlines()[0]
    return code, message


def translate_error(
    error: Exception,
    *,
    endpoint: str,
    session: StreamSession | None = None,
    sending: bool = False,
    timeout: float | None = None,
) -> TranscribeMedicalError | None:
    """Translate an exception raised by ``websockets``, the socket or TLS into the library's own.

    Args:
        error: What was raised.
        endpoint: ``host:port`` for messages.
        session: The session, once connected: a closed connection is judged by its state.
        sending: The error came from sending (then the session's state is left alone, because
            the receiving side judges how the stream ended).
        timeout: The timeout that expired, for the message.

    Returns:
        The library error to raise, or ``None`` when the error is the normal end of the stream
        (the service closed the connection after the end of the audio).
    """
    from websockets import exceptions as wse

    if isinstance(error, TranscribeMedicalError):
        return error
    if isinstance(error, RedirectRefused):
        # Not retried: the peer will answer the same way, and AWS never redirects here.
        return ProtocolError(
            f"{endpoint} answered the WebSocket upgrade with a redirect (HTTP {error.status}); "
            "redirects are refused: check the streaming endpoint URL"
        )
    if isinstance(error, wse.ConnectionClosed):
        code = error.rcvd.code if error.rcvd is not None else None
        if error.sent is not None and error.sent.code == _WEBSOCKET_MESSAGE_TOO_BIG:
            too_big = ProtocolError(f"the service sent a message over {_limits.EVENTSTREAM_MAX_MESSAGE_SIZE} bytes")
            if session is not None:
                session.fail(too_big)
            return too_big
        if session is None:
            return ConnectionError(f"the connection to {endpoint} closed (close code {code})")
        if sending:
            if session.error is not None:
                return session.error
            return ConnectionError(
                f"the connection to {endpoint} closed while audio was being sent (close code {code})",
                transcript=session.transcript,
            )
        try:
            session.connection_closed(code)
        except TranscribeMedicalError as closed:
            return closed
        return None
    if isinstance(error, wse.InvalidStatus):
        response = error.response
        return handshake_error(response.status_code, response.headers, bytes(response.body or b""))
    if isinstance(error, wse.InvalidURI):
        return ValidationError(f"endpoint_url: not a WebSocket URL ({type(error).__name__})", field="endpoint_url")
    if isinstance(error, wse.InvalidProxy | wse.ProxyError):
        return ConnectionError(f"the proxy refused or failed the connection to {endpoint}: {error}")
    if isinstance(error, wse.InvalidHandshake):
        return ConnectionError(
            f"{endpoint} did not answer as a WebSocket server ({type(error).__name__}); check the endpoint URL"
        )
    if isinstance(error, wse.ProtocolError | wse.PayloadTooBig):
        return ConnectionError(f"the WebSocket connection to {endpoint} broke: {error}")
    if isinstance(error, wse.WebSocketException):
        return TranscribeMedicalError(f"WebSocket error on {endpoint}: {type(error).__name__}: {error}")
    if isinstance(error, builtins.TimeoutError):
        waited = f" for {timeout:g} s" if timeout else ""
        return TimeoutError(f"{endpoint} did not answer{waited}")
    if isinstance(error, ssl.SSLError):
        reason = getattr(error, "reason", None) or type(error).__name__
        return ConnectionError(f"TLS with {endpoint} failed ({reason}); check AWS_CA_BUNDLE or verify=")
    if isinstance(error, OSError):
        reason = error.strerror or str(error) or type(error).__name__
        return ConnectionError(f"could not connect to {endpoint}: {reason}")
    return TranscribeMedicalError(f"unexpected error on the stream to {endpoint}: {type(error).__name__}")
