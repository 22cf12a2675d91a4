"""``wss://`` certificate checks: ``verify=`` and ``AWS_CA_BUNDLE``, as boto3 honours them.

A TLS WebSocket server on 127.0.0.1 presents a certificate from a throw-away CA. With the CA
given (``verify=PATH`` or ``AWS_CA_BUNDLE``) the stream opens, directly or through an HTTPS proxy;
without it the connection fails with our ``ConnectionError``. (Plain ``ws://`` toward a remote
host is refused before any connection: see ``test_presign.py`` and ``test_stream_cli.py``.)
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from streaming.connect_proxy import ConnectProxy
from streaming.tls_server import TLSWebSocketServer
from transcribe_medical import (
    AsyncTranscribeMedical,
    ClientConfig,
    ConnectionError,
    RetryPolicy,
    StreamConfig,
    TranscribeMedical,
    ValidationError,
)

CONFIG = StreamConfig(media_encoding="pcm", sample_rate=16000)
# A generous handshake budget: these tests check where connections go, not how fast a loaded CI
# machine completes a TLS handshake.
ONE_ATTEMPT = ClientConfig(region_name="us-east-1", retry=RetryPolicy(max_attempts=1), connect_timeout=60.0)
PATH = "/medical-stream-transcription-websocket"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TLSWebSocketServer]:
    with TLSWebSocketServer(tmp_path_factory.mktemp("tls")) as running:
        yield running


def _open(server: TLSWebSocketServer, verify: bool | str | None = None) -> None:
    client = TranscribeMedical(streaming_endpoint_url=server.endpoint, config=ONE_ATTEMPT, verify=verify)
    with client, client.streaming.connect(CONFIG):
        pass


def test_verify_with_a_ca_bundle_path(server: TLSWebSocketServer) -> None:
    before = len(server.paths)
    _open(server, verify=str(server.ca))
    assert server.paths[before:] == [PATH]


def test_aws_ca_bundle_is_honoured(server: TLSWebSocketServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_CA_BUNDLE", str(server.ca))
    before = len(server.paths)
    _open(server)
    assert server.paths[before:] == [PATH]


def test_an_unknown_ca_fails_with_a_connection_error(server: TLSWebSocketServer) -> None:
    with pytest.raises(ConnectionError) as caught:
        _open(server)
    message = str(caught.value)
    assert "TLS" in message and "AWS_CA_BUNDLE" in message and f"127.0.0.1:{server.port}" in message


def test_verify_false_skips_the_check(server: TLSWebSocketServer) -> None:
    before = len(server.paths)
    _open(server, verify=False)
    assert server.paths[before:] == [PATH]


def test_a_missing_ca_bundle_is_a_validation_error(server: TLSWebSocketServer, tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as caught:
        _open(server, verify=str(tmp_path / "no-such-ca.pem"))
    assert caught.value.field == "verify"


def test_the_async_client_verifies_with_the_ca_bundle(server: TLSWebSocketServer) -> None:
    async def run() -> None:
        async with (
            AsyncTranscribeMedical(
                streaming_endpoint_url=server.endpoint, config=ONE_ATTEMPT, verify=str(server.ca)
            ) as client,
            client.streaming.connect(CONFIG),
        ):
            pass

    before = len(server.paths)
    asyncio.run(run())
    assert server.paths[before:] == [PATH]

    async def unverified() -> None:
        async with (
            AsyncTranscribeMedical(streaming_endpoint_url=server.endpoint, config=ONE_ATTEMPT) as client,
            client.streaming.connect(CONFIG),
        ):
            pass

    with pytest.raises(ConnectionError, match="TLS"):
        asyncio.run(unverified())


def test_wss_goes_through_https_proxy_with_connect(server: TLSWebSocketServer, monkeypatch: pytest.MonkeyPatch) -> None:
    with ConnectProxy() as proxy:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # for http:// and ws:// only
        _open(server, verify=str(server.ca))
    assert proxy.connects == [f"127.0.0.1:{server.port}"]


def test_no_proxy_bypasses_https_proxy_for_wss(server: TLSWebSocketServer, monkeypatch: pytest.MonkeyPatch) -> None:
    with ConnectProxy() as proxy:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        _open(server, verify=str(server.ca))
    assert proxy.connects == []
