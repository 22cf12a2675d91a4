"""A ``connect()`` session against the emulator: kept open while silent, resumed when dropped (sync, asyncio)."""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
import wave
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from transcribe_medical import ValidationError
from transcribe_medical.local import LocalTranscribeMedical
from transcribe_medical.local.scribe_stream_server import ScribeStreamFaults
from transcribe_medical.local.scribe_stream_sessions import ScribeStreamSession as ServerSession
from transcribe_medical.models.transcript import Transcript
from transcribe_medical.scribe.streaming.config import ScribeStreamConfig

VISIT = Path(__file__).resolve().parents[3] / "src" / "transcribe_medical" / "local" / "data" / "sample_visit.wav"
ROLE_ARN = "arn:aws:iam::123456789012:role/HealthScribeAccess"
CHANNELS = [{"channel_id": 0, "participant_role": "CLINICIAN"}, {"channel_id": 1, "participant_role": "PATIENT"}]
IDLE_TIMEOUT = 1.5  # the emulator ends a stream that receives nothing for this long
KEEPALIVE = 0.3
DEADLINE = 120.0  # only a broken keep-alive could take this long


def _visit(seconds: float) -> tuple[int, list[bytes]]:
    """The visit's first ``seconds`` of stereo PCM in 100 ms chunks."""
    with wave.open(str(VISIT)) as wav:
        rate = wav.getframerate()
        pcm = wav.readframes(int(seconds * rate))
    size = rate * 2 * 2 // 10
    return rate, [pcm[start : start + size] for start in range(0, len(pcm), size)]


def _seconds(chunks: list[bytes], rate: int) -> float:
    return sum(len(chunk) for chunk in chunks) / (rate * 4)


@pytest.fixture(scope="module")
def emulator() -> Iterator[LocalTranscribeMedical]:
    with LocalTranscribeMedical() as running:
        running.create_bucket("visits")
        yield running


@pytest.fixture
def emu(emulator: LocalTranscribeMedical) -> Iterator[LocalTranscribeMedical]:
    """The emulator with a short idle timeout; faults and timeout restored afterwards."""
    before = emulator.scribe_streams.idle_timeout
    emulator.scribe_streams.idle_timeout = IDLE_TIMEOUT
    yield emulator
    emulator.scribe_streams.idle_timeout = before
    emulator.scribe_streams.faults = None


def _config(rate: int) -> ScribeStreamConfig:
    return ScribeStreamConfig(
        role_arn=ROLE_ARN, output_bucket="visits", channel_definitions=CHANNELS, sample_rate=rate
    ).with_session_id()


def _wait_until(ready: Callable[[], bool]) -> None:
    deadline = time.monotonic() + DEADLINE
    while not ready():
        assert time.monotonic() < deadline, "the condition never came true"
        time.sleep(0.05)


def _server_side(emu: LocalTranscribeMedical, session_id: str) -> ServerSession:
    found = emu.scribe_streams.sessions.get(session_id)
    assert found is not None
    return found


def _assert_each_segment_once_in_order(transcript: Transcript) -> None:
    ids = [segment.segment_id for segment in transcript.segments]
    assert ids and len(set(ids)) == len(ids)
    for channel in {segment.channel for segment in transcript.segments}:
        spans = [(s.start, s.end) for s in transcript.segments if s.channel == channel]
        assert all(end <= next_start + 1e-6 for (_, end), (next_start, _) in itertools.pairwise(spans))


def test_a_silent_session_outlives_the_idle_timeout(emu: LocalTranscribeMedical) -> None:
    rate, chunks = _visit(6.0)
    config = _config(rate)
    with emu.client() as client:
        with client.scribe.streaming.connect(config, keepalive_interval=KEEPALIVE) as session:
            for chunk in chunks[:30]:
                session.send_audio(chunk)
            # The caller says nothing for twice the idle timeout: silence is sent for it.
            _wait_until(lambda: session.silence_sent >= 2 * IDLE_TIMEOUT)
            assert _server_side(emu, config.session_id).active
            for chunk in chunks[30:]:
                session.send_audio(chunk)
            session.end()
            finals = [event.segment for event in session if not event.is_partial]
            silence = session.silence_sent
            assert session.resumes == 0
        note = client.scribe.streaming.note(config.session_id, poll_interval=0.1, timeout=DEADLINE)
    server = _server_side(emu, config.session_id)
    assert server.streams == 1 and server.status == "COMPLETED"
    # The session heard the caller's audio and the silence, nothing else.
    assert server.audio_offset == pytest.approx(_seconds(chunks, rate) + silence, abs=0.01)
    assert finals and note.sections
    # Segments spoken after the pause are placed after it.
    late = [segment for segment in finals if segment.start >= 3.0 + silence]
    assert late, "no segment after the pause"


def test_the_whole_pause_is_session_time_not_only_up_to_the_last_keep_alive(emu: LocalTranscribeMedical) -> None:
    # The keep-alive sends silence once per interval; a pause that ends between two of its wake-ups
    # still counts whole: the rest of it goes out as silence before the audio that resumes.
    rate, chunks = _visit(6.0)
    config = _config(rate)
    with emu.client() as client, client.scribe.streaming.connect(config, keepalive_interval=KEEPALIVE) as session:
        for chunk in chunks[:30]:
            session.send_audio(chunk)
        started = time.monotonic()
        _wait_until(lambda: session.silence_sent >= 2 * KEEPALIVE)
        time.sleep(KEEPALIVE / 2)  # the pause under test ends between two wake-ups
        paused = time.monotonic() - started  # at most the pause the session saw
        for chunk in chunks[30:]:
            session.send_audio(chunk)
        session.end()
        for _ in session:
            pass
    server = _server_side(emu, config.session_id)
    assert server.audio_offset - _seconds(chunks, rate) >= paused - 0.01


def test_a_dropped_connection_resumes_inside_connect_with_no_audio_lost_or_doubled(
    emu: LocalTranscribeMedical,
) -> None:
    rate, chunks = _visit(10.0)
    config = _config(rate)
    resumed: list[int] = []
    emu.scribe_streams.faults = ScribeStreamFaults(drop_after_audio_events=50, streams=1)
    with emu.client() as client, client.scribe.streaming.connect(config, on_resume=resumed.append) as session:
        for chunk in chunks:
            session.send_audio(chunk)
        session.end()
        finals = [event.segment for event in session if not event.is_partial]
        transcript = session.transcript
    assert resumed == [1]
    server = _server_side(emu, config.session_id)
    assert server.streams == 2 and server.status == "COMPLETED"
    # Every chunk reached the session once: its audio lasts exactly what was sent.
    assert server.audio_offset == pytest.approx(_seconds(chunks, rate), abs=0.01)
    _assert_each_segment_once_in_order(transcript)
    assert {segment.segment_id for segment in finals} == {segment.segment_id for segment in transcript.segments}


def test_a_drop_noticed_by_the_reading_thread_is_resumed_too(emu: LocalTranscribeMedical) -> None:
    rate, chunks = _visit(8.0)
    config = _config(rate)
    emu.scribe_streams.faults = ScribeStreamFaults(drop_after_audio_events=10, streams=1)
    with emu.client() as client, client.scribe.streaming.connect(config) as session:
        finals: list[str | None] = []
        reader = threading.Thread(
            target=lambda: finals.extend(e.segment.segment_id for e in session if not e.is_partial)
        )
        reader.start()
        for chunk in chunks:
            session.send_audio(chunk)
            time.sleep(0.01)  # a live source's pace, so the reader often notices the drop first
        session.end()
        reader.join(DEADLINE)
        assert not reader.is_alive()
        assert session.resumes == 1
        _assert_each_segment_once_in_order(session.transcript)
    server = _server_side(emu, config.session_id)
    assert server.streams == 2
    assert server.audio_offset == pytest.approx(_seconds(chunks, rate), abs=0.01)
    assert len(finals) == len(set(finals))


def test_async_keeps_a_silent_session_open_and_resumes_a_drop(emu: LocalTranscribeMedical) -> None:
    rate, chunks = _visit(8.0)
    config = _config(rate)
    # Dropped after the pause: the silence is part of what is replayed.
    emu.scribe_streams.faults = ScribeStreamFaults(drop_after_audio_events=50, streams=1)

    async def main() -> tuple[int, float, Transcript]:
        async with emu.async_client() as client:
            session = await client.scribe.streaming.connect(config, keepalive_interval=KEEPALIVE)
            async with session:
                for chunk in chunks[:40]:
                    await session.send_audio(chunk)
                loop = asyncio.get_running_loop()
                deadline = loop.time() + DEADLINE
                while session.silence_sent < 2 * IDLE_TIMEOUT:
                    assert loop.time() < deadline
                    await asyncio.sleep(0.05)
                for chunk in chunks[40:]:
                    await session.send_audio(chunk)
                await session.end()
                async for _ in session:
                    pass
                return session.resumes, session.silence_sent, session.transcript

    resumes, silence, transcript = asyncio.run(main())
    assert resumes == 1
    server = _server_side(emu, config.session_id)
    assert server.streams == 2 and server.status == "COMPLETED"
    assert server.audio_offset == pytest.approx(_seconds(chunks, rate) + silence, abs=0.01)
    _assert_each_segment_once_in_order(transcript)


def test_async_counts_the_whole_pause_too(emu: LocalTranscribeMedical) -> None:
    rate, chunks = _visit(6.0)
    config = _config(rate)

    async def main() -> float:
        async with emu.async_client() as client:
            session = await client.scribe.streaming.connect(config, keepalive_interval=KEEPALIVE)
            async with session:
                for chunk in chunks[:30]:
                    await session.send_audio(chunk)
                loop = asyncio.get_running_loop()
                started = loop.time()
                while session.silence_sent < 2 * KEEPALIVE:
                    assert loop.time() < started + DEADLINE
                    await asyncio.sleep(0.05)
                await asyncio.sleep(KEEPALIVE / 2)  # the pause under test ends between two wake-ups
                paused = loop.time() - started  # at most the pause the session saw
                for chunk in chunks[30:]:
                    await session.send_audio(chunk)
                await session.end()
                async for _ in session:
                    pass
                return paused

    paused = asyncio.run(main())
    assert _server_side(emu, config.session_id).audio_offset - _seconds(chunks, rate) >= paused - 0.01


def test_a_keepalive_interval_past_the_idle_timeout_is_refused_before_connecting(emu: LocalTranscribeMedical) -> None:
    rate, _ = _visit(0.1)
    with emu.client() as client, pytest.raises(ValidationError, match="keepalive_interval"):
        client.scribe.streaming.connect(_config(rate), keepalive_interval=20.0)
