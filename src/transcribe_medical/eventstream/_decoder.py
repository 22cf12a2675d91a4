"""The incremental decoder: bytes in, whole CRC-checked messages out, never any I/O."""

from __future__ import annotations

from typing import Final
from zlib import crc32

from transcribe_medical._exceptions import ProtocolError, ValidationError
from transcribe_medical._limits import EVENTSTREAM_MAX_HEADERS_SIZE, EVENTSTREAM_MAX_MESSAGE_SIZE
from transcribe_medical.eventstream._framing import CRC, MIN_MESSAGE_LENGTH, PRELUDE, PRELUDE_LENGTH
from transcribe_medical.eventstream._header_values import HeaderValue
from transcribe_medical.eventstream._headers import decode_headers
from transcribe_medical.eventstream._message import Message

__all__ = ["EventStreamDecoder"]

# A stream repeats the same few header sections (every TranscriptEvent carries the same three
# headers), so decoded sections are remembered by their bytes. Only small sections, and only a
# few of them, so a peer sending ever-new headers costs at most ~64 KiB.
_CACHEABLE_HEADERS_LENGTH: Final = 1024
_HEADER_CACHE_ENTRIES: Final = 64

_unpack_prelude = PRELUDE.unpack_from
_unpack_crc = CRC.unpack_from


class EventStreamDecoder:
    """Turns the bytes of an event stream into :class:`Message` objects, however they are split.

    The decoder is sans-I/O: feed it whatever the transport delivered (a WebSocket message, a
    4 KiB read, a single byte) and it returns the messages completed so far. Each message's
    prelude is checked (CRC, lengths, size caps) as soon as its 12 bytes arrive, before its body
    is buffered, so a hostile or broken peer cannot make it hold more than ``max_message_size``
    bytes. After a :class:`~transcribe_medical.ProtocolError` the stream is unusable and every
    later :meth:`feed` raises again.

    Args:
        max_message_size: The largest whole message accepted, in bytes (default 1 MiB).
        max_headers_size: The largest header section accepted, in bytes (default 128 KiB).

    Example:
        >>> decoder = EventStreamDecoder()
        >>> for message in decoder.feed(data):  # doctest: +SKIP
        ...     handle(message.headers, message.payload)
        >>> decoder.close()  # at end of stream: raises if a message was cut short
    """

    __slots__ = (
        "_failure",
        "_header_cache",
        "_max_headers_size",
        "_max_message_size",
        "_pending",
        "_pending_size",
        "_stream_offset",
        "_wanted",
    )

    def __init__(
        self,
        max_message_size: int = EVENTSTREAM_MAX_MESSAGE_SIZE,
        max_headers_size: int = EVENTSTREAM_MAX_HEADERS_SIZE,
    ) -> None:
        if max_message_size < MIN_MESSAGE_LENGTH:
            raise ValidationError(
                f"max_message_size {max_message_size} is too small: at least {MIN_MESSAGE_LENGTH}",
                field="max_message_size",
            )
        if max_headers_size < 0:
            raise ValidationError(f"max_headers_size {max_headers_size} is negative", field="max_headers_size")
        self._max_message_size = max_message_size
        self._max_headers_size = max_headers_size
        # Bytes of the incomplete next message, kept as the chunks that brought them and joined
        # only once enough have arrived to make progress, so byte-by-byte feeding stays linear.
        self._pending: list[bytes] = []
        self._pending_size = 0
        # How many pending bytes the next parse needs: the prelude, then the whole message.
        self._wanted = PRELUDE_LENGTH
        # Offset in the stream of the first pending byte, for error messages.
        self._stream_offset = 0
        self._failure: ProtocolError | None = None
        self._header_cache: dict[bytes, dict[str, HeaderValue]] = {}

    @property
    def max_message_size(self) -> int:
        """The largest whole message accepted, in bytes."""
        return self._max_message_size

    @property
    def max_headers_size(self) -> int:
        """The largest header section accepted, in bytes."""
        return self._max_headers_size

    @property
    def buffered_size(self) -> int:
        """How many bytes of an incomplete message are held, waiting for the rest."""
        return self._pending_size

    def feed(self, data: bytes | bytearray | memoryview) -> list[Message]:
        """Add bytes from the stream and return the messages they complete, in order.

        Args:
            data: The next bytes of the stream, split anywhere (``bytes``, ``bytearray`` or
                ``memoryview``; the decoder keeps its own copy).

        Returns:
            The messages completed by these bytes; empty if they only extend a partial one.

        Raises:
            ProtocolError: If the bytes are not a valid event stream: a CRC mismatch, a length
                below 16 or inconsistent, a message or header section over its cap, an unknown
                header type, a header value running past its section, an empty or duplicate
                header name, or invalid UTF-8. Also raised for every call after a failure.
        """
        if self._failure is not None:
            raise ProtocolError(f"the event stream already failed: {self._failure}")
        if type(data) is not bytes:
            data = bytes(data)
        if self._pending:
            self._pending.append(data)
            self._pending_size += len(data)
            if self._pending_size < self._wanted:
                return []
            data = b"".join(self._pending)
            self._pending.clear()
        elif not data:
            return []
        try:
            messages, consumed = self._parse(data)
        except ProtocolError as error:
            self._failure = error
            self._pending.clear()
            self._pending_size = 0
            raise
        self._stream_offset += consumed
        remaining = len(data) - consumed
        if remaining:
            self._pending.append(data[consumed:] if consumed else data)
        self._pending_size = remaining
        return messages

    def close(self) -> None:
        """Declare the end of the stream.

        Raises:
            ProtocolError: If the stream ended inside a message (its prelude or its body).
        """
        if not self._pending_size:
            return
        held, wanted, offset = self._pending_size, self._wanted, self._stream_offset
        self._pending.clear()
        self._pending_size = 0
        if wanted == PRELUDE_LENGTH and held < PRELUDE_LENGTH:
            raise ProtocolError(
                f"the stream ended inside a message prelude at byte {offset}: "
                f"{held} of its {PRELUDE_LENGTH} bytes arrived"
            )
        raise ProtocolError(
            f"the stream ended inside the message at byte {offset}: {held} of its {wanted} bytes arrived"
        )

    def _parse(self, data: bytes) -> tuple[list[Message], int]:
        """Decode every whole message in ``data``; return them and how many bytes they used."""
        messages: list[Message] = []
        view = memoryview(data)  # CRCs over slices of a view copy nothing
        end = len(data)
        position = 0
        while end - position >= PRELUDE_LENGTH:
            total_length, headers_length, prelude_crc = _unpack_prelude(data, position)
            if crc32(view[position : position + 8]) != prelude_crc:
                raise self._error(
                    position,
                    f"prelude CRC mismatch: the message says {prelude_crc:#010x}, "
                    f"the prelude computes to {crc32(view[position : position + 8]):#010x}",
                )
            self._check_prelude(position, total_length, headers_length)
            if end - position < total_length:
                self._wanted = total_length
                return messages, position
            crc_position = position + total_length - 4
            (message_crc,) = _unpack_crc(data, crc_position)
            computed = crc32(view[position + 8 : crc_position], prelude_crc)
            if computed != message_crc:
                raise self._error(
                    position,
                    f"message CRC mismatch: the message says {message_crc:#010x}, "
                    f"its bytes compute to {computed:#010x}",
                )
            headers_start = position + PRELUDE_LENGTH
            payload_start = headers_start + headers_length
            headers = self._headers(data, headers_start, payload_start, position) if headers_length else {}
            messages.append(Message(headers, data[payload_start:crc_position]))
            position += total_length
        self._wanted = PRELUDE_LENGTH
        return messages, position

    def _check_prelude(self, position: int, total_length: int, headers_length: int) -> None:
        if total_length < MIN_MESSAGE_LENGTH:
            raise self._error(position, f"total_length {total_length} is below the minimum of {MIN_MESSAGE_LENGTH}")
        if headers_length > total_length - MIN_MESSAGE_LENGTH:
            raise self._error(
                position,
                f"headers_length {headers_length} exceeds total_length - 16 = {total_length - MIN_MESSAGE_LENGTH}",
            )
        if total_length > self._max_message_size:
            raise self._error(
                position,
                f"message of {total_length} bytes exceeds max_message_size ({self._max_message_size})",
            )
        if headers_length > self._max_headers_size:
            raise self._error(
                position,
                f"header section of {headers_length} bytes exceeds max_headers_size ({self._max_headers_size})",
            )

    def _headers(self, data: bytes, start: int, end: int, position: int) -> dict[str, HeaderValue]:
        cacheable = end - start <= _CACHEABLE_HEADERS_LENGTH
        if cacheable:
            block = data[start:end]
            cached = self._header_cache.get(block)
            if cached is not None:
                return cached.copy()  # the caller owns its dict; the values are immutable
        try:
            headers = decode_headers(data, start, end)
        except ProtocolError as error:
            raise self._error(position, str(error)) from None
        if cacheable:
            if len(self._header_cache) >= _HEADER_CACHE_ENTRIES:
                self._header_cache.clear()
            self._header_cache[block] = headers.copy()
        return headers

    def _error(self, position: int, reason: str) -> ProtocolError:
        return ProtocolError(f"{reason} (message at byte {self._stream_offset + position} of the stream)")
