"""The emulator's independent SigV4 verification, on the reference vectors and on tampered URLs."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from transcribe_medical.local.sigv4_verifier import EmulatorCredentials, SignatureRejected, verify_presigned_request

VECTORS = json.loads((Path(__file__).resolve().parents[1] / "vectors" / "sigv4_presign.json").read_text())
SIGNED_AT = datetime(2026, 11, 22, 23, 59, 59, tzinfo=UTC)
CASES = VECTORS["cases"]


def _credentials(case: dict[str, object]) -> EmulatorCredentials:
    creds = VECTORS["credentials"]
    token = creds["session_token_when_used"] if case["session_token"] else None
    return EmulatorCredentials(creds["access_key_id"], creds["secret_access_key"], token)


def _verify(
    case: dict[str, object],
    *,
    url: str | None = None,
    host: str | None = None,
    now: datetime = SIGNED_AT,
    credentials: EmulatorCredentials | None = None,
    region: str | None = None,
) -> None:
    parts = urlsplit(url or str(case["expected_url_botocore_order"]))
    verify_presigned_request(
        method="GET",
        path=parts.path,
        raw_query=parts.query,
        host=host or str(case["host_header"]),
        credentials=credentials or _credentials(case),
        region=region or str(case["region"]),
        now=now,
    )


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_accepts_every_reference_vector_in_either_parameter_order(case: dict[str, object]) -> None:
    _verify(case)
    _verify(case, url=str(case["expected_url_sorted_order"]))


def test_rejects_a_tampered_signature() -> None:
    case = CASES[0]
    url = str(case["expected_url_botocore_order"])
    tampered = url[:-1] + ("0" if url[-1] != "0" else "1")
    with pytest.raises(SignatureRejected, match="signature we calculated does not match") as caught:
        _verify(case, url=tampered)
    assert caught.value.code == "InvalidSignatureException"


def test_rejects_a_tampered_parameter() -> None:
    case = CASES[0]
    url = str(case["expected_url_botocore_order"]).replace("specialty=PRIMARYCARE", "specialty=CARDIOLOGY")
    with pytest.raises(SignatureRejected, match="does not match"):
        _verify(case, url=url)


@pytest.mark.parametrize(
    "host",
    [
        "transcribestreaming.us-east-1.amazonaws.com",
        "127.0.0.1:8443",
        "transcribestreaming.us-east-1.amazonaws.com:443",
    ],
)
def test_rejects_a_host_other_than_the_signed_one_port_included(host: str) -> None:
    with pytest.raises(SignatureRejected, match="does not match"):
        _verify(CASES[0], host=host)


def test_rejects_an_expired_url_and_accepts_it_until_expiry() -> None:
    case = CASES[0]  # expires 300
    _verify(case, now=SIGNED_AT + timedelta(seconds=300))
    with pytest.raises(SignatureRejected, match="Signature expired"):
        _verify(case, now=SIGNED_AT + timedelta(seconds=301))


def test_rejects_a_url_from_a_clock_more_than_five_minutes_ahead() -> None:
    case = CASES[0]
    _verify(case, now=SIGNED_AT - timedelta(minutes=5))
    with pytest.raises(SignatureRejected, match="not yet current"):
        _verify(case, now=SIGNED_AT - timedelta(minutes=5, seconds=1))


def test_rejects_expires_over_300_even_when_correctly_signed() -> None:
    from botocore.auth import SigV4QueryAuth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    creds = EmulatorCredentials("AKIDEXAMPLE000000000", "secret")
    request = AWSRequest(
        method="GET",
        url="https://127.0.0.1:8443/medical-stream-transcription-websocket",
        params={"language-code": "en-US"},
    )
    # Signed now by botocore itself (no patching of its clock); verified at the moment it was signed.
    SigV4QueryAuth(
        Credentials(creds.access_key_id, creds.secret_access_key), "transcribe", "us-east-1", expires=301
    ).add_auth(request)
    parts = urlsplit(request.prepare().url)
    signed_at = datetime.strptime(parse_qs(parts.query)["X-Amz-Date"][0], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    with pytest.raises(SignatureRejected, match="X-Amz-Expires must be between 1 and 300"):
        verify_presigned_request(
            method="GET",
            path=parts.path,
            raw_query=parts.query,
            host="127.0.0.1:8443",
            credentials=creds,
            region="us-east-1",
            now=signed_at,
        )


def test_rejects_unknown_keys_wrong_secret_region_and_token() -> None:
    case = CASES[0]
    good = _credentials(case)
    with pytest.raises(SignatureRejected, match="security token included in the request is invalid"):
        _verify(case, credentials=EmulatorCredentials("AKIDOTHER", good.secret_access_key))
    with pytest.raises(SignatureRejected, match="does not match"):
        _verify(case, credentials=EmulatorCredentials(good.access_key_id, "another-secret"))
    with pytest.raises(SignatureRejected, match="valid region"):
        _verify(case, region="eu-west-1")
    with pytest.raises(SignatureRejected, match="security token"):
        _verify(case, credentials=EmulatorCredentials(good.access_key_id, good.secret_access_key, "expected-token"))
    token_case = next(c for c in CASES if c["session_token"])
    with pytest.raises(SignatureRejected, match="security token"):
        _verify(token_case, credentials=EmulatorCredentials(good.access_key_id, good.secret_access_key))


@pytest.mark.parametrize(
    "drop",
    ["X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders", "X-Amz-Signature"],
)
def test_rejects_a_url_missing_a_signing_parameter(drop: str) -> None:
    case = CASES[0]
    parts = urlsplit(str(case["expected_url_botocore_order"]))
    query = "&".join(p for p in parts.query.split("&") if not p.startswith(drop + "="))
    with pytest.raises(SignatureRejected, match=drop):
        _verify(case, url=f"wss://{parts.netloc}{parts.path}?{query}")


def test_credentials_repr_hides_the_secret() -> None:
    shown = repr(EmulatorCredentials("AKIDX", "very-secret", "token-value"))
    assert "very-secret" not in shown and "token-value" not in shown
