"""Entry point: runs the typer app and turns errors into DESIGN.md's exit codes.

0 success; 2 bad usage or input; 3 the service refused; 4 no usable credentials;
5 connection, timeout or corrupt stream; 130 interrupted. One line on stderr, no traceback
unless ``--debug``.
"""

from __future__ import annotations

import logging
import sys
import traceback
from collections.abc import Sequence

import typer

from transcribe_medical import _exceptions as errors
from transcribe_medical._logging import LOGGER_NAME, RedactionFilter, redact

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


def configure_logging(debug: bool) -> None:
    """Install one stderr handler with the redaction filter; DEBUG for the library when ``debug``.

    Third-party loggers that print signatures or frame bytes at DEBUG stay at INFO at most.
    """
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactionFilter())
    root = logging.getLogger()
    root.handlers = [h for h in root.handlers if not getattr(h, "_transcribe_medical", False)]
    handler._transcribe_medical = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    logging.getLogger(LOGGER_NAME).setLevel(logging.DEBUG if debug else logging.WARNING)
    for name in _NOISY_LOGGERS:
        logging.getLogger(name).setLevel(logging.INFO if debug else logging.WARNING)


def _say(message: str) -> None:
    sys.stderr.write(f"transcribe-medical: {redact(message)}\n")
    sys.stderr.flush()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI with ``argv`` (default: ``sys.argv[1:]``) and return the exit code."""
    from transcribe_medical.cli import commands  # noqa: F401  (registers the commands)
    from transcribe_medical.cli.app import app

    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    # --debug is accepted before or after the command name.
    args = [a for a in args if a != "--debug"]
    configure_logging(debug)
    try:
        result = app(args=args, prog_name="transcribe-medical", standalone_mode=False)
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
            traceback.print_exc()
        _say(_one_line(error))
        return exit_code_for(error)
    except BrokenPipeError:
        return EXIT_OK
    except Exception as error:
        if debug:
            traceback.print_exc()
        _say(f"unexpected error {type(error).__name__}: {error} (run again with --debug for details)")
        return 1
    return int(result) if isinstance(result, int) else EXIT_OK


def _one_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    message = text[0] if text else type(error).__name__
    if isinstance(error, errors.ServiceError) and error.request_id:
        message += f" (request id {error.request_id})"
    return message


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
