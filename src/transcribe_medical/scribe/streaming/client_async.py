"""``async_client.scribe.streaming``: HealthScribe streaming sessions (asyncio facade).

The same steps as the sync facade on the asyncio HTTP/2 driver; botocore work (credentials, S3)
runs in :func:`asyncio.to_thread`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from transcribe_medical._exceptions import TimeoutError
from transcribe_medical._retry import call_with_retries_async
from transcribe_medical.scribe.streaming.audio_input import prepare_audio
from transcribe_medical.scribe.streaming.client import OPERATION, ScribeNoteFailedError
from transcribe_medical.scribe.streaming.config import ScribeStreamConfig
from transcribe_medical.scribe.streaming.describe import describe_request, parse_description
from transcribe_medical.scribe.streaming.endpoint import ScribeEndpoint, resolve_scribe_endpoint
from transcribe_medical.scribe.streaming.event_signing import EventSigner, sign_initial_request
from transcribe_medical.scribe.streaming.h2_async import AsyncH2Stream
from transcribe_medical.scribe.streaming.keepalive import DEFAULT_KEEPALIVE_INTERVAL, check_keepalive_interval
from transcribe_medical.scribe.streaming.model import MedicalScribeStream
from transcribe_medical.scribe.streaming.protocol import ScribeSessionProtocol
from transcribe_medical.scribe.streaming.session_async import AsyncScribeStreamSession, AsyncScribeTranscription

if TYPE_CHECKING:
    from transcribe_medical._client import AsyncTranscribeMedical
    from transcribe_medical.scribe.note import ClinicalNote

__all__ = ["AsyncScribeStreaming"]


class AsyncScribeStreaming:
    """HealthScribe streaming (asyncio): ``async_client.scribe.streaming``."""

    def __init__(
        self, client: AsyncTranscribeMedical, *, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    ) -> None:
        """Bind to a facade."""
        self._client = client
        self._sleep = sleep

    def __repr__(self) -> str:
        return f"AsyncScribeStreaming({self._client!r})"

    def endpoint(self) -> ScribeEndpoint:
        """Where sessions connect."""
        return resolve_scribe_endpoint(self._client.region_name, self._client.config.resolved_streaming_endpoint())

    async def connect(
        self,
        config: ScribeStreamConfig,
        *,
        max_resumes: int = 3,
        on_resume: Callable[[int], None] | None = None,
        keepalive_interval: float | None = DEFAULT_KEEPALIVE_INTERVAL,
    ) -> AsyncScribeStreamSession:
        """Open a session and send its ConfigurationEvent; see the sync ``connect`` (options as there)."""
        config = config.with_session_id()
        config.request_headers()  # refuses an incomplete config before any connection
        check_keepalive_interval(keepalive_interval)
        stream, signer = await self._open(config)
        protocol = ScribeSessionProtocol(config)
        try:
            await stream.send(protocol.start(signer))
        except BaseException:
            await stream.close()
            raise
        return AsyncScribeStreamSession(
            stream,
            protocol,
            self.note,
            reopen=lambda: self._open(config),
            max_resumes=max_resumes,
            on_resume=on_resume,
            keepalive_interval=keepalive_interval,
        )

    async def _open(self, config: ScribeStreamConfig) -> tuple[AsyncH2Stream, EventSigner]:
        """A signed StartMedicalScribeStream for ``config`` (retried), and its event signer."""
        headers = config.request_headers()
        endpoint = self.endpoint()
        settings = self._client.config
        region = self._client.region_name

        async def attempt() -> tuple[AsyncH2Stream, EventSigner]:
            credentials = await asyncio.to_thread(self._client.credentials)
            signed = sign_initial_request(endpoint.url, headers, credentials, region)
            stream = await AsyncH2Stream.open(
                endpoint,
                signed.headers,
                verify=settings.verify,
                connect_timeout=settings.connect_timeout,
                read_timeout=settings.read_timeout,
                proxies=settings.proxies,
            )
            return stream, EventSigner(credentials, region, signed.seed_signature)

        return await call_with_retries_async(settings.retry, OPERATION, attempt)

    async def transcribe(
        self,
        audio: Any,
        config: ScribeStreamConfig,
        *,
        realtime: bool = True,
        max_resumes: int = 3,
        on_resume: Callable[[int], None] | None = None,
    ) -> AsyncScribeTranscription:
        """Stream ``audio``; ``async for`` the result's events, then ``.transcript`` / ``await .note()``.

        Options as the sync ``transcribe`` (a dropped connection resumes the session).
        """
        source, config, pacer = prepare_audio(audio, config, realtime=realtime)
        session = await self.connect(config, max_resumes=max_resumes, on_resume=on_resume)
        return AsyncScribeTranscription(session, source, pacer)

    async def get(self, session_id: str) -> MedicalScribeStream:
        """Describe a session (GetMedicalScribeStream)."""
        endpoint = self.endpoint()
        settings = self._client.config

        async def attempt() -> MedicalScribeStream:
            credentials = await asyncio.to_thread(self._client.credentials)
            path, headers = describe_request(endpoint, session_id, credentials, self._client.region_name)
            stream = await AsyncH2Stream.open(
                endpoint,
                headers,
                verify=settings.verify,
                connect_timeout=settings.connect_timeout,
                read_timeout=settings.read_timeout,
                proxies=settings.proxies,
                method="GET",
                path=path,
                event_stream=False,
            )
            try:
                return parse_description(await stream.read_body())
            finally:
                await stream.close()

        return await call_with_retries_async(settings.retry, "GetMedicalScribeStream", attempt)

    async def wait(self, session_id: str, *, timeout: float = 600.0, poll_interval: float = 2.0) -> MedicalScribeStream:
        """Poll until the clinical note is COMPLETED or FAILED."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            stream = await self.get(session_id)
            if stream.note_done:
                return stream
            if loop.time() + poll_interval > deadline:
                raise TimeoutError(
                    f"HealthScribe session {session_id}: the clinical note was not ready after {timeout:g} s "
                    f"(status {stream.note_status or 'not started'})"
                )
            await self._sleep(poll_interval)

    async def note(self, session_id: str, *, timeout: float = 600.0, poll_interval: float = 2.0) -> ClinicalNote:
        """Wait for the clinical note and read it from S3."""
        from transcribe_medical.batch.s3 import download_bytes_async, parse_s3_uri
        from transcribe_medical.scribe.note import parse_clinical_document

        stream = await self.wait(session_id, timeout=timeout, poll_interval=poll_interval)
        if stream.note_status != "COMPLETED" or not stream.note_uri:
            raise ScribeNoteFailedError(stream)
        data = await download_bytes_async(self._client, parse_s3_uri(stream.note_uri))
        return parse_clinical_document(data, template=stream.note_template)
