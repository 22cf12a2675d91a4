"""The live display of ``stream --partials`` and Ctrl-C, through a pseudo-terminal (issue 20, item 3).

The CLI runs in a subprocess whose stderr is a pty (so it is a terminal) and whose stdout is a
pipe, against the emulator on 127.0.0.1 recognizing the bundled two-voice visit mixed to mono in
real time. The test waits for what it needs by reading the output (the first final line, a
partial), never by sleeping, then sends SIGINT as Ctrl-C would.
"""

from __future__ import annotations

import io
import os
import pty
import select
import signal
import stat
import subprocess
import sys
import wave
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console

from transcribe_medical.cli.live_display import LiveDisplay
from transcribe_medical.models.events import TranscriptEvent


def _event(*results: dict[str, object]) -> TranscriptEvent:
    import json

    return TranscriptEvent.from_payload(json.dumps({"Transcript": {"Results": list(results)}}).encode())


def _result(text: str, *, partial: bool, speaker: str | None = None, confidence: float = 0.99) -> dict[str, object]:
    items = []
    at = 0.0
    for word in text.split():
        item: dict[str, object] = {"Content": word, "Type": "pronunciation", "StartTime": at, "EndTime": at + 0.3}
        if not partial:
            item["Confidence"] = confidence if word != "Alvarez" else 0.4
        if speaker is not None:
            item["Speaker"] = speaker
        items.append(item)
        at += 0.3
    return {
        "ResultId": f"r-{speaker}-{text[:3]}",
        "StartTime": 0.0,
        "EndTime": at,
        "IsPartial": partial,
        "Alternatives": [{"Transcript": text, "Items": items}],
    }


def test_finals_go_to_stdout_as_they_arrive_and_the_partial_is_one_live_line() -> None:
    terminal = io.StringIO()
    console = Console(file=terminal, force_terminal=True, width=30, color_system=None)
    out = io.StringIO()
    with LiveDisplay(partials=True, finals_to_stdout=True, min_confidence=0.5, stdout=out, console=console) as shown:
        shown.show(_event(_result("Good morning", partial=True, speaker="0")))
        assert out.getvalue() == ""  # a partial is never printed as text
        assert "… Good morning" in terminal.getvalue()
        shown.show(_event(_result("Good morning Mr Alvarez", partial=False, speaker="0")))
        assert out.getvalue() == "spk_0: Good morning Mr [[Alvarez]]\n"  # at once, marked for review
        shown.show(_event(_result("Morning doctor I have had a cough for five days", partial=True, speaker="1")))
        shown.show(_event(_result("Morning doctor", partial=False, speaker="1")))
        assert out.getvalue().splitlines() == ["spk_0: Good morning Mr [[Alvarez]]", "spk_1: Morning doctor"]
        assert shown.finals_printed == 2
    drawn = terminal.getvalue()
    assert "… Morning doctor I have had a…" in drawn  # cut to the terminal's 30 columns
    assert "\n" not in drawn  # redrawn in place, never scrolled
    assert drawn.endswith("\r\x1b[2K")  # erased when the display closes


def test_a_partial_cannot_drive_the_terminal() -> None:
    terminal = io.StringIO()
    console = Console(file=terminal, force_terminal=True, width=80, color_system=None)
    with LiveDisplay(partials=True, finals_to_stdout=False, console=console) as shown:
        shown.show(_event(_result("clear \x1b[2J\x9b31m screen", partial=True)))
    assert "\x1b[2J" not in terminal.getvalue() and "\x9b" not in terminal.getvalue()
    assert "clear [2J31m screen" in terminal.getvalue()


def test_no_live_line_when_stderr_is_not_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False)
    assert not LiveDisplay(partials=True, finals_to_stdout=True).live_line


# --- through a pseudo-terminal, against the emulator ------------------------------------------------


@pytest.fixture(scope="module")
def emulator_env() -> Iterator[dict[str, str]]:
    pytest.importorskip("pocketsphinx")
    from transcribe_medical.local import LocalTranscribeMedical

    with LocalTranscribeMedical(batch=False) as emulator:
        yield emulator.environment()


@pytest.fixture(scope="module")
def visit_mono(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from transcribe_medical.local import sample_visit
    from transcribe_medical.local.recognizers.pcm import mix_to_mono

    with wave.open(sample_visit()[0], "rb") as visit:
        rate, channels, frames = visit.getframerate(), visit.getnchannels(), visit.readframes(visit.getnframes())
    path = tmp_path_factory.mktemp("audio") / "visit-mono.wav"
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(mix_to_mono(frames, channels))
    return path


class _Terminal:
    """The CLI in a subprocess: stderr on a pty (a terminal), stdout on a pipe; both read as they come."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        master, slave = pty.openpty()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "transcribe_medical.cli", *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=slave,
            env={**os.environ, **env},
        )
        os.close(slave)
        self.master = master
        self.out = b""
        self.err = b""

    def _read_some(self, *, stdout: bool = True) -> bool:
        """Read what is there (waiting for something); ``False`` once the streams read have ended."""
        assert self.proc.stdout is not None
        streams = [self.proc.stdout, self.master] if stdout else [self.master]
        ready, _, _ = select.select(streams, [], [])
        got = False
        if self.proc.stdout in ready:
            chunk = os.read(self.proc.stdout.fileno(), 65536)
            self.out += chunk
            got = bool(chunk)
        if self.master in ready:
            try:
                chunk = os.read(self.master, 65536)
            except OSError:  # EIO: every copy of the terminal's other end is closed
                chunk = b""
            self.err += chunk
            got = got or bool(chunk)
        return got

    def wait_for(self, where: str, text: bytes) -> None:
        """Read until ``text`` has appeared on stdout (``"out"``) or the terminal (``"err"``)."""
        while text not in (self.out if where == "out" else self.err):
            if not self._read_some():
                raise AssertionError(f"ended before {text!r}: out={self.out!r} err={self.err[-2000:]!r}")

    def finish(self) -> int:
        """Read both to their ends; the exit code."""
        assert self.proc.stdout is not None
        while self._read_some():
            pass
        while (chunk := os.read(self.proc.stdout.fileno(), 65536)) or self._read_some(stdout=False):
            self.out += chunk
        self.proc.stdout.close()
        os.close(self.master)
        return self.proc.wait()


@pytest.mark.slow
def test_ctrl_c_after_a_final_prints_it_ends_the_stream_and_exits_130(
    emulator_env: dict[str, str], visit_mono: Path
) -> None:
    args = ["stream", str(visit_mono), "--partials", "--type", "CONVERSATION", "--speaker-labels"]
    terminal = _Terminal(args, emulator_env)
    terminal.wait_for("out", b"\n")  # the first final utterance, printed the moment it arrived
    first = terminal.out.decode()
    terminal.proc.send_signal(signal.SIGINT)
    code = terminal.finish()
    err = terminal.err.decode()
    assert code == 130, err
    assert first.startswith("spk_0: Good morning")
    assert terminal.out.decode().startswith(first)  # printed once: nothing repeated at the end
    assert terminal.out.decode().count("Good morning") == 1
    assert "\x1b[2m… good" in err  # the partial, dim, on the terminal before the final
    assert "Traceback" not in err
    assert err.rstrip().splitlines()[-1].startswith("transcribe-medical: interrupted; the stream was ended; ")
    assert "printed on stdout" in err


@pytest.mark.slow
def test_ctrl_c_writes_what_was_final_to_the_output_file(
    emulator_env: dict[str, str], visit_mono: Path, tmp_path: Path
) -> None:
    output = tmp_path / "visit.txt"
    args = ["stream", str(visit_mono), "--partials", "--type", "CONVERSATION", "-o", str(output)]
    terminal = _Terminal(args, emulator_env)
    terminal.wait_for("err", b"morning")  # a partial on the terminal: the first utterance is under way
    terminal.proc.send_signal(signal.SIGINT)
    code = terminal.finish()
    err = terminal.err.decode()
    assert code == 130, err
    assert terminal.out == b""  # to the file, not stdout
    # The stream was ended cleanly: the utterance in progress became final and was written.
    assert "Good morning" in output.read_text()
    assert stat.S_IMODE(output.stat().st_mode) == 0o600
    assert f"written to {output}" in err
