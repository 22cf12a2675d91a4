"""EventStreamDecoder: buffering, size caps checked from the prelude, every error reason, close()."""

from __future__ import annotations

import pytest

from transcribe_medical._exceptions import ProtocolError, ValidationError
from transcribe_medical._limits import EVENTSTREAM_MAX_HEADERS_SIZE, EVENTSTREAM_MAX_MESSAGE_SIZE
from transcribe_medical.eventstream import EventStreamDecoder, Message, encode_message

from .frames import build_frame, build_prelude, string_header

FRAME = encode_message({":message-type": "event", ":event-type": "TranscriptEvent"}, b'{"Transcript":{}}')


def test_defaults_come_from_the_limits_module() -> None:
    decoder = EventStreamDecoder()
    assert decoder.max_message_size == EVENTSTREAM_MAX_MESSAGE_SIZE == 1024 * 1024
    assert decoder.max_headers_size == EVENTSTREAM_MAX_HEADERS_SIZE == 128 * 1024


def test_whole_message_in_one_feed() -> None:
    [message] = EventStreamDecoder().feed(FRAME)
    assert message == Message({":message-type": "event", ":event-type": "TranscriptEvent"}, b'{"Transcript":{}}')
    assert type(message.payload) is bytes


def test_messages_wait_for_their_last_byte() -> None:
    decoder = EventStreamDecoder()
    assert decoder.feed(FRAME[:-1]) == []
    assert decoder.buffered_size == len(FRAME) - 1
    [message] = decoder.feed(FRAME[-1:])
    assert message.payload == b'{"Transcript":{}}'
    assert decoder.buffered_size == 0
    decoder.close()


def test_several_messages_and_a_partial_in_one_feed() -> None:
    decoder = EventStreamDecoder()
    messages = decoder.feed(FRAME * 3 + FRAME[:20])
    assert len(messages) == 3
    assert decoder.buffered_size == 20
    assert len(decoder.feed(FRAME[20:] + FRAME)) == 2


def test_every_two_piece_split_gives_the_same_messages() -> None:
    data = FRAME + encode_message({}, b"") + encode_message({"n": 1}, b"xyz")
    expected = EventStreamDecoder().feed(data)
    assert len(expected) == 3
    for cut in range(len(data) + 1):
        decoder = EventStreamDecoder()
        assert decoder.feed(data[:cut]) + decoder.feed(data[cut:]) == expected, cut
        decoder.close()


def test_empty_feeds_are_harmless() -> None:
    decoder = EventStreamDecoder()
    assert decoder.feed(b"") == []
    decoder.feed(FRAME[:5])
    assert decoder.feed(b"") == []
    assert len(decoder.feed(FRAME[5:])) == 1


def test_bytearray_and_memoryview_input_are_copied() -> None:
    decoder = EventStreamDecoder()
    data = bytearray(FRAME)
    assert decoder.feed(memoryview(data)[:10]) == []
    data[:] = bytes(len(data))  # the caller reuses its buffer: the decoder must not care
    [message] = decoder.feed(bytearray(FRAME[10:]))
    assert message.payload == b'{"Transcript":{}}'


def test_returned_headers_are_independent_of_each_other() -> None:
    decoder = EventStreamDecoder()
    first, second = decoder.feed(FRAME * 2)
    first.headers[":event-type"] = "changed"
    [third] = decoder.feed(FRAME)
    assert second.headers[":event-type"] == third.headers[":event-type"] == "TranscriptEvent"


def test_many_distinct_header_sections_still_decode() -> None:
    decoder = EventStreamDecoder()
    frames = [encode_message({"n": i}) for i in range(200)] * 2
    assert [message.headers["n"] for message in decoder.feed(b"".join(frames))] == list(range(200)) * 2


def test_message_repr_hides_the_payload() -> None:
    [message] = EventStreamDecoder().feed(encode_message({"a": "b"}, b"patient name"))
    assert repr(message) == "Message(headers={'a': 'b'}, payload=<12 bytes>)"


# ---- size caps, checked from the prelude alone ------------------------------------------------


def test_oversize_prelude_is_rejected_before_the_body_arrives() -> None:
    decoder = EventStreamDecoder()
    with pytest.raises(ProtocolError, match=r"message of 104857600 bytes exceeds max_message_size \(1048576\)"):
        decoder.feed(build_prelude(100 * 1024 * 1024, 0))
    assert decoder.buffered_size == 0


def test_oversize_prelude_is_rejected_when_its_last_byte_arrives() -> None:
    decoder = EventStreamDecoder()
    prelude = build_prelude(100 * 1024 * 1024, 0)
    for byte in prelude[:-1]:
        assert decoder.feed(bytes([byte])) == []
    with pytest.raises(ProtocolError, match="exceeds max_message_size"):
        decoder.feed(prelude[-1:])


def test_oversize_headers_are_rejected_from_the_prelude() -> None:
    decoder = EventStreamDecoder(max_headers_size=10)
    with pytest.raises(ProtocolError, match=r"header section of 11 bytes exceeds max_headers_size \(10\)"):
        decoder.feed(build_prelude(100, 11))


def test_message_size_cap_is_inclusive() -> None:
    frame = encode_message({}, bytes(84))
    assert len(frame) == 100
    assert len(EventStreamDecoder(max_message_size=100).feed(frame)) == 1
    with pytest.raises(ProtocolError, match="message of 100 bytes exceeds max_message_size"):
        EventStreamDecoder(max_message_size=99).feed(frame)


def test_headers_size_cap_is_inclusive() -> None:
    frame = encode_message({"a": "b"})  # a 6-byte header section
    assert len(EventStreamDecoder(max_headers_size=6).feed(frame)) == 1
    with pytest.raises(ProtocolError, match="header section of 6 bytes"):
        EventStreamDecoder(max_headers_size=5).feed(frame)


@pytest.mark.parametrize(
    "options",
    [{"max_message_size": 15}, {"max_message_size": 0}, {"max_headers_size": -1}],
    ids=str,
)
def test_bad_limits_are_refused(options: dict[str, int]) -> None:
    with pytest.raises(ValidationError):
        EventStreamDecoder(**options)


# ---- prelude and CRC errors -----------------------------------------------------------------


def test_total_length_below_minimum() -> None:
    with pytest.raises(ProtocolError, match="total_length 12 is below the minimum of 16"):
        EventStreamDecoder().feed(build_prelude(12, 0))


def test_headers_length_beyond_total() -> None:
    with pytest.raises(ProtocolError, match="headers_length 5 exceeds total_length - 16 = 4"):
        EventStreamDecoder().feed(build_prelude(20, 5))


def test_prelude_crc_mismatch() -> None:
    corrupt = FRAME[:9] + bytes([FRAME[9] ^ 0x40]) + FRAME[10:]
    with pytest.raises(ProtocolError, match="prelude CRC mismatch"):
        EventStreamDecoder().feed(corrupt)


def test_message_crc_mismatch_in_the_payload() -> None:
    corrupt = FRAME[:-6] + bytes([FRAME[-6] ^ 1]) + FRAME[-5:]
    with pytest.raises(ProtocolError, match="message CRC mismatch"):
        EventStreamDecoder().feed(corrupt)


def test_error_names_the_stream_offset_of_the_bad_message() -> None:
    corrupt = FRAME[:-1] + bytes([FRAME[-1] ^ 1])
    decoder = EventStreamDecoder()
    decoder.feed(FRAME + FRAME[:3])
    with pytest.raises(ProtocolError, match=f"message at byte {len(FRAME)} of the stream"):
        decoder.feed(corrupt[3:])


# ---- header section errors (CRCs valid, so only the header checks can catch them) -----------


@pytest.mark.parametrize(
    ("header_block", "reason"),
    [
        (b"\x00\x07\x00\x00", "empty header name"),
        (b"\x05ab", "header name runs past the end of the header section"),
        (b"\x02ab", "header name runs past the end of the header section"),
        (b"\x02\xff\xfe\x00", "header name is not valid UTF-8"),
        (b"\x01a\x07\x00\x02\xc3\x28", "header 'a' is not valid UTF-8"),
        (b"\x01a\x07\x00", "header 'a' \\(type 7\\) runs past"),
        (b"\x01a\x06\x00\x05abc", "header 'a' \\(type 6\\) runs past"),
        (b"\x01a\x02", "header 'a' \\(type 2\\) runs past"),
        (b"\x01a\x05\x00\x00\x00", "header 'a' \\(type 5\\) runs past"),
        (b"\x01a\x08\x00", "header 'a' \\(type 8\\) runs past"),
        (b"\x01a\x09" + bytes(15), "header 'a' \\(type 9\\) runs past"),
        (b"\x01a\x0a", "header 'a' has unknown value type 10"),
        (b"\x01a\xff", "header 'a' has unknown value type 255"),
        (b"\x01a\x00\x01a\x01", "duplicate header name 'a'"),
    ],
    ids=lambda value: value.hex() if isinstance(value, bytes) else "",
)
def test_bad_header_sections(header_block: bytes, reason: str) -> None:
    with pytest.raises(ProtocolError, match=reason):
        EventStreamDecoder().feed(build_frame(header_block, b"payload"))


def test_header_value_cannot_borrow_payload_bytes() -> None:
    # The string claims 5 bytes; 3 are in the header section and the rest would be payload.
    frame = build_frame(b"\x01a\x07\x00\x05abc", b"de")
    with pytest.raises(ProtocolError, match="runs past the end of the header section"):
        EventStreamDecoder().feed(frame)


def test_utf8_names_and_values_decode() -> None:
    [message] = EventStreamDecoder().feed(build_frame(string_header("nöm", "välue ✓")))
    assert message.headers == {"nöm": "välue ✓"}


# ---- after a failure, and close() ------------------------------------------------------------


def test_a_failed_decoder_keeps_failing() -> None:
    decoder = EventStreamDecoder()
    with pytest.raises(ProtocolError):
        decoder.feed(build_prelude(12, 0))
    with pytest.raises(ProtocolError, match="already failed: total_length 12"):
        decoder.feed(FRAME)
    decoder.close()  # the failure was already reported; nothing is held


def test_close_after_whole_messages_is_quiet() -> None:
    decoder = EventStreamDecoder()
    decoder.feed(FRAME * 2)
    decoder.close()


def test_close_inside_a_prelude() -> None:
    decoder = EventStreamDecoder()
    decoder.feed(FRAME + FRAME[:5])
    with pytest.raises(ProtocolError, match=f"inside a message prelude at byte {len(FRAME)}: 5 of its 12"):
        decoder.close()


def test_close_inside_a_body() -> None:
    decoder = EventStreamDecoder()
    decoder.feed(FRAME[:-1])
    with pytest.raises(ProtocolError, match=f"inside the message at byte 0: {len(FRAME) - 1} of its {len(FRAME)}"):
        decoder.close()
    decoder.close()  # reported once; the partial message is dropped
