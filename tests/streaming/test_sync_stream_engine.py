"""The one threaded driver (issue 17) and its newcomer API (issue 20, item 7), against the scripted service.

* ``transcribe()`` returns one type, reconnecting or not, and users' ``mypy --strict`` passes on it;
* ``transcribe_file(path)`` needs no config: PRIMARYCARE, DICTATION, the format read from the file;
* ``on_partial=`` / ``on_final=`` beside the iterator;
* ``keep_transcript=False`` for a caller that only reads events;
* the hot path: the sender thread reads the source itself (no reader thread, no queue), a
  right-sized chunk reaches the frame encoder as the very object the source gave, and pacing
  sleeps only when the sender is ahead of the real-time schedule.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from streaming.fake_service import FakeTranscribeStreaming, load_sequence
from streaming.users_mypy import users_mypy
from transcribe_medical import StreamConfig, TranscribeMedical, TranscribeMedicalError
from transcribe_medical.models.events import Result
from transcribe_medical.streaming import LiveSession, Transcription, protocol
from transcribe_medical.streaming.reconnect import ReconnectPolicy

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "audio"
MONO = FIXTURES / "mono_16k.wav"
PHI_SEQUENCE = load_sequence("conversation_speakers_phi")
PCM = StreamConfig(media_encoding="pcm", sample_rate=16000)


@pytest.fixture
def scripted(service: FakeTranscribeStreaming) -> FakeTranscribeStreaming:
    service.events = [event["payload"] for event in PHI_SEQUENCE["events"]]
    return service


def partial_flags() -> list[bool]:
    return [
        result["IsPartial"] for event in PHI_SEQUENCE["events"] for result in event["payload"]["Transcript"]["Results"]
    ]


@pytest.mark.parametrize("reconnect", [True, False, ReconnectPolicy(keepalive_interval=None)])
def test_transcribe_returns_one_type_reconnecting_or_not(
    client: TranscribeMedical, scripted: FakeTranscribeStreaming, reconnect: bool | ReconnectPolicy
) -> None:
    with client.streaming.transcribe(MONO, reconnect=reconnect, realtime=False) as stream:
        for _ in stream:
            pass
        transcript = stream.transcript
    assert type(stream) is Transcription
    assert stream.reconnects == [] and stream.gaps == []
    assert transcript.text == PHI_SEQUENCE["expected_transcript"]


def test_transcribe_file_needs_no_config(client: TranscribeMedical, scripted: FakeTranscribeStreaming) -> None:
    transcript = client.streaming.transcribe_file(MONO, realtime=False)
    query = scripted.last.query
    assert query["specialty"] == "PRIMARYCARE" and query["type"] == "DICTATION"
    assert query["media-encoding"] == "pcm" and query["sample-rate"] == "16000"  # read from the file
    assert transcript.text == PHI_SEQUENCE["expected_transcript"]


def test_callbacks_see_each_result_before_its_event_is_yielded(
    client: TranscribeMedical, scripted: FakeTranscribeStreaming
) -> None:
    seen: list[tuple[str, Result]] = []
    yielded: list[int] = []
    with client.streaming.transcribe(
        MONO,
        realtime=False,
        on_partial=lambda result: seen.append(("partial", result)),
        on_final=lambda result: seen.append(("final", result)),
    ) as stream:
        for event in stream:
            # Every result of this event was handed to its callback before the event came out.
            assert [result for _, result in seen[len(seen) - len(event.results) :]] == event.results
            yielded.append(len(seen))
    assert [kind == "partial" for kind, _ in seen] == partial_flags()
    assert len(yielded) == len(PHI_SEQUENCE["events"])
    finals = " ".join(result.transcript for kind, result in seen if kind == "final")
    assert finals == PHI_SEQUENCE["expected_transcript"]


def test_transcribe_file_takes_the_callbacks_too(client: TranscribeMedical, scripted: FakeTranscribeStreaming) -> None:
    finals: list[str] = []
    partials: list[str] = []
    transcript = client.streaming.transcribe_file(
        MONO,
        realtime=False,
        on_partial=lambda r: partials.append(r.transcript),
        on_final=lambda r: finals.append(r.transcript),
    )
    assert " ".join(finals) == transcript.text == PHI_SEQUENCE["expected_transcript"]
    assert len(partials) == partial_flags().count(True)


def test_an_error_in_a_callback_ends_the_stream_with_it(
    client: TranscribeMedical, scripted: FakeTranscribeStreaming
) -> None:
    def refuse(result: Result) -> None:
        raise RuntimeError("the caller's own bug")

    with pytest.raises(RuntimeError, match="own bug"):
        client.streaming.transcribe_file(MONO, realtime=False, on_final=refuse)
    assert not any(t.name.startswith("transcribe-medical-") for t in threading.enumerate())


def test_keep_transcript_false_yields_every_event_and_keeps_no_transcript(
    client: TranscribeMedical, scripted: FakeTranscribeStreaming
) -> None:
    with client.streaming.transcribe(MONO, realtime=False, keep_transcript=False) as stream:
        count = sum(1 for _ in stream)
    assert count == len(PHI_SEQUENCE["events"])
    with pytest.raises(TranscribeMedicalError, match="keep_transcript=False"):
        _ = stream.transcript


def test_a_live_session_takes_callbacks_and_keep_transcript_too(
    client: TranscribeMedical, scripted: FakeTranscribeStreaming
) -> None:
    finals: list[str] = []
    with client.streaming.connect(PCM, on_final=lambda r: finals.append(r.transcript)) as stream:
        assert isinstance(stream, LiveSession)
        for _ in range(3):
            stream.send_audio(bytes(3200))
        stream.end()
        for _ in stream:
            pass
    assert " ".join(finals) == stream.transcript.text == PHI_SEQUENCE["expected_transcript"]
    with client.streaming.connect(PCM, keep_transcript=False) as quiet:
        quiet.send_audio(bytes(3200))
        quiet.end()
        assert sum(1 for _ in quiet) == len(PHI_SEQUENCE["events"])
        with pytest.raises(TranscribeMedicalError, match="keep_transcript=False"):
            _ = quiet.transcript


def test_the_sender_frames_the_sources_own_chunks_in_its_own_thread(
    client: TranscribeMedical, service: FakeTranscribeStreaming, monkeypatch: pytest.MonkeyPatch
) -> None:
    framed: list[object] = []
    real = protocol.encode_audio_event

    def spy(payload: bytes) -> bytes:
        framed.append(payload)
        return real(payload)

    monkeypatch.setattr(protocol, "encode_audio_event", spy)
    given = [bytes([index]) * 3200 for index in range(1, 11)]
    readers: set[str] = set()

    def source() -> Iterator[bytes]:
        for chunk in given:
            readers.add(threading.current_thread().name)
            yield chunk

    with client.streaming.transcribe(source(), PCM, realtime=False) as stream:
        for _ in stream:
            pass
    assert readers == {"transcribe-medical-sender"}  # read where it is sent: no hop through a queue
    assert all(sent is chunk for sent, chunk in zip(framed, given, strict=False))  # not copied
    assert len(framed) == len(given) + 1  # and the end of the audio
    assert service.last.audio_bytes == b"".join(given)


def test_pacing_sleeps_only_when_the_sender_is_ahead(
    client: TranscribeMedical, service: FakeTranscribeStreaming
) -> None:
    """A source slower than real time (each chunk read 150 ms after the last) is never slept for."""
    now = [0.0]
    waits: list[float] = []
    chunks = 20

    def slow_source() -> Iterator[bytes]:
        for _ in range(chunks):
            now[0] += 0.15  # 100 ms of audio takes 150 ms to arrive
            yield bytes(3200)

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    with client.streaming.transcribe(slow_source(), PCM, clock=lambda: now[0], sleep=sleep) as stream:
        for _ in stream:
            pass
    assert waits == []
    assert service.last.audio_bytes == bytes(3200 * chunks)


USER_CODE = """
from transcribe_medical import StreamConfig, TranscribeMedical, Transcript
from transcribe_medical.models.events import Result
from transcribe_medical.models.transcript import Gap
from transcribe_medical.streaming.reconnect import ReconnectEvent


def on_final(result: Result) -> None:
    print(result.transcript)


def main() -> None:
    with TranscribeMedical(region_name="us-east-1") as client:
        for reconnect in (True, False):
            with client.streaming.transcribe("visit.wav", StreamConfig(), reconnect=reconnect) as events:
                for event in events:
                    print(len(event.results))
            reconnects: list[ReconnectEvent] = events.reconnects
            gaps: list[Gap] = events.gaps
            transcript: Transcript = events.transcript
            print(reconnects, gaps, transcript.text)
        whole: Transcript = client.streaming.transcribe_file(
            "visit.wav", on_partial=lambda result: print(result.transcript), on_final=on_final
        )
        with client.streaming.connect(StreamConfig(media_encoding="pcm", sample_rate=16000)) as live:
            live.send_audio(b"\\\\0" * 3200)
            live.end()
            for _ in live:
                pass
            live_reconnects: list[ReconnectEvent] = live.reconnects
            print(whole.text, live_reconnects, live.transcript.text)
"""


def test_user_code_passes_mypy_strict(tmp_path: Path) -> None:
    status, report = users_mypy(USER_CODE, tmp_path)
    assert status == 0, report


class _CountingCondition:
    """A stand-in for the engine's lock that counts how often it is taken."""

    def __init__(self, real: threading.Condition) -> None:
        self.real = real
        self.taken = 0

    def __enter__(self) -> bool:
        self.taken += 1
        return self.real.__enter__()

    def __exit__(self, *exc_info: object) -> None:
        self.real.__exit__(*exc_info)

    def __getattr__(self, name: str) -> object:
        return getattr(self.real, name)


def test_a_chunk_takes_no_lock_unless_something_else_writes(client: TranscribeMedical, scripted: object) -> None:
    # The feeder's hot path is lock-free; a reconnect, keep-alive silence, the end of the audio
    # or a final result trimming the replay buffer announce themselves, and a chunk sent while
    # one does takes the locked path instead.
    with client.streaming.connect(PCM) as stream:
        counting = _CountingCondition(stream._lock)
        stream._lock = counting  # type: ignore[assignment]
        for _ in range(20):
            stream.send_audio(bytes(3200))
        assert counting.taken == 0
        locked: list[int] = []
        real_locked = stream._send_chunk_locked

        def spy(chunk: bytes, now: float) -> object:
            locked.append(len(chunk))
            return real_locked(chunk, now)

        stream._send_chunk_locked = spy  # type: ignore[method-assign,assignment]
        stream._others += 1  # as a reconnect in progress would
        stream.send_audio(bytes(3200))
        stream._others -= 1
        assert locked == [3200]
        stream.end()
        for _ in stream:
            pass
        assert stream.session.audio_bytes_sent == 21 * 3200
