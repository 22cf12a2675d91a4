"""The batch side: jobs, vocabularies, S3 helpers and where transcripts land.

Reach it through the facades (``client.jobs``, ``client.vocabularies``); the names below are for
type hints and ``except`` clauses.
"""

from __future__ import annotations

from transcribe_medical.batch._errors import JobFailedError, JobNotCompletedError, VocabularyFailedError
from transcribe_medical.batch.jobs import AsyncJobs, Jobs
from transcribe_medical.batch.output_location import expected_output_location, transcript_location
from transcribe_medical.batch.s3 import S3Location, parse_s3_uri
from transcribe_medical.batch.vocabularies import AsyncVocabularies, Vocabularies

__all__ = [
    "AsyncJobs",
    "AsyncVocabularies",
    "JobFailedError",
    "JobNotCompletedError",
    "Jobs",
    "S3Location",
    "Vocabularies",
    "VocabularyFailedError",
    "expected_output_location",
    "parse_s3_uri",
    "transcript_location",
]
