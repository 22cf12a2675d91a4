"""Our frames decode the same with botocore's EventStreamBuffer, and botocore's with ours."""

from __future__ import annotations

import uuid
from typing import Any, cast

import pytest
from botocore.eventstream import EventStreamBuffer
from hypothesis import given, settings

from transcribe_medical.eventstream import EventStreamDecoder, HeaderValue, encode_message

from .frames import load_vectors
from .strategies import headers, payloads

VALID = load_vectors()["valid"]


def plain(value: HeaderValue) -> object:
    """A header value as botocore returns it: wrappers as ints, UUIDs as their 16 bytes."""
    if isinstance(value, uuid.UUID):
        return value.bytes
    if isinstance(value, int) and not isinstance(value, bool):
        return int(value)
    return value


def botocore_plain(value: Any) -> object:
    return value.bytes if isinstance(value, uuid.UUID) else value


def botocore_decode(data: bytes, piece_size: int) -> list[tuple[dict[str, object], bytes]]:
    buffer = EventStreamBuffer()
    decoded: list[tuple[dict[str, object], bytes]] = []
    for start in range(0, len(data), piece_size):
        buffer.add_data(data[start : start + piece_size])
        for message in buffer:
            # botocore-stubs types .headers as int; it is the dict of decoded headers.
            message_headers = cast("dict[str, Any]", message.headers)
            decoded.append(({name: botocore_plain(value) for name, value in message_headers.items()}, message.payload))
    return decoded


def our_decode(data: bytes) -> list[tuple[dict[str, object], bytes]]:
    decoder = EventStreamDecoder()
    messages = decoder.feed(data)
    decoder.close()
    return [({name: plain(value) for name, value in m.headers.items()}, m.payload) for m in messages]


@settings(deadline=None, database=None)
@given(headers, payloads)
def test_botocore_decodes_our_frames_identically(message_headers: dict[str, HeaderValue], payload: bytes) -> None:
    frame = encode_message(message_headers, payload)
    assert botocore_decode(frame, len(frame)) == our_decode(frame)


@pytest.mark.parametrize("piece_size", [1, 7, 4096])
def test_botocore_agrees_on_every_golden_vector(piece_size: int) -> None:
    stream = b"".join(bytes.fromhex(vector["encoded_hex"]) for vector in VALID)
    assert botocore_decode(stream, piece_size) == our_decode(stream)
