"""One decoded event-stream message."""

from __future__ import annotations

from dataclasses import dataclass, field

from transcribe_medical.eventstream._header_values import HeaderValue

__all__ = ["Message"]


@dataclass(frozen=True, slots=True, repr=False)
class Message:
    """An event-stream message: its headers, in wire order, and its payload.

    Integer headers hold the typed wrappers (:class:`Int8` ... :class:`Timestamp`), so
    ``encode_message(message.headers, message.payload)`` gives back the bytes it came from.

    Attributes:
        headers: Header names mapped to their values.
        payload: The payload bytes (audio, or JSON for events and exceptions).

    Example:
        >>> message = Message({":message-type": "event"}, b"{}")
        >>> message.headers[":message-type"]
        'event'
    """

    headers: dict[str, HeaderValue] = field(default_factory=dict)
    payload: bytes = b""

    def __repr__(self) -> str:
        # The payload may be audio or transcript text (PHI): show its size, never its content.
        return f"Message(headers={self.headers!r}, payload=<{len(self.payload)} bytes>)"
