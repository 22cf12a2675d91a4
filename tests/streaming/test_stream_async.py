"""End to end, asyncio: the asyncio client against the scripted service on 127.0.0.1."""

from __future__ import annotations

import asyncio
import threading
import wave
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from streaming.conftest import NO_RETRY
from streaming.fake_service import FakeTranscribeStreaming, load_sequence
from transcribe_medical import (
    AsyncTranscribeMedical,
    AudioFormatError,
    BadRequestError,
    ConflictError,
    ConnectionError,
    CredentialsError,
    InternalFailureError,
    LimitExceededError,
    ServiceError,
    ServiceUnavailableError,
    StreamConfig,
    Transcript,
    TranscriptEvent,
)
from transcribe_medical.streaming.protocol import StreamState

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "audio"
MONO = FIXTURES / "mono_16k.wav"
STEREO = FIXTURES / "stereo_16k.wav"
PHI_SEQUENCE = load_sequence("conversation_speakers_phi")
CARDIOLOGY = StreamConfig(specialty="CARDIOLOGY", type="DICTATION")
END_HEADERS = {":message-type": "event", ":event-type": "AudioEvent", ":content-type": "application/octet-stream"}


def _pcm_of(path: Path) -> bytes:
    with wave.open(str(path), "rb") as wav:
        return wav.readframes(wav.getnframes())


def test_a_wav_file_streams_in_order_and_assembles_finals(
    async_client: AsyncTranscribeMedical, service: FakeTranscribeStreaming
) -> None:
    service.events = [event["payload"] for event in PHI_SEQUENCE["events"]]

    async def main() -> Transcript:
        async with async_client:
            return await async_client.streaming.transcribe_file(MONO, CARDIOLOGY, realtime=False)

    transcript = asyncio.run(main())
    received = service.last
    assert received.audio_bytes == _pcm_of(MONO)
    assert all(0 < len(payload) <= 32768 for payload in received.audio)
    assert set(received.messages_per_ws_message) == {1}
    assert received.got_end and received.headers[-1] == END_HEADERS
    assert received.query["specialty"] == "CARDIOLOGY"
    assert transcript.text == PHI_SEQUENCE["expected_transcript"]
    assert transcript.session_id == received.query["session-id"]


def test_async_for_over_transcribe_yields_every_event_without_threads(
    async_client: AsyncTranscribeMedical, service: FakeTranscribeStreaming
) -> None:
    events = [event["payload"] for event in PHI_SEQUENCE["events"]]
    service.events = [*events, events[0]]  # a stale partial after the final

    async def main() -> tuple[list[TranscriptEvent], Transcript, set[str]]:
        received: list[TranscriptEvent] = []
        threads: set[str] = set()
        stream = async_client.streaming.transcribe(MONO, CARDIOLOGY, realtime=False)
        async for event in stream:
            received.append(event)
            threads |= {t.name for t in threading.enumerate()}
        return received, stream.transcript, threads

    received, transcript, threads = asyncio.run(main())
    assert len(received) == len(service.events)
    assert [segment.text for segment in transcript.segments] == [
        "Good morning, Mr. Alvarez.",
        "Only when I climb stairs.",
    ]
    assert "transcribe-medical-sender" not in threads


def test_connect_splits_large_writes(async_client: AsyncTranscribeMedical, service: FakeTranscribeStreaming) -> None:
    audio = bytes(range(256)) * 1000

    async def main() -> StreamState:
        async with async_client.streaming.connect(StreamConfig(media_encoding="pcm", sample_rate=48000)) as stream:
            await stream.send_audio(audio)
            await stream.end()
            assert [event async for event in stream] == []
            return stream.state

    assert asyncio.run(main()) is StreamState.DONE
    assert service.last.audio_bytes == audio
    assert max(len(p) for p in service.last.audio) == 32768
    assert max(service.last.ws_message_sizes) <= 32768 + 104
    assert service.last.got_end


def test_async_iterables_of_bytes_stream(
    async_client: AsyncTranscribeMedical, service: FakeTranscribeStreaming
) -> None:
    chunks = [bytes([i]) * 3200 for i in range(8)]

    async def source() -> AsyncIterator[bytes]:
        for chunk in chunks:
            yield chunk

    async def main() -> None:
        config = StreamConfig(media_encoding="pcm", sample_rate=16000)
        async with async_client.streaming.transcribe(source(), config, realtime=False) as stream:
            async for _ in stream:
                pass

    asyncio.run(main())
    assert service.last.audio_bytes == b"".join(chunks)


@pytest.mark.parametrize(
    ("exception_type", "error_class"),
    [
        ("BadRequestException", BadRequestError),
        ("LimitExceededException", LimitExceededError),
        ("InternalFailureException", InternalFailureError),
        ("ConflictException", ConflictError),
        ("ServiceUnavailableException", ServiceUnavailableError),
    ],
)
def test_service_exceptions_map_to_their_classes(
    async_client: AsyncTranscribeMedical,
    service: FakeTranscribeStreaming,
    exception_type: str,
    error_class: type[ServiceError],
) -> None:
    service.exception = exception_type
    service.exception_after = 2
    with pytest.raises(error_class) as raised:
        asyncio.run(async_client.streaming.transcribe_file(MONO, CARDIOLOGY, realtime=False))
    assert raised.value.code == exception_type


def test_an_exception_found_while_sending_is_reported_as_such(
    async_client: AsyncTranscribeMedical, service: FakeTranscribeStreaming
) -> None:
    service.exception = "BadRequestException"

    async def main() -> None:
        async with async_client.streaming.connect(StreamConfig(media_encoding="pcm", sample_rate=16000)) as stream:
            await stream.send_audio(b"\x00" * 3200)
            await asyncio.to_thread(service.done.wait)
            for _ in range(100):
                await stream.send_audio(b"\x00" * 3200)

    with pytest.raises(BadRequestError):
        asyncio.run(main())


def test_handshake_403_is_credentials_error(service: FakeTranscribeStreaming, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wrong")
    client = AsyncTranscribeMedical(region_name="us-east-1", streaming_endpoint_url=service.url, config=NO_RETRY)
    with pytest.raises(CredentialsError, match="HTTP 403"):
        asyncio.run(client.streaming.transcribe_file(MONO, CARDIOLOGY, realtime=False))
    assert service.refusals == ["signature mismatch"]


def test_a_finished_stream_is_freed_without_the_garbage_collector(async_client: AsyncTranscribeMedical) -> None:
    # A stream left in a reference cycle (a done task kept, holding its coroutine or its
    # CancelledError's frames) waits for the garbage collector with its connection and buffers;
    # with a hundred streams that is most of the collector's work.
    import gc
    import weakref

    async def stream() -> weakref.ref[object]:
        async with async_client.streaming.transcribe(MONO, CARDIOLOGY, realtime=False) as events:
            async for _ in events:
                pass
            events.transcript  # noqa: B018  (built, as a caller reads it)
        return weakref.ref(events)

    gc.collect()
    gc.disable()
    try:
        freed = asyncio.run(stream())
        assert freed() is None
    finally:
        gc.enable()


def test_handshake_429_is_limit_exceeded(
    async_client: AsyncTranscribeMedical, service: FakeTranscribeStreaming
) -> None:
    service.handshake_status = 429
    with pytest.raises(LimitExceededError):
        asyncio.run(async_client.streaming.transcribe_file(MONO, CARDIOLOGY, realtime=False))


def test_a_throttled_opening_is_retried_with_backoff_as_one_run_of_attempts(
    service: FakeTranscribeStreaming, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from transcribe_medical import ClientConfig, RetryPolicy

    service.handshake_statuses = [429, 503]  # the first two upgrades refused, the third served
    retry = RetryPolicy(max_attempts=3, initial_backoff=0.0, max_backoff=0.0)
    client = AsyncTranscribeMedical(
        region_name="us-east-1", streaming_endpoint_url=service.url, config=ClientConfig(retry=retry)
    )
    with caplog.at_level("INFO", logger="transcribe_medical.retry"):
        asyncio.run(client.streaming.transcribe_file(MONO, CARDIOLOGY, realtime=False))
    assert len(service.connections) == 3 and service.last.got_end
    retried = [record.getMessage() for record in caplog.records if record.name == "transcribe_medical.retry"]
    assert len(retried) == 2
    assert "attempt 1" in retried[0] and "attempt 2" in retried[1]


def test_the_attempts_of_an_opening_are_counted_from_the_first(service: FakeTranscribeStreaming) -> None:
    from transcribe_medical import ClientConfig, RetryPolicy

    service.handshake_statuses = [429, 429, 429]
    retry = RetryPolicy(max_attempts=2, initial_backoff=0.0, max_backoff=0.0)
    client = AsyncTranscribeMedical(
        region_name="us-east-1", streaming_endpoint_url=service.url, config=ClientConfig(retry=retry)
    )
    with pytest.raises(LimitExceededError):
        asyncio.run(client.streaming.transcribe_file(MONO, CARDIOLOGY, realtime=False))
    assert len(service.connections) == 2


def test_an_opening_that_succeeds_builds_no_retry_machinery(
    service: FakeTranscribeStreaming, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Opening is on every stream's path: the retry loop (tenacity, objects in reference cycles)
    # is built only when the first attempt fails.
    import transcribe_medical.streaming.asyncio.client as client_module
    from transcribe_medical import ClientConfig

    def no_retries(*args: object, **kwargs: object) -> None:
        raise AssertionError("the retry loop was entered for an opening that succeeded")

    monkeypatch.setattr(client_module, "call_with_retries_async", no_retries)
    client = AsyncTranscribeMedical(region_name="us-east-1", streaming_endpoint_url=service.url, config=ClientConfig())
    asyncio.run(client.streaming.transcribe_file(MONO, CARDIOLOGY, realtime=False))
    assert len(service.connections) == 1 and service.last.got_end


def test_connection_refused_is_connection_error() -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = AsyncTranscribeMedical(
        region_name="us-east-1", streaming_endpoint_url=f"ws://127.0.0.1:{port}", config=NO_RETRY
    )
    with pytest.raises(ConnectionError, match=f"127.0.0.1:{port}"):
        asyncio.run(client.streaming.transcribe_file(MONO, CARDIOLOGY, realtime=False))


def test_two_channels_without_channel_identification_is_refused_before_connecting(
    async_client: AsyncTranscribeMedical, service: FakeTranscribeStreaming
) -> None:
    with pytest.raises(AudioFormatError, match="channel_identification"):
        asyncio.run(async_client.streaming.transcribe_file(STEREO, StreamConfig(), realtime=False))
    assert service.connections == []


def test_real_time_pacing_uses_the_injected_clock(
    async_client: AsyncTranscribeMedical, service: FakeTranscribeStreaming
) -> None:
    now = [0.0]
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    async def main() -> None:
        stream = async_client.streaming.transcribe(MONO, CARDIOLOGY, clock=lambda: now[0], sleep=sleep)
        async with stream:
            async for _ in stream:
                pass

    asyncio.run(main())
    audio = service.last.audio
    # One wake-up per three 100 ms chunks: the one due, and the two due within the pacing batch.
    assert len(audio) > 7
    assert len(waits) == (len(audio) - 1) // 3
    assert all(w == pytest.approx(0.3) for w in waits)
