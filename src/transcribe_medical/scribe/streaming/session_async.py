"""The asyncio HealthScribe session: ``async_client.scribe.streaming.connect()`` and ``transcribe()``."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from types import TracebackType
from typing import TYPE_CHECKING

from transcribe_medical._exceptions import ConnectionError, ProtocolError, TranscribeMedicalError
from transcribe_medical.models.transcript import Transcript
from transcribe_medical.scribe.streaming.event_signing import EventSigner
from transcribe_medical.scribe.streaming.h2_async import AsyncH2Stream
from transcribe_medical.scribe.streaming.protocol import ScribeSessionProtocol, ScribeTranscriptEvent
from transcribe_medical.streaming.audio import AudioSource, Pacer

if TYPE_CHECKING:
    from transcribe_medical.scribe.note import ClinicalNote

__all__ = ["AsyncScribeStreamSession", "AsyncScribeTranscription"]


class AsyncScribeStreamSession:
    """A live HealthScribe session (asyncio); ``async with`` it.

    Example:
        >>> async with await client.scribe.streaming.connect(config) as session:   # doctest: +SKIP
        ...     await session.send_audio(chunk)
        ...     await session.end()
        ...     async for event in session:
        ...         print(event.segment.text)
    """

    def __init__(
        self,
        stream: AsyncH2Stream,
        protocol: ScribeSessionProtocol,
        note: Callable[..., Awaitable[ClinicalNote]],
        reopen: Callable[[], Awaitable[tuple[AsyncH2Stream, EventSigner]]] | None = None,
    ) -> None:
        """Wrap a connected stream whose ConfigurationEvent was sent (use ``connect()``)."""
        self._stream = stream
        self._protocol = protocol
        self._note = note
        self._reopen = reopen
        self._send_lock = asyncio.Lock()
        self._changed = asyncio.Condition()
        self.generation = 0
        self.closed = False

    def __repr__(self) -> str:
        return f"AsyncScribeStreamSession(session_id={self.session_id!r})"

    @property
    def session_id(self) -> str:
        """The session's UUID."""
        assert self._protocol.config.session_id is not None
        return self._protocol.config.session_id

    @property
    def transcript(self) -> Transcript:
        """The final segments received so far, each once, in order."""
        return self._protocol.transcript

    async def send_audio(self, chunk: bytes) -> None:
        """Send one chunk (at most one second of audio), signed."""
        async with self._send_lock:
            await self._stream.send(self._protocol.audio(bytes(chunk)))

    async def end(self) -> None:
        """Send ``END_OF_SESSION`` and the signed end frame."""
        async with self._send_lock:
            await self._stream.send(self._protocol.end_of_session())
            await self._stream.end_request()

    async def pause(self) -> None:
        """End this connection's input without ``END_OF_SESSION`` (the session can be resumed)."""
        async with self._send_lock:
            await self._stream.send(self._protocol.pause())
            await self._stream.end_request()

    async def resume(self) -> None:
        """Reconnect after a dropped connection, with the same session id (see the sync session)."""
        if self._reopen is None:
            raise ProtocolError("this session was not made by connect(): it cannot reconnect")
        async with self._send_lock:
            await self._stream.close()
            stream, signer = await self._reopen()
            try:
                for frame in self._protocol.resume(signer):
                    await stream.send(frame)
            except BaseException:
                await stream.close()
                raise
            self._stream = stream
        async with self._changed:
            self.generation += 1
            self._changed.notify_all()

    async def wait_for_resume(self, generation: int) -> bool:
        """Wait until the session has reconnected since ``generation`` (False: it was closed)."""
        async with self._changed:
            await self._changed.wait_for(lambda: self.generation != generation or self.closed)
            return self.generation != generation

    async def __aiter__(self) -> AsyncIterator[ScribeTranscriptEvent]:
        """Transcript events until the service ends the stream (errors as the sync session)."""
        while (message := await self._stream.next_message()) is not None:
            event = self._protocol.handle(message)
            if event is not None:
                yield event

    async def note(self, *, timeout: float = 600.0, poll_interval: float = 2.0) -> ClinicalNote:
        """Wait for the clinical note (after :meth:`end`) and return it."""
        return await self._note(self.session_id, timeout=timeout, poll_interval=poll_interval)

    async def close(self) -> None:
        """Close the connection (idempotent)."""
        await self._stream.close()
        async with self._changed:
            self.closed = True
            self._changed.notify_all()

    async def __aenter__(self) -> AsyncScribeStreamSession:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()


class AsyncScribeTranscription:
    """``transcribe()``'s result (asyncio): ``async for`` the events; then ``transcript``, ``note()``."""

    def __init__(
        self,
        session: AsyncScribeStreamSession,
        source: AudioSource,
        pacer: Pacer,
        *,
        max_resumes: int = 3,
        on_resume: Callable[[int], None] | None = None,
    ) -> None:
        """Stream ``source`` into ``session`` once iteration starts (see the sync twin)."""
        self._session = session
        self._source = source
        self._pacer = pacer
        self._error: BaseException | None = None
        self._max_resumes = max_resumes
        self._on_resume = on_resume
        self.resumes = 0

    @property
    def session_id(self) -> str:
        """The session's UUID."""
        return self._session.session_id

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
                generation = self._session.generation
                try:
                    await self._session.send_audio(chunk)
                except ConnectionError:
                    # The chunk is in the replay buffer; the iterating task reconnects and resends it.
                    if self._max_resumes <= 0 or not await self._session.wait_for_resume(generation):
                        raise
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
            while True:
                try:
                    async for event in self._session:
                        yield event
                    break
                except ConnectionError:
                    if self._error is not None:
                        raise self._error from None
                    if self.resumes >= self._max_resumes:
                        raise
                    self.resumes += 1
                    await self._session.resume()
                    if self._on_resume is not None:
                        self._on_resume(self.resumes)
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
