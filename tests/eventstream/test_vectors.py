"""The golden vectors of tests/vectors/eventstream.json, encoded and decoded byte for byte."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

import pytest

from transcribe_medical._exceptions import ProtocolError
from transcribe_medical.eventstream import (
    EventStreamDecoder,
    HeaderValue,
    Int8,
    Int16,
    Int32,
    Int64,
    Message,
    Timestamp,
    encode_audio_event,
    encode_message,
)

from .frames import load_vectors

VECTORS = load_vectors()
VALID = VECTORS["valid"]
LARGE = VECTORS["large"]
INVALID = VECTORS["invalid"]

_WRAPPERS: dict[int, type[int]] = {2: Int8, 3: Int16, 4: Int32, 5: Int64, 8: Timestamp}


def header_value(header: dict[str, Any]) -> HeaderValue:
    """The Python value the decoder must return for a vector's header."""
    kind, value = header["type"], header["value"]
    if kind in (0, 1):
        assert value is (kind == 0)
        return bool(value)
    if kind in _WRAPPERS:
        return _WRAPPERS[kind](value)
    if kind == 6:
        return bytes.fromhex(value["hex"])
    if kind == 7:
        return str(value)
    assert kind == 9
    return uuid.UUID(bytes=bytes.fromhex(value["hex"]))


def expected_headers(vector: dict[str, Any]) -> dict[str, HeaderValue]:
    return {header["name"]: header_value(header) for header in vector["headers"]}


def typed(headers: dict[str, HeaderValue]) -> list[tuple[str, type, HeaderValue]]:
    """Headers with their types, since True == Int8(1) == 1 under plain ==."""
    return [(name, type(value), value) for name, value in headers.items()]


def decode_in_pieces(data: bytes, size: int) -> list[Message]:
    decoder = EventStreamDecoder()
    messages: list[Message] = []
    for start in range(0, len(data), size):
        messages.extend(decoder.feed(data[start : start + size]))
    decoder.close()
    return messages


def large_payload() -> bytes:
    # The vector's generator rule: byte[i] = (i*31 + 7) & 0xFF for i in 0..32767.
    return bytes((i * 31 + 7) & 0xFF for i in range(LARGE[0]["payload_length"]))


@pytest.mark.parametrize("vector", VALID, ids=[vector["name"] for vector in VALID])
def test_valid_vector_encodes_byte_for_byte(vector: dict[str, Any]) -> None:
    frame = encode_message(expected_headers(vector), bytes.fromhex(vector["payload_hex"]))
    assert frame.hex() == vector["encoded_hex"]
    assert len(frame) == vector["total_length"]
    assert frame[8:12].hex() == vector["prelude_crc"]
    assert frame[-4:].hex() == vector["message_crc"]


@pytest.mark.parametrize("piece_size", [None, 1, 7], ids=["whole", "1-byte", "7-byte"])
@pytest.mark.parametrize("vector", VALID, ids=[vector["name"] for vector in VALID])
def test_valid_vector_decodes(vector: dict[str, Any], piece_size: int | None) -> None:
    data = bytes.fromhex(vector["encoded_hex"])
    [message] = decode_in_pieces(data, piece_size or len(data))
    assert typed(message.headers) == typed(expected_headers(vector))
    assert message.payload == bytes.fromhex(vector["payload_hex"])
    if vector["payload_utf8"] is not None:
        assert message.payload.decode("utf-8") == vector["payload_utf8"]
    assert encode_message(message.headers, message.payload) == data


def test_all_valid_vectors_back_to_back_decode_in_order() -> None:
    data = b"".join(bytes.fromhex(vector["encoded_hex"]) for vector in VALID)
    for piece_size in (len(data), 1, 7, 4096):
        messages = decode_in_pieces(data, piece_size)
        assert [typed(message.headers) for message in messages] == [typed(expected_headers(vector)) for vector in VALID]


AUDIO_VECTORS = [vector for vector in VALID if vector["name"].startswith("audio_event")]


@pytest.mark.parametrize("vector", AUDIO_VECTORS, ids=[vector["name"] for vector in AUDIO_VECTORS])
def test_audio_event_vectors_match_the_fast_path(vector: dict[str, Any]) -> None:
    assert encode_audio_event(bytes.fromhex(vector["payload_hex"])).hex() == vector["encoded_hex"]


def test_large_vector_via_generator_rule_and_sha256() -> None:
    [vector] = LARGE
    payload = large_payload()
    assert hashlib.sha256(payload).hexdigest() == vector["payload_sha256"]
    frame = encode_message(expected_headers(vector), payload)
    assert len(frame) == vector["total_length"]
    assert frame.startswith(bytes.fromhex(vector["encoded_prefix_hex"]))
    assert frame[-4:].hex() == vector["message_crc"]
    assert hashlib.sha256(frame).hexdigest() == vector["encoded_sha256"]
    assert encode_audio_event(payload) == frame
    for piece_size in (len(frame), 4096, 7):
        [message] = decode_in_pieces(frame, piece_size)
        assert message.headers == expected_headers(vector)
        assert message.payload == payload


@pytest.mark.parametrize("vector", INVALID, ids=[vector["name"] for vector in INVALID])
def test_invalid_vector_raises_protocol_error(vector: dict[str, Any]) -> None:
    data = bytes.fromhex(vector["encoded_hex"])
    for piece_size in (len(data), 1, 7):
        decoder = EventStreamDecoder()
        with pytest.raises(ProtocolError):  # noqa: PT012 - feeding or closing may raise
            for start in range(0, len(data), piece_size):
                decoder.feed(data[start : start + piece_size])
            decoder.close()


_REASONS = {
    "bad_prelude_crc": "prelude CRC mismatch",
    "bad_message_crc": "message CRC mismatch",
    "corrupted_header_byte": "message CRC mismatch",
    "corrupted_length": "prelude CRC mismatch",
    "truncated": "ended inside the message",
    "truncated_prelude": "ended inside a message prelude",
    "headers_length_exceeds_total": "headers_length 61 exceeds total_length - 16",
    "total_length_below_minimum": "total_length 15 is below the minimum of 16",
    "headers_length_over_128KiB": "header section of 131073 bytes exceeds max_headers_size",
    "payload_over_limit": "exceeds max_message_size",
    "duplicate_header": "duplicate header name 'a'",
    "unknown_header_type": "unknown value type 10",
    "header_value_overruns_headers": "runs past the end of the header section",
}


def test_every_invalid_vector_has_a_reason() -> None:
    assert {vector["name"] for vector in INVALID} == set(_REASONS)


@pytest.mark.parametrize("vector", INVALID, ids=[vector["name"] for vector in INVALID])
def test_invalid_vector_gives_its_precise_reason(vector: dict[str, Any]) -> None:
    decoder = EventStreamDecoder()
    with pytest.raises(ProtocolError, match=_REASONS[vector["name"]]):  # noqa: PT012
        decoder.feed(bytes.fromhex(vector["encoded_hex"]))
        decoder.close()
