"""The sans-I/O reconnect policy of a stream: replay buffer, time offsets, dedup, the one transcript.

One logical stream may run over several service sessions (WebSocket connections). Each I/O flavour
has one driver (:mod:`.asyncio.stream`, :mod:`.sync.stream`); a plain stream is that driver with
this policy off (``reconnect=False``). When a session fails — the connection drops, the service
sends ``InternalFailureException``, ``ServiceUnavailableException`` or a throttling
``LimitExceededException``, or the stream nears the service's 4 h cap — the driver opens a new one
with a fresh presign and :class:`ResilientSession` says what to do:

* **replay**: a new session starts at the *commit point* — the end of the last final result
  (earlier if a result is still in progress on another channel) — and is sent the audio from
  there. A source that can be read again (a file: see
  :class:`~transcribe_medical.streaming.audio.RereadableSource`) is re-read from that point,
  however far back it is, and nothing is kept in memory. A live source's audio is kept in a
  bounded buffer (60 s by default) that holds only what no final result covers yet (it is trimmed
  at each final). If an outage outran it, what it holds is replayed, the span it no longer reaches
  is reported as ``lost_seconds`` and recorded in the transcript's ``gaps``.
* **offset**: the new session's times start at 0; every result is shifted by the stream time where
  the session started, so the times stay continuous with the first session.
* **dedup**: a final result (or the words of one) that starts before the end of the finals already
  accepted on its channel is dropped, so no final is emitted twice; partials pass through shifted.

PCM audio has a known byte rate, so the commit point maps to a byte offset. FLAC and Ogg-Opus have
none and cannot be cut at an arbitrary byte: a compressed stream is always replayed from its first
byte (container header included) and the dedup drops what was already final. It can therefore be
resumed only while the whole stream fits in ``compressed_replay_bytes``.

The stream's transcript is held here, once, across its sessions (the sessions' own
:class:`~.protocol.StreamSession`\\ s do not assemble), compactly; ``keep_transcript=False`` holds
none, for a caller that only iterates events.

Example:
    >>> from transcribe_medical._config import RetryPolicy
    >>> session = ResilientSession(StreamConfig(media_encoding="pcm", sample_rate=16000), retry=RetryPolicy())
    >>> session.accept_audio(bytes(32000))                # 1 s of audio
    >>> replay = session.begin_session("2a0c1d2e-0000-4000-8000-000000000001", now=0.0)
    >>> replay.offset, len(replay.audio)                  # nothing final yet: replay it all
    (0.0, 32000)
"""

from __future__ import annotations

import dataclasses
import math
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Final

from transcribe_medical import _limits
from transcribe_medical._config import RetryPolicy
from transcribe_medical._exceptions import (
    ConnectionError,
    LimitExceededError,
    TimeoutError,
    TranscribeMedicalError,
    ValidationError,
)
from transcribe_medical._retry import is_retryable, retry_delay
from transcribe_medical.models.enums import MediaEncoding
from transcribe_medical.models.events import Result, ResultItem, TranscriptEvent
from transcribe_medical.models.stream import StreamConfig
from transcribe_medical.models.transcript import Gap, Transcript, TranscriptAssembler

__all__ = ["FailureDecision", "ReconnectEvent", "ReconnectPolicy", "Replay", "Rereader", "ResilientSession"]

#: Reads the bytes ``[start, end)`` of a source's audio again, in pieces (see ``RereadableSource``).
Rereader = Callable[[int, int], Iterator[bytes]]

_PCM_SAMPLE_BYTES: Final = 2
_TIME_DIGITS: Final = 6
_EPSILON: Final = 1e-6
#: Roll over to a new session this long before the service's 4 h stream cap.
_ROLLOVER_MARGIN_S: Final = 300.0
#: When audio resumes after keep-alive silence, the rest of the pause (since that silence) is sent
#: as silence first, so the stream's timeline keeps pace with the caller's, if it is this long.
KEEPALIVE_TOP_UP_MIN_S: Final = 0.01


@dataclass(frozen=True)
class ReconnectPolicy:
    """How a stream survives faults (``transcribe(..., reconnect=ReconnectPolicy(...))``).

    How many reconnects are tried, and the backoff between them, come from the client's
    :class:`~transcribe_medical.RetryPolicy` (``config.retry``): an outage may use
    ``max_attempts - 1`` reconnects within ``max_elapsed`` seconds. An outage ends only when a new
    session delivers a new final result: a session that merely stays up proves nothing (a peer
    that accepts and then says nothing stays up until the read timeout, every time), so the
    attempts of such sessions add up and a stream that never answers ends.

    Attributes:
        enabled: ``False`` turns reconnection off: the first failure is raised (as ``reconnect=False``).
        replay_seconds: Audio of a live source kept for replay (PCM), in seconds: the most an
            outage may cover without losing audio. A file is re-read instead, however far back.
        compressed_replay_bytes: Bytes of a live FLAC/Ogg-Opus stream kept for replay (replayed
            whole); a compressed file is re-read instead.
        keepalive_interval: Seconds without audio after which a PCM stream is sent silence, or a
            compressed stream is closed to be reopened when audio resumes (well under the service's
            15 s idle timeout). ``None`` disables keep-alive.
        max_session_seconds: Roll over to a new session after this long (the service ends a stream
            at 4 h); counted in audio time or wall time, whichever is larger. PCM only.
        stable_after: A session that lived this long before failing (without a new final
            result) restarts the outage's ``max_elapsed`` window; its attempts still count.
    """

    enabled: bool = True
    replay_seconds: float = 60.0
    compressed_replay_bytes: int = 16 * 1024 * 1024
    keepalive_interval: float | None = 5.0
    max_session_seconds: float = _limits.STREAM_MAX_DURATION_S - _ROLLOVER_MARGIN_S
    stable_after: float = 30.0

    def __post_init__(self) -> None:
        if self.replay_seconds <= 0:
            raise ValidationError(
                f"replay_seconds: {self.replay_seconds!r} is invalid: use > 0", field="replay_seconds"
            )
        if self.compressed_replay_bytes <= 0:
            raise ValidationError(
                f"compressed_replay_bytes: {self.compressed_replay_bytes!r} is invalid: use > 0",
                field="compressed_replay_bytes",
            )
        if self.keepalive_interval is not None and not 0 < self.keepalive_interval < _limits.STREAM_IDLE_TIMEOUT_S:
            raise ValidationError(
                f"keepalive_interval: {self.keepalive_interval!r} is invalid: "
                f"use 0-{_limits.STREAM_IDLE_TIMEOUT_S:g} s (the service's idle timeout) or None",
                field="keepalive_interval",
            )
        if not 0 < self.max_session_seconds <= _limits.STREAM_MAX_DURATION_S:
            raise ValidationError(
                f"max_session_seconds: {self.max_session_seconds!r} is invalid: "
                f"use 0-{_limits.STREAM_MAX_DURATION_S:g} s",
                field="max_session_seconds",
            )

    @classmethod
    def from_option(cls, option: bool | ReconnectPolicy) -> ReconnectPolicy:
        """The policy for a ``reconnect=`` argument: ``True`` (defaults), ``False`` (off) or a policy."""
        if isinstance(option, ReconnectPolicy):
            return option
        return cls(enabled=bool(option))


@dataclass(frozen=True)
class ReconnectEvent:
    """A stream reconnected: reported to ``on_reconnect`` and kept in ``.reconnects``.

    It holds no secret and no transcript text.

    Attributes:
        reason: Why: ``"connection lost"``, an AWS exception code (``"InternalFailureException"``),
            ``"timeout"``, ``"session limit"`` (4 h rollover) or ``"idle"`` (compressed audio paused).
        attempt: The reconnect's number within this outage (1 for the first).
        previous_session_id: The session that ended.
        session_id: The new session (a fresh UUID on each reconnect).
        resume_time: Stream time, in seconds, where the new session starts (its results are shifted
            by this much).
        replayed_bytes: Audio bytes sent again to the new session.
        replayed_seconds: The same in seconds (``None`` for compressed audio).
        lost_seconds: Audio that could not be replayed (a live source's buffer did not reach back
            to the end of the last final result), in seconds; ``None`` when unknown (compressed
            audio). The span is in the transcript's ``gaps``.
        waited: Seconds of backoff before this reconnect.
    """

    reason: str
    attempt: int
    previous_session_id: str
    session_id: str
    resume_time: float
    replayed_bytes: int
    replayed_seconds: float | None
    lost_seconds: float | None
    waited: float

    def describe(self) -> str:
        """One line for logs and the CLI (no secret, no transcript text)."""
        replayed = f"{self.replayed_seconds:.1f} s" if self.replayed_seconds is not None else f"{self.replayed_bytes} B"
        line = f"reconnected after {self.reason} (attempt {self.attempt}): resumed at {self.resume_time:.1f} s, "
        line += f"replayed {replayed} of audio"
        if self.lost_seconds:
            start = self.resume_time - self.lost_seconds
            line += (
                f", {self.lost_seconds:.1f} s of audio could not be replayed "
                f"({start:.1f}-{self.resume_time:.1f} s is missing from the transcript)"
            )
        return line


@dataclass(frozen=True)
class Replay:
    """What to send a new session first: :meth:`chunks`, in order.

    Attributes:
        audio: The audio to send again from the in-memory buffer (a live source).
        offset: Stream time of the session's first byte (its results are shifted by it).
        lost_seconds: Audio that fell out of the buffer before it could be replayed (``None``:
            unknown, compressed).
        reread: The audio to send again read from the source (a file), lazily, in pieces.
        reread_bytes: How many bytes ``reread`` yields.
    """

    audio: bytes
    offset: float
    lost_seconds: float | None
    reread: Iterable[bytes] = field(default=(), repr=False, compare=False)
    reread_bytes: int = 0

    @property
    def size(self) -> int:
        """Bytes replayed in all."""
        return len(self.audio) + self.reread_bytes

    def chunks(self) -> Iterator[bytes]:
        """The audio to send, in order (re-read pieces, or the buffer's bytes)."""
        yield from self.reread
        if self.audio:
            yield self.audio


@dataclass(frozen=True)
class FailureDecision:
    """What to do about a failed session.

    Attributes:
        reconnect: Whether to open a new session.
        delay: Seconds to wait first (the policy's backoff).
        attempt: The reconnect's number within this outage.
        error: When not reconnecting, the error to raise.
    """

    reconnect: bool
    delay: float = 0.0
    attempt: int = 0
    error: BaseException | None = None


def failure_reason(error: BaseException | None) -> str:
    """A short, secret-free name for why a session ended."""
    if error is None:
        return "connection lost"
    code = getattr(error, "code", None)
    if isinstance(code, str) and code:
        return code
    if isinstance(error, TimeoutError):
        return "timeout"
    if isinstance(error, ConnectionError):
        return "connection lost"
    return type(error).__name__


def is_reconnectable(error: BaseException) -> bool:
    """Whether a new session may succeed where this one failed.

    Connection losses, throttling and 5xx (the shared policy's :func:`~transcribe_medical._retry.is_retryable`)
    and a read timeout (a stalled connection). Never bad requests, conflicts, refused
    credentials or corrupt data.
    """
    return is_retryable(error) or isinstance(error, TimeoutError)


class ResilientSession:
    """The state of one logical stream across its sessions, without I/O.

    Not thread-safe: the sync driver guards it with a lock.

    Args:
        config: The stream's config (encoding and rate set). Its session id, if any, names the
            first session; each reconnect uses a fresh one, so the old session can never end the
            new one with ``ConflictException``.
        retry: The client's retry policy (attempts, backoff, elapsed-time budget).
        policy: The reconnect options.
        reread: Reads the source's audio again (a file); ``None`` for a live source, whose audio
            is kept in the replay buffer instead.
        keep_transcript: Assemble the final results into :attr:`transcript` (the default);
            ``False`` keeps none (a caller that only iterates events), and :attr:`transcript`
            then raises.
    """

    def __init__(
        self,
        config: StreamConfig,
        *,
        retry: RetryPolicy,
        policy: ReconnectPolicy | None = None,
        reread: Rereader | None = None,
        keep_transcript: bool = True,
    ) -> None:
        self.config = config.with_session_id()
        if self.config.media_encoding is None or self.config.sample_rate is None:
            raise ValidationError("a resilient stream needs media_encoding and sample_rate", field="config")
        self.retry = retry
        self.policy = policy or ReconnectPolicy()
        self.compressed = self.config.media_encoding is not MediaEncoding.PCM
        channels = _limits.STREAM_CHANNELS if self.config.channel_identification else 1
        self.frame_bytes = channels * _PCM_SAMPLE_BYTES
        self.bytes_per_second: int | None = None if self.compressed else self.config.sample_rate * self.frame_bytes
        if self.bytes_per_second is not None:
            capacity = int(self.policy.replay_seconds * self.bytes_per_second)
            self.capacity = max(self.frame_bytes, capacity - capacity % self.frame_bytes)
        else:
            self.capacity = self.policy.compressed_replay_bytes
        self.reread = reread
        self.session_ids: list[str] = []
        self.accepted_bytes = 0  # every byte accepted, absolute
        self._synthetic: list[tuple[int, int]] = []  # (absolute byte, length) of keep-alive silence
        self._gaps: list[Gap] = []
        # The replay buffer: the chunks themselves (bytes are immutable: kept, never copied), the
        # first one possibly cut at its front. Appending is O(1), trimming pops whole chunks.
        self._chunks: deque[bytes] = deque()
        self._head_skip = 0  # bytes of _chunks[0] already dropped
        self._buffered = 0  # bytes held (from _buffer_start to accepted_bytes)
        self._buffer_start = 0  # absolute index of the first byte held
        self._floor = 0  # absolute byte before which everything is final (or given up)
        self._session_start_byte = 0
        self._session_started_at = 0.0
        # When the current session is due to roll over: a byte count and a clock time, compared
        # once per chunk (set by begin_session).
        self._rollover_byte: int | float = float("inf")
        self._rollover_time = float("inf")
        self._offset = 0.0
        self._final_end: dict[str | None, float] = {}
        self._inflight: dict[str, tuple[str | None, float]] = {}
        self._assembler = (
            TranscriptAssembler(session_id=self.config.session_id, keep_partials=False) if keep_transcript else None
        )
        self._progress = False
        self._failures = 0
        self._outage_started_at = 0.0
        self._ended_at_byte: int | None = None

    def __repr__(self) -> str:
        return (
            f"ResilientSession(sessions={len(self.session_ids)}, accepted_bytes={self.accepted_bytes}, "
            f"offset={self._offset:.3f})"
        )

    # -- audio ---------------------------------------------------------------------------------

    @property
    def session_id(self) -> str:
        """The id of the current (or next) session."""
        return self.session_ids[-1] if self.session_ids else str(self.config.session_id)

    @property
    def buffered_bytes(self) -> int:
        """Bytes held for replay (at most the buffer's capacity)."""
        return self._buffered

    @property
    def resumable(self) -> bool:
        """Whether a new session can carry on: the source can be re-read, or the buffer holds all compressed audio."""
        return self.reread is not None or not self.compressed or self._buffer_start == 0

    @property
    def gaps(self) -> list[Gap]:
        """The spans of audio lost so far (a live source's buffer outrun), in stream time."""
        return list(self._gaps)

    def accept_audio(self, chunk: bytes, *, synthetic: bool = False) -> None:
        """Record audio about to be sent (it joins the stream's timeline, and the replay buffer of a live source).

        Args:
            chunk: The audio.
            synthetic: The chunk is keep-alive silence, not read from the source (a re-read
                source is then sent silence again for it).
        """
        if self.reread is not None:
            if synthetic:
                self._synthetic.append((self.accepted_bytes, len(chunk)))
            self.accepted_bytes += len(chunk)
            return
        if type(chunk) is not bytes:
            chunk = bytes(chunk)  # a caller's bytearray may change after this call
        self._chunks.append(chunk)
        self._buffered += len(chunk)
        self.accepted_bytes += len(chunk)
        if self._buffered > self.capacity:
            self._drop_before(self.accepted_bytes - self.capacity)

    def _drop_before(self, byte: int) -> None:
        """Forget the buffered audio before absolute ``byte`` (whole frames for PCM)."""
        excess = byte - self._buffer_start
        if excess <= 0:
            return
        if not self.compressed:
            excess += (-excess) % self.frame_bytes
        self._buffer_start += excess
        dropping = min(excess, self._buffered)
        self._buffered -= dropping
        chunks = self._chunks
        while dropping:
            left = len(chunks[0]) - self._head_skip
            if dropping < left:
                self._head_skip += dropping
                break
            chunks.popleft()
            self._head_skip = 0
            dropping -= left

    def _held_from(self, byte: int) -> bytes:
        """The buffered audio from absolute ``byte`` (at or after ``_buffer_start``) to the end."""
        held = b"".join(self._chunks)
        return held[self._head_skip + byte - self._buffer_start :]

    def silence(self, seconds: float) -> bytes:
        """PCM silence (zeros) lasting ``seconds`` (at most 15 s), in whole frames.

        Keep-alive sends as much silence as the pause lasted, so the stream's timeline keeps pace
        with the wall clock, as it would for a microphone that kept sending zeros.

        Raises:
            ValueError: The stream is compressed (silence cannot be synthesised).
        """
        if self.bytes_per_second is None:
            raise ValueError("silence cannot be synthesised for compressed audio")
        size = int(min(max(0.0, seconds), _limits.STREAM_IDLE_TIMEOUT_S) * self.bytes_per_second)
        size -= size % self.frame_bytes
        return bytes(max(size, self.frame_bytes))

    def session_audio_seconds(self) -> float:
        """Seconds of audio given to the current session (0 for compressed)."""
        if self.bytes_per_second is None:
            return 0.0
        return (self.accepted_bytes - self._session_start_byte) / self.bytes_per_second

    def needs_rollover(self, now: float) -> bool:
        """Whether the current session should be ended and a new one started (the 4 h cap nears)."""
        if self.compressed or not self.session_ids:
            return False
        # As max(audio seconds, wall seconds) >= max_session_seconds, with both bounds computed
        # once per session: this is asked once per chunk.
        return self.accepted_bytes >= self._rollover_byte or now >= self._rollover_time

    def session_ended(self) -> None:
        """The current session was sent its end (a rollover): all audio given to it will be final."""
        self._ended_at_byte = self.accepted_bytes

    # -- sessions ------------------------------------------------------------------------------

    def next_session_id(self) -> str:
        """The id to sign the next session with: the config's for the first, then fresh UUIDs."""
        if not self.session_ids:
            return str(self.config.session_id)
        return str(uuid.uuid4())

    def config_for(self, session_id: str) -> StreamConfig:
        """The config of a session (the stream's, with ``session_id``)."""
        return self.config.model_copy(update={"session_id": session_id})

    def begin_session(self, session_id: str, now: float) -> Replay:
        """A session is open: return what to replay to it, and shift its results from now on.

        Args:
            session_id: The session's id.
            now: The driver's monotonic clock.
        """
        start = self._resume_byte()
        lost: float | None = None
        if self.reread is not None:
            lost = None if self.bytes_per_second is None else 0.0
            replay = Replay(
                audio=b"",
                offset=0.0,
                lost_seconds=lost,
                reread=self._reread_stream(start, self.accepted_bytes),
                reread_bytes=self.accepted_bytes - start,
            )
        else:
            if self.bytes_per_second is not None:
                lost_bytes = max(0, self._buffer_start - start)
                lost = lost_bytes / self.bytes_per_second
                if lost_bytes:
                    self._gaps.append(
                        Gap(
                            start=round(start / self.bytes_per_second, _TIME_DIGITS),
                            end=round(self._buffer_start / self.bytes_per_second, _TIME_DIGITS),
                        )
                    )
            start = max(start, self._buffer_start)
            replay = Replay(audio=self._held_from(start), offset=0.0, lost_seconds=lost)
        self._session_start_byte = start
        self._floor = start
        self._offset = start / self.bytes_per_second if self.bytes_per_second else 0.0
        self._session_started_at = now
        limit = self.policy.max_session_seconds
        if self.bytes_per_second is not None:
            self._rollover_byte = start + math.ceil(limit * self.bytes_per_second)
        self._rollover_time = now + limit
        self._inflight.clear()
        self._ended_at_byte = None
        self.session_ids.append(session_id)
        return dataclasses.replace(replay, offset=self._offset)

    def _reread_stream(self, start: int, end: int) -> Iterator[bytes]:
        """The stream's bytes ``[start, end)`` read from the source again, keep-alive silence included."""
        assert self.reread is not None
        reread = self.reread
        spans = list(self._synthetic)

        def synthetic_before(position: int) -> int:
            return sum(min(length, max(0, position - at)) for at, length in spans)

        def pieces() -> Iterator[bytes]:
            position = start
            for at, length in spans:
                if at + length <= position:
                    continue
                if at >= end:
                    break
                if at > position:
                    source_at = position - synthetic_before(position)
                    yield from reread(source_at, source_at + at - position)
                    position = at
                stop = min(at + length, end)
                yield bytes(stop - position)
                position = stop
            if position < end:
                source_at = position - synthetic_before(position)
                yield from reread(source_at, source_at + end - position)

        return pieces()

    def _resume_byte(self) -> int:
        if self.compressed or self.bytes_per_second is None:
            return 0
        if self._ended_at_byte is not None:
            return self._ended_at_byte  # the session was ended on purpose: all of it is final
        times = list(self._final_end.values())
        resume = min(times) if times else self._floor / self.bytes_per_second
        for channel, start in self._inflight.values():
            # A partial that starts inside what is already final on its channel cannot take the
            # resume point back there: the replayed finals would be dropped as duplicates anyway.
            resume = min(resume, max(start, self._final_end.get(channel, 0.0)))
        byte = int(round(resume * self.bytes_per_second, 3))
        byte -= byte % self.frame_bytes
        return min(max(byte, self._floor), self.accepted_bytes)

    # -- results -------------------------------------------------------------------------------

    @property
    def keeps_transcript(self) -> bool:
        """Whether the final results are assembled into :attr:`transcript` (``keep_transcript=True``)."""
        return self._assembler is not None

    @property
    def transcript(self) -> Transcript:
        """The transcript of every final result accepted, across sessions (first session's id), with its gaps.

        Raises:
            TranscribeMedicalError: The stream was opened with ``keep_transcript=False``.
        """
        if self._assembler is None:
            raise TranscribeMedicalError(
                "this stream keeps no transcript (keep_transcript=False): collect the final results "
                "from the events, or open the stream with keep_transcript=True"
            )
        transcript = self._assembler.transcript()
        if self._gaps:
            transcript.gaps = list(self._gaps)
        return transcript

    def transcript_or_none(self) -> Transcript | None:
        """:attr:`transcript`, or ``None`` when none is kept (for errors, which carry it when there is one)."""
        return self.transcript if self._assembler is not None else None

    def receive(self, event: TranscriptEvent) -> TranscriptEvent | None:
        """Shift a session's event to stream time and drop finals already emitted.

        Returns:
            The event to give the caller (``event`` itself when nothing changed), or ``None`` when
            all its results were duplicates.
        """
        results = event.results
        if not results:
            return event
        offset = self._offset
        kept: list[Result] = []
        finals = False
        changed = bool(offset)  # whether kept will differ from results (a copy of the event is then given)
        for result in results:
            shifted = shift_result(result, offset) if offset else result
            if shifted.is_partial:
                self._track_inflight(shifted)
                kept.append(shifted)
                continue
            self._inflight.pop(shifted.result_id, None)
            fresh = self._unseen_part(shifted)
            if fresh is None:
                changed = True
                continue
            if fresh is not shifted:
                changed = True
            self._final_end[fresh.channel_id] = max(self._final_end.get(fresh.channel_id, 0.0), fresh.end_time)
            self._progress = True
            finals = True
            kept.append(fresh)
            if self._assembler is not None:
                self._assembler.add_result(fresh)
        if not kept:
            return None
        if finals:
            self._trim()  # only a final moves the point before which no audio is needed again
        if not changed:
            return event  # the usual case: one session, nothing dropped; no copy
        return TranscriptEvent.from_results(kept)

    def _trim(self) -> None:
        """Forget the buffered audio that final results cover: it will never be replayed."""
        if self.reread is not None or self.compressed or self.bytes_per_second is None:
            return
        keep_from = self._resume_byte()
        if self.config.channel_identification and len(self._final_end) < _limits.STREAM_CHANNELS:
            # A channel with no final yet may still report a result from the session's start.
            keep_from = min(keep_from, self._floor)
        self._drop_before(keep_from)

    def _track_inflight(self, result: Result) -> None:
        # Bounded like the assembler's partials: ids that never become final are forgotten,
        # stalest first (a resume may then start after a result that was stuck anyway).
        self._inflight.pop(result.result_id, None)
        self._inflight[result.result_id] = (result.channel_id, result.start_time)
        if len(self._inflight) > _limits.STREAM_MAX_PARTIALS:
            del self._inflight[next(iter(self._inflight))]

    def _unseen_part(self, result: Result) -> Result | None:
        boundary = self._final_end.get(result.channel_id)
        if boundary is None or result.start_time >= boundary - _EPSILON:
            return result
        if not result.alternatives:
            return None
        best = result.alternatives[0]
        items = [item for item in best.items if item.start_time >= boundary - _EPSILON]
        if not any(item.type == "pronunciation" for item in items):
            return None
        entities = [entity for entity in best.entities if entity.start_time >= boundary - _EPSILON]
        alternative = best.model_copy(update={"items": items, "entities": entities, "transcript": _join(items)})
        return result.model_copy(
            update={
                "alternatives": [alternative],
                "start_time": items[0].start_time,
                "end_time": max(result.end_time, items[-1].end_time),
            }
        )

    # -- failures ------------------------------------------------------------------------------

    def on_failure(self, error: BaseException, now: float) -> FailureDecision:
        """Judge a failed session: reconnect (after a backoff) or raise.

        Args:
            error: Why the session ended.
            now: The driver's monotonic clock.

        Returns:
            The decision. When the retry budget of the outage is spent, ``error`` is a
            :class:`~transcribe_medical.ConnectionError` carrying ``.transcript``.
        """
        if not self.policy.enabled or not is_reconnectable(error):
            return FailureDecision(False, error=error)
        if isinstance(error, LimitExceededError) and now - self._session_started_at >= self.policy.max_session_seconds:
            return FailureDecision(False, error=error)  # the stream length, not a throttle
        if not self.resumable:
            return FailureDecision(
                False,
                error=self._gave_up(
                    f"the {self.config.media_encoding} stream outgrew its replay buffer "
                    f"({self.capacity} bytes) and cannot be resumed after {failure_reason(error)}"
                ),
            )
        if self._progress or self._failures == 0:
            self._failures = 0
            self._outage_started_at = now
        elif now - self._session_started_at >= self.policy.stable_after:
            self._outage_started_at = now  # a long session: a new time window, not new attempts
        self._progress = False
        self._failures += 1
        elapsed = now - self._outage_started_at
        over_time = self.retry.max_elapsed is not None and elapsed >= self.retry.max_elapsed
        if self._failures >= self.retry.max_attempts or over_time:
            if self._failures == 1:
                return FailureDecision(False, error=error)  # the policy allows no retry at all
            attempts = self._failures - 1
            return FailureDecision(
                False,
                error=self._gave_up(
                    f"the stream failed ({failure_reason(error)}) after {attempts} reconnect attempt(s)"
                ),
            )
        delay = 0.0 if self._failures == 1 else retry_delay(self.retry, self._failures - 1)
        return FailureDecision(True, delay=delay, attempt=self._failures)

    def reconnect_failed(self) -> None:
        """Opening a new session failed (counted by the next :meth:`on_failure`)."""
        self._progress = False

    def _gave_up(self, message: str) -> ConnectionError:
        return ConnectionError(message, transcript=self.transcript_or_none())

    def make_event(self, decision: FailureDecision, reason: str, previous: str, replay: Replay) -> ReconnectEvent:
        """The :class:`ReconnectEvent` for a reconnect that just happened."""
        seconds = replay.size / self.bytes_per_second if self.bytes_per_second else None
        return ReconnectEvent(
            reason=reason,
            attempt=max(1, decision.attempt),
            previous_session_id=previous,
            session_id=self.session_id,
            resume_time=replay.offset,
            replayed_bytes=replay.size,
            replayed_seconds=None if seconds is None else round(seconds, 3),
            lost_seconds=None if replay.lost_seconds is None else round(replay.lost_seconds, 3),
            waited=decision.delay,
        )


def shift_result(result: Result, seconds: float) -> Result:
    """A copy of ``result`` with every time moved by ``seconds`` (rounded to the microsecond)."""
    if not seconds:
        return result

    def moved(time: float) -> float:
        return round(time + seconds, _TIME_DIGITS)

    alternatives = [
        alt.model_copy(
            update={
                "items": [
                    item.model_copy(update={"start_time": moved(item.start_time), "end_time": moved(item.end_time)})
                    for item in alt.items
                ],
                "entities": [
                    entity.model_copy(
                        update={"start_time": moved(entity.start_time), "end_time": moved(entity.end_time)}
                    )
                    for entity in alt.entities
                ],
            }
        )
        for alt in result.alternatives
    ]
    return result.model_copy(
        update={
            "start_time": moved(result.start_time),
            "end_time": moved(result.end_time),
            "alternatives": alternatives,
        }
    )


def _join(items: list[ResultItem]) -> str:
    parts: list[str] = []
    for item in items:
        if item.content is None:  # e.g. a speaker-change item: it marks a change, it holds no text
            continue
        if parts and item.type == "pronunciation":
            parts.append(" ")
        parts.append(item.content)
    return "".join(parts)
