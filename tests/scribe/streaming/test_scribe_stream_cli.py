"""``transcribe-medical scribe stream`` against the in-test h2 server: live segments, exit codes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import TEST_SECRET_KEY
from scribe.streaming.h2_server import ScribeH2Server
from transcribe_medical.cli import main

SAMPLE = Path(__file__).resolve().parents[2] / "fixtures" / "audio" / "mono_16k.wav"
ROLE = "arn:aws:iam::111122223333:role/HealthScribeAccess"


@pytest.fixture
def server() -> Iterator[ScribeH2Server]:
    made = ScribeH2Server(TEST_SECRET_KEY, window=65535)
    yield made
    made.close()


def _argv(server: ScribeH2Server, *extra: str) -> list[str]:
    return [
        "scribe",
        "stream",
        str(SAMPLE),
        "--role-arn",
        ROLE,
        "--output-bucket",
        "notes-bucket",
        "--streaming-endpoint-url",
        server.url,
        "--no-realtime",
        "--no-note",
        *extra,
    ]


def test_streams_the_file_and_shows_segments(server: ScribeH2Server, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(_argv(server, "--channel-roles", "0=CLINICIAN,1=PATIENT")) == 2  # mono audio, two channels
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "channel" in err
    assert main(_argv(server)) == 0
    err = capsys.readouterr().err
    assert "HealthScribe session" in err
    assert "[ch_0] word0" in err
    assert server.seen.bad_signatures == 0 and server.seen.end_frames == 1


def test_wrong_secret_exits_4_with_one_line(
    server: ScribeH2Server, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wrong")
    assert main(_argv(server)) == 4
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert "HTTP 403" in err
