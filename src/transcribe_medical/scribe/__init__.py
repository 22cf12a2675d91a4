"""AWS HealthScribe: clinical-note jobs, vocabulary filters, and the note and transcript models.

``client.scribe.jobs`` starts, watches and reads HealthScribe jobs; ``client.vocabulary_filters``
manages vocabulary filters. A job's outputs are read into a :class:`ClinicalNote` (its
``summary.json``) and the one :class:`~transcribe_medical.Transcript` (its ``transcript.json``,
speakers named by participant role, segments keeping their ``SegmentId``).
"""

from __future__ import annotations

from transcribe_medical.scribe.enums import NoteTemplate, ParticipantRole, PatientPronouns, VocabularyFilterMethod
from transcribe_medical.scribe.note import (
    ClinicalNote,
    NoteSection,
    NoteSentence,
    ResolvedSentence,
    parse_clinical_document,
)
from transcribe_medical.scribe.requests import (
    ChannelDefinition,
    ScribeSettings,
    StartScribeJobRequest,
    VocabularyFilterRequest,
    VocabularyFilterUpdate,
)
from transcribe_medical.scribe.responses import (
    MedicalScribeJob,
    MedicalScribeJobSummary,
    VocabularyFilter,
    VocabularyFilterSummary,
)
from transcribe_medical.scribe.result import ScribeResult
from transcribe_medical.scribe.templates import CONFIRMED_SECTIONS, DOCUMENTED_SECTIONS, TEMPLATE_SECTIONS
from transcribe_medical.scribe.transcript_file import (
    ClinicalInsight,
    parse_clinical_insights,
    parse_scribe_transcript,
    transcript_sections,
)

__all__ = [
    "CONFIRMED_SECTIONS",
    "DOCUMENTED_SECTIONS",
    "TEMPLATE_SECTIONS",
    "ChannelDefinition",
    "ClinicalInsight",
    "ClinicalNote",
    "MedicalScribeJob",
    "MedicalScribeJobSummary",
    "NoteSection",
    "NoteSentence",
    "NoteTemplate",
    "ParticipantRole",
    "PatientPronouns",
    "ResolvedSentence",
    "ScribeResult",
    "ScribeSettings",
    "StartScribeJobRequest",
    "VocabularyFilter",
    "VocabularyFilterMethod",
    "VocabularyFilterRequest",
    "VocabularyFilterSummary",
    "VocabularyFilterUpdate",
    "parse_clinical_document",
    "parse_clinical_insights",
    "parse_scribe_transcript",
    "transcript_sections",
]
