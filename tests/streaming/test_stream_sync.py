"""End to end, synchronous: the real client against the scripted service on 127.0.0.1."""

from __future__ import annotations

import contextlib
import logging
import sys
import threading
import time
import wave
from pathlib import Path

import pytest

from streaming.conftest import NO_RETRY
from streaming.fake_service import SERVER_LOGGER, FakeTranscribeStreaming, encode_frame, load_sequence, wav_bytes
from streaming.hostile_server import RECEIVE_BUFFER, HostileServer
from transcribe_medical import (
    AudioFormatError,
    BadRequestError,
    ClientConfig,
    ConflictError,
    ConnectionError,
    CredentialsError,
    InternalFailureError,
    LimitExceededError,
    ProtocolError,
    RetryPolicy,
    ServiceError,
    ServiceUnavailableError,
    StreamConfig,
    TranscribeMedical,
    ValidationError,
)
from transcribe_medical.streaming.protocol import StreamSession, StreamState
from transcribe_medical.streaming.reconnect import ReconnectPolicy
from transcribe_medical.streaming.sync.connection import StreamConnection
from transcribe_medical.streaming.sync.stream import LiveSession

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "audio"
MONO = FIXTURES / "mono_16k.wav"
STEREO = FIXTURES / "stereo_16k.wav"
END_HEADERS = {":message-type": "event", ":event-type": "AudioEvent", ":content-type": "application/octet-stream"}
PHI_SEQUENCE = load_sequence("conversation_speakers_phi")
CARDIOLOGY = StreamConfig(specialty="CARDIOLOGY", type="DICTATION")


def _pcm_of(path: Path) -> bytes:
    with wave.open(str(path), "rb") as wav:
        return wav.readframes(wav.getnframes())


def _send_until_refused(stream: StreamConnection) -> None:
    for _ in range(100):
        stream.send_audio(b"\x00" * 3200)


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_wav_file_streams_in_order_and_assembles_finals(
    client: TranscribeMedical, service: FakeTranscribeStreaming
) -> None:
    service.events = [event["payload"] for event in PHI_SEQUENCE["events"]]
    transcript = client.streaming.transcribe_file(MONO, CARDIOLOGY, realtime=False)

    received = service.last
    assert received.audio_bytes == _pcm_of(MONO)  # every byte, in order, no WAV header
    assert all(0 < len(payload) <= 32768 for payload in received.audio)
    assert set(received.messages_per_ws_message) == {1}  # one event-stream message per WS message
    assert received.got_end and received.headers[-1] == END_HEADERS
    assert received.query["specialty"] == "CARDIOLOGY" and received.query["type"] == "DICTATION"
    assert received.query["media-encoding"] == "pcm" and received.query["sample-rate"] == "16000"
    assert received.host == f"127.0.0.1:{service.port}"
    assert transcript.text == PHI_SEQUENCE["expected_transcript"]
    assert transcript.session_id == received.query["session-id"]
    assert service.refusals == []


def test_events_are_yielded_as_they_come_and_partials_never_duplicate_finals(
    client: TranscribeMedical, service: FakeTranscribeStreaming
) -> None:
    events = [event["payload"] for event in PHI_SEQUENCE["events"]]
    # Partials repeated after their result went final must not add anything.
    service.events = [*events, events[0], events[1]]
    with client.streaming.transcribe(MONO, CARDIOLOGY, realtime=False) as stream:
        received = list(stream)
        transcript = stream.transcript
    assert len(received) == len(service.events)
    assert [segment.text for segment in transcript.segments] == [
        "Good morning, Mr. Alvarez.",
        "Only when I climb stairs.",
    ]
    assert [segment.speaker for segment in transcript.segments] == ["spk_0", "spk_1"]


def test_large_writes_are_split_into_32_kib_payloads(
    client: TranscribeMedical, service: FakeTranscribeStreaming
) -> None:
    audio = bytes(range(256)) * 1000  # 256,000 bytes in one call
    with client.streaming.connect(StreamConfig(media_encoding="pcm", sample_rate=48000)) as stream:
        stream.send_audio(audio)
        stream.end()
        assert list(stream) == []
        assert stream.state is StreamState.DONE
    received = service.last
    assert received.audio_bytes == audio
    assert max(len(p) for p in received.audio) == 32768
    assert max(received.ws_message_sizes) <= 32768 + 104  # frame = payload + prelude, headers, CRCs
    assert received.got_end


def test_two_channels_need_channel_identification(client: TranscribeMedical, service: FakeTranscribeStreaming) -> None:
    with pytest.raises(AudioFormatError, match="channel_identification"):
        client.streaming.transcribe_file(STEREO, StreamConfig(), realtime=False)
    assert service.connections == []  # refused before any network call


def test_two_channels_with_channel_identification(client: TranscribeMedical, service: FakeTranscribeStreaming) -> None:
    sequence = load_sequence("two_channels")
    service.events = [event["payload"] for event in sequence["events"]]
    config = StreamConfig(specialty="CARDIOLOGY", type="CONVERSATION", channel_identification=True)
    transcript = client.streaming.transcribe_file(STEREO, config, realtime=False)
    assert service.last.query["enable-channel-identification"] == "true"
    assert service.last.query["number-of-channels"] == "2"
    assert service.last.audio_bytes == _pcm_of(STEREO)
    assert transcript.text == sequence["expected_transcript_interleaved"]
    assert {segment.channel for segment in transcript.segments} == {"ch_0", "ch_1"}


def test_byte_iterables_stream_with_the_configs_format(
    client: TranscribeMedical, service: FakeTranscribeStreaming
) -> None:
    chunks = [bytes([i]) * 3200 for i in range(10)]
    config = StreamConfig(media_encoding="pcm", sample_rate=16000)
    assert list(client.streaming.transcribe(iter(chunks), config, realtime=False)) == []
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
    client: TranscribeMedical,
    service: FakeTranscribeStreaming,
    exception_type: str,
    error_class: type[ServiceError],
) -> None:
    service.exception = exception_type
    service.exception_after = 3
    with pytest.raises(error_class) as raised:
        client.streaming.transcribe_file(MONO, CARDIOLOGY, realtime=False)
    assert raised.value.code == exception_type
    assert not any(t.name == "transcribe-medical-sender" for t in threading.enumerate())


def test_an_exception_found_while_sending_is_reported_as_such(
    client: TranscribeMedical, service: FakeTranscribeStreaming
) -> None:
    # Single-threaded use: the caller sends everything before reading. The service refused at the
    # first frame and closed; send_audio must say why, not just "connection closed".
    service.exception = "BadRequestException"
    with client.streaming.connect(StreamConfig(media_encoding="pcm", sample_rate=16000)) as stream:
        stream.send_audio(b"\x00" * 3200)
        service.done.wait()
        with pytest.raises(BadRequestError):
            _send_until_refused(stream)


def test_a_bad_signature_is_refused_with_403_as_credentials_error(
    service: FakeTranscribeStreaming, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-right-secret")
    client = TranscribeMedical(region_name="us-east-1", streaming_endpoint_url=service.url, config=NO_RETRY)
    with pytest.raises(CredentialsError, match="HTTP 403") as raised:
        client.streaming.transcribe_file(MONO, CARDIOLOGY, realtime=False)
    assert "clock" in str(raised.value)
    assert service.refusals == ["signature mismatch"]


@pytest.mark.parametrize(
    ("status", "error_class"),
    [(400, BadRequestError), (429, LimitExceededError), (500, InternalFailureError), (503, ServiceUnavailableError)],
)
def test_other_handshake_statuses_are_service_errors(
    client: TranscribeMedical, service: FakeTranscribeStreaming, status: int, error_class: type[ServiceError]
) -> None:
    service.handshake_status = status
    with pytest.raises(error_class) as raised:
        client.streaming.transcribe_file(MONO, CARDIOLOGY, realtime=False)
    assert raised.value.status_code == status


def test_a_throttled_handshake_is_retried_with_a_fresh_signature(service: FakeTranscribeStreaming) -> None:
    service.handshake_statuses = [429]
    retrying = ClientConfig(retry=RetryPolicy(max_attempts=2, initial_backoff=0.0, max_backoff=0.0))
    client = TranscribeMedical(region_name="us-east-1", streaming_endpoint_url=service.url, config=retrying)
    client.streaming.transcribe_file(MONO, CARDIOLOGY, realtime=False)
    assert len(service.connections) == 2 and service.last.got_end


def test_a_finished_stream_is_freed_without_the_garbage_collector(client: TranscribeMedical) -> None:
    # A stream left in a reference cycle waits for the garbage collector with its connection,
    # threads and buffers; with many streams that is most of the collector's work.
    import gc
    import weakref

    gc.collect()
    gc.disable()
    try:
        with client.streaming.transcribe(MONO, CARDIOLOGY, realtime=False) as events:
            for _ in events:
                pass
            events.transcript  # noqa: B018  (built, as a caller reads it)
        freed = weakref.ref(events)
        del events
        assert freed() is None
    finally:
        gc.enable()


def test_a_throttled_opening_is_retried_with_backoff_as_one_run_of_attempts(
    service: FakeTranscribeStreaming, caplog: pytest.LogCaptureFixture
) -> None:
    service.handshake_statuses = [429, 503]  # the first two upgrades refused, the third served
    retry = RetryPolicy(max_attempts=3, initial_backoff=0.0, max_backoff=0.0)
    client = TranscribeMedical(
        region_name="us-east-1", streaming_endpoint_url=service.url, config=ClientConfig(retry=retry)
    )
    with caplog.at_level("INFO", logger="transcribe_medical.retry"):
        client.streaming.transcribe_file(MONO, CARDIOLOGY, realtime=False)
    assert len(service.connections) == 3 and service.last.got_end
    retried = [record.getMessage() for record in caplog.records if record.name == "transcribe_medical.retry"]
    assert len(retried) == 2
    assert "attempt 1" in retried[0] and "attempt 2" in retried[1]


def test_the_attempts_of_an_opening_are_counted_from_the_first(service: FakeTranscribeStreaming) -> None:
    service.handshake_statuses = [429, 429, 429]
    retry = RetryPolicy(max_attempts=2, initial_backoff=0.0, max_backoff=0.0)
    client = TranscribeMedical(
        region_name="us-east-1", streaming_endpoint_url=service.url, config=ClientConfig(retry=retry)
    )
    with pytest.raises(LimitExceededError):
        client.streaming.transcribe_file(MONO, CARDIOLOGY, realtime=False)
    assert len(service.connections) == 2


def test_an_opening_that_succeeds_builds_no_retry_machinery(
    service: FakeTranscribeStreaming, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Opening is on every stream's path: the retry loop (tenacity, objects in reference cycles)
    # is built only when the first attempt fails.
    import transcribe_medical.streaming.sync.client as client_module

    def no_retries(*args: object, **kwargs: object) -> None:
        raise AssertionError("the retry loop was entered for an opening that succeeded")

    monkeypatch.setattr(client_module, "call_with_retries", no_retries)
    client = TranscribeMedical(region_name="us-east-1", streaming_endpoint_url=service.url, config=ClientConfig())
    client.streaming.transcribe_file(MONO, CARDIOLOGY, realtime=False)
    with client.streaming.connect(CARDIOLOGY.for_audio("pcm", 16000, 1)) as session:
        session.finish_audio()
        list(session)
    assert len(service.connections) == 2 and service.last.got_end


def test_connection_refused_is_connection_error(client: TranscribeMedical) -> None:
    port = _free_port()
    refused = TranscribeMedical(
        region_name="us-east-1", streaming_endpoint_url=f"ws://127.0.0.1:{port}", config=NO_RETRY
    )
    with pytest.raises(ConnectionError, match=f"127.0.0.1:{port}") as raised:
        refused.streaming.transcribe_file(MONO, CARDIOLOGY, realtime=False)
    assert isinstance(raised.value, OSError)  # also the built-in ConnectionError


def test_the_endpoint_comes_from_the_standard_variable(
    service: FakeTranscribeStreaming, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_TRANSCRIBE_STREAMING", service.url)
    client = TranscribeMedical(region_name="us-east-1", config=NO_RETRY)
    client.streaming.transcribe_file(MONO, CARDIOLOGY, realtime=False)
    assert service.last.got_end


def test_plain_ws_to_a_remote_host_is_refused() -> None:
    client = TranscribeMedical(region_name="us-east-1", streaming_endpoint_url="ws://example.com:8443")
    with pytest.raises(ValidationError, match="loopback"):
        client.streaming.transcribe_file(MONO, CARDIOLOGY, realtime=False)


def test_corrupt_data_from_the_service_is_a_protocol_error(
    client: TranscribeMedical, service: FakeTranscribeStreaming
) -> None:
    frame = bytearray(encode_frame({":message-type": "event", ":event-type": "TranscriptEvent"}, b"{}"))
    frame[-1] ^= 0xFF  # break the message CRC
    service.raw_frames = [bytes(frame)]
    with pytest.raises(ProtocolError, match="CRC"):
        client.streaming.transcribe_file(MONO, CARDIOLOGY, realtime=False)


def test_a_failing_source_reports_its_own_error(client: TranscribeMedical, service: FakeTranscribeStreaming) -> None:
    def chunks() -> object:
        yield b"\x00" * 3200
        raise AudioFormatError("the microphone went away")

    config = StreamConfig(media_encoding="pcm", sample_rate=16000)
    with pytest.raises(AudioFormatError, match="microphone went away"):
        list(client.streaming.transcribe(chunks(), config, realtime=False))  # type: ignore[arg-type]


def test_closing_early_stops_the_sender(client: TranscribeMedical, service: FakeTranscribeStreaming) -> None:
    service.events = [event["payload"] for event in PHI_SEQUENCE["events"]]
    endless = iter(lambda: b"\x00" * 3200, None)
    config = StreamConfig(media_encoding="pcm", sample_rate=16000)
    with client.streaming.transcribe(endless, config, realtime=False) as stream:
        first = next(stream)
    assert first.results
    assert not any(t.name == "transcribe-medical-sender" for t in threading.enumerate())


def test_real_time_pacing_with_an_injected_clock(client: TranscribeMedical, service: FakeTranscribeStreaming) -> None:
    now = [100.0]
    waits: list[float] = []

    def clock() -> float:
        return now[0]

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    with client.streaming.transcribe(MONO, CARDIOLOGY, realtime=True, clock=clock, sleep=sleep) as stream:
        list(stream)
    audio = service.last.audio
    # The first chunk goes at once. Then the sender sleeps until a chunk is due and sends it with
    # those due within the pacing batch (0.2 s): one wake-up per three 100 ms chunks of 16 kHz
    # mono, each at the due time of the chunk it woke for, never behind real time.
    assert len(audio) > 7
    assert len(waits) == (len(audio) - 1) // 3
    assert all(w == pytest.approx(0.3) for w in waits)


def test_no_log_record_holds_the_url_signature_audio_or_text(
    client: TranscribeMedical, service: FakeTranscribeStreaming, caplog: pytest.LogCaptureFixture
) -> None:
    service.events = [event["payload"] for event in PHI_SEQUENCE["events"]]
    with caplog.at_level(logging.DEBUG):
        client.streaming.transcribe_file(MONO, CARDIOLOGY, realtime=False)
    logged = "\n".join(record.getMessage() for record in caplog.records if record.name != SERVER_LOGGER)
    assert "X-Amz-Signature" not in logged and "X-Amz-Credential" not in logged
    assert "Alvarez" not in logged and "stairs" not in logged
    assert "AKID" not in logged


def test_generated_pcm_at_48k_streams(
    client: TranscribeMedical, service: FakeTranscribeStreaming, tmp_path: Path
) -> None:
    path = tmp_path / "tone.wav"
    path.write_bytes(wav_bytes(1.5, sample_rate=48000))
    client.streaming.transcribe_file(path, StreamConfig(), realtime=False)
    assert service.last.query["sample-rate"] == "48000"
    assert service.last.audio_bytes == _pcm_of(path)


def _more_than_the_tcp_buffers_hold() -> int:
    """A size no send can hand over while the peer reads nothing: twice the largest send buffer
    the system allows, plus the peer's fixed receive buffer and what its WebSocket layer queues."""
    try:
        largest_send_buffer = int(Path("/proc/sys/net/ipv4/tcp_wmem").read_text().split()[-1])
    except (OSError, ValueError, IndexError):
        largest_send_buffer = 8 * 1024 * 1024
    return 2 * largest_send_buffer + 4 * RECEIVE_BUFFER + 1024 * 1024


def _waiting_in(thread: threading.Thread, names: set[str]) -> bool:
    """Whether ``thread``'s stack is in one of the functions ``names``."""
    frame = sys._current_frames().get(thread.ident or 0)
    while frame is not None:
        if frame.f_code.co_name in names:
            return True
        frame = frame.f_back
    return False


def _wait_until_stuck_on_the_socket(thread: threading.Thread, stream: LiveSession) -> None:
    """Return once ``thread`` waits for the socket to take more, and no audio goes out.

    Blocked is for good here (the peer reads nothing until the test lets it); no event can say
    so, so the thread's stack and the bytes sent are looked at every few milliseconds.
    """
    waits = {"wait_writable", "send_data", "sendall"}  # ours, or websockets' write under its lock
    deadline = time.monotonic() + 30
    last_sent = -1
    while time.monotonic() < deadline:
        sent = stream.session.audio_bytes_sent
        if _waiting_in(thread, waits) and sent == last_sent:
            return
        last_sent = sent
        time.sleep(0.05)
    raise AssertionError("the send never waited for the socket")


def test_events_keep_arriving_while_a_send_waits_on_a_peer_that_stopped_reading() -> None:
    # The peer stops reading after the first audio frame, so one send of more audio than the
    # TCP buffers can hold cannot finish until it reads again. Once that send is stuck, the peer
    # sends results, each once the previous one was received: all must reach the iterator while
    # the send is still stuck. (websockets.sync holds its lock while it writes, and its reader
    # needs that lock: a write blocked there stopped every event until the read timeout.) The
    # keep-alive, due every 0.1 s, must not take the stream's lock while the send waits either.
    results = 10
    audio = bytes(_more_than_the_tcp_buffers_hold())
    with HostileServer("stops-reading", finals=results) as server:
        patient = ClientConfig(retry=RetryPolicy(max_attempts=1), read_timeout=30.0)
        client = TranscribeMedical(region_name="us-east-1", streaming_endpoint_url=server.url, config=patient)
        policy = ReconnectPolicy(enabled=False, keepalive_interval=0.1)
        config = StreamConfig(media_encoding="pcm", sample_rate=16000)
        texts: list[str] = []
        with client.streaming.connect(config, reconnect=policy) as stream:
            stream.send_audio(b"\x00" * 3200)  # the frame the peer reads before it stops

            def send_then_end() -> None:
                stream.send_audio(audio)
                stream.end()

            sender = threading.Thread(target=send_then_end, daemon=True)
            sender.start()
            _wait_until_stuck_on_the_socket(sender, stream)
            server.next_event.release()
            for event in stream:
                texts += [result.transcript for result in event.results]
                if len(texts) < results:
                    server.next_event.release()
                elif len(texts) == results:
                    # Every result arrived while the big send was stuck; the peer reads again now.
                    assert sender.is_alive()
            sender.join()
            transcript = stream.transcript
    assert texts == [f"final {index}" for index in range(1, results + 1)]
    assert len(transcript.segments) == results
    assert min(server.unread) >= server.push_back_bytes  # every result sent while audio sat unread


def test_two_threads_may_wait_for_room_at_once() -> None:
    # The sender and the keep-alive thread both wait for a full socket; neither may fail for it.
    import socket

    class FullSocketWebSocket:
        def __init__(self, sock: socket.socket) -> None:
            self.socket = sock
            self.close_code: int | None = None

    ours, peer = socket.socketpair()
    with ours, peer:
        ours.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            while True:
                ours.send(bytes(65536))
        connection = StreamConnection(
            FullSocketWebSocket(ours),  # type: ignore[arg-type]
            StreamSession(StreamConfig(media_encoding="pcm", sample_rate=16000)),
            endpoint="127.0.0.1:0",
        )
        failures: list[BaseException] = []

        def wait() -> None:
            try:
                connection.wait_writable()
            except BaseException as error:
                failures.append(error)

        waiters = [threading.Thread(target=wait, daemon=True) for _ in range(2)]
        for waiter in waiters:
            waiter.start()
        deadline = time.monotonic() + 30
        while not all(_waiting_in(waiter, {"wait_poll", "wait_select"}) for waiter in waiters) and not failures:
            assert time.monotonic() < deadline, "the waiters never waited"
            time.sleep(0.01)
        peer.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            while peer.recv(1 << 20):
                pass
        for waiter in waiters:
            waiter.join(30)
    assert failures == []
    assert not any(waiter.is_alive() for waiter in waiters)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the send buffer's room is read on Linux only")
def test_a_send_polls_for_room_only_when_the_tcp_send_buffer_is_short_of_it() -> None:
    # The usual chunk finds the buffer nearly empty: no poll (it would let other threads take the
    # GIL once per chunk). A full buffer must still be waited for, or websockets' write would
    # block under the lock its reader needs.
    import socket

    class TcpWebSocket:
        def __init__(self, sock: socket.socket) -> None:
            self.socket = sock
            self.close_code: int | None = None

    with socket.create_server(("127.0.0.1", 0)) as server:
        ours = socket.create_connection(server.getsockname())
        peer, _ = server.accept()
    with ours, peer:
        connection = StreamConnection(
            TcpWebSocket(ours),  # type: ignore[arg-type]
            StreamSession(StreamConfig(media_encoding="pcm", sample_rate=16000)),
            endpoint="127.0.0.1:0",
        )
        polls: list[float] = []

        def poll(timeout: float) -> bool:
            polls.append(timeout)
            return True

        connection._poll_writable = poll  # type: ignore[method-assign]
        connection.wait_writable(3200)
        assert polls == []
        ours.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            while True:
                ours.send(bytes(65536))
        connection.wait_writable(3200)
        assert polls == [1.0]
