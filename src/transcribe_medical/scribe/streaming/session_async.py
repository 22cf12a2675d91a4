"""The asyncio HealthScribe session: ``async_client.scribe.streaming.connect()`` and ``transcribe()``.

The asyncio twin of :mod:`.session_sync`: the session resumes a dropped connection by itself
(whichever task notices) and keeps a silent PCM session open from a keep-alive task.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from types import TracebackType
from typing import TYPE_CHECKING

from transcribe_medical._exceptions import ConnectionError, ProtocolError, TimeoutError, TranscribeMedicalError
from transcribe_medical._logging import get_logger
from transcribe_medical.models.transcript import Transcript
from transcribe_medical.scribe.streaming.event_signing import EventSigner
from transcribe_medical.scribe.streaming.h2_async import AsyncH2Stream
from transcribe_medical.scribe.streaming.keepalive import (
    DEFAULT_KEEPALIVE_INTERVAL,
    KeepAliveTimer,
    check_keepalive_interval,
)
from transcribe_medical.scribe.streaming.protocol import ScribeSessionProtocol, ScribeTranscriptEvent
from transcribe_medical.scribe.streaming.session_sync import DRAIN_TIMEOUT_S, cannot_resume
from transcribe_medical.streaming.audio import AudioSource, Pacer

if TYPE_CHECKING:
    from transcribe_medical.scribe.note import ClinicalNote

__all__ = ["AsyncScribeStreamSession", "AsyncScribeTranscription"]

_log = get_logger("scribe.streaming")


class AsyncScribeStreamSession:
    """A live HealthScribe session (asyncio); ``async with`` it.

    Resumes a dropped connection and keeps a silent PCM session open, as the sync session does.

    Example:
        >>> async with await client.scribe.streaming.connect(config) as session:   # doctest: +SKIP
        ...     await session.send_audio(chunk)
        ...     await session.end()
        ...     async for event in session:
        ...         print(event.segment.text)

    Attributes:
        resumes: Dropped connections resumed so far.
        silence_sent: Seconds of keep-alive silence sent so far.
        generation: Increases with each new connection.
    """

    def __init__(
        self,
        stream: AsyncH2Stream,
        protocol: ScribeSessionProtocol,
        note: Callable[..., Awaitable[ClinicalNote]],
        reopen: Callable[[], Awaitable[tuple[AsyncH2Stream, EventSigner]]] | None = None,
        *,
        max_resumes: int = 3,
        on_resume: Callable[[int], None] | None = None,
        keepalive_interval: float | None = DEFAULT_KEEPALIVE_INTERVAL,
    ) -> None:
        """Wrap a connected stream whose ConfigurationEvent was sent (use ``connect()``, in a running loop).

        Args as the sync session's.
        """
        self._stream = stream
        self._protocol = protocol
        self._note = note
        self._reopen = reopen
        self._max_resumes = max_resumes
        self._on_resume = on_resume
        self._loop = asyncio.get_running_loop()
        self._send_lock = asyncio.Lock()  # held for a whole send, and a whole resume
        self._changed = asyncio.Condition()
        self._pending: deque[ScribeTranscriptEvent] = deque()
        self._failure: BaseException | None = None
        self._input_done = False
        self.generation = 0
        self.resumes = 0
        self.silence_sent = 0.0
        self.closed = False
        interval = check_keepalive_interval(keepalive_interval)
        pcm = protocol.replay.bytes_per_second is not None
        self._timer = KeepAliveTimer(interval if pcm else None, self._loop.time())
        self._keeper: asyncio.Task[None] | None = None
        if self._timer.interval is not None:
            self._keeper = self._loop.create_task(self._keep_alive())

    def __repr__(self) -> str:
        return f"AsyncScribeStreamSession(session_id={self.session_id!r}, resumes={self.resumes})"

    @property
    def session_id(self) -> str:
        """The session's UUID."""
        assert self._protocol.config.session_id is not None
        return self._protocol.config.session_id

    @property
    def transcript(self) -> Transcript:
        """The final segments received so far, each once, in order."""
        return self._protocol.transcript

    # ------------------------------------------------------------------ sending

    def _check_open(self, what: str) -> None:
        if self._failure is not None:
            raise self._failure
        if self._input_done or self.closed:
            raise ProtocolError(f"{what} called on a HealthScribe session whose input has ended")

    async def _sent(self) -> None:
        # The keep-alive is not woken: when its wait ends it finds the timer reset and waits again.
        self._timer.reset(self._loop.time())

    async def _send_audio(self, chunk: bytes) -> None:
        # With _send_lock held; the chunk is in the replay buffer once signed.
        generation = self.generation
        frame = self._protocol.audio(chunk)
        try:
            await self._stream.send(frame)
        except ConnectionError as error:
            await self._recover_locked(generation, error)
        await self._sent()

    async def send_audio(self, chunk: bytes) -> None:
        """Send one chunk (at most one second of audio), signed; a dropped connection is resumed."""
        if not chunk:
            return
        async with self._send_lock:
            self._check_open("send_audio()")
            if rest := self._timer.rest_of_pause(self._loop.time()):
                await self._send_silence(rest)
            await self._send_audio(bytes(chunk))

    async def _finish_input(self, *, end_of_session: bool) -> None:
        async with self._send_lock:
            self._check_open("end()" if end_of_session else "pause()")
            self._input_done = True
            async with self._changed:
                self._changed.notify_all()
            for attempt in range(2):
                generation = self.generation
                frames = self._protocol.end_of_session() if end_of_session else self._protocol.pause()
                try:
                    await self._stream.send(frames)
                    await self._stream.end_request()
                except ConnectionError as error:
                    if attempt:
                        raise
                    await self._recover_locked(generation, error)
                    continue
                break
            self._protocol.input_ended(end_of_session=end_of_session)

    async def end(self) -> None:
        """Send ``END_OF_SESSION`` and the signed end frame."""
        await self._finish_input(end_of_session=True)

    async def pause(self) -> None:
        """End this connection's input without ``END_OF_SESSION`` (the session can be resumed)."""
        await self._finish_input(end_of_session=False)

    # ------------------------------------------------------------------ resuming

    async def resume(self) -> None:
        """Reconnect now, with the same session id (see the sync session)."""
        async with self._send_lock:
            await self._recover_locked(self.generation, ConnectionError("resume() was called"), counted=False)

    async def _recover(self, generation: int, error: ConnectionError) -> None:
        async with self._send_lock:
            await self._recover_locked(generation, error)

    async def _recover_locked(self, generation: int, error: ConnectionError, *, counted: bool = True) -> None:
        if self.generation != generation:
            return  # another task resumed it already
        if self._failure is not None:
            raise self._failure
        if self.closed:
            raise error
        try:
            while True:
                if self._reopen is None:
                    raise error
                await self._take_last_messages()
                if self._failure is not None:
                    # The reading task took an exception event (why the connection ended) while
                    # this one waited for the old connection: that error ends the session.
                    raise self._failure
                if not self._protocol.resumable:
                    raise cannot_resume(error, self._protocol)
                if counted and self.resumes >= self._max_resumes:
                    raise error
                await self._stream.close()
                try:
                    await self._reconnect()
                except ConnectionError as again:
                    error, counted = again, True
                    self.resumes += 1
                    continue
                break
        except BaseException as failure:
            self._failure = failure
            await self._stream.close()
            async with self._changed:
                self._changed.notify_all()
            raise
        self.resumes += counted
        async with self._changed:
            self.generation += 1
            self._timer.reset(self._loop.time())
            self._changed.notify_all()
        _log.info("HealthScribe session resumed on a new connection (%d)", self.resumes)
        if self._on_resume is not None and counted:
            self._on_resume(self.resumes)

    async def _take_last_messages(self) -> None:
        old = self._stream
        await old.wait_finished(DRAIN_TIMEOUT_S)
        while True:
            try:
                message, _ended = old.poll_message()
            except TranscribeMedicalError:
                return
            if message is None:
                return
            event = self._protocol.handle(message)
            if event is not None:
                self._pending.append(event)

    async def _reconnect(self) -> None:
        assert self._reopen is not None
        stream, signer = await self._reopen()
        try:
            for frame in self._protocol.resume(signer):
                await stream.send(frame)
        except BaseException:
            await stream.close()
            raise
        self._stream = stream

    async def wait_for_resume(self, generation: int) -> bool:
        """Wait until the session has reconnected since ``generation`` (False: it was closed)."""
        async with self._changed:
            await self._changed.wait_for(lambda: self.generation != generation or self.closed)
            return self.generation != generation

    # ------------------------------------------------------------------ keep-alive

    def _keeping(self) -> bool:
        return not (self.closed or self._input_done or self._failure is not None)

    async def _keep_alive(self) -> None:
        while True:
            async with self._changed:
                if not self._keeping():
                    return
                due = self._timer.due_in(self._loop.time())
                if due is None:
                    return
                if due > 0:
                    with contextlib.suppress(asyncio.TimeoutError):
                        await asyncio.wait_for(self._changed.wait(), due)  # woken early by end() and close()
                    continue
            async with self._send_lock:
                if not self._keeping():
                    return
                now = self._loop.time()
                idle = self._timer.idle(now)
                if self._timer.interval is None or idle < self._timer.interval:
                    continue
                try:
                    await self._send_silence(idle)
                    # The silence stands for the pause up to `now`: the time its write took is
                    # still owed (by the next silence, or before the audio that ends the pause).
                    self._timer.silenced(now)
                except Exception as error:  # the caller's next send or read reports it
                    if self._failure is None:
                        self._failure = error
                    _log.debug("keep-alive silence could not be sent (%s)", type(error).__name__)
                    return

    async def _send_silence(self, seconds: float) -> None:
        _log.debug("no audio for %.1f s: sending silence to keep the HealthScribe session open", seconds)
        chunks = self._protocol.silence(seconds)
        for chunk in chunks:
            await self._send_audio(chunk)
        self.silence_sent += sum(len(chunk) for chunk in chunks) / (self._protocol.replay.bytes_per_second or 1)

    # ------------------------------------------------------------------ receiving

    async def __aiter__(self) -> AsyncIterator[ScribeTranscriptEvent]:
        """Transcript events until the service ends the stream (errors as the sync session)."""
        while True:
            if self._pending:
                yield self._pending.popleft()
                continue
            stream, generation = self._stream, self.generation
            try:
                await stream.wait_message()
            except TimeoutError:
                if self._input_done or self.closed:
                    raise
                continue
            if self._pending or generation != self.generation:
                continue
            try:
                message, ended = stream.poll_message()
            except ConnectionError as error:
                if self._failure is not None:
                    raise self._failure from None
                await self._recover(generation, error)
                continue
            except BaseException as error:
                self._failure = self._failure or error
                raise
            if ended:
                return
            if message is None:
                continue
            try:
                event = self._protocol.handle(message)
            except BaseException as error:
                self._failure = self._failure or error
                raise
            if event is not None:
                yield event

    async def note(self, *, timeout: float = 600.0, poll_interval: float = 2.0) -> ClinicalNote:
        """Wait for the clinical note (after :meth:`end`) and return it."""
        return await self._note(self.session_id, timeout=timeout, poll_interval=poll_interval)

    async def close(self) -> None:
        """Close the connection (idempotent); the keep-alive stops."""
        async with self._changed:
            self.closed = True
            self._changed.notify_all()
        await self._stream.close()
        keeper = self._keeper
        if keeper is not None and keeper is not asyncio.current_task() and not keeper.done():
            keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await keeper

    async def __aenter__(self) -> AsyncScribeStreamSession:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()


class AsyncScribeTranscription:
    """``transcribe()``'s result (asyncio): ``async for`` the events; then ``transcript``, ``note()``."""

    def __init__(self, session: AsyncScribeStreamSession, source: AudioSource, pacer: Pacer) -> None:
        """Stream ``source`` into ``session`` once iteration starts (see the sync twin)."""
        self._session = session
        self._source = source
        self._pacer = pacer
        self._error: BaseException | None = None

    @property
    def session_id(self) -> str:
        """The session's UUID."""
        return self._session.session_id

    @property
    def session(self) -> AsyncScribeStreamSession:
        """The live session."""
        return self._session

    @property
    def resumes(self) -> int:
        """Dropped connections resumed so far."""
        return self._session.resumes

    @property
    def transcript(self) -> Transcript:
        """The final segments, each once, in order."""
        return self._session.transcript

    async def _send(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            async for chunk in self._source.achunks():
                delay = self._pacer.delay_for(len(chunk), loop.time())
                if delay:
                    await asyncio.sleep(delay)
                await self._session.send_audio(chunk)
            await self._session.end()
        except asyncio.CancelledError:
            raise
        except BaseException as error:  # re-raised in the iterating task
            self._error = error
            await self._session.close()

    async def __aiter__(self) -> AsyncIterator[ScribeTranscriptEvent]:
        """Send the audio and yield transcript events until the service ends the stream."""
        sender = asyncio.get_running_loop().create_task(self._send())
        try:
            try:
                async for event in self._session:
                    yield event
            except TranscribeMedicalError:
                if self._error is not None:
                    raise self._error from None
                raise
            await sender
            if self._error is not None:
                raise self._error
        finally:
            if not sender.done():
                sender.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await sender
            await self._session.close()

    async def run(self) -> Transcript:
        """Drain the events and return the transcript."""
        async for _ in self:
            pass
        return self.transcript

    async def note(self, *, timeout: float = 600.0, poll_interval: float = 2.0) -> ClinicalNote:
        """Wait for the clinical note and return it."""
        return await self._session.note(timeout=timeout, poll_interval=poll_interval)
