"""The sync HealthScribe session: ``client.scribe.streaming.connect()`` and ``transcribe()``.

:class:`ScribeStreamSession` is the live session (send audio, end, iterate events). It resumes a
dropped connection by itself, with the same session id (the ConfigurationEvent first, then the
audio the service did not keep), whichever thread notices the drop, and keeps a silent session
open with PCM silence (:mod:`.keepalive`) on a keep-alive thread. :class:`ScribeTranscription`
streams an audio source on a sender thread while the caller iterates the events, like the medical
side's sync driver; no asyncio loop is involved.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import TYPE_CHECKING, Final

from transcribe_medical._exceptions import ConnectionError, ProtocolError, TimeoutError, TranscribeMedicalError
from transcribe_medical._logging import get_logger
from transcribe_medical.models.transcript import Transcript
from transcribe_medical.scribe.streaming.event_signing import EventSigner
from transcribe_medical.scribe.streaming.h2_sync import SyncH2Stream
from transcribe_medical.scribe.streaming.keepalive import (
    DEFAULT_KEEPALIVE_INTERVAL,
    KeepAliveTimer,
    check_keepalive_interval,
)
from transcribe_medical.scribe.streaming.protocol import ScribeSessionProtocol, ScribeTranscriptEvent
from transcribe_medical.streaming.audio import AudioSource, Pacer

if TYPE_CHECKING:
    from transcribe_medical.scribe.note import ClinicalNote

__all__ = ["ScribeStreamSession", "ScribeTranscription"]

_log = get_logger("scribe.streaming")

#: How long a resume waits for the dropped connection's last bytes to be decoded (its finals
#: say which audio the service kept). A broken socket reports itself at once; this bounds the rest.
DRAIN_TIMEOUT_S: Final = 10.0


def cannot_resume(error: ConnectionError, protocol: ScribeSessionProtocol) -> ConnectionError:
    """The drop, saying why the session could not be resumed."""
    why = "END_OF_SESSION was sent" if protocol.session_ended else "its audio cannot be replayed (not PCM, or too much)"
    failure = ConnectionError(f"{error} (HealthScribe session {protocol.config.session_id} cannot resume: {why})")
    failure.__cause__ = error
    return failure


class ScribeStreamSession:
    """A live HealthScribe session (sync). Use it as a context manager.

    Sending and iterating may happen in two threads at once. A dropped connection is resumed by
    whichever of them notices it (at most ``max_resumes`` times): the finals the old connection
    delivered are read first, then a new connection with the same session id sends the
    ConfigurationEvent and the audio after the last final, so nothing is lost or heard twice.
    While the caller sends nothing, PCM silence keeps the session open (``keepalive_interval``).

    Example:
        >>> with client.scribe.streaming.connect(config) as session:   # doctest: +SKIP
        ...     session.send_audio(chunk)
        ...     session.end()
        ...     for event in session:
        ...         print(event.segment.speaker, event.segment.text)

    Attributes:
        resumes: Dropped connections resumed so far.
        silence_sent: Seconds of keep-alive silence sent so far.
        generation: Increases with each new connection.
    """

    def __init__(
        self,
        stream: SyncH2Stream,
        protocol: ScribeSessionProtocol,
        note: Callable[..., ClinicalNote],
        reopen: Callable[[], tuple[SyncH2Stream, EventSigner]] | None = None,
        *,
        max_resumes: int = 3,
        on_resume: Callable[[int], None] | None = None,
        keepalive_interval: float | None = DEFAULT_KEEPALIVE_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Wrap a connected stream whose ConfigurationEvent was sent (use ``connect()``).

        Args:
            stream: The first connection.
            protocol: The session's sans-I/O state.
            note: Fetches the note (``client.scribe.streaming.note``).
            reopen: Opens a new connection for the session (``None``: never resume).
            max_resumes: Dropped connections resumed at most (0: fail on the first).
            on_resume: Called with the resume count after each reconnection.
            keepalive_interval: Seconds without a send before silence is sent (PCM; ``None``: off).
            clock: Monotonic clock of the keep-alive.
        """
        self._stream = stream
        self._protocol = protocol
        self._note = note
        self._reopen = reopen
        self._max_resumes = max_resumes
        self._on_resume = on_resume
        self._clock = clock
        # Lock order: _send_lock, then _state_lock. _send_lock is held for a whole send (and a
        # whole resume, so nothing is sent on a connection being replaced); re-entrant because
        # a failed send resumes from inside it. _state_lock keeps each step of the protocol's
        # state (signer chain, replay buffer, segments) whole and is never held across I/O.
        self._send_lock = threading.RLock()
        self._state_lock = threading.Lock()
        self._changed = threading.Condition()
        self._pending: deque[ScribeTranscriptEvent] = deque()  # read from a replaced connection
        self._failure: BaseException | None = None
        self._input_done = False
        self.generation = 0
        self.resumes = 0
        self.silence_sent = 0.0
        self.closed = False
        interval = check_keepalive_interval(keepalive_interval)
        pcm = protocol.replay.bytes_per_second is not None
        self._timer = KeepAliveTimer(interval if pcm else None, clock())
        self._keeper: threading.Thread | None = None
        if self._timer.interval is not None:
            self._keeper = threading.Thread(
                target=self._keep_alive, name="transcribe-medical-scribe-keepalive", daemon=True
            )
            self._keeper.start()

    def __repr__(self) -> str:
        return f"ScribeStreamSession(session_id={self.session_id!r}, resumes={self.resumes})"

    @property
    def session_id(self) -> str:
        """The session's UUID (resume or describe it with this)."""
        assert self._protocol.config.session_id is not None
        return self._protocol.config.session_id

    @property
    def transcript(self) -> Transcript:
        """The final segments received so far, each once, in order."""
        with self._state_lock:
            return self._protocol.transcript

    # ------------------------------------------------------------------ sending

    def _check_open(self, what: str) -> None:
        if self._failure is not None:
            raise self._failure
        if self._input_done or self.closed:
            raise ProtocolError(f"{what} called on a HealthScribe session whose input has ended")

    def _sent(self) -> None:
        # The keep-alive is not woken: when its wait ends it finds the timer reset and waits again.
        self._timer.reset(self._clock())

    def _send_audio(self, chunk: bytes) -> None:
        # With _send_lock held. The chunk enters the replay buffer as it is signed, so a resume
        # started by this failure (or by the reader) sends it again.
        generation = self.generation
        with self._state_lock:
            frame = self._protocol.audio(chunk)
        try:
            self._stream.send(frame)
        except ConnectionError as error:
            self._recover(generation, error)
        self._sent()

    def send_audio(self, chunk: bytes) -> None:
        """Send one chunk (at most one second of audio), signed; a dropped connection is resumed.

        Raises:
            TranscribeMedicalError: The stream failed and could not be resumed.
        """
        if not chunk:
            return
        with self._send_lock:
            self._check_open("send_audio()")
            if rest := self._timer.rest_of_pause(self._clock()):
                self._send_silence(rest)
            self._send_audio(bytes(chunk))

    def _finish_input(self, *, end_of_session: bool) -> None:
        with self._send_lock:
            self._check_open("end()" if end_of_session else "pause()")
            self._input_done = True
            with self._changed:
                self._changed.notify_all()  # the keep-alive stops
            for attempt in range(2):
                generation = self.generation
                with self._state_lock:
                    frames = self._protocol.end_of_session() if end_of_session else self._protocol.pause()
                try:
                    self._stream.send(frames)
                    self._stream.end_request()
                except ConnectionError as error:
                    if attempt:
                        raise
                    # Not known to have arrived: resume, then say it again on the new connection.
                    self._recover(generation, error)
                    continue
                break
            with self._state_lock:
                self._protocol.input_ended(end_of_session=end_of_session)

    def end(self) -> None:
        """Send ``END_OF_SESSION`` and the signed end frame: the note starts; no resuming after."""
        self._finish_input(end_of_session=True)

    def pause(self) -> None:
        """End this connection's input without ``END_OF_SESSION``: the session can be resumed."""
        self._finish_input(end_of_session=False)

    # ------------------------------------------------------------------ resuming

    def resume(self) -> None:
        """Reconnect now, with the same session id (a dropped connection is resumed by itself).

        The new connection sends the ConfigurationEvent first, then the audio after the last
        final segment (the service drops a dropped stream's unfinished audio), so nothing is lost
        or heard twice. Segments already received are not added again.

        Raises:
            ConnectionError: The session cannot be resumed (END_OF_SESSION was sent, the audio
                is not PCM, or more audio than the replay buffer holds is unconfirmed).
            TranscribeMedicalError: The new connection failed.
        """
        with self._send_lock:
            self._recover(self.generation, ConnectionError("resume() was called"), counted=False)

    def _recover(self, generation: int, error: ConnectionError, *, counted: bool = True) -> None:
        """Replace the connection of ``generation``, which dropped with ``error``; raise if it cannot be."""
        with self._send_lock:
            if self.generation != generation:
                return  # another thread resumed it already
            if self._failure is not None:
                raise self._failure
            if self.closed:
                raise error
            try:
                while True:
                    if self._reopen is None:
                        raise error
                    self._take_last_messages()
                    if self._failure is not None:
                        # The reading thread took an exception event (why the connection ended)
                        # before this thread could: that error ends the session, not a resume.
                        raise self._failure
                    if not self._protocol.resumable:
                        raise cannot_resume(error, self._protocol)
                    if counted and self.resumes >= self._max_resumes:
                        raise error
                    self._stream.close()
                    try:
                        self._reconnect()
                    except ConnectionError as again:
                        error = again  # dropped again while replaying: another resume, counted
                        counted = True
                        self.resumes += counted
                        continue
                    break
            except BaseException as failure:
                self._failure = failure
                self._stream.close()
                with self._changed:
                    self._changed.notify_all()
                raise
            self.resumes += counted
            with self._changed:
                self.generation += 1
                self._timer.reset(self._clock())
                self._changed.notify_all()
            _log.info("HealthScribe session resumed on a new connection (%d)", self.resumes)
        if self._on_resume is not None and counted:
            self._on_resume(self.resumes)

    def _take_last_messages(self) -> None:
        # What the old connection delivered before it dropped says which audio the service kept.
        old = self._stream
        old.wait_finished(DRAIN_TIMEOUT_S)
        with self._state_lock:
            while True:
                try:
                    message, _ended = old.poll_message()
                except TranscribeMedicalError:
                    return
                if message is None:
                    return
                event = self._protocol.handle(message)  # an exception event is raised here
                if event is not None:
                    self._pending.append(event)

    def _reconnect(self) -> None:
        assert self._reopen is not None
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

    def wait_for_resume(self, generation: int, timeout: float | None = None) -> bool:
        """Wait until the session has reconnected since ``generation`` (False: closed or timed out)."""
        with self._changed:
            return self._changed.wait_for(lambda: self.generation != generation or self.closed, timeout) and (
                self.generation != generation
            )

    # ------------------------------------------------------------------ keep-alive

    def _keep_alive(self) -> None:
        while True:
            with self._changed:
                if self.closed or self._input_done or self._failure is not None:
                    return
                due = self._timer.due_in(self._clock())
                if due is None:
                    return
                if due > 0:
                    self._changed.wait(due)  # woken early by end() and close()
                    continue
            with self._send_lock:
                now = self._clock()
                idle = self._timer.idle(now)
                if self.closed or self._input_done or self._failure is not None:
                    return
                if self._timer.interval is None or idle < self._timer.interval:
                    continue  # the caller sent meanwhile
                try:
                    self._send_silence(idle)
                    # The silence stands for the pause up to `now`: the time its write took is
                    # still owed (by the next silence, or before the audio that ends the pause).
                    self._timer.silenced(now)
                except BaseException as error:  # the caller's next send or read reports it
                    if self._failure is None:
                        self._failure = error
                    _log.debug("keep-alive silence could not be sent (%s)", type(error).__name__)
                    return

    def _send_silence(self, seconds: float) -> None:
        _log.debug("no audio for %.1f s: sending silence to keep the HealthScribe session open", seconds)
        with self._state_lock:
            chunks = self._protocol.silence(seconds)
        for chunk in chunks:
            self._send_audio(chunk)
        self.silence_sent += sum(len(chunk) for chunk in chunks) / (self._protocol.replay.bytes_per_second or 1)

    # ------------------------------------------------------------------ receiving

    def __iter__(self) -> Iterator[ScribeTranscriptEvent]:
        """Transcript events until the service ends the stream (across resumed connections).

        Raises:
            ServiceError: An exception event (BadRequestException, ...).
            CredentialsError: A refused signature.
            ConnectionError: The connection dropped and could not be resumed.
        """
        while True:
            with self._state_lock:
                if self._pending:
                    event: ScribeTranscriptEvent | None = self._pending.popleft()
                    stream = None
                else:
                    event, stream, generation = None, self._stream, self.generation
            if event is not None:
                yield event
                continue
            assert stream is not None
            try:
                stream.wait_message()
            except TimeoutError:
                if self._input_done or self.closed:
                    raise
                continue  # nothing to say yet while audio (or keep-alive silence) still flows
            dropped: ConnectionError | None = None
            with self._state_lock:
                if self._pending or generation != self.generation:
                    continue  # resumed meanwhile: what the old connection held was taken
                try:
                    message, ended = stream.poll_message()
                except ConnectionError as error:
                    dropped, message, ended = error, None, False
                except BaseException as error:
                    self._failure = self._failure or error
                    raise
                if message is not None:
                    try:
                        event = self._protocol.handle(message)
                    except BaseException as error:
                        self._failure = self._failure or error
                        raise
            if dropped is not None:
                if self._failure is not None:
                    raise self._failure
                self._recover(generation, dropped)
            elif ended:
                return
            elif event is not None:
                yield event

    def note(self, *, timeout: float = 600.0, poll_interval: float = 2.0) -> ClinicalNote:
        """Wait for the clinical note (after :meth:`end`) and return it."""
        return self._note(self.session_id, timeout=timeout, poll_interval=poll_interval)

    def close(self) -> None:
        """Close the connection (idempotent); the keep-alive stops."""
        with self._changed:
            self.closed = True
            self._changed.notify_all()
        self._stream.close()
        keeper = self._keeper
        if keeper is not None and keeper is not threading.current_thread():
            keeper.join(timeout=DRAIN_TIMEOUT_S)

    def __enter__(self) -> ScribeStreamSession:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class ScribeTranscription:
    """``transcribe()``'s result: iterate the events; then :attr:`transcript` and :meth:`note`.

    The audio is sent on a background thread, paced in real time unless ``realtime=False``; the
    session resumes a dropped connection and keeps a stalled live source's session open.
    """

    def __init__(self, session: ScribeStreamSession, source: AudioSource, pacer: Pacer) -> None:
        """Stream ``source`` into ``session`` once iteration starts.

        Args:
            session: The connected session (its ``max_resumes`` and ``on_resume`` apply).
            source: The audio.
            pacer: Real-time pacing (or none).
        """
        self._session = session
        self._source = source
        self._pacer = pacer
        self._stop = threading.Event()
        self._error: BaseException | None = None
        self._sender = threading.Thread(target=self._send, name="transcribe-medical-scribe-audio", daemon=True)

    @property
    def session_id(self) -> str:
        """The session's UUID."""
        return self._session.session_id

    @property
    def session(self) -> ScribeStreamSession:
        """The live session."""
        return self._session

    @property
    def resumes(self) -> int:
        """Dropped connections resumed so far."""
        return self._session.resumes

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
                self._session.send_audio(chunk)
            if not self._stop.is_set():
                self._session.end()
        except BaseException as error:  # re-raised in the iterating thread
            self._error = error
            self._session.close()  # wakes the reader so the iterating thread sees the failure

    def __iter__(self) -> Iterator[ScribeTranscriptEvent]:
        """Send the audio and yield transcript events until the service ends the stream."""
        self._sender.start()
        try:
            try:
                yield from self._session
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
