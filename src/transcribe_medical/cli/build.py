"""The click command the CLI runs: typer's, made readable and careful.

:func:`build_command` takes what typer builds from :data:`~transcribe_medical.cli.app.app` and
adds, in one place for every command: readable metavars whatever typer's version would print,
the refusal of ``-o json`` (a format name where a file belongs), and the record of which command
runs (:data:`invoked_command`), so that errors can be worded with that command's own options
(:mod:`transcribe_medical.cli.wording`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from typing import Any

import typer

from transcribe_medical.cli.app import app

__all__ = ["FORMAT_NAMES", "build_command", "check_output_path", "command_line", "invoked_command"]

#: Metavars that say more than the option's name (DESIGN.md writes ``-o FILE``, ``--sample-rate HZ``).
_METAVARS = {"output": "FILE", "endpoint_url": "URL", "streaming_endpoint_url": "URL", "sample_rate": "HZ"}

#: Names of transcript and table formats: ``-o json`` almost surely meant ``--format json``.
FORMAT_NAMES = frozenset(
    {"text", "txt", "json", "jsonl", "srt", "vtt", "html", "table", "fhir", "markdown", "md", "csv", "tsv"}
)


def build_command() -> Any:
    """The click command of :data:`app` (with the commands loaded so far), ready to run.

    On top of what typer builds: every parameter without a metavar gets a readable one
    (``AUDIO``, ``--region REGION``, ``-o FILE``) whatever typer's version would print
    (``{audio}``, ``<str>``, ``<list[str]>``), and every ``-o/--output`` refuses a bare format
    name (:func:`check_output_path`).
    """
    command = typer.main.get_command(app)
    _prepare(command)
    return command


def print_help(command: Any, args: Sequence[str], prog_name: str) -> bool:
    """Print the help ``args`` ask for, as the help option would, without parsing; return whether it did.

    ``args`` must be command names and then ``-h``/``--help`` (``stream --help``, ``scribe
    start -h``), nothing else; any other command line is left to click (returns ``False``).
    Parsing would run typer's conversion of every parameter it meets, which builds a pydantic
    adapter per parameter: most of what ``stream --help`` would cost. The page is the same one:
    the command's context, made as click makes it, renders it, and it is echoed as the help
    option's callback echoes it.
    """
    if not args or args[-1] not in ("-h", "--help"):
        return False
    context = command.context_class(command, info_name=prog_name, **command.context_settings)
    for name in args[:-1]:
        if name.startswith("-") or not hasattr(command, "get_command"):
            return False
        sub = command.get_command(context, name)
        if sub is None:
            return False
        command = sub
        context = command.context_class(command, info_name=name, parent=context, **command.context_settings)
    if args[-1] not in command.get_help_option_names(context) or not command.add_help_option:
        return False
    typer.echo(context.get_help(), color=context.color)
    return True


def _prepare(command: Any) -> None:
    for param in command.params:
        if param.metavar is None and not getattr(param, "is_flag", False):
            param.metavar = _metavar(param)
    if command.callback is not None and not hasattr(command, "list_commands"):
        command.callback = _invoking(command, command.callback)
    for sub in getattr(command, "commands", {}).values():
        _prepare(sub)


#: The command being run (its click object), for messages in its own words (:mod:`.wording`).
invoked_command: ContextVar[Any] = ContextVar("invoked_command", default=None)
#: The command line as typed (set by :func:`~transcribe_medical.cli.main.main`): ``-o ./json``
#: reaches the command as the path ``json``, so the spelling is looked up here.
command_line: ContextVar[Sequence[str] | None] = ContextVar("command_line", default=None)


def _invoking(command: Any, callback: Callable[..., Any]) -> Callable[..., Any]:
    outputs = [param.name for param in command.params if "--output" in getattr(param, "opts", ())]
    has_format = any("--format" in getattr(param, "opts", ()) for param in command.params)

    @functools.wraps(callback)
    def invoke(*args: Any, **kwargs: Any) -> Any:
        invoked_command.set(command)
        for name in outputs:
            check_output_path(kwargs.get(name), has_format_option=has_format, typed=command_line.get())
        return callback(*args, **kwargs)

    return invoke


def _metavar(param: Any) -> str:
    name = str(param.name)
    if param.param_type_name == "argument":
        return name.upper()
    if name in _METAVARS:
        return _METAVARS[name]
    long_flags = [str(flag) for flag in param.opts if str(flag).startswith("--")]
    return (long_flags[0] if long_flags else str(param.opts[0])).lstrip("-").replace("-", "_").upper()


def check_output_path(value: object, *, has_format_option: bool, typed: Sequence[str] | None = None) -> None:
    """Refuse ``-o json`` and the like: a format name given where a file name belongs.

    A value typed with a directory or an extension (``./json``, ``out.json``) is a file name.

    Args:
        value: The ``-o`` value as parsed (a path loses its ``./``).
        has_format_option: The command has ``--format`` (the hint names it).
        typed: The command line as typed, to tell ``-o json`` from ``-o ./json``; None: unknown,
            so a bare format name is refused.

    Raises:
        BadParameter: ``value`` is a bare format name; the message says how to say either thing.
    """
    if value is None:
        return
    text = str(value)
    if "/" in text or "\\" in text or "." in text or text.lower() not in FORMAT_NAMES:
        return
    if typed is not None and not _typed_bare(text, typed):
        return
    hint = f"use --format {text} to choose the format, or " if has_format_option else "use "
    raise typer.BadParameter(
        f"{text!r} is a format name, not a file: {hint}-o ./{text} to write a file named {text!r}",
        param_hint="'-o' / '--output'",
    )


def _typed_bare(text: str, args: Sequence[str]) -> bool:
    """Whether ``args`` give ``-o``/``--output`` the bare word ``text``."""
    for index, arg in enumerate(args):
        if arg == "--":
            return False
        if arg in ("-o", "--output") and index + 1 < len(args) and args[index + 1] == text:
            return True
        if arg in (f"--output={text}", f"-o{text}"):
            return True
    return False
