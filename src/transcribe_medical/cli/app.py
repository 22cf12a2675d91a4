"""The typer application and its sub-command groups.

Command modules register themselves on these objects; they import heavy modules (boto3,
websockets, the emulator) inside the command functions so that ``--help`` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from transcribe_medical import __version__

app = typer.Typer(
    name="transcribe-medical",
    help="Amazon Transcribe Medical from the command line: streaming, batch jobs, vocabularies, "
    "transcript exports and a local emulator.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)
jobs_app = typer.Typer(help="Batch medical transcription jobs.", no_args_is_help=True)
vocab_app = typer.Typer(help="Medical custom vocabularies.", no_args_is_help=True)
app.add_typer(jobs_app, name="jobs")
app.add_typer(vocab_app, name="vocab")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"transcribe-medical {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    debug: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks and debug logs (never secrets or PHI).")
    ] = False,
    log_file: Annotated[
        Path | None,
        typer.Option(
            "--log-file",
            metavar="PATH",
            help="Also append the log records to PATH (created with mode 0600; redacted like stderr).",
        ),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Amazon Transcribe Medical from the command line.

    ``--debug`` and ``--log-file`` are read by :func:`transcribe_medical.cli.main.main` before typer
    parses the command line (so they work after the command name too); they are declared here for
    ``--help``.
    """
