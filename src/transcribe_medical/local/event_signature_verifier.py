"""Independent verification of SigV4 on an HTTP/2 event stream (the emulator's side of HealthScribe streaming).

Two checks, each re-derived with :mod:`hmac` and :mod:`hashlib` from the credentials the emulator
was started with (reference healthscribe.md §4), never trusting the client library:

1. :func:`verify_header_signature`: the request's ``Authorization`` header (SigV4 header signing).
   The canonical request uses the ``x-amz-content-sha256`` header as the payload hash
   (``STREAMING-AWS4-HMAC-SHA256-EVENTS`` for the event stream); scope, clock (5 minutes either
   way) and session token are checked as :mod:`~transcribe_medical.local.sigv4_verifier` does.
   The seed of the event chain is the header's ``Signature=`` value.
2. :class:`EventChainVerifier`: every outer event-stream message carries ``:date`` (timestamp) and
   ``:chunk-signature`` (32 raw bytes) around the inner message; its string to sign is
   ``AWS4-HMAC-SHA256-PAYLOAD``, the date, the scope, the prior signature (hex), the SHA-256 of the
   encoded ``:date`` header and the SHA-256 of the inner message. An empty payload is the end frame.

Every failure raises :class:`~transcribe_medical.local.sigv4_verifier.SignatureRejected`.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final
from urllib.parse import quote

from transcribe_medical.eventstream import Message, Timestamp
from transcribe_medical.eventstream._headers import encode_headers
from transcribe_medical.local.sigv4_verifier import (
    MAX_CLOCK_SKEW,
    EmulatorCredentials,
    SignatureRejected,
    canonical_query_string,
    signing_key,
    split_query,
)

__all__ = ["EventChainVerifier", "RequestSignature", "verify_header_signature"]

_ALGORITHM: Final = "AWS4-HMAC-SHA256"
_PAYLOAD_ALGORITHM: Final = "AWS4-HMAC-SHA256-PAYLOAD"
_AUTH_RE: Final = re.compile(
    r"^AWS4-HMAC-SHA256\s+Credential=(?P<credential>[^,\s]+),\s*SignedHeaders=(?P<signed>[^,\s]+),"
    r"\s*Signature=(?P<signature>[0-9a-fA-F]{64})\s*$"
)
_MISMATCH: Final = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method."
)
_EVENT_MISMATCH: Final = (
    "The event signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method."
)


@dataclass(frozen=True)
class RequestSignature:
    """What a verified request's signature gives the event chain.

    Attributes:
        seed: The ``Signature=`` value (hex): the prior signature of the first event.
        date_stamp: The scope's date (``YYYYMMDD``).
        region: The scope's region.
        service: The scope's service.
    """

    seed: str
    date_stamp: str
    region: str
    service: str


def _canonical_uri(path: str) -> str:
    return quote(path, safe="/-_.~%")


def verify_header_signature(
    method: str,
    target: str,
    headers: Mapping[str, str],
    *,
    credentials: EmulatorCredentials,
    region: str,
    now: datetime,
    service: str = "transcribe",
) -> RequestSignature:
    """Verify a header-signed SigV4 request.

    Args:
        method: The HTTP method.
        target: The request path with its query (HTTP/2 ``:path``).
        headers: Lower-case header names to values (``host`` or ``:authority`` for the host).
        credentials: The only accepted credentials.
        region: The region the scope must name.
        now: The server's current time.
        service: The service the scope must name.

    Returns:
        The seed and scope of the event chain.

    Raises:
        SignatureRejected: With the AWS-like reason.
    """
    authorization = headers.get("authorization", "")
    found = _AUTH_RE.match(authorization.strip())
    if found is None:
        raise SignatureRejected(
            "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' (AWS4-HMAC-SHA256).",
            code="IncompleteSignatureException",
        )
    parts = found["credential"].split("/")
    if len(parts) != 5 or parts[4] != "aws4_request":
        raise SignatureRejected(
            "Credential should be scoped to a valid region, service and date: "
            "'<access key>/<date>/<region>/<service>/aws4_request'.",
            code="IncompleteSignatureException",
        )
    access_key, date_stamp, scope_region, scope_service, _ = parts
    if access_key != credentials.access_key_id:
        raise SignatureRejected(
            "The security token included in the request is invalid.", code="UnrecognizedClientException"
        )
    amz_date = headers.get("x-amz-date", "")
    try:
        signed_at = datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        raise SignatureRejected(
            f"X-Amz-Date must be in the ISO8601 basic format (got '{amz_date}').", code="IncompleteSignatureException"
        ) from None
    if date_stamp != amz_date[:8]:
        raise SignatureRejected(f"Credential should be scoped to a valid date, not '{date_stamp}'.")
    if scope_region != region:
        raise SignatureRejected(
            f"Credential should be scoped to a valid region, not '{scope_region}'. This endpoint serves '{region}'."
        )
    if scope_service != service:
        raise SignatureRejected(f"Credential should be scoped to correct service: '{service}'.")
    current = now if now.tzinfo is not None else now.replace(tzinfo=UTC)
    if abs(current - signed_at) > MAX_CLOCK_SKEW:
        raise SignatureRejected(
            f"Signature expired: {amz_date} is now earlier than "
            f"{(current - MAX_CLOCK_SKEW):%Y%m%dT%H%M%SZ} ({current:%Y%m%dT%H%M%SZ} - 5 min.)"
            if signed_at < current
            else f"Signature not yet current: {amz_date} is still later than "
            f"{(current + MAX_CLOCK_SKEW):%Y%m%dT%H%M%SZ} ({current:%Y%m%dT%H%M%SZ} + 5 min.)",
        )
    token = headers.get("x-amz-security-token")
    if (credentials.session_token or None) != (token or None) or (
        token is not None and not hmac.compare_digest(token, credentials.session_token or "")
    ):
        raise SignatureRejected(
            "The security token included in the request is invalid.", code="UnrecognizedClientException"
        )
    signed = found["signed"].split(";")
    if signed != sorted(signed) or "host" not in signed:
        raise SignatureRejected("SignedHeaders must list 'host' (sorted, lower case).")
    lines: list[str] = []
    for name in signed:
        value = headers.get(name)
        if value is None and name == "host":
            value = headers.get(":authority")
        if value is None:
            raise SignatureRejected(f"The header '{name}' is signed but missing.")
        lines.append(f"{name}:{' '.join(value.strip().split())}")
    path, _, query = target.partition("?")
    payload_hash = headers.get("x-amz-content-sha256") or hashlib.sha256(b"").hexdigest()
    canonical = "\n".join(
        (
            method.upper(),
            _canonical_uri(path),
            canonical_query_string(split_query(query)),
            "\n".join(lines) + "\n",
            ";".join(signed),
            payload_hash,
        )
    )
    scope = f"{date_stamp}/{scope_region}/{scope_service}/aws4_request"
    string_to_sign = "\n".join((_ALGORITHM, amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()))
    key = signing_key(credentials.secret_access_key, date_stamp, scope_region, scope_service)
    expected = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, found["signature"].lower()):
        raise SignatureRejected(_MISMATCH)
    return RequestSignature(found["signature"].lower(), date_stamp, scope_region, scope_service)


def event_string_to_sign(when: datetime, scope: str, prior_signature: str, date_header: bytes, inner: bytes) -> str:
    """The string to sign of one event (reference §4 step 3)."""
    return "\n".join(
        (
            _PAYLOAD_ALGORITHM,
            f"{when:%Y%m%dT%H%M%SZ}",
            scope,
            prior_signature,
            hashlib.sha256(date_header).hexdigest(),
            hashlib.sha256(inner).hexdigest(),
        )
    )


class EventChainVerifier:
    """Verifies the chained signature of each outer message of one request body.

    Args:
        credentials: The emulator's credentials (the secret derives the key).
        signature: The verified request signature (seed and scope).
    """

    def __init__(self, credentials: EmulatorCredentials, signature: RequestSignature) -> None:
        self._secret = credentials.secret_access_key
        self._signature = signature
        self._prior = signature.seed
        self._keys: dict[str, bytes] = {}
        self.ended = False
        self.events_verified = 0

    def _key(self, date_stamp: str) -> bytes:
        key = self._keys.get(date_stamp)
        if key is None:
            key = signing_key(self._secret, date_stamp, self._signature.region, self._signature.service)
            self._keys[date_stamp] = key
        return key

    def unwrap(self, outer: Message, *, now: datetime | None = None) -> bytes | None:
        """Verify one outer message; return the inner message's bytes (``None`` for the end frame).

        Raises:
            SignatureRejected: A missing, malformed or wrong signature, or a message after the end frame.
        """
        if self.ended:
            raise SignatureRejected("No event may follow the signed end frame.")
        date = outer.headers.get(":date")
        signature = outer.headers.get(":chunk-signature")
        if not isinstance(date, Timestamp) or not isinstance(signature, bytes) or len(signature) != 32:
            raise SignatureRejected(
                "Every event must be wrapped in a signed message with ':date' (timestamp) and "
                "':chunk-signature' (32 bytes) headers.",
                code="IncompleteSignatureException",
            )
        when = date.to_datetime().replace(microsecond=0)
        if now is not None and abs(now - when) > MAX_CLOCK_SKEW + timedelta(seconds=1):
            raise SignatureRejected(f"The event's :date {when:%Y%m%dT%H%M%SZ} is more than 5 minutes from now.")
        date_stamp = f"{when:%Y%m%d}"
        scope = f"{date_stamp}/{self._signature.region}/{self._signature.service}/aws4_request"
        date_header = encode_headers({":date": date})
        string_to_sign = event_string_to_sign(when, scope, self._prior, date_header, outer.payload)
        expected = hmac.new(self._key(date_stamp), string_to_sign.encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(expected, signature):
            raise SignatureRejected(_EVENT_MISMATCH)
        self._prior = expected.hex()
        self.events_verified += 1
        if not outer.payload:
            self.ended = True
            return None
        return outer.payload
