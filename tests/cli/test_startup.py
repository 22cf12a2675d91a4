"""Start-up cost as behaviour: which modules the realistic import and ``stream --help`` load.

The ratios to ``import boto3`` are measured by ``benchmarks/bench_startup.py``; what is asserted
here is what makes them small: streaming needs botocore (credentials, signing), never boto3, and
a command's ``--help`` loads that command's module only. Each case runs in a fresh interpreter.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import textwrap

import pytest

#: Modules the realistic import must leave alone (boto3 and the transports load on first use).
HEAVY = ("boto3", "botocore", "websockets", "h2", "tenacity", "asyncio", "rich", "typer", "urllib.request")


def loaded_after(code: str) -> set[str]:
    """The module names in ``sys.modules`` after running ``code`` in a new interpreter."""
    script = textwrap.dedent(code) + "\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))\n"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return set(json.loads(done.stdout.splitlines()[-1]))


def test_the_realistic_import_loads_no_aws_client_nor_transport() -> None:
    loaded = loaded_after("from transcribe_medical import TranscribeMedical, StreamConfig")
    assert {"transcribe_medical._client", "transcribe_medical.models.stream"} <= loaded
    assert sorted(loaded & set(HEAVY)) == []


def test_streaming_credentials_and_region_need_botocore_only() -> None:
    loaded = loaded_after(
        """
        import os
        os.environ.update(AWS_ACCESS_KEY_ID="AKIDEXAMPLE", AWS_SECRET_ACCESS_KEY="secret", AWS_REGION="us-east-1")
        from transcribe_medical import TranscribeMedical, StreamConfig
        client = TranscribeMedical()
        assert client.credentials().access_key == "AKIDEXAMPLE"
        assert client.region_name == "us-east-1"
        StreamConfig(sample_rate=16000, media_encoding="pcm").to_query()
        """
    )
    assert "botocore" in loaded
    assert "boto3" not in loaded


def test_a_boto3_client_brings_boto3_in_and_shares_the_credentials() -> None:
    loaded_after(
        """
        import os
        os.environ.update(AWS_ACCESS_KEY_ID="AKIDEXAMPLE", AWS_SECRET_ACCESS_KEY="secret", AWS_REGION="eu-west-1")
        from transcribe_medical import TranscribeMedical
        client = TranscribeMedical()
        client.credentials()
        s3 = client.boto3_client("s3")
        assert s3.meta.region_name == "eu-west-1"
        assert client.session.get_credentials().access_key == "AKIDEXAMPLE"
        """
    )


def help_loads(*argv: str) -> tuple[set[str], set[str]]:
    """The command modules and all modules loaded by ``transcribe-medical ARGV`` (a help page)."""
    loaded = loaded_after(
        f"""
        import contextlib, io
        from transcribe_medical.cli import main
        with contextlib.redirect_stdout(io.StringIO()) as out:
            assert main({list(argv)!r}) == 0
        assert "Usage:" in out.getvalue()
        """
    )
    commands = {name.rpartition(".")[2] for name in loaded if name.startswith("transcribe_medical.cli.commands.")}
    return commands, loaded


def test_stream_help_loads_the_stream_command_and_no_client_library() -> None:
    commands, loaded = help_loads("stream", "--help")
    assert commands == {"stream"}
    # rich only if typer itself brings it (typer < 0.2x formats its help with rich when installed).
    typer_brings = loaded_after("import typer, typer.main")
    assert not ({"boto3", "botocore", "websockets", "h2", "rich", "tenacity"} - typer_brings) & loaded
    assert not any(name.startswith(("transcribe_medical.local", "transcribe_medical.streaming")) for name in loaded)


@pytest.mark.parametrize("argv", [["jobs", "list", "--help"], ["convert", "--help"], ["specialties", "--help"]])
def test_help_of_a_command_leaves_the_other_commands_unloaded(argv: list[str]) -> None:
    commands, loaded = help_loads(*argv)
    assert argv[0] in commands
    assert not {"stream", "serve", "demo", "scribe", "scribe_stream", "vocab_filter", "samples"} & commands
    assert not {"boto3", "websockets", "h2"} & loaded


def test_the_root_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    from transcribe_medical.cli import main
    from transcribe_medical.cli.commands import MODULES_BY_COMMAND

    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for name in MODULES_BY_COMMAND:
        assert f"  {name} " in out, name


def test_a_global_option_before_the_command_still_loads_that_command_only() -> None:
    loaded = loaded_after(
        """
        import contextlib, io
        from transcribe_medical.cli import main
        with contextlib.redirect_stdout(io.StringIO()):
            assert main(["--region", "us-east-1", "--endpoint-url", "http://127.0.0.1:9", "stream", "--help"]) == 0
        """
    )
    commands = {name.rpartition(".")[2] for name in loaded if name.startswith("transcribe_medical.cli.commands.")}
    assert commands == {"stream"}


def test_a_help_page_is_printed_without_parsing_so_no_parameter_is_converted() -> None:
    # Parsing runs typer's conversion of each parameter met (recent typer builds a pydantic
    # adapter per parameter for it): most of what a help page would cost.
    _, loaded = help_loads("stream", "--help")
    assert "pydantic" not in loaded
    _, loaded = help_loads("scribe", "stream", "-h")
    assert "pydantic" not in loaded


def _command_paths(command: object, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    paths = [path]
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        paths += _command_paths(sub, (*path, name))
    return paths


@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_every_help_page_printed_without_parsing_is_the_one_click_prints(
    flag: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from transcribe_medical.cli.build import build_command, print_help
    from transcribe_medical.cli.commands import load_all

    load_all()
    command = build_command()
    paths = _command_paths(command)
    assert len(paths) > 20  # every group and command, the root included
    for path in paths:
        assert print_help(command, [*path, flag], "transcribe-medical"), path
        unparsed = capsys.readouterr().out
        with contextlib.suppress(SystemExit, Exception):  # the help option ends the run with Exit(0)
            build_command().main(args=[*path, flag], prog_name="transcribe-medical", standalone_mode=False)
        assert unparsed == capsys.readouterr().out, path
        assert "Usage: transcribe-medical" in unparsed


@pytest.mark.parametrize(
    "argv",
    [
        ["stream", "x.wav", "--help"],
        ["stream", "--help", "x"],
        ["--debug", "--help"],
        ["nope", "--help"],
        ["stream"],
        [],
    ],
)
def test_any_other_command_line_is_left_to_click(argv: list[str]) -> None:
    from transcribe_medical.cli.build import build_command, print_help
    from transcribe_medical.cli.commands import load_all

    load_all()
    assert not print_help(build_command(), argv, "transcribe-medical")
