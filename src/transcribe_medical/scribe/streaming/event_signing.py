"""SigV4 event-stream signing for HealthScribe streaming (sans-I/O, pure functions).

The initial HTTP/2 request is signed by botocore with the payload hash
``STREAMING-AWS4-HMAC-SHA256-EVENTS``; its ``Signature=`` value seeds a chain. Every event
message is then wrapped in an outer message whose headers are ``:chunk-signature`` (the raw
32-byte HMAC) and ``:date`` (a timestamp) and whose payload is the whole inner message; each
signature covers the one before. The stream ends with one signed frame with an empty payload.
Facts: reference/healthscribe.md section 4.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final, NamedTuple, TypeAlias

from transcribe_medical._exceptions import ProtocolError, ValidationError
from transcribe_medical.eventstream import Timestamp
from transcribe_medical.eventstream._encoder import frame_message
from transcribe_medical.eventstream._headers import encode_headers

__all__ = [
    "STREAMING_PAYLOAD_HASH",
    "AnyCredentials",
    "EventSigner",
    "SignedRequest",
    "derive_signing_key",
    "event_string_to_sign",
    "seed_signature",
    "sign_initial_request",
]

#: The canonical payload hash of a request whose body is a signed event stream.
STREAMING_PAYLOAD_HASH: Final = "STREAMING-AWS4-HMAC-SHA256-EVENTS"
_ALGORITHM: Final = "AWS4-HMAC-SHA256-PAYLOAD"
_EMPTY_SHA256: Final = hashlib.sha256(b"").hexdigest()

# The outer message's header section is ``:chunk-signature`` (type 6, 32 bytes) then ``:date``
# (type 8): the bytes before the signature never change, and those after it change once a second.
_SIGNATURE_HEADER: Final = encode_headers({":chunk-signature": bytes(32)})[:-32]


if TYPE_CHECKING:
    from botocore.credentials import Credentials, ReadOnlyCredentials

#: Credentials as botocore gives them (frozen ones preferred: a refresh mid-stream would break the chain).
AnyCredentials: TypeAlias = "Credentials | ReadOnlyCredentials"


@dataclass(frozen=True)
class SignedRequest:
    """The signed initial request: its headers (to send) and the seed of the event chain."""

    headers: Mapping[str, str]
    seed_signature: str = field(repr=False)


def seed_signature(authorization: str) -> str:
    """The hex ``Signature=`` value of a SigV4 ``Authorization`` header.

    Raises:
        ProtocolError: If the header has no signature (botocore did not sign the request).
    """
    _, found, signature = authorization.rpartition("Signature=")
    signature = signature.strip()
    if not found or len(signature) != 64:
        raise ProtocolError("the signed request has no SigV4 signature to seed the event chain")
    return signature


def sign_initial_request(
    url: str,
    headers: Mapping[str, str],
    credentials: AnyCredentials,
    region: str,
    *,
    service: str = "transcribe",
) -> SignedRequest:
    """Sign the ``POST`` that opens the event stream with botocore's SigV4.

    Args:
        url: The full request URL (``https://host/medical-scribe-stream``).
        headers: Headers to sign (the ``x-amzn-transcribe-*`` ones, the content type).
        credentials: Frozen botocore credentials.
        region: The credential scope's Region.
        service: The credential scope's service (``transcribe`` for HealthScribe).

    Returns:
        The headers to send (with ``Authorization``, ``X-Amz-Date``, ``X-Amz-Content-SHA256`` and
        the session token when there is one) and the seed signature.
    """
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest

    request = AWSRequest(method="POST", url=url, headers=dict(headers), data=b"")
    # botocore uses this header verbatim as the canonical payload hash, and signs it.
    request.headers["X-Amz-Content-SHA256"] = STREAMING_PAYLOAD_HASH
    SigV4Auth(credentials, service, region).add_auth(request)
    signed = {name: str(value) for name, value in request.headers.items()}
    return SignedRequest(headers=signed, seed_signature=seed_signature(signed["Authorization"]))


def derive_signing_key(secret_key: str, date_stamp: str, region: str, service: str) -> bytes:
    """The SigV4 signing key: AWS4+secret → date → region → service → ``aws4_request``."""
    key = hmac.new(f"AWS4{secret_key}".encode(), date_stamp.encode(), hashlib.sha256).digest()
    for part in (region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def _date_header(when: datetime) -> bytes:
    return encode_headers({":date": Timestamp(when)})


def event_string_to_sign(
    prior_signature: str, message: bytes, when: datetime, region: str, service: str, *, empty: bool = False
) -> str:
    """The six-line string to sign for one event (or, with ``empty=True``, the end frame).

    ``message`` is the encoded inner message; the end frame's payload hash is that of no bytes
    at all (``empty`` makes that explicit; ``message`` must then be ``b""``).
    """
    payload_hash = _EMPTY_SHA256 if empty else hashlib.sha256(message).hexdigest()
    date_hash = hashlib.sha256(_date_header(when)).hexdigest()
    return _event_string(_string_head(when, region, service), prior_signature, date_hash, payload_hash)


def _string_head(when: datetime, region: str, service: str) -> str:
    """The string to sign's first three lines (algorithm, timestamp, scope), each with its newline."""
    return (
        f"{_ALGORITHM}\n{when.strftime('%Y%m%dT%H%M%SZ')}\n{when.strftime('%Y%m%d')}/{region}/{service}/aws4_request\n"
    )


def _event_string(head: str, prior_signature: str, date_hash: str, payload_hash: str) -> str:
    """The six-line string to sign: :func:`_string_head`'s three lines, then the event's own three."""
    return f"{head}{prior_signature}\n{date_hash}\n{payload_hash}"


class _Second(NamedTuple):
    """What every event signed within one second shares (computed once per second)."""

    milliseconds: int  # the :date header's value
    string_head: str  # the string to sign's first three lines, each with its newline
    date_hash: str  # hex sha256 of the encoded :date header
    date_header: bytes  # the encoded :date header
    key: bytes  # the signing key of that day


class EventSigner:
    """Signs the events of one request, chaining each signature from the one before.

    Not thread-safe: one sender owns it. After :meth:`sign_end` nothing more can be signed.

    Example:
        >>> signer = EventSigner(credentials, "us-east-1", seed)        # doctest: +SKIP
        >>> frame = signer.sign(encode_message(headers, payload))       # doctest: +SKIP
        >>> last = signer.sign_end()                                    # doctest: +SKIP
    """

    def __init__(self, credentials: AnyCredentials, region: str, seed: str, *, service: str = "transcribe") -> None:
        """Start a chain at ``seed`` (the initial request's signature)."""
        if not credentials.secret_key:
            raise ValidationError("credentials: the secret key is missing", field="credentials")
        self._secret: str = credentials.secret_key
        self._region = region
        self._service = service
        self._prior = seed
        self._keys: dict[str, bytes] = {}
        self._second: _Second | None = None
        self._ended = False

    def __repr__(self) -> str:
        return f"EventSigner(region={self._region!r}, service={self._service!r}, ended={self._ended})"

    @property
    def ended(self) -> bool:
        """Whether the end frame has been signed."""
        return self._ended

    def sign(self, message: bytes, *, now: datetime | None = None) -> bytes:
        """Wrap the encoded event ``message`` in a signed outer message and return its bytes.

        Raises:
            ValidationError: After the end frame, or for a naive ``now``.
        """
        return self._sign(message, now, empty=False)

    def sign_end(self, *, now: datetime | None = None) -> bytes:
        """The signed end frame (empty payload); after it the chain is closed."""
        frame = self._sign(b"", now, empty=True)
        self._ended = True
        return frame

    def _sign(self, message: bytes, now: datetime | None, *, empty: bool) -> bytes:
        if self._ended:
            raise ValidationError("event: the stream's end frame was already signed; nothing may follow it")
        second = self._moment(now)
        # The six lines of event_string_to_sign, the first three kept from the second's first event.
        payload_hash = _EMPTY_SHA256 if empty else hashlib.sha256(message).hexdigest()
        text = _event_string(second.string_head, self._prior, second.date_hash, payload_hash)
        signature = hmac.digest(second.key, text.encode(), "sha256")
        self._prior = signature.hex()
        return frame_message(_SIGNATURE_HEADER + signature + second.date_header, message)

    def _moment(self, now: datetime | None) -> _Second:
        """The shared material of the second ``now`` falls in (default: the clock's)."""
        if now is None:
            # Whole seconds, so the :date header and the string's timestamp name the same instant.
            milliseconds = int(time.time()) * 1000
            cached = self._second
            if cached is not None and cached.milliseconds == milliseconds:
                return cached
            when = datetime.fromtimestamp(milliseconds // 1000, UTC)
        else:
            when = now.replace(microsecond=0)
            if when.tzinfo is None:
                raise ValidationError(f"now: needs a timezone-aware datetime, got {when.isoformat()}", field="now")
            when = when.astimezone(UTC)
            milliseconds = int(Timestamp(when))
            cached = self._second
            if cached is not None and cached.milliseconds == milliseconds:
                return cached
        date_stamp = when.strftime("%Y%m%d")
        key = self._keys.get(date_stamp)
        if key is None:
            key = derive_signing_key(self._secret, date_stamp, self._region, self._service)
            self._keys = {date_stamp: key}
        date_header = _date_header(when)
        head = _string_head(when, self._region, self._service)
        self._second = _Second(milliseconds, head, hashlib.sha256(date_header).hexdigest(), date_header, key)
        return self._second
