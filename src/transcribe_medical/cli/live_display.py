"""What ``stream`` and ``mic`` show while a stream runs: finals as they arrive, the partial live.

:class:`LiveDisplay` is fed every :class:`~transcribe_medical.TranscriptEvent`:

* **Finals** (with ``finals_to_stdout``): each final result is printed on stdout the moment it
  arrives, one line per utterance in the text format (``spk_0: ...`` when the transcript has
  labels, ``[[word]]`` marking words below ``--min-confidence``), and flushed, so a pipe or a
  terminal sees the transcript grow.
* **The partial line** (with ``partials``, and only when stderr is a terminal): the utterance in
  progress, one line per channel joined by ``|``, redrawn in place on stderr with rich (dim,
  cut to the terminal's width). It is erased before a final is printed, so the two never mix on
  one terminal line, and erased for good when the display closes.

Everything shown passes :func:`~transcribe_medical.cli.output.printable`: the words come from the
server. Nothing here logs; transcript text goes only to the user's own stdout and terminal.
"""

from __future__ import annotations

import sys
from types import TracebackType
from typing import TYPE_CHECKING, Final, Self, TextIO

if TYPE_CHECKING:
    from rich.console import Console

    from transcribe_medical.models.events import Result, TranscriptEvent

__all__ = ["LiveDisplay"]

_PARTIAL_PREFIX: Final = "… "


class LiveDisplay:
    """Shows a stream's results as they arrive (see the module notes); a context manager.

    Args:
        partials: Show the utterance in progress on stderr (ignored unless stderr is a terminal).
        finals_to_stdout: Print each final utterance on stdout as it arrives.
        min_confidence: Mark the final words below this confidence (``[[word]]``).
        stdout: Where finals go (default ``sys.stdout``).
        console: Where the partial line goes (default: a rich console on stderr, when stderr is
            a terminal; with ``None`` there and stderr not a terminal, no partial line).

    Attributes:
        finals_printed: How many final utterances were printed on stdout.
    """

    def __init__(
        self,
        *,
        partials: bool,
        finals_to_stdout: bool,
        min_confidence: float | None = None,
        stdout: TextIO | None = None,
        console: Console | None = None,
    ) -> None:
        self._finals_to_stdout = finals_to_stdout
        self._min_confidence = min_confidence
        self._stdout = stdout
        self._console = console if console is not None else (_terminal_console() if partials else None)
        self._latest: dict[str, str] = {}
        self._line_shown = ""  # the partial line on the terminal now ("" when none)
        self.finals_printed = 0

    @property
    def live_line(self) -> bool:
        """Whether the partial line is drawn (``--partials`` and a terminal on stderr)."""
        return self._console is not None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Erase the partial line (the terminal is left as it was before the stream)."""
        self._erase()

    def show(self, event: TranscriptEvent) -> None:
        """Take one event: print its final results, then redraw the partial line."""
        for result in event.results:
            key = result.channel_id or ""
            if result.is_partial:
                self._latest[key] = result.transcript
                continue
            self._latest.pop(key, None)
            if self._finals_to_stdout and result.alternatives:
                self._print_final(result)
        self._draw()

    def _print_final(self, result: Result) -> None:
        from transcribe_medical.cli.output import printable
        from transcribe_medical.exports.text import to_text
        from transcribe_medical.models.transcript import Transcript, segments_from_result

        segments = segments_from_result(result)
        text = to_text(Transcript(segments=segments), min_confidence=self._min_confidence)
        if not text:
            return
        self._erase()
        out = self._stdout or sys.stdout
        out.write(printable(text))
        out.flush()
        self.finals_printed += 1

    def _draw(self) -> None:
        if self._console is None:
            return
        from rich.text import Text

        from transcribe_medical.cli.output import printable

        line = " | ".join(printable(text, one_line=True) for text in self._latest.values() if text.strip())
        if not line:
            self._erase()
            return
        if line == self._line_shown:
            return  # unchanged: no redraw, no flicker
        self._carriage_return()
        self._console.print(
            Text(_PARTIAL_PREFIX + line, style="dim"),
            end="",
            no_wrap=True,
            overflow="ellipsis",
            crop=True,
            soft_wrap=False,
        )
        self._console.file.flush()
        self._line_shown = line

    def _carriage_return(self) -> None:
        from rich.control import Control
        from rich.segment import ControlType

        assert self._console is not None
        # Back to the start of the line and erase all of it: the new partial replaces the old.
        self._console.control(Control(ControlType.CARRIAGE_RETURN, (ControlType.ERASE_IN_LINE, 2)))

    def _erase(self) -> None:
        if self._console is None or not self._line_shown:
            return
        self._carriage_return()
        self._console.file.flush()
        self._line_shown = ""


def _terminal_console() -> Console | None:
    """A rich console on stderr, or ``None`` when stderr is not a terminal (no live line there)."""
    if not sys.stderr.isatty():
        return None
    from rich.console import Console

    return Console(stderr=True, highlight=False)
