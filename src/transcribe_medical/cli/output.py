"""Printing: results to stdout, progress and diagnostics to stderr.

Text the server controls (exception types and messages, transcript words, failure reasons) may
carry terminal control sequences: ``ESC [ 2 J`` clears the screen, an OSC sets the window title,
a C1 ``CSI`` does what ``ESC [`` does. Everything this CLI prints passes :func:`printable` (or,
for JSON, :func:`json_without_raw_controls`) first, so no control byte but newline and tab reaches
a terminal, a pipe or a text file.

rich is imported on first use (the consoles :data:`stdout` and :data:`stderr` are made then), so
that ``--help`` and commands that print plain text do not pay for it.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Any

# Re-exported: the commands import the notice from here.
from transcribe_medical._notice import REVIEW_NOTICE as REVIEW_NOTICE

if TYPE_CHECKING:
    from rich.console import Console

    #: The rich console on stderr (progress, partial results, notices).
    stderr: Console
    #: The rich console on stdout (tables).
    stdout: Console

#: Table columns of free text, which may wrap inside their column; every other column (names,
#: IDs, statuses, times) is shown whole on one line.
PROSE_COLUMNS = frozenset({"failure_reason", "sub_specialties", "description"})

#: C0 controls but tab and newline, DEL, and C1 controls (U+0080-U+009F; CSI is U+009B).
_CONTROLS_BUT_LINES = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
#: Every C0 control, DEL and C1 control.
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f]")
#: The controls ``json.dumps(ensure_ascii=False)`` leaves raw (it escapes only U+0000-U+001F),
#: and lone surrogates (JSON's ``\\ud800`` escape decodes to one), which no UTF-8 stream can write.
_RAW_IN_JSON = re.compile("[\x7f-\x9f\ud800-\udfff]")
_SURROGATES = re.compile("[\ud800-\udfff]")


def printable(text: str, *, one_line: bool = False) -> str:
    """``text`` without control characters, its words kept.

    Args:
        text: Text that may come from the server (or a file it wrote).
        one_line: Also turn newlines and tabs into spaces (a message, a table cell).

    Returns:
        The text with every C0 control (but newline and tab unless ``one_line``), DEL and C1
        control removed; carriage returns go too, since they let text overwrite a line. A lone
        surrogate (which JSON can carry but UTF-8 cannot encode) becomes U+FFFD.
    """
    text = _SURROGATES.sub("\ufffd", text)
    if one_line:
        return _CONTROLS.sub("", text.replace("\n", " ").replace("\t", " "))
    return _CONTROLS_BUT_LINES.sub("", text)


def json_without_raw_controls(text: str) -> str:
    """JSON text with DEL, C1 controls and lone surrogates written as ``\\uXXXX`` escapes.

    The value read back is unchanged (those characters can only stand inside JSON strings, where
    the escape means the same character); only the raw bytes that a terminal would obey are gone.
    """
    return _RAW_IN_JSON.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def say(message: str) -> None:
    """One diagnostic line on stderr, prefixed with the program name, redacted and printable."""
    from transcribe_medical._logging import redact

    sys.stderr.write(f"transcribe-medical: {printable(redact(message), one_line=True)}\n")
    sys.stderr.flush()


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json", by_alias=True, exclude_none=True)
    raise TypeError(f"cannot serialise {type(value).__name__}")


def print_json(data: Any) -> None:
    """Print ``data`` as indented JSON on stdout."""
    sys.stdout.write(json.dumps(data, indent=2, default=_default, sort_keys=False) + "\n")
    sys.stdout.flush()


def __getattr__(name: str) -> Console:
    # The consoles are made on first use: importing rich costs more than the rest of the CLI.
    if name not in ("stdout", "stderr"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from rich.console import Console

    console = Console(stderr=name == "stderr", highlight=False, soft_wrap=True)
    globals()[name] = console
    return console


def _console(name: str) -> Console:
    # Inside this module a global name does not go through the module's __getattr__.
    console: Console | None = globals().get(name)
    return console if console is not None else __getattr__(name)


def print_table(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[str],
    *,
    title: str | None = None,
    prose: Collection[str] = PROSE_COLUMNS,
) -> None:
    """Print rows as a rich table on a terminal, or tab-separated lines when piped.

    No cell is ever cut: names, IDs, statuses and times stay whole on one line, and only the
    ``prose`` columns (free text such as a failure reason) wrap inside their column. When even
    that is wider than the terminal, the table is drawn as wide as it needs (the terminal wraps
    its lines) rather than cut with an ellipsis.

    Args:
        rows: One mapping per row, by column name.
        columns: The columns to show, in order.
        title: The table's title (terminal only).
        prose: Columns whose text may wrap.
    """
    if not sys.stdout.isatty():
        sys.stdout.write("\t".join(columns) + "\n")
        for row in rows:
            sys.stdout.write("\t".join(_cell(row.get(c)) for c in columns) + "\n")
        sys.stdout.flush()
        return
    from rich.console import Console
    from rich.measure import Measurement
    from rich.table import Table
    from rich.text import Text

    table = Table(title=title)
    for column in columns:
        if column in prose:
            table.add_column(column, overflow="fold")
        else:
            table.add_column(column, no_wrap=True, overflow="ignore")
    for row in rows:
        # Text, not str: rich would read "[link=...]" in a service's text as markup.
        table.add_row(*(Text(_cell(row.get(c))) for c in columns))
    console = _console("stdout")
    needed = Measurement.get(console, console.options.update_width(_UNBOUNDED), table).minimum
    if needed > console.width:
        # A console as wide as the table, on the same file: rich never draws wider than its console.
        console = Console(
            file=console.file,
            width=needed,
            highlight=False,
            soft_wrap=True,
            force_terminal=console.is_terminal,
            color_system=console.color_system,  # type: ignore[arg-type]
        )
    console.print(table)


_UNBOUNDED = 100_000


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Enum):
        return printable(str(value.value), one_line=True)
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    # Names, statuses and failure reasons come from the service.
    return printable(str(value), one_line=True)


def print_review_notice() -> None:
    """Show the review notice on stderr when a person is watching (a terminal)."""
    if sys.stderr.isatty():
        _console("stderr").print(f"[dim]{REVIEW_NOTICE}[/dim]")
