"""The versioned JSON format of a transcript (``--format json``), and its reader.

Schema ``transcribe-medical/transcript``, version 1. Times are float seconds from the start of the
audio, as AWS gives them::

    {
      "schema": "transcribe-medical/transcript",
      "version": 1,
      "source": "streaming" | "batch" | null,
      "job_name": str | null,
      "session_id": str | null,
      "speakers": ["spk_0", ...],          # derived, ignored on reading
      "channels": ["ch_0", ...],           # derived, ignored on reading
      "text": "the whole text",            # derived, ignored on reading
      "service_text": str | null,          # AWS's own text, only when the segments cannot give it
      "segments": [
        {"start": 0.54, "end": 2.18, "text": "...", "speaker": "spk_0" | null,
         "channel": "ch_0" | null, "result_id": str | null,
         "segment_id": str,                 # HealthScribe segments only: the id evidence links name
         "items": [{"start": 0.54 | null, "end": 0.81 | null, "content": "Good",
                    "type": "pronunciation" | "punctuation", "confidence": 0.99 | null,
                    "speaker": "spk_0" | null, "channel": "ch_0" | null}, ...],
         "entities": [{"start": 1.38, "end": 2.18, "category": "PHI", "content": "...",
                       "confidence": 0.97 | null}, ...],
         "alternatives": [{"text": "...", "items": [...]}, ...]}
      ],
      "alternative_segments": [            # a batch job's hypotheses, per AWS segment, verbatim
        {"start": 0.54 | null, "end": 3.2 | null, "speaker": "spk_0" | null, "channel": "ch_0" | null,
         "alternatives": [{"text": "...", "items": [...]}, ...]}
      ],
      "gaps": [{"start": 12.0, "end": 31.5}, ...],   # audio lost, not transcribed (empty: none)
      "incomplete": true | false           # derived (gaps not empty), ignored on reading
    }

``from_json(to_json(t)) == t`` for every transcript. A reader of version 1 ignores keys it does
not know, so fields may be added to version 1; a change that breaks readers bumps the version.
"""

from __future__ import annotations

import json
from typing import Any, Final

from transcribe_medical._exceptions import ValidationError
from transcribe_medical.models.transcript import AlternativeSegment, Segment, Transcript

__all__ = ["SCHEMA", "SCHEMA_VERSION", "from_json", "segment_to_dict", "to_json", "transcript_to_dict"]

#: The value of the ``schema`` key.
SCHEMA: Final = "transcribe-medical/transcript"
#: The version this library writes and reads.
SCHEMA_VERSION: Final = 1


def segment_to_dict(segment: Segment) -> dict[str, Any]:
    """The JSON-ready dict of one segment (the ``segments[]`` element of the schema).

    Args:
        segment: The segment.

    Returns:
        A dict of JSON types.
    """
    data = segment.model_dump(mode="json")
    # Key order for readers: times, labels and text first, details after. A HealthScribe segment's
    # id is kept (its note's evidence names it); other segments have none and carry no such key.
    order = ["start", "end", "speaker", "channel", "text", "result_id"]
    if segment.segment_id is not None:
        order.append("segment_id")
    order += ["items", "entities", "alternatives"]
    return {key: data[key] for key in order}


def transcript_to_dict(transcript: Transcript) -> dict[str, Any]:
    """The JSON-ready dict of a transcript in the versioned schema.

    Args:
        transcript: The transcript.

    Returns:
        A dict of JSON types, starting with ``schema`` and ``version``.
    """
    return {
        "schema": SCHEMA,
        "version": SCHEMA_VERSION,
        "source": transcript.source,
        "job_name": transcript.job_name,
        "session_id": transcript.session_id,
        "speakers": transcript.speakers,
        "channels": transcript.channels,
        "text": transcript.text,
        "service_text": transcript.service_text,
        "segments": [segment_to_dict(segment) for segment in transcript.segments],
        "alternative_segments": [_alternative_segment_to_dict(segment) for segment in transcript.alternative_segments],
        "gaps": [{"start": gap.start, "end": gap.end} for gap in transcript.gaps],
        "incomplete": transcript.incomplete,
    }


def _alternative_segment_to_dict(segment: AlternativeSegment) -> dict[str, Any]:
    data = segment.model_dump(mode="json")
    order = ("start", "end", "speaker", "channel", "alternatives")
    return {key: data[key] for key in order}


def to_json(transcript: Transcript, *, indent: int | None = 2) -> str:
    """Serialise a transcript to the versioned JSON schema.

    Args:
        transcript: The transcript.
        indent: JSON indentation; ``None`` for one compact line.

    Returns:
        The JSON text (UTF-8 characters kept as is), ending with a newline.
    """
    separators = (",", ":") if indent is None else (",", ": ")
    return json.dumps(transcript_to_dict(transcript), indent=indent, ensure_ascii=False, separators=separators) + "\n"


def from_json(data: str | bytes) -> Transcript:
    """Read a transcript written by :func:`to_json`.

    Args:
        data: The JSON text.

    Returns:
        The transcript, equal to the one that was written.

    Raises:
        ValidationError: Not JSON, not this schema, a version this library cannot read, or a
            malformed field (named in the message).
    """
    try:
        document = json.loads(data)
    except ValueError as error:
        raise ValidationError(f"transcript JSON is not valid JSON: {error}") from None
    if not isinstance(document, dict):
        raise ValidationError("transcript JSON: the top level must be an object", field="schema")
    schema = document.get("schema")
    if schema != SCHEMA:
        raise ValidationError(
            f"schema: {schema!r} is invalid: expected {SCHEMA!r} (a file written by `to_json`)", field="schema"
        )
    version = document.get("version")
    if version != SCHEMA_VERSION:
        raise ValidationError(
            f"version: {version!r} is not supported: this library reads version {SCHEMA_VERSION}; "
            "upgrade transcribe-medical",
            field="version",
        )
    fields = ("segments", "source", "job_name", "session_id", "alternative_segments", "service_text", "gaps")
    body = {key: document[key] for key in fields if key in document}
    return Transcript.model_validate(body)
