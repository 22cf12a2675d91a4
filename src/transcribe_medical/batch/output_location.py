"""Where a batch job's transcript lands (reference §1.10).

* ``OutputBucketName`` only → ``s3://BUCKET/medical/<JobName>.json`` (the form moto reports, and
  what users report for the real service).
* ``OutputKey`` ending in ``.json`` → exactly that object.
* ``OutputKey`` ending in ``/`` → that folder + ``<JobName>.json``.
* any other ``OutputKey`` → used as a folder: ``<OutputKey>/<JobName>.json``.

The job's own ``TranscriptFileUri`` is the truth once it is COMPLETED (moto, for one, ignores
``OutputKey`` and always reports ``medical/<JobName>.json``); :func:`transcript_location` prefers
it and falls back on the computed location.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from transcribe_medical.batch.s3 import S3Location, parse_s3_uri

if TYPE_CHECKING:
    from transcribe_medical.models.batch import MedicalTranscriptionJob, StartJobRequest

__all__ = ["DEFAULT_PREFIX", "expected_output_location", "request_output_location", "transcript_location"]

#: The folder Transcribe Medical writes to when no ``OutputKey`` is given.
DEFAULT_PREFIX = "medical/"


def expected_output_location(job_name: str, bucket: str, output_key: str | None = None) -> S3Location:
    """The S3 object a job named ``job_name`` writes its transcript to.

    Example:
        >>> expected_output_location("visit-1", "out").uri
        's3://out/medical/visit-1.json'
        >>> expected_output_location("visit-1", "out", "notes/").uri
        's3://out/notes/visit-1.json'
        >>> expected_output_location("visit-1", "out", "notes/visit.json").uri
        's3://out/notes/visit.json'
        >>> expected_output_location("visit-1", "out", "notes/visit").uri
        's3://out/notes/visit/visit-1.json'
    """
    file_name = f"{job_name}.json"
    if not output_key:
        return S3Location(bucket, DEFAULT_PREFIX + file_name)
    if output_key.endswith(".json"):
        return S3Location(bucket, output_key)
    if output_key.endswith("/"):
        return S3Location(bucket, output_key + file_name)
    return S3Location(bucket, f"{output_key}/{file_name}")


def request_output_location(request: StartJobRequest) -> S3Location:
    """Where the transcript of ``request`` will land."""
    return expected_output_location(request.job_name, request.output_bucket, request.output_key)


def transcript_location(job: MedicalTranscriptionJob, request: StartJobRequest | None = None) -> S3Location | None:
    """The transcript's S3 location: the job's ``TranscriptFileUri``, else computed from ``request``."""
    if job.transcript_uri:
        return parse_s3_uri(job.transcript_uri)
    if request is not None:
        return request_output_location(request)
    return None
