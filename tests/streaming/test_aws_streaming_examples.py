"""AWS's published streaming examples, end to end: the real clients against the scripted service.

DESIGN.md, Forward compatibility: nothing AWS sends that is well-formed JSON in a well-formed frame
may end a session. The service here sends AWS's own medical speaker-labels example (with its
``speaker-change`` item, which has no ``Content``) and an event type this version does not know,
right after the first audio frame; the session must stay up, send all the audio, end normally,
and show the change of speaker in the transcript.
"""

from __future__ import annotations

import asyncio
import wave
from pathlib import Path

from streaming.aws_examples import speaker_change_payload
from streaming.fake_service import FakeTranscribeStreaming, encode_frame
from transcribe_medical import AsyncTranscribeMedical, StreamConfig, TranscribeMedical, Transcript
from transcribe_medical.streaming.protocol import StreamState

MONO = Path(__file__).resolve().parents[1] / "fixtures" / "audio" / "mono_16k.wav"
CONVERSATION = StreamConfig(type="CONVERSATION", show_speaker_labels=True)
FUTURE_EVENT = encode_frame(
    {":message-type": "event", ":event-type": "FutureEvent", ":content-type": "application/json"}, b'{"New": 1}'
)


def _pcm_of(path: Path) -> bytes:
    with wave.open(str(path), "rb") as wav:
        return wav.readframes(wav.getnframes())


def _script(service: FakeTranscribeStreaming) -> None:
    service.raw_frames = [FUTURE_EVENT]
    service.events = [speaker_change_payload()]


def _assert_the_change_shows(transcript: Transcript, service: FakeTranscribeStreaming) -> None:
    received = service.last
    assert received.got_end and received.audio_bytes == _pcm_of(MONO)  # the session lasted to the end
    assert received.query["show-speaker-label"] == "true"
    assert [(segment.speaker, segment.text) for segment in transcript.segments] == [
        ("spk_0", "From the last chronic fatigue"),
        ("spk_1", "True."),
    ]
    assert transcript.speakers == ["spk_0", "spk_1"]


def test_transcribe_keeps_the_session_and_shows_the_speaker_change(
    client: TranscribeMedical, service: FakeTranscribeStreaming
) -> None:
    _script(service)
    with client.streaming.transcribe(MONO, CONVERSATION, realtime=False) as stream:
        events = list(stream)
        transcript = stream.transcript
    assert len(events) == 1  # the AWS example; the unknown event is skipped
    assert len(service.connections) == 1  # no reconnect: nothing failed
    _assert_the_change_shows(transcript, service)


def test_a_connect_session_stays_up_through_the_example(
    client: TranscribeMedical, service: FakeTranscribeStreaming
) -> None:
    _script(service)
    audio = _pcm_of(MONO)
    with client.streaming.connect(CONVERSATION.for_audio("pcm", 16000, 1)) as stream:
        for start in range(0, len(audio), 3200):
            stream.send_audio(audio[start : start + 3200])
        stream.end()
        events = list(stream)
        assert stream.state is StreamState.DONE
        transcript = stream.transcript
    assert len(events) == 1
    _assert_the_change_shows(transcript, service)


def test_an_asyncio_connect_session_stays_up_through_the_example(
    async_client: AsyncTranscribeMedical, service: FakeTranscribeStreaming
) -> None:
    _script(service)
    audio = _pcm_of(MONO)

    async def main() -> tuple[int, StreamState, Transcript]:
        async with async_client.streaming.connect(CONVERSATION.for_audio("pcm", 16000, 1)) as stream:
            for start in range(0, len(audio), 3200):
                await stream.send_audio(audio[start : start + 3200])
            await stream.end()
            events = [event async for event in stream]
            return len(events), stream.state, stream.transcript

    count, state, transcript = asyncio.run(main())
    assert count == 1 and state is StreamState.DONE
    assert len(service.connections) == 1  # no reconnect: nothing failed
    _assert_the_change_shows(transcript, service)


def test_the_asyncio_client_too(async_client: AsyncTranscribeMedical, service: FakeTranscribeStreaming) -> None:
    _script(service)

    async def main() -> Transcript:
        return await async_client.streaming.transcribe_file(MONO, CONVERSATION, realtime=False)

    _assert_the_change_shows(asyncio.run(main()), service)
