"""Property tests: round trips, arbitrary splits, and garbage that only ever raises ProtocolError."""

from __future__ import annotations

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from transcribe_medical._exceptions import ProtocolError
from transcribe_medical.eventstream import (
    EventStreamDecoder,
    HeaderValue,
    Int32,
    Int64,
    Message,
    encode_message,
)

from .strategies import frames, headers, payloads

quick = settings(deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


def decoded_type(value: HeaderValue) -> type:
    """The type a value comes back as: plain ints gain their wire type, everything else keeps it."""
    if type(value) is int:
        return Int32 if -(2**31) <= value < 2**31 else Int64
    return type(value)


def decode_all(data: bytes, cuts: list[int]) -> list[Message]:
    decoder = EventStreamDecoder()
    messages: list[Message] = []
    previous = 0
    for cut in [*sorted(cuts), len(data)]:
        messages.extend(decoder.feed(data[previous:cut]))
        previous = cut
    decoder.close()
    return messages


def decode_tolerantly(data: bytes) -> None:
    """Feed and close, allowing only success or ProtocolError."""
    decoder = EventStreamDecoder()
    try:
        decoder.feed(data)
        decoder.close()
    except ProtocolError:
        pass


@quick
@given(headers, payloads)
def test_encode_then_decode_is_the_identity(message_headers: dict[str, HeaderValue], payload: bytes) -> None:
    frame = encode_message(message_headers, payload)
    [message] = EventStreamDecoder().feed(frame)
    assert message.payload == payload
    assert list(message.headers) == list(message_headers)
    for name, value in message_headers.items():
        assert message.headers[name] == value
        assert type(message.headers[name]) is decoded_type(value)
    assert encode_message(message.headers, message.payload) == frame


@quick
@given(st.lists(frames, min_size=1, max_size=5), st.data())
def test_any_split_gives_the_same_messages(message_frames: list[bytes], data: st.DataObject) -> None:
    stream = b"".join(message_frames)
    expected = decode_all(stream, [])
    assert len(expected) == len(message_frames)
    cuts = data.draw(st.lists(st.integers(0, len(stream)), max_size=20))
    assert decode_all(stream, cuts) == expected


@quick
@given(st.lists(frames, min_size=1, max_size=3))
def test_split_at_every_offset(message_frames: list[bytes]) -> None:
    stream = b"".join(message_frames)
    expected = decode_all(stream, [])
    for cut in range(len(stream) + 1):
        assert decode_all(stream, [cut]) == expected


@quick
@given(frames)
def test_byte_by_byte_feeding(frame: bytes) -> None:
    assert decode_all(frame, list(range(len(frame)))) == decode_all(frame, [])


@quick
@given(st.binary(max_size=2048))
@example(b"\x00\x00\x00\x10\x00\x00\x00\x00\x05\xc2\x48\xeb")  # a valid prelude, then nothing
def test_random_bytes_only_raise_protocol_error(data: bytes) -> None:
    decode_tolerantly(data)


@quick
@given(frames, st.data())
def test_any_single_byte_corruption_is_detected(frame: bytes, data: st.DataObject) -> None:
    index = data.draw(st.integers(0, len(frame) - 1))
    flip = data.draw(st.integers(1, 255))
    corrupt = frame[:index] + bytes([frame[index] ^ flip]) + frame[index + 1 :]
    decoder = EventStreamDecoder()
    try:
        decoder.feed(corrupt)
        decoder.close()
    except ProtocolError:
        return
    raise AssertionError(f"corruption at byte {index} went unnoticed")


@quick
@given(st.lists(frames, min_size=1, max_size=3), st.data())
def test_random_corruptions_only_raise_protocol_error(message_frames: list[bytes], data: st.DataObject) -> None:
    stream = bytearray(b"".join(message_frames))
    for _ in range(data.draw(st.integers(1, 8))):
        stream[data.draw(st.integers(0, len(stream) - 1))] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(stream)))
    decode_tolerantly(bytes(stream[:cut]))
    decode_tolerantly(bytes(stream))


@quick
@given(frames, st.data())
def test_truncated_frames_fail_on_close(frame: bytes, data: st.DataObject) -> None:
    cut = data.draw(st.integers(1, len(frame) - 1))
    decoder = EventStreamDecoder()
    assert decoder.feed(frame[:cut]) == []
    try:
        decoder.close()
    except ProtocolError:
        return
    raise AssertionError("close() accepted a truncated frame")
