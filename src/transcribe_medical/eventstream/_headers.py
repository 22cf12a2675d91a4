"""The header section: encoding a mapping to bytes and decoding bytes back to a dict.

Each header is ``name_length (u8) | name (UTF-8) | type (u8) | value``; see
:mod:`._header_values` for the ten value types.
"""

from __future__ import annotations

import struct
import uuid
from collections.abc import Mapping
from typing import Final

from transcribe_medical._exceptions import ProtocolError, ValidationError
from transcribe_medical.eventstream._header_values import (
    HeaderValue,
    Int8,
    Int16,
    Int32,
    Int64,
    Timestamp,
    WireInt,
)

__all__ = ["MAX_NAME_LENGTH", "MAX_VALUE_LENGTH", "decode_headers", "encode_headers"]

MAX_NAME_LENGTH: Final = 255
#: byte_array and string values carry a u16 length, but the format caps them at 2**15 - 1.
MAX_VALUE_LENGTH: Final = 32_767

_TRUE: Final = 0
_FALSE: Final = 1
_BYTE_ARRAY: Final = 6
_STRING: Final = 7
_UUID: Final = 9
_UUID_LENGTH: Final = 16
_LENGTH_PREFIXED: Final = frozenset((_BYTE_ARRAY, _STRING))

_INT32_MIN: Final = -(1 << 31)
_INT32_MAX: Final = (1 << 31) - 1

_LENGTH: Final = struct.Struct(">H")
_FIXED_WIDTH: Final[dict[int, tuple[struct.Struct, type[WireInt]]]] = {
    wrapper.type_code: (struct.Struct(f">{code}"), wrapper)
    for code, wrapper in (("b", Int8), ("h", Int16), ("i", Int32), ("q", Int64), ("q", Timestamp))
}


def encode_headers(headers: Mapping[str, HeaderValue]) -> bytes:
    """Encode a header mapping as the bytes of a header section, in the mapping's order.

    Raises:
        ValidationError: If a name is empty or longer than 255 UTF-8 bytes, a string or bytes value
            is longer than 32,767 bytes, an integer does not fit in 64 bits, or a value has a type
            that cannot be sent.
    """
    parts: list[bytes] = []
    append = parts.append
    for name, value in headers.items():
        encoded_name = name.encode("utf-8")
        if not 0 < len(encoded_name) <= MAX_NAME_LENGTH:
            raise ValidationError(
                f"header name {name[:40]!r} is {len(encoded_name)} bytes of UTF-8: allowed 1..{MAX_NAME_LENGTH}",
                field="headers",
            )
        append(bytes((len(encoded_name),)))
        append(encoded_name)
        append(_encode_value(name, value))
    return b"".join(parts)


def _encode_value(name: str, value: HeaderValue) -> bytes:
    # Most specific first: bool and the wrappers are ints, and str subclasses (StrEnum) are strings.
    if isinstance(value, str):
        return _with_length(name, _STRING, value.encode("utf-8"))
    if isinstance(value, bool):
        return bytes((_TRUE if value else _FALSE,))
    if isinstance(value, WireInt):
        return value.to_wire()
    if isinstance(value, int):
        if _INT32_MIN <= value <= _INT32_MAX:
            return Int32(value).to_wire()
        try:
            return Int64(value).to_wire()
        except ValidationError:
            raise ValidationError(
                f"header {name!r}: integer {value} does not fit in 64 bits", field="headers"
            ) from None
    if isinstance(value, bytes | bytearray | memoryview):
        return _with_length(name, _BYTE_ARRAY, bytes(value))
    if isinstance(value, uuid.UUID):
        return bytes((_UUID,)) + value.bytes
    raise ValidationError(
        f"header {name!r}: a {type(value).__name__} cannot be sent; allowed bool, int "
        "(or Int8/Int16/Int32/Int64/Timestamp), bytes, str, uuid.UUID",
        field="headers",
    )


def _with_length(name: str, type_code: int, data: bytes) -> bytes:
    if len(data) > MAX_VALUE_LENGTH:
        raise ValidationError(
            f"header {name!r}: value is {len(data)} bytes: allowed at most {MAX_VALUE_LENGTH}",
            field="headers",
        )
    return bytes((type_code,)) + _LENGTH.pack(len(data)) + data


def decode_headers(data: bytes, start: int, end: int) -> dict[str, HeaderValue]:
    """Decode the header section ``data[start:end]``.

    Returns:
        The headers in wire order; integer types come back as their wrappers (:class:`Int8` ...
        :class:`Timestamp`) so that encoding them again gives the same bytes.

    Raises:
        ProtocolError: On an empty header name, a name or value running past the end of the
            section, an unknown type code, invalid UTF-8 or a duplicate name.
    """
    headers: dict[str, HeaderValue] = {}
    position = start
    while position < end:
        name_length = data[position]
        if not name_length:
            raise _error(position - start, "empty header name")
        type_position = position + 1 + name_length
        if type_position >= end:
            raise _error(position - start, "header name runs past the end of the header section")
        name = _text(data, position + 1, type_position, position - start, "header name")
        type_code = data[type_position]
        position = type_position + 1
        value: HeaderValue
        if type_code in _LENGTH_PREFIXED:
            value_start = position + 2
            if value_start > end:
                raise _overrun(name, type_code)
            position = value_start + ((data[value_start - 2] << 8) | data[value_start - 1])
            if position > end:
                raise _overrun(name, type_code)
            if type_code == _STRING:
                value = _text(data, value_start, position, value_start - start, f"header {name!r}")
            else:
                value = data[value_start:position]
        elif type_code == _TRUE:
            value = True
        elif type_code == _FALSE:
            value = False
        elif type_code == _UUID:
            value_start = position
            position += _UUID_LENGTH
            if position > end:
                raise _overrun(name, type_code)
            value = uuid.UUID(bytes=data[value_start:position])
        else:
            fixed = _FIXED_WIDTH.get(type_code)
            if fixed is None:
                raise _error(type_position - start, f"header {name!r} has unknown value type {type_code}")
            layout, wrapper = fixed
            value_start = position
            position += layout.size
            if position > end:
                raise _overrun(name, type_code)
            value = wrapper(layout.unpack_from(data, value_start)[0])
        if name in headers:
            raise ProtocolError(f"duplicate header name {name!r}")
        headers[name] = value
    return headers


def _text(data: bytes, start: int, end: int, offset: int, what: str) -> str:
    try:
        return data[start:end].decode("utf-8")
    except UnicodeDecodeError as error:
        raise _error(offset, f"{what} is not valid UTF-8 ({error.reason})") from None


def _overrun(name: str, type_code: int) -> ProtocolError:
    return ProtocolError(f"header {name!r} (type {type_code}) runs past the end of the header section")


def _error(offset: int, reason: str) -> ProtocolError:
    return ProtocolError(f"{reason} (at byte {offset} of the header section)")
