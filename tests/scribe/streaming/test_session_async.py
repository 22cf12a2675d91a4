"""The asyncio HealthScribe session against the in-test h2 server that checks every signature."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from conftest import TEST_SECRET_KEY
from scribe.streaming.h2_server import ScribeH2Server
from transcribe_medical import AsyncTranscribeMedical, ClientConfig, CredentialsError, RetryPolicy
from transcribe_medical._exceptions import BadRequestError
from transcribe_medical.scribe.streaming.config import ScribeStreamConfig

ROLE = "arn:aws:iam::111122223333:role/HealthScribeAccess"
CHUNK = b"\x01\x00" * 1600


@pytest.fixture
def server() -> Iterator[ScribeH2Server]:
    made = ScribeH2Server(TEST_SECRET_KEY)
    yield made
    made.close()


def _client(server: ScribeH2Server) -> AsyncTranscribeMedical:
    config = ClientConfig(
        streaming_endpoint_url=server.url,
        retry=RetryPolicy(max_attempts=1, initial_backoff=0.0, max_backoff=0.0),
        read_timeout=10.0,
    )
    return AsyncTranscribeMedical(region_name="us-east-1", config=config)


def _config() -> ScribeStreamConfig:
    return ScribeStreamConfig(
        role_arn=ROLE,
        output_bucket="notes-bucket",
        sample_rate=16000,
        channel_definitions=[
            {"channel_id": 0, "participant_role": "PATIENT"},
            {"channel_id": 1, "participant_role": "CLINICIAN"},
        ],
    )


def test_async_transcribe_signs_every_event_and_describes(server: ScribeH2Server) -> None:
    async def main() -> tuple[list[str | None], str, str | None]:
        async with _client(server) as client:
            run = await client.scribe.streaming.transcribe([CHUNK] * 6, _config(), realtime=False)
            speakers = [event.segment.speaker async for event in run]
            described = await client.scribe.streaming.get(run.session_id)
            return speakers, run.session_id, described.stream_status

    speakers, session_id, status = asyncio.run(main())
    assert speakers == ["PATIENT_0", "CLINICIAN_0", "PATIENT_0"]
    assert server.seen.bad_signatures == 0
    assert server.seen.end_frames == 1
    assert [kind for kind, _ in server.seen.events].count("AudioEvent") == 6
    assert server.seen.requests[0]["x-amzn-transcribe-session-id"] == session_id
    assert status == "COMPLETED"


def test_async_tampered_event_is_refused(server: ScribeH2Server) -> None:
    async def main() -> None:
        async with _client(server) as client:
            session = await client.scribe.streaming.connect(_config())
            async with session:
                session._protocol._signer._prior = "f" * 64  # type: ignore[union-attr]
                await session.send_audio(CHUNK)
                with pytest.raises(BadRequestError, match="invalid event signature"):
                    [event async for event in session]

    asyncio.run(main())
    assert server.seen.bad_signatures == 1


def test_async_wrong_secret_is_a_credentials_error(server: ScribeH2Server, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wrong")

    async def main() -> None:
        async with _client(server) as client:
            await client.scribe.streaming.connect(_config())

    with pytest.raises(CredentialsError, match="HTTP 403"):
        asyncio.run(main())


def test_async_dropped_connection_resumes_with_no_audio_lost_or_doubled(server: ScribeH2Server) -> None:
    server.drop_after_audio = 3
    chunks = [bytes([index]) * 3200 for index in range(1, 11)]
    mono = _config().model_copy(update={"channel_definitions": None})

    async def main() -> tuple[str, int, int]:
        async with _client(server) as client:
            run = await client.scribe.streaming.transcribe(chunks, mono, realtime=False)
            count = len([event async for event in run])
            return run.session_id, run.resumes, count

    session_id, resumes, count = asyncio.run(main())
    assert resumes == 1 and count == 5
    assert server.seen.connections == 2
    assert bytes(server.seen.kept_audio[session_id]) == b"".join(chunks)
    assert server.seen.bad_signatures == 0 and server.seen.end_frames == 1


def test_async_exception_event_mid_audio_ends_transcribe_and_its_sender(server: ScribeH2Server) -> None:
    from transcribe_medical import LimitExceededError

    server.refuse_after_audio = 3

    async def main() -> None:
        async with _client(server) as client:
            run = await client.scribe.streaming.transcribe([CHUNK] * 200, _config(), realtime=False)
            with pytest.raises(LimitExceededError, match="too many sessions"):
                async for _ in run:
                    pass
            # The sender, waiting for window on a 4 KiB window, was woken and stopped, not left waiting.
            assert run.session.closed

    asyncio.run(main())
    assert server.seen.bad_signatures == 0
