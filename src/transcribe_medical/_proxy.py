"""Which proxy a WebSocket connection goes through: botocore's rules, applied to ``ws(s)://``.

boto3 users already set ``HTTPS_PROXY`` / ``HTTP_PROXY`` / ``NO_PROXY`` (or their lower-case
forms) for the batch API; streaming must take the same route, or a clinic's network that only
lets traffic out through its proxy would let batch work and streaming hang. botocore chooses a
proxy like this (``botocore.utils.get_environ_proxies`` and ``ProxyConfiguration``):

* explicit ``proxies`` (``Config(proxies=...)``, here :attr:`ClientConfig.proxies
  <transcribe_medical.ClientConfig.proxies>`) replace the environment entirely, ``NO_PROXY``
  included;
* otherwise, if :func:`urllib.request.proxy_bypass` says the endpoint's ``host:port`` is listed in
  ``NO_PROXY`` there is no proxy; else :func:`urllib.request.getproxies` is read;
* the proxy is the entry for the URL's scheme: ``https`` for ``wss://``, ``http`` for ``ws://``;
  a proxy given without a scheme is ``http://``.

``NO_PROXY`` has no implicit entries: a loopback endpoint goes through the proxy too unless
``NO_PROXY`` lists it (``localhost,127.0.0.1``), as with botocore. This differs from
``websockets``' own default (which would also send ``ws://`` through ``HTTPS_PROXY``), which is why
the transports pass the proxy chosen here explicitly.
"""

from __future__ import annotations

import importlib.util
import os
import socket
import sys
from collections.abc import Mapping
from typing import Final
from urllib.parse import urlsplit

from transcribe_medical._exceptions import ValidationError

__all__ = ["PROXY_SCHEMES", "check_proxy_url", "describe_proxy", "proxy_for"]

#: The schemes ``websockets`` can tunnel through (SOCKS needs ``python-socks``).
PROXY_SCHEMES: Final = frozenset({"http", "https", "socks5h", "socks5", "socks4a", "socks4"})
_WS_TO_HTTP: Final = {"wss": "https", "ws": "http", "https": "https", "http": "http"}


def proxy_for(url: str, proxies: Mapping[str, str] | None = None) -> str | None:
    """The proxy URL to reach the WebSocket ``url`` through, or ``None`` to connect directly.

    Args:
        url: The WebSocket URL (only its scheme, host and port are read).
        proxies: Explicit proxies by scheme (``{"https": "http://proxy:3128"}``), as in botocore's
            ``Config(proxies=...)``; ``None`` reads the environment and honours ``NO_PROXY``.

    Returns:
        The proxy URL (it may hold a password: never log it; see :func:`describe_proxy`).

    Raises:
        ValidationError: The proxy is not a usable URL, or is SOCKS without ``python-socks``.

    Example:
        >>> proxy_for("wss://transcribestreaming.us-east-1.amazonaws.com:8443/x",
        ...           {"https": "proxy.internal:3128"})
        'http://proxy.internal:3128'
        >>> proxy_for("ws://127.0.0.1:8443/x", {"https": "http://proxy.internal:3128"}) is None
        True
    """
    parts = urlsplit(url)
    scheme = _WS_TO_HTTP.get(parts.scheme.lower())
    if scheme is None:
        return None
    if proxies is None:
        proxies = _environment_proxies(parts.netloc)
        if proxies is None:
            return None
    proxy = proxies.get(scheme)
    if not proxy:
        return None
    return check_proxy_url(proxy)


def describe_proxy(proxy: str) -> str:
    """``scheme://host:port`` of ``proxy``, for messages: never its user name or password."""
    try:
        parts = urlsplit(proxy)
        port = parts.port
    except ValueError:
        return "the proxy"
    host = parts.hostname or "?"
    shown = f"[{host}]" if ":" in host else host
    return f"{parts.scheme}://{shown}" + (f":{port}" if port else "")


def _environment_proxies(netloc: str) -> Mapping[str, str] | None:
    """The proxies by scheme that botocore would read for ``netloc``, or ``None`` if ``NO_PROXY`` bypasses it.

    botocore calls ``urllib.request.proxy_bypass(netloc)`` (``should_bypass_proxies``) and then
    ``urllib.request.getproxies()``; each reads the whole environment. Here it is read once, with
    the same outcome: both calls start from ``getproxies_environment()``, and only when it is
    empty do they consult the system's settings (macOS, Windows), which are then asked as before.
    """
    import urllib.request  # here, not at the top: ``import transcribe_medical`` stays cheap

    environment = _proxies_from_environment()
    system = sys.platform in ("darwin", "win32")  # where urllib also reads the system's settings
    # botocore.utils.should_bypass_proxies: the same decision, the same tolerated failures.
    try:
        if environment:
            # In urllib since Python 2, absent from typeshed: what proxy_bypass() calls with these.
            bypassed = urllib.request.proxy_bypass_environment(netloc, environment)  # type: ignore[attr-defined]
        else:
            bypassed = system and urllib.request.proxy_bypass(netloc)
    except (TypeError, socket.gaierror):
        bypassed = False
    if bypassed:
        return None
    return environment if environment or not system else urllib.request.getproxies()


def _proxies_from_environment() -> dict[str, str]:
    """What :func:`urllib.request.getproxies_environment` returns, reading only the ``*_proxy`` variables.

    urllib before Python 3.13 decodes every variable's name and value, twice, to find the few
    named ``<scheme>_proxy`` (a tenth of a millisecond per stream with a hundred variables); this
    is Python 3.13's version of it, which screens the names first. Same rules: any case matches,
    an all-lower-case ``_proxy`` name wins over the others (empty, it removes the entry), and
    under CGI (``REQUEST_METHOD`` set) ``HTTP_PROXY`` in capitals is ignored (CVE-2016-1000110).
    """
    environ = os.environ
    proxies: dict[str, str] = {}
    found: list[tuple[str, str, str]] = []
    for name in environ:
        # The underscore's position first: a cheap screen before the case-folding.
        if len(name) > 5 and name[-6] == "_" and name[-5:].lower() == "proxy":
            value = environ[name]
            scheme = name[:-6].lower()
            found.append((name, value, scheme))
            if value:
                proxies[scheme] = value
    if "REQUEST_METHOD" in environ:
        proxies.pop("http", None)
    for name, value, scheme in found:
        if name[-6:] == "_proxy":  # case-sensitive here: the lower-case variables win
            if value:
                proxies[scheme] = value
            else:
                proxies.pop(scheme, None)
    return proxies


def _with_scheme(proxy: str) -> str:
    # botocore's ProxyConfiguration._fix_proxy_url: "host:port" and "//host:port" mean http://.
    if "://" in proxy:
        return proxy
    if proxy.startswith("//"):
        return "http:" + proxy
    return "http://" + proxy


def check_proxy_url(proxy: str) -> str:
    """``proxy`` with its scheme made explicit, if ``websockets`` can connect through it.

    Raises:
        ValidationError: Not an ``http``/``https``/``socks`` URL with a host (and, for SOCKS,
            ``python-socks`` is missing). The message never shows the proxy's password.
    """
    proxy = _with_scheme(proxy.strip())
    shown = describe_proxy(proxy)
    try:
        parts = urlsplit(proxy)
        parts.port  # noqa: B018  (raises ValueError on a bad port)
    except ValueError:
        raise ValidationError(f"proxies: {shown} is invalid: give http://host:port", field="proxies") from None
    scheme = parts.scheme.lower()
    if scheme not in PROXY_SCHEMES or not parts.hostname:
        raise ValidationError(
            f"proxies: {shown} is invalid: give http://host:port (https:// and socks5:// are accepted too)",
            field="proxies",
        )
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValidationError(f"proxies: {shown} is invalid: a proxy URL has no path or query", field="proxies")
    if parts.username is not None and parts.password is None:
        raise ValidationError(
            f"proxies: {shown} is invalid: give both user name and password (user:password@host)", field="proxies"
        )
    if scheme.startswith("socks") and importlib.util.find_spec("python_socks") is None:
        raise ValidationError(
            f"proxies: {shown} is a SOCKS proxy, which needs python-socks: pip install python-socks",
            field="proxies",
        )
    return proxy
