"""What ``transcribe_file`` returns: the job, its clinical note and its transcript."""

from __future__ import annotations

from dataclasses import dataclass

from transcribe_medical.models.transcript import Transcript
from transcribe_medical.scribe.note import ClinicalNote, ResolvedSentence
from transcribe_medical.scribe.responses import MedicalScribeJob

__all__ = ["ScribeResult"]


@dataclass(frozen=True)
class ScribeResult:
    """A finished HealthScribe job's outputs.

    Attributes:
        job: The COMPLETED job.
        note: Its clinical note.
        transcript: Its transcript (segments keep their ``SegmentId``).
    """

    job: MedicalScribeJob
    note: ClinicalNote
    transcript: Transcript

    def __repr__(self) -> str:
        return (
            f"ScribeResult(job={self.job.name!r}, sections={len(self.note.sections)}, "
            f"segments={len(self.transcript.segments)})"
        )

    def evidence(self) -> list[ResolvedSentence]:
        """Every note sentence with its evidence segments looked up in the transcript."""
        return self.note.resolve(self.transcript)
