"""Presigning: byte-for-byte equal to the SigV4 vectors, and the rules botocore does not enforce."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from botocore.credentials import Credentials, ReadOnlyCredentials

from streaming.fake_service import verify_presigned
from transcribe_medical import CredentialsError, StreamConfig, ValidationError
from transcribe_medical.streaming.presign import default_endpoint, is_loopback_host, presign_url, resolve_endpoint

VECTORS = json.loads((Path(__file__).resolve().parents[1] / "vectors" / "sigv4_presign.json").read_text())
FROZEN = datetime(2026, 11, 22, 23, 59, 59, tzinfo=UTC)
KEYS = VECTORS["credentials"]


def _credentials(session_token: bool) -> ReadOnlyCredentials:
    token = KEYS["session_token_when_used"] if session_token else None
    return ReadOnlyCredentials(KEYS["access_key_id"], KEYS["secret_access_key"], token)


def _config(query: dict[str, str]) -> StreamConfig:
    return StreamConfig(
        specialty=query["specialty"],
        type=query["type"],
        media_encoding=query["media-encoding"],
        sample_rate=int(query["sample-rate"]),
        show_speaker_labels=query.get("show-speaker-label") == "true",
        channel_identification=query.get("enable-channel-identification") == "true",
        session_id=query.get("session-id"),
        vocabulary_name=query.get("vocabulary-name"),
        content_identification=query.get("content-identification-type"),
    )


@pytest.mark.parametrize("case", VECTORS["cases"], ids=lambda case: case["name"])
def test_matches_every_vector_from_the_wire_query(case: dict[str, Any]) -> None:
    url = presign_url(
        _credentials(case["session_token"]),
        case["region"],
        case["query_params_in"],
        expires=case["expires"],
        now=FROZEN,
    )
    assert url == case["expected_url_botocore_order"]


@pytest.mark.parametrize("case", VECTORS["cases"], ids=lambda case: case["name"])
def test_matches_every_vector_from_a_stream_config(case: dict[str, Any]) -> None:
    url = presign_url(
        _credentials(case["session_token"]),
        case["region"],
        _config(case["query_params_in"]),
        expires=case["expires"],
        now=FROZEN,
    )
    assert url == case["expected_url_botocore_order"]
    assert dict(parse_qsl(urlsplit(url).query))["X-Amz-Signature"] == case["signature"]


@pytest.mark.parametrize("case", VECTORS["cases"], ids=lambda case: case["name"])
def test_the_independent_verifier_accepts_every_vector(case: dict[str, Any]) -> None:
    # The test server's hashlib/hmac verifier agrees with the vectors (so it can be trusted).
    parts = urlsplit(case["expected_url_botocore_order"])
    reason = verify_presigned(
        f"{parts.path}?{parts.query}", case["host_header"], {KEYS["access_key_id"]: KEYS["secret_access_key"]}, FROZEN
    )
    assert reason is None


def test_frozen_credentials_or_mutable_ones_sign_the_same() -> None:
    case = VECTORS["cases"][1]
    mutable = Credentials(KEYS["access_key_id"], KEYS["secret_access_key"], KEYS["session_token_when_used"])
    url = presign_url(mutable, case["region"], case["query_params_in"], expires=300, now=FROZEN)
    assert url == case["expected_url_botocore_order"]


def test_naive_and_offset_clocks_are_taken_as_utc() -> None:
    case = VECTORS["cases"][0]
    creds = _credentials(False)
    naive = presign_url(creds, case["region"], case["query_params_in"], now=FROZEN.replace(tzinfo=None))
    offset = presign_url(
        creds, case["region"], case["query_params_in"], now=FROZEN.astimezone(timezone(timedelta(hours=-5)))
    )
    assert naive == offset == case["expected_url_botocore_order"]


def test_the_session_token_is_inside_the_signed_query() -> None:
    case = VECTORS["cases"][1]
    url = presign_url(_credentials(True), case["region"], case["query_params_in"], now=FROZEN)
    query = dict(parse_qsl(urlsplit(url).query))
    assert query["X-Amz-Security-Token"] == KEYS["session_token_when_used"]
    assert "X-Amz-Security-Token=" in case["canonical_request"]


@pytest.mark.parametrize("expires", [0, 301, 3600, -1])
def test_expires_is_capped_at_300(expires: int) -> None:
    with pytest.raises(ValidationError, match="expires"):
        presign_url(_credentials(False), "us-east-1", VECTORS["cases"][0]["query_params_in"], expires=expires)


def test_incomplete_credentials_are_refused() -> None:
    with pytest.raises(CredentialsError):
        presign_url(ReadOnlyCredentials("", "", None), "us-east-1", VECTORS["cases"][0]["query_params_in"])


def test_default_endpoint_has_port_8443() -> None:
    assert default_endpoint("eu-west-1") == "wss://transcribestreaming.eu-west-1.amazonaws.com:8443"
    assert default_endpoint("cn-north-1").endswith(".amazonaws.com.cn:8443")


@pytest.mark.parametrize(
    ("endpoint", "expected"),
    [
        ("ws://127.0.0.1:9000", "ws://127.0.0.1:9000/medical-stream-transcription-websocket"),
        ("ws://127.8.9.10:9000/", "ws://127.8.9.10:9000/medical-stream-transcription-websocket"),
        ("ws://localhost:8443", "ws://localhost:8443/medical-stream-transcription-websocket"),
        ("ws://[::1]:8443", "ws://[::1]:8443/medical-stream-transcription-websocket"),
        ("http://127.0.0.1:8443", "ws://127.0.0.1:8443/medical-stream-transcription-websocket"),
        ("https://vpce.example.com", "wss://vpce.example.com/medical-stream-transcription-websocket"),
        ("wss://proxy.example.com:8443/custom/path", "wss://proxy.example.com:8443/custom/path"),
    ],
)
def test_endpoint_overrides(endpoint: str, expected: str) -> None:
    assert resolve_endpoint("us-east-1", endpoint) == expected


@pytest.mark.parametrize(
    "endpoint",
    [
        "ws://example.com:8443",
        "ws://10.0.0.1:8443",
        "http://192.168.1.2",
        "ftp://127.0.0.1",
        "127.0.0.1:8443",
        "wss://host:8443/?a=b",
        "wss://user:pw@host:8443",
    ],
)
def test_refused_endpoints(endpoint: str) -> None:
    with pytest.raises(ValidationError, match="endpoint_url"):
        resolve_endpoint("us-east-1", endpoint)


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.255.0.9", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("LOCALHOST", True),
        ("128.0.0.1", False),
        ("example.com", False),
        ("localhost.example.com", False),
    ],
)
def test_loopback_hosts(host: str, loopback: bool) -> None:
    assert is_loopback_host(host) is loopback


@pytest.mark.parametrize("endpoint", ["ws://127.0.0.1:51234", "wss://vpce-1.example.com:9443", "wss://[::1]:8443"])
def test_the_host_and_port_connected_to_are_signed(endpoint: str) -> None:
    url = presign_url(_credentials(False), "us-east-1", VECTORS["cases"][0]["query_params_in"], endpoint, now=FROZEN)
    parts = urlsplit(url)
    assert parts.scheme == urlsplit(endpoint).scheme
    reason = verify_presigned(
        f"{parts.path}?{parts.query}", parts.netloc, {KEYS["access_key_id"]: KEYS["secret_access_key"]}, FROZEN
    )
    assert reason is None
    wrong_host = parts.hostname or ""
    assert (
        verify_presigned(
            f"{parts.path}?{parts.query}", wrong_host, {KEYS["access_key_id"]: KEYS["secret_access_key"]}, FROZEN
        )
        == "signature mismatch"
    )


def test_presigning_logs_nothing_secret(caplog: pytest.LogCaptureFixture) -> None:
    case = VECTORS["cases"][1]
    with caplog.at_level(logging.DEBUG):
        url = presign_url(_credentials(True), case["region"], case["query_params_in"], now=FROZEN)
    signature = dict(parse_qsl(urlsplit(url).query))["X-Amz-Signature"]
    for record in caplog.records:
        text = record.getMessage()
        assert signature not in text and KEYS["secret_access_key"] not in text
        assert "X-Amz-Credential" not in text
