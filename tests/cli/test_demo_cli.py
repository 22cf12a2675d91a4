"""``transcribe-medical demo`` and ``serve``: the embedded emulator from the command line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from transcribe_medical.cli import main


@pytest.mark.slow
def test_demo_streams_and_batches_the_sample_under_the_wer_target(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    note = tmp_path / "note.html"
    assert main(["demo", "--note-html", str(note)]) == 0
    out, err = capsys.readouterr()
    rates = [float(value) / 100 for value in re.findall(r"word error rate: ([0-9.]+)%", out)]
    assert len(rates) == 2, out
    assert all(rate <= 0.25 for rate in rates), out
    assert "== streaming transcript" in out and "== batch transcript" in out
    assert "chest pain" in out.lower()
    assert "words flagged for review" in out
    assert "reviewed and verified by appropriately trained human reviewers" in out
    assert "starting the local emulator" in err
    # It ends with the HealthScribe note of the bundled visit, and its HTML page.
    assert "== HealthScribe clinical note, HISTORY_AND_PHYSICAL" in out
    assert "Chief complaint" in out and "Plan" in out
    assert "evidence links that name no segment: 0" in out
    assert out.index("== HealthScribe") > out.index("== batch transcript")
    assert f"HTML note beside its transcript (hover a sentence to see its evidence): {note}" in out
    assert note.stat().st_mode & 0o777 == 0o600


def test_demo_refuses_a_note_path_in_a_missing_folder(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["demo", "--note-html", str(tmp_path / "absent" / "note.html")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "--note-html" in err[0] and "does not exist" in err[0]


def test_demo_and_serve_need_the_local_extra(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("transcribe_medical.local.emulator.local_extra_missing", lambda: "pocketsphinx")
    for command in ("demo", "serve"):
        assert main([command]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1
        assert 'pip install "transcribe-medical[local]"' in err[0]


def test_serve_reports_a_busy_port_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["serve", "--port", str(port), "--batch-port", "0"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--port" in err[0]


def test_serve_reports_a_busy_batch_port_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        # werkzeug would print its own message and sys.exit(1) if it bound this port itself.
        assert main(["serve", "--port", "0", "--batch-port", str(port)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--batch-port" in err[0] and "in use" in err[0]


def test_serve_prints_export_lines_and_stops_on_ctrl_c() -> None:
    import os
    import signal
    import subprocess
    import sys

    with subprocess.Popen(
        [sys.executable, "-c", "from transcribe_medical.cli import run; run()", "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ},
    ) as process:
        try:
            assert process.stdout is not None
            exports = dict(process.stdout.readline().strip().removeprefix("export ").split("=", 1) for _ in range(5))
            assert set(exports) == {
                "AWS_ENDPOINT_URL",
                "AWS_ENDPOINT_URL_TRANSCRIBE_STREAMING",
                "AWS_ACCESS_KEY_ID",
                "AWS_SECRET_ACCESS_KEY",
                "AWS_REGION",
            }
            assert exports["AWS_ENDPOINT_URL"].startswith("http://127.0.0.1:")
            assert exports["AWS_ENDPOINT_URL_TRANSCRIBE_STREAMING"].startswith("ws://127.0.0.1:")
            process.send_signal(signal.SIGINT)
            assert process.wait(timeout=20) == 0
        finally:
            if process.poll() is None:
                process.kill()
