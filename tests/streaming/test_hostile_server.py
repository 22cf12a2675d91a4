"""A hostile streaming peer cannot hurt the user (issue 16, part 10): bounded memory and time,
no redirects, and the finals received kept on every failure.

The peer is :mod:`streaming.hostile_server` (websockets' own server on 127.0.0.1).
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from streaming.hostile_server import HostileServer
from transcribe_medical import (
    AsyncTranscribeMedical,
    BadRequestError,
    ClientConfig,
    ConnectionError,
    CredentialsError,
    ProtocolError,
    RetryPolicy,
    StreamConfig,
    TranscribeMedical,
    TranscribeMedicalError,
    TranscriptEvent,
    _limits,
)
from transcribe_medical.models.transcript import TranscriptAssembler
from transcribe_medical.streaming.reconnect import ReconnectPolicy, ResilientSession

PCM = StreamConfig(media_encoding="pcm", sample_rate=16000)
NO_RETRY = ClientConfig(retry=RetryPolicy(max_attempts=1))
CAP = _limits.STREAM_MAX_PARTIALS


def client_for(server: HostileServer, config: ClientConfig = NO_RETRY) -> TranscribeMedical:
    """A sync client pointed at ``server``."""
    return TranscribeMedical(region_name="us-east-1", streaming_endpoint_url=server.url, config=config)


def _wav_path() -> Path:
    return Path(__file__).resolve().parents[1] / "fixtures" / "audio" / "mono_16k.wav"


def _event(
    result_id: str, start: float, *, partial: bool, text: str = "word", channel: str | None = None
) -> TranscriptEvent:
    result: dict[str, object] = {
        "ResultId": result_id,
        "StartTime": start,
        "EndTime": start + 0.5,
        "IsPartial": partial,
        "Alternatives": [
            {
                "Transcript": text,
                "Items": [{"StartTime": start, "EndTime": start + 0.5, "Type": "pronunciation", "Content": text}],
            }
        ],
    }
    if channel is not None:
        result["ChannelId"] = channel
    return TranscriptEvent.from_payload(json.dumps({"Transcript": {"Results": [result]}}).encode())


# ---------------------------------------------------------------- partials: bounded, stalest evicted


def test_the_assembler_forgets_the_stalest_partials_beyond_the_cap() -> None:
    assembler = TranscriptAssembler()
    assembler.add(_event("kept-alive", 0.0, partial=True))
    for index in range(10 * CAP):
        assembler.add(_event(f"id-{index}", float(index), partial=True))
        assembler.add(_event("kept-alive", 0.0, partial=True, text=f"update {index}"))  # updated: stays
    partials = assembler.partials
    assert len(partials) == CAP
    ids = {result.result_id for result in partials}
    assert "kept-alive" in ids
    assert f"id-{10 * CAP - 1}" in ids and "id-0" not in ids


def test_a_final_sent_again_is_still_ignored_after_many_finals() -> None:
    assembler = TranscriptAssembler()
    for index in range(100):
        assert assembler.add(_event(f"f-{index}", float(index), partial=False))
    assert assembler.add(_event("f-99", 99.0, partial=False)) == []
    assert len(assembler.transcript().segments) == 100


def test_the_resume_point_forgets_partials_that_never_become_final() -> None:
    stereo = PCM.model_copy(update={"channel_identification": True, "number_of_channels": 2})
    resilient = ResilientSession(stereo, retry=RetryPolicy())
    resilient.accept_audio(bytes(64_000 * 10))
    resilient.begin_session("first", now=0.0)
    resilient.receive(_event("final", 8.5, partial=False, channel="ch_0"))  # ch_0 final up to 9 s
    for index in range(2 * CAP):
        resilient.receive(_event(f"id-{index}", index * 0.01, partial=True, channel="ch_1"))
    replay = resilient.begin_session("second", now=1.0)
    # Only the newest CAP ids are still in progress: the oldest of them starts at CAP * 0.01 s.
    assert replay.offset == pytest.approx(CAP * 0.01)
    assert replay.lost_seconds == 0


def test_a_partial_inside_what_is_final_does_not_take_the_resume_point_back() -> None:
    resilient = ResilientSession(PCM, retry=RetryPolicy())
    resilient.begin_session("first", now=0.0)
    resilient.accept_audio(bytes(32_000 * 10))
    resilient.receive(_event("final", 8.5, partial=False))  # final up to 9 s: the buffer is trimmed there
    resilient.receive(_event("stale", 0.5, partial=True))  # a partial the service should not send
    replay = resilient.begin_session("second", now=1.0)
    assert (replay.offset, replay.lost_seconds) == (9.0, 0.0)
    assert not resilient.transcript.incomplete


def test_a_flood_of_unique_partials_keeps_a_live_session_bounded() -> None:
    flood = 20 * CAP
    with HostileServer("flood", flood_count=flood) as server, client_for(server) as client:
        stream = client.streaming.connect(PCM)
        with stream:
            stream.send_audio(bytes(3200))
            stream.end()
            received = list(stream)
            partials = stream.session.partials
    assert len(received) == flood and server.sent == flood
    assert len(partials) == CAP
    assert partials[-1].alternatives[0].transcript == f"partial number {flood - 1}"


def test_a_flood_of_unique_partials_keeps_an_async_session_bounded() -> None:
    flood = 20 * CAP

    async def run(url: str) -> tuple[int, int]:
        client = AsyncTranscribeMedical(region_name="us-east-1", streaming_endpoint_url=url, config=NO_RETRY)
        async with client.streaming.connect(PCM) as stream:
            await stream.send_audio(bytes(3200))
            await stream.end()
            received = [event async for event in stream]
            return len(received), len(stream.session.partials)

    with HostileServer("flood", flood_count=flood) as server:
        assert asyncio.run(run(server.url)) == (flood, CAP)


def test_a_flood_through_a_reconnecting_transcription_ends_normally() -> None:
    flood = 5 * CAP
    with HostileServer("flood", flood_count=flood) as server, client_for(server) as client:
        events = client.streaming.transcribe(iter([bytes(3200)]), PCM, realtime=False)
        with events:
            assert sum(1 for _ in events) == flood
            assert events.transcript.segments == []


# ---------------------------------------------------------------- redirects at the upgrade: refused


def _redirect_servers() -> list[HostileServer]:
    return [HostileServer("redirect"), HostileServer("redirect", redirect_to="ws://0.0.0.0:9/")]


@pytest.mark.parametrize("server", _redirect_servers(), ids=["another-port", "0.0.0.0"])
def test_a_redirect_at_the_upgrade_is_refused_once(server: HostileServer) -> None:
    config = ClientConfig(retry=RetryPolicy(max_attempts=3, initial_backoff=0.0, max_backoff=0.0))
    with server, client_for(server, config) as client, pytest.raises(ProtocolError) as raised:
        client.streaming.connect(PCM)
    assert "redirect (HTTP 302)" in str(raised.value)
    assert "\n" not in str(raised.value) and "0.0.0.0" not in str(raised.value)
    assert server.connections == 1  # not retried
    assert server.redirect_hits == 0  # never followed


@pytest.mark.parametrize("server", _redirect_servers(), ids=["another-port", "0.0.0.0"])
def test_an_async_redirect_at_the_upgrade_is_refused_once(server: HostileServer) -> None:
    async def run(url: str) -> None:
        client = AsyncTranscribeMedical(region_name="us-east-1", streaming_endpoint_url=url)
        async with client.streaming.connect(PCM):
            pass

    with server, pytest.raises(ProtocolError, match=r"redirect \(HTTP 302\)"):
        asyncio.run(run(server.url))
    assert server.connections == 1 and server.redirect_hits == 0


def test_a_reconnecting_transcription_refuses_a_redirect_too() -> None:
    server = HostileServer("redirect")
    with server, client_for(server, ClientConfig()) as client, pytest.raises(ProtocolError, match="redirect"):
        client.streaming.transcribe_file(_wav_path(), StreamConfig(), realtime=False)
    assert server.connections == 1 and server.redirect_hits == 0


# ---------------------------------------------------------------- a peer that never answers: bounded time

#: Scaled down as in production: the read timeout (60 s) outlives ``stable_after`` (30 s).
SILENT_CONFIG = ClientConfig(
    read_timeout=0.4, retry=RetryPolicy(max_attempts=3, initial_backoff=0.0, max_backoff=0.0, max_elapsed=None)
)
SILENT_POLICY = ReconnectPolicy(stable_after=0.2)


def test_a_silent_peer_ends_a_reconnecting_stream_after_the_attempts() -> None:
    with HostileServer("silent") as server, client_for(server, SILENT_CONFIG) as client:
        events = client.streaming.transcribe(iter([bytes(3200)]), PCM, realtime=False, reconnect=SILENT_POLICY)
        with events, pytest.raises(ConnectionError, match=r"after 2 reconnect attempt\(s\)") as raised:
            list(events)
    assert server.connections == 3
    assert raised.value.transcript is not None and raised.value.transcript.segments == []


def test_a_silent_peer_ends_an_async_reconnecting_stream_after_the_attempts() -> None:
    async def run(url: str) -> None:
        client = AsyncTranscribeMedical(region_name="us-east-1", streaming_endpoint_url=url, config=SILENT_CONFIG)
        events = client.streaming.transcribe(iter([bytes(3200)]), PCM, realtime=False, reconnect=SILENT_POLICY)
        async with events:
            async for _ in events:
                pass

    with HostileServer("silent") as server:
        with pytest.raises(ConnectionError, match=r"after 2 reconnect attempt\(s\)"):
            asyncio.run(run(server.url))
        assert server.connections == 3


# ---------------------------------------------------------------- on failure, the finals received are kept

FINALS = "final 1 final 2 final 3"
CHUNKS = [bytes(3200)] * 6  # one final per audio frame: three before the failure


@pytest.mark.parametrize(
    ("mode", "reconnect", "error_class"),
    [
        ("finals-then-drop", False, ConnectionError),
        ("finals-then-drop", True, CredentialsError),  # the reconnect is refused with 403
        ("finals-then-exception", False, BadRequestError),
        ("finals-then-exception", True, BadRequestError),
    ],
)
def test_a_failed_stream_keeps_its_finals_on_the_error(
    mode: str, reconnect: bool, error_class: type[Exception]
) -> None:
    with HostileServer(mode) as server, client_for(server, ClientConfig()) as client:
        events = client.streaming.transcribe(iter(CHUNKS), PCM, realtime=False, reconnect=reconnect)
        with events, pytest.raises(error_class) as raised:
            list(events)
        assert events.transcript.text == FINALS
    error = raised.value
    assert isinstance(error, TranscribeMedicalError)
    assert error.transcript is not None and error.transcript.text == FINALS


@pytest.mark.parametrize(
    ("mode", "reconnect", "error_class"),
    [
        ("finals-then-drop", False, ConnectionError),
        ("finals-then-drop", True, CredentialsError),
        ("finals-then-exception", True, BadRequestError),
    ],
)
def test_a_failed_async_stream_keeps_its_finals_on_the_error(
    mode: str, reconnect: bool, error_class: type[Exception]
) -> None:
    async def run(url: str) -> None:
        client = AsyncTranscribeMedical(region_name="us-east-1", streaming_endpoint_url=url)
        events = client.streaming.transcribe(iter(CHUNKS), PCM, realtime=False, reconnect=reconnect)
        async with events:
            async for _ in events:
                pass

    with HostileServer(mode) as server, pytest.raises(error_class) as raised:
        asyncio.run(run(server.url))
    error = raised.value
    assert isinstance(error, TranscribeMedicalError)
    assert error.transcript is not None and error.transcript.text == FINALS


def test_a_failed_live_session_keeps_its_finals_on_the_error() -> None:
    with HostileServer("finals-then-exception") as server, client_for(server) as client:
        stream = client.streaming.connect(PCM)
        with stream:
            for chunk in CHUNKS[:3]:
                stream.send_audio(chunk)
            with pytest.raises(BadRequestError) as raised:
                list(stream)
    assert raised.value.transcript is not None and raised.value.transcript.text == FINALS


def test_a_failed_async_live_session_keeps_its_finals_on_the_error() -> None:
    async def run(url: str) -> None:
        client = AsyncTranscribeMedical(region_name="us-east-1", streaming_endpoint_url=url, config=NO_RETRY)
        async with client.streaming.connect(PCM) as stream:
            for chunk in CHUNKS[:3]:
                await stream.send_audio(chunk)
            async for _ in stream:
                pass

    with HostileServer("finals-then-drop") as server, pytest.raises(ConnectionError) as raised:
        asyncio.run(run(server.url))
    assert raised.value.transcript is not None and raised.value.transcript.text == FINALS


def test_a_silent_peer_ends_the_cli_stream_with_exit_5(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from transcribe_medical.cli import main
    from transcribe_medical.cli.commands import stream as stream_command

    def scaled_client(region: str | None, profile: str | None, endpoint_url: str | None) -> TranscribeMedical:
        # The CLI's own client, with the read timeout and the backoff scaled down.
        return TranscribeMedical(region_name=region, streaming_endpoint_url=endpoint_url, config=SILENT_CONFIG)

    monkeypatch.setattr(stream_command, "_client", scaled_client)
    with HostileServer("silent") as server:
        monkeypatch.setenv("AWS_ENDPOINT_URL_TRANSCRIBE_STREAMING", server.url)
        code = main(["stream", str(_wav_path()), "--no-realtime", "-o", str(tmp_path / "out.txt")])
        assert server.connections == 3
    assert code == 5
    err = capsys.readouterr().err
    assert "after 2 reconnect attempt(s)" in err
