"""``transcribe-medical demo`` and ``serve``: the embedded emulator from the command line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from transcribe_medical.cli import main


@pytest.mark.slow
def test_demo_shows_two_speakers_phi_the_review_page_and_what_to_try_next(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    note, page = tmp_path / "note.html", tmp_path / "review.html"
    assert main(["demo", "--note-html", str(note), "--review-html", str(page)]) == 0
    out, err = capsys.readouterr()
    lines = out.splitlines()
    # Streaming: the finals of the two voices, labelled, as they arrived (stdout, one per utterance).
    stream = lines[lines.index("== 1. Streaming: two people on one microphone, results as they arrive") + 1 :]
    assert stream[0] == "spk_0: Good morning mr jones."
    assert stream[1].startswith("spk_1: I have had chest pain")
    assert "speakers: 2 (spk_0, spk_1)" in lines
    assert 'PHI identified: 4 - "mr jones", "fifty two year old", "male", "march third"' in lines
    # Two clocks, each named: the recording's length and the time it took.
    assert re.search(r"^audio 17\.5 s, took [0-9.]+ s$", out, re.MULTILINE), out
    rate = float(re.findall(r"word error rate: ([0-9.]+)%", out)[0]) / 100
    assert rate <= 0.25, out
    assert re.search(r"^flagged for review \(confidence < 0\.85\): [0-9]+ of [0-9]+ words$", out, re.MULTILINE)
    # Batch: the same words and speakers as the stream.
    assert "the same words and speakers as the stream" in lines
    # The review page, written privately, and its path.
    assert str(page) in lines
    assert page.stat().st_mode & 0o777 == 0o600
    html = page.read_text()
    assert "jones<sub>" in html and 'class="phi" title="PHI entity"' in html  # words with confidences, PHI marked
    assert "reviewed and verified by appropriately trained human reviewers" in out
    assert "starting the local emulator" in err
    # It ends with the HealthScribe note of the bundled visit, and its HTML page.
    assert "== HealthScribe clinical note, HISTORY_AND_PHYSICAL" in out
    assert "evidence links that name no segment: 0" in out
    assert f"HTML note beside its transcript (hover a sentence to see its evidence): {note}" in out
    assert note.stat().st_mode & 0o777 == 0o600
    assert lines[-1].startswith("next: 'transcribe-medical serve'") and "Quick start" in lines[-1]


def test_the_demo_flags_words_at_review_s_default_threshold() -> None:
    import inspect

    from transcribe_medical._notice import DEFAULT_REVIEW_THRESHOLD
    from transcribe_medical.cli.commands.demo import demo
    from transcribe_medical.cli.commands.review import review
    from transcribe_medical.exports.html import DEFAULT_MIN_CONFIDENCE

    defaults = {inspect.signature(command).parameters["min_confidence"].default for command in (demo, review)}
    assert defaults == {DEFAULT_REVIEW_THRESHOLD} == {DEFAULT_MIN_CONFIDENCE}


def test_demo_refuses_a_review_page_path_in_a_missing_folder(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["demo", "--review-html", str(tmp_path / "absent" / "review.html")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "--review-html" in err[0] and "does not exist" in err[0]


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
