"""The typer application and its sub-command groups.

Command modules register themselves on these objects (:mod:`transcribe_medical.cli.commands`
loads only the one a command line names, and :mod:`transcribe_medical.cli.build` makes the click
command); they import heavy modules (boto3, websockets, the emulator) inside the command functions
so that ``--help`` stays fast.

The connection options (``--region``, ``--profile``, ``--endpoint-url``) are accepted before the
command name too, as the AWS CLI accepts them: the root callback hands them down as click's
``default_map`` to every command that declares them, so a value given after the command name
still wins.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, MutableMapping
from pathlib import Path
from typing import Annotated, Any

import typer

from transcribe_medical import __version__
from transcribe_medical.cli.options import GLOBAL_VALUE_OPTIONS, EndpointUrl, Profile, Region

app = typer.Typer(
    name="transcribe-medical",
    help="Amazon Transcribe Medical from the command line: streaming, batch jobs, vocabularies, "
    "transcript exports and a local emulator.\n\n"
    "The options below (--region, --profile, --endpoint-url, --debug, --log-file) may also follow the "
    "command name, as in the AWS CLI.",
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


class CommandDefaults(MutableMapping[str, Any]):
    """click's ``default_map`` for a group: per sub-command, the global options it declares.

    click looks a sub-command's defaults up by its name in its parent's ``default_map``; this
    mapping answers for every command of ``group`` (a group gets another :class:`CommandDefaults`),
    giving each the values of the global options among its own options. A command that does not
    call AWS (``convert``, ``specialties``) declares none and so gets none.

    Args:
        group: The click group whose sub-commands are described.
        context: The group's context (click's ``get_command`` takes one).
        values: The global options given before the command name, by flag (``"--region"``).
    """

    def __init__(self, group: Any, context: typer.Context, values: Mapping[str, str]) -> None:
        self._group = group
        self._context = context
        self._values = dict(values)
        self._set: dict[str, Any] = {}  # click's context may store defaults of its own

    def __getitem__(self, name: str) -> Any:
        if name in self._set:
            return self._set[name]
        command = self._group.get_command(self._context, name)
        if command is None:
            raise KeyError(name)
        if hasattr(command, "list_commands"):  # a group such as ``jobs``: its commands in turn
            return CommandDefaults(command, self._context, self._values)
        return {
            param.name: self._values[flag]
            for param in command.params
            for flag in getattr(param, "opts", ())
            if flag in self._values
        }

    def __setitem__(self, name: str, value: Any) -> None:
        self._set[name] = value

    def __delitem__(self, name: str) -> None:
        del self._set[name]

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys([*self._group.list_commands(self._context), *self._set]))

    def __len__(self) -> int:
        return sum(1 for _ in self)


@app.callback()
def _root(
    context: typer.Context,
    region: Region = None,
    profile: Profile = None,
    endpoint_url: EndpointUrl = None,
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
    ``--help``. ``--region``, ``--profile`` and ``--endpoint-url`` given here reach the command
    as its defaults (:class:`CommandDefaults`).
    """
    given = dict(zip(GLOBAL_VALUE_OPTIONS, (region, profile, endpoint_url), strict=True))
    values = {flag: value for flag, value in given.items() if value is not None}
    if values:
        context.default_map = CommandDefaults(context.command, context, values)
