"""``TranscribeMedical(...).streaming``: :class:`StreamingClient`, real-time streaming on threads.

It takes the facade's credentials (botocore's chain), Region, streaming endpoint, TLS and retry
settings, and drives the one threaded engine (:mod:`.stream`). Opening a stream is retried under
the facade's retry policy (connection errors, throttling and 5xx), each attempt with a freshly
signed URL; a stream that fails once started is reconnected under its
:class:`~transcribe_medical.streaming.reconnect.ReconnectPolicy` (``reconnect=False`` turns that
off, and nothing else).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

from transcribe_medical._exceptions import TranscribeMedicalError
from transcribe_medical._retry import call_with_retries, retry_after_first, then_raise_first
from transcribe_medical.models.stream import StreamConfig
from transcribe_medical.models.transcript import Transcript
from transcribe_medical.streaming import _transport
from transcribe_medical.streaming.audio import rereader
from transcribe_medical.streaming.client import AudioInput, _StreamingBase
from transcribe_medical.streaming.reconnect import ReconnectEvent, ReconnectPolicy, ResilientSession
from transcribe_medical.streaming.sync.connection import StreamConnection, open_connection
from transcribe_medical.streaming.sync.stream import LiveSession, ResultCallback, Transcription

__all__ = ["StreamingClient"]


class StreamingClient(_StreamingBase):
    """Real-time streaming, synchronous: ``TranscribeMedical(...).streaming``.

    Example:
        >>> client = TranscribeMedical(region_name="us-east-1")             # doctest: +SKIP
        >>> transcript = client.streaming.transcribe_file("visit.wav")       # doctest: +SKIP
        >>> with client.streaming.transcribe("visit.wav", StreamConfig(specialty="CARDIOLOGY"),
        ...                                  on_final=print) as events:      # doctest: +SKIP
        ...     for event in events:
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
    ) -> LiveSession:
        """Open a live session; send audio yourself, then iterate the events.

        The session is kept alive while you pause (silence for PCM; a compressed stream is
        closed and transparently reopened when audio resumes), as ``transcribe()`` keeps a paused
        source alive: the service's 15 s idle timeout never ends it.

        Args:
            config: The stream's parameters, with ``media_encoding`` and ``sample_rate`` set.
            reconnect: As for :meth:`transcribe`: survive dropped connections and retryable
                service errors while you iterate (``True``, the default); ``False`` raises the
                first failure; a :class:`~transcribe_medical.streaming.reconnect.ReconnectPolicy`
                tunes it (its ``keepalive_interval`` applies either way).
            on_reconnect: Called (in the iterating thread) with each
                :class:`~transcribe_medical.streaming.reconnect.ReconnectEvent`.
            on_partial: Called (in the iterating thread) with each partial result.
            on_final: Called (in the iterating thread) with each final result.
            keep_transcript: Assemble ``.transcript`` from the finals (``True``); ``False`` holds
                no transcript, for a caller that only reads the events (``.transcript`` then
                raises, and errors carry none).

        Returns:
            The connected :class:`~transcribe_medical.streaming.sync.stream.LiveSession` (a context manager).

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
        resilient = ResilientSession(
            ready, retry=self._facade.config.retry, policy=policy, keep_transcript=keep_transcript
        )
        return LiveSession(
            connection,
            resilient,
            open_session=self._open_once,
            on_reconnect=on_reconnect,
            on_partial=on_partial,
            on_final=on_final,
        )

    def transcribe(
        self,
        audio: AudioInput,
        config: StreamConfig | None = None,
        *,
        realtime: bool = True,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], object] | None = None,
        reconnect: bool | ReconnectPolicy = True,
        on_reconnect: Callable[[ReconnectEvent], object] | None = None,
        on_partial: ResultCallback | None = None,
        on_final: ResultCallback | None = None,
        keep_transcript: bool = True,
    ) -> Transcription:
        """Stream ``audio`` and iterate the service's events as they come.

        Args:
            audio: A WAV/FLAC/Ogg-Opus path, ``"-"`` for raw audio on stdin, bytes, an iterable of
                byte chunks, or an AudioSource.
            config: The stream's parameters (default ``StreamConfig()``: PRIMARYCARE, DICTATION);
                encoding, rate and channels are taken from a file's header.
            realtime: Send at the audio's own pace, as AWS advises; ``False`` sends as fast as the
                connection accepts.
            clock: Monotonic clock for pacing (tests and simulations).
            sleep: How to wait between chunks (tests and simulations).
            reconnect: Survive dropped connections and retryable service errors, and roll over
                before the 4 h cap (``True``, the default); ``False`` raises the first failure; a
                :class:`~transcribe_medical.streaming.reconnect.ReconnectPolicy` tunes it. A
                paused source is kept alive either way.
            on_reconnect: Called (in the iterating thread) with a
                :class:`~transcribe_medical.streaming.reconnect.ReconnectEvent` after each reconnect.
            on_partial: Called (in the iterating thread) with each partial result, in stream time,
                before its event is yielded.
            on_final: Called (in the iterating thread) with each final result (each once, in
                stream time), before its event is yielded.
            keep_transcript: Assemble ``.transcript`` from the finals (``True``); ``False`` holds
                no transcript, for a caller that only reads the events or the callbacks
                (``.transcript`` then raises, and errors carry none).

        After a reconnect, a file (any source that can be read again) is replayed from the last
        final result however far back, so nothing is lost. A live source (an iterable, stdin, a
        microphone) is replayed from a buffer of ``replay_seconds``; audio an outage outran is
        lost, and ``.gaps`` names each lost span (``.transcript.incomplete`` is then true): check
        it before trusting the transcript as complete.

        Returns:
            A :class:`~transcribe_medical.streaming.sync.stream.Transcription`: an iterator of
            :class:`~transcribe_medical.TranscriptEvent` (also a context manager) with
            ``.transcript``, ``.reconnects``, ``.gaps`` and ``.session_id``, whatever ``reconnect`` is.

        Raises:
            AudioFormatError: The audio is unsupported or does not fit the config (e.g. two
                channels without channel identification).
            ValidationError, CredentialsError, ServiceError, ConnectionError, TimeoutError: As for
                :meth:`connect`, and while iterating.
        """
        source, ready, pacer = self._prepare(audio, config if config is not None else StreamConfig(), realtime)
        policy = ReconnectPolicy.from_option(reconnect)
        connection = self._open(ready)
        resilient = ResilientSession(
            ready,
            retry=self._facade.config.retry,
            policy=policy,
            reread=rereader(source),
            keep_transcript=keep_transcript,
        )
        return Transcription(
            connection,
            resilient,
            source,
            pacer,
            open_session=self._open_once,
            clock=clock,
            sleep=sleep,
            on_reconnect=on_reconnect,
            on_partial=on_partial,
            on_final=on_final,
        )

    def transcribe_file(
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
            >>> transcript = client.streaming.transcribe_file("dictation.wav")   # doctest: +SKIP

        Args:
            path: A WAV (PCM16), FLAC or Ogg-Opus file, or ``"-"`` for raw audio on stdin.
            config: The stream's parameters (default ``StreamConfig()``: PRIMARYCARE, DICTATION;
                the encoding, rate and channels are read from the file).
            realtime: Send at the audio's own pace (``False``: as fast as allowed).
            reconnect: As for :meth:`transcribe`.
            on_reconnect: As for :meth:`transcribe`.
            on_partial: As for :meth:`transcribe`: live results while the file streams.
            on_final: As for :meth:`transcribe`.

        Returns:
            The assembled :class:`~transcribe_medical.Transcript`. A file is replayed whole after
            any reconnect; raw audio piped to stdin is live, and audio an outage outran its replay
            buffer is named in ``transcript.gaps`` (``transcript.incomplete`` is true).
        """
        path_or_stdin = Path(path) if path != "-" else "-"
        with self.transcribe(
            path_or_stdin,
            config,
            realtime=realtime,
            reconnect=reconnect,
            on_reconnect=on_reconnect,
            on_partial=on_partial,
            on_final=on_final,
        ) as events:
            for _ in events:
                pass
            return events.transcript

    def _open(self, config: StreamConfig) -> StreamConnection:
        """The first connection of a stream, under the facade's retry policy."""
        # The first attempt is made directly; the retry loop is built only after a retryable
        # failure, which counts as its first attempt (see retry_after_first).
        started = time.monotonic()
        try:
            return self._open_once(config)
        except TranscribeMedicalError as error:
            policy = retry_after_first(self._facade.config.retry, error, started)
            if policy is None:
                raise
            failure = error
        attempt = then_raise_first(failure, lambda: self._open_once(config))
        return call_with_retries(policy, _transport.OPERATION, attempt)

    def _open_once(self, config: StreamConfig) -> StreamConnection:
        # One attempt, signed now with credentials resolved now (rotated keys are picked up).
        settings = self._facade.config
        return open_connection(
            self.presigned_url(config),
            config,
            verify=settings.verify,
            proxies=settings.proxies,
            open_timeout=settings.connect_timeout,
            read_timeout=settings.read_timeout,
            assemble=False,  # the stream's ResilientSession holds its one transcript
        )
