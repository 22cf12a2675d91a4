"""The CLI's exit codes and one-line messages (DESIGN.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from transcribe_medical import _exceptions as errors
from transcribe_medical.cli import exit_code_for, main


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (errors.ValidationError("x"), 2),
        (errors.AudioFormatError("x"), 2),
        (errors.UnsupportedSpecialtyError("x", specialty="A", mode="B", supported_modes=("C",)), 2),
        (errors.CredentialsError("x"), 4),
        (errors.BadRequestError("x", code="BadRequestException"), 3),
        (errors.LimitExceededError("x", code="LimitExceededException"), 3),
        (errors.ConnectionError("x"), 5),
        (errors.TimeoutError("x"), 5),
        (errors.ProtocolError("x"), 5),
    ],
)
def test_exit_code_for_each_error_class(error: Exception, code: int) -> None:
    assert exit_code_for(error) == code


def test_unknown_command_is_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["no-such-command"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--help" in err and "Traceback" not in err


def test_bad_option_value_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["specialties", "--format", "xml"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "xml" in err


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    from transcribe_medical import __version__

    assert main(["--version"]) == 0
    assert __version__ in capsys.readouterr().out


def test_debug_is_accepted_after_the_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["specialties", "--format", "json", "--debug"]) == 0
    assert "CARDIOLOGY" in capsys.readouterr().out


def test_specialties_json_comes_from_the_table(capsys: pytest.CaptureFixture[str]) -> None:
    import json

    assert main(["specialties", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    batch = [row["specialty"] for row in rows if row["batch"] == "yes"]
    assert batch == ["PRIMARYCARE"]
    assert len(rows) == 6


@pytest.mark.parametrize(
    "argv",
    [
        ["--debug", "--log-file", "{log}", "specialties", "--format", "json"],
        ["specialties", "--format", "json", "--debug", "--log-file", "{log}"],
        ["specialties", "--log-file={log}", "--format", "json", "--debug"],
    ],
)
def test_log_file_is_accepted_before_or_after_the_command(
    argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import logging
    import stat

    from transcribe_medical._logging import get_logger

    log = tmp_path / "cli.log"
    assert main([part.replace("{log}", str(log)) for part in argv]) == 0
    assert "CARDIOLOGY" in capsys.readouterr().out
    assert log.exists() and stat.S_IMODE(log.stat().st_mode) == 0o600
    # The CLI's handlers are gone after main() returns; the file is closed.
    assert not any(type(h).__name__ == "CLIHandler" for h in logging.getLogger().handlers)
    get_logger("test").warning("after the command")
    assert "after the command" not in log.read_text(encoding="utf-8")


def test_log_file_receives_the_same_redacted_records_as_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from transcribe_medical._logging import get_logger
    from transcribe_medical.cli.commands import specialties as specialties_command

    signature = "ab" * 32
    real = specialties_command.print_json

    def print_json_and_log(rows: Any) -> None:
        get_logger("test").debug("connecting to %s", f"wss://h:8443/p?X-Amz-Signature={signature}")
        real(rows)

    monkeypatch.setattr(specialties_command, "print_json", print_json_and_log)
    log = tmp_path / "cli.log"
    assert main(["--debug", "--log-file", str(log), "specialties", "--format", "json"]) == 0
    err = capsys.readouterr().err
    text = log.read_text(encoding="utf-8")
    for output in (err, text):
        assert "DEBUG transcribe_medical.test: connecting to wss://h:8443/p?***" in output
        assert signature not in output


def test_an_existing_log_file_is_appended_and_narrowed_to_0600(tmp_path: Path) -> None:
    import os
    import stat

    log = tmp_path / "cli.log"
    log.write_text("earlier line\n", encoding="utf-8")
    os.chmod(log, 0o644)
    assert main(["specialties", "--debug", "--log-file", str(log)]) == 0
    assert log.read_text(encoding="utf-8").startswith("earlier line\n")
    assert stat.S_IMODE(log.stat().st_mode) == 0o600


@pytest.mark.parametrize(
    "argv", [["specialties", "--log-file"], ["--log-file", "--debug", "specialties"], ["specialties", "--log-file="]]
)
def test_log_file_without_a_path_is_a_usage_error(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--log-file" in err


def test_an_unwritable_log_file_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["specialties", "--log-file", str(tmp_path / "missing-dir" / "cli.log")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--log-file" in err and "Traceback" not in err


def test_debug_traceback_goes_to_stderr_and_the_log_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from transcribe_medical.cli.commands import specialties as specialties_command

    def broken(rows: Any) -> None:
        raise errors.ConnectionError("could not connect to wss://h:8443/p?X-Amz-Signature=" + "cd" * 32)

    monkeypatch.setattr(specialties_command, "print_json", broken)
    log = tmp_path / "cli.log"
    assert main(["specialties", "--format", "json", "--debug", "--log-file", str(log)]) == 5
    err = capsys.readouterr().err
    text = log.read_text(encoding="utf-8")
    for output in (err, text):
        assert "Traceback (most recent call last)" in output
        assert "cd" * 32 not in output


def test_websockets_records_reach_the_user_only_with_debug() -> None:
    import logging

    from transcribe_medical.cli.main import configure_logging, remove_handlers

    name = "transcribe_medical.streaming.websocket"
    handlers = configure_logging(debug=False)
    try:
        # An aborted connection's traceback from websockets' reader thread must not be shown.
        assert not logging.getLogger(name).isEnabledFor(logging.ERROR)
    finally:
        remove_handlers(handlers)
    handlers = configure_logging(debug=True)
    try:
        assert logging.getLogger(name).isEnabledFor(logging.INFO)
        assert not logging.getLogger(name).isEnabledFor(logging.DEBUG)  # DEBUG dumps frames
    finally:
        remove_handlers(handlers)
        logging.getLogger(name).setLevel(logging.INFO)
