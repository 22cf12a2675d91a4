"""Choosing the streaming proxy: botocore's rules (environment, NO_PROXY, explicit proxies)."""

from __future__ import annotations

from collections.abc import ItemsView

import pytest
from botocore.utils import get_environ_proxies

from transcribe_medical import ClientConfig, TranscribeMedical, ValidationError
from transcribe_medical._proxy import check_proxy_url, describe_proxy, proxy_for

AWS = "wss://transcribestreaming.us-east-1.amazonaws.com:8443/medical-stream-transcription-websocket"
LOCAL = "ws://127.0.0.1:8443/medical-stream-transcription-websocket"


def test_no_variables_no_proxy() -> None:
    assert proxy_for(AWS) is None
    assert proxy_for(LOCAL) is None


def test_wss_goes_through_https_proxy_and_ws_through_http_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://secure-proxy:3128")
    monkeypatch.setenv("HTTP_PROXY", "http://plain-proxy:3128")
    assert proxy_for(AWS) == "http://secure-proxy:3128"
    assert proxy_for(LOCAL) == "http://plain-proxy:3128"


def test_ws_does_not_fall_back_to_https_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    # websockets' own default would send ws:// through HTTPS_PROXY; botocore sends http:// only
    # through HTTP_PROXY, and so do we.
    monkeypatch.setenv("HTTPS_PROXY", "http://secure-proxy:3128")
    assert proxy_for(LOCAL) is None


def test_lower_case_variables_are_read_and_win(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("https_proxy", "http://lower:3128")
    assert proxy_for(AWS) == "http://lower:3128"
    monkeypatch.setenv("HTTPS_PROXY", "http://upper:3128")
    assert proxy_for(AWS) == "http://lower:3128"  # urllib (and so botocore): lower case first


@pytest.mark.parametrize(
    ("no_proxy", "bypassed"),
    [
        ("amazonaws.com", True),
        (".amazonaws.com", True),
        ("transcribestreaming.us-east-1.amazonaws.com", True),
        ("transcribestreaming.us-east-1.amazonaws.com:8443", True),
        ("*", True),
        ("localhost,127.0.0.1", False),
        ("example.com", False),
    ],
)
def test_no_proxy_is_honoured(monkeypatch: pytest.MonkeyPatch, no_proxy: str, bypassed: bool) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy:3128")
    monkeypatch.setenv("NO_PROXY", no_proxy)
    assert (proxy_for(AWS) is None) is bypassed


def test_loopback_is_proxied_unless_no_proxy_lists_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://proxy:3128")
    assert proxy_for(LOCAL) == "http://proxy:3128"
    monkeypatch.setenv("no_proxy", "localhost,127.0.0.1")
    assert proxy_for(LOCAL) is None


@pytest.mark.parametrize(
    "environment",
    [
        {},
        {"HTTPS_PROXY": "http://p:1"},
        {"HTTPS_PROXY": "p:3128"},
        {"https_proxy": "http://lower:1", "HTTPS_PROXY": "http://upper:1"},
        {"HTTPS_PROXY": "http://p:1", "NO_PROXY": "amazonaws.com"},
        {"HTTPS_PROXY": "http://p:1", "NO_PROXY": "example.com, .amazonaws.com"},
        {"HTTPS_PROXY": "http://p:1", "NO_PROXY": "*"},
        {"HTTP_PROXY": "http://p:1"},
        {"ALL_PROXY": "http://p:1"},
    ],
)
def test_the_same_choice_as_botocore(monkeypatch: pytest.MonkeyPatch, environment: dict[str, str]) -> None:
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    # botocore's view of the https:// URL with the same host and port (it adds http:// itself).
    expected = get_environ_proxies("https://transcribestreaming.us-east-1.amazonaws.com:8443").get("https")
    if expected is not None and "://" not in expected:
        expected = "http://" + expected
    assert proxy_for(AWS) == expected


def test_explicit_proxies_replace_the_environment_and_no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://from-env:3128")
    monkeypatch.setenv("NO_PROXY", "*")
    assert proxy_for(AWS, {"https": "http://explicit:3128"}) == "http://explicit:3128"
    assert proxy_for(LOCAL, {"https": "http://explicit:3128"}) is None
    assert proxy_for(AWS, {}) is None


@pytest.mark.parametrize(
    "proxy",
    [
        "ftp://user:s3cret-pass@proxy:21",
        "http://user:s3cret-pass@proxy:3128/path",
        "http://user:s3cret-pass@:3128",
        "http://user:s3cret-pass@proxy:notaport",
    ],
)
def test_bad_proxy_urls_are_refused_without_showing_the_password(proxy: str) -> None:
    with pytest.raises(ValidationError) as caught:
        check_proxy_url(proxy)
    assert caught.value.field == "proxies"
    assert "s3cret-pass" not in str(caught.value) and "user" not in str(caught.value)


def test_a_socks_proxy_needs_python_socks(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    if importlib.util.find_spec("python_socks") is not None:
        pytest.skip("python-socks is installed")
    monkeypatch.setenv("HTTPS_PROXY", "socks5h://proxy:1080")
    with pytest.raises(ValidationError, match="python-socks"):
        proxy_for(AWS)


def test_describe_proxy_drops_the_user_information() -> None:
    assert describe_proxy("http://user:pass@proxy.internal:3128") == "http://proxy.internal:3128"


def test_client_config_checks_proxies() -> None:
    with pytest.raises(ValidationError, match="'https'"):
        ClientConfig(proxies={"wss": "http://proxy:3128"})
    with pytest.raises(ValidationError, match="proxies"):
        ClientConfig(proxies={"https": ""})
    config = ClientConfig(proxies={"https": "http://user:s3cret-pass@proxy:3128"})
    assert "s3cret-pass" not in repr(config)


def test_client_config_proxies_reach_the_botocore_clients() -> None:
    proxies = {"https": "http://proxy.internal:3128", "http": "http://proxy.internal:3128"}
    with TranscribeMedical(config=ClientConfig(region_name="us-east-1", proxies=proxies)) as client:
        for service in ("transcribe", "s3"):
            assert client.boto3_client(service).meta.config.proxies == proxies
    with TranscribeMedical(region_name="us-east-1") as client:
        assert client.boto3_client("transcribe").meta.config.proxies is None  # botocore reads the environment


def test_only_the_proxy_variables_values_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    # Decoding every variable's value is most of urllib's cost, paid by every stream opened: the
    # names are screened first, and only the ``*_proxy`` values are read, once each.
    import os

    reads: list[str] = []

    class CountedEnvironment(dict[str, str]):
        def __getitem__(self, name: str) -> str:
            reads.append(name)
            return super().__getitem__(name)

        def items(self) -> ItemsView[str, str]:
            raise AssertionError("every value was read")

    environment = CountedEnvironment(os.environ)
    environment |= {"HTTPS_PROXY": "http://proxy:3128", "NO_PROXY": "example.com", "UNRELATED": "x"}
    monkeypatch.setattr(os, "environ", environment)
    assert proxy_for(AWS) == "http://proxy:3128"
    assert sorted(reads) == sorted(name for name in environment if name.lower().endswith("_proxy"))


@pytest.mark.parametrize(
    "environment",
    [
        {},
        {"HTTPS_PROXY": "http://upper:1", "https_proxy": "http://lower:1"},
        {"https_proxy": "http://lower:1", "HTTPS_PROXY": "http://upper:1"},
        {"HTTPS_PROXY": "http://upper:1", "https_proxy": ""},  # an empty lower-case name removes it
        {"Https_Proxy": "http://mixed:1", "HTTPS_proxy": "http://lowersuffix:1"},
        {"HTTP_PROXY": "http://p:1", "REQUEST_METHOD": "GET"},  # CGI: HTTP_PROXY may be a header
        {"HTTP_PROXY": "http://p:1", "http_proxy": "http://lower:1", "REQUEST_METHOD": "GET"},
        {"no_proxy": "amazonaws.com", "ALL_PROXY": "http://p:1", "FTP_PROXY": ""},
        {"_PROXY": "http://p:1", "PROXY": "x", "X_PROXY_": "y", "NOPROXY": "z"},
    ],
)
def test_the_environment_is_read_as_urllib_reads_it(
    monkeypatch: pytest.MonkeyPatch, environment: dict[str, str]
) -> None:
    import os
    import urllib.request

    from transcribe_medical._proxy import _proxies_from_environment

    for name in list(os.environ):
        if name.lower().endswith("_proxy") or name == "REQUEST_METHOD":
            monkeypatch.delenv(name)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    assert _proxies_from_environment() == urllib.request.getproxies_environment()
