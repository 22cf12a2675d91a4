"""The iteration and context-manager protocol of a transcription, shared by the plain and the
reconnecting drivers (sync and asyncio).

Both kinds read events from the service while a sender works through the audio source; when the
events end, the sender is joined, and an error of the audio source (an unreadable file, a lost
microphone) is raised in preference to the connection error it caused. Whatever error ends the
iteration carries the transcript of the finals received before it (``error.transcript``): across
every session of a reconnecting stream, not only the last one's.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Generator, Iterator
from types import TracebackType
from typing import Any, Self

from transcribe_medical._exceptions import TranscribeMedicalError
from transcribe_medical.models.events import TranscriptEvent
from transcribe_medical.models.transcript import Transcript

__all__ = ["AsyncEventIteration", "EventIteration", "SourceEnd", "SourceFailure", "SourceItem"]


class SourceEnd:
    """Queued by a source reader: the audio source is exhausted."""


class SourceFailure:
    """Queued by a source reader: reading the audio source failed with ``error``."""

    def __init__(self, error: BaseException) -> None:
        self.error = error


#: What a source reader puts on the queue to the sender.
SourceItem = bytes | SourceEnd | SourceFailure


def _keep_transcript(error: BaseException, transcript: Transcript) -> None:
    if isinstance(error, TranscribeMedicalError):
        error.transcript = transcript


class EventIteration:
    """``with``/``for`` over a sync transcription; subclasses provide the hooks below."""

    _events: Iterator[TranscriptEvent]
    _source_error: BaseException | None

    @property
    def transcript(self) -> Transcript:
        """The transcript of the final results received so far."""
        raise NotImplementedError

    def _join_sender(self) -> None:
        raise NotImplementedError

    def _stop(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        """Stop sending and close the connection."""
        raise NotImplementedError

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
            self._join_sender()
            if self._source_error is not None:
                _keep_transcript(self._source_error, self.transcript)
                raise self._source_error from None
            raise
        except BaseException as error:
            self._stop()
            transcript = self.transcript
            _keep_transcript(error, transcript)
            if self._source_error is not None and self._source_error is not error:
                # The audio failed (unreadable file, lost microphone): that is the cause, not the
                # connection we closed because of it.
                _keep_transcript(self._source_error, transcript)
                raise self._source_error from error
            raise


class AsyncEventIteration:
    """``async with``/``async for``/``await`` over an asyncio transcription; subclasses provide the hooks."""

    _source_error: BaseException | None

    @property
    def transcript(self) -> Transcript:
        """The transcript of the final results received so far."""
        raise NotImplementedError

    async def _start(self) -> AsyncIterator[TranscriptEvent]:
        raise NotImplementedError

    async def _join_sender(self) -> None:
        raise NotImplementedError

    async def _stop(self) -> None:
        raise NotImplementedError

    async def aclose(self) -> None:
        """Stop sending and close the connection."""
        raise NotImplementedError

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
        events = await self._start()
        try:
            return await anext(events)
        except StopAsyncIteration:
            await self._join_sender()
            if self._source_error is not None:
                _keep_transcript(self._source_error, self.transcript)
                raise self._source_error from None
            raise
        except BaseException as error:
            await self._stop()
            transcript = self.transcript
            _keep_transcript(error, transcript)
            if self._source_error is not None and self._source_error is not error:
                # The audio failed: that is the cause, not the connection closed because of it.
                _keep_transcript(self._source_error, transcript)
                raise self._source_error from error
            raise
