"""JSON Lines export: one segment per line (``--format jsonl``).

Each line is the ``segments[]`` element of the JSON schema (see
:mod:`transcribe_medical.exports.json_format`): ``start``, ``end`` (float seconds), ``speaker``,
``channel``, ``text``, ``result_id``, ``items``, ``entities``, ``alternatives``. A streaming
client can print :func:`segment_to_jsonl` as each segment becomes final.
"""

from __future__ import annotations

import json

from transcribe_medical.exports.json_format import segment_to_dict
from transcribe_medical.models.transcript import Segment, Transcript

__all__ = ["segment_to_jsonl", "to_jsonl"]


def segment_to_jsonl(segment: Segment) -> str:
    """One segment as one compact JSON line (without the newline).

    Args:
        segment: The segment.

    Returns:
        The JSON text, on one line.
    """
    return json.dumps(segment_to_dict(segment), ensure_ascii=False, separators=(",", ":"))


def to_jsonl(transcript: Transcript) -> str:
    """Render a transcript as JSON Lines, one segment per line.

    Args:
        transcript: The transcript.

    Returns:
        The lines, each ending with a newline (``""`` for an empty transcript).
    """
    return "".join(segment_to_jsonl(segment) + "\n" for segment in transcript.segments)
