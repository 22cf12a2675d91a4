"""The one asyncio driver: :class:`AsyncTranscription` (``transcribe()``) and :class:`AsyncLiveSession` (``connect()``).

A stream runs over one or more :class:`~.connection.AsyncStreamConnection`\\ s; the sans-I/O
:class:`~transcribe_medical.streaming.reconnect.ResilientSession` holds what spans them (the
timeline, the replay buffer, the one transcript) and decides what a failure means. A plain stream
is the same engine with the reconnect policy off (``reconnect=False``): the first failure is
raised. The roles, no thread:

* the *sender* (``transcribe()`` only) is one task that reads the source itself, paces it (it
  sleeps only when it is ahead of the real-time schedule, and wakes on a grid shared by every
  stream of the event loop, so that many streams cost one wake-up), records each chunk in the
  ``ResilientSession`` and writes its frame: no queue, no lock and no timeout per chunk. A live
  session's caller is its own sender (:meth:`AsyncLiveSession.send_audio`);
* the *keep-alive* is one task that wakes once per ``keepalive_interval``: every send moves its
  deadline (one float written), and only a pause that reaches it costs anything (silence for PCM;
  a compressed stream is closed and reopened when audio resumes);
* the *read watch* is one task that fails a session the service has said nothing on for
  ``read_timeout`` (a :class:`~transcribe_medical.TimeoutError`, judged like any failure): each
  message moves its deadline, instead of a timeout set and cancelled around every receive;
* the caller's ``async for`` receives, shifts each event to stream time, drops finals already
  given, runs the ``on_partial``/``on_final`` callbacks and, when a session fails, reconnects with
  a fresh presign and replays what no final covers yet.

Writers that must not be interleaved with audio (a reconnect's replay, keep-alive silence) close a
*gate* that the senders check with one attribute read per chunk; the ordering of everything else
follows from asyncio: a frame is written to the socket before ``send`` first yields.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Generator
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final, Self

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
    from transcribe_medical.streaming.asyncio.connection import AsyncStreamConnection
    from transcribe_medical.streaming.audio import AudioSource, Pacer

__all__ = ["AsyncLiveSession", "AsyncTranscription", "ResultCallback"]

_log = get_logger("streaming.asyncio")
#: Reconnects are logged here (INFO, one line each, no secret or text), whatever the I/O flavour.
_reconnect_log = get_logger("streaming.reconnect")

#: A pacing delay shorter than this is not worth a wake-up: the schedule is absolute, so the next
#: chunk's delay makes up for it.
_MIN_SLEEP_S: Final = 0.002

#: Paced senders wake on multiples of this (loop time), so that many streams' chunks are sent in
#: one wake-up of the event loop rather than one wake-up each: with 100 streams of 100 ms chunks,
#: ~50 wake-ups a second instead of ~1,000 (each an epoll wait, a context switch and a timer). A
#: chunk then leaves at most this much later than its due time, never earlier; the schedule is
#: absolute, so the delay does not accumulate.
_PACING_GRID_S: Final = 0.02

#: Session states in which there is nothing left to watch.
_OVER: Final = frozenset({StreamState.DONE, StreamState.FAILED})

#: ``on_partial`` / ``on_final``: called with each result; a coroutine function is awaited.
ResultCallback = Callable[[Result], object] | Callable[[Result], Awaitable[object]]

Opener = Callable[["StreamConfig"], Awaitable["AsyncStreamConnection"]]


def _on_grid(now: float, delay: float, grid: float = _PACING_GRID_S) -> float:
    """``delay`` lengthened so that ``now + delay`` falls on a multiple of ``grid``.

    Args:
        now: The current time of the clock the wake-up is scheduled on (the event loop's).
        delay: The shortest wait asked for (>= 0).
        grid: The spacing of the shared wake-up instants.

    Returns:
        A delay in ``[delay, delay + grid)`` ending on the grid.

    Example:
        >>> round(_on_grid(10.003, 0.081), 6)
        0.097
    """
    return math.ceil((now + delay) / grid) * grid - now


class AsyncTranscription:
    """A stream fed from an audio source, iterated with ``async for``; the one type ``transcribe()`` returns.

    Returned by :meth:`AsyncStreamingClient.transcribe
    <transcribe_medical.streaming.asyncio.client.AsyncStreamingClient.transcribe>`, reconnecting
    or not. It connects on ``async with``, ``await`` or the first ``async for`` step. Events carry
    stream time across reconnects, each final once; ``.transcript`` is the transcript so far
    (across reconnects, with its ``gaps``); ``.reconnects`` lists the
    :class:`~transcribe_medical.streaming.reconnect.ReconnectEvent`\\ s (empty without reconnects).

    Example:
        >>> async with client.streaming.transcribe("visit.wav", config) as events:   # doctest: +SKIP
        ...     async for event in events:
        ...         ...
        ...     transcript = events.transcript
    """

    def __init__(
        self,
        resilient: ResilientSession,
        source: AudioSource | None,
        pacer: Pacer | None,
        *,
        open_first: Opener,
        open_session: Opener,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], Awaitable[object]] | None = None,
        on_reconnect: Callable[[ReconnectEvent], object] | None = None,
        on_partial: ResultCallback | None = None,
        on_final: ResultCallback | None = None,
        read_timeout: float | None = None,
    ) -> None:
        """Prepare the stream (nothing connects until it is awaited or iterated).

        Args:
            resilient: The stream's sans-I/O state (its policy says whether to reconnect).
            source: The audio (``None``: the caller sends it, see :class:`AsyncLiveSession`).
            pacer: Real-time pacing of the source (``None``: none).
            open_first: Opens the first connection (retried under the client's policy).
            open_session: Opens one connection, presigned afresh (one attempt).
            clock: Monotonic clock for pacing and rollover (default: the event loop's).
            sleep: How to wait between chunks and before reconnecting (default :func:`asyncio.sleep`).
            on_reconnect: Called with each :class:`ReconnectEvent`.
            on_partial: Called with each partial result, before its event is yielded.
            on_final: Called with each final result, before its event is yielded.
            read_timeout: Seconds without a message from the service after which a session is
                failed with :class:`~transcribe_medical.TimeoutError` (``None``: never). Watched
                by one task, not with a timeout per message (open the connections with
                ``read_timeout=None``).
        """
        self._resilient = resilient
        self._source = source
        self._pacer = pacer
        self._open_first = open_first
        self._open_session = open_session
        self._clock = clock
        self._sleep = sleep or asyncio.sleep
        self._on_reconnect = on_reconnect
        self._on_partial = on_partial
        self._on_final = on_final
        self._read_timeout = read_timeout
        self.reconnects: list[ReconnectEvent] = []
        self._connection: AsyncStreamConnection | None = None
        self._events: AsyncIterator[TranscriptEvent] | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._sender: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._sendable = True  # the current connection takes audio
        self._sending = False  # a sender is writing (the keep-alive then has nothing to do)
        self._suspended = False  # a compressed stream closed during a pause
        self._rolling_over = False
        self._audio_done = False
        self._finish_requested = False
        self._stopping = False
        self._source_error: BaseException | None = None
        self._gate: asyncio.Future[None] | None = None
        self._resumed = asyncio.Event()
        self._last_sent = 0.0
        self._paused_silence = False  # keep-alive silence went out in this pause: top it up on resume

    def __repr__(self) -> str:
        return f"{type(self).__name__}(session_id={self.session_id!r}, reconnects={len(self.reconnects)})"

    # -- what the caller reads -----------------------------------------------------------------

    @property
    def session_id(self) -> str | None:
        """The id of the current session (``None`` before connecting)."""
        return self._resilient.session_id if self._connection is not None else None

    @property
    def session_ids(self) -> list[str]:
        """Every session id used, first first."""
        return list(self._resilient.session_ids)

    @property
    def transcript(self) -> Transcript:
        """The transcript of the final results received so far, across reconnects (with its ``gaps``).

        Raises:
            TranscribeMedicalError: The stream was opened with ``keep_transcript=False``.
        """
        return self._resilient.transcript

    @property
    def gaps(self) -> list[Gap]:
        """The spans of audio lost so far (a live source's replay buffer outrun), in stream time."""
        return self._resilient.gaps

    def finish_audio(self) -> None:
        """Stop reading the source, end the stream, and keep receiving the last results.

        Takes effect at once, even while the source has nothing to give (a paused microphone).
        """
        self._finish_requested = True
        sender = self._sender
        if sender is not None and not sender.done() and not self._sending:
            # The sender is waiting (for the source, or to pace): interrupt the wait; it then
            # ends the audio. A write in progress is never interrupted: the flag stops it after.
            sender.cancel()

    async def aclose(self) -> None:
        """Stop sending, close the connection and wait for the tasks. Safe to call more than once."""
        await self._stop()

    # -- async with / await / async for --------------------------------------------------------

    async def __aenter__(self) -> Self:
        await self._start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    def __await__(self) -> Generator[Any, None, Self]:
        return self.__aenter__().__await__()

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> TranscriptEvent:
        events = self._events or await self._start()
        try:
            event = await anext(events)
            if self._on_partial is not None or self._on_final is not None:
                await self._dispatch(event)
            return event
        except StopAsyncIteration:
            await self._join_sender()
            await self._stop()  # the stream is over: no keep-alive or watch is left running
            if self._source_error is not None:
                self._attach_transcript(self._source_error)
                raise self._source_error from None
            raise
        except BaseException as error:
            await self._stop()
            self._attach_transcript(error)
            if self._source_error is not None and self._source_error is not error:
                # The audio failed (unreadable file, lost microphone): that is the cause, not the
                # connection closed because of it.
                self._attach_transcript(self._source_error)
                raise self._source_error from error
            raise

    async def _dispatch(self, event: TranscriptEvent) -> None:
        for result in event.results:
            callback = self._on_partial if result.is_partial else self._on_final
            if callback is not None:
                outcome = callback(result)
                if inspect.isawaitable(outcome):
                    await outcome

    def _attach_transcript(self, error: BaseException) -> None:
        # Whatever ends the stream carries the finals received before it, across every session.
        if isinstance(error, TranscribeMedicalError):
            error.transcript = self._resilient.transcript_or_none()

    # -- starting and stopping -----------------------------------------------------------------

    def _now(self) -> float:
        if self._clock is not None:
            return self._clock()
        assert self._loop is not None
        return self._loop.time()

    async def _start(self) -> AsyncIterator[TranscriptEvent]:
        if self._events is None:
            self._loop = asyncio.get_running_loop()
            config = self._resilient.config_for(self._resilient.next_session_id())
            self._connection = await self._open_first(config)
            self._resilient.begin_session(self._connection.session_id, self._now())
            self._last_sent = self._loop.time()
            self._events = self._receive()
            self._start_tasks()
        return self._events

    def _start_tasks(self) -> None:
        if self._source is not None:
            self._sender = asyncio.create_task(self._send_source())
            self._tasks.append(self._sender)
        interval = self._keepalive_interval()
        if interval is not None:
            self._tasks.append(asyncio.create_task(self._keep_alive_loop(interval)))
        if self._read_timeout is not None:
            self._tasks.append(asyncio.create_task(self._watch_reads(self._read_timeout)))

    def _keepalive_interval(self) -> float | None:
        policy = self._resilient.policy
        return policy.keepalive_interval if policy.enabled else None

    async def _join_sender(self) -> None:
        if self._sender is not None:
            await asyncio.gather(self._sender, return_exceptions=True)

    async def _stop(self) -> None:
        self._stopping = True
        self._resumed.set()
        for task in self._tasks:
            if not task.done():
                task.cancel()
        if self._connection is not None:
            await self._connection.close()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        # The tasks are done: let them go. A task kept here holds its coroutine, and a cancelled
        # one its CancelledError, whose traceback's frames hold this stream: a reference cycle
        # that only the garbage collector would free, with the connection and every buffer in it.
        self._tasks.clear()
        self._sender = None

    # -- sending -------------------------------------------------------------------------------

    async def _send_source(self) -> None:
        """The sender task: read the source, pace it, send it, then end the audio."""
        assert self._source is not None
        pacer = self._pacer if self._pacer is not None and self._pacer.enabled else None
        now = self._now
        sleep = self._sleep
        on_grid = self._clock is None
        chunks: AsyncIterator[bytes] | None = None
        try:
            chunks = aiter(self._source.achunks())
            async for chunk in chunks:
                if self._stopping or self._finish_requested:
                    break
                if pacer is not None:
                    moment = now()
                    delay = pacer.delay_for(len(chunk), moment)
                    if delay >= _MIN_SLEEP_S:
                        await sleep(_on_grid(moment, delay) if on_grid else delay)
                # _feed() without its own coroutine: the gate is shut only for a replay or silence.
                while self._gate is not None:
                    await asyncio.shield(self._gate)
                await self._put(chunk, synthetic=False)
        except asyncio.CancelledError:
            if self._stopping or not self._finish_requested:
                raise
            # finish_audio() interrupted a wait: carry on to the end of the audio.
        except Exception as error:
            await self._source_failed(error)
            return
        finally:
            aclose = getattr(chunks, "aclose", None)
            if aclose is not None:
                with contextlib.suppress(Exception):
                    await aclose()
        if not self._stopping:
            await self._end_audio()

    async def _feed(self, chunk: bytes, *, synthetic: bool = False) -> TranscribeMedicalError | None:
        """Record a chunk in the stream's timeline and send it; return the error if the send failed.

        A failed send is not raised here: the receiving side reads why the session ended (an
        exception frame, a close code) and decides whether to reconnect.
        """
        while self._gate is not None:
            await asyncio.shield(self._gate)
        return await self._put(chunk, synthetic=synthetic)

    async def _put(self, chunk: bytes, *, synthetic: bool) -> TranscribeMedicalError | None:
        resilient = self._resilient
        if self._paused_silence and not synthetic:
            # The keep-alive covered the pause up to its last tick; the rest of it, up to now, goes
            # out before the audio, so the stream's timeline keeps pace with the caller's.
            self._paused_silence = False
            assert self._loop is not None
            rest = self._loop.time() - self._last_sent
            if rest >= KEEPALIVE_TOP_UP_MIN_S:
                await self._put(resilient.silence(rest), synthetic=True)
        resilient.accept_audio(chunk, synthetic=synthetic)
        error: TranscribeMedicalError | None = None
        if self._suspended:
            self._resumed.set()  # audio resumed: the receiver reopens the compressed stream
        elif self._sendable and self._connection is not None:
            self._sending = True
            try:
                await self._connection.send_audio(chunk)
            except TranscribeMedicalError as failed:
                _log.debug("a send failed: %s", type(failed).__name__)
                error = failed
            finally:
                self._sending = False
        assert self._loop is not None
        now = self._last_sent = self._loop.time()  # the keep-alive's deadline moves: one float
        if self._sendable and resilient.needs_rollover(now if self._clock is None else self._clock()):
            await self._roll_over()
        return error

    @contextlib.asynccontextmanager
    async def _exclusive(self) -> AsyncIterator[None]:
        """Hold the gate: no sender writes audio until the block ends."""
        while self._gate is not None:
            await asyncio.shield(self._gate)
        assert self._loop is not None
        gate = self._gate = self._loop.create_future()
        try:
            yield
        finally:
            self._gate = None
            if not gate.done():
                gate.set_result(None)

    async def _keep_alive_loop(self, interval: float) -> None:
        """Wake once per ``interval``; act only if no audio was sent for that long."""
        assert self._loop is not None
        loop = self._loop
        while not (self._stopping or self._audio_done):
            wait = self._last_sent + interval - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
                continue
            if self._sending or self._suspended or self._gate is not None:
                await asyncio.sleep(interval)  # busy writing, closed for the pause, or reconnecting
                continue
            await self._keep_alive(loop.time() - self._last_sent)

    async def _watch_reads(self, timeout: float) -> None:
        """Fail a session the service has said nothing on for ``timeout`` seconds (one deadline, one task).

        The receiving side then sees a :class:`~transcribe_medical.TimeoutError` (a stalled
        connection), which the reconnect policy judges like any other failure.
        """
        recheck = min(timeout, 5.0)  # nobody reading, paused or reconnecting: look again later
        while not self._stopping:
            connection = self._connection
            if connection is None or self._suspended or not connection.receiving or connection.state in _OVER:
                await asyncio.sleep(recheck)
                continue
            wait = connection.last_received + timeout - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
                continue
            _log.debug("no message for %g s on session %s: failing it", timeout, connection.session_id)
            connection.expire(timeout)
            await asyncio.sleep(recheck)

    async def _keep_alive(self, idle: float) -> None:
        resilient = self._resilient
        if resilient.compressed:
            if not self._sendable or self._connection is None:
                return
            self._suspended = True
            self._sendable = False
            self._resumed.clear()
            _log.info("no audio for %.1f s: closing the compressed stream until audio resumes", idle)
            await self._connection.close()
            return
        _log.debug("no audio for %.1f s: sending silence to keep the stream open", idle)
        since = self._last_sent
        moment = since + idle
        async with self._exclusive():
            if self._last_sent != since:
                return  # audio went out meanwhile: the pause is over
            await self._put(resilient.silence(idle), synthetic=True)
            # The silence stands for the pause up to `moment`: the time its write took is still
            # owed (by the next silence, or before the audio that ends the pause).
            self._last_sent = moment
            self._paused_silence = True

    async def _roll_over(self) -> None:
        assert self._connection is not None
        self._sendable = False
        self._rolling_over = True
        self._resilient.session_ended()
        _log.info("session %s nears the stream length limit: rolling over", self._connection.session_id)
        with contextlib.suppress(TranscribeMedicalError):
            await self._connection.end()

    async def _end_audio(self) -> None:
        while self._gate is not None:
            await asyncio.shield(self._gate)
        self._audio_done = True
        self._resumed.set()  # a suspended compressed stream reopens to be ended
        if self._sendable and self._connection is not None:
            with contextlib.suppress(TranscribeMedicalError):
                await self._connection.end()

    async def _source_failed(self, error: BaseException) -> None:
        if not self._stopping:
            self._source_error = error
            _log.debug("the audio source failed: %s", type(error).__name__)
            self._resumed.set()
            if self._connection is not None:
                await self._connection.close()

    # -- receiving and reconnecting ------------------------------------------------------------

    async def _receive(self) -> AsyncIterator[TranscriptEvent]:
        resilient = self._resilient
        while True:
            connection = self._connection
            assert connection is not None
            try:
                async for event in connection.events():
                    shifted = resilient.receive(event)
                    if shifted is not None:
                        yield shifted
                if not self._rolling_over:
                    return
                decision, reason = FailureDecision(True), "session limit"
            except TranscribeMedicalError as error:
                if self._stopping or self._source_error is not None:
                    raise
                if self._suspended:
                    await self._resumed.wait()
                    if self._stopping or self._source_error is not None:
                        raise
                    decision, reason = FailureDecision(True), "idle"
                else:
                    decision = resilient.on_failure(error, self._now())
                    if not decision.reconnect:
                        assert decision.error is not None
                        if decision.error is error:
                            raise
                        raise decision.error from error
                    reason = failure_reason(error)
            await self._reconnect(decision, reason)

    async def _reconnect(self, decision: FailureDecision, reason: str) -> None:
        resilient = self._resilient
        while True:
            if decision.delay > 0:
                await self._sleep(decision.delay)
            if self._stopping:
                raise ConnectionError(
                    "the stream was closed while reconnecting", transcript=resilient.transcript_or_none()
                )
            previous = resilient.session_id
            session_id = resilient.next_session_id()
            connection: AsyncStreamConnection | None = None
            try:
                connection = await self._open_session(resilient.config_for(session_id))
                async with self._exclusive():
                    replay = resilient.begin_session(session_id, self._now())
                    for piece in replay.chunks():
                        await connection.send_audio(piece)
                    self._connection = connection
                    self._sendable = True
                    self._suspended = False
                    self._rolling_over = False
                    if self._audio_done and connection.state is StreamState.STREAMING:
                        await connection.end()
            except TranscribeMedicalError as error:
                if connection is not None:
                    await connection.close()
                resilient.reconnect_failed()
                decision = resilient.on_failure(error, self._now())
                if not decision.reconnect:
                    assert decision.error is not None
                    if decision.error is error:
                        raise
                    raise decision.error from error
                reason = failure_reason(error)
                continue
            assert self._loop is not None
            self._last_sent = self._loop.time()
            event = resilient.make_event(decision, reason, previous, replay)
            self.reconnects.append(event)
            _reconnect_log.info("stream %s → %s: %s", previous, session_id, event.describe())
            if self._on_reconnect is not None:
                self._on_reconnect(event)
            return


class AsyncLiveSession(AsyncTranscription):
    """A live streaming session (asyncio) you feed yourself: send audio, end it, ``async for`` the events.

    Returned (connected) by ``async with client.streaming.connect(config) as stream`` (or
    ``await client.streaming.connect(config)``). The same engine as ``transcribe()``: kept alive
    across pauses in your audio (silence for PCM; a compressed stream is closed and transparently
    reopened when audio resumes), even with ``reconnect=False``, and, with reconnection on (the
    default), reconnected while you iterate.

    Example:
        >>> async with client.streaming.connect(config) as stream:     # doctest: +SKIP
        ...     await stream.send_audio(chunk)
        ...     await stream.end()
        ...     async for event in stream:
        ...         ...
    """

    def __init__(
        self,
        resilient: ResilientSession,
        *,
        open_first: Opener,
        open_session: Opener,
        clock: Callable[[], float] | None = None,
        on_reconnect: Callable[[ReconnectEvent], object] | None = None,
        on_partial: ResultCallback | None = None,
        on_final: ResultCallback | None = None,
        read_timeout: float | None = None,
    ) -> None:
        """Prepare the session (it connects in :meth:`open`).

        Args:
            resilient: The stream's sans-I/O state.
            open_first: Opens the first connection (retried under the client's policy).
            open_session: Opens one connection, presigned afresh (one attempt).
            clock: Monotonic clock (default: the event loop's).
            on_reconnect: Called with each :class:`~transcribe_medical.streaming.reconnect.ReconnectEvent`.
            on_partial: Called with each partial result while you iterate.
            on_final: Called with each final result while you iterate.
            read_timeout: As for :class:`AsyncTranscription`.
        """
        super().__init__(
            resilient,
            None,
            None,
            open_first=open_first,
            open_session=open_session,
            clock=clock,
            on_reconnect=on_reconnect,
            on_partial=on_partial,
            on_final=on_final,
            read_timeout=read_timeout,
        )
        self._ended = False
        self._done = False
        self._failed = False
        self._fatal: TranscribeMedicalError | None = None

    def __repr__(self) -> str:
        return f"AsyncLiveSession(session_id={self.session_id!r}, state={self.state.value})"

    async def open(self) -> Self:
        """Connect (the first connection, retried under the client's policy) and start the keep-alive."""
        await self._start()
        return self

    def _keepalive_interval(self) -> float | None:
        # Not tied to reconnection: a live session is kept alive even with reconnect=False.
        return self._resilient.policy.keepalive_interval

    @property
    def session(self) -> StreamSession | None:
        """The current connection's sans-I/O session (``None`` before connecting)."""
        return self._connection.session if self._connection is not None else None

    @property
    def state(self) -> StreamState:
        """Where the stream is: streaming, ending (after :meth:`end`), done or failed."""
        if self._failed or self._fatal is not None:
            return StreamState.FAILED
        if self._done:
            return StreamState.DONE
        return StreamState.ENDING if self._ended else StreamState.STREAMING

    async def send_audio(self, data: bytes | bytearray | memoryview) -> None:
        """Send audio (any length; cut into AudioEvents of at most 32 KiB).

        Raises:
            ServiceError: The service refused the stream (found while sending).
            ConnectionError: The connection closed and reconnection is off.
            TranscribeMedicalError: The stream was already ended.
        """
        self._check_can_send("send_audio()")
        chunk = data if type(data) is bytes else bytes(data)
        if not chunk:
            return  # an empty AudioEvent would end the stream
        if self._events is None:
            await self._start()
        error = await self._feed(chunk)
        if error is not None and self._is_fatal(error):
            self._fatal = error
            error.transcript = self._resilient.transcript_or_none()
            raise error

    def _is_fatal(self, error: TranscribeMedicalError) -> bool:
        """Whether a failed send ends the stream for good (no reconnect would be tried)."""
        resilient = self._resilient
        return not (resilient.policy.enabled and resilient.retry.max_attempts > 1 and is_reconnectable(error))

    async def end(self) -> None:
        """Send the empty AudioEvent: no more audio. Then iterate to receive the last results.

        Raises:
            TranscribeMedicalError: The stream was already ended, or had failed (its error).
        """
        self._check_can_send("end()")
        if self._events is None:
            await self._start()
        self._ended = True
        await self._end_audio()

    def _check_can_send(self, what: str) -> None:
        if self._fatal is not None:
            raise self._fatal
        if self._ended or self._done or self._failed:
            raise TranscribeMedicalError(f"{what} called on a stream that is {self.state.value}")

    def events(self) -> AsyncIterator[TranscriptEvent]:
        """``async for`` the service's TranscriptEvents until it closes the stream (after :meth:`end`)."""
        return self

    async def __anext__(self) -> TranscriptEvent:
        try:
            return await super().__anext__()
        except StopAsyncIteration:
            self._done = True
            raise
        except BaseException:
            self._failed = True
            raise

    async def close(self) -> None:
        """Close the connection (without waiting for results). Safe to call more than once."""
        await self.aclose()
