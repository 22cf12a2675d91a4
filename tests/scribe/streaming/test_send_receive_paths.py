"""The per-chunk paths of a HealthScribe session give what the generic code gives.

Signing (material kept per second), the inner AudioEvent (the codec's fast path), the replay
buffer (chunks kept, not one growing buffer) and received segments (built without pydantic's
validation) are each checked against the plain computation they replace.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import struct
from datetime import UTC, datetime, timedelta

import pytest
from botocore.credentials import Credentials

from transcribe_medical import ProtocolError
from transcribe_medical.eventstream import AUDIO_EVENT_HEADERS, EventStreamDecoder, Message, Timestamp, encode_message
from transcribe_medical.models.transcript import Item, Segment
from transcribe_medical.scribe.streaming.config import ScribeStreamConfig
from transcribe_medical.scribe.streaming.event_signing import EventSigner, derive_signing_key
from transcribe_medical.scribe.streaming.protocol import ScribeSessionProtocol
from transcribe_medical.scribe.streaming.replay import ReplayBuffer

CREDS = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
ROLE_ARN = "arn:aws:iam::123456789012:role/HealthScribe"
WHEN = datetime(2026, 12, 6, 23, 59, 59, 250000, tzinfo=UTC)


def _expected_frame(secret: str, prior: str, inner: bytes, seconds: int) -> bytes:
    """The signed outer message written out with the generic encoder and hmac.new."""
    stamp = datetime.fromtimestamp(seconds, UTC)
    date_header = bytes([5]) + b":date" + bytes([8]) + struct.pack(">q", seconds * 1000)
    text = "\n".join(
        [
            "AWS4-HMAC-SHA256-PAYLOAD",
            f"{stamp:%Y%m%dT%H%M%SZ}",
            f"{stamp:%Y%m%d}/us-east-1/transcribe/aws4_request",
            prior,
            hashlib.sha256(date_header).hexdigest(),
            hashlib.sha256(inner).hexdigest(),
        ]
    )
    key = derive_signing_key(secret, f"{stamp:%Y%m%d}", "us-east-1", "transcribe")
    signature = hmac.new(key, text.encode(), hashlib.sha256).digest()
    return encode_message({":chunk-signature": signature, ":date": Timestamp(seconds * 1000)}, inner)


def test_frames_across_seconds_and_days_are_the_generic_encoders_bytes() -> None:
    signer = EventSigner(CREDS, "us-east-1", "a" * 64)
    prior = "a" * 64
    # Two events in one second, then the next second (a new day: a new key and scope).
    for index, offset in enumerate((0, 0.5, 1, 1)):
        inner = encode_message(AUDIO_EVENT_HEADERS, bytes([index]) * 3200)
        now = WHEN + timedelta(seconds=offset)
        frame = signer.sign(inner, now=now)
        assert frame == _expected_frame(CREDS.secret_key, prior, inner, int(now.timestamp()))
        [outer] = EventStreamDecoder().feed(frame)
        prior = bytes(outer.headers[":chunk-signature"]).hex()  # type: ignore[arg-type]


def test_the_clock_path_signs_whole_seconds_as_the_given_time_does() -> None:
    signer = EventSigner(CREDS, "us-east-1", "b" * 64)
    inner = encode_message(AUDIO_EVENT_HEADERS, b"\x01\x00" * 1600)
    [outer] = EventStreamDecoder().feed(signer.sign(inner))
    milliseconds = int(outer.headers[":date"])  # type: ignore[call-overload]
    assert milliseconds % 1000 == 0
    assert signer.sign(inner) != b""  # the chain goes on
    again = EventSigner(CREDS, "us-east-1", "b" * 64)
    given = datetime.fromtimestamp(milliseconds // 1000, UTC)
    assert again.sign(inner, now=given) == _expected_frame(CREDS.secret_key, "b" * 64, inner, milliseconds // 1000)
    assert EventStreamDecoder().feed(again.sign(inner, now=given))  # still decodable after the cache


def test_a_naive_time_is_still_refused() -> None:
    from transcribe_medical import ValidationError

    with pytest.raises(ValidationError, match="timezone-aware"):
        EventSigner(CREDS, "us-east-1", "c" * 64).sign(b"", now=datetime(2026, 1, 1))


def _protocol(**settings: object) -> ScribeSessionProtocol:
    config = ScribeStreamConfig(role_arn=ROLE_ARN, output_bucket="notes-bucket", **settings).with_session_id()  # type: ignore[arg-type]
    protocol = ScribeSessionProtocol(config)
    protocol.start(EventSigner(CREDS, "us-east-1", "d" * 64))
    return protocol


@pytest.mark.parametrize("size", [3200, 32_768, 96_000])
def test_an_audio_frame_carries_the_generic_audio_event(size: int) -> None:
    protocol = _protocol(sample_rate=48_000)
    chunk = bytes(range(256)) * (size // 256) + bytes(size % 256)
    [outer] = EventStreamDecoder(max_message_size=1 << 20).feed(protocol.audio(chunk))
    assert outer.payload == encode_message(AUDIO_EVENT_HEADERS, chunk)


def test_replay_buffer_keeps_chunks_and_cuts_at_finals() -> None:
    buffer = ReplayBuffer(32_000, 2, limit=10_000)
    sent = bytearray()
    for index in range(5):
        chunk = bytes([index]) * 3_000
        buffer.add(chunk)
        sent += chunk
    # 15,000 sent, 10,000 kept at most: the first 5,000 bytes fell out.
    assert buffer.overflowed and not buffer.resumable
    buffer.final_until(7_000 / 32_000)  # finals cover what fell out, and 2,000 more
    assert buffer.resumable and buffer.kept == 7_000
    pieces = list(buffer.replay(3_200))
    assert [len(piece) for piece in pieces] == [3_200, 3_200, 1_600]
    assert b"".join(pieces) == bytes(sent[7_000:])


def test_replay_buffer_copies_a_mutable_chunk() -> None:
    buffer = ReplayBuffer(32_000, 2)
    chunk = bytearray(b"\x01\x02" * 10)
    buffer.add(chunk)
    chunk[:] = bytes(20)
    assert list(buffer.replay(100)) == [b"\x01\x02" * 10]


def _event(segment: dict[str, object]) -> Message:
    headers = {":message-type": "event", ":event-type": "TranscriptEvent", ":content-type": "application/json"}
    return Message(headers, json.dumps({"TranscriptSegment": segment}).encode())  # type: ignore[arg-type]


def _items(words: list[str]) -> list[dict[str, object]]:
    return [
        {
            "BeginAudioTime": n * 0.5,
            "EndAudioTime": n * 0.5 + 0.4,
            "Type": "PRONUNCIATION",
            "Confidence": 0.9,
            "Content": w,
        }
        for n, w in enumerate(words)
    ] + [{"BeginAudioTime": 0, "EndAudioTime": 0, "Type": "PUNCTUATION", "Confidence": 0.0, "Content": "."}]


def test_received_segments_equal_validated_models() -> None:
    protocol = _protocol(sample_rate=16_000)
    words = ["The", "patient", "reports", "a", "cough"]
    for count in range(1, len(words) + 1):
        raw = {
            "SegmentId": "seg-1",
            "BeginAudioTime": 0.0,
            "EndAudioTime": count * 0.5,
            "Content": " ".join(words[:count]),
            "Items": _items(words[:count]),
            "IsPartial": count < len(words),
            "ChannelId": "ch_0",
        }
        event = protocol.handle(_event(raw))
        assert event is not None
        expected = Segment(
            start=0.0,
            end=count * 0.5,
            text=raw["Content"],
            speaker=None,  # as the keyword construction it replaces named it
            channel="ch_0",
            segment_id="seg-1",
            items=[
                Item(
                    start=i["BeginAudioTime"],
                    end=i["EndAudioTime"],
                    content=i["Content"],
                    type=str(i["Type"]).lower(),
                    confidence=i["Confidence"],
                    channel="ch_0",
                )
                for i in raw["Items"]  # type: ignore[attr-defined]
            ],
        )
        assert event.segment == expected
        assert event.segment.model_fields_set == expected.model_fields_set
        assert event.is_partial is (count < len(words))
    event.segment.text = "edited"  # assignment works on a constructed model (its own fields set)
    assert [s.segment_id for s in protocol.transcript.segments] == ["seg-1"]


@pytest.mark.parametrize(
    ("field", "value"),
    [("BeginAudioTime", -1.0), ("EndAudioTime", "nan"), ("SegmentId", 7), ("ChannelId", "left")],
)
def test_a_malformed_segment_is_still_refused(field: str, value: object) -> None:
    protocol = _protocol(sample_rate=16_000)
    raw = {"SegmentId": "s", "BeginAudioTime": 0.0, "EndAudioTime": 1.0, "Content": "x", "Items": [], field: value}
    with pytest.raises(ProtocolError, match="malformed TranscriptEvent"):
        protocol.handle(_event(raw))


def test_a_growing_partial_reuses_its_items_and_a_revision_is_seen() -> None:
    protocol = _protocol(sample_rate=16_000)
    words = [f"w{n}" for n in range(8)]

    def segment(items: list[dict[str, object]]) -> Segment:
        raw = {"SegmentId": "s", "BeginAudioTime": 0.0, "EndAudioTime": 4.0, "Content": "", "Items": items}
        event = protocol.handle(_event({**raw, "IsPartial": True}))
        assert event is not None
        return event.segment

    first = segment(_items(words[:6]))
    grown = segment(_items(words))
    assert all(a is b for a, b in zip(first.items[:6], grown.items[:6], strict=True))  # made once
    revised_raw = _items(words)
    revised_raw[1] = {**revised_raw[1], "Content": "patient"}  # an early word changes
    revised = segment(revised_raw)
    assert [item.content for item in revised.items] == ["w0", "patient", *words[2:], "."]
    assert revised.items[0] is grown.items[0]
