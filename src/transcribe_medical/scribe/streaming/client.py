"""``client.scribe.streaming``: HealthScribe streaming sessions (sync facade).

connect → sign the request (botocore SigV4, streaming payload hash) → HTTP/2 stream → the
signed ConfigurationEvent first; then audio, END_OF_SESSION, the end frame. ``get`` and
``note`` ask GetMedicalScribeStream and read ``summary.json`` from S3.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from transcribe_medical._exceptions import BadRequestError, TimeoutError
from transcribe_medical._retry import call_with_retries
from transcribe_medical.scribe.streaming.audio_input import prepare_audio
from transcribe_medical.scribe.streaming.config import ScribeStreamConfig
from transcribe_medical.scribe.streaming.describe import describe_request, parse_description
from transcribe_medical.scribe.streaming.endpoint import ScribeEndpoint, resolve_scribe_endpoint
from transcribe_medical.scribe.streaming.event_signing import EventSigner, sign_initial_request
from transcribe_medical.scribe.streaming.h2_sync import SyncH2Stream
from transcribe_medical.scribe.streaming.keepalive import DEFAULT_KEEPALIVE_INTERVAL, check_keepalive_interval
from transcribe_medical.scribe.streaming.model import MedicalScribeStream
from transcribe_medical.scribe.streaming.protocol import ScribeSessionProtocol
from transcribe_medical.scribe.streaming.session_sync import ScribeStreamSession, ScribeTranscription

if TYPE_CHECKING:
    from transcribe_medical._client import TranscribeMedical
    from transcribe_medical.scribe.note import ClinicalNote

__all__ = ["OPERATION", "ScribeNoteFailedError", "ScribeStreaming"]

#: The operation name used in retry logs.
OPERATION: Final = "StartMedicalScribeStream"


class ScribeNoteFailedError(BadRequestError):
    """The clinical note of a streaming session FAILED; ``failure_reason`` says why."""

    def __init__(self, stream: MedicalScribeStream) -> None:
        reason = stream.failure_reason or "no reason given"
        super().__init__(
            f"HealthScribe session {stream.session_id}: the clinical note FAILED: {reason}", code="NoteFailed"
        )
        self.stream = stream
        self.failure_reason = stream.failure_reason


class ScribeStreaming:
    """HealthScribe streaming (sync): ``client.scribe.streaming``."""

    def __init__(self, client: TranscribeMedical, *, sleep: Callable[[float], None] = time.sleep) -> None:
        """Bind to a facade (reached as ``client.scribe.streaming``)."""
        self._client = client
        self._sleep = sleep

    def __repr__(self) -> str:
        return f"ScribeStreaming({self._client!r})"

    def endpoint(self) -> ScribeEndpoint:
        """Where sessions connect (the shared streaming endpoint setting, read as HTTP/2)."""
        return resolve_scribe_endpoint(self._client.region_name, self._client.config.resolved_streaming_endpoint())

    def connect(
        self,
        config: ScribeStreamConfig,
        *,
        max_resumes: int = 3,
        on_resume: Callable[[int], None] | None = None,
        keepalive_interval: float | None = DEFAULT_KEEPALIVE_INTERVAL,
    ) -> ScribeStreamSession:
        """Open a session and send its ConfigurationEvent.

        The session resumes a dropped connection by itself (same session id, configuration
        first, the audio the service did not keep sent again) and, for PCM, sends silence
        when you send nothing for ``keepalive_interval`` seconds, so a paused visit stays open.

        Args:
            config: The session's settings; a ``session_id`` of a paused session resumes it.
            max_resumes: Dropped connections resumed at most (0: fail on the first).
            on_resume: Called with the resume count after each reconnection.
            keepalive_interval: Seconds without a send before silence is sent (``None``: off).

        Raises:
            ValidationError: An incomplete config or a refused endpoint.
            CredentialsError: No usable credentials, or the request was refused (HTTP 403).
            ServiceError: Refused with another status.
            ConnectionError / TimeoutError: The endpoint could not be reached (after retries).
        """
        config = config.with_session_id()
        config.request_headers()  # refuses an incomplete config before any connection
        check_keepalive_interval(keepalive_interval)
        stream, signer = self._open(config)
        protocol = ScribeSessionProtocol(config)
        try:
            stream.send(protocol.start(signer))
        except BaseException:
            stream.close()
            raise
        return ScribeStreamSession(
            stream,
            protocol,
            self.note,
            reopen=lambda: self._open(config),
            max_resumes=max_resumes,
            on_resume=on_resume,
            keepalive_interval=keepalive_interval,
        )

    def _open(self, config: ScribeStreamConfig) -> tuple[SyncH2Stream, EventSigner]:
        """A signed StartMedicalScribeStream for ``config`` (retried), and its event signer."""
        headers = config.request_headers()
        endpoint = self.endpoint()
        settings = self._client.config
        region = self._client.region_name

        def attempt() -> tuple[SyncH2Stream, EventSigner]:
            credentials = self._client.credentials()
            signed = sign_initial_request(endpoint.url, headers, credentials, region)
            stream = SyncH2Stream.open(
                endpoint,
                signed.headers,
                verify=settings.verify,
                connect_timeout=settings.connect_timeout,
                read_timeout=settings.read_timeout,
                proxies=settings.proxies,
            )
            return stream, EventSigner(credentials, region, signed.seed_signature)

        return call_with_retries(settings.retry, OPERATION, attempt)

    def transcribe(
        self,
        audio: Any,
        config: ScribeStreamConfig,
        *,
        realtime: bool = True,
        max_resumes: int = 3,
        on_resume: Callable[[int], None] | None = None,
    ) -> ScribeTranscription:
        """Stream ``audio`` (a path, ``"-"``, bytes, an iterable of bytes or an AudioSource).

        A dropped connection is resumed with the same session id (PCM audio): the
        ConfigurationEvent first, then the audio after the last final segment. A live source
        that stalls is kept open with silence, as in :meth:`connect`.

        Args:
            audio: What to stream.
            config: The session's settings (a file's own format fills in rate and encoding).
            realtime: Pace the audio as it would be spoken (``False``: as fast as accepted).
            max_resumes: Dropped connections resumed at most (0: fail on the first).
            on_resume: Called with the resume count after each reconnection.

        Returns:
            A :class:`ScribeTranscription`: iterate it for the events; then ``.transcript`` and
            ``.note()``.
        """
        source, config, pacer = prepare_audio(audio, config, realtime=realtime)
        session = self.connect(config, max_resumes=max_resumes, on_resume=on_resume)
        return ScribeTranscription(session, source, pacer)

    def get(self, session_id: str) -> MedicalScribeStream:
        """Describe a session (GetMedicalScribeStream).

        Raises:
            NotFoundError: No such session.
            ValidationError: ``session_id`` is not a UUID.
        """
        endpoint = self.endpoint()
        settings = self._client.config

        def attempt() -> MedicalScribeStream:
            path, headers = describe_request(endpoint, session_id, self._client.credentials(), self._client.region_name)
            stream = SyncH2Stream.open(
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
                return parse_description(stream.read_body())
            finally:
                stream.close()

        return call_with_retries(settings.retry, "GetMedicalScribeStream", attempt)

    def wait(self, session_id: str, *, timeout: float = 600.0, poll_interval: float = 2.0) -> MedicalScribeStream:
        """Poll until the session's clinical note is COMPLETED or FAILED.

        Raises:
            TimeoutError: The note was not done within ``timeout`` seconds.
        """
        deadline = time.monotonic() + timeout
        while True:
            stream = self.get(session_id)
            if stream.note_done:
                return stream
            if time.monotonic() + poll_interval > deadline:
                raise TimeoutError(
                    f"HealthScribe session {session_id}: the clinical note was not ready after {timeout:g} s "
                    f"(status {stream.note_status or 'not started'})"
                )
            self._sleep(poll_interval)

    def note(self, session_id: str, *, timeout: float = 600.0, poll_interval: float = 2.0) -> ClinicalNote:
        """Wait for the session's clinical note and read it (``summary.json``) from S3.

        Raises:
            ScribeNoteFailedError: The note FAILED (with the service's reason).
            TimeoutError: Not ready within ``timeout``.
        """
        from transcribe_medical.batch.s3 import download_bytes, parse_s3_uri
        from transcribe_medical.scribe.note import parse_clinical_document

        stream = self.wait(session_id, timeout=timeout, poll_interval=poll_interval)
        if stream.note_status != "COMPLETED" or not stream.note_uri:
            raise ScribeNoteFailedError(stream)
        data = download_bytes(self._client, parse_s3_uri(stream.note_uri))
        return parse_clinical_document(data, template=stream.note_template)
