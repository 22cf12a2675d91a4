"""ClientConfig: region, profile, endpoints, TLS, retries and timeouts."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

from transcribe_medical import _limits
from transcribe_medical._exceptions import ValidationError
from transcribe_medical._proxy import check_proxy_url

__all__ = ["ClientConfig", "RetryPolicy"]


@dataclass(frozen=True)
class RetryPolicy:
    """How failed calls are retried: exponential backoff with full jitter.

    Only throttling, 5xx and connection errors are retried; validation and other 4xx never are.

    Attributes:
        max_attempts: Attempts in all, including the first (1 disables retries).
        initial_backoff: Upper bound of the first jittered wait, in seconds.
        max_backoff: Cap of any single wait, in seconds.
        max_elapsed: Give up once this many seconds have passed since the first attempt (None: no cap).
    """

    max_attempts: int = _limits.RETRY_MAX_ATTEMPTS
    initial_backoff: float = _limits.RETRY_INITIAL_S
    max_backoff: float = _limits.RETRY_MAX_S
    max_elapsed: float | None = 60.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValidationError(
                f"max_attempts: {self.max_attempts!r} is invalid: use 1 or more", field="max_attempts"
            )
        if self.initial_backoff < 0 or self.max_backoff < self.initial_backoff:
            raise ValidationError(
                "initial_backoff/max_backoff: need 0 <= initial_backoff <= max_backoff", field="max_backoff"
            )


@dataclass(frozen=True)
class ClientConfig:
    """Configuration of :class:`~transcribe_medical.TranscribeMedical`.

    Anything left ``None`` comes from botocore's usual chain (environment variables such as
    ``AWS_REGION``, ``AWS_PROFILE``, ``AWS_ENDPOINT_URL``, ``AWS_ENDPOINT_URL_TRANSCRIBE``,
    ``AWS_ENDPOINT_URL_TRANSCRIBE_STREAMING``, ``AWS_CA_BUNDLE``; the shared config file; SSO; IMDS).

    Attributes:
        region_name: AWS Region, e.g. ``"us-east-1"``.
        profile_name: Named profile from ``~/.aws/config``.
        endpoint_url: Batch (Transcribe) and S3 endpoint, e.g. a local emulator.
        streaming_endpoint_url: WebSocket endpoint (``wss://``; ``ws://`` only to loopback).
        verify: TLS verification: True, False, or a CA bundle path.
        proxies: Proxies by URL scheme, as in botocore's ``Config(proxies=...)``: e.g.
            ``{"https": "http://proxy.internal:3128"}``. ``https`` is used for ``wss://`` streaming
            and HTTPS batch calls, ``http`` for ``ws://`` and ``http://``. When given they replace
            ``HTTPS_PROXY`` / ``HTTP_PROXY`` / ``NO_PROXY`` entirely (botocore's rule); when ``None``
            those variables are honoured by batch and streaming alike. Hidden from ``repr()``
            (proxy URLs may hold a password).
        retry: The retry policy shared by batch and streaming.
        connect_timeout: Seconds to wait for a connection.
        read_timeout: Seconds to wait for a response.
    """

    region_name: str | None = None
    profile_name: str | None = None
    endpoint_url: str | None = None
    streaming_endpoint_url: str | None = None
    verify: bool | str | None = None
    proxies: Mapping[str, str] | None = field(default=None, repr=False, hash=False)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    connect_timeout: float = 10.0
    read_timeout: float = 60.0

    def __post_init__(self) -> None:
        if self.region_name is not None:
            check_region_name(self.region_name)
        for name in ("endpoint_url", "streaming_endpoint_url"):
            value = getattr(self, name)
            if value is None:
                continue
            if "://" not in value:
                raise ValidationError(
                    f"{name}: {value!r} is invalid: give a full URL such as https://host:port", field=name
                )
            self._check_url(name, value)
        if self.proxies is not None:
            self._check_proxies(self.proxies)

    @staticmethod
    def _check_url(name: str, value: str) -> None:
        # Found here, not deep inside botocore or urllib as a bare ValueError ("Invalid IPv6 URL",
        # "Port out of range").
        try:
            parts = urlsplit(value)
            parts.port  # noqa: B018  (reading it validates it)
        except ValueError as error:
            raise ValidationError(f"{name}: {value!r} is invalid: {error}", field=name) from None
        if not parts.hostname:
            raise ValidationError(f"{name}: {value!r} is invalid: it names no host", field=name)
        if name == "endpoint_url" and parts.scheme not in ("http", "https"):
            raise ValidationError(
                f"{name}: {value!r} is invalid: use an http:// or https:// URL such as https://host:port", field=name
            )

    @staticmethod
    def _check_proxies(proxies: Mapping[str, str]) -> None:
        if not isinstance(proxies, Mapping):
            raise ValidationError('proxies: give a mapping such as {"https": "http://proxy:3128"}', field="proxies")
        for scheme, proxy in proxies.items():
            if scheme not in ("http", "https"):
                raise ValidationError(
                    f"proxies: {scheme!r} is invalid: the keys are 'https' (wss:// and https://) and "
                    "'http' (ws:// and http://)",
                    field="proxies",
                )
            if not isinstance(proxy, str) or not proxy.strip():
                raise ValidationError(
                    f"proxies[{scheme!r}]: give a proxy URL such as http://proxy:3128", field="proxies"
                )
            check_proxy_url(proxy)

    def with_options(self, **changes: Any) -> ClientConfig:
        """A copy with ``changes`` applied (``None`` values are ignored)."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    def resolved_streaming_endpoint(self) -> str | None:
        """The streaming endpoint from this config or ``AWS_ENDPOINT_URL_TRANSCRIBE_STREAMING``."""
        return self.streaming_endpoint_url or os.environ.get("AWS_ENDPOINT_URL_TRANSCRIBE_STREAMING") or None


def check_region_name(region: str) -> str:
    """Refuse a Region name botocore would refuse (``us east 1``), before any connection.

    Streaming builds no botocore client, so without this a bad name became a host name and a
    connection error; botocore's own check keeps the two paths agreeing.

    Raises:
        ValidationError: ``region`` is not of the form of a Region name.
    """
    from botocore.exceptions import InvalidRegionError
    from botocore.utils import validate_region_name

    try:
        validate_region_name(region)
    except InvalidRegionError:
        raise ValidationError(
            f"region: {region!r} is invalid: use an AWS Region name such as us-east-1", field="region"
        ) from None
    return region
