"""The one place where HTTP/2, socket and TLS failures become the library's errors."""

from __future__ import annotations

import builtins
import json
import ssl
from collections.abc import Mapping

from transcribe_medical._exceptions import (
    ConnectionError,
    CredentialsError,
    ProtocolError,
    TimeoutError,
    TranscribeMedicalError,
    service_error_from_code,
)

__all__ = ["exception_event_error", "response_error", "translate_error"]

_HINT = f"{CredentialsError.HINT}; the identity also needs transcribe:StartMedicalScribeStream"


def _details(headers: Mapping[str, str], body: bytes) -> tuple[str | None, str | None]:
    code = headers.get("x-amzn-errortype")
    if code:
        code = code.split(":", 1)[0]
    message: str | None = None
    text = bytes(body[:4096]).decode("utf-8", "replace").strip()
    if text.startswith("{"):
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):
            data = None
        if isinstance(data, dict):
            raw = data.get("__type") or data.get("code") or data.get("Code")
            if raw and not code:
                code = str(raw).rsplit("#", 1)[-1]
            said = data.get("message") or data.get("Message")
            message = str(said) if said else None
    elif text and not text.startswith("<"):
        message = text[:200].splitlines()[0]
    return code, message


def response_error(status: int, headers: Mapping[str, str], body: bytes) -> TranscribeMedicalError:
    """The error for a refused StartMedicalScribeStream (an HTTP status other than 200).

    403 (a refused signature, clock, token or permission) is a :class:`CredentialsError`; other
    statuses become the :class:`ServiceError` of their code or family.
    """
    request_id = headers.get("x-amzn-requestid") or headers.get("x-amzn-request-id")
    code, message = _details(headers, body)
    if status == 403 or code in ("InvalidSignatureException", "UnrecognizedClientException", "ExpiredTokenException"):
        return CredentialsError.refused(
            code,
            message or "",
            request_id=request_id,
            status_code=status,
            refusal=f"the service refused the HealthScribe stream (HTTP {status}: signature or permission)",
            hint=_HINT,
        )
    return service_error_from_code(
        code or f"HTTP{status}",
        message or f"the HealthScribe stream was refused with HTTP {status}",
        request_id=request_id,
        status_code=status,
    )


def exception_event_error(exception_type: str, payload: bytes) -> TranscribeMedicalError:
    """The error for an exception event on the result stream (``BadRequestException`` ...)."""
    message = ""
    try:
        data = json.loads(payload or b"{}")
        if isinstance(data, dict):
            message = str(data.get("Message") or data.get("message") or "")
    except (ValueError, RecursionError):
        message = ""
    if exception_type in ("InvalidSignatureException", "UnrecognizedClientException", "ExpiredTokenException"):
        return CredentialsError.refused(
            exception_type, message, refusal="the service refused an event's signature", hint=_HINT
        )
    return service_error_from_code(exception_type, message or f"the service ended the stream with {exception_type}")


def translate_error(error: BaseException, *, endpoint: str, timeout: float | None = None) -> TranscribeMedicalError:
    """Translate an exception raised by ``h2``, the socket or TLS into the library's own."""
    import h2.exceptions

    if isinstance(error, TranscribeMedicalError):
        return error
    if isinstance(error, h2.exceptions.H2Error):
        return ProtocolError(f"the HTTP/2 connection to {endpoint} broke: {type(error).__name__}: {error}")
    if isinstance(error, EOFError):  # asyncio's IncompleteReadError: the peer closed mid-answer
        return ConnectionError(f"{endpoint} closed the connection before answering")
    if isinstance(error, builtins.TimeoutError):
        waited = f" for {timeout:g} s" if timeout else ""
        return TimeoutError(f"{endpoint} did not answer{waited}")
    if isinstance(error, ssl.SSLError):
        reason = getattr(error, "reason", None) or type(error).__name__
        return ConnectionError(f"TLS with {endpoint} failed ({reason}); check AWS_CA_BUNDLE or verify=")
    if isinstance(error, OSError):
        reason = error.strerror or str(error) or type(error).__name__
        return ConnectionError(f"could not connect to {endpoint}: {reason}")
    return TranscribeMedicalError(f"unexpected error on the HTTP/2 stream to {endpoint}: {type(error).__name__}")
