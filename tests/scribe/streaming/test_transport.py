"""The HTTP/2 transport's edges: TLS with ALPN h2, verify= and AWS_CA_BUNDLE, the endpoint rules."""

from __future__ import annotations

import asyncio
import base64
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import TEST_SECRET_KEY
from scribe.streaming.connect_proxy import ConnectProxy
from scribe.streaming.h2_server import ScribeH2Server
from streaming.tls_server import make_certificates
from transcribe_medical import AsyncTranscribeMedical, ClientConfig, RetryPolicy, TranscribeMedical, ValidationError
from transcribe_medical._exceptions import ConnectionError
from transcribe_medical.scribe.streaming.config import ScribeStreamConfig
from transcribe_medical.scribe.streaming.endpoint import resolve_scribe_endpoint

CONFIG = ScribeStreamConfig(
    role_arn="arn:aws:iam::111122223333:role/HealthScribeAccess", output_bucket="notes-bucket", sample_rate=16000
)


def _context(directory: Path, alpn: list[str]) -> tuple[ssl.SSLContext, Path]:
    ca, cert, key = make_certificates(directory)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    context.set_alpn_protocols(alpn)
    return context, ca


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[ScribeH2Server, Path]]:
    context, ca = _context(tmp_path, ["h2"])
    server = ScribeH2Server(TEST_SECRET_KEY, tls=context)
    yield server, ca
    server.close()


def _client(url: str, verify: bool | str | None = None) -> TranscribeMedical:
    config = ClientConfig(
        streaming_endpoint_url=url,
        verify=verify,
        retry=RetryPolicy(max_attempts=1, initial_backoff=0.0, max_backoff=0.0),
        read_timeout=10.0,
    )
    return TranscribeMedical(region_name="us-east-1", config=config)


def _stream(client: TranscribeMedical) -> int:
    with client.scribe.streaming.connect(CONFIG) as session:
        session.send_audio(b"\0\0" * 1600)
        session.send_audio(b"\0\0" * 1600)
        session.end()
        return len(list(session))


def test_tls_with_a_ca_bundle_given_as_verify(tls_server: tuple[ScribeH2Server, Path]) -> None:
    server, ca = tls_server
    with _client(server.url, verify=str(ca)) as client:
        assert _stream(client) == 1
    assert server.seen.requests[0][":scheme"] == "https"
    assert server.seen.bad_signatures == 0


def test_tls_with_aws_ca_bundle(tls_server: tuple[ScribeH2Server, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    server, ca = tls_server
    monkeypatch.setenv("AWS_CA_BUNDLE", str(ca))
    with _client(server.url.replace("https", "wss")) as client:
        assert _stream(client) == 1


def test_tls_refuses_an_unknown_ca(tls_server: tuple[ScribeH2Server, Path]) -> None:
    server, _ = tls_server
    with _client(server.url) as client, pytest.raises(ConnectionError, match=r"TLS with 127\.0\.0\.1"):
        client.scribe.streaming.connect(CONFIG)


def test_a_tls_peer_without_h2_is_refused(tmp_path: Path) -> None:
    context, ca = _context(tmp_path, ["http/1.1"])
    server = ScribeH2Server(TEST_SECRET_KEY, tls=context)
    try:
        with _client(server.url, verify=str(ca)) as client, pytest.raises(ConnectionError, match="HTTP/2"):
            client.scribe.streaming.connect(CONFIG)
    finally:
        server.close()


@pytest.mark.parametrize(
    ("configured", "expected"),
    [
        (None, "https://transcribestreaming.eu-west-1.amazonaws.com/medical-scribe-stream"),
        ("wss://vpce-1.example.com:8443", "https://vpce-1.example.com:8443/medical-scribe-stream"),
        ("ws://127.0.0.1:9000", "http://127.0.0.1:9000/medical-scribe-stream"),
        ("https://transcribestreaming.eu-west-1.amazonaws.com:443", None),
    ],
)
def test_endpoint_resolution(configured: str | None, expected: str | None) -> None:
    endpoint = resolve_scribe_endpoint("eu-west-1", configured)
    assert endpoint.url == (expected or "https://transcribestreaming.eu-west-1.amazonaws.com/medical-scribe-stream")


@pytest.mark.parametrize("configured", ["http://example.com:80", "ftp://127.0.0.1", "https://h/?q=1"])
def test_endpoint_refusals(configured: str) -> None:
    with pytest.raises(ValidationError, match="endpoint_url"):
        resolve_scribe_endpoint("us-east-1", configured)


def test_through_an_http_proxy_over_tls(tls_server: tuple[ScribeH2Server, Path]) -> None:
    server, ca = tls_server
    proxy = ConnectProxy(require_auth="Basic " + base64.b64encode(b"me:s3cret").decode())
    try:
        config = ClientConfig(
            streaming_endpoint_url=server.url,
            verify=str(ca),
            proxies={"https": proxy.url.replace("http://", "http://me:s3cret@")},
            retry=RetryPolicy(max_attempts=1, initial_backoff=0.0, max_backoff=0.0),
        )
        with TranscribeMedical(region_name="us-east-1", config=config) as client:
            assert _stream(client) == 1
    finally:
        proxy.close()
    assert proxy.targets == [f"127.0.0.1:{server.port}"]
    assert server.seen.bad_signatures == 0


def test_async_through_https_proxy_env(
    tls_server: tuple[ScribeH2Server, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    server, ca = tls_server
    proxy = ConnectProxy()
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)

    async def main() -> int:
        config = ClientConfig(
            streaming_endpoint_url=server.url,
            verify=str(ca),
            retry=RetryPolicy(max_attempts=1, initial_backoff=0.0, max_backoff=0.0),
        )
        async with AsyncTranscribeMedical(region_name="us-east-1", config=config) as client:
            run = await client.scribe.streaming.transcribe([b"\0\0" * 1600] * 4, CONFIG, realtime=False)
            return len([event async for event in run])

    try:
        assert asyncio.run(main()) == 2
    finally:
        proxy.close()
    assert proxy.targets == [f"127.0.0.1:{server.port}"]


def test_a_refusing_proxy_is_one_line(tls_server: tuple[ScribeH2Server, Path]) -> None:
    server, ca = tls_server
    proxy = ConnectProxy(status=403)
    try:
        config = ClientConfig(
            streaming_endpoint_url=server.url,
            verify=str(ca),
            proxies={"https": proxy.url},
            retry=RetryPolicy(max_attempts=1, initial_backoff=0.0, max_backoff=0.0),
        )
        with (
            TranscribeMedical(region_name="us-east-1", config=config) as client,
            pytest.raises(ConnectionError, match="refused the tunnel") as caught,
        ):
            client.scribe.streaming.connect(CONFIG)
    finally:
        proxy.close()
    assert "\n" not in str(caught.value)
