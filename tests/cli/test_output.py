"""The CLI's output layer: no control character the server chose reaches a terminal, a pipe or a
text file, and JSON keeps the text as received (issue 16, part 10)."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

import pytest

from transcribe_medical import _exceptions as errors
from transcribe_medical.cli import main
from transcribe_medical.cli.main import _one_line, configure_logging, remove_handlers
from transcribe_medical.cli.output import json_without_raw_controls, print_table, printable

ESCAPE = "\x1b[2J\x1b]0;pwned\x07\x9b31m\x7f\r"
PLAIN = Path(__file__).parents[1] / "vectors" / "batch_outputs" / "plain.json"


def _no_controls(text: str, *, lines: bool = True) -> None:
    allowed = {"\n", "\t"} if lines else set()
    bad = [c for c in text if (ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F) and c not in allowed]
    assert not bad, (bad, text[:200])


def test_printable_keeps_the_words_and_lines_and_drops_every_control() -> None:
    text = f"take {ESCAPE}two\ttablets\ndaily\x00\x85"
    assert printable(text) == "take [2J]0;pwned31mtwo\ttablets\ndaily"


def test_printable_on_one_line_turns_lines_and_tabs_into_spaces() -> None:
    assert printable(f"a\nb\tc{ESCAPE}", one_line=True) == "a b c[2J]0;pwned31m"


@pytest.mark.parametrize("ensure_ascii", [False, True])
def test_json_keeps_every_character_with_no_raw_control(ensure_ascii: bool) -> None:
    value = {"text": f"hello{ESCAPE}world \u00e9\u2028"}
    raw = json.dumps(value, ensure_ascii=ensure_ascii)
    escaped = json_without_raw_controls(raw)
    _no_controls(escaped)
    assert json.loads(escaped) == value


def test_the_error_line_has_no_control_and_keeps_the_request_id() -> None:
    error = errors.CredentialsError.refused(
        "UnrecognizedClientException", f"bad{ESCAPE}token", request_id="req-1", status_code=403
    )
    line = _one_line(error)
    _no_controls(line, lines=False)
    assert line.startswith("UnrecognizedClientException: bad[2J]0;pwned31mtoken — ")
    assert line.endswith("(request id req-1)")


def test_notes_on_an_error_join_its_one_line() -> None:
    error = errors.ConnectionError("the connection was lost")
    error.add_note("the 2 final results received before it were printed on stdout")
    assert _one_line(error) == (
        "the connection was lost; the 2 final results received before it were printed on stdout"
    )


def test_log_records_reach_stderr_without_controls(capsys: pytest.CaptureFixture[str]) -> None:
    handlers = configure_logging(debug=False)
    try:
        logging.getLogger("transcribe_medical.test").warning("the service said %s", f"x{ESCAPE}y")
    finally:
        remove_handlers(handlers)
    err = capsys.readouterr().err
    assert "the service said x[2J]0;pwned31my" in err
    _no_controls(err)


def test_table_cells_on_a_pipe_stay_one_line_without_controls(capsys: pytest.CaptureFixture[str]) -> None:
    print_table([{"name": "job-1", "reason": f"bad\nmedia{ESCAPE}"}], ["name", "reason"])
    out = capsys.readouterr().out
    assert out == "name\treason\njob-1\tbad media[2J]0;pwned31m\n"


def test_table_cells_on_a_terminal_are_not_rich_markup(monkeypatch: pytest.MonkeyPatch) -> None:
    from rich.console import Console

    from transcribe_medical.cli import output

    terminal = io.StringIO()
    monkeypatch.setattr(output, "stdout", Console(file=terminal, force_terminal=True, width=200, highlight=False))
    monkeypatch.setattr(output.sys.stdout, "isatty", lambda: True)
    print_table([{"reason": "[link=https://evil.example]click[/link] [bold]loud[/bold]"}], ["reason"])
    shown = terminal.getvalue()
    assert "[link=https://evil.example]click[/link]" in shown  # printed as text
    assert "\x1b]8;" not in shown  # no OSC 8 hyperlink made from the service's text


def _hostile_batch_output(tmp_path: Path) -> Path:
    document = json.loads(PLAIN.read_text())
    document["results"]["transcripts"][0]["transcript"] = (
        f"Good{ESCAPE} " + document["results"]["transcripts"][0]["transcript"].split(" ", 1)[1]
    )
    first = document["results"]["items"][0]["alternatives"][0]
    first["content"] = f"Good{ESCAPE}"
    first["confidence"] = "0.1"
    path = tmp_path / "hostile.json"
    path.write_text(json.dumps(document))
    return path


@pytest.mark.parametrize("fmt", ["text", "srt", "vtt", "html"])
def test_convert_text_formats_drop_the_controls(tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str) -> None:
    source = _hostile_batch_output(tmp_path)
    assert main(["convert", str(source), "--format", fmt]) == 0
    out = capsys.readouterr().out
    _no_controls(out)
    assert "Good[2J]0;pwned31m" in out
    target = tmp_path / f"out.{fmt}"
    assert main(["convert", str(source), "--format", fmt, "-o", str(target)]) == 0
    _no_controls(target.read_text())


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_convert_json_formats_keep_the_text_as_received(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    source = _hostile_batch_output(tmp_path)
    assert main(["convert", str(source), "--format", fmt]) == 0
    out = capsys.readouterr().out
    _no_controls(out)
    first = json.loads(out) if fmt == "json" else json.loads(out.splitlines()[0])
    segment = first["segments"][0] if fmt == "json" else first
    assert segment["text"].startswith(f"Good{ESCAPE}")


def test_review_lists_flagged_words_without_controls(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = _hostile_batch_output(tmp_path)
    assert main(["review", str(source), "--min-confidence", "0.5"]) == 0
    out = capsys.readouterr().out
    _no_controls(out)
    assert "Good[2J]0;pwned31m\t0.1" in out
    report = tmp_path / "report.html"
    assert main(["review", str(source), "--min-confidence", "0.5", "-o", str(report)]) == 0
    _no_controls(report.read_text())


def test_the_wait_spinner_shows_service_text_plain() -> None:
    from transcribe_medical.cli.commands._batch import _plain

    shown = _plain(f"job [link=https://evil.example]j1[/link]: {ESCAPE}IN_PROGRESS")
    assert shown.plain == "job [link=https://evil.example]j1[/link]: [2J]0;pwned31mIN_PROGRESS"
    assert not shown.spans  # no style or hyperlink read out of the text


def test_an_output_path_that_looks_like_markup_is_written_and_named_on_a_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    folder = tmp_path / "notes[" / "b]"  # the path then holds "[/b]", a closing tag to rich
    folder.mkdir(parents=True)
    target = folder / "[bold]visit.txt"
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    assert main(["convert", str(PLAIN), "--format", "text", "-o", str(target)]) == 0
    assert target.exists()
    assert f"wrote {target}" in capsys.readouterr().err


@pytest.mark.parametrize("fmt", ["text", "srt", "json", "jsonl"])
def test_a_lone_surrogate_from_a_transcript_file_is_written_not_a_crash(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    # JSON can carry "\\ud800" (Python's json reads it); UTF-8 cannot encode it.
    document = json.loads(PLAIN.read_text())
    document["results"]["items"][0]["alternatives"][0]["content"] = "Good\ud800"
    source = tmp_path / "surrogate.json"
    source.write_text(json.dumps(document))
    target = tmp_path / f"out.{fmt}"
    assert main(["convert", str(source), "--format", fmt]) == 0
    assert main(["convert", str(source), "--format", fmt, "-o", str(target)]) == 0
    out = capsys.readouterr().out
    for text in (out, target.read_text()):
        if fmt in ("json", "jsonl"):
            first = json.loads(text) if fmt == "json" else json.loads(text.splitlines()[0])
            segment = first["segments"][0] if fmt == "json" else first
            assert segment["items"][0]["content"] == "Good\ud800"  # as received, escaped
        else:
            assert "Good\ufffd" in text
