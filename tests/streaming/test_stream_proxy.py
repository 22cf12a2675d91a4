"""Streaming through an HTTP CONNECT proxy, chosen as boto3 chooses it (HTTP(S)_PROXY, NO_PROXY).

The emulator streams on ``ws://127.0.0.1``, so ``HTTP_PROXY`` applies (``HTTPS_PROXY`` is for
``wss://``; see ``test_stream_tls.py``). Loopback is not exempt unless ``NO_PROXY`` lists it.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Iterator
from pathlib import Path

import pytest

from streaming.connect_proxy import ConnectProxy
from transcribe_medical import ClientConfig, ConnectionError, RetryPolicy, StreamConfig
from transcribe_medical.cli import main
from transcribe_medical.local import LocalTranscribeMedical, ScriptedRecognizer

WAV = Path(__file__).resolve().parents[1] / "fixtures" / "audio" / "mono_16k.wav"
SCRIPT = "the patient has had a cough for three days"
ONE_ATTEMPT = RetryPolicy(max_attempts=1)


@pytest.fixture(scope="module")
def emulator() -> Iterator[LocalTranscribeMedical]:
    with LocalTranscribeMedical(batch=False, recognizer=ScriptedRecognizer(SCRIPT)) as running:
        yield running


@pytest.fixture
def proxy() -> Iterator[ConnectProxy]:
    with ConnectProxy() as running:
        yield running


def _target(emulator: LocalTranscribeMedical) -> str:
    return emulator.streaming_endpoint.removeprefix("ws://")


def _transcribe(emulator: LocalTranscribeMedical, config: ClientConfig | None = None) -> str:
    with emulator.client(config=config or ClientConfig(retry=ONE_ATTEMPT)) as client:
        transcript = client.streaming.transcribe_file(WAV, StreamConfig(), realtime=False, reconnect=False)
    return transcript.text


def test_http_proxy_carries_the_stream(
    emulator: LocalTranscribeMedical, proxy: ConnectProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    assert _transcribe(emulator).rstrip(".").lower() == SCRIPT
    assert proxy.connects == [_target(emulator)]


def test_lower_case_http_proxy_is_read(
    emulator: LocalTranscribeMedical, proxy: ConnectProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("http_proxy", proxy.url)
    _transcribe(emulator)
    assert proxy.connects == [_target(emulator)]


@pytest.mark.parametrize("no_proxy", ["127.0.0.1", "localhost,127.0.0.1", "*"])
def test_no_proxy_bypasses_the_proxy(
    emulator: LocalTranscribeMedical, proxy: ConnectProxy, monkeypatch: pytest.MonkeyPatch, no_proxy: str
) -> None:
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    monkeypatch.setenv("NO_PROXY", no_proxy)
    assert _transcribe(emulator).rstrip(".").lower() == SCRIPT
    assert proxy.connects == []


def test_https_proxy_is_not_used_for_ws(
    emulator: LocalTranscribeMedical, proxy: ConnectProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    _transcribe(emulator)
    assert proxy.connects == []


def test_explicit_proxies_override_the_environment(
    emulator: LocalTranscribeMedical, proxy: ConnectProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nothing listens on the discard port
    monkeypatch.setenv("NO_PROXY", "*")
    _transcribe(emulator, ClientConfig(retry=ONE_ATTEMPT, proxies={"http": proxy.url}))
    assert proxy.connects == [_target(emulator)]


def test_the_async_client_goes_through_the_proxy(
    emulator: LocalTranscribeMedical, proxy: ConnectProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", proxy.url)

    async def run() -> str:
        async with emulator.async_client(config=ClientConfig(retry=ONE_ATTEMPT)) as client:
            transcript = await client.streaming.transcribe_file(WAV, StreamConfig(), realtime=False, reconnect=False)
        return transcript.text

    assert asyncio.run(run()).rstrip(".").lower() == SCRIPT
    assert proxy.connects == [_target(emulator)]


def test_proxy_credentials_are_sent_as_basic_auth(
    emulator: LocalTranscribeMedical, monkeypatch: pytest.MonkeyPatch
) -> None:
    with ConnectProxy(credentials=("clinic", "pr0xy-secret")) as proxy:
        monkeypatch.setenv("HTTP_PROXY", f"http://clinic:pr0xy-secret@127.0.0.1:{proxy.port}")
        _transcribe(emulator)
    assert proxy.authorizations == ["Basic " + base64.b64encode(b"clinic:pr0xy-secret").decode()]
    assert proxy.connects == [_target(emulator)]


def test_a_refusing_proxy_is_a_connection_error_without_its_password(
    emulator: LocalTranscribeMedical, monkeypatch: pytest.MonkeyPatch
) -> None:
    with ConnectProxy(credentials=("clinic", "right-password")) as proxy:
        monkeypatch.setenv("HTTP_PROXY", f"http://clinic:wr0ng-secret@127.0.0.1:{proxy.port}")
        with pytest.raises(ConnectionError) as caught:
            _transcribe(emulator)
    assert "proxy" in str(caught.value) and "wr0ng-secret" not in str(caught.value)
    assert proxy.connects == []


def test_the_cli_streams_through_the_proxy(
    emulator: LocalTranscribeMedical,
    proxy: ConnectProxy,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name, value in emulator.environment().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    assert main(["stream", str(WAV), "--no-realtime"]) == 0
    assert SCRIPT in capsys.readouterr().out.lower()
    assert proxy.connects == [_target(emulator)]


def test_the_cli_reports_a_refusing_proxy_in_one_redacted_line(
    emulator: LocalTranscribeMedical, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, value in emulator.environment().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr("transcribe_medical.streaming.sync.client.call_with_retries", lambda policy, op, func: func())
    with ConnectProxy(credentials=("clinic", "right-password")) as proxy:
        monkeypatch.setenv("HTTP_PROXY", f"http://clinic:wr0ng-secret@127.0.0.1:{proxy.port}")
        code = main(["--debug", "stream", str(WAV), "--no-realtime", "--no-reconnect"])
    err = capsys.readouterr().err
    assert code == 5
    assert "proxy" in err.splitlines()[-1]
    assert "wr0ng-secret" not in err


def test_an_unreachable_proxy_is_named_in_the_error(
    emulator: LocalTranscribeMedical, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://clinic:s3cret@127.0.0.1:9")  # the discard port: refused
    with pytest.raises(ConnectionError) as caught:
        _transcribe(emulator)
    message = str(caught.value)
    assert "through the proxy http://127.0.0.1:9" in message and "s3cret" not in message
