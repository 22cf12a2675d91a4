"""``client.streaming``: real-time medical transcription over the WebSocket API.

:class:`StreamingClient` (sync) and :class:`AsyncStreamingClient` (asyncio) are reached as
``TranscribeMedical(...).streaming`` and ``AsyncTranscribeMedical(...).streaming``. They take the
facade's credentials (botocore's chain), Region, streaming endpoint, TLS and retry settings;
each drives its own transport over the shared sans-I/O session, and neither wraps the other.

Opening a stream is retried under the facade's retry policy (connection errors, throttling and
5xx), each attempt with a freshly signed URL. ``transcribe()`` and ``transcribe_file()`` also
survive a stream that fails once started (on by default, ``reconnect=False`` to disable): they
reconnect with a fresh presign and replay the audio not yet final (:mod:`.resilient`).
``connect()`` gives a live session fed by the caller, kept alive across pauses and reconnected
the same way (:mod:`.live_sync`, :mod:`.live_async`).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterable, Awaitable, Callable, Generator, Iterable
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeAlias

from transcribe_medical import _limits
from transcribe_medical._retry import call_with_retries, call_with_retries_async
from transcribe_medical.models.enums import MediaEncoding
from transcribe_medical.models.stream import StreamConfig
from transcribe_medical.models.transcript import Transcript
from transcribe_medical.streaming import _transport, async_client, resilient_async, resilient_sync, sync_client
from transcribe_medical.streaming.audio import AudioSource, Pacer, open_audio, rereader
from transcribe_medical.streaming.live_async import AsyncLiveSession
from transcribe_medical.streaming.live_sync import LiveSession
from transcribe_medical.streaming.presign import presign_url
from transcribe_medical.streaming.resilient import ReconnectEvent, ReconnectPolicy, ResilientSession

if TYPE_CHECKING:
    from transcribe_medical._client import _ClientBase

__all__ = ["AsyncStreamingClient", "AudioInput", "StreamingClient"]

#: What ``transcribe()`` accepts: a path, ``"-"`` (stdin), bytes, an iterable or async iterable
#: of bytes, or an :class:`~transcribe_medical.streaming.audio.AudioSource`.
AudioInput: TypeAlias = (
    str | os.PathLike[str] | bytes | bytearray | memoryview | Iterable[bytes] | AsyncIterable[bytes] | AudioSource
)

_PCM_SAMPLE_BYTES = 2


class _StreamingBase:
    """What both clients share: signing, and combining the config with the audio."""

    def __init__(self, facade: _ClientBase) -> None:
        self._facade = facade

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._facade!r})"

    def presigned_url(self, config: StreamConfig) -> str:
        """A presigned URL for ``config`` (valid 300 s). It is a secret: do not log it.

        Raises:
            CredentialsError: No usable credentials.
            ValidationError: No Region, a refused endpoint, or an incomplete config.
        """
        return presign_url(
            self._facade.credentials(),
            self._facade.region_name,
            config,
            endpoint=self._facade.config.resolved_streaming_endpoint(),
        )

    @staticmethod
    def _ready(config: StreamConfig) -> StreamConfig:
        config = config.with_session_id()
        config.to_query()  # refuses a config without encoding or rate before any network call
        return config

    @staticmethod
    def _prepare(audio: AudioInput, config: StreamConfig, realtime: bool) -> tuple[AudioSource, StreamConfig, Pacer]:
        if isinstance(audio, str | os.PathLike) and os.fspath(audio) != "-":
            # A file says its own format; explicit values must agree (checked by for_audio).
            source = open_audio(audio)
        else:
            source = open_audio(
                audio,
                sample_rate=config.sample_rate,
                media_encoding=config.media_encoding,
                channels=_limits.STREAM_CHANNELS if config.channel_identification else None,
            )
        audio_format = source.format
        if audio_format is not None:
            config = config.for_audio(audio_format.media_encoding, audio_format.sample_rate, audio_format.channels)
        config = _StreamingBase._ready(config)
        pacer = Pacer.for_source(source, realtime=realtime)
        if realtime and not pacer.enabled and config.media_encoding is MediaEncoding.PCM:
            assert config.sample_rate is not None  # _ready() checked it
            channels = _limits.STREAM_CHANNELS if config.channel_identification else 1
            pacer = Pacer(config.sample_rate * channels * _PCM_SAMPLE_BYTES, realtime=True)
        return source, config, pacer


class StreamingClient(_StreamingBase):
    """Real-time streaming, synchronous: ``TranscribeMedical(...).streaming``.

    Example:
        >>> client = TranscribeMedical(region_name="us-east-1")             # doctest: +SKIP
        >>> config = StreamConfig(specialty="CARDIOLOGY", type="DICTATION")
        >>> transcript = client.streaming.transcribe_file("visit.wav", config)  # doctest: +SKIP
    """

    def connect(
        self,
        config: StreamConfig,
        *,
        reconnect: bool | ReconnectPolicy = True,
        on_reconnect: Callable[[ReconnectEvent], object] | None = None,
    ) -> LiveSession:
        """Open a live session; send audio yourself, then iterate the events.

        The session is kept alive while you pause (silence for PCM; a compressed stream is
        closed and transparently reopened when audio resumes), as ``transcribe()`` keeps a paused
        source alive: the service's 15 s idle timeout never ends it.

        Args:
            config: The stream's parameters, with ``media_encoding`` and ``sample_rate`` set.
            reconnect: As for :meth:`transcribe`: survive dropped connections and retryable
                service errors while you iterate (``True``, the default); ``False`` raises the
                first failure; a :class:`~.resilient.ReconnectPolicy` tunes it (its
                ``keepalive_interval`` applies either way).
            on_reconnect: Called (in the iterating thread) with each
                :class:`~.resilient.ReconnectEvent`.

        Returns:
            The connected :class:`~.live_sync.LiveSession` (a context manager).

        Raises:
            ValidationError: The config is incomplete or the endpoint is refused.
            CredentialsError: No usable credentials, or the handshake was refused (HTTP 403).
            ServiceError: The handshake was refused with another status.
            ConnectionError: The endpoint could not be reached (after retries).
            TimeoutError: The handshake took too long (after retries).
        """
        ready = self._ready(config)
        policy = ReconnectPolicy.from_option(reconnect)
        connection = self._open(ready)
        resilient = ResilientSession(ready, retry=self._facade.config.retry, policy=policy)
        return LiveSession(connection, resilient, open_session=self._open_once, on_reconnect=on_reconnect)

    def _open(self, config: StreamConfig) -> sync_client.StreamConnection:
        settings = self._facade.config

        def attempt() -> sync_client.StreamConnection:
            return sync_client.open_connection(
                self.presigned_url(config),
                config,
                verify=settings.verify,
                proxies=settings.proxies,
                open_timeout=settings.connect_timeout,
                read_timeout=settings.read_timeout,
            )

        return call_with_retries(settings.retry, _transport.OPERATION, attempt)

    def transcribe(
        self,
        audio: AudioInput,
        config: StreamConfig,
        *,
        realtime: bool = True,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], object] | None = None,
        reconnect: bool | ReconnectPolicy = True,
        on_reconnect: Callable[[ReconnectEvent], object] | None = None,
    ) -> sync_client.Transcription | resilient_sync.ResilientTranscription:
        """Stream ``audio`` and iterate the service's events as they come.

        Args:
            audio: A WAV/FLAC/Ogg-Opus path, ``"-"`` for raw audio on stdin, bytes, an iterable of
                byte chunks, or an AudioSource.
            config: The stream's parameters; encoding and rate are taken from a file's header.
            realtime: Send at the audio's own pace, as AWS advises; ``False`` sends as fast as the
                connection accepts.
            clock: Monotonic clock for pacing (tests and simulations).
            sleep: How to wait between chunks (tests and simulations).
            reconnect: Survive dropped connections and retryable service errors, keep paused
                sources alive and roll over before the 4 h cap (``True``, the default); ``False``
                raises the first failure; a :class:`~.resilient.ReconnectPolicy` tunes it.
            on_reconnect: Called (in the iterating thread) with a
                :class:`~.resilient.ReconnectEvent` after each reconnect.

        After a reconnect, a file (any source that can be read again) is replayed from the last
        final result however far back, so nothing is lost. A live source (an iterable, stdin, a
        microphone) is replayed from a buffer of ``replay_seconds``; audio an outage outran is
        lost, and ``.transcript.gaps`` names each lost span (``.transcript.incomplete`` is then
        true): check it before trusting the transcript as complete.

        Returns:
            An iterator of :class:`~transcribe_medical.TranscriptEvent` (also a context manager)
            with ``.transcript`` and ``.session_id`` (and ``.reconnects`` when reconnecting).

        Raises:
            AudioFormatError: The audio is unsupported or does not fit the config (e.g. two
                channels without channel identification).
            ValidationError, CredentialsError, ServiceError, ConnectionError, TimeoutError: As for
                :meth:`connect`, and while iterating.
        """
        source, ready, pacer = self._prepare(audio, config, realtime)
        policy = ReconnectPolicy.from_option(reconnect)
        connection = self._open(ready)
        if not policy.enabled:
            return sync_client.Transcription(connection, source, pacer, clock=clock, sleep=sleep)
        resilient = ResilientSession(ready, retry=self._facade.config.retry, policy=policy, reread=rereader(source))
        return resilient_sync.ResilientTranscription(
            connection,
            resilient,
            source,
            pacer,
            open_session=self._open_once,
            clock=clock,
            sleep=sleep,
            on_reconnect=on_reconnect,
        )

    def _open_once(self, config: StreamConfig) -> sync_client.StreamConnection:
        # One attempt, signed now with credentials resolved now (rotated keys are picked up).
        settings = self._facade.config
        return sync_client.open_connection(
            self.presigned_url(config),
            config,
            verify=settings.verify,
            proxies=settings.proxies,
            open_timeout=settings.connect_timeout,
            read_timeout=settings.read_timeout,
        )

    def transcribe_file(
        self,
        path: str | os.PathLike[str],
        config: StreamConfig,
        *,
        realtime: bool = True,
        reconnect: bool | ReconnectPolicy = True,
        on_reconnect: Callable[[ReconnectEvent], object] | None = None,
    ) -> Transcript:
        """Stream an audio file and return its transcript (final results only).

        Args:
            path: A WAV (PCM16), FLAC or Ogg-Opus file, or ``"-"`` for raw audio on stdin.
            config: The stream's parameters.
            realtime: Send at the audio's own pace (``False``: as fast as allowed).
            reconnect: As for :meth:`transcribe`.
            on_reconnect: As for :meth:`transcribe`.

        Returns:
            The assembled :class:`~transcribe_medical.Transcript`. A file is replayed whole after
            any reconnect; raw audio piped to stdin is live, and audio an outage outran its replay
            buffer is named in ``transcript.gaps`` (``transcript.incomplete`` is true).
        """
        path_or_stdin = Path(path) if path != "-" else "-"
        with self.transcribe(
            path_or_stdin, config, realtime=realtime, reconnect=reconnect, on_reconnect=on_reconnect
        ) as events:
            for _ in events:
                pass
            return events.transcript


class _AsyncConnecting:
    """``connect()``'s result: await it, or use it with ``async with``."""

    def __init__(self, session: AsyncLiveSession) -> None:
        self._session = session
        self._connection: AsyncLiveSession | None = None

    def __await__(self) -> Generator[Any, None, AsyncLiveSession]:
        return self._session.open().__await__()

    async def __aenter__(self) -> AsyncLiveSession:
        self._connection = await self._session.open()
        return self._connection

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._connection is not None:
            await self._connection.close()


class AsyncStreamingClient(_StreamingBase):
    """Real-time streaming, asyncio: ``AsyncTranscribeMedical(...).streaming``.

    Example:
        >>> async with AsyncTranscribeMedical(region_name="us-east-1") as client:   # doctest: +SKIP
        ...     async for event in client.streaming.transcribe("visit.wav", config):
        ...         ...
    """

    def connect(
        self,
        config: StreamConfig,
        *,
        reconnect: bool | ReconnectPolicy = True,
        on_reconnect: Callable[[ReconnectEvent], object] | None = None,
    ) -> _AsyncConnecting:
        """Open a live session: ``async with client.streaming.connect(config) as stream``.

        Kept alive while you pause, and reconnected while you iterate, as for
        :meth:`StreamingClient.connect`.

        Args:
            config: The stream's parameters, with ``media_encoding`` and ``sample_rate`` set.
            reconnect: As for :meth:`StreamingClient.connect`.
            on_reconnect: Called with each :class:`~.resilient.ReconnectEvent`.

        Returns:
            An awaitable async context manager giving the connected
            :class:`~.live_async.AsyncLiveSession`.

        Raises:
            ValidationError: The config is incomplete (raised here, before connecting).
            CredentialsError, ServiceError, ConnectionError, TimeoutError: When connecting.
        """
        ready = self._ready(config)
        policy = ReconnectPolicy.from_option(reconnect)
        resilient = ResilientSession(ready, retry=self._facade.config.retry, policy=policy)
        return _AsyncConnecting(
            AsyncLiveSession(resilient, open_first=self._open, open_session=self._open_once, on_reconnect=on_reconnect)
        )

    async def _open(self, config: StreamConfig) -> async_client.AsyncStreamConnection:
        settings = self._facade.config

        async def attempt() -> async_client.AsyncStreamConnection:
            return await async_client.open_connection(
                self.presigned_url(config),
                config,
                verify=settings.verify,
                proxies=settings.proxies,
                open_timeout=settings.connect_timeout,
                read_timeout=settings.read_timeout,
            )

        return await call_with_retries_async(settings.retry, _transport.OPERATION, attempt)

    def transcribe(
        self,
        audio: AudioInput,
        config: StreamConfig,
        *,
        realtime: bool = True,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], Awaitable[object]] | None = None,
        reconnect: bool | ReconnectPolicy = True,
        on_reconnect: Callable[[ReconnectEvent], object] | None = None,
    ) -> async_client.AsyncTranscription | resilient_async.AsyncResilientTranscription:
        """Stream ``audio`` and ``async for`` the service's events as they come.

        The audio is opened and checked at once; the connection opens on ``async with`` or on
        the first ``async for`` step.

        Args:
            audio: As for :meth:`StreamingClient.transcribe`; async iterables of bytes too.
            config: The stream's parameters; encoding and rate are taken from a file's header.
            realtime: Send at the audio's own pace; ``False`` sends as fast as allowed.
            clock: Monotonic clock for pacing (default: the event loop's).
            sleep: How to wait between chunks (default :func:`asyncio.sleep`).
            reconnect: As for :meth:`StreamingClient.transcribe` (on by default).
            on_reconnect: Called with a :class:`~.resilient.ReconnectEvent` after each reconnect.

        Returns:
            An async iterator of TranscriptEvents (also an async context manager) with
            ``.transcript`` and ``.session_id``. As for :meth:`StreamingClient.transcribe`, a
            file is replayed whole after a reconnect; a live source's lost audio is named in
            ``.transcript.gaps``.
        """
        source, ready, pacer = self._prepare(audio, config, realtime)
        policy = ReconnectPolicy.from_option(reconnect)
        if policy.enabled:
            return resilient_async.AsyncResilientTranscription(
                ResilientSession(ready, retry=self._facade.config.retry, policy=policy, reread=rereader(source)),
                source,
                pacer,
                open_first=self._open,
                open_session=self._open_once,
                clock=clock,
                sleep=sleep,
                on_reconnect=on_reconnect,
            )

        async def opener() -> tuple[async_client.AsyncStreamConnection, AudioSource, Pacer]:
            return await self._open(ready), source, pacer

        return async_client.AsyncTranscription(opener, clock=clock, sleep=sleep)

    async def _open_once(self, config: StreamConfig) -> async_client.AsyncStreamConnection:
        # One attempt, signed now with credentials resolved now (rotated keys are picked up).
        settings = self._facade.config
        return await async_client.open_connection(
            self.presigned_url(config),
            config,
            verify=settings.verify,
            proxies=settings.proxies,
            open_timeout=settings.connect_timeout,
            read_timeout=settings.read_timeout,
        )

    async def transcribe_file(
        self,
        path: str | os.PathLike[str],
        config: StreamConfig,
        *,
        realtime: bool = True,
        reconnect: bool | ReconnectPolicy = True,
        on_reconnect: Callable[[ReconnectEvent], object] | None = None,
    ) -> Transcript:
        """Stream an audio file and return its transcript (final results only).

        Args:
            path: A WAV (PCM16), FLAC or Ogg-Opus file, or ``"-"`` for raw audio on stdin.
            config: The stream's parameters.
            realtime: Send at the audio's own pace (``False``: as fast as allowed).
            reconnect: As for :meth:`transcribe`.
            on_reconnect: As for :meth:`transcribe`.

        Returns:
            The assembled transcript; for raw audio on stdin, check ``transcript.incomplete``
            (see :meth:`StreamingClient.transcribe_file`).
        """
        path_or_stdin = Path(path) if path != "-" else "-"
        async with self.transcribe(
            path_or_stdin, config, realtime=realtime, reconnect=reconnect, on_reconnect=on_reconnect
        ) as events:
            async for _ in events:
                pass
            return events.transcript
