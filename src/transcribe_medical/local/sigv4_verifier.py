"""Independent verification of SigV4 query-presigned WebSocket URLs (the emulator's side).

The emulator does not trust the client library: it re-derives the signature with :mod:`hmac` and
:mod:`hashlib` from the credentials it was started with, exactly as AWS describes query signing
(reference §3.3):

1. the canonical query is every parameter except ``X-Amz-Signature``, RFC 3986-encoded and sorted;
2. the canonical request is ``GET``, the path, that query, ``host:<Host header>`` (the port
   included, as the client sent it), the signed header list and the SHA-256 of an empty payload;
3. the string to sign is ``AWS4-HMAC-SHA256``, ``X-Amz-Date``, the scope and the request's hash;
4. the key is derived from the secret through the date, region, service (``transcribe``) and
   ``aws4_request``.

Besides the signature itself it checks the algorithm, the credential scope (access key, date,
region, service), ``X-Amz-Expires`` (1..300 s), the clock (the URL may be used from 5 minutes
before ``X-Amz-Date`` until ``X-Amz-Date + X-Amz-Expires``) and the session token. Any failure
raises :class:`SignatureRejected`, which the server answers with HTTP 403 before upgrading.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Final
from urllib.parse import quote, unquote

from transcribe_medical import _limits

__all__ = [
    "EmulatorCredentials",
    "SignatureRejected",
    "canonical_query_string",
    "random_credentials",
    "signing_key",
    "split_query",
    "verify_authorization_header",
    "verify_presigned_request",
]

_ALGORITHM: Final = "AWS4-HMAC-SHA256"
_EMPTY_SHA256: Final = hashlib.sha256(b"").hexdigest()
_AMZ_DATE_RE: Final = re.compile(r"^\d{8}T\d{6}Z$")
#: How far the client's clock may be from the server's (AWS: 5 minutes).
MAX_CLOCK_SKEW: Final = timedelta(minutes=5)

_SIGNATURE_MISMATCH: Final = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method."
)


@dataclass(frozen=True)
class EmulatorCredentials:
    """The test credentials an emulator accepts (and hands to its clients).

    They are not secrets (the emulator makes them up), but ``repr()`` hides the secret anyway so
    that they never end up in logs by habit.

    Attributes:
        access_key_id: The access key id clients must sign with.
        secret_access_key: The matching secret.
        session_token: A session token clients must send, or ``None`` for long-term keys.
    """

    access_key_id: str
    secret_access_key: str = field(repr=False)
    session_token: str | None = field(default=None, repr=False)

    def as_environment(self) -> dict[str, str]:
        """The ``AWS_*`` variables that make boto3 and the SDK use these credentials."""
        env = {"AWS_ACCESS_KEY_ID": self.access_key_id, "AWS_SECRET_ACCESS_KEY": self.secret_access_key}
        if self.session_token:
            env["AWS_SESSION_TOKEN"] = self.session_token
        return env


def random_credentials() -> EmulatorCredentials:
    """Fresh credentials nobody else knows, for an emulator reachable from the network."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    access_key = "AKIDLOCAL" + "".join(secrets.choice(alphabet) for _ in range(11))
    return EmulatorCredentials(access_key_id=access_key, secret_access_key=secrets.token_urlsafe(30))


class SignatureRejected(Exception):
    """The presigned request failed verification; ``str()`` is the AWS-like reason.

    Attributes:
        code: The AWS error code the service would use (e.g. ``"InvalidSignatureException"``).
        reason: The message for the client (never contains the signature or the secret).
    """

    def __init__(self, reason: str, *, code: str = "InvalidSignatureException") -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


def _uri_encode(value: str) -> str:
    return quote(value, safe="-_.~")


def split_query(raw_query: str) -> list[tuple[str, str]]:
    """Split a raw query string into decoded ``(name, value)`` pairs, keeping their order.

    ``+`` is kept as a literal plus (SigV4 clients encode spaces as ``%20``).
    """
    pairs: list[tuple[str, str]] = []
    if not raw_query:
        return pairs
    for piece in raw_query.split("&"):
        if not piece:
            continue
        name, _, value = piece.partition("=")
        pairs.append((unquote(name), unquote(value)))
    return pairs


def canonical_query_string(pairs: list[tuple[str, str]]) -> str:
    """The SigV4 canonical query of ``pairs`` (``X-Amz-Signature`` left out)."""
    encoded = sorted((_uri_encode(name), _uri_encode(value)) for name, value in pairs if name != "X-Amz-Signature")
    return "&".join(f"{name}={value}" for name, value in encoded)


def signing_key(secret_access_key: str, date_stamp: str, region: str, service: str) -> bytes:
    """Derive the SigV4 signing key (``kSigning``)."""
    key = hmac.new(f"AWS4{secret_access_key}".encode(), date_stamp.encode(), hashlib.sha256).digest()
    for part in (region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def _single(params: Mapping[str, list[str]], name: str) -> str:
    values = params.get(name)
    if not values:
        raise SignatureRejected(
            f"AWS query-string parameters must include '{name}'. Re-examine the query-string parameters.",
            code="IncompleteSignatureException",
        )
    if len(values) > 1:
        raise SignatureRejected(
            f"The query parameter '{name}' appears more than once.", code="IncompleteSignatureException"
        )
    return values[0]


def verify_presigned_request(
    *,
    method: str,
    path: str,
    raw_query: str,
    host: str,
    credentials: EmulatorCredentials,
    region: str,
    now: datetime,
    service: str = _limits.STREAMING_SIGNING_NAME,
    max_expires: int = _limits.PRESIGN_MAX_EXPIRES,
    max_clock_skew: timedelta = MAX_CLOCK_SKEW,
) -> list[tuple[str, str]]:
    """Verify a SigV4 query-presigned request and return its query parameters.

    Args:
        method: The HTTP method (``GET`` for a WebSocket upgrade).
        path: The request path, as sent (already URI-encoded).
        raw_query: The raw query string (without ``?``).
        host: The ``Host`` header as received, port included.
        credentials: The credentials the emulator accepts.
        region: The region the emulator serves; the credential scope must name it.
        now: The server's current time (timezone-aware, or naive UTC).
        service: The signing name (``transcribe`` for medical streaming).
        max_expires: The largest ``X-Amz-Expires`` accepted (AWS: 300).
        max_clock_skew: How far ahead of the server the client's clock may be.

    Returns:
        Every decoded query parameter, in the order sent (the ``X-Amz-*`` ones included).

    Raises:
        SignatureRejected: Anything is missing, malformed, expired, or does not match.
    """
    pairs = split_query(raw_query)
    params: dict[str, list[str]] = {}
    for name, value in pairs:
        params.setdefault(name, []).append(value)

    algorithm = _single(params, "X-Amz-Algorithm")
    if algorithm != _ALGORITHM:
        raise SignatureRejected(
            f"Unsupported AWS 'algorithm': '{algorithm}'. Use {_ALGORITHM}.", code="IncompleteSignatureException"
        )
    credential = _single(params, "X-Amz-Credential")
    amz_date = _single(params, "X-Amz-Date")
    expires_text = _single(params, "X-Amz-Expires")
    signed_headers = _single(params, "X-Amz-SignedHeaders")
    signature = _single(params, "X-Amz-Signature")

    parts = credential.split("/")
    if len(parts) != 5:
        raise SignatureRejected(
            "Credential should be scoped to a valid region, service and date: "
            "'<access key>/<date>/<region>/<service>/aws4_request'.",
            code="IncompleteSignatureException",
        )
    access_key, date_stamp, scope_region, scope_service, terminator = parts
    if access_key != credentials.access_key_id:
        raise SignatureRejected(
            "The security token included in the request is invalid.", code="UnrecognizedClientException"
        )
    if not _AMZ_DATE_RE.match(amz_date):
        raise SignatureRejected(
            f"X-Amz-Date must be in the ISO8601 basic format (got '{amz_date}').", code="IncompleteSignatureException"
        )
    if date_stamp != amz_date[:8]:
        raise SignatureRejected(
            "Credential should be scoped to a valid date: the scope's date "
            f"'{date_stamp}' is not the date of X-Amz-Date."
        )
    if scope_region != region:
        raise SignatureRejected(
            f"Credential should be scoped to a valid region, not '{scope_region}'. This endpoint serves '{region}'."
        )
    if scope_service != service:
        raise SignatureRejected(f"Credential should be scoped to correct service: '{service}'.")
    if terminator != "aws4_request":
        raise SignatureRejected("Credential should be scoped with a valid terminator: 'aws4_request'.")

    try:
        expires = int(expires_text)
    except ValueError:
        raise SignatureRejected(
            f"X-Amz-Expires should be a number (got '{expires_text}').", code="IncompleteSignatureException"
        ) from None
    if expires < 1 or expires > max_expires:
        raise SignatureRejected(
            f"X-Amz-Expires must be between 1 and {max_expires} seconds (got {expires}).", code="AuthFailure"
        )

    signed_at = datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    current = now if now.tzinfo is not None else now.replace(tzinfo=UTC)
    if current + max_clock_skew < signed_at:
        raise SignatureRejected(
            f"Signature not yet current: {amz_date} is still later than "
            f"{(current + max_clock_skew):%Y%m%dT%H%M%SZ} ({current:%Y%m%dT%H%M%SZ} + 5 min.)",
            code="InvalidSignatureException",
        )
    if current > signed_at + timedelta(seconds=expires):
        raise SignatureRejected(
            f"Signature expired: {amz_date} is now earlier than "
            f"{(current - timedelta(seconds=expires)):%Y%m%dT%H%M%SZ} "
            f"({current:%Y%m%dT%H%M%SZ} - {expires} sec.)",
            code="InvalidSignatureException",
        )

    header_names = signed_headers.split(";")
    if "host" not in header_names or header_names != sorted(header_names):
        raise SignatureRejected("X-Amz-SignedHeaders must list 'host' (sorted, lower case).")
    if header_names != ["host"]:
        # A WebSocket client cannot control other headers of the upgrade request reliably.
        raise SignatureRejected("Only the 'host' header may be signed on a presigned WebSocket URL.")

    token = params.get("X-Amz-Security-Token")
    if credentials.session_token is None and token:
        raise SignatureRejected(
            "The security token included in the request is invalid.", code="UnrecognizedClientException"
        )
    if credentials.session_token is not None and (
        not token or len(token) != 1 or not hmac.compare_digest(token[0], credentials.session_token)
    ):
        raise SignatureRejected(
            "The security token included in the request is invalid.", code="UnrecognizedClientException"
        )

    canonical_request = "\n".join(
        (method.upper(), path, canonical_query_string(pairs), f"host:{host.strip()}", "", "host", _EMPTY_SHA256)
    )
    scope = f"{date_stamp}/{scope_region}/{scope_service}/aws4_request"
    string_to_sign = "\n".join((_ALGORITHM, amz_date, scope, hashlib.sha256(canonical_request.encode()).hexdigest()))
    key = signing_key(credentials.secret_access_key, date_stamp, scope_region, scope_service)
    expected = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature.lower()):
        raise SignatureRejected(_SIGNATURE_MISMATCH, code="InvalidSignatureException")
    return pairs


_AUTHORIZATION_RE: Final = re.compile(
    r"^AWS4-HMAC-SHA256\s+Credential=(?P<credential>[^,\s]+),\s*"
    r"SignedHeaders=(?P<signed>[^,\s]+),\s*Signature=(?P<signature>[0-9a-fA-F]+)\s*$"
)


def verify_authorization_header(
    *,
    method: str,
    raw_uri: str,
    headers: Mapping[str, str],
    body: bytes,
    credentials: EmulatorCredentials,
    now: datetime,
    max_clock_skew: timedelta = MAX_CLOCK_SKEW,
) -> str:
    """Verify a request signed with SigV4 in its ``Authorization`` header (boto3's API calls).

    The signature is recomputed with botocore's own signer (the one that made it) from the
    request as received, for the service and region its credential scope names.

    Args:
        method: The HTTP method.
        raw_uri: The path and query exactly as sent (still URI-encoded).
        headers: The request's headers, names in lower case.
        body: The request body (hashed when no ``x-amz-content-sha256`` header gives its hash).
        credentials: The only credentials accepted.
        now: The server's current time (timezone-aware, or naive UTC).
        max_clock_skew: How far the client's ``X-Amz-Date`` may be from the server's clock.

    Returns:
        The signing name of the service the request was signed for (e.g. ``s3``, ``transcribe``).

    Raises:
        SignatureRejected: Unsigned, signed with other credentials, too old, or not matching.
    """
    from botocore.auth import S3SigV4Auth, SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    match = _AUTHORIZATION_RE.match(headers.get("authorization", ""))
    if match is None:
        raise SignatureRejected(
            "The request is not signed with AWS Signature Version 4 credentials.", code="MissingAuthenticationToken"
        )
    parts = match["credential"].split("/")
    if len(parts) != 5 or parts[4] != "aws4_request":
        raise SignatureRejected("The credential scope is malformed.", code="IncompleteSignatureException")
    access_key, date_stamp, region, service, _ = parts
    if not hmac.compare_digest(access_key, credentials.access_key_id):
        raise SignatureRejected(
            "The security token included in the request is invalid.", code="UnrecognizedClientException"
        )
    amz_date = headers.get("x-amz-date", "")
    if not _AMZ_DATE_RE.match(amz_date) or amz_date[:8] != date_stamp:
        raise SignatureRejected("X-Amz-Date is missing or does not match the credential scope.")
    signed_at = datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    current = now if now.tzinfo is not None else now.replace(tzinfo=UTC)
    if abs(current - signed_at) > max_clock_skew:
        raise SignatureRejected("Signature expired: the request's X-Amz-Date is more than 5 minutes away.")
    token = headers.get("x-amz-security-token")
    if (credentials.session_token or None) != (token or None) or (
        token and not hmac.compare_digest(token, credentials.session_token or "")
    ):
        raise SignatureRejected(
            "The security token included in the request is invalid.", code="UnrecognizedClientException"
        )
    signed = match["signed"].split(";")
    if "host" not in signed:
        raise SignatureRejected("The signed headers must include 'host'.")
    request = AWSRequest(
        method=method.upper(),
        url=f"http://{headers.get('host', '')}{raw_uri}",
        headers={name: headers.get(name, "") for name in signed},
        data=body,
    )
    request.context["timestamp"] = amz_date
    signer_class = S3SigV4Auth if service == "s3" else SigV4Auth
    signer = signer_class(
        Credentials(credentials.access_key_id, credentials.secret_access_key, credentials.session_token),
        service,
        region,
    )
    string_to_sign = signer.string_to_sign(request, signer.canonical_request(request))
    expected = signer.signature(string_to_sign, request)
    if not hmac.compare_digest(expected, match["signature"].lower()):
        raise SignatureRejected(_SIGNATURE_MISMATCH, code="SignatureDoesNotMatch")
    return service
