"""SigV4 event signing: the public vector, and an independent hashlib/hmac re-computation."""

from __future__ import annotations

import hashlib
import hmac
import json
import struct
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from botocore.credentials import Credentials

from transcribe_medical import ValidationError
from transcribe_medical.eventstream import EventStreamDecoder, encode_message
from transcribe_medical.scribe.streaming.event_signing import (
    STREAMING_PAYLOAD_HASH,
    EventSigner,
    event_string_to_sign,
    seed_signature,
    sign_initial_request,
)

VECTOR = json.loads((Path(__file__).parents[2] / "vectors" / "event_signing.json").read_text())
CREDS = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
WHEN = datetime(2026, 12, 6, 16, 30, 5, 789000, tzinfo=UTC)


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def _independent_signature(secret: str, prior: str, inner: bytes, when: datetime, region: str, service: str) -> bytes:
    """The chain step written out from the reference, sharing no code with the module."""
    seconds = int(when.timestamp())
    stamp = datetime.fromtimestamp(seconds, UTC)
    # The `:date` header alone: name length, name, type 8, int64 milliseconds.
    date_header = bytes([5]) + b":date" + bytes([8]) + struct.pack(">q", seconds * 1000)
    payload_hash = hashlib.sha256(inner).hexdigest()
    text = "\n".join(
        [
            "AWS4-HMAC-SHA256-PAYLOAD",
            stamp.strftime("%Y%m%dT%H%M%SZ"),
            f"{stamp:%Y%m%d}/{region}/{service}/aws4_request",
            prior,
            hashlib.sha256(date_header).hexdigest(),
            payload_hash,
        ]
    )
    key = _hmac(f"AWS4{secret}".encode(), f"{stamp:%Y%m%d}")
    for part in (region, service, "aws4_request"):
        key = _hmac(key, part)
    return _hmac(key, text)


def test_public_vector_inner_message_and_string_to_sign() -> None:
    inner = encode_message(VECTOR["inner_message"]["headers"], VECTOR["inner_message"]["payload"].encode())
    assert inner.hex() == VECTOR["encoded_inner_message_hex"]
    prior = hashlib.sha256(VECTOR["prior_signature_is_sha256_hex_of"].encode()).hexdigest()
    when = datetime.fromtimestamp(VECTOR["time_unix_seconds"], UTC)
    text = event_string_to_sign(prior, inner, when, VECTOR["region"], VECTOR["service"])
    assert text == "\n".join(VECTOR["expected_string_to_sign"])


def test_chain_matches_independent_computation() -> None:
    seed = "a" * 64
    signer = EventSigner(CREDS, "us-east-1", seed)
    decoder = EventStreamDecoder()
    prior = seed
    for index in range(3):
        inner = encode_message({":message-type": "event", ":event-type": "AudioEvent"}, bytes([index]) * 320)
        now = WHEN + timedelta(seconds=index)
        [outer] = decoder.feed(signer.sign(inner, now=now))
        assert list(outer.headers) == [":chunk-signature", ":date"]
        assert outer.payload == inner
        assert int(outer.headers[":date"]) == int(now.timestamp()) * 1000  # whole seconds
        expected = _independent_signature(CREDS.secret_key, prior, inner, now, "us-east-1", "transcribe")
        assert outer.headers[":chunk-signature"] == expected
        prior = expected.hex()


def test_end_frame_has_empty_payload_and_closes_the_chain() -> None:
    signer = EventSigner(CREDS, "us-east-1", "b" * 64)
    [outer] = EventStreamDecoder().feed(signer.sign_end(now=WHEN))
    assert outer.payload == b""
    # sha256(b"") as the payload hash - the same as hashing the empty payload.
    assert outer.headers[":chunk-signature"] == _independent_signature(
        CREDS.secret_key, "b" * 64, b"", WHEN, "us-east-1", "transcribe"
    )
    with pytest.raises(ValidationError, match="end frame"):
        signer.sign(b"x")


def test_wrong_secret_changes_the_signature() -> None:
    inner = encode_message({":event-type": "AudioEvent"}, b"\0" * 10)
    good = EventSigner(CREDS, "us-east-1", "c" * 64).sign(inner, now=WHEN)
    bad = EventSigner(Credentials("AKIDEXAMPLE", "other"), "us-east-1", "c" * 64).sign(inner, now=WHEN)
    assert good != bad


def test_initial_request_signed_with_streaming_payload_hash() -> None:
    signed = sign_initial_request(
        "https://transcribestreaming.us-east-1.amazonaws.com/medical-scribe-stream",
        {"Content-Type": "application/vnd.amazon.eventstream", "x-amzn-transcribe-sample-rate": "16000"},
        CREDS,
        "us-east-1",
    )
    headers = signed.headers
    assert headers["X-Amz-Content-SHA256"] == STREAMING_PAYLOAD_HASH
    authorization = headers["Authorization"]
    assert "/us-east-1/transcribe/aws4_request" in authorization
    assert "x-amz-content-sha256" in authorization
    assert signed.seed_signature == authorization.rsplit("Signature=", 1)[1]
    # Recompute the request signature independently from the canonical request.
    amz_date = headers["X-Amz-Date"]
    signed_names = authorization.split("SignedHeaders=")[1].split(",")[0].split(";")
    lower = {k.lower(): v for k, v in headers.items()}
    lower["host"] = "transcribestreaming.us-east-1.amazonaws.com"
    canonical = "\n".join(
        [
            "POST",
            "/medical-scribe-stream",
            "",
            "".join(f"{name}:{lower[name].strip()}\n" for name in signed_names),
            ";".join(signed_names),
            STREAMING_PAYLOAD_HASH,
        ]
    )
    scope = f"{amz_date[:8]}/us-east-1/transcribe/aws4_request"
    text = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = _hmac(f"AWS4{CREDS.secret_key}".encode(), amz_date[:8])
    for part in ("us-east-1", "transcribe", "aws4_request"):
        key = _hmac(key, part)
    assert _hmac(key, text).hex() == signed.seed_signature


def test_seed_signature_refuses_unsigned() -> None:
    from transcribe_medical import ProtocolError

    with pytest.raises(ProtocolError):
        seed_signature("AWS4-HMAC-SHA256 Credential=x")
