"""Entry point: runs the typer app and turns errors into DESIGN.md's exit codes.

0 success; 2 bad usage or input; 3 the service refused; 4 no usable credentials;
5 connection, timeout or corrupt stream; 130 interrupted. One line on stderr, no traceback
unless ``--debug``.

The global options ``--debug`` and ``--log-file PATH`` are read here, before typer parses the
rest, so that they are accepted before or after the command name. Every handler installed here
carries the :class:`~transcribe_medical._logging.RedactionFilter`, and the ``--debug`` traceback is
a log record like any other: it is redacted, and it reaches the log file too.
"""

from __future__ import annotations

import logging
import os
import stat
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import typer

from transcribe_medical import _exceptions as errors
from transcribe_medical._logging import LOGGER_NAME, RedactionFilter, get_logger
from transcribe_medical.cli.output import printable, say
from transcribe_medical.cli.wording import CliOption, cli_words, option_names

try:  # recent typer vendors its own click
    from typer._click.exceptions import ClickException, NoArgsIsHelpError, UsageError
except ImportError:  # pragma: no cover - typer on plain click
    from click.exceptions import ClickException, NoArgsIsHelpError, UsageError  # type: ignore[assignment]

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_SERVICE = 3
EXIT_CREDENTIALS = 4
EXIT_CONNECTION = 5
EXIT_INTERRUPTED = 130

_NOISY_LOGGERS = ("botocore", "boto3", "urllib3", "websockets", "s3transfer", "werkzeug", "moto")


def exit_code_for(error: BaseException) -> int:
    """The CLI exit code for a library error."""
    if isinstance(error, errors.ValidationError):
        return EXIT_USAGE
    if isinstance(error, errors.CredentialsError):
        return EXIT_CREDENTIALS
    if isinstance(error, errors.ServiceError):
        return EXIT_SERVICE
    if isinstance(error, errors.ConnectionError | errors.TimeoutError | errors.ProtocolError):
        return EXIT_CONNECTION
    return 1


#: Permissions of a log file the CLI creates (``--log-file``).
LOG_FILE_MODE = 0o600

_LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_log = get_logger("cli")


class CLIHandler(logging.StreamHandler[TextIO]):
    """A handler the CLI installs: redacted, and quiet once its stream is closed.

    Emulator and transfer threads may still log while the command returns; a record that arrives
    after :meth:`close` is dropped instead of raising "I/O operation on closed file".

    Args:
        stream: Where the records go.
        owns_stream: Close ``stream`` on :meth:`close` (the log file; never stderr).
    """

    def __init__(self, stream: TextIO, *, owns_stream: bool = False) -> None:
        super().__init__(stream)
        self.owns_stream = owns_stream
        self.setFormatter(logging.Formatter(_LOG_FORMAT))
        self.addFilter(RedactionFilter())

    def format(self, record: logging.LogRecord) -> str:
        """The formatted record without control characters (messages may quote the server)."""
        return printable(super().format(record))

    def emit(self, record: logging.LogRecord) -> None:
        """Write ``record`` unless the stream is closed (called with the handler's lock held)."""
        if getattr(self.stream, "closed", False):
            return
        super().emit(record)

    def close(self) -> None:
        """Flush, and close the stream if it is the log file."""
        self.acquire()
        try:
            if not getattr(self.stream, "closed", False):
                self.flush()
                if self.owns_stream:
                    self.stream.close()
        finally:
            self.release()
        super().close()


def configure_logging(debug: bool, log_file: str | os.PathLike[str] | None = None) -> list[CLIHandler]:
    """Install the CLI's handlers on the root logger, each with the redaction filter.

    One handler writes to stderr; with ``log_file`` a second one appends the same records to that
    file (created with mode 0600). Handlers installed by an earlier call are removed first. The
    library logs at DEBUG when ``debug``, else WARNING; third-party loggers that print signatures
    or frame bytes at DEBUG stay at INFO at most.

    Args:
        debug: Show the library's debug records.
        log_file: Also write the records to this file.

    Returns:
        The handlers installed; :func:`remove_handlers` takes them away again.

    Raises:
        OSError: The log file cannot be opened.
    """
    handlers = [CLIHandler(sys.stderr)]
    if log_file is not None:
        handlers.append(CLIHandler(open_log_file(log_file), owns_stream=True))
    root = logging.getLogger()
    remove_handlers([h for h in root.handlers if isinstance(h, CLIHandler)])
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(logging.WARNING)
    logging.getLogger(LOGGER_NAME).setLevel(logging.DEBUG if debug else logging.WARNING)
    for name in _NOISY_LOGGERS:
        logging.getLogger(name).setLevel(logging.INFO if debug else logging.WARNING)
    # websockets reports, with a traceback, the end of a connection that the client itself aborted
    # after a failure; the failure already reaches the user as one line, so only --debug shows it.
    logging.getLogger(f"{LOGGER_NAME}.streaming.websocket").setLevel(logging.INFO if debug else logging.CRITICAL)
    return handlers


def remove_handlers(handlers: Sequence[logging.Handler]) -> None:
    """Take ``handlers`` off the root logger and close them (the log file is closed too)."""
    root = logging.getLogger()
    for handler in handlers:
        root.removeHandler(handler)
        handler.close()


def open_log_file(path: str | os.PathLike[str]) -> TextIO:
    """Open ``path`` for appending log records; a new file is created with mode 0600.

    The file is created owner-only from the start (never readable by others, even for a moment);
    an existing regular file is narrowed to 0600 too, because debug logs name buckets, jobs and
    endpoints. Special files (``/dev/stderr``, a FIFO) are written as they are.

    Raises:
        OSError: The file cannot be opened or created.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND
    fd = os.open(Path(path), flags, LOG_FILE_MODE)
    try:
        if hasattr(os, "fchmod") and stat.S_ISREG(os.fstat(fd).st_mode):
            os.fchmod(fd, LOG_FILE_MODE)
        return open(fd, "a", encoding="utf-8", errors="backslashreplace", buffering=1)
    except BaseException:
        os.close(fd)
        raise


@dataclass
class GlobalOptions:
    """The options accepted anywhere on the command line (before or after the command name)."""

    debug: bool = False
    log_file: str | None = None


def split_global_options(args: Sequence[str]) -> tuple[GlobalOptions, list[str]]:
    """Take ``--debug`` and ``--log-file PATH`` (or ``--log-file=PATH``) out of ``args``.

    Arguments after ``--`` are left alone.

    Raises:
        UsageError: ``--log-file`` without a path.
    """
    options = GlobalOptions()
    rest: list[str] = []
    remaining = iter(args)
    for arg in remaining:
        if arg == "--":
            rest.append(arg)
            rest.extend(remaining)
            break
        if arg == "--debug":
            options.debug = True
        elif arg == "--log-file":
            value = next(remaining, None)
            if not value or value.startswith("-"):
                raise UsageError("Option '--log-file' requires a path.")
            options.log_file = value
        elif arg.startswith("--log-file="):
            value = arg.removeprefix("--log-file=")
            if not value:
                raise UsageError("Option '--log-file' requires a path.")
            options.log_file = value
        else:
            rest.append(arg)
    return options, rest


def _say(message: str) -> None:
    say(message)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI with ``argv`` (default: ``sys.argv[1:]``) and return the exit code."""
    try:
        options, args = split_global_options(list(sys.argv[1:] if argv is None else argv))
    except UsageError as error:
        _say(f"{error.format_message()} (see 'transcribe-medical --help')")
        return EXIT_USAGE
    try:
        handlers = configure_logging(options.debug, options.log_file)
    except OSError as error:
        _say(f"--log-file: cannot open {options.log_file!r}: {error.strerror or error}")
        return EXIT_USAGE
    try:
        return _run(args, options.debug)
    finally:
        # In-process callers (tests, scripts) get the root logger back as it was.
        remove_handlers(handlers)


def command_name(args: Sequence[str]) -> str | None:
    """The command a command line names (its first word that is not a global option), if any."""
    from transcribe_medical.cli.options import GLOBAL_VALUE_OPTIONS

    remaining = iter(args)
    for arg in remaining:
        if arg == "--":
            return None
        if arg in GLOBAL_VALUE_OPTIONS:
            next(remaining, None)
        elif not arg.startswith("-"):
            return arg
    return None


def _run(args: list[str], debug: bool) -> int:
    from transcribe_medical.cli import commands
    from transcribe_medical.cli.build import build_command, command_line, invoked_command, print_help

    # Only the named command's module (``stream --help`` need not import the batch commands).
    commands.load(command_name(args))
    command_line.set(tuple(args))
    invoked_command.set(None)

    try:
        command = build_command()
        if print_help(command, args, "transcribe-medical"):
            return EXIT_OK
        result = command.main(args=args, prog_name="transcribe-medical", standalone_mode=False)
    except typer.Exit as done:
        return int(done.exit_code)
    except NoArgsIsHelpError as error:
        sys.stderr.write(error.format_message() + "\n")
        return EXIT_USAGE
    except typer.Abort:
        _say("interrupted")
        return EXIT_INTERRUPTED
    except KeyboardInterrupt:
        _say("interrupted")
        return EXIT_INTERRUPTED
    except UsageError as error:
        command = error.ctx.command_path if error.ctx else "transcribe-medical"
        message = error.format_message().removeprefix("Value error, ").replace("\n", " ")
        _say(f"{message} (see '{command} --help')")
        return EXIT_USAGE
    except ClickException as error:
        _say(error.format_message().replace("\n", " "))
        return EXIT_USAGE
    except errors.TranscribeMedicalError as error:
        if debug:
            _log_traceback(error)
        _say(_one_line(error, _options_of(invoked_command.get())))
        return exit_code_for(error)
    except BrokenPipeError:
        return EXIT_OK
    except Exception as error:
        if debug:
            _log_traceback(error)
        _say(f"unexpected error {type(error).__name__}: {error} (run again with --debug for details)")
        return 1
    return int(result) if isinstance(result, int) else EXIT_OK


def _log_traceback(error: BaseException) -> None:
    # A log record, not traceback.print_exc(): the handlers' redaction filter formats and scrubs
    # the traceback (exception messages may quote URLs), and --log-file receives it too.
    _log.debug("the command failed with %s", type(error).__name__, exc_info=error)


def _options_of(command: Any) -> dict[str, CliOption]:
    return option_names(command.params) if command is not None else {}


def _one_line(error: BaseException, options: Mapping[str, CliOption] | None = None) -> str:
    """The one line the CLI prints for ``error``; bad input named in the CLI's words (``options``)."""
    text = printable(str(error)).strip().splitlines()
    message = text[0] if text else type(error).__name__
    if options and isinstance(error, errors.ValidationError | errors.CredentialsError):
        message = cli_words(message, options)
    request_id = getattr(error, "request_id", None)
    if isinstance(error, errors.ServiceError | errors.CredentialsError) and request_id:
        message += f" (request id {request_id})"
    # What the command did despite the failure (e.g. the final results it saved), PEP 678 notes.
    for note in getattr(error, "__notes__", ()):
        message += f"; {note}"
    return message


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
