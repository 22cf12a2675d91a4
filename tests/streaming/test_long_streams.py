"""Long streams against the emulator: a file comes back whole however far back it is replayed; a
live source that outruns its replay buffer ends with the lost span named in the transcript.

The replay buffer is set far smaller than what a reconnect must replay, the scale model of a
10 minute visit dropped at minute 8 with a 60 s buffer. Faults are counted in audio seconds and
apply to a fixed number of streams, so every run ends; nothing sleeps, nothing is timed.
"""

from __future__ import annotations

import asyncio
import io
import wave
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from streaming.resilient_support import BYTES_PER_SECOND, ToneRecognizer, spoken, words_of
from transcribe_medical import ClientConfig, RetryPolicy, StreamConfig
from transcribe_medical.cli import main
from transcribe_medical.exports.json_format import from_json
from transcribe_medical.local import FaultPlan, LocalTranscribeMedical
from transcribe_medical.models.transcript import Transcript
from transcribe_medical.streaming.reconnect import ReconnectEvent, ReconnectPolicy

PCM = StreamConfig(media_encoding="pcm", sample_rate=16000)
DICTATION = spoken(140)  # 140 words, ~75 s
CLIENT = ClientConfig(retry=RetryPolicy(max_attempts=10, initial_backoff=0.0, max_backoff=0.0), read_timeout=5.0)
TINY_BUFFER = ReconnectPolicy(replay_seconds=0.1)  # what no final covers is always more than this
MODES = ["sync", "async"]


@pytest.fixture(scope="module")
def dictation_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("long") / "dictation.wav"
    with wave.open(str(path), "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(16000)
        writer.writeframes(DICTATION)
    return path


@pytest.fixture(scope="module")
def uninterrupted(dictation_file: Path) -> Transcript:
    with (
        LocalTranscribeMedical(batch=False, recognizer=ToneRecognizer()) as emulator,
        emulator.client(config=CLIENT) as client,
    ):
        return client.streaming.transcribe_file(dictation_file, PCM, realtime=False)


def _live(audio: bytes) -> Iterator[bytes]:
    """A live source: chunks that cannot be read again."""
    for start in range(0, len(audio), 3200):
        yield audio[start : start + 3200]


async def _alive(audio: bytes) -> AsyncIterator[bytes]:
    for chunk in _live(audio):
        yield chunk


def _run(mode: str, emulator: LocalTranscribeMedical, audio: Any) -> tuple[Transcript, list[ReconnectEvent]]:
    seen: list[ReconnectEvent] = []
    if mode == "sync":
        with (
            emulator.client(config=CLIENT) as client,
            client.streaming.transcribe(
                audio, PCM, realtime=False, reconnect=TINY_BUFFER, on_reconnect=seen.append
            ) as events,
        ):
            for _ in events:
                pass
            return events.transcript, seen

    async def main() -> Transcript:
        async with (
            emulator.async_client(config=CLIENT) as client,
            client.streaming.transcribe(
                audio, PCM, realtime=False, reconnect=TINY_BUFFER, on_reconnect=seen.append
            ) as events,
        ):
            async for _ in events:
                pass
            return events.transcript

    return asyncio.run(main()), seen


@pytest.mark.parametrize("mode", MODES)
def test_a_file_dropped_again_and_again_comes_back_whole(
    mode: str, dictation_file: Path, uninterrupted: Transcript
) -> None:
    with LocalTranscribeMedical(batch=False, recognizer=ToneRecognizer()) as emulator:
        emulator.faults = FaultPlan(drop_after_audio_seconds=8.0, streams=5)
        transcript, reconnects = _run(mode, emulator, dictation_file)
    assert len(words_of(uninterrupted)) == 140
    assert words_of(transcript) == words_of(uninterrupted)  # every word once, at the same times
    assert not transcript.incomplete and transcript.gaps == []
    # A faulty stream may end before its fault (a replay arrives in 32 KiB frames).
    assert 1 <= len(reconnects) <= 5
    assert all(event.lost_seconds == 0 for event in reconnects)
    # Each reconnect replayed more than the in-memory buffer could hold: it was read from the file.
    assert all(event.replayed_seconds is not None and event.replayed_seconds > 0.1 for event in reconnects)


@pytest.mark.parametrize("mode", MODES)
def test_a_live_source_that_outruns_its_buffer_says_what_was_lost(mode: str, uninterrupted: Transcript) -> None:
    with LocalTranscribeMedical(batch=False, recognizer=ToneRecognizer()) as emulator:
        emulator.faults = FaultPlan(drop_after_audio_seconds=20.0, streams=1)
        source = _live(DICTATION) if mode == "sync" else _alive(DICTATION)
        transcript, reconnects = _run(mode, emulator, source)
    [reconnect] = reconnects
    assert reconnect.lost_seconds is not None and reconnect.lost_seconds > 0
    assert transcript.incomplete
    [gap] = transcript.gaps
    assert gap.end == pytest.approx(reconnect.resume_time)
    assert gap.end - gap.start == pytest.approx(reconnect.lost_seconds, abs=1e-3)
    # The drop came after 20 s of audio; the finals before it (if any came) are kept.
    assert 0 <= gap.start < 20.0 < gap.end <= len(DICTATION) / BYTES_PER_SECOND
    # What was heard before the gap is kept, each word once; nothing inside it is.
    words = words_of(transcript)
    before = [word for word in words_of(uninterrupted) if word[2] <= gap.start + 1e-6]
    assert words[: len(before)] == before
    assert all(end <= gap.start + 1e-6 or start >= gap.end - 1e-6 for _, start, end in words)
    assert len(words) < 140


# ---------------------------------------------------------------- the CLI: exit 5, or --allow-gaps


@pytest.fixture
def live_cli(monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalTranscribeMedical]:
    """The emulator in the environment, raw PCM on stdin (a live source), and a tiny replay buffer."""
    real = ReconnectPolicy.from_option

    def tiny(option: bool | ReconnectPolicy) -> ReconnectPolicy:
        policy = real(option)
        return ReconnectPolicy(enabled=policy.enabled, replay_seconds=0.1) if option is True else policy

    monkeypatch.setattr(ReconnectPolicy, "from_option", staticmethod(tiny))
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(DICTATION[: 30 * BYTES_PER_SECOND])))
    with LocalTranscribeMedical(batch=False, recognizer=ToneRecognizer()) as emulator:
        for name, value in emulator.environment().items():
            monkeypatch.setenv(name, value)
        emulator.faults = FaultPlan(drop_after_audio_seconds=10.0, streams=1)
        yield emulator


def _gap_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if "transcript is incomplete" in line]


def test_the_cli_writes_what_it_has_then_exits_5_naming_the_lost_span(
    live_cli: LocalTranscribeMedical, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out.txt"
    code = main(["stream", "-", "--sample-rate", "16000", "--no-realtime", "-o", str(out)])
    err = capsys.readouterr().err
    assert code == 5, err
    [line] = _gap_lines(err)
    assert "s) was lost" in line and "--allow-gaps" in line and " at " in line
    assert "chest" not in err.lower()  # the line names times, never words
    assert out.exists()  # what arrived (if a final came before the drop) was written first


def test_allow_gaps_exits_0_and_the_json_carries_the_gap(
    live_cli: LocalTranscribeMedical, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out.json"
    code = main(
        ["stream", "-", "--sample-rate", "16000", "--no-realtime", "--allow-gaps", "--format", "json", "-o", str(out)]
    )
    err = capsys.readouterr().err
    assert code == 0, err
    [line] = _gap_lines(err)
    document = out.read_text()
    transcript = from_json(document)
    assert transcript.incomplete and len(transcript.gaps) == 1
    gap = transcript.gaps[0]
    assert f"{gap.start:.1f}-{gap.end:.1f} s" in line
    assert '"incomplete": true' in document
