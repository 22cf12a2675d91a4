"""AWS's published streaming examples (``tests/fixtures/aws/streaming/``), as the tests use them.

The fixture files are AWS's text byte for byte (see ``tests/fixtures/aws/SOURCES.md``). Where AWS
shortened an example with a line of ``...``, the example is not JSON as published; :func:`as_json`
removes those elision lines, and nothing else, to get the payload the example shows.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

STREAMING = Path(__file__).resolve().parents[1] / "fixtures" / "aws" / "streaming"
#: AWS developer guide, "Enabling speaker partitioning in real-time streams" (medical): one final
#: result with speaker labels whose items include a ``speaker-change`` item without ``Content``.
SPEAKER_CHANGE_EXAMPLE = STREAMING / "docs-conversation-diarization-streaming-med.txt"


def as_json(text: str) -> dict[str, Any]:
    """The payload an AWS example shows, with AWS's ``...`` elision lines removed.

    An elision line stands for whole items; where AWS's elision also swallowed the ``{`` that opens
    the next item (the next line is a member, not ``{``), the ``{`` is put back.
    """
    lines = text.splitlines()
    kept: list[str] = []
    for index, line in enumerate(lines):
        if line.strip() != "...":
            kept.append(line)
            continue
        following = lines[index + 1].strip() if index + 1 < len(lines) else ""
        if following.startswith('"'):
            kept.append("{")
    data = json.loads("\n".join(kept))
    assert isinstance(data, dict)
    return data


def speaker_change_payload() -> dict[str, Any]:
    """AWS's medical streaming example with a ``speaker-change`` item, as a TranscriptEvent payload."""
    return as_json(SPEAKER_CHANGE_EXAMPLE.read_text(encoding="utf-8"))
