"""The demo's HealthScribe part on the bundled visit, with a scripted recognizer (fast)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from local.scribe_support import TurnsRecognizer
from transcribe_medical.cli.commands.demo_scribe import default_note_path, run_scribe_demo
from transcribe_medical.local import LocalTranscribeMedical, sample_visit


def test_the_demo_prints_the_note_and_writes_the_html_beside_its_transcript(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, turns = sample_visit()
    recognizer = TurnsRecognizer()
    # The SDK uploads the 2-channel visit with channel definitions: a session per channel.
    recognizer.use([t for r, t in turns if r == "CLINICIAN"], [t for r, t in turns if r == "PATIENT"])
    target = tmp_path / "note.html"
    with LocalTranscribeMedical(recognizer=recognizer) as emu, emu.client() as client:
        assert run_scribe_demo(emu, client, target) == target
    out, err = capsys.readouterr()
    assert "streaming the bundled two-person visit to AWS HealthScribe over HTTP/2 on http://127.0.0.1:" in err
    lines = out.splitlines()
    heading = lines.index(next(line for line in lines if line.startswith("== HealthScribe clinical note")))
    assert "emulated" in lines[heading + 1]
    titles = [line for line in lines[heading + 2 :] if line and not line.startswith(("  -", "transcript:", "HTML"))]
    assert titles[:2] == ["Chief complaint", "History of present illness"]
    assert {"Assessment", "Plan"} <= set(titles)
    assert "  - Sore throat and cough.  [1 segment]" in lines
    assert "speakers CLINICIAN_0, PATIENT_0; evidence links that name no segment: 0" in out
    assert out.rstrip().endswith(str(target))
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    page = target.read_text(encoding="utf-8")
    assert "The patient has asthma." in page
    assert "I have asthma." in page


def test_the_default_note_path_is_in_a_new_private_directory() -> None:
    first, second = default_note_path(), default_note_path()
    try:
        assert first.parent != second.parent
        assert first.name == "clinical-note.html"
        assert stat.S_IMODE(first.parent.stat().st_mode) == 0o700
    finally:
        first.parent.rmdir()
        second.parent.rmdir()
