"""TranscribeMedical and AsyncTranscribeMedical: the facades users start from.

Credentials, region and endpoints come from botocore's chain (environment, profiles, SSO, IMDS,
``AWS_ENDPOINT_URL*``). botocore clients are made with ``total_max_attempts=1``: retries belong
to the one tenacity policy in :mod:`transcribe_medical._retry`.

Importing this module is cheap: boto3, botocore, tenacity and asyncio are imported when a client
first needs them (streaming needs only botocore, for credentials and signing; boto3 is imported
when the session is first made, e.g. for a batch call or to resolve credentials).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, Self, TypeVar

from transcribe_medical import __version__
from transcribe_medical._config import ClientConfig, check_region_name
from transcribe_medical._exceptions import CredentialsError, ValidationError, translate_error
from transcribe_medical._logging import get_logger, remember_secret

if TYPE_CHECKING:
    import boto3
    import botocore.session
    from botocore.credentials import ReadOnlyCredentials

    from transcribe_medical.batch.jobs import AsyncJobs, Jobs
    from transcribe_medical.batch.vocabularies import AsyncVocabularies, Vocabularies
    from transcribe_medical.scribe.client import AsyncScribeClient, ScribeClient
    from transcribe_medical.scribe.vocabulary_filters import AsyncVocabularyFilters, VocabularyFilters
    from transcribe_medical.streaming.asyncio.client import AsyncStreamingClient
    from transcribe_medical.streaming.sync.client import StreamingClient

__all__ = ["AsyncTranscribeMedical", "TranscribeMedical"]

_T = TypeVar("_T")

ServiceName = Literal["transcribe", "s3", "comprehendmedical"]

_log = get_logger("client")


class _ClientBase:
    """State shared by the sync and async facades: the boto3 session and clients."""

    def __init__(
        self,
        *,
        region_name: str | None = None,
        profile_name: str | None = None,
        endpoint_url: str | None = None,
        streaming_endpoint_url: str | None = None,
        boto3_session: boto3.Session | None = None,
        config: ClientConfig | None = None,
        verify: bool | str | None = None,
    ) -> None:
        self.config = (config or ClientConfig()).with_options(
            region_name=region_name,
            profile_name=profile_name,
            endpoint_url=endpoint_url,
            streaming_endpoint_url=streaming_endpoint_url,
            verify=verify,
        )
        self._session = boto3_session
        self._botocore_session: botocore.session.Session | None = None
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(region_name={self.config.region_name!r}, "
            f"profile_name={self.config.profile_name!r}, endpoint_url={self.config.endpoint_url!r})"
        )

    def _core_session(self) -> botocore.session.Session:
        """botocore's session for the profile: credentials and region, all streaming needs.

        boto3 is not imported for it; :attr:`session` wraps this same botocore session when a
        boto3 client is first needed, so both share one credential cache.
        """
        if self._botocore_session is None:
            import botocore.session

            self._botocore_session = botocore.session.Session(profile=self.config.profile_name)
        return self._botocore_session

    @property
    def session(self) -> boto3.Session:
        """The boto3 session (made on first use from the profile and region)."""
        if self._session is None:
            import boto3
            from botocore import exceptions as bce

            try:
                self._session = boto3.Session(
                    botocore_session=self._core_session(), region_name=self.config.region_name
                )
            except bce.BotoCoreError as error:
                raise translate_error(error) from error
        return self._session

    @property
    def region_name(self) -> str:
        """The resolved AWS Region."""
        # botocore reads AWS_DEFAULT_REGION; AWS_REGION is what the other AWS SDKs and the CLI read.
        region = self.config.region_name or os.environ.get("AWS_REGION") or self._configured_region()
        if not region:
            raise ValidationError(
                "region: no AWS Region configured; pass region_name= or set AWS_REGION",
                field="region",
            )
        return check_region_name(region)

    def _configured_region(self) -> str | None:
        """The region of the boto3 session given, or of the profile (``AWS_DEFAULT_REGION``, config)."""
        if self._session is not None:
            return self._session.region_name
        try:
            region = self._core_session().get_config_variable("region")
        except Exception as error:
            translated = translate_error(error)
            if translated is error:
                raise
            raise translated from error
        return str(region) if region else None

    def boto3_client(self, service: ServiceName) -> Any:
        """The underlying boto3 client for ``"transcribe"``, ``"s3"`` or ``"comprehendmedical"`` (made once)."""
        with self._lock:
            client = self._clients.get(service)
            if client is None:
                from botocore.config import Config

                botocore_config = Config(
                    retries={"total_max_attempts": 1, "mode": "standard"},
                    connect_timeout=self.config.connect_timeout,
                    read_timeout=self.config.read_timeout,
                    user_agent_extra=f"transcribe-medical/{__version__}",
                    # None: botocore reads HTTPS_PROXY/HTTP_PROXY/NO_PROXY itself.
                    proxies=dict(self.config.proxies) if self.config.proxies is not None else None,
                )
                kwargs: dict[str, Any] = {"region_name": self.region_name, "config": botocore_config}
                # endpoint_url is the batch + S3 endpoint (e.g. the emulator); other services keep
                # botocore's resolution (including their AWS_ENDPOINT_URL_<SERVICE> variables).
                if self.config.endpoint_url and service in ("transcribe", "s3"):
                    kwargs["endpoint_url"] = self.config.endpoint_url
                if self.config.verify is not None:
                    kwargs["verify"] = self.config.verify
                try:
                    client = self.session.client(service, **kwargs)
                except Exception as error:
                    translated = translate_error(error)
                    if translated is error:
                        raise
                    raise translated from error
                self._clients[service] = client
            return client

    def credentials(self) -> ReadOnlyCredentials:
        """Resolve credentials through botocore's chain, frozen for one use (refreshed each call).

        Raises:
            CredentialsError: no credentials could be found.
        """
        # A boto3 session given by the caller is the source; otherwise botocore's own session is,
        # so that streaming never imports boto3.
        source = self._session if self._session is not None else self._core_session()
        try:
            credentials = source.get_credentials()
            if credentials is None:
                raise CredentialsError(
                    "no AWS credentials found: set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, "
                    "or run 'aws configure' / 'aws sso login'"
                )
            frozen = credentials.get_frozen_credentials()
        except CredentialsError:
            raise
        except Exception as error:
            translated = translate_error(error)
            if translated is error:
                raise
            raise translated from error
        if not frozen.access_key or not frozen.secret_key:
            raise CredentialsError("the AWS credentials found are incomplete: " + CredentialsError.HINT)
        # Whatever quotes them later (an exception message, a third-party log line), they are
        # redacted by value.
        remember_secret(frozen.secret_key)
        remember_secret(frozen.token)
        return frozen

    def _call_once(self, service: ServiceName, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        client = self.boto3_client(service)
        _log.debug("calling %s.%s", service, operation)
        try:
            response: dict[str, Any] = getattr(client, operation)(**params)
        except Exception as error:
            translated = translate_error(error)
            if translated is error:
                raise
            raise translated from error
        return response

    def call(self, service: ServiceName, operation: str, **params: Any) -> dict[str, Any]:
        """Call a boto3 operation with the shared retry policy and error translation."""
        from transcribe_medical._retry import call_with_retries

        return call_with_retries(self.config.retry, operation, lambda: self._call_once(service, operation, params))

    def close(self) -> None:
        """Close the underlying HTTP connections."""
        with self._lock:
            for client in self._clients.values():
                client.close()
            self._clients.clear()


class TranscribeMedical(_ClientBase):
    """The synchronous facade over Amazon Transcribe Medical.

    Example:
        >>> client = TranscribeMedical(region_name="us-east-1")  # doctest: +SKIP
        >>> job = client.jobs.start(StartJobRequest(...))          # doctest: +SKIP

    Args:
        region_name: AWS Region (else ``AWS_REGION`` / the profile's region).
        profile_name: Named profile (else ``AWS_PROFILE`` / default).
        endpoint_url: Batch and S3 endpoint override (else ``AWS_ENDPOINT_URL*``).
        streaming_endpoint_url: WebSocket endpoint override (else
            ``AWS_ENDPOINT_URL_TRANSCRIBE_STREAMING``).
        boto3_session: A ready boto3 session to use instead of making one.
        config: A :class:`ClientConfig` with retries, timeouts and TLS options.
        verify: TLS verification (True/False/CA bundle path), as in boto3.
    """

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def jobs(self) -> Jobs:
        """Batch medical transcription jobs."""
        from transcribe_medical.batch.jobs import Jobs

        return _cached(self, "_jobs", lambda: Jobs(self))

    @property
    def vocabularies(self) -> Vocabularies:
        """Medical custom vocabularies."""
        from transcribe_medical.batch.vocabularies import Vocabularies

        return _cached(self, "_vocabularies", lambda: Vocabularies(self))

    @property
    def scribe(self) -> ScribeClient:
        """AWS HealthScribe: clinical notes from patient-clinician conversations."""
        from transcribe_medical.scribe.client import ScribeClient

        return _cached(self, "_scribe", lambda: ScribeClient(self))

    @property
    def vocabulary_filters(self) -> VocabularyFilters:
        """Vocabulary filters (words to remove, mask or tag)."""
        from transcribe_medical.scribe.vocabulary_filters import VocabularyFilters

        return _cached(self, "_vocabulary_filters", lambda: VocabularyFilters(self))

    @property
    def streaming(self) -> StreamingClient:
        """Real-time streaming over the WebSocket API."""
        from transcribe_medical.streaming.sync.client import StreamingClient

        return _cached(self, "_streaming", lambda: StreamingClient(self))


class AsyncTranscribeMedical(_ClientBase):
    """The asyncio facade: the same calls as :class:`TranscribeMedical`, with ``async``.

    Batch calls run botocore in :func:`asyncio.to_thread` (boto3 has no asyncio); streaming uses
    the asyncio WebSocket transport directly.
    """

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the underlying HTTP connections."""
        import asyncio

        await asyncio.to_thread(self.close)

    async def acall(self, service: ServiceName, operation: str, **params: Any) -> dict[str, Any]:
        """The asyncio twin of :meth:`call`."""
        import asyncio

        from transcribe_medical._retry import call_with_retries_async

        return await call_with_retries_async(
            self.config.retry,
            operation,
            lambda: asyncio.to_thread(self._call_once, service, operation, params),
        )

    @property
    def jobs(self) -> AsyncJobs:
        """Batch medical transcription jobs (async)."""
        from transcribe_medical.batch.jobs import AsyncJobs

        return _cached(self, "_jobs", lambda: AsyncJobs(self))

    @property
    def vocabularies(self) -> AsyncVocabularies:
        """Medical custom vocabularies (async)."""
        from transcribe_medical.batch.vocabularies import AsyncVocabularies

        return _cached(self, "_vocabularies", lambda: AsyncVocabularies(self))

    @property
    def scribe(self) -> AsyncScribeClient:
        """AWS HealthScribe (asyncio)."""
        from transcribe_medical.scribe.client import AsyncScribeClient

        return _cached(self, "_scribe", lambda: AsyncScribeClient(self))

    @property
    def vocabulary_filters(self) -> AsyncVocabularyFilters:
        """Vocabulary filters (asyncio)."""
        from transcribe_medical.scribe.vocabulary_filters import AsyncVocabularyFilters

        return _cached(self, "_vocabulary_filters", lambda: AsyncVocabularyFilters(self))

    @property
    def streaming(self) -> AsyncStreamingClient:
        """Real-time streaming over the WebSocket API (asyncio)."""
        from transcribe_medical.streaming.asyncio.client import AsyncStreamingClient

        return _cached(self, "_streaming", lambda: AsyncStreamingClient(self))


def _cached(owner: object, attribute: str, factory: Callable[[], _T]) -> _T:
    value: _T | None = owner.__dict__.get(attribute)
    if value is None:
        value = factory()
        owner.__dict__[attribute] = value
    return value
