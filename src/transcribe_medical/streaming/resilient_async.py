"""The asyncio driver of a resilient stream: :class:`AsyncResilientTranscription`.

The twin of :mod:`.resilient_sync` over :class:`~.async_client.AsyncStreamConnection`, with the
same sans-I/O :class:`~.resilient.ResilientSession` inside and tasks instead of threads: a reader
task fills a small queue from the source, a sender task paces, sends, keeps the stream alive and
rolls it over, and the caller's ``async for`` receives and reconnects.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Final

from transcribe_medical._exceptions import ConnectionError, TranscribeMedicalError
from transcribe_medical._logging import get_logger
from transcribe_medical.models.events import TranscriptEvent
from transcribe_medical.models.transcript import Transcript
from transcribe_medical.streaming._iteration import AsyncEventIteration, SourceEnd, SourceFailure, SourceItem
from transcribe_medical.streaming.protocol import StreamState
from transcribe_medical.streaming.resilient import (
    FailureDecision,
    ReconnectEvent,
    ResilientSession,
    failure_reason,
)

if TYPE_CHECKING:
    from transcribe_medical.models.stream import StreamConfig
    from transcribe_medical.streaming.async_client import AsyncStreamConnection
    from transcribe_medical.streaming.audio import AudioSource, Pacer

__all__ = ["AsyncResilientTranscription"]

_log = get_logger("streaming.resilient")

_QUEUE_CHUNKS: Final = 32


class AsyncResilientTranscription(AsyncEventIteration):
    """A stream fed from an audio source that survives faults, iterated with ``async for``.

    Returned by :meth:`AsyncStreamingClient.transcribe
    <transcribe_medical.streaming.client.AsyncStreamingClient.transcribe>`; it connects on
    ``async with`` or on the first ``async for`` step. See :class:`.resilient_sync.ResilientTranscription`.
    """

    def __init__(
        self,
        resilient: ResilientSession,
        source: AudioSource,
        pacer: Pacer,
        *,
        open_first: Callable[[StreamConfig], Awaitable[AsyncStreamConnection]],
        open_session: Callable[[StreamConfig], Awaitable[AsyncStreamConnection]],
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], Awaitable[object]] | None = None,
        on_reconnect: Callable[[ReconnectEvent], object] | None = None,
    ) -> None:
        """Prepare the stream (nothing connects until ``async with`` or ``async for``).

        Args:
            resilient: The stream's sans-I/O state.
            source: The audio.
            pacer: Real-time pacing of the source.
            open_first: Opens the first connection (retried under the client's policy).
            open_session: Opens one connection, presigned afresh (one attempt).
            clock: Monotonic clock (default: the event loop's).
            sleep: How to wait between chunks and before reconnecting (default :func:`asyncio.sleep`).
            on_reconnect: Called with each :class:`ReconnectEvent`.
        """
        self._resilient = resilient
        self._source = source
        self._pacer = pacer
        self._open_first = open_first
        self._open_session = open_session
        self._clock_option = clock
        self._sleep = sleep or asyncio.sleep
        self._on_reconnect = on_reconnect
        self.reconnects: list[ReconnectEvent] = []
        self._connection: AsyncStreamConnection | None = None
        self._events: AsyncIterator[TranscriptEvent] | None = None
        self._queue: asyncio.Queue[SourceItem] = asyncio.Queue(maxsize=_QUEUE_CHUNKS)
        self._send_lock = asyncio.Lock()
        self._wakeup = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._sendable = True
        self._suspended = False
        self._rolling_over = False
        self._audio_done = False
        self._finish_requested = False
        self._stopping = False
        self._source_error: BaseException | None = None

    def __repr__(self) -> str:
        return f"AsyncResilientTranscription(session_id={self.session_id!r}, reconnects={len(self.reconnects)})"

    async def _join_sender(self) -> None:
        await asyncio.gather(*self._tasks[1:], return_exceptions=True)  # the sender

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
        """The transcript of the final results received so far, across reconnects."""
        return self._resilient.transcript

    def finish_audio(self) -> None:
        """Stop reading the source, end the stream, and keep receiving the last results."""
        self._finish_requested = True
        with contextlib.suppress(asyncio.QueueFull):
            self._queue.put_nowait(SourceEnd())

    async def aclose(self) -> None:
        """Stop sending, close the connection and wait for the tasks."""
        await self._stop()

    def _now(self) -> float:
        return self._clock_option() if self._clock_option is not None else asyncio.get_running_loop().time()

    async def _start(self) -> AsyncIterator[TranscriptEvent]:
        if self._events is None:
            config = self._resilient.config_for(self._resilient.next_session_id())
            self._connection = await self._open_first(config)
            self._resilient.begin_session(self._connection.session_id, self._now())
            self._events = self._receive()
            self._tasks = self._start_tasks()
        return self._events

    def _start_tasks(self) -> list[asyncio.Task[None]]:
        """Start the tasks that feed the stream: the source reader, then the sender."""
        return [asyncio.create_task(self._read_source()), asyncio.create_task(self._send_all())]

    async def _stop(self) -> None:
        self._stopping = True
        self._wakeup.set()
        for task in self._tasks:
            if not task.done():
                task.cancel()
        if self._connection is not None:
            await self._connection.close()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    # -- the reader task -----------------------------------------------------------------------

    async def _read_source(self) -> None:
        item: SourceItem = SourceEnd()
        chunks: AsyncIterator[bytes] | None = None
        try:
            chunks = aiter(self._source.achunks())
            async for chunk in chunks:
                if self._stopping or self._finish_requested:
                    break
                await self._queue.put(chunk)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            item = SourceFailure(error)
        finally:
            aclose = getattr(chunks, "aclose", None)
            if aclose is not None:
                with contextlib.suppress(Exception):
                    await aclose()
        await self._queue.put(item)

    # -- the sender task -----------------------------------------------------------------------

    async def _send_all(self) -> None:
        interval = self._resilient.policy.keepalive_interval if self._resilient.policy.enabled else None
        last_audio = self._now()
        try:
            while not (self._stopping or self._finish_requested):
                try:
                    async with asyncio.timeout(interval):
                        item = await self._queue.get()
                except TimeoutError:
                    await self._keep_alive(self._now() - last_audio)
                    last_audio = self._now()
                    continue
                if isinstance(item, SourceEnd):
                    break
                if isinstance(item, SourceFailure):
                    await self._source_failed(item.error)
                    return
                delay = self._pacer.delay_for(len(item), self._now())
                if delay > 0:
                    await self._sleep(delay)
                await self._send_chunk(item)
                last_audio = self._now()
                await self._roll_over_if_due()
            if not self._stopping:
                await self._end_audio()
        except asyncio.CancelledError:
            raise
        except Exception as error:
            _log.debug("the sender stopped: %s", type(error).__name__)

    async def _send_chunk(self, chunk: bytes, *, synthetic: bool = False) -> TranscribeMedicalError | None:
        """Send (or buffer) a chunk; return the error if the send failed (the receiver judges it).

        ``synthetic`` marks keep-alive silence (not read from the source).
        """
        async with self._send_lock:
            self._resilient.accept_audio(chunk, synthetic=synthetic)
            if self._suspended:
                self._wakeup.set()  # audio resumed: the receiver reopens the stream
                return None
            if self._sendable and self._connection is not None:
                try:
                    await self._connection.send_audio(chunk)
                except TranscribeMedicalError as error:
                    _log.debug("a send failed: %s", type(error).__name__)
                    return error
        return None

    async def _keep_alive(self, idle: float) -> None:
        if self._resilient.compressed:
            async with self._send_lock:
                if not self._sendable or self._suspended or self._connection is None:
                    return
                self._suspended = True
                self._sendable = False
                self._wakeup.clear()
                connection = self._connection
            _log.info("no audio for %.1f s: closing the compressed stream until audio resumes", idle)
            await connection.close()
            return
        _log.debug("no audio for %.1f s: sending silence to keep the stream open", idle)
        await self._send_chunk(self._resilient.silence(idle), synthetic=True)

    async def _roll_over_if_due(self) -> None:
        async with self._send_lock:
            if not self._sendable or self._connection is None or not self._resilient.needs_rollover(self._now()):
                return
            self._sendable = False
            self._rolling_over = True
            self._resilient.session_ended()
            _log.info("session %s nears the stream length limit: rolling over", self._connection.session_id)
            with contextlib.suppress(TranscribeMedicalError):
                await self._connection.end()

    async def _end_audio(self) -> None:
        async with self._send_lock:
            self._audio_done = True
            self._wakeup.set()
            if self._sendable and self._connection is not None:
                with contextlib.suppress(TranscribeMedicalError):
                    await self._connection.end()

    async def _source_failed(self, error: BaseException) -> None:
        if not self._stopping:
            self._source_error = error
            _log.debug("the audio source failed: %s", type(error).__name__)
            self._wakeup.set()
            if self._connection is not None:
                await self._connection.close()

    # -- the caller's iteration: events and reconnects -----------------------------------------

    async def _receive(self) -> AsyncIterator[TranscriptEvent]:
        while True:
            connection = self._connection
            assert connection is not None
            try:
                async for event in connection.events():
                    shifted = self._resilient.receive(event)
                    if shifted is not None:
                        yield shifted
                if not self._rolling_over:
                    return
                decision, reason = FailureDecision(True), "session limit"
            except TranscribeMedicalError as error:
                if self._stopping or self._source_error is not None:
                    raise
                if self._suspended:
                    await self._wakeup.wait()
                    if self._stopping or self._source_error is not None:
                        raise
                    decision, reason = FailureDecision(True), "idle"
                else:
                    decision = self._resilient.on_failure(error, self._now())
                    if not decision.reconnect:
                        assert decision.error is not None
                        if decision.error is error:
                            raise
                        raise decision.error from error
                    reason = failure_reason(error)
            await self._reconnect(decision, reason)

    async def _reconnect(self, decision: FailureDecision, reason: str) -> None:
        while True:
            if decision.delay > 0:
                await self._sleep(decision.delay)
            if self._stopping:
                raise ConnectionError("the stream was closed while reconnecting", transcript=self.transcript)
            previous = self._resilient.session_id
            session_id = self._resilient.next_session_id()
            config = self._resilient.config_for(session_id)
            connection: AsyncStreamConnection | None = None
            try:
                connection = await self._open_session(config)
                async with self._send_lock:
                    replay = self._resilient.begin_session(session_id, self._now())
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
                self._resilient.reconnect_failed()
                decision = self._resilient.on_failure(error, self._now())
                if not decision.reconnect:
                    assert decision.error is not None
                    if decision.error is error:
                        raise
                    raise decision.error from error
                reason = failure_reason(error)
                continue
            event = self._resilient.make_event(decision, reason, previous, replay)
            self.reconnects.append(event)
            _log.info("stream %s → %s: %s", previous, session_id, event.describe())
            if self._on_reconnect is not None:
                self._on_reconnect(event)
            return
