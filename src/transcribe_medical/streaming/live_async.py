"""A live session you feed yourself, asyncio: :class:`AsyncLiveSession`, from ``client.streaming.connect()``.

The twin of :mod:`.live_sync` over :mod:`.resilient_async`: ``await send_audio()`` sends from the
caller's task, and a keep-alive task stands in for the caller when it pauses (silence for PCM; a
compressed stream is closed and transparently reopened when audio resumes).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING

from transcribe_medical._exceptions import TranscribeMedicalError
from transcribe_medical.models.events import TranscriptEvent
from transcribe_medical.streaming.live_sync import _NO_PACING, _CallerFeeds, is_fatal
from transcribe_medical.streaming.protocol import StreamSession, StreamState
from transcribe_medical.streaming.resilient import ReconnectEvent, ResilientSession
from transcribe_medical.streaming.resilient_async import AsyncResilientTranscription

if TYPE_CHECKING:
    from transcribe_medical.models.stream import StreamConfig
    from transcribe_medical.streaming.async_client import AsyncStreamConnection

__all__ = ["AsyncLiveSession"]


class AsyncLiveSession(AsyncResilientTranscription):
    """A live streaming session (asyncio): send audio, end it, ``async for`` the events.

    Returned (connected) by ``async with client.streaming.connect(config) as stream``. Kept alive
    across pauses in your audio and, with reconnection on (the default), reconnected while you
    iterate. See :class:`~.live_sync.LiveSession`.

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
        open_first: Callable[[StreamConfig], Awaitable[AsyncStreamConnection]],
        open_session: Callable[[StreamConfig], Awaitable[AsyncStreamConnection]],
        clock: Callable[[], float] | None = None,
        on_reconnect: Callable[[ReconnectEvent], object] | None = None,
    ) -> None:
        """Prepare the session (it connects in :meth:`open`).

        Args:
            resilient: The stream's sans-I/O state.
            open_first: Opens the first connection (retried under the client's policy).
            open_session: Opens one connection, presigned afresh (one attempt).
            clock: Monotonic clock (default: the event loop's).
            on_reconnect: Called with each :class:`~.resilient.ReconnectEvent`.
        """
        super().__init__(
            resilient,
            _CallerFeeds(),
            _NO_PACING,
            open_first=open_first,
            open_session=open_session,
            clock=clock,
            on_reconnect=on_reconnect,
        )
        self._ended = False
        self._done = False
        self._failed = False
        self._fatal: TranscribeMedicalError | None = None
        self._last_audio = 0.0
        # Held by whoever feeds the stream (the caller, or the keep-alive for it), so that
        # keep-alive silence never lands between two chunks of a caller that just resumed.
        self._feed_lock = asyncio.Lock()

    def __repr__(self) -> str:
        return f"AsyncLiveSession(session_id={self.session_id!r}, state={self.state.value})"

    async def open(self) -> AsyncLiveSession:
        """Connect (the first connection, retried under the client's policy) and start the keep-alive."""
        await self._start()
        return self

    def _start_tasks(self) -> list[asyncio.Task[None]]:
        self._last_audio = self._now()
        return [asyncio.create_task(self._keep_alive_loop())]

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
        chunk = bytes(data)
        if not chunk:
            return  # an empty AudioEvent would end the stream
        await self._start()
        async with self._feed_lock:
            error = await self._send_chunk(chunk)
            self._last_audio = self._now()
        if error is not None and is_fatal(error, self._resilient):
            self._fatal = error
            error.transcript = self.transcript
            raise error
        await self._roll_over_if_due()

    async def end(self) -> None:
        """Send the empty AudioEvent: no more audio. Then iterate to receive the last results.

        Raises:
            TranscribeMedicalError: The stream was already ended, or had failed (its error).
        """
        self._check_can_send("end()")
        await self._start()
        async with self._feed_lock:
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

    async def _keep_alive_loop(self) -> None:
        # Not tied to reconnection: a live session is kept alive even with reconnect=False.
        interval = self._resilient.policy.keepalive_interval
        if interval is None:
            return
        while not (self._stopping or self._audio_done):
            idle = self._now() - self._last_audio
            if idle < interval:
                await asyncio.sleep(interval - idle)
                continue
            async with self._feed_lock:
                idle = self._now() - self._last_audio
                if self._stopping or self._audio_done or idle < interval:
                    continue  # the caller sent or ended meanwhile
                await self._keep_alive(idle)  # a failed send is judged by the receiving side
                self._last_audio = self._now()
