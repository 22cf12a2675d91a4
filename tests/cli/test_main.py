"""The CLI's exit codes and one-line messages (DESIGN.md)."""

from __future__ import annotations

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
