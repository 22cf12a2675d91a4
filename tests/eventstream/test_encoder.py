"""encode_message and encode_audio_event: type mapping, limits, the AudioEvent fast path."""

from __future__ import annotations

import enum
import struct
import uuid
import zlib

import pytest

from transcribe_medical._exceptions import ValidationError
from transcribe_medical._limits import AUDIO_EVENT_MAX_PAYLOAD, EVENTSTREAM_MAX_HEADERS_SIZE
from transcribe_medical.eventstream import (
    AUDIO_EVENT_HEADERS,
    HeaderValue,
    Int8,
    Int16,
    Int32,
    Int64,
    Timestamp,
    encode_audio_event,
    encode_message,
)

from .frames import build_frame


def header_bytes(value: HeaderValue) -> bytes:
    """The type code and value bytes of header 'h' set to ``value``."""
    frame = encode_message({"h": value})
    return frame[14:-4]


class MessageType(enum.StrEnum):
    EVENT = "event"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, b"\x00"),
        (False, b"\x01"),
        (Int8(-1), b"\x02\xff"),
        (Int16(258), b"\x03\x01\x02"),
        (Int32(1), b"\x04\x00\x00\x00\x01"),
        (Int64(1), b"\x05" + (1).to_bytes(8, "big")),
        (7, b"\x04\x00\x00\x00\x07"),
        (-(2**31), b"\x04\x80\x00\x00\x00"),
        (2**31 - 1, b"\x04\x7f\xff\xff\xff"),
        (2**31, b"\x05" + (2**31).to_bytes(8, "big")),
        (-(2**31) - 1, b"\x05" + (-(2**31) - 1).to_bytes(8, "big", signed=True)),
        (2**63 - 1, b"\x05" + (2**63 - 1).to_bytes(8, "big")),
        (b"ab", b"\x06\x00\x02ab"),
        (bytearray(b"ab"), b"\x06\x00\x02ab"),
        ("é", b"\x07\x00\x02\xc3\xa9"),
        (MessageType.EVENT, b"\x07\x00\x05event"),
        (Timestamp(1), b"\x08" + (1).to_bytes(8, "big")),
        (uuid.UUID(int=1), b"\x09" + (1).to_bytes(16, "big")),
    ],
    ids=repr,
)
def test_each_value_type_maps_to_its_wire_type(value: HeaderValue, expected: bytes) -> None:
    assert header_bytes(value) == expected


def test_frame_layout_and_crcs() -> None:
    frame = encode_message({"a": "b"}, b"payload")
    header_block = b"\x01a\x07\x00\x01b"
    assert frame == build_frame(header_block, b"payload")
    total, headers_length, prelude_crc = struct.unpack(">III", frame[:12])
    assert (total, headers_length) == (len(frame), len(header_block))
    assert prelude_crc == zlib.crc32(frame[:8])
    assert struct.unpack(">I", frame[-4:])[0] == zlib.crc32(frame[:-4])


def test_no_headers_and_default_payload() -> None:
    assert encode_message({}) == build_frame(b"")


def test_headers_keep_the_mapping_order() -> None:
    assert encode_message({"b": True, "a": False}) == build_frame(b"\x01b\x00\x01a\x01")


@pytest.mark.parametrize("name", ["", "x" * 256, "é" * 128], ids=["empty", "256-ascii", "256-utf8-bytes"])
def test_bad_header_names_are_refused(name: str) -> None:
    with pytest.raises(ValidationError, match="header name"):
        encode_message({name: "v"})


def test_a_255_byte_name_is_accepted() -> None:
    assert encode_message({"n" * 255: True})[12] == 255


@pytest.mark.parametrize("make", [str, bytes], ids=["string", "bytes"])
def test_value_length_limit(make: type) -> None:
    at_limit = "v" * 32_767 if make is str else b"v" * 32_767
    over = "v" * 32_768 if make is str else b"v" * 32_768
    assert len(encode_message({"h": at_limit})) == 16 + 1 + 1 + 1 + 2 + 32_767
    with pytest.raises(ValidationError, match="allowed at most 32767"):
        encode_message({"h": over})


def test_multibyte_string_length_counts_bytes() -> None:
    with pytest.raises(ValidationError, match="32768 bytes"):
        encode_message({"h": "é" * 16_384})


@pytest.mark.parametrize("value", [2**63, -(2**63) - 1], ids=str)
def test_integers_beyond_64_bits_are_refused(value: int) -> None:
    with pytest.raises(ValidationError, match="does not fit in 64 bits"):
        encode_message({"h": value})


@pytest.mark.parametrize("value", [1.5, None, ["a"], {"a": 1}], ids=repr)
def test_unsupported_value_types_are_refused(value: object) -> None:
    with pytest.raises(ValidationError, match="cannot be sent"):
        encode_message({"h": value})  # type: ignore[dict-item]


def test_header_section_over_128_kib_is_refused() -> None:
    headers: dict[str, HeaderValue] = {f"h{i}": "v" * 32_767 for i in range(5)}
    assert EVENTSTREAM_MAX_HEADERS_SIZE < 5 * 32_767
    with pytest.raises(ValidationError, match="headers take"):
        encode_message(headers)


def test_validation_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="header name"):
        encode_message({"": 1})


@pytest.mark.parametrize("size", [0, 1, 3200, AUDIO_EVENT_MAX_PAYLOAD])
def test_encode_audio_event_equals_encode_message(size: int) -> None:
    payload = bytes(range(256)) * (size // 256) + bytes(size % 256)
    expected = encode_message(
        {":message-type": "event", ":event-type": "AudioEvent", ":content-type": "application/octet-stream"},
        payload,
    )
    assert encode_audio_event(payload) == expected
    assert encode_message(AUDIO_EVENT_HEADERS, payload) == expected


def test_encode_audio_event_accepts_other_buffers() -> None:
    assert encode_audio_event(bytearray(b"ab")) == encode_audio_event(b"ab")
    assert encode_audio_event(memoryview(b"ab")) == encode_audio_event(b"ab")


def test_encode_audio_event_refuses_oversize_payload() -> None:
    with pytest.raises(ValidationError, match="32769 bytes: allowed at most 32768"):
        encode_audio_event(bytes(AUDIO_EVENT_MAX_PAYLOAD + 1))


def test_audio_event_headers_cannot_be_changed() -> None:
    with pytest.raises(TypeError):
        AUDIO_EVENT_HEADERS[":event-type"] = "Other"  # type: ignore[index]
