"""A WSGI layer that admits only requests signed with the emulator's credentials.

moto accepts any credentials. That is right for an emulator on loopback, but one reachable on the
network (``serve --allow-remote``) holds PHI: its audio, transcripts and notes. This layer, the
outermost in front of moto and the emulator's own layers, verifies each request's SigV4
``Authorization`` header (:func:`~transcribe_medical.local.sigv4_verifier.verify_authorization_header`)
and answers anything else with HTTP 403, in S3's XML or the AWS JSON protocol's shape.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any
from xml.sax.saxutils import escape

from transcribe_medical._logging import get_logger
from transcribe_medical.local.aws_json import WsgiApp
from transcribe_medical.local.sigv4_verifier import (
    EmulatorCredentials,
    SignatureRejected,
    verify_authorization_header,
)

__all__ = ["SignedRequestsLayer"]

_log = get_logger("local.auth")


class SignedRequestsLayer:
    """Refuse (403) every batch / S3 request not signed with the given credentials."""

    def __init__(self, credentials: EmulatorCredentials, clock: Callable[[], datetime] | None = None) -> None:
        """Admit requests signed with ``credentials``, dated within 5 minutes of ``clock()``."""
        self.credentials = credentials
        self.clock = clock or (lambda: datetime.now(UTC))

    def wrap(self, app: WsgiApp) -> WsgiApp:
        """Put the check in front of ``app``."""

        def checked(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
            body = _read_all(environ)
            headers = {
                key[5:].replace("_", "-").lower(): str(value)
                for key, value in environ.items()
                if key.startswith("HTTP_")
            }
            if environ.get("CONTENT_TYPE"):
                headers["content-type"] = str(environ["CONTENT_TYPE"])
            if environ.get("CONTENT_LENGTH"):
                headers["content-length"] = str(environ["CONTENT_LENGTH"])
            raw_uri = str(environ.get("RAW_URI") or environ.get("REQUEST_URI") or environ.get("PATH_INFO", "/"))
            try:
                verify_authorization_header(
                    method=str(environ.get("REQUEST_METHOD", "GET")),
                    raw_uri=raw_uri,
                    headers=headers,
                    body=body,
                    credentials=self.credentials,
                    now=self.clock(),
                )
            except SignatureRejected as rejected:
                _log.info("refused a batch request (403 %s)", rejected.code)
                return _refusal(headers, rejected, start_response)
            return app(environ, start_response)

        return checked


def _read_all(environ: dict[str, Any]) -> bytes:
    """Read the body (S3 uploads too: no size limit here) and put it back for the wrapped app."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    body: bytes = environ["wsgi.input"].read(length) if length > 0 else b""
    environ["wsgi.input"] = io.BytesIO(body)
    return body


def _refusal(headers: dict[str, str], rejected: SignatureRejected, start_response: Any) -> list[bytes]:
    if "x-amz-target" in headers:  # the AWS JSON protocol (Transcribe)
        body = json.dumps({"__type": rejected.code, "message": rejected.reason}).encode()
        content_type = "application/x-amz-json-1.1"
    else:  # S3's REST-XML
        body = (
            f"<?xml version='1.0' encoding='UTF-8'?><Error><Code>{escape(rejected.code)}</Code>"
            f"<Message>{escape(rejected.reason)}</Message></Error>"
        ).encode()
        content_type = "application/xml"
    start_response(
        "403 Forbidden",
        [("Content-Type", content_type), ("Content-Length", str(len(body))), ("x-amzn-ErrorType", rejected.code)],
    )
    return [body]
