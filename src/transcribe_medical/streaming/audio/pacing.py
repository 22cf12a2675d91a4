"""Real-time pacing of a stream's audio: :class:`Pacer`, sans-I/O (the clock is injected)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from transcribe_medical._exceptions import ValidationError

if TYPE_CHECKING:
    from transcribe_medical.streaming.audio.sources import AudioSource

__all__ = ["STREAM_BATCH_S", "Pacer"]

#: The pacing batch of a stream's real-time sender: chunks due within 0.2 s of a wake-up go out
#: with it. A sender thread or task then wakes about five times a second, not once per chunk
#: (ten times with 100 ms chunks), and the audio runs at most 0.2 s ahead of real time, never
#: behind: still the "about real-time pace" AWS asks of a stream.
STREAM_BATCH_S: Final = 0.2
_ROUNDING_S: Final = 1e-6


class Pacer:
    """Real-time pacing, sans-I/O: says how long to wait before sending each chunk.

    The clock is injected, so the pacer never sleeps; callers ``time.sleep`` or
    ``asyncio.sleep`` the delay it returns. Chunk *k* is due when the audio sent before it has
    played, counted from the first chunk: ``start + bytes_before / bytes_per_second - lead_s``.
    With ``batch_s``, a chunk due within ``batch_s`` of now is sent now: a sender that slept
    until one chunk's due time sends the chunks that follow within the batch with it, so it
    wakes once per ``batch_s`` of audio rather than once per chunk.

    Example:
        >>> pacer = Pacer(32000)                  # 16 kHz mono PCM
        >>> pacer.delay_for(3200, now=10.0)       # first chunk: send now
        0.0
        >>> round(pacer.delay_for(3200, now=10.02), 3)   # 100 ms of audio already sent
        0.08
        >>> batched = Pacer(32000, batch_s=0.2)
        >>> [round(batched.delay_for(3200, now=10.0), 3) for _ in range(4)]  # three now, then wait
        [0.0, 0.0, 0.0, 0.3]
    """

    def __init__(
        self, bytes_per_second: float | None, *, realtime: bool = True, lead_s: float = 0.0, batch_s: float = 0.0
    ) -> None:
        """Create a pacer.

        Args:
            bytes_per_second: The audio's byte rate; ``None`` or 0 disables pacing (unknown rate).
            realtime: ``False`` disables pacing (``--no-realtime``): every delay is 0.
            lead_s: How far ahead of real time the sender may run (a burst allowance).
            batch_s: Send a chunk due within this many seconds at once: the sender sleeps until
                a chunk's due time, then sends what falls due within ``batch_s`` with it, so it
                runs at most ``batch_s`` ahead of the schedule and never behind. 0: one sleep per
                chunk, each sent at its due time.
        """
        if lead_s < 0:
            raise ValidationError(f"lead_s must be >= 0, got {lead_s}", field="lead_s")
        if batch_s < 0:
            raise ValidationError(f"batch_s must be >= 0, got {batch_s}", field="batch_s")
        self.bytes_per_second = bytes_per_second
        self.realtime = realtime
        self.lead_s = lead_s
        self.batch_s = batch_s
        self._start: float | None = None
        self._sent = 0

    @classmethod
    def for_source(
        cls, source: AudioSource, *, realtime: bool = True, lead_s: float = 0.0, batch_s: float = 0.0
    ) -> Pacer:
        """A pacer for a source: its ``bytes_per_second`` attribute if it has one, else its PCM rate."""
        rate: float | None = getattr(source, "bytes_per_second", None)
        if rate is None and source.format is not None:
            rate = source.format.bytes_per_second
        return cls(rate, realtime=realtime, lead_s=lead_s, batch_s=batch_s)

    @property
    def enabled(self) -> bool:
        """Whether this pacer ever asks to wait."""
        return self.realtime and bool(self.bytes_per_second)

    @property
    def audio_seconds(self) -> float:
        """Seconds of audio accounted for so far (0 when the rate is unknown)."""
        return self._sent / self.bytes_per_second if self.bytes_per_second else 0.0

    def delay_for(self, n_bytes: int, now: float) -> float:
        """Seconds to wait before sending a chunk of ``n_bytes``, then count it as sent.

        Args:
            n_bytes: Size of the chunk about to be sent.
            now: The current time of a monotonic clock (``time.monotonic()``, ``loop.time()``).

        Returns:
            A delay >= 0: 0 when the chunk is due within ``batch_s`` (or pacing is disabled),
            else the time until it is due.
        """
        if not self.enabled:
            return 0.0
        assert self.bytes_per_second is not None  # for mypy: enabled implies a rate
        if self._start is None:
            self._start = now
        due = self._start + self._sent / self.bytes_per_second - self.lead_s
        self._sent += n_bytes
        delay = due - now
        # A microsecond of float rounding (0.3 + 0.2 != 0.5) does not cost a wake-up.
        return delay if delay > self.batch_s + _ROUNDING_S else 0.0

    def reset(self) -> None:
        """Start over: the next chunk is sent at once (e.g. after a reconnection)."""
        self._start = None
        self._sent = 0
