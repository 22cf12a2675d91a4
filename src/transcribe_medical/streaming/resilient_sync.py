"""The synchronous driver of a resilient stream: :class:`ResilientTranscription`.

It moves audio and events between an audio source, :class:`~.sync_client.StreamConnection`\\ s
and the sans-I/O :class:`~.resilient.ResilientSession`, which decides what to replay, how to shift
times and which finals are new. Three roles, no asyncio loop:

* a *reader* thread pulls chunks from the source into a small queue, so that a source that blocks
  (a stalled producer) never stops the keep-alive;
* a *sender* thread paces the chunks, sends them, sends silence (PCM) or closes the stream
  (compressed) when no audio came for ``keepalive_interval``, and rolls over before the 4 h cap;
* the caller's thread iterates the events and, when a session fails, reconnects with a fresh
  presign and replays the buffered audio. ``on_reconnect`` is called from this thread.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Final

from transcribe_medical._exceptions import ConnectionError, TranscribeMedicalError
from transcribe_medical._logging import get_logger
from transcribe_medical.models.events import TranscriptEvent
from transcribe_medical.models.transcript import Transcript
from transcribe_medical.streaming._iteration import EventIteration, SourceEnd, SourceFailure, SourceItem
from transcribe_medical.streaming.protocol import StreamState
from transcribe_medical.streaming.resilient import (
    FailureDecision,
    ReconnectEvent,
    ResilientSession,
    failure_reason,
)

if TYPE_CHECKING:
    from transcribe_medical.models.stream import StreamConfig
    from transcribe_medical.streaming.audio import AudioSource, Pacer
    from transcribe_medical.streaming.sync_client import StreamConnection

__all__ = ["ResilientTranscription"]

_log = get_logger("streaming.resilient")

_QUEUE_CHUNKS: Final = 32
_READER_JOIN_S: Final = 1.0


class ResilientTranscription(EventIteration):
    """A stream fed from an audio source that survives dropped connections and service faults.

    Returned by :meth:`StreamingClient.transcribe
    <transcribe_medical.streaming.client.StreamingClient.transcribe>` (reconnection is on by
    default). Iterate it for :class:`~transcribe_medical.TranscriptEvent`\\ s, with times in stream
    time across reconnects and each final once; ``.transcript`` is the transcript so far;
    ``.reconnects`` lists the :class:`~.resilient.ReconnectEvent`\\ s.

    A file is re-read after a reconnect from the last final result, however far back; a live
    source is replayed from its buffer, and the audio an outage outran is named in
    ``.transcript.gaps`` (``.transcript.incomplete`` is then true).

    Example:
        >>> with client.streaming.transcribe("visit.wav", config,             # doctest: +SKIP
        ...                                  on_reconnect=lambda e: print(e.describe())) as events:
        ...     for event in events:
        ...         ...
        ...     transcript = events.transcript
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
    ) -> None:
        """Start sending ``source`` over ``connection`` (already open, for the session's first id).

        Args:
            connection: The first session's connection.
            resilient: The stream's sans-I/O state.
            source: The audio.
            pacer: Real-time pacing of the source.
            open_session: Opens one connection for a config, presigning it afresh (one attempt).
            clock: Monotonic clock (pacing, keep-alive, rollover).
            sleep: How to wait between chunks and before reconnecting.
            on_reconnect: Called with each :class:`ReconnectEvent`.
        """
        self._resilient = resilient
        self._open_session = open_session
        self._source = source
        self._pacer = pacer
        self._clock = clock or time.monotonic
        self._wake = threading.Event()
        self._sleep = sleep or self._wake.wait
        self._on_reconnect = on_reconnect
        self.reconnects: list[ReconnectEvent] = []
        # _send_lock orders sends and connection swaps; _state guards the sans-I/O session and
        # the flags below (lock order: _send_lock, then _state).
        self._send_lock = threading.Lock()
        self._state = threading.Condition()
        self._connection = connection
        self._sendable = True  # the current connection takes audio (not ended, not closed by us)
        self._suspended = False  # compressed audio paused: the connection was closed on purpose
        self._rolling_over = False
        self._audio_done = False
        self._finish_requested = False
        self._stopping = False
        self._source_error: BaseException | None = None
        self._suspended_mark = 0  # audio accepted when the compressed stream was closed for a pause
        replay = resilient.begin_session(connection.session_id, self._clock())
        assert not replay.size  # nothing was accepted before the first session
        self._queue: queue.Queue[SourceItem] = queue.Queue(maxsize=_QUEUE_CHUNKS)
        self._events = self._receive()
        self._reader, self._sender = self._start_workers()

    def _start_workers(self) -> tuple[threading.Thread, threading.Thread]:
        """Start the threads that feed the stream: the source reader and the sender."""
        reader = threading.Thread(target=self._read_source, name="transcribe-medical-reader", daemon=True)
        sender = threading.Thread(target=self._send_all, name="transcribe-medical-sender", daemon=True)
        reader.start()
        sender.start()
        return reader, sender

    def __repr__(self) -> str:
        return f"ResilientTranscription(session_id={self.session_id!r}, reconnects={len(self.reconnects)})"

    def _join_sender(self) -> None:
        self._sender.join()

    @property
    def session_id(self) -> str:
        """The id of the current session (a new one after each reconnect)."""
        return self._resilient.session_id

    @property
    def session_ids(self) -> list[str]:
        """Every session id used, first first."""
        with self._state:
            return list(self._resilient.session_ids)

    @property
    def transcript(self) -> Transcript:
        """The transcript of the final results received so far, across reconnects."""
        with self._state:
            return self._resilient.transcript

    def finish_audio(self) -> None:
        """Stop reading the source, end the stream, and keep receiving the last results."""
        self._finish_requested = True
        with contextlib.suppress(queue.Full):
            self._queue.put_nowait(SourceEnd())

    def close(self) -> None:
        """Stop sending, close the connection and wait for the sender thread."""
        self._stop()

    def _stop(self) -> None:
        self._stopping = True
        self._wake.set()
        with self._state:
            self._state.notify_all()
            connection = self._connection
        connection.close()
        current = threading.current_thread()
        if self._sender is not current:
            self._sender.join()
        if self._reader is not current:
            self._reader.join(_READER_JOIN_S)  # a source blocked in a read cannot be interrupted

    # -- the reader thread ---------------------------------------------------------------------

    def _read_source(self) -> None:
        item: SourceItem = SourceEnd()
        chunks: Iterator[bytes] | None = None
        try:
            chunks = iter(self._source.chunks())
            for chunk in chunks:
                if self._stopping or self._finish_requested:
                    break
                self._put(chunk)
        except BaseException as error:
            item = SourceFailure(error)
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                with contextlib.suppress(Exception):
                    close()
        self._put(item)

    def _put(self, item: SourceItem) -> None:
        while not self._stopping:
            try:
                self._queue.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    # -- the sender thread ---------------------------------------------------------------------

    def _send_all(self) -> None:
        interval = self._resilient.policy.keepalive_interval if self._resilient.policy.enabled else None
        last_audio = self._clock()
        try:
            while not (self._stopping or self._finish_requested):
                try:
                    item = self._queue.get(timeout=interval)
                except queue.Empty:
                    self._keep_alive(self._clock() - last_audio)
                    last_audio = self._clock()
                    continue
                if isinstance(item, SourceEnd):
                    break
                if isinstance(item, SourceFailure):
                    self._source_failed(item.error)
                    return
                delay = self._pacer.delay_for(len(item), self._clock())
                if delay > 0:
                    self._sleep(delay)
                    if self._stopping:
                        return
                self._send_chunk(item)
                last_audio = self._clock()
                self._roll_over_if_due()
            if not self._stopping:
                self._end_audio()
        except BaseException as error:
            _log.debug("the sender stopped: %s", type(error).__name__)

    def _send_chunk(self, chunk: bytes, *, synthetic: bool = False) -> TranscribeMedicalError | None:
        """Send (or buffer) a chunk; return the error if the send failed (the receiver judges it).

        ``synthetic`` marks keep-alive silence (not read from the source).
        """
        with self._send_lock:
            with self._state:
                self._resilient.accept_audio(chunk, synthetic=synthetic)
                if self._suspended:
                    self._state.notify_all()  # audio resumed: the receiver reopens the stream
                    return None
                connection = self._connection if self._sendable else None
            if connection is not None:
                try:
                    connection.send_audio(chunk)
                except TranscribeMedicalError as error:
                    # The receiving side reconnects; the chunk is in the replay buffer.
                    _log.debug("a send failed: %s", type(error).__name__)
                    return error
        return None

    def _keep_alive(self, idle: float) -> None:
        if self._resilient.compressed:
            with self._send_lock, self._state:
                if not self._sendable or self._suspended:
                    return
                self._suspended = True
                self._sendable = False
                self._suspended_mark = self._resilient.accepted_bytes
                connection = self._connection
            _log.info("no audio for %.1f s: closing the compressed stream until audio resumes", idle)
            connection.close()
            return
        _log.debug("no audio for %.1f s: sending silence to keep the stream open", idle)
        self._send_chunk(self._resilient.silence(idle), synthetic=True)

    def _roll_over_if_due(self) -> None:
        with self._send_lock:
            with self._state:
                if not self._sendable or not self._resilient.needs_rollover(self._clock()):
                    return
                self._sendable = False
                self._rolling_over = True
                self._resilient.session_ended()
                connection = self._connection
            _log.info("session %s nears the stream length limit: rolling over", connection.session_id)
            with contextlib.suppress(TranscribeMedicalError):
                connection.end()

    def _end_audio(self) -> None:
        with self._send_lock:
            with self._state:
                self._audio_done = True
                self._state.notify_all()
                connection = self._connection if self._sendable else None
            if connection is not None:
                with contextlib.suppress(TranscribeMedicalError):
                    connection.end()

    def _source_failed(self, error: BaseException) -> None:
        if not self._stopping:
            self._source_error = error
            _log.debug("the audio source failed: %s", type(error).__name__)
            with self._state:
                self._state.notify_all()
                connection = self._connection
            connection.close()

    # -- the caller's thread: events and reconnects --------------------------------------------

    def _receive(self) -> Iterator[TranscriptEvent]:
        while True:
            connection = self._connection
            try:
                for event in connection.events():
                    with self._state:
                        shifted = self._resilient.receive(event)
                    if shifted is not None:
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
                    with self._state:
                        decision = self._resilient.on_failure(error, self._clock())
                    if not decision.reconnect:
                        assert decision.error is not None
                        if decision.error is error:
                            raise
                        raise decision.error from error
                    reason = failure_reason(error)
            self._reconnect(decision, reason)

    def _wait_for_audio(self) -> None:
        with self._state:
            self._state.wait_for(
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
                raise ConnectionError("the stream was closed while reconnecting", transcript=self.transcript)
            previous = self._resilient.session_id
            with self._state:
                session_id = self._resilient.next_session_id()
                config = self._resilient.config_for(session_id)
            connection: StreamConnection | None = None
            try:
                connection = self._open_session(config)
                with self._send_lock:
                    with self._state:
                        replay = self._resilient.begin_session(session_id, self._clock())
                    for piece in replay.chunks():
                        connection.send_audio(piece)
                    with self._state:
                        self._connection = connection
                        self._sendable = True
                        self._suspended = False
                        self._rolling_over = False
                        audio_done = self._audio_done
                    if audio_done and connection.state is StreamState.STREAMING:
                        connection.end()
            except TranscribeMedicalError as error:
                if connection is not None:
                    connection.close()
                with self._state:
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
            _log.info("stream %s → %s: %s", previous, session_id, event.describe())
            if self._on_reconnect is not None:
                self._on_reconnect(event)
            return
