"""``AsyncTranscribeMedical(...).streaming``: :class:`AsyncStreamingClient`.

Every call returns one type, reconnecting or not (reconnection is a policy of the one driver,
:mod:`.stream`): ``transcribe()`` an :class:`~.stream.AsyncTranscription`, ``connect()`` an
:class:`~.stream.AsyncLiveSession`, ``transcribe_file()`` a :class:`~transcribe_medical.Transcript`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Awaitable, Callable, Generator
from pathlib import Path
from types import TracebackType
from typing import Any

from transcribe_medical._exceptions import TranscribeMedicalError
from transcribe_medical._retry import call_with_retries_async, retry_after_first, then_raise_first
from transcribe_medical.models.stream import StreamConfig
from transcribe_medical.models.transcript import Transcript
from transcribe_medical.streaming import _transport
from transcribe_medical.streaming.asyncio.connection import AsyncStreamConnection, open_connection
from transcribe_medical.streaming.asyncio.stream import AsyncLiveSession, AsyncTranscription, ResultCallback
from transcribe_medical.streaming.audio import rereader
from transcribe_medical.streaming.client import AudioInput, _StreamingBase
from transcribe_medical.streaming.reconnect import ReconnectEvent, ReconnectPolicy, ResilientSession

__all__ = ["AsyncConnecting", "AsyncStreamingClient"]


class AsyncConnecting:
    """``connect()``'s result: ``await`` it, or use it with ``async with`` (which closes the session)."""

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
        ...     transcript = await client.streaming.transcribe_file("visit.wav")
        ...     async for event in client.streaming.transcribe("visit.wav", config):
        ...         ...
    """

    def connect(
        self,
        config: StreamConfig,
        *,
        reconnect: bool | ReconnectPolicy = True,
        on_reconnect: Callable[[ReconnectEvent], object] | None = None,
        on_partial: ResultCallback | None = None,
        on_final: ResultCallback | None = None,
        keep_transcript: bool = True,
    ) -> AsyncConnecting:
        """Open a live session: ``async with client.streaming.connect(config) as stream``.

        The session is kept alive while you pause (silence for PCM; a compressed stream is closed
        and transparently reopened when audio resumes), so the service's 15 s idle timeout never
        ends it, and it is reconnected while you iterate, as :meth:`transcribe` is.

        Args:
            config: The stream's parameters, with ``media_encoding`` and ``sample_rate`` set.
            reconnect: As for :meth:`transcribe` (its ``keepalive_interval`` applies either way).
            on_reconnect: Called with each :class:`~transcribe_medical.streaming.reconnect.ReconnectEvent`.
            on_partial: Called with each partial result while you iterate (a coroutine function
                is awaited).
            on_final: Called with each final result while you iterate.
            keep_transcript: As for :meth:`transcribe`.

        Returns:
            An awaitable async context manager giving the connected
            :class:`~.stream.AsyncLiveSession`.

        Raises:
            ValidationError: The config is incomplete (raised here, before connecting).
            CredentialsError, ServiceError, ConnectionError, TimeoutError: When connecting.
        """
        ready = self._ready(config)
        resilient = ResilientSession(
            ready,
            retry=self._facade.config.retry,
            policy=ReconnectPolicy.from_option(reconnect),
            keep_transcript=keep_transcript,
        )
        return AsyncConnecting(
            AsyncLiveSession(
                resilient,
                open_first=self._open,
                open_session=self._open_once,
                on_reconnect=on_reconnect,
                on_partial=on_partial,
                on_final=on_final,
                read_timeout=self._facade.config.read_timeout,
            )
        )

    def transcribe(
        self,
        audio: AudioInput,
        config: StreamConfig | None = None,
        *,
        realtime: bool = True,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], Awaitable[object]] | None = None,
        reconnect: bool | ReconnectPolicy = True,
        on_reconnect: Callable[[ReconnectEvent], object] | None = None,
        on_partial: ResultCallback | None = None,
        on_final: ResultCallback | None = None,
        keep_transcript: bool = True,
    ) -> AsyncTranscription:
        """Stream ``audio`` and ``async for`` the service's events as they come.

        The audio is opened and checked at once; the connection opens on ``async with``,
        ``await`` or the first ``async for`` step.

        Args:
            audio: A WAV/FLAC/Ogg-Opus path, ``"-"`` for raw audio on stdin, bytes, an iterable or
                async iterable of byte chunks, or an AudioSource.
            config: The stream's parameters (default ``StreamConfig()``: PRIMARYCARE, DICTATION);
                encoding, rate and channels are read from a file's header.
            realtime: Send at the audio's own pace, as AWS advises; ``False`` sends as fast as
                the connection accepts.
            clock: Monotonic clock for pacing (default: the event loop's).
            sleep: How to wait between chunks (default :func:`asyncio.sleep`).
            reconnect: Survive dropped connections and retryable service errors, keep paused
                sources alive and roll over before the 4 h cap (``True``, the default); ``False``
                raises the first failure (a plain stream); a
                :class:`~transcribe_medical.streaming.reconnect.ReconnectPolicy` tunes it.
            on_reconnect: Called with a ``ReconnectEvent`` after each reconnect.
            on_partial: Called with each partial :class:`~transcribe_medical.models.events.Result`
                (in stream time) before its event is yielded; a coroutine function is awaited.
            on_final: Called with each final result (each once, in stream time) likewise.
            keep_transcript: Assemble the finals into ``.transcript`` (the default). ``False``
                keeps nothing for a caller that only reads the events or callbacks;
                ``.transcript`` then raises and errors carry no transcript.

        After a reconnect, a file is replayed from the last final result however far back; a
        live source (an iterable, stdin, a microphone) from a buffer of ``replay_seconds``, and
        the audio an outage outran is named in ``.transcript.gaps`` (``.transcript.incomplete``).

        Returns:
            An :class:`~.stream.AsyncTranscription`: an async iterator of
            :class:`~transcribe_medical.TranscriptEvent` (also an async context manager) with
            ``.transcript``, ``.session_id`` and ``.reconnects``.

        Raises:
            AudioFormatError: The audio is unsupported or does not fit the config.
            ValidationError, CredentialsError, ServiceError, ConnectionError, TimeoutError: As for
                :meth:`connect`, and while iterating.
        """
        source, ready, pacer = self._prepare(audio, config if config is not None else StreamConfig(), realtime)
        resilient = ResilientSession(
            ready,
            retry=self._facade.config.retry,
            policy=ReconnectPolicy.from_option(reconnect),
            reread=rereader(source),
            keep_transcript=keep_transcript,
        )
        return AsyncTranscription(
            resilient,
            source,
            pacer,
            open_first=self._open,
            open_session=self._open_once,
            clock=clock,
            sleep=sleep,
            on_reconnect=on_reconnect,
            on_partial=on_partial,
            on_final=on_final,
            read_timeout=self._facade.config.read_timeout,
        )

    async def transcribe_file(
        self,
        path: str | os.PathLike[str],
        config: StreamConfig | None = None,
        *,
        realtime: bool = True,
        reconnect: bool | ReconnectPolicy = True,
        on_reconnect: Callable[[ReconnectEvent], object] | None = None,
        on_partial: ResultCallback | None = None,
        on_final: ResultCallback | None = None,
    ) -> Transcript:
        """Stream an audio file and return its transcript (final results only).

        Example:
            >>> transcript = await client.streaming.transcribe_file("visit.wav")   # doctest: +SKIP

        Args:
            path: A WAV (PCM16), FLAC or Ogg-Opus file, or ``"-"`` for raw audio on stdin.
            config: The stream's parameters (default ``StreamConfig()``: PRIMARYCARE, DICTATION,
                the format read from the file).
            realtime: Send at the audio's own pace (``False``: as fast as allowed).
            reconnect: As for :meth:`transcribe`.
            on_reconnect: As for :meth:`transcribe`.
            on_partial: As for :meth:`transcribe`: live partial results while the file streams.
            on_final: As for :meth:`transcribe`.

        Returns:
            The assembled transcript. A file is replayed whole after any reconnect; for raw audio
            on stdin, check ``transcript.incomplete`` (audio an outage outran, in ``gaps``).
        """
        path_or_stdin = Path(path) if path != "-" else "-"
        async with self.transcribe(
            path_or_stdin,
            config,
            realtime=realtime,
            reconnect=reconnect,
            on_reconnect=on_reconnect,
            on_partial=on_partial,
            on_final=on_final,
        ) as events:
            async for _ in events:
                pass
            return events.transcript

    async def _open(self, config: StreamConfig) -> AsyncStreamConnection:
        # The first attempt is made directly; the retry loop is built only after a retryable
        # failure, which counts as its first attempt (see retry_after_first).
        started = time.monotonic()
        try:
            return await self._open_once(config)
        except TranscribeMedicalError as error:
            policy = retry_after_first(self._facade.config.retry, error, started)
            if policy is None:
                raise
            failure = error
        attempt = then_raise_first(failure, lambda: self._open_once(config))
        return await call_with_retries_async(policy, _transport.OPERATION, attempt)

    async def _open_once(self, config: StreamConfig) -> AsyncStreamConnection:
        # One attempt, signed now with credentials resolved now (rotated keys are picked up).
        settings = self._facade.config
        return await open_connection(
            self.presigned_url(config),
            config,
            verify=settings.verify,
            proxies=settings.proxies,
            open_timeout=settings.connect_timeout,
            read_timeout=None,  # the stream watches the read deadline itself, once, not per message
            assemble=False,  # the stream's ResilientSession holds the one transcript
        )
