"""A live session you feed yourself, synchronous: :class:`LiveSession`, from ``client.streaming.connect()``.

It is the reconnecting driver of :mod:`.resilient_sync` with the caller as its audio source:
:meth:`LiveSession.send_audio` sends from the caller's thread (so a refused stream is reported
there, at once), and a keep-alive thread stands in for the caller when it pauses, as
``transcribe()``'s sender does for a paused source. PCM is kept alive with silence (as much as the
pause lasted, so the stream's times keep pace with the wall clock); a compressed stream, which
cannot be fed synthetic silence, is closed during the pause and reopened transparently when audio
resumes, replayed from its first byte, its finals deduplicated. So a live session outlives the
service's 15 s idle timeout, whatever the caller does between two sends.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import TYPE_CHECKING, Final

from transcribe_medical._exceptions import TranscribeMedicalError
from transcribe_medical.models.events import TranscriptEvent
from transcribe_medical.streaming.audio import Pacer
from transcribe_medical.streaming.protocol import StreamSession, StreamState
from transcribe_medical.streaming.resilient import ReconnectEvent, ResilientSession, is_reconnectable
from transcribe_medical.streaming.resilient_sync import ResilientTranscription

if TYPE_CHECKING:
    from transcribe_medical.models.stream import StreamConfig
    from transcribe_medical.streaming.audio import AudioFormat
    from transcribe_medical.streaming.sync_client import StreamConnection

__all__ = ["LiveSession"]

_NO_PACING: Final = Pacer(None, realtime=False)


class _CallerFeeds:
    """The audio source of a live session: the caller, through ``send_audio`` (never read)."""

    format: AudioFormat | None = None

    def chunks(self) -> Iterator[bytes]:
        raise NotImplementedError("a live session is fed with send_audio()")

    def achunks(self) -> AsyncIterator[bytes]:
        raise NotImplementedError("a live session is fed with send_audio()")


def is_fatal(error: TranscribeMedicalError, resilient: ResilientSession) -> bool:
    """Whether a failed send ends the stream for good (no reconnect would be tried)."""
    return not (resilient.policy.enabled and resilient.retry.max_attempts > 1 and is_reconnectable(error))


class LiveSession(ResilientTranscription):
    """A live streaming session: send audio, end it, iterate the events; kept alive across pauses.

    Returned by :meth:`StreamingClient.connect
    <transcribe_medical.streaming.client.StreamingClient.connect>`. Sending and iterating may
    happen in two threads at once. With reconnection on (the default), a dropped connection is
    reopened and the audio not yet final replayed while you iterate, as in ``transcribe()``.

    Example:
        >>> with client.streaming.connect(config) as stream:          # doctest: +SKIP
        ...     for chunk in chunks:
        ...         stream.send_audio(chunk)
        ...     stream.end()
        ...     for event in stream:
        ...         print(len(event.results))
        ...     transcript = stream.transcript
    """

    def __init__(
        self,
        connection: StreamConnection,
        resilient: ResilientSession,
        *,
        open_session: Callable[[StreamConfig], StreamConnection],
        clock: Callable[[], float] | None = None,
        on_reconnect: Callable[[ReconnectEvent], object] | None = None,
    ) -> None:
        """Start keeping ``connection`` alive (already open, for the session's first id).

        Args:
            connection: The first session's connection.
            resilient: The stream's sans-I/O state.
            open_session: Opens one connection for a config, presigning it afresh (one attempt).
            clock: Monotonic clock (keep-alive, rollover).
            on_reconnect: Called with each :class:`~.resilient.ReconnectEvent`.
        """
        self._ended = False
        self._done = False
        self._failed = False
        self._fatal: TranscribeMedicalError | None = None
        self._last_audio = 0.0
        # Held by whoever feeds the stream (the caller, or the keep-alive for it), outermost, so
        # that keep-alive silence never lands between two chunks of a caller that just resumed.
        self._feed_lock = threading.Lock()
        super().__init__(
            connection,
            resilient,
            _CallerFeeds(),
            _NO_PACING,
            open_session=open_session,
            clock=clock,
            on_reconnect=on_reconnect,
        )

    def __repr__(self) -> str:
        reconnects = len(self.reconnects)
        return f"LiveSession(session_id={self.session_id!r}, state={self.state.value}, reconnects={reconnects})"

    def _start_workers(self) -> tuple[threading.Thread, threading.Thread]:
        self._last_audio = self._clock()
        keeper = threading.Thread(target=self._keep_alive_loop, name="transcribe-medical-keepalive", daemon=True)
        keeper.start()
        return keeper, keeper

    @property
    def session(self) -> StreamSession:
        """The current connection's sans-I/O session (a new one after each reconnect)."""
        return self._connection.session

    @property
    def state(self) -> StreamState:
        """Where the stream is: streaming, ending (after :meth:`end`), done or failed."""
        if self._failed or self._fatal is not None:
            return StreamState.FAILED
        if self._done:
            return StreamState.DONE
        return StreamState.ENDING if self._ended else StreamState.STREAMING

    def send_audio(self, data: bytes | bytearray | memoryview) -> None:
        """Send audio (any length; cut into AudioEvents of at most 32 KiB).

        Blocks while the socket cannot take more (back-pressure), or while a dropped connection
        is being reopened.

        Raises:
            ServiceError: The service refused the stream (found while sending).
            ConnectionError: The connection closed and reconnection is off.
            TranscribeMedicalError: The stream was already ended.
        """
        self._check_can_send("send_audio()")
        chunk = bytes(data)
        if not chunk:
            return  # an empty AudioEvent would end the stream
        with self._feed_lock:
            error = self._send_chunk(chunk)
            self._last_audio = self._clock()
        if error is not None and is_fatal(error, self._resilient):
            self._fatal = error
            error.transcript = self.transcript
            raise error
        self._roll_over_if_due()

    def end(self) -> None:
        """Send the empty AudioEvent: no more audio. Then iterate to receive the last results.

        Raises:
            TranscribeMedicalError: The stream was already ended, or had failed (its error).
        """
        self._check_can_send("end()")
        with self._feed_lock:
            self._ended = True
            self._end_audio()

    def finish_audio(self) -> None:
        """The same as :meth:`end`, but safe to call more than once."""
        with self._feed_lock:
            if not self._ended:
                self._ended = True
                self._end_audio()

    def _check_can_send(self, what: str) -> None:
        if self._fatal is not None:
            raise self._fatal
        if self._ended or self._done or self._failed:
            raise TranscribeMedicalError(f"{what} called on a stream that is {self.state.value}")

    def events(self) -> Iterator[TranscriptEvent]:
        """Yield the service's TranscriptEvents until it closes the stream (after :meth:`end`).

        Raises:
            ServiceError: The service sent an exception frame (the matching subclass).
            CredentialsError: The service refused the credentials mid-stream.
            ConnectionError: The connection was lost (and could not be reopened).
            ProtocolError: The service sent malformed data.
            TimeoutError: Nothing arrived within the read timeout.
        """
        return self

    def __next__(self) -> TranscriptEvent:
        try:
            return super().__next__()
        except StopIteration:
            self._done = True
            raise
        except BaseException:
            self._failed = True
            raise

    def _keep_alive_loop(self) -> None:
        # Not tied to reconnection: a live session is kept alive even with reconnect=False.
        interval = self._resilient.policy.keepalive_interval
        if interval is None:
            return
        while True:
            with self._state:
                if self._stopping or self._audio_done:
                    return
                idle = self._clock() - self._last_audio
                if idle < interval:
                    self._state.wait(interval - idle)  # woken early by end() and close()
                    continue
            with self._feed_lock:
                idle = self._clock() - self._last_audio
                if self._stopping or self._audio_done or idle < interval:
                    continue  # the caller sent or ended meanwhile
                self._keep_alive(idle)  # a failed send is judged by the receiving side
                self._last_audio = self._clock()
