"""Resilient streaming against the emulator's fault injection, through the sync and asyncio clients.

Every faulty run is compared with an uninterrupted run of the same audio: the same final words at
the same times, each once. Nothing sleeps to wait: faults are counted in frames, backoff is 0,
timeouts are short and injected, and pauses wait on what the emulator received.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from local.emulator_support import SCRIPT
from streaming.resilient_support import (
    BYTES_PER_SECOND,
    PAUSE_S,
    ToneRecognizer,
    ToneSession,
    segments_of,
    spoken,
    words_of,
)
from transcribe_medical import ClientConfig, ConnectionError, RetryPolicy, StreamConfig
from transcribe_medical._exceptions import BadRequestError, InternalFailureError
from transcribe_medical.local import (
    EmulatorCredentials,
    FaultPlan,
    LocalTranscribeMedical,
    ScriptedRecognizer,
    streaming_server,
)
from transcribe_medical.models.transcript import Transcript
from transcribe_medical.streaming.reconnect import ReconnectEvent, ReconnectPolicy
from transcribe_medical.streaming.sync.stream import Transcription

PCM = StreamConfig(media_encoding="pcm", sample_rate=16000)
AUDIO = spoken(15)  # 15 words in 5 utterances, ~6.5 s, 66 frames of 100 ms
RETRY = RetryPolicy(max_attempts=4, initial_backoff=0.0, max_backoff=0.0)
FAST = ClientConfig(retry=RETRY, read_timeout=5.0)
MODES = ["sync", "async"]


@pytest.fixture
def recognizer() -> ToneRecognizer:
    return ToneRecognizer()


@pytest.fixture
def emu(recognizer: ToneRecognizer) -> Iterator[LocalTranscribeMedical]:
    with LocalTranscribeMedical(batch=False, recognizer=recognizer, idle_timeout=0.6) as running:
        yield running


@pytest.fixture(scope="module")
def reference() -> Transcript:
    """The transcript of one uninterrupted session."""
    with (
        LocalTranscribeMedical(batch=False, recognizer=ToneRecognizer()) as emulator,
        emulator.client(config=FAST) as client,
    ):
        return _sync_run(client, AUDIO, PCM)[0]


def _sync_run(client: Any, audio: Any, config: StreamConfig, **options: Any) -> tuple[Transcript, list[ReconnectEvent]]:
    seen: list[ReconnectEvent] = []
    with client.streaming.transcribe(audio, config, realtime=False, on_reconnect=seen.append, **options) as events:
        for event in events:
            _note_finals(event)
        assert list(getattr(events, "reconnects", [])) == seen
        return events.transcript, seen


async def _async_run(
    emu: LocalTranscribeMedical, audio: Any, config: StreamConfig, client_config: ClientConfig, **options: Any
) -> tuple[Transcript, list[ReconnectEvent]]:
    seen: list[ReconnectEvent] = []
    async with (
        emu.async_client(config=client_config) as client,
        client.streaming.transcribe(audio, config, realtime=False, on_reconnect=seen.append, **options) as events,
    ):
        async for event in events:
            _note_finals(event)
        return events.transcript, seen


def run(
    mode: str,
    emu: LocalTranscribeMedical,
    audio: Any,
    config: StreamConfig = PCM,
    client_config: ClientConfig = FAST,
    **options: Any,
) -> tuple[Transcript, list[ReconnectEvent]]:
    if mode == "sync":
        with emu.client(config=client_config) as client:
            return _sync_run(client, audio, config, **options)
    if not isinstance(audio, bytes) and not hasattr(audio, "__aiter__"):
        audio = _as_async(audio)
    return asyncio.run(_async_run(emu, audio, config, client_config, **options))


async def _as_async(chunks: Iterator[bytes]) -> AsyncIterator[bytes]:
    for chunk in chunks:
        if chunk is _PAUSE:
            await asyncio.to_thread(_PAUSE_DONE.wait, 20)
            continue
        if chunk is _FINAL:
            assert await asyncio.to_thread(_FINAL_SEEN.wait, 20), "no final result reached the client"
            continue
        yield chunk


_PAUSE = b"\x00pause"
_PAUSE_DONE = threading.Event()
_FINAL = b"\x00final"
_FINAL_SEEN = threading.Event()


def _note_finals(event: Any) -> None:
    if any(not result.is_partial for result in event.results):
        _FINAL_SEEN.set()


def _after_a_final(mode: str, audio: bytes, first_chunks: int = 16) -> Iterator[bytes]:
    """``audio`` in 100 ms chunks, held after the first ones until the client has a final result.

    The emulator recognizes off its event loop, so a fault counted in frames could otherwise land
    before any final result: this makes it land after one (a resume that is not at 0).
    """
    _FINAL_SEEN.clear()
    for index, start in enumerate(range(0, len(audio), 3200)):
        if index == first_chunks:
            if mode == "sync":
                assert _FINAL_SEEN.wait(20), "no final result reached the client"
            else:
                yield _FINAL
        yield audio[start : start + 3200]


def assert_continuous(transcript: Transcript) -> None:
    starts = [item.start for segment in transcript.segments for item in segment.items if item.start is not None]
    assert starts == sorted(starts)
    ends = [segment.end for segment in transcript.segments]
    pairs = zip(transcript.segments, transcript.segments[1:], strict=False)
    assert all(later.start >= earlier.end for earlier, later in pairs)
    assert ends and max(ends) <= len(AUDIO) / BYTES_PER_SECOND + 1e-6


# ---------------------------------------------------------------- faults → the same transcript


FAULTS = {
    "drop after frames": FaultPlan(drop_after_frames=25, streams=2),
    "InternalFailure": FaultPlan(exception="InternalFailureException", exception_after_frames=20, streams=1),
    "ServiceUnavailable": FaultPlan(exception="ServiceUnavailableException", exception_after_frames=30, streams=2),
    "throttled (LimitExceeded)": FaultPlan(exception="LimitExceededException", exception_after_frames=25, streams=1),
}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("fault", list(FAULTS))
def test_a_faulty_stream_gives_the_uninterrupted_transcript(
    mode: str, fault: str, emu: LocalTranscribeMedical, reference: Transcript
) -> None:
    plan = FAULTS[fault]
    emu.faults = plan
    transcript, reconnects = run(mode, emu, _after_a_final(mode, AUDIO))
    assert segments_of(transcript) == segments_of(reference)
    assert words_of(transcript) == words_of(reference)
    assert_continuous(transcript)
    # Replayed audio goes in 32 KiB frames, so a later faulty stream may end before its fault.
    assert 1 <= len(reconnects) <= (plan.streams or 1)
    first = reconnects[0]
    assert first.reason == ("connection lost" if plan.drop_after_frames else plan.exception)
    assert first.session_id != first.previous_session_id
    assert first.lost_seconds == 0
    assert 0 < first.resume_time < len(AUDIO) / BYTES_PER_SECOND  # resumed after the last final, not at 0


@pytest.mark.parametrize("mode", MODES)
def test_a_stalled_connection_times_out_and_reconnects(
    mode: str, emu: LocalTranscribeMedical, reference: Transcript
) -> None:
    emu.faults = FaultPlan(stall_after_frames=20, streams=1)
    transcript, reconnects = run(mode, emu, AUDIO, client_config=ClientConfig(retry=RETRY, read_timeout=0.5))
    assert words_of(transcript) == words_of(reference)
    assert [event.reason for event in reconnects] == ["timeout"]


def test_a_connection_dropped_after_some_seconds_reconnects(emu: LocalTranscribeMedical, reference: Transcript) -> None:
    emu.faults = FaultPlan(drop_after_seconds=1.0, streams=1)
    # Real-time pacing: the drop lands mid-stream.
    with emu.client(config=FAST) as client, client.streaming.transcribe(AUDIO[: 3 * BYTES_PER_SECOND], PCM) as events:
        for _ in events:
            pass
    assert [event.reason for event in events.reconnects] == ["connection lost"]
    expected = [word for word in words_of(reference) if word[2] <= 3.0]
    assert words_of(events.transcript) == expected


@pytest.mark.parametrize("mode", MODES)
def test_the_scripted_recognizer_gives_the_uninterrupted_transcript(mode: str) -> None:
    audio = bytes(range(1, 201)) * 320  # 2 s
    with LocalTranscribeMedical(batch=False, recognizer=ScriptedRecognizer(SCRIPT)) as emulator:
        clean, _ = run(mode, emulator, audio)
        emulator.faults = FaultPlan(drop_after_frames=12, streams=1)
        faulty, reconnects = run(mode, emulator, audio)
    assert segments_of(faulty) == segments_of(clean) and words_of(faulty) == words_of(clean)
    assert len(reconnects) == 1 and reconnects[0].resume_time == 0.0  # nothing final yet: replay it all
    assert reconnects[0].replayed_bytes >= 12 * 3200


@pytest.mark.parametrize("mode", MODES)
def test_sessions_roll_over_before_the_stream_length_limit(
    mode: str, emu: LocalTranscribeMedical, reference: Transcript
) -> None:
    transcript, reconnects = run(mode, emu, AUDIO, reconnect=ReconnectPolicy(max_session_seconds=2.0))
    assert words_of(transcript) == words_of(reference)  # a rollover may end an utterance early
    assert reconnects and {event.reason for event in reconnects} == {"session limit"}
    assert reconnects[0].resume_time == 2.0  # all the audio of the first session was final
    assert all(event.lost_seconds == 0 for event in reconnects)


# ---------------------------------------------------------------- credentials


@pytest.mark.parametrize("mode", MODES)
def test_a_reconnect_signs_with_the_credentials_of_now(
    mode: str, emu: LocalTranscribeMedical, reference: Transcript
) -> None:
    rotated = EmulatorCredentials("AKIDROTATEDKEY000001", "rotated/secret+key")
    emu.faults = FaultPlan(drop_after_frames=25, streams=1)

    def rotate(client: Any) -> None:
        # The emulator now accepts only the new key; the facade's session returns it.
        emu.streaming.credentials = rotated
        client.session._session.set_credentials(rotated.access_key_id, rotated.secret_access_key)

    if mode == "sync":
        with emu.client(config=FAST) as client:
            events = client.streaming.transcribe(AUDIO, PCM, realtime=False)
            with events:
                rotate(client)  # the first session is open: only a reconnect signs again
                for _ in events:
                    pass
            assert client.credentials().access_key == rotated.access_key_id
            transcript, reconnects = events.transcript, events.reconnects
    else:

        async def go() -> tuple[Transcript, list[ReconnectEvent]]:
            async with (
                emu.async_client(config=FAST) as client,
                client.streaming.transcribe(AUDIO, PCM, realtime=False) as events,
            ):
                rotate(client)
                async for _ in events:
                    pass
                return events.transcript, events.reconnects

        transcript, reconnects = asyncio.run(go())
    assert len(reconnects) == 1
    assert words_of(transcript) == words_of(reference)


# ---------------------------------------------------------------- giving up


@pytest.mark.parametrize("mode", MODES)
def test_a_spent_budget_raises_connection_error_with_the_finals_so_far(
    mode: str, emu: LocalTranscribeMedical, reference: Transcript
) -> None:
    emu.faults = FaultPlan(drop_after_frames=45, streams=1)
    policy = ClientConfig(retry=RetryPolicy(max_attempts=3, initial_backoff=0.0, max_backoff=0.0))
    refused = FaultPlan(exception="ServiceUnavailableException", exception_after_frames=0)

    audio = _after_a_final(mode, AUDIO, first_chunks=40)

    def sync_run() -> None:
        with emu.client(config=policy) as client, client.streaming.transcribe(audio, PCM, realtime=False) as events:
            emu.faults = refused  # every later stream is refused at once
            for event in events:
                _note_finals(event)

    async def async_run() -> None:
        async with (
            emu.async_client(config=policy) as client,
            client.streaming.transcribe(_as_async(audio), PCM, realtime=False) as events,
        ):
            emu.faults = refused
            async for event in events:
                _note_finals(event)

    with pytest.raises(ConnectionError) as raised:
        sync_run() if mode == "sync" else asyncio.run(async_run())
    partial = raised.value.transcript
    assert isinstance(partial, Transcript)
    assert 1 <= len(partial.segments) < len(reference.segments)
    assert segments_of(partial) == segments_of(reference)[: len(partial.segments)]
    assert "2 reconnect attempt(s)" in str(raised.value)
    assert emu.streaming.streams_served == 3


@pytest.mark.parametrize("mode", MODES)
def test_without_reconnect_the_first_failure_surfaces(mode: str, emu: LocalTranscribeMedical) -> None:
    emu.faults = FaultPlan(exception="InternalFailureException", exception_after_frames=10)
    with pytest.raises(InternalFailureError):
        run(mode, emu, AUDIO, reconnect=False)
    assert emu.streaming.streams_served == 1
    if mode == "sync":
        with emu.client(config=FAST) as client, client.streaming.transcribe(AUDIO, PCM, reconnect=False) as events:
            assert isinstance(events, Transcription)


@pytest.mark.parametrize("mode", MODES)
def test_a_bad_request_is_never_retried(mode: str, emu: LocalTranscribeMedical) -> None:
    emu.faults = FaultPlan(exception="BadRequestException", exception_after_frames=10)
    with pytest.raises(BadRequestError):
        run(mode, emu, AUDIO)
    assert emu.streaming.streams_served == 1


# ---------------------------------------------------------------- keep-alive


@pytest.mark.parametrize("mode", MODES)
def test_a_paused_pcm_source_is_kept_alive_with_silence(
    mode: str, emu: LocalTranscribeMedical, recognizer: ToneRecognizer
) -> None:
    idle = emu.streaming.idle_timeout
    needed = int((PAUSE_S + 2 * idle) * BYTES_PER_SECOND)  # the audio's pause, then twice the idle timeout
    _PAUSE_DONE.clear()

    def watch(session: ToneSession) -> None:
        if session.zeros_since_word * 2 >= needed:
            _PAUSE_DONE.set()

    recognizer.on_audio = watch
    before, after = spoken(3), spoken(6)[len(spoken(3)) :]

    def source() -> Iterator[bytes]:
        yield before
        if mode == "sync":
            assert _PAUSE_DONE.wait(20), "no keep-alive silence reached the emulator"
        else:
            yield _PAUSE
        yield after

    transcript, reconnects = run(mode, emu, source(), reconnect=ReconnectPolicy(keepalive_interval=0.1))
    assert _PAUSE_DONE.is_set()
    assert reconnects == []  # the idle timeout never fired
    assert len(recognizer.sessions) == 1
    words = words_of(transcript)
    assert [word for word, _, _ in words] == [word for word, _, _ in words_of_audio(spoken(6))]
    # The silence is stream time: the words after the pause moved later by at least its length.
    assert words[3][1] >= words[2][2] + PAUSE_S + 2 * idle - 1e-6


def words_of_audio(audio: bytes) -> list[tuple[str, float, float]]:
    session = ToneRecognizer().new_session(16000)
    session.accept_audio(audio)
    words = [word for utterance in session.completed_utterances() for word in utterance]
    words += session.finish_utterance()
    return [(word.text, word.start, word.end) for word in words]


@pytest.mark.parametrize("mode", MODES)
def test_a_paused_compressed_stream_is_reopened_when_audio_resumes(
    mode: str, emu: LocalTranscribeMedical, recognizer: ToneRecognizer, monkeypatch: pytest.MonkeyPatch
) -> None:
    header = b"fLaC\x00\x00\x00\x22fake-streaminfo!"
    # The emulator decodes FLAC with soundfile; here the "FLAC" is a header followed by PCM.
    monkeypatch.setattr(streaming_server, "soundfile_available", lambda: True)
    monkeypatch.setattr(streaming_server, "_decode_compressed", lambda data, params: data[len(header) :])
    audio = spoken(6)
    half = len(spoken(3))
    _PAUSE_DONE.clear()

    def source() -> Iterator[bytes]:
        yield header + audio[:half]
        # Paused longer than the emulator's idle timeout: the client closes the stream first.
        if mode == "sync":
            assert recognizer.a_session_closed.wait(20), "the paused stream was not closed"
        else:
            yield _PAUSE
        yield audio[half:]

    threading.Thread(target=lambda: recognizer.a_session_closed.wait(20) and _PAUSE_DONE.set(), daemon=True).start()
    flac = StreamConfig(media_encoding="flac", sample_rate=16000)
    transcript, reconnects = run(mode, emu, source(), flac, reconnect=ReconnectPolicy(keepalive_interval=0.2))
    assert recognizer.a_session_closed.is_set()
    assert [event.reason for event in reconnects] == ["idle"]
    assert reconnects[0].resume_time == 0.0 and reconnects[0].replayed_seconds is None
    # The whole stream so far, header first: the audio that resumed it included.
    assert len(header) + half < reconnects[0].replayed_bytes <= len(header) + len(audio)
    assert recognizer.sessions[-1].received == audio  # the new session decoded the stream whole
    assert [word for word, _, _ in words_of(transcript)] == [word for word, _, _ in words_of_audio(audio)]


# ---------------------------------------------------------------- issue 6's acceptance


def _live(audio: bytes, speed: float) -> Iterator[bytes]:
    """A live source (a microphone, say) that yields 100 ms of audio every 100 ms / ``speed``."""
    for start in range(0, len(audio), 3200):
        time.sleep(0.1 / speed)  # the pace of the source itself, not a wait for a result
        yield audio[start : start + 3200]


async def _alive(audio: bytes, speed: float) -> AsyncIterator[bytes]:
    """The asyncio twin of :func:`_live`."""
    for start in range(0, len(audio), 3200):
        await asyncio.sleep(0.1 / speed)
        yield audio[start : start + 3200]


@pytest.mark.parametrize("mode", MODES)
def test_a_60_second_dictation_with_drops_every_few_seconds(mode: str) -> None:
    """A live 60 s dictation (at 20x speed) whose connection drops every 4 s of audio: the final
    transcript equals the uninterrupted one, each word once, times within 0.3 s."""
    dictation = spoken(140)  # 140 words, ~61 s
    assert len(dictation) / BYTES_PER_SECOND >= 60
    with LocalTranscribeMedical(batch=False, recognizer=ToneRecognizer()) as clean, clean.client(config=FAST) as client:
        uninterrupted = _sync_run(client, dictation, PCM)[0]
    with LocalTranscribeMedical(batch=False, recognizer=ToneRecognizer()) as faulty:
        faulty.faults = FaultPlan(drop_after_audio_seconds=4.0)  # every stream, after 4 s of its audio
        source = _live(dictation, 20) if mode == "sync" else _alive(dictation, 20)
        # The emulator recognizes off its event loop: under load a session may drop (0.2 s after it
        # opened, at 20x) before its first final, and the next one replays the same audio. Such
        # outages count as one (no new final, no progress), so allow many of them in a row: 10 ran
        # out twice on a machine at load 6-9.
        patient = ClientConfig(retry=RetryPolicy(max_attempts=40, initial_backoff=0.0, max_backoff=0.0))
        transcript, reconnects = run(mode, faulty, source, client_config=patient)
    expected = words_of(uninterrupted)
    got = words_of(transcript)
    assert [word for word, _, _ in got] == [word for word, _, _ in expected]  # each word once, in order
    for (_, start, end), (_, want_start, want_end) in zip(got, expected, strict=True):
        assert abs(start - want_start) <= 0.3 and abs(end - want_end) <= 0.3
    assert len(reconnects) >= 10  # a drop every few seconds of the dictation
    assert all(event.lost_seconds == 0 for event in reconnects)
