"""Keeping a silent HealthScribe session open: the interval, checked, and when silence is due.

A HealthScribe stream that receives no event for a while is ended by the service (the emulator
ends it after :data:`~transcribe_medical._limits.STREAM_IDLE_TIMEOUT_S`, the figure the medical
WebSocket documents; AWS states none for HealthScribe). The input stream admits only three
events: the ConfigurationEvent (first, once), ``END_OF_SESSION`` (which ends the session) and
audio. So the one thing a client may send to keep a paused session open is audio: PCM silence,
as the medical side sends. A session's keep-alive has one timer, reset by every send (the
caller's audio, a resume's replay, the silence itself); when it runs out the session sends as
much silence as the pause lasted, so the session's audio times keep pace with the wall clock; the
rest of the pause, since that silence, goes out as silence before the audio that ends it.
FLAC and Ogg-Opus cannot be fed made-up silence: their sessions are not kept alive.
"""

from __future__ import annotations

from typing import Final

from transcribe_medical import _limits
from transcribe_medical._exceptions import ValidationError
from transcribe_medical.streaming.reconnect import KEEPALIVE_TOP_UP_MIN_S

__all__ = ["DEFAULT_KEEPALIVE_INTERVAL", "KeepAliveTimer", "check_keepalive_interval"]

#: Seconds without a send after which a session sends silence (as the medical side's default).
DEFAULT_KEEPALIVE_INTERVAL: Final = 5.0


def check_keepalive_interval(value: float | None) -> float | None:
    """``value`` if usable: ``None`` (off) or more than 0 and less than the idle timeout.

    Raises:
        ValidationError: Outside that range.
    """
    if value is None:
        return None
    if not 0 < value < _limits.STREAM_IDLE_TIMEOUT_S:
        raise ValidationError(
            f"keepalive_interval: {value!r} is invalid: give seconds above 0 and below "
            f"{_limits.STREAM_IDLE_TIMEOUT_S:g} (the idle timeout), or None to turn it off",
            field="keepalive_interval",
        )
    return float(value)


class KeepAliveTimer:
    """One timer, reset on every send (sans-I/O: the caller passes the clock's readings).

    Attributes:
        interval: Seconds without a send before silence is due (``None``: never).
        last_send: When the session last sent something.
    """

    def __init__(self, interval: float | None, now: float) -> None:
        """Start the timer at ``now``."""
        self.interval = interval
        self.last_send = now
        self._silent_since: float | None = None  # when keep-alive silence last went out in this pause

    def reset(self, now: float) -> None:
        """Something was sent at ``now``."""
        self.last_send = now

    def silenced(self, now: float) -> None:
        """Keep-alive silence for the pause so far was sent at ``now``."""
        self.last_send = self._silent_since = now

    def rest_of_pause(self, now: float) -> float:
        """Seconds of silence owed before the audio that ends a pause (0: none); asked once per pause.

        The keep-alive covers a pause up to its last silence; what came after is owed, so that the
        audio after the pause is timed as the caller paused.
        """
        since, self._silent_since = self._silent_since, None
        if since is None or now - since < KEEPALIVE_TOP_UP_MIN_S:
            return 0.0
        return now - since

    def due_in(self, now: float) -> float | None:
        """Seconds until silence is due (0 or less: due now); ``None`` when keep-alive is off."""
        if self.interval is None:
            return None
        return self.last_send + self.interval - now

    def idle(self, now: float) -> float:
        """Seconds since the last send."""
        return now - self.last_send
