"""Readable help (metavars) and terminal tables that never cut a time or an ID."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest

from transcribe_medical.cli import main
from transcribe_medical.cli.output import print_table

JOB = {
    "name": "cardiology-follow-up-visit-2026-12-06-0f3a9c2b7d41",
    "status": "FAILED",
    "specialty": "PRIMARYCARE",
    "type": "CONVERSATION",
    "creation_time": "2026-12-06T18:00:00+00:00",
    "completion_time": "2026-12-06T18:04:59+00:00",
    "failure_reason": "The media file could not be decoded: the header declares a sample rate the data does not have",
}
COLUMNS = list(JOB)


def terminal_table(monkeypatch: pytest.MonkeyPatch, width: int, rows: list[dict[str, Any]]) -> list[str]:
    from rich.console import Console

    from transcribe_medical.cli import output

    terminal = io.StringIO()
    monkeypatch.setattr(output, "stdout", Console(file=terminal, force_terminal=True, width=width, highlight=False))
    monkeypatch.setattr(output.sys.stdout, "isatty", lambda: True)
    print_table(rows, COLUMNS, title="Medical transcription jobs")
    return re.sub(r"\x1b\[[0-9;]*m", "", terminal.getvalue()).splitlines()


@pytest.mark.parametrize("width", [80, 140, 200])
def test_times_and_names_are_never_cut(monkeypatch: pytest.MonkeyPatch, width: int) -> None:
    lines = terminal_table(monkeypatch, width, [JOB])
    text = "\n".join(lines)
    for column in ("name", "creation_time", "completion_time", "status", "specialty", "type"):
        assert JOB[column] in text, (column, text)  # whole, on one line
    assert "…" not in text
    # The failure reason wraps inside its column: every one of its words is there.
    assert set(JOB["failure_reason"].split()) <= set(re.findall(r"[\w:.-]+", text))


def test_a_table_that_fits_keeps_the_terminal_width(monkeypatch: pytest.MonkeyPatch) -> None:
    job = {**JOB, "name": "visit-0412-0f3a9c2b7d41"}
    lines = terminal_table(monkeypatch, 140, [job])
    assert max(len(line) for line in lines) <= 140
    text = "\n".join(lines)
    assert job["name"] in text and JOB["creation_time"] in text and JOB["completion_time"] in text
    assert sum(line.startswith("│") for line in lines) > 1  # the failure reason wraps in its column


def test_a_table_too_wide_for_the_terminal_is_drawn_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    lines = terminal_table(monkeypatch, 60, [JOB])
    assert max(len(line) for line in lines) > 60
    assert JOB["completion_time"] in "\n".join(lines)


def all_help_pages() -> list[tuple[str, str]]:
    """Every command's help page, as ``transcribe-medical PATH --help`` prints it."""
    from transcribe_medical.cli import commands
    from transcribe_medical.cli.build import build_command

    commands.load_all()
    pages: list[tuple[str, str]] = []

    def walk(command: Any, path: list[str]) -> None:
        pages.append((" ".join(path), ""))
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, [*path, name])

    walk(build_command(), [])
    return pages


@pytest.mark.parametrize("path", [path for path, _ in all_help_pages()])
def test_help_shows_no_python_type_names(capsys: pytest.CaptureFixture[str], path: str) -> None:
    assert main([*path.split(), "--help"]) == 0
    out = capsys.readouterr().out
    usage = out.splitlines()[0]
    assert not re.search(r"\{[a-z_]+\}", usage), usage  # typer's lower-case {argument}
    # Options: a metavar, never a Python type. (typer >= 0.2x also prints an argument's Python type
    # beside its name in the Arguments list, which no public setting turns off.)
    options = out.split("Options:", 1)[-1]
    assert not re.search(r"<(str|int|float|path|list\[[^>]*\]|[a-z]+ range|[a-z|-]+)>", options), out


def test_stream_help_metavars(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["stream", "--help"]) == 0
    out = capsys.readouterr().out
    usage = out.splitlines()[0]
    assert "AUDIO" in usage
    for shown in ("--region REGION", "--endpoint-url URL", "--output FILE", "--sample-rate HZ", "--format FORMAT"):
        assert shown in out, shown


def test_jobs_transcript_help_metavars(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["jobs", "transcript", "--help"]) == 0
    out = capsys.readouterr().out
    assert "NAME" in out.splitlines()[0]
    assert "--output FILE" in out
