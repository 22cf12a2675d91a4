"""Every change the emulator makes to moto, in one place.

moto 5.2 serves the medical batch API but never transcribes: it writes no output, ignores
``OutputKey``, moves a job one status per ``Get`` call and never fails one (reference §5). While a
listener is registered (the emulator's batch worker), :func:`install` makes a medical job behave
like the service's:

* ``StartMedicalTranscriptionJob`` refuses what the service refuses but moto accepts
  (``LanguageCode`` other than ``en-US``, a ``Specialty`` other than ``PRIMARYCARE``, speaker
  labels together with channel identification, ``MaxSpeakerLabels``/``MaxAlternatives`` without
  their ``Show...`` switch) with ``BadRequestException``, and returns ``TranscriptionJobStatus``;
* the job keeps ``OutputKey``, ``ContentIdentificationType`` and the KMS key from the request;
* its status is set by the worker through :class:`JobHandle` (``QUEUED`` → ``IN_PROGRESS`` →
  ``COMPLETED`` or ``FAILED`` with ``FailureReason``), not by polling;
* ``Get`` returns ``FailureReason`` and ``ContentIdentificationType``; the transcript is written
  to the emulated S3 and ``TranscriptFileUri`` points at it.

A listener is registered for the port of its moto server, so only requests reaching that server
are affected: moto used elsewhere in the process (``mock_aws()`` in tests, another server) behaves
exactly as released. moto's state itself is process-wide, so emulators in one process share their
buckets and jobs.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from transcribe_medical._logging import get_logger

__all__ = [
    "DEFAULT_ACCOUNT_ID",
    "JobHandle",
    "MediaNotFound",
    "MedicalJobRequest",
    "install",
    "medical_vocabulary_exists",
    "medical_vocabulary_text",
    "read_s3_object",
    "register_listener",
    "reset_state",
    "unregister_listener",
]

_log = get_logger("local.moto")

#: moto's default account: everything the emulator holds lives there.
DEFAULT_ACCOUNT_ID = "123456789012"

JobListener = Callable[["JobHandle"], None]

_lock = threading.Lock()
_listeners: list[tuple[int | None, JobListener]] = []
_installed = False
_request_extras = threading.local()


class MediaNotFound(Exception):
    """The media object (or its bucket) does not exist in the emulated S3."""


@dataclass(frozen=True)
class MedicalJobRequest:
    """What a StartMedicalTranscriptionJob call asked for (the worker's input).

    Attributes:
        job_name: ``MedicalTranscriptionJobName``.
        account_id: The (moto) account the job belongs to.
        region: The job's region.
        media_uri: ``Media.MediaFileUri``.
        media_format: ``MediaFormat``, if given.
        sample_rate: ``MediaSampleRateHertz``, if given.
        output_bucket: ``OutputBucketName``.
        output_key: ``OutputKey``, if given.
        settings: ``Settings`` as sent.
        content_identification_type: ``"PHI"`` or ``None``.
        specialty: ``Specialty``.
        type: ``Type``.
    """

    job_name: str
    account_id: str
    region: str
    media_uri: str
    media_format: str | None
    sample_rate: int | None
    output_bucket: str
    output_key: str | None
    settings: dict[str, Any] = field(default_factory=dict)
    content_identification_type: str | None = None
    specialty: str = "PRIMARYCARE"
    type: str = "DICTATION"


class JobHandle:
    """The worker's grip on one emulated job: read its media, then complete or fail it."""

    def __init__(self, request: MedicalJobRequest, job: Any) -> None:
        """Wrap moto's job object; made by the patch, not by users."""
        self.request = request
        self._job = job

    def mark_in_progress(self) -> None:
        """``QUEUED`` → ``IN_PROGRESS`` (and set ``StartTime``)."""
        from moto.core.utils import utcnow

        self._job.start_time = utcnow()
        self._job.status = "IN_PROGRESS"

    def read_object(self, bucket: str, key: str) -> bytes:
        """Read an object from the emulated S3.

        Raises:
            MediaNotFound: The bucket or the key does not exist.
        """
        return read_s3_object(bucket, key, account_id=self.request.account_id)

    def set_detected_media(self, media_format: str, sample_rate: int) -> None:
        """Record what the worker found in the file (returned by ``Get``)."""
        self._job.media_format = media_format
        self._job.media_sample_rate_hertz = sample_rate

    def complete(self, bucket: str, key: str, transcript_json: bytes) -> str:
        """Write the transcript to the emulated S3 and mark the job ``COMPLETED``.

        Returns:
            The ``TranscriptFileUri`` (``https://s3.<region>.amazonaws.com/<bucket>/<key>``).

        Raises:
            MediaNotFound: The output bucket does not exist.
        """
        from moto.core.utils import utcnow

        backend = _s3_backend(self.request.account_id)
        try:
            backend.put_object(bucket, key, transcript_json)
        except Exception as error:
            raise MediaNotFound(f"s3://{bucket}") from error
        uri = f"https://s3.{self.request.region}.amazonaws.com/{bucket}/{key}"
        self._job.transcript = {"TranscriptFileUri": uri}
        self._job.completion_time = utcnow()
        self._job.status = "COMPLETED"
        return uri

    def fail(self, reason: str) -> None:
        """Mark the job ``FAILED`` with ``FailureReason`` = ``reason``."""
        from moto.core.utils import utcnow

        self._job.failure_reason = reason
        self._job.completion_time = utcnow()
        self._job.status = "FAILED"


def _s3_backend(account_id: str) -> Any:
    from moto.s3.models import s3_backends

    return s3_backends[account_id]["aws"]


def read_s3_object(bucket: str, key: str, *, account_id: str = DEFAULT_ACCOUNT_ID) -> bytes:
    """Read an object from the emulated S3.

    Raises:
        MediaNotFound: The bucket or the key does not exist.
    """
    try:
        found = _s3_backend(account_id).get_object(bucket, key)
    except Exception as error:  # moto raises MissingBucket and friends
        raise MediaNotFound(f"s3://{bucket}/{key}") from error
    if found is None:
        raise MediaNotFound(f"s3://{bucket}/{key}")
    return bytes(found.value)


def medical_vocabulary_exists(name: str, *, account_id: str = DEFAULT_ACCOUNT_ID, region: str = "us-east-1") -> bool:
    """Whether moto holds a medical vocabulary called ``name`` (any state)."""
    from moto.transcribe.models import transcribe_backends

    return name in transcribe_backends[account_id][region].medical_vocabularies


def reset_state() -> None:
    """Forget every emulated bucket, object, job and vocabulary (moto's reset)."""
    from moto.moto_api._internal.models import moto_api_backend

    moto_api_backend.reset()


def register_listener(listener: JobListener, port: int | None = None) -> JobListener:
    """Have ``listener`` run the medical jobs started through the moto server on ``port``.

    Args:
        listener: Called with a :class:`JobHandle` for each new job (must not block).
        port: The moto server's port; ``None`` takes jobs from any server-mode request that no
            port-specific listener claims (never from ``mock_aws()``).
    """
    install()
    with _lock:
        _listeners.append((port, listener))
    return listener


def unregister_listener(listener: JobListener) -> None:
    """Stop sending jobs to ``listener``."""
    with _lock:
        _listeners[:] = [(port, known) for port, known in _listeners if known != listener]


def _listener_for(host: str | None) -> JobListener | None:
    """The listener for a request whose Host header is ``host`` (``None`` outside server mode)."""
    if not host or ":" not in host:
        return None
    try:
        port = int(host.rsplit(":", 1)[1])
    except ValueError:
        return None
    with _lock:
        for wanted, listener in reversed(_listeners):
            if wanted == port:
                return listener
        for wanted, listener in reversed(_listeners):
            if wanted is None:
                return listener
    return None


def _emulated_job_class() -> type:
    from moto.transcribe.models import FakeMedicalTranscriptionJob

    class EmulatedMedicalTranscriptionJob(FakeMedicalTranscriptionJob):
        """A medical job whose status the emulator's worker sets (see the module notes)."""

        @property
        def status(self) -> str | None:
            return self.__dict__.get("_emulated_status", "QUEUED")  # type: ignore[no-any-return]

        @status.setter
        def status(self, value: str) -> None:
            self.__dict__["_emulated_status"] = value

        def advance(self) -> None:
            """Statuses move when the worker says so, not when someone polls."""

        def gen_response_object(self) -> dict[str, Any]:
            hidden = ("_emulated_status", "_emulator_extras")
            return {
                key: value
                for key, value in super().gen_response_object().items()
                if key not in ("EmulatedStatus", "EmulatorExtras") and key not in hidden
            }

        def response_object(self, response_type: str) -> dict[str, Any]:  # type: ignore[override]
            response: dict[str, Any] = super().response_object(response_type)
            body = response.get("MedicalTranscriptionJob", response)
            extras: dict[str, Any] = self.__dict__.get("_emulator_extras", {})
            if response_type != "LIST":
                if self.status == "FAILED" and self.failure_reason:
                    body["FailureReason"] = self.failure_reason
                if self.status != "COMPLETED":
                    body.pop("Transcript", None)
                if self.status not in ("COMPLETED", "FAILED"):
                    body.pop("CompletionTime", None)
                if extras.get("ContentIdentificationType"):
                    body["ContentIdentificationType"] = extras["ContentIdentificationType"]
                if extras.get("Tags") and response_type == "GET":
                    body["Tags"] = extras["Tags"]
                if response_type == "CREATE":
                    body["TranscriptionJobStatus"] = self.status
                    body.pop("StartTime", None)
            else:
                if extras.get("ContentIdentificationType"):
                    body["ContentIdentificationType"] = extras["ContentIdentificationType"]
            return response

    return EmulatedMedicalTranscriptionJob


def _validate_start(params: dict[str, Any]) -> None:
    from moto.transcribe.exceptions import BadRequestException

    language = params.get("LanguageCode")
    if language != "en-US":
        raise BadRequestException(
            message=f"The language code {language} isn't supported for medical transcription. Use en-US."
        )
    specialty = params.get("Specialty")
    if specialty != "PRIMARYCARE":
        raise BadRequestException(
            message=f"The specialty {specialty} isn't supported for batch medical transcription. Use PRIMARYCARE."
        )
    settings = params.get("Settings") or {}
    if settings.get("ShowSpeakerLabels") and settings.get("ChannelIdentification"):
        raise BadRequestException(
            message="You can't use ShowSpeakerLabels and ChannelIdentification in the same request. "
            "Choose one and try again."
        )
    if settings.get("ShowSpeakerLabels") and not settings.get("MaxSpeakerLabels"):
        raise BadRequestException(message="When ShowSpeakerLabels is true, you must also set MaxSpeakerLabels.")
    if settings.get("MaxSpeakerLabels") and not settings.get("ShowSpeakerLabels"):
        raise BadRequestException(message="MaxSpeakerLabels requires ShowSpeakerLabels to be true.")
    if settings.get("ShowAlternatives") and not settings.get("MaxAlternatives"):
        raise BadRequestException(message="When ShowAlternatives is true, you must also set MaxAlternatives.")
    if settings.get("MaxAlternatives") and not settings.get("ShowAlternatives"):
        raise BadRequestException(message="MaxAlternatives requires ShowAlternatives to be true.")
    if not (params.get("Media") or {}).get("MediaFileUri"):
        raise BadRequestException(message="Media.MediaFileUri is required.")


def install() -> None:
    """Patch moto (idempotent). Jobs change behaviour only while a listener is registered."""
    global _installed
    with _lock:
        if _installed:
            return
        _installed = True
    from moto.transcribe.models import TranscribeBackend
    from moto.transcribe.responses import TranscribeResponse

    job_class = _emulated_job_class()
    original_response: Callable[..., Any] = TranscribeResponse.start_medical_transcription_job
    original_backend: Callable[..., Any] = TranscribeBackend.start_medical_transcription_job

    def start_response(self: Any) -> Any:
        listener = _listener_for(self.headers.get("Host"))
        if listener is None:
            return original_response(self)
        names = ("LanguageCode", "Specialty", "Settings", "Media", "OutputKey", "ContentIdentificationType",
                 "Tags", "KMSEncryptionContext", "OutputEncryptionKMSKeyId")
        params = {name: self._get_param(name) for name in names}
        _validate_start(params)
        _request_extras.value = params
        _request_extras.listener = listener
        try:
            return original_response(self)
        finally:
            _request_extras.value = None
            _request_extras.listener = None

    def start_backend(self: Any, **kwargs: Any) -> Any:
        response = original_backend(self, **kwargs)
        listener = getattr(_request_extras, "listener", None)
        extras = getattr(_request_extras, "value", None)
        if listener is None or extras is None:
            return response
        name = kwargs["medical_transcription_job_name"]
        job = self.medical_transcriptions[name]
        job.__class__ = job_class
        job.__dict__["_emulator_extras"] = {k: v for k, v in extras.items() if v is not None}
        job.status = "QUEUED"
        request = MedicalJobRequest(
            job_name=name,
            account_id=self.account_id,
            region=self.region_name,
            media_uri=(kwargs.get("media") or {}).get("MediaFileUri", ""),
            media_format=kwargs.get("media_format"),
            sample_rate=kwargs.get("media_sample_rate_hertz"),
            output_bucket=kwargs["output_bucket_name"],
            output_key=extras.get("OutputKey"),
            settings=dict(kwargs.get("settings") or {}),
            content_identification_type=extras.get("ContentIdentificationType"),
            specialty=kwargs.get("specialty") or "PRIMARYCARE",
            type=kwargs.get("type_") or "DICTATION",
        )
        try:
            listener(JobHandle(request, job))
        except Exception:
            _log.exception("the emulator could not queue job %s", name)
            JobHandle(request, job).fail("Internal failure: the emulator could not queue the job.")
        return job.response_object("CREATE")

    TranscribeResponse.start_medical_transcription_job = start_response  # type: ignore[method-assign]
    TranscribeBackend.start_medical_transcription_job = start_backend  # type: ignore[method-assign, assignment]
    _log.debug("moto patched for the emulator at %s", datetime.now().isoformat(timespec="seconds"))


def medical_vocabulary_text(
    name: str, *, account_id: str = DEFAULT_ACCOUNT_ID, region: str = "us-east-1"
) -> str | None:
    """The text of the file a medical vocabulary was created from, read from emulated S3.

    ``None`` when the vocabulary does not exist, or its file is not an ``s3://`` object the
    emulator holds.
    """
    from moto.transcribe.models import transcribe_backends

    vocabulary = transcribe_backends[account_id][region].medical_vocabularies.get(name)
    uri = getattr(vocabulary, "vocabulary_file_uri", None) if vocabulary is not None else None
    if not uri:
        return None
    from transcribe_medical._exceptions import ValidationError
    from transcribe_medical.batch.s3 import parse_s3_uri

    try:
        location = parse_s3_uri(uri)
        data = read_s3_object(location.bucket, location.key, account_id=account_id)
    except (ValidationError, MediaNotFound):
        return None
    return data.decode("utf-8", errors="replace")
