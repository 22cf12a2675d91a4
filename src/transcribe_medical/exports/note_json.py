"""The clinical note as JSON: AWS's own ``ClinicalDocumentation`` shape, plus where it came from.

The output reads back with :func:`~transcribe_medical.scribe.parse_clinical_document` (which ignores
the ``transcribe_medical`` member), so a note saved as JSON is a note HealthScribe could have
written.
"""

from __future__ import annotations

import json
from typing import Any

from transcribe_medical.scribe.note import ClinicalNote

__all__ = ["NOTE_SCHEMA_VERSION", "note_to_dict", "note_to_json"]

#: Version of the ``transcribe_medical`` member.
NOTE_SCHEMA_VERSION = 1


def note_to_dict(note: ClinicalNote) -> dict[str, Any]:
    """The note as AWS's ``summary.json`` object (with a ``transcribe_medical`` member)."""
    documentation: dict[str, Any] = {
        "Sections": [
            {
                "SectionName": section.name,
                "Summary": [
                    {
                        "EvidenceLinks": [{"SegmentId": segment_id} for segment_id in sentence.evidence],
                        "SummarizedSegment": sentence.text,
                    }
                    for sentence in section.sentences
                ],
            }
            for section in note.sections
        ]
    }
    if note.session_id is not None:
        documentation["SessionId"] = note.session_id
    if note.metadata:
        documentation["Metadata"] = dict(note.metadata)
    about = {"schema_version": NOTE_SCHEMA_VERSION, "job_name": note.job_name, "template": note.template}
    return {"ClinicalDocumentation": documentation, "transcribe_medical": about}


def note_to_json(note: ClinicalNote, *, indent: int | None = 2) -> str:
    """The note as JSON text (see :func:`note_to_dict`)."""
    return json.dumps(note_to_dict(note), indent=indent, ensure_ascii=False) + "\n"
