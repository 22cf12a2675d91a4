"""The one threaded streaming engine: :class:`Transcription` (``transcribe()``), :class:`LiveSession` (``connect()``).

Both are the same engine over :class:`~.connection.StreamConnection`\\ s and the sans-I/O
:class:`~transcribe_medical.streaming.reconnect.ResilientSession`, which decides what to replay,
how to shift times and which finals are new. Reconnecting is its policy: with it off
(``reconnect=False``) the first failure is raised, and everything else — keep-alive, the 4 h
rollover, the events' types — stays the same. The roles, with no asyncio loop:

* the *feeder* sends audio: a sender thread reading the source (``transcribe()``), or the
  caller's own ``send_audio()`` (``connect()``). Per chunk it paces (sleeping only when ahead of
  real time), records the chunk for replay and writes it, without a lock: it marks itself busy,
  and whoever else must write or touch the replay buffer (a reconnect's replay, keep-alive
  silence, the end of the audio, a final result trimming the buffer) takes the engine's lock,
  says so, and waits for the chunk in hand to be written (see :meth:`_Stream._exclusive`); then
  it moves the keep-alive deadline;
* a *keep-alive* thread wakes at that deadline only: when no audio came for
  ``keepalive_interval`` it sends silence (PCM) or closes the stream until audio resumes
  (compressed), and it ends the stream when ``finish_audio()`` is called while the source is
  stuck in a read;
* the caller's thread iterates the events, and when a session fails it reconnects with a fresh
  presign and replays the audio no final result covers yet. ``on_reconnect``, ``on_partial``
  and ``on_final`` are called from this thread.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import TYPE_CHECKING, Final, Self

from transcribe_medical import _limits
from transcribe_medical._exceptions import ConnectionError, TranscribeMedicalError
from transcribe_medical._logging import get_logger
from transcribe_medical.models.events import Result, TranscriptEvent
from transcribe_medical.models.transcript import Gap, Transcript
from transcribe_medical.streaming.protocol import StreamSession, StreamState
from transcribe_medical.streaming.reconnect import (
    KEEPALIVE_TOP_UP_MIN_S,
    FailureDecision,
    ReconnectEvent,
    ResilientSession,
    failure_reason,
    is_reconnectable,
)

if TYPE_CHECKING:
    from transcribe_medical.models.stream import StreamConfig
    from transcribe_medical.streaming.audio import AudioSource, Pacer
    from transcribe_medical.streaming.sync.connection import StreamConnection

__all__ = ["LiveSession", "ResultCallback", "Transcription", "is_fatal"]

_log = get_logger("streaming.sync")
#: Reconnects are logged where the asyncio driver logs them too.
_reconnect_log = get_logger("streaming.reconnect")

#: Called with each result (partial or final) before its event is yielded.
ResultCallback = Callable[[Result], object]

_SENDER_NAME: Final = "transcribe-medical-sender"
_KEEPER_NAME: Final = "transcribe-medical-keepalive"
#: How long ``close()`` waits for a sender stuck in a read of the source (it cannot be interrupted).
_SENDER_JOIN_S: Final = 1.0
#: The longest single sleep of real-time pacing: how soon a pacing sender notices close(). Above
#: the usual pause of a batched sender (STREAM_BATCH_S plus one chunk), which is one sleep.
_PACE_SLICE_S: Final = 0.5


def is_fatal(error: TranscribeMedicalError, resilient: ResilientSession) -> bool:
    """Whether a failed send ends the stream for good (no reconnect would be tried)."""
    return not (resilient.policy.enabled and resilient.retry.max_attempts > 1 and is_reconnectable(error))


def _keep_transcript(error: BaseException, transcript: Transcript | None) -> None:
    if isinstance(error, TranscribeMedicalError) and transcript is not None:
        error.transcript = transcript


class _Stream:
    """The engine both public classes are: connections, replay, keep-alive, reconnects, events."""

    def __init__(
        self,
        connection: StreamConnection,
        resilient: ResilientSession,
        *,
        open_session: Callable[[StreamConfig], StreamConnection],
        clock: Callable[[], float] | None,
        sleep: Callable[[float], object] | None,
        on_reconnect: Callable[[ReconnectEvent], object] | None,
        on_partial: ResultCallback | None,
        on_final: ResultCallback | None,
    ) -> None:
        self._resilient = resilient
        self._open_session = open_session
        self._clock = clock or time.monotonic
        # Set to stop: wakes the keep-alive thread and a reconnect's backoff at once.
        self._wake = threading.Event()
        self._sleep = sleep or self._wake.wait
        self._given_sleep = sleep
        self._on_reconnect = on_reconnect
        self._on_partial = on_partial
        self._on_final = on_final
        self.reconnects: list[ReconnectEvent] = []
        # The engine's one lock: the sans-I/O state, the flags below, and the order of what is
        # written (replay before new audio, silence between two chunks). Not held while waiting
        # for the socket to take more (but for a reconnect's replay to its fresh session), nor
        # while opening a connection, so the events are never held up by a slow peer.
        self._lock = threading.Condition(threading.Lock())
        # The feeder's hot path takes no lock. It sets _busy, then reads _others; anyone else who
        # writes, or touches the replay buffer, raises _others under the lock, then waits while
        # _busy. Under the GIL each store and load is atomic and in program order, so either the
        # feeder sees _others (and takes the locked path) or the other sees _busy (and waits).
        self._busy = False
        self._others = 0
        self._connection = connection
        self._sendable = True  # the current connection takes audio (not ended, not closed by us)
        self._suspended = False  # compressed audio paused: the connection was closed on purpose
        self._rolling_over = False
        self._audio_done = False  # the end of the audio was sent (or is owed to the next session)
        self._finish_requested = False
        self._stopping = False
        self._source_error: BaseException | None = None
        self._suspended_mark = 0  # audio accepted when the compressed stream was closed for a pause
        self._interval = resilient.policy.keepalive_interval
        # The keep-alive deadline: moved forward by every send, read by the keep-alive thread.
        self._idle_deadline = self._clock() + (self._interval or math.inf)
        # When keep-alive silence last went out in the current pause (None: not paused): the rest
        # of the pause is sent as silence before the audio that ends it.
        self._silent_since: float | None = None
        replay = resilient.begin_session(connection.session_id, self._clock())
        assert not replay.size  # nothing was accepted before the first session
        self._events = self._receive()
        self._keeper = threading.Thread(target=self._keep_alive_loop, name=_KEEPER_NAME, daemon=True)
        self._keeper.start()

    @property
    def _pace_sleep(self) -> Callable[[float], object]:
        # Pacing sleeps once per chunk: time.sleep costs half an Event wait, and waking for
        # close() within a slice is soon enough (see _pace). Looked up, not stored: a bound
        # method of the stream kept on the stream is a reference cycle, which would leave the
        # stream, its connection and its threads' objects to the garbage collector.
        return self._given_sleep or self._pace

    # -- what callers read ---------------------------------------------------------------------

    @property
    def session_id(self) -> str:
        """The id of the current session (a new one after each reconnect)."""
        return self._resilient.session_id

    @property
    def session_ids(self) -> list[str]:
        """Every session id used, first first."""
        with self._lock:
            return list(self._resilient.session_ids)

    @property
    def transcript(self) -> Transcript:
        """The transcript of the final results received so far, across reconnects.

        Raises:
            TranscribeMedicalError: The stream was opened with ``keep_transcript=False``.
        """
        with self._lock:
            return self._resilient.transcript

    @property
    def gaps(self) -> list[Gap]:
        """The spans of audio lost in outages so far (a live source's replay buffer outrun).

        Empty unless an outage outran ``replay_seconds``; also in ``transcript.gaps``.
        """
        with self._lock:
            return self._resilient.gaps

    # -- the iteration -------------------------------------------------------------------------

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __iter__(self) -> Self:
        return self

    def __next__(self) -> TranscriptEvent:
        try:
            return next(self._events)
        except StopIteration:
            self._join_feeder()
            if self._source_error is not None:
                _keep_transcript(self._source_error, self._transcript_or_none())
                raise self._source_error from None
            raise
        except BaseException as error:
            self._stop()
            transcript = self._transcript_or_none()
            _keep_transcript(error, transcript)
            if self._source_error is not None and self._source_error is not error:
                # The audio failed (unreadable file, lost microphone): that is the cause, not the
                # connection closed because of it.
                _keep_transcript(self._source_error, transcript)
                raise self._source_error from error
            raise

    def _transcript_or_none(self) -> Transcript | None:
        with self._lock:
            return self._resilient.transcript_or_none()

    def close(self) -> None:
        """Stop sending, close the connection and wait for the threads. Safe to call more than once."""
        self._stop()

    def _stop(self) -> None:
        self._stopping = True
        self._wake.set()
        with self._lock:
            self._lock.notify_all()
            connection = self._connection
        connection.close()
        self._join_feeder()
        if self._keeper is not threading.current_thread():
            self._keeper.join()

    def _join_feeder(self) -> None:
        """Wait for the thread that feeds the stream, if there is one."""

    def _pace(self, seconds: float) -> None:
        """Sleep ``seconds`` (the sender is ahead of real time), in slices that notice close()."""
        if seconds <= _PACE_SLICE_S:
            time.sleep(seconds)  # the usual pause before a chunk: one sleep, nothing around it
            return
        deadline = time.monotonic() + seconds  # real time, whatever clock paces the audio
        while not (self._stopping or self._finish_requested):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            time.sleep(min(remaining, _PACE_SLICE_S))

    # -- sending (the feeder's thread) ---------------------------------------------------------

    @contextmanager
    def _exclusive(self) -> Iterator[None]:
        """Hold the lock, with the feeder out of its lock-free path (its chunk in hand written)."""
        with self._lock:
            self._others += 1
            try:
                while self._busy:
                    self._lock.wait()
                yield
            finally:
                self._others -= 1

    def _send_chunk(self, chunk: bytes, now: float) -> TranscribeMedicalError | None:
        """Record and send one chunk of audio; return the error if the send failed.

        The hot path: a look at the socket's room (a wait only when short of it, outside any
        lock), then, with nobody else writing, the record and the write without a lock. A failed
        send is judged by the receiving side, which reconnects; the chunk is recorded for replay
        either way.
        """
        if self._sendable:
            self._connection.wait_writable(len(chunk))
        self._busy = True
        if (
            self._others
            or not self._sendable
            or self._suspended
            or self._audio_done
            or self._stopping
            or self._silent_since is not None
        ):
            self._done_busy()
            return self._send_chunk_locked(chunk, now)
        resilient = self._resilient
        error: TranscribeMedicalError | None = None
        try:
            resilient.accept_audio(chunk)
            try:  # _write, inline: this runs once per chunk
                self._connection.write_audio(chunk)
            except TranscribeMedicalError as failed:
                _log.debug("a send failed: %s", type(failed).__name__)
                error = failed
            rollover = resilient.needs_rollover(now)
        finally:
            self._done_busy()
        if rollover:
            with self._exclusive():
                if self._sendable and self._resilient.needs_rollover(now):
                    self._roll_over()
        if self._interval is not None:
            self._idle_deadline = now + self._interval
        return error

    def _done_busy(self) -> None:
        self._busy = False
        if self._others:  # someone waits for this chunk to be written
            with self._lock:
                self._lock.notify_all()

    def _send_chunk_locked(self, chunk: bytes, now: float) -> TranscribeMedicalError | None:
        """:meth:`_send_chunk` when something else is going on (a reconnect, a pause, the end)."""
        with self._exclusive():
            if self._audio_done or self._stopping:
                return None  # ended meanwhile (finish_audio() while the source was read)
            silent_since, self._silent_since = self._silent_since, None
            if silent_since is not None and (rest := self._clock() - silent_since) >= KEEPALIVE_TOP_UP_MIN_S:
                # The keep-alive covered the pause up to its last wake-up; the rest of it goes out
                # before the audio, so the stream's timeline keeps pace with the caller's.
                silence = self._resilient.silence(rest)
                self._resilient.accept_audio(silence, synthetic=True)
                if self._sendable and not self._suspended:
                    self._write(silence)
            self._resilient.accept_audio(chunk)
            if self._suspended:
                self._lock.notify_all()  # audio resumed: the receiver reopens the stream
                return None
            error = self._write(chunk) if self._sendable else None
            if self._sendable and self._resilient.needs_rollover(now):
                self._roll_over()
        if self._interval is not None:
            self._idle_deadline = now + self._interval
        return error

    def _write(self, chunk: bytes) -> TranscribeMedicalError | None:
        try:
            self._connection.write_audio(chunk)
        except TranscribeMedicalError as error:
            # The receiving side reconnects; the chunk is in the replay buffer.
            _log.debug("a send failed: %s", type(error).__name__)
            return error
        return None

    def _roll_over(self) -> None:
        """End the session before the service's stream length cap (the lock is held)."""
        self._sendable = False
        self._rolling_over = True
        self._resilient.session_ended()
        _log.info("session %s nears the stream length limit: rolling over", self._connection.session_id)
        try:
            self._connection.end()
        except TranscribeMedicalError as error:
            _log.debug("ending the session for a rollover failed: %s", type(error).__name__)

    def _end_audio(self) -> None:
        """Send the end of the audio, once (a later session is sent it after its replay)."""
        if self._sendable:
            self._connection.wait_writable()  # not under the lock: events keep arriving meanwhile
        with self._exclusive():
            if self._audio_done:
                return
            self._audio_done = True
            self._lock.notify_all()
            if self._sendable and self._connection.state is StreamState.STREAMING:
                try:
                    self._connection.end()
                except TranscribeMedicalError as error:
                    _log.debug("ending the stream failed: %s", type(error).__name__)
        self._wake.set()

    def _source_failed(self, error: BaseException) -> None:
        if not self._stopping:
            self._source_error = error
            _log.debug("the audio source failed: %s", type(error).__name__)
            with self._lock:
                self._lock.notify_all()
                connection = self._connection
            connection.close()

    # -- keep-alive (its own thread) -----------------------------------------------------------

    def _keep_alive_loop(self) -> None:
        interval = self._interval
        while not (self._stopping or self._audio_done):
            if self._finish_requested:
                self._end_audio()  # the feeder may be stuck in a read of its source
                return
            if interval is None:
                self._wake.wait()  # nothing to keep alive: wait for finish_audio() or close()
                continue
            remaining = self._idle_deadline - self._clock()
            if remaining > 0:
                # At most one interval: a deadline that was put off (a paused compressed stream)
                # is looked at again without anyone having to wake this thread.
                self._wake.wait(min(remaining, interval))
                continue
            try:
                self._keep_alive(interval)
            except BaseException as error:  # a failed send is judged by the receiving side
                _log.debug("keep-alive failed: %s", type(error).__name__)
                self._idle_deadline = self._clock() + interval  # tried: not again at once

    def _keep_alive(self, interval: float) -> None:
        # A sender waiting for room is not idle: wait as it does, outside the lock, then look
        # again (a send meanwhile moved the deadline past this moment).
        self._connection.wait_writable()
        now = self._clock()
        idle = now - (self._idle_deadline - interval)
        if self._resilient.compressed:
            with self._exclusive():
                if self._stopping or self._audio_done or not self._sendable or self._suspended:
                    self._idle_deadline = now + interval
                    return
                if now < self._idle_deadline:
                    return  # the feeder sent meanwhile
                self._suspended = True
                self._sendable = False
                self._suspended_mark = self._resilient.accepted_bytes
                connection = self._connection
            self._idle_deadline = math.inf  # until audio resumes on a new session
            _log.info("no audio for %.1f s: closing the compressed stream until audio resumes", idle)
            connection.close()
            return
        silence = self._resilient.silence(idle)
        with self._exclusive():
            if self._stopping or self._audio_done or now < self._idle_deadline:
                return
            _log.debug("no audio for %.1f s: sending silence to keep the stream open", idle)
            self._resilient.accept_audio(silence, synthetic=True)
            if self._sendable and not self._suspended:
                self._write(silence)
            # The silence stands for the pause up to `now`: the time its write took is still owed
            # (by the next silence, or before the audio that ends the pause).
            self._silent_since = now
            self._idle_deadline = now + interval

    # -- the caller's thread: events and reconnects --------------------------------------------

    def _receive(self) -> Iterator[TranscriptEvent]:
        while True:
            connection = self._connection
            try:
                for event in connection.events():
                    if any(not result.is_partial for result in event.results):
                        # A final trims the replay buffer, which the feeder appends to.
                        with self._exclusive():
                            shifted = self._resilient.receive(event)
                    else:
                        # Partials touch only what this thread owns (the results in flight).
                        shifted = self._resilient.receive(event)
                    if shifted is not None:
                        self._call_back(shifted)
                        yield shifted
                if not self._rolling_over:
                    return  # the service closed after the end of the audio
                decision, reason = FailureDecision(True), "session limit"
            except TranscribeMedicalError as error:
                if self._stopping or self._source_error is not None:
                    raise
                if self._suspended:
                    self._wait_for_audio()
                    if self._stopping:
                        raise
                    decision, reason = FailureDecision(True), "idle"
                else:
                    with self._lock:
                        decision = self._resilient.on_failure(error, self._clock())
                    if not decision.reconnect:
                        assert decision.error is not None
                        if decision.error is error:
                            raise
                        raise decision.error from error
                    reason = failure_reason(error)
            self._reconnect(decision, reason)

    def _call_back(self, event: TranscriptEvent) -> None:
        if self._on_partial is None and self._on_final is None:
            return
        for result in event.results:
            callback = self._on_partial if result.is_partial else self._on_final
            if callback is not None:
                callback(result)

    def _wait_for_audio(self) -> None:
        with self._lock:
            self._lock.wait_for(
                lambda: (
                    self._stopping
                    or self._audio_done
                    or self._source_error is not None
                    or self._resilient.accepted_bytes > self._suspended_mark
                )
            )

    def _reconnect(self, decision: FailureDecision, reason: str) -> None:
        while True:
            if decision.delay > 0:
                self._sleep(decision.delay)
            if self._stopping:
                raise ConnectionError("the stream was closed while reconnecting", transcript=self._transcript_or_none())
            previous = self._resilient.session_id
            with self._lock:
                session_id = self._resilient.next_session_id()
                config = self._resilient.config_for(session_id)
            connection: StreamConnection | None = None
            try:
                connection = self._open_session(config)
                with self._exclusive():
                    # Under the lock: the replay reaches the new session before any new audio.
                    replay = self._resilient.begin_session(session_id, self._clock())
                    for piece in replay.chunks():
                        connection.write_audio(piece)
                    self._connection = connection
                    self._sendable = True
                    self._suspended = False
                    self._rolling_over = False
                    if self._audio_done and connection.state is StreamState.STREAMING:
                        connection.end()
                if self._interval is not None:
                    self._idle_deadline = self._clock() + self._interval
            except TranscribeMedicalError as error:
                if connection is not None:
                    connection.close()
                with self._lock:
                    self._resilient.reconnect_failed()
                    decision = self._resilient.on_failure(error, self._clock())
                if not decision.reconnect:
                    assert decision.error is not None
                    if decision.error is error:
                        raise
                    raise decision.error from error
                reason = failure_reason(error)
                continue
            event = self._resilient.make_event(decision, reason, previous, replay)
            self.reconnects.append(event)
            _reconnect_log.info("stream %s → %s: %s", previous, session_id, event.describe())
            if self._on_reconnect is not None:
                self._on_reconnect(event)
            return


class Transcription(_Stream):
    """An audio source streamed for you, iterated for its events: what ``transcribe()`` returns.

    Returned by :meth:`StreamingClient.transcribe
    <transcribe_medical.streaming.sync.client.StreamingClient.transcribe>`, with reconnection on
    or off (``reconnect=False``): the same type either way. Iterate it for
    :class:`~transcribe_medical.TranscriptEvent`\\ s, with times in stream time across
    reconnects and each final once. A sender thread paces the audio in real time (unless told
    not to) and ends the stream; the iteration stops after the service's last results.

    A file is re-read after a reconnect from the last final result, however far back; a live
    source is replayed from its buffer, and the audio an outage outran is named in
    :attr:`gaps` (and ``.transcript.gaps``; ``.transcript.incomplete`` is then true).

    Attributes:
        reconnects: Every :class:`~transcribe_medical.streaming.reconnect.ReconnectEvent`, in order.

    Example:
        >>> with client.streaming.transcribe("visit.wav", config) as events:   # doctest: +SKIP
        ...     for event in events:
        ...         ...
        ...     transcript, reconnects = events.transcript, events.reconnects
    """

    def __init__(
        self,
        connection: StreamConnection,
        resilient: ResilientSession,
        source: AudioSource,
        pacer: Pacer,
        *,
        open_session: Callable[[StreamConfig], StreamConnection],
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], object] | None = None,
        on_reconnect: Callable[[ReconnectEvent], object] | None = None,
        on_partial: ResultCallback | None = None,
        on_final: ResultCallback | None = None,
    ) -> None:
        """Start sending ``source`` over ``connection`` (already open, for the session's first id).

        Args:
            connection: The first session's connection.
            resilient: The stream's sans-I/O state (its policy says whether to reconnect).
            source: The audio.
            pacer: Real-time pacing of the source.
            open_session: Opens one connection for a config, presigning it afresh (one attempt).
            clock: Monotonic clock (pacing, keep-alive, rollover).
            sleep: How to wait between chunks and before reconnecting.
            on_reconnect: Called with each :class:`~transcribe_medical.streaming.reconnect.ReconnectEvent`.
            on_partial: Called with each partial result, before its event is yielded.
            on_final: Called with each final result, before its event is yielded.
        """
        self._source = source
        self._pacer = pacer
        super().__init__(
            connection,
            resilient,
            open_session=open_session,
            clock=clock,
            sleep=sleep,
            on_reconnect=on_reconnect,
            on_partial=on_partial,
            on_final=on_final,
        )
        self._sender = threading.Thread(target=self._send_all, name=_SENDER_NAME, daemon=True)
        self._sender.start()

    def __repr__(self) -> str:
        return f"Transcription(session_id={self.session_id!r}, reconnects={len(self.reconnects)})"

    def finish_audio(self) -> None:
        """Stop reading the source, end the stream, and keep receiving the last results.

        Safe from any thread, and from a signal handler (it only sets a flag and wakes a thread).
        """
        self._finish_requested = True
        self._wake.set()

    def _join_feeder(self) -> None:
        if self._sender is not threading.current_thread():
            # A sender stuck in a read of its source cannot be interrupted: after close() or
            # finish_audio() it is given a moment, then left to end with the read (a daemon).
            stuck = self._stopping or self._finish_requested
            self._sender.join(_SENDER_JOIN_S if stuck else None)

    def _send_all(self) -> None:
        try:
            chunks = iter(self._source.chunks())
        except BaseException as error:
            self._source_failed(error)
            return
        clock, pace_sleep = self._clock, self._pace_sleep
        delay_for = self._pacer.delay_for if self._pacer.enabled else None
        try:
            while not (self._stopping or self._finish_requested):
                try:
                    chunk = next(chunks)
                except StopIteration:
                    break
                except BaseException as error:
                    self._source_failed(error)
                    return
                now = clock()
                if delay_for is not None and (delay := delay_for(len(chunk), now)) > 0:
                    pace_sleep(delay)  # ahead of the real-time schedule: only then wait
                    if self._stopping or self._finish_requested:
                        break
                    now = clock()
                failed = self._send_chunk(chunk, now)
                if failed is not None and is_fatal(failed, self._resilient):
                    return  # no reconnect will follow: the receiving side raises why
            if not self._stopping:
                self._end_audio()
        except BaseException as error:
            _log.debug("the sender stopped: %s", type(error).__name__)
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                try:
                    close()
                except Exception as error:  # a source that fails to close has nothing more to say
                    _log.debug("closing the audio source: %s", type(error).__name__)


class LiveSession(_Stream):
    """A live streaming session: send audio, end it, iterate the events; kept alive across pauses.

    Returned by :meth:`StreamingClient.connect
    <transcribe_medical.streaming.sync.client.StreamingClient.connect>`. Sending and iterating
    may happen in two threads at once. While you pause, PCM is kept alive with silence (as much
    as the pause lasted, so the stream's times keep pace with the wall clock); a compressed
    stream, which cannot be fed synthetic silence, is closed during the pause and reopened
    transparently when audio resumes, replayed from its first byte, its finals deduplicated. With
    reconnection on (the default), a dropped connection is reopened and the audio not yet final
    replayed while you iterate, as in ``transcribe()``.

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
        on_partial: ResultCallback | None = None,
        on_final: ResultCallback | None = None,
    ) -> None:
        """Start keeping ``connection`` alive (already open, for the session's first id).

        Args:
            connection: The first session's connection.
            resilient: The stream's sans-I/O state (its policy says whether to reconnect).
            open_session: Opens one connection for a config, presigning it afresh (one attempt).
            clock: Monotonic clock (keep-alive, rollover).
            on_reconnect: Called with each :class:`~transcribe_medical.streaming.reconnect.ReconnectEvent`.
            on_partial: Called with each partial result, before its event is yielded.
            on_final: Called with each final result, before its event is yielded.
        """
        self._ended = False
        self._done = False
        self._failed = False
        self._fatal: TranscribeMedicalError | None = None
        super().__init__(
            connection,
            resilient,
            open_session=open_session,
            clock=clock,
            sleep=None,
            on_reconnect=on_reconnect,
            on_partial=on_partial,
            on_final=on_final,
        )

    def __repr__(self) -> str:
        reconnects = len(self.reconnects)
        return f"LiveSession(session_id={self.session_id!r}, state={self.state.value}, reconnects={reconnects})"

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
        is being reopened; events keep arriving meanwhile.

        Raises:
            ServiceError: The service refused the stream (found while sending).
            ConnectionError: The connection closed and reconnection is off.
            TranscribeMedicalError: The stream was already ended.
        """
        self._check_can_send("send_audio()")
        size = _limits.AUDIO_EVENT_MAX_PAYLOAD
        if type(data) is bytes and len(data) <= size:
            pieces: Iterable[bytes] = (data,)  # the common case: sent as it is, not copied
        else:
            # One AudioEvent at a time, each after the socket has room, so a large write never
            # holds the engine's lock while the peer is slow to read.
            view = memoryview(data).cast("B")
            pieces = (bytes(view[start : start + size]) for start in range(0, len(view), size))
        for piece in pieces:
            error = self._send_chunk(piece, self._clock())
            if error is not None and is_fatal(error, self._resilient):
                self._fatal = error
                _keep_transcript(error, self._transcript_or_none())
                raise error

    def end(self) -> None:
        """Send the empty AudioEvent: no more audio. Then iterate to receive the last results.

        Raises:
            TranscribeMedicalError: The stream was already ended, or had failed (its error).
        """
        self._check_can_send("end()")
        self._ended = True
        self._end_audio()

    def finish_audio(self) -> None:
        """The same as :meth:`end`, but safe to call more than once, from any thread."""
        if not self._ended:
            self._ended = True
            self._finish_requested = True
            self._wake.set()  # the keep-alive thread sends the end

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
