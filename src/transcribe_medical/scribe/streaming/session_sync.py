"""The sync HealthScribe session: ``client.scribe.streaming.connect()`` and ``transcribe()``.

:class:`ScribeStreamSession` is the live session (send audio, end, iterate events).
:class:`ScribeTranscription` streams an audio source on a sender thread while the caller
iterates the events, like the medical side's sync driver; no asyncio loop is involved.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import TYPE_CHECKING

from transcribe_medical._exceptions import ConnectionError, ProtocolError, TranscribeMedicalError
from transcribe_medical.models.transcript import Transcript
from transcribe_medical.scribe.streaming.event_signing import EventSigner
from transcribe_medical.scribe.streaming.h2_sync import SyncH2Stream
from transcribe_medical.scribe.streaming.protocol import ScribeSessionProtocol, ScribeTranscriptEvent
from transcribe_medical.streaming.audio import AudioSource, Pacer

if TYPE_CHECKING:
    from transcribe_medical.scribe.note import ClinicalNote

__all__ = ["ScribeStreamSession", "ScribeTranscription"]


class ScribeStreamSession:
    """A live HealthScribe session (sync). Use it as a context manager.

    Example:
        >>> with client.scribe.streaming.connect(config) as session:   # doctest: +SKIP
        ...     session.send_audio(chunk)
        ...     session.end()
        ...     for event in session:
        ...         print(event.segment.speaker, event.segment.text)
    """

    def __init__(
        self,
        stream: SyncH2Stream,
        protocol: ScribeSessionProtocol,
        note: Callable[..., ClinicalNote],
        reopen: Callable[[], tuple[SyncH2Stream, EventSigner]] | None = None,
    ) -> None:
        """Wrap a connected stream whose ConfigurationEvent was sent (use ``connect()``)."""
        self._stream = stream
        self._protocol = protocol
        self._note = note
        self._reopen = reopen
        self._send_lock = threading.Lock()
        # The protocol's state (signer chain, replay buffer, segments) is touched by the sending
        # and the iterating thread; this lock keeps each step whole. Never held across I/O.
        self._state_lock = threading.Lock()
        self._changed = threading.Condition()
        self.generation = 0
        self.closed = False

    def __repr__(self) -> str:
        return f"ScribeStreamSession(session_id={self.session_id!r})"

    @property
    def session_id(self) -> str:
        """The session's UUID (resume or describe it with this)."""
        assert self._protocol.config.session_id is not None
        return self._protocol.config.session_id

    @property
    def transcript(self) -> Transcript:
        """The final segments received so far, each once, in order."""
        return self._protocol.transcript

    def send_audio(self, chunk: bytes) -> None:
        """Send one chunk (at most one second of audio), signed.

        Raises:
            TranscribeMedicalError: The stream failed.
        """
        with self._send_lock:
            with self._state_lock:
                frame = self._protocol.audio(bytes(chunk))
            self._stream.send(frame)

    def end(self) -> None:
        """Send ``END_OF_SESSION`` and the signed end frame: the note starts; no resuming after."""
        with self._send_lock:
            with self._state_lock:
                frames = self._protocol.end_of_session()
            self._stream.send(frames)
            self._stream.end_request()

    def pause(self) -> None:
        """End this connection's input without ``END_OF_SESSION``: the session can be resumed."""
        with self._send_lock:
            with self._state_lock:
                frame = self._protocol.pause()
            self._stream.send(frame)
            self._stream.end_request()

    def resume(self) -> None:
        """Reconnect after a dropped connection, with the same session id.

        The new connection sends the ConfigurationEvent first, then the audio after the last
        final segment (the service drops a dropped stream's unfinished audio), so nothing is lost
        or heard twice. Segments already received are not added again.

        Raises:
            ConnectionError: The session cannot be resumed (END_OF_SESSION was sent, the audio
                is not PCM, or more audio than the replay buffer holds is unconfirmed).
            TranscribeMedicalError: The new connection failed.
        """
        if self._reopen is None:
            raise ProtocolError("this session was not made by connect(): it cannot reconnect")
        with self._send_lock:
            self._stream.close()
            stream, signer = self._reopen()
            try:
                frames = self._protocol.resume(signer)
                while True:
                    with self._state_lock:
                        frame = next(frames, None)
                    if frame is None:
                        break
                    stream.send(frame)
            except BaseException:
                stream.close()
                raise
            self._stream = stream
        with self._changed:
            self.generation += 1
            self._changed.notify_all()

    def wait_for_resume(self, generation: int, timeout: float | None = None) -> bool:
        """Wait until the session has reconnected since ``generation`` (False: closed or timed out)."""
        with self._changed:
            return self._changed.wait_for(lambda: self.generation != generation or self.closed, timeout) and (
                self.generation != generation
            )

    def __iter__(self) -> Iterator[ScribeTranscriptEvent]:
        """Transcript events until the service ends the stream.

        Raises:
            ServiceError: An exception event (BadRequestException, ...).
            CredentialsError: A refused signature.
            ConnectionError: The connection dropped.
        """
        while (message := self._stream.next_message()) is not None:
            with self._state_lock:
                event = self._protocol.handle(message)
            if event is not None:
                yield event

    def note(self, *, timeout: float = 600.0, poll_interval: float = 2.0) -> ClinicalNote:
        """Wait for the clinical note (after :meth:`end`) and return it."""
        return self._note(self.session_id, timeout=timeout, poll_interval=poll_interval)

    def close(self) -> None:
        """Close the connection (idempotent)."""
        self._stream.close()
        with self._changed:
            self.closed = True
            self._changed.notify_all()

    def __enter__(self) -> ScribeStreamSession:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class ScribeTranscription:
    """``transcribe()``'s result: iterate the events; then :attr:`transcript` and :meth:`note`.

    The audio is sent on a background thread, paced in real time unless ``realtime=False``.
    """

    def __init__(
        self,
        session: ScribeStreamSession,
        source: AudioSource,
        pacer: Pacer,
        *,
        max_resumes: int = 3,
        on_resume: Callable[[int], None] | None = None,
    ) -> None:
        """Stream ``source`` into ``session`` once iteration starts.

        Args:
            session: The connected session.
            source: The audio.
            pacer: Real-time pacing (or none).
            max_resumes: Dropped connections resumed at most (0: fail on the first drop).
            on_resume: Called with the resume count after each reconnection.
        """
        self._session = session
        self._source = source
        self._pacer = pacer
        self._resume = max_resumes > 0
        self._max_resumes = max_resumes
        self._on_resume = on_resume
        self.resumes = 0
        self._stop = threading.Event()
        self._error: BaseException | None = None
        self._sender = threading.Thread(target=self._send, name="transcribe-medical-scribe-audio", daemon=True)

    @property
    def session_id(self) -> str:
        """The session's UUID."""
        return self._session.session_id

    @property
    def transcript(self) -> Transcript:
        """The final segments, each once, in order (complete once iteration has finished)."""
        return self._session.transcript

    def _send(self) -> None:
        try:
            for chunk in self._source.chunks():
                delay = self._pacer.delay_for(len(chunk), time.monotonic())
                if delay and self._stop.wait(delay):
                    return
                if self._stop.is_set():
                    return
                generation = self._session.generation
                try:
                    self._session.send_audio(chunk)
                except ConnectionError:
                    # The chunk is in the replay buffer: the iterating thread reconnects and sends
                    # it again. Wait for that, then go on with the next chunk.
                    if not self._resume or not self._session.wait_for_resume(generation):
                        raise
            self._session.end()
        except BaseException as error:  # re-raised in the iterating thread
            self._error = error
            self._session.close()  # wakes the reader so the iterating thread sees the failure

    def __iter__(self) -> Iterator[ScribeTranscriptEvent]:
        """Send the audio and yield transcript events until the service ends the stream."""
        self._sender.start()
        try:
            while True:
                try:
                    yield from self._session
                    break
                except ConnectionError:
                    if self._error is not None:
                        raise self._error from None
                    if self.resumes >= self._max_resumes:
                        raise
                    self.resumes += 1
                    self._session.resume()
                    if self._on_resume is not None:
                        self._on_resume(self.resumes)
                except TranscribeMedicalError:
                    if self._error is not None:
                        raise self._error from None
                    raise
            self._sender.join()
            if self._error is not None:
                raise self._error
        finally:
            self._stop.set()
            self._session.close()

    def run(self) -> Transcript:
        """Drain the events and return the transcript."""
        for _ in self:
            pass
        return self.transcript

    def note(self, *, timeout: float = 600.0, poll_interval: float = 2.0) -> ClinicalNote:
        """Wait for the clinical note and return it (iterate first: the note starts at the end)."""
        return self._session.note(timeout=timeout, poll_interval=poll_interval)
