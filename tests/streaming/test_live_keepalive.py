"""Live sessions (``client.streaming.connect()``) outlive a pause in the caller's audio (issue 16, part 8)
and a dropped connection.

Against the emulator with its idle timeout scaled down (0.6 s for the service's 15 s) and the
keep-alive scaled with it. The caller sends some words, pauses for longer than twice the idle
timeout, then sends the rest: PCM is kept alive with silence (one session, no reconnect); a
compressed stream is closed during the pause and reopened when audio resumes. Nothing sleeps to
wait: the pause ends when the emulator has received what proves the point.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator

import pytest

from streaming.resilient_support import (
    BYTES_PER_SECOND,
    PAUSE_S,
    ToneRecognizer,
    ToneSession,
    spoken,
    words_of,
)
from transcribe_medical import BadRequestError, ClientConfig, RetryPolicy, StreamConfig
from transcribe_medical.local import FaultPlan, LocalTranscribeMedical, streaming_server
from transcribe_medical.models.transcript import Transcript
from transcribe_medical.streaming import StreamState
from transcribe_medical.streaming.reconnect import ReconnectEvent, ReconnectPolicy

PCM = StreamConfig(media_encoding="pcm", sample_rate=16000)
FLAC = StreamConfig(media_encoding="flac", sample_rate=16000)
FLAC_HEADER = b"fLaC\x00\x00\x00\x22fake-streaminfo!"
FAST = ClientConfig(retry=RetryPolicy(max_attempts=3, initial_backoff=0.0, max_backoff=0.0), read_timeout=5.0)
MODES = ["sync", "async"]
BEFORE, AFTER = spoken(3), spoken(6)[len(spoken(3)) :]
WAIT_S = 20.0  # a bound on waiting for what the emulator receives, never a sleep


@pytest.fixture
def recognizer() -> ToneRecognizer:
    return ToneRecognizer()


@pytest.fixture
def emu(recognizer: ToneRecognizer) -> Iterator[LocalTranscribeMedical]:
    with LocalTranscribeMedical(batch=False, recognizer=recognizer, idle_timeout=0.6) as running:
        yield running


def expected_words(audio: bytes) -> list[str]:
    session = ToneRecognizer().new_session(16000)
    session.accept_audio(audio)
    words = [word for utterance in session.completed_utterances() for word in utterance]
    words += session.finish_utterance()
    return [word.text for word in words]


def live(
    mode: str,
    emu: LocalTranscribeMedical,
    config: StreamConfig,
    first: bytes,
    pause: threading.Event,
    rest: bytes,
    policy: ReconnectPolicy,
) -> tuple[Transcript, list[ReconnectEvent], StreamState]:
    """Send ``first``, wait for ``pause``, send ``rest``, end, and read every event."""
    seen: list[ReconnectEvent] = []
    if mode == "sync":
        with (
            emu.client(config=FAST) as client,
            client.streaming.connect(config, reconnect=policy, on_reconnect=seen.append) as stream,
        ):
            stream.send_audio(first)
            assert pause.wait(WAIT_S), "the pause never ended"
            stream.send_audio(rest)
            stream.end()
            for _ in stream:
                pass
            return stream.transcript, seen, stream.state

    async def run() -> tuple[Transcript, list[ReconnectEvent], StreamState]:
        async with (
            emu.async_client(config=FAST) as client,
            client.streaming.connect(config, reconnect=policy, on_reconnect=seen.append) as stream,
        ):
            await stream.send_audio(first)
            assert await asyncio.to_thread(pause.wait, WAIT_S), "the pause never ended"
            await stream.send_audio(rest)
            await stream.end()
            async for _ in stream:
                pass
            return stream.transcript, seen, stream.state

    return asyncio.run(run())


def silence_received(recognizer: ToneRecognizer, seconds: float) -> threading.Event:
    """Set once a session has received ``seconds`` of zeros since its last word."""
    received = threading.Event()
    needed = int(seconds * BYTES_PER_SECOND)

    def watch(session: ToneSession) -> None:
        if session.zeros_since_word * 2 >= needed:
            received.set()

    recognizer.on_audio = watch
    return received


@pytest.mark.parametrize("mode", MODES)
def test_a_pcm_live_session_is_kept_alive_with_silence(
    mode: str, emu: LocalTranscribeMedical, recognizer: ToneRecognizer
) -> None:
    idle = emu.streaming.idle_timeout
    pause = silence_received(recognizer, PAUSE_S + 2 * idle)  # twice the idle timeout, kept alive
    policy = ReconnectPolicy(keepalive_interval=0.1)
    transcript, reconnects, state = live(mode, emu, PCM, BEFORE, pause, AFTER, policy)
    assert reconnects == [] and len(recognizer.sessions) == 1  # the idle timeout never fired
    assert state is StreamState.DONE
    words = words_of(transcript)
    assert [word for word, _, _ in words] == expected_words(BEFORE + AFTER)
    # The silence is stream time: the words after the pause moved later by at least its length.
    assert words[3][1] >= words[2][2] + PAUSE_S + 2 * idle - 1e-6


@pytest.mark.parametrize("mode", MODES)
def test_a_pcm_live_session_is_kept_alive_without_reconnection_too(
    mode: str, emu: LocalTranscribeMedical, recognizer: ToneRecognizer
) -> None:
    pause = silence_received(recognizer, PAUSE_S + 2 * emu.streaming.idle_timeout)
    policy = ReconnectPolicy(enabled=False, keepalive_interval=0.1)
    transcript, reconnects, _ = live(mode, emu, PCM, BEFORE, pause, AFTER, policy)
    assert reconnects == [] and len(recognizer.sessions) == 1
    assert [word for word, _, _ in words_of(transcript)] == expected_words(BEFORE + AFTER)


def test_without_keep_alive_the_pause_ends_the_session(emu: LocalTranscribeMedical, recognizer: ToneRecognizer) -> None:
    # The control: the same pause, keep-alive off, is ended by the (scaled) idle timeout.
    policy = ReconnectPolicy(enabled=False, keepalive_interval=None)
    with emu.client(config=FAST) as client, client.streaming.connect(PCM, reconnect=policy) as stream:
        stream.send_audio(BEFORE)
        assert recognizer.a_session_closed.wait(WAIT_S), "the emulator never ended the idle stream"
        with pytest.raises(BadRequestError, match="no new audio was received"):
            list(stream)
    assert stream.state is StreamState.FAILED


@pytest.mark.parametrize("mode", MODES)
def test_a_compressed_live_session_is_reopened_when_audio_resumes(
    mode: str, emu: LocalTranscribeMedical, recognizer: ToneRecognizer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The emulator decodes FLAC with soundfile; here the "FLAC" is a header followed by PCM.
    monkeypatch.setattr(streaming_server, "soundfile_available", lambda: True)
    monkeypatch.setattr(streaming_server, "_decode_compressed", lambda data, params: data[len(FLAC_HEADER) :])
    # The pause lasts until the client has closed the paused stream (before the idle timeout).
    policy = ReconnectPolicy(keepalive_interval=0.2)
    transcript, reconnects, state = live(
        mode, emu, FLAC, FLAC_HEADER + BEFORE, recognizer.a_session_closed, AFTER, policy
    )
    assert [event.reason for event in reconnects] == ["idle"]
    assert reconnects[0].resume_time == 0.0 and reconnects[0].replayed_seconds is None
    assert recognizer.sessions[-1].received == BEFORE + AFTER  # replayed whole, header first
    assert state is StreamState.DONE
    assert [word for word, _, _ in words_of(transcript)] == expected_words(BEFORE + AFTER)


@pytest.mark.parametrize("mode", MODES)
def test_a_live_session_dropped_mid_stream_reconnects_and_replays(mode: str, emu: LocalTranscribeMedical) -> None:
    audio = spoken(12)
    emu.faults = FaultPlan(drop_after_audio_seconds=2.0, streams=1)
    seen: list[ReconnectEvent] = []

    def sync_run() -> Transcript:
        with emu.client(config=FAST) as client, client.streaming.connect(PCM, on_reconnect=seen.append) as stream:
            for start in range(0, len(audio), 3200):
                stream.send_audio(audio[start : start + 3200])  # sends to a dropped stream are replayed
            stream.end()
            for _ in stream:
                pass
            return stream.transcript

    async def async_run() -> Transcript:
        async with (
            emu.async_client(config=FAST) as client,
            client.streaming.connect(PCM, on_reconnect=seen.append) as stream,
        ):
            for start in range(0, len(audio), 3200):
                await stream.send_audio(audio[start : start + 3200])
            await stream.end()
            async for _ in stream:
                pass
            return stream.transcript

    transcript = sync_run() if mode == "sync" else asyncio.run(async_run())
    assert [event.reason for event in seen] == ["connection lost"]
    assert [word for word, _, _ in words_of(transcript)] == expected_words(audio)


@pytest.mark.parametrize("mode", MODES)
def test_the_whole_pause_is_stream_time_not_only_up_to_the_last_keep_alive(
    mode: str, recognizer: ToneRecognizer
) -> None:
    # The keep-alive sends silence once per interval; a pause that ends between two of its wake-ups
    # must still count whole: the rest of it goes out as silence before the audio that resumes.
    interval = 0.5
    with LocalTranscribeMedical(batch=False, recognizer=recognizer, idle_timeout=5.0) as emu:
        reference, _, _ = live(mode, emu, PCM, BEFORE, _set(), AFTER, ReconnectPolicy(keepalive_interval=interval))
        two_ticks = silence_received(recognizer, PAUSE_S + 2 * interval)
        times: list[float] = []

        class Pause(threading.Event):
            """Waited on between the two sends: two wake-ups of the keep-alive, then half an interval."""

            def wait(self, timeout: float | None = None) -> bool:
                times.append(time.monotonic())
                reached = two_ticks.wait(timeout)
                time.sleep(interval / 2)  # the pause under test ends between two wake-ups
                times.append(time.monotonic())
                return reached

        transcript, reconnects, _ = live(
            mode, emu, PCM, BEFORE, Pause(), AFTER, ReconnectPolicy(keepalive_interval=interval)
        )
    assert reconnects == []
    before, after = words_of(reference), words_of(transcript)
    assert [word for word, _, _ in after] == [word for word, _, _ in before]
    paused = times[1] - times[0]  # at most the pause the stream saw (it began before, ended after)
    moved = (after[3][1] - after[2][2]) - (before[3][1] - before[2][2])
    assert moved >= paused - 0.01, f"the pause lasted {paused:.3f} s, the stream moved {moved:.3f} s"


def _set() -> threading.Event:
    done = threading.Event()
    done.set()
    return done
