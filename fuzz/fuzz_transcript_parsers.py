"""atheris harness: transcript parsers fail only with the library's own errors.

Feeds arbitrary bytes to the streaming ``TranscriptEvent`` parser and to the batch output parser.
Anything but ``ProtocolError``/``ValidationError`` (e.g. a ``KeyError`` or ``TypeError`` from a
malformed document) is a bug.

Run: ``python fuzz/fuzz_transcript_parsers.py -max_total_time=60``.
"""

from __future__ import annotations

import contextlib
import sys

import atheris

with atheris.instrument_imports():
    from transcribe_medical._exceptions import ProtocolError, ValidationError
    from transcribe_medical.models.batch_output import parse_batch_output
    from transcribe_medical.models.events import TranscriptEvent
    from transcribe_medical.models.transcript import TranscriptAssembler


def test_one_input(data: bytes) -> None:
    """Parse ``data`` as a streaming event and as a batch transcript."""
    try:
        event = TranscriptEvent.from_payload(data)
        TranscriptAssembler().add(event)
    except (ProtocolError, ValidationError):
        pass
    with contextlib.suppress(ProtocolError, ValidationError):
        parse_batch_output(data)


def main() -> None:
    """Entry point for atheris/libFuzzer."""
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
