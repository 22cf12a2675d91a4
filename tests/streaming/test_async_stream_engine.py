"""The one asyncio driver (issue 17) and its newcomer API (issue 20, item 7), against the scripted service.

* ``transcribe()`` returns one type, reconnecting or not;
* ``transcribe_file(path)`` needs no config: PRIMARYCARE, DICTATION, the format read from the file;
* ``on_partial=`` / ``on_final=`` beside the iterator (plain functions and coroutine functions);
* ``keep_transcript=False`` for a caller that only reads events;
* the hot path: a right-sized chunk is framed without a copy, and pacing sleeps only when the
  sender is ahead of the real-time schedule.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from streaming.fake_service import FakeTranscribeStreaming, load_sequence
from transcribe_medical import AsyncTranscribeMedical, StreamConfig, TranscribeMedicalError, Transcript
from transcribe_medical.models.events import Result
from transcribe_medical.streaming import AsyncTranscription, protocol
from transcribe_medical.streaming.asyncio.stream import _PACING_GRID_S, AsyncLiveSession, _on_grid
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
    async_client: AsyncTranscribeMedical, scripted: FakeTranscribeStreaming, reconnect: bool | ReconnectPolicy
) -> None:
    async def main() -> tuple[AsyncTranscription, Transcript]:
        stream = async_client.streaming.transcribe(MONO, reconnect=reconnect, realtime=False)
        async with stream:
            async for _ in stream:
                pass
        return stream, stream.transcript

    stream, transcript = asyncio.run(main())
    assert type(stream) is AsyncTranscription
    assert stream.reconnects == [] and stream.gaps == []
    assert transcript.text == PHI_SEQUENCE["expected_transcript"]


def test_transcribe_file_needs_no_config(
    async_client: AsyncTranscribeMedical, scripted: FakeTranscribeStreaming
) -> None:
    transcript = asyncio.run(async_client.streaming.transcribe_file(MONO, realtime=False))
    query = scripted.last.query
    assert (query["specialty"], query["type"]) == ("PRIMARYCARE", "DICTATION")
    assert (query["media-encoding"], query["sample-rate"]) == ("pcm", "16000")  # read from the file
    assert transcript.text == PHI_SEQUENCE["expected_transcript"]


def test_on_partial_and_on_final_see_every_result_once_in_order(
    async_client: AsyncTranscribeMedical, scripted: FakeTranscribeStreaming
) -> None:
    seen: list[tuple[str, bool]] = []

    def on_partial(result: Result) -> None:
        seen.append((result.result_id, True))

    async def on_final(result: Result) -> None:  # a coroutine function is awaited
        await asyncio.sleep(0)
        seen.append((result.result_id, False))

    transcript = asyncio.run(
        async_client.streaming.transcribe_file(MONO, realtime=False, on_partial=on_partial, on_final=on_final)
    )
    assert [partial for _, partial in seen] == partial_flags()
    finals = [result_id for result_id, partial in seen if not partial]
    assert finals == [segment.result_id for segment in transcript.segments]


def test_callbacks_run_before_the_event_is_yielded(
    async_client: AsyncTranscribeMedical, scripted: FakeTranscribeStreaming
) -> None:
    called: list[str] = []

    async def main() -> list[bool]:
        before: list[bool] = []
        stream = async_client.streaming.transcribe(MONO, realtime=False, on_final=lambda r: called.append(r.result_id))
        async with stream:
            async for event in stream:
                finals = [result.result_id for result in event.results if not result.is_partial]
                before.extend(result_id in called for result_id in finals)
        return before

    before = asyncio.run(main())
    assert before == [True, True]


def test_a_callback_that_raises_ends_the_stream_with_its_error(
    async_client: AsyncTranscribeMedical, scripted: FakeTranscribeStreaming
) -> None:
    class Refused(Exception):
        pass

    def on_partial(result: Result) -> None:
        raise Refused

    with pytest.raises(Refused):
        asyncio.run(async_client.streaming.transcribe_file(MONO, realtime=False, on_partial=on_partial))


def test_keep_transcript_false_yields_every_event_and_keeps_no_transcript(
    async_client: AsyncTranscribeMedical, scripted: FakeTranscribeStreaming
) -> None:
    async def main() -> tuple[int, AsyncTranscription]:
        stream = async_client.streaming.transcribe(MONO, realtime=False, keep_transcript=False)
        count = 0
        async with stream:
            async for _ in stream:
                count += 1
        return count, stream

    count, stream = asyncio.run(main())
    assert count == len(PHI_SEQUENCE["events"])
    with pytest.raises(TranscribeMedicalError, match="keep_transcript=False"):
        _ = stream.transcript


def test_a_live_session_takes_callbacks_and_keep_transcript_too(
    async_client: AsyncTranscribeMedical, scripted: FakeTranscribeStreaming
) -> None:
    finals: list[str] = []

    async def main() -> AsyncLiveSession:
        async with async_client.streaming.connect(PCM, on_final=lambda r: finals.append(r.transcript)) as stream:
            assert isinstance(stream, AsyncLiveSession)
            for _ in range(3):
                await stream.send_audio(bytes(3200))
            await stream.end()
            async for _ in stream:
                pass
            return stream

    stream = asyncio.run(main())
    assert " ".join(finals) == PHI_SEQUENCE["expected_transcript"]
    assert stream.transcript.text == PHI_SEQUENCE["expected_transcript"]


def test_a_right_sized_chunk_is_framed_without_a_copy(monkeypatch: pytest.MonkeyPatch) -> None:
    framed: list[object] = []
    real = protocol.encode_audio_event

    def spy(payload: bytes) -> bytes:
        framed.append(payload)
        return real(payload)

    monkeypatch.setattr(protocol, "encode_audio_event", spy)
    session = protocol.StreamSession(PCM)
    chunk = bytes(3200)
    session.send_audio(chunk)
    assert framed[0] is chunk
    session.send_audio(bytearray(70_000))  # larger, or not bytes: cut into 32 KiB frames
    assert [len(payload) for payload in framed[1:]] == [32768, 32768, 70_000 - 65536]


def test_pacing_sleeps_only_when_the_sender_is_ahead(
    async_client: AsyncTranscribeMedical, service: FakeTranscribeStreaming
) -> None:
    """A source slower than real time (each chunk read 150 ms after the last) is never slept for."""
    now = [0.0]
    waits: list[float] = []
    chunks = 20

    async def slow_source() -> AsyncIterator[bytes]:
        for _ in range(chunks):
            now[0] += 0.15  # 100 ms of audio takes 150 ms to arrive
            yield bytes(3200)

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    async def main() -> None:
        stream = async_client.streaming.transcribe(slow_source(), PCM, clock=lambda: now[0], sleep=sleep)
        async with stream:
            async for _ in stream:
                pass

    asyncio.run(main())
    assert waits == []
    assert service.last.audio_bytes == bytes(3200 * chunks)


@pytest.mark.parametrize("now", [0.0, 0.013, 10.003, 1234.56789, 86400.0199])
@pytest.mark.parametrize("delay", [0.002, 0.019, 0.02, 0.081, 0.1, 0.25])
def test_paced_wake_ups_land_on_the_shared_grid_never_early_at_most_one_step_late(now: float, delay: float) -> None:
    """Streams on one loop wake together: each wait ends on a multiple of the grid, not before its due time."""
    waited = _on_grid(now, delay)
    assert delay - 1e-9 <= waited < delay + _PACING_GRID_S
    steps = (now + waited) / _PACING_GRID_S
    assert steps == pytest.approx(round(steps), abs=1e-6)


def test_finish_audio_ends_a_stream_whose_source_has_nothing_to_give(
    async_client: AsyncTranscribeMedical, scripted: FakeTranscribeStreaming
) -> None:
    async def paused_source() -> AsyncIterator[bytes]:
        yield bytes(3200)
        await asyncio.Event().wait()  # a microphone that went quiet: nothing more, ever
        yield bytes(3200)

    async def main() -> Transcript:
        stream = async_client.streaming.transcribe(paused_source(), PCM, realtime=False)
        async with stream:
            async for _ in stream:
                stream.finish_audio()
        return stream.transcript

    transcript = asyncio.run(main())
    assert scripted.last.got_end and scripted.last.audio_bytes == bytes(3200)
    assert transcript.text == PHI_SEQUENCE["expected_transcript"]
