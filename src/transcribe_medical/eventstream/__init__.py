"""The AWS event-stream codec (``application/vnd.amazon.eventstream``), sans-I/O.

Transcribe Medical streaming wraps every WebSocket message in one event-stream message: a
prelude (lengths + CRC), typed headers, a payload and a CRC of the whole. This module encodes
and decodes them and never touches a socket, so the sync and asyncio clients, the local
emulator and tests all share it.

Example:
    >>> from transcribe_medical.eventstream import EventStreamDecoder, encode_audio_event
    >>> frame = encode_audio_event(b"\\x00\\x01" * 160)
    >>> decoder = EventStreamDecoder()
    >>> [message] = decoder.feed(frame)
    >>> message.headers[":event-type"], len(message.payload)
    ('AudioEvent', 320)

Every malformed input raises :class:`~transcribe_medical.ProtocolError` with the reason; a
value that cannot be encoded raises :class:`~transcribe_medical.ValidationError`.
"""

from __future__ import annotations

from transcribe_medical.eventstream._decoder import EventStreamDecoder
from transcribe_medical.eventstream._encoder import AUDIO_EVENT_HEADERS, encode_audio_event, encode_message
from transcribe_medical.eventstream._header_values import HeaderValue, Int8, Int16, Int32, Int64, Timestamp
from transcribe_medical.eventstream._message import Message

__all__ = [
    "AUDIO_EVENT_HEADERS",
    "EventStreamDecoder",
    "HeaderValue",
    "Int8",
    "Int16",
    "Int32",
    "Int64",
    "Message",
    "Timestamp",
    "encode_audio_event",
    "encode_message",
]
