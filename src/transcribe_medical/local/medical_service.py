"""The emulator's Transcribe Medical batch API: a WSGI layer in front of moto that answers it.

moto serves S3 and the rest of Transcribe, but for medical jobs and vocabularies it writes no
output, never fails a job, checks almost nothing, moves a job one status per poll and lacks
``UpdateMedicalVocabulary`` (reference §5). :class:`MedicalTranscribeLayer` therefore answers
these nine operations itself (by ``X-Amz-Target``), from its own stores, and passes every other
request to moto untouched:

* ``StartMedicalTranscriptionJob``, ``GetMedicalTranscriptionJob``,
  ``ListMedicalTranscriptionJobs``, ``DeleteMedicalTranscriptionJob``
  (:mod:`~transcribe_medical.local.medical_jobs`);
* ``CreateMedicalVocabulary``, ``GetMedicalVocabulary``, ``ListMedicalVocabularies``,
  ``UpdateMedicalVocabulary``, ``DeleteMedicalVocabulary``
  (:mod:`~transcribe_medical.local.medical_vocabularies`).

A started job or a created/updated vocabulary is handed to ``on_job`` / ``on_vocabulary`` (the
emulator's batch worker), which does the work and sets the outcome through the handle; without
them jobs stay ``QUEUED`` and vocabularies ``PENDING``. Errors are AWS JSON errors with the
service's codes and HTTP statuses (``BadRequestException`` 400, ``NotFoundException`` 404,
``ConflictException`` 409), so clients show the message as sent.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from transcribe_medical._logging import get_logger
from transcribe_medical.local.aws_constraints import Member, check, validation_error
from transcribe_medical.local.aws_json import AwsError, Handler, JsonRequest, JsonServiceLayer
from transcribe_medical.local.medical_jobs import (
    DEFAULT_ACCOUNT_ID,
    DEFAULT_PAGE_SIZE,
    JOB_STATUSES,
    NAME_PATTERN,
    JobHandle,
    JobStore,
    MedicalJobRequest,
    decode_token,
    encode_token,
    validate_start,
)
from transcribe_medical.local.medical_vocabularies import (
    VOCABULARY_STATES,
    VocabularyHandle,
    VocabularyStore,
    validate_vocabulary_request,
)

__all__ = ["MedicalTranscribeLayer"]

_log = get_logger("local.medical")

_NAME = (Member(("MedicalTranscriptionJobName",), required=True, min=1, max=200, pattern=NAME_PATTERN),)
_VOCABULARY_NAME = (Member(("VocabularyName",), required=True, min=1, max=200, pattern=NAME_PATTERN),)
_PAGE = (Member(("NextToken",), max=8192, pattern=".+"), Member(("MaxResults",), "integer", min=1, max=100))
_LIST_JOBS = (
    Member(("Status",), enum=JOB_STATUSES),
    Member(("JobNameContains",), min=1, max=200, pattern=NAME_PATTERN),
    *_PAGE,
)
_LIST_VOCABULARIES = (
    Member(("StateEquals",), enum=VOCABULARY_STATES),
    Member(("NameContains",), min=1, max=200, pattern=NAME_PATTERN),
    *_PAGE,
)


def _validated(params: dict[str, Any], members: tuple[Member, ...]) -> dict[str, Any]:
    problems = check(params, members)
    if problems:
        raise validation_error(problems)
    return params


class MedicalTranscribeLayer(JsonServiceLayer):
    """Answers the medical job and vocabulary operations; everything else goes to moto.

    Args:
        region: The region of requests whose signature names none.
        account_id: The account of every job (written into transcript files).
        on_job: Runs each started job (must not block).
        on_vocabulary: Processes each created or updated vocabulary (must not block).

    Attributes:
        jobs: The job store.
        vocabularies: The vocabulary store.
    """

    service = "Transcribe"

    def __init__(
        self,
        *,
        region: str = "us-east-1",
        account_id: str = DEFAULT_ACCOUNT_ID,
        on_job: Callable[[JobHandle], None] | None = None,
        on_vocabulary: Callable[[VocabularyHandle], None] | None = None,
    ) -> None:
        super().__init__()
        self.region = region
        self.account_id = account_id
        self.on_job = on_job
        self.on_vocabulary = on_vocabulary
        self.jobs = JobStore()
        self.vocabularies = VocabularyStore()

    def handlers(self) -> Mapping[str, Handler]:
        """The nine medical operations."""
        return {
            "StartMedicalTranscriptionJob": self._start_job,
            "GetMedicalTranscriptionJob": self._get_job,
            "ListMedicalTranscriptionJobs": self._list_jobs,
            "DeleteMedicalTranscriptionJob": self._delete_job,
            "CreateMedicalVocabulary": self._create_vocabulary,
            "GetMedicalVocabulary": self._get_vocabulary,
            "ListMedicalVocabularies": self._list_vocabularies,
            "UpdateMedicalVocabulary": self._update_vocabulary,
            "DeleteMedicalVocabulary": self._delete_vocabulary,
        }

    def reset(self) -> None:
        """Forget every job and vocabulary (running jobs finish unseen)."""
        self.jobs.clear()
        self.vocabularies.clear()

    def _region(self, request: JsonRequest) -> str:
        return request.region or self.region

    # ------------------------------------------------------------------ jobs

    def _start_job(self, request: JsonRequest) -> dict[str, Any]:
        params = request.params
        region = self._region(request)
        settings = params.get("Settings")
        vocabulary = settings.get("VocabularyName") if isinstance(settings, dict) else None
        state = self.vocabularies.state(region, vocabulary) if isinstance(vocabulary, str) else None
        validate_start(params, state)
        job = MedicalJobRequest.from_params(params, account_id=self.account_id, region=region)
        handle = self.jobs.add(job, params)
        body = handle.describe()
        if self.on_job is None:
            return {"MedicalTranscriptionJob": body}
        try:
            self.on_job(handle)
        except Exception:
            _log.exception("the emulator could not queue a job")
            handle.fail("Internal failure: the emulator could not queue the job.")
        return {"MedicalTranscriptionJob": body}

    def _get_job(self, request: JsonRequest) -> dict[str, Any]:
        name = _validated(request.params, _NAME)["MedicalTranscriptionJobName"]
        body = self.jobs.describe(self._region(request), name)
        if body is None:
            raise AwsError(
                "NotFoundException",
                "The requested job couldn't be found. Check the job name and try your request again.",
                404,
            )
        return {"MedicalTranscriptionJob": body}

    def _list_jobs(self, request: JsonRequest) -> dict[str, Any]:
        params = _validated(request.params, _LIST_JOBS)
        token = params.get("NextToken")
        summaries, more = self.jobs.page(
            self._region(request),
            status=params.get("Status"),
            name_contains=params.get("JobNameContains"),
            before=decode_token(token) if token is not None else None,
            size=params.get("MaxResults") or DEFAULT_PAGE_SIZE,
        )
        body: dict[str, Any] = {}
        if params.get("Status"):
            body["Status"] = params["Status"]
        if more is not None:
            body["NextToken"] = encode_token(more)
        body["MedicalTranscriptionJobSummaries"] = summaries
        return body

    def _delete_job(self, request: JsonRequest) -> dict[str, Any]:
        name = _validated(request.params, _NAME)["MedicalTranscriptionJobName"]
        if not self.jobs.delete(self._region(request), name):
            # The service documents BadRequestException (not NotFound) for a job that is not there.
            raise AwsError(
                "BadRequestException",
                "The requested job couldn't be found. Check the job name and try your request again.",
            )
        return {}

    # ------------------------------------------------------------------ vocabularies

    def _process(self, handle: VocabularyHandle) -> None:
        if self.on_vocabulary is None:
            return
        try:
            self.on_vocabulary(handle)
        except Exception:
            _log.exception("the emulator could not queue a vocabulary")
            handle.fail("Internal failure: the emulator could not process the vocabulary.")

    def _create_vocabulary(self, request: JsonRequest) -> dict[str, Any]:
        validate_vocabulary_request(request.params)
        body, handle = self.vocabularies.create(self._region(request), request.params)
        self._process(handle)
        return body

    def _update_vocabulary(self, request: JsonRequest) -> dict[str, Any]:
        validate_vocabulary_request(request.params)
        body, handle = self.vocabularies.update(self._region(request), request.params)
        self._process(handle)
        return body

    def _get_vocabulary(self, request: JsonRequest) -> dict[str, Any]:
        name = _validated(request.params, _VOCABULARY_NAME)["VocabularyName"]
        return self.vocabularies.describe(self._region(request), name)

    def _list_vocabularies(self, request: JsonRequest) -> dict[str, Any]:
        params = _validated(request.params, _LIST_VOCABULARIES)
        token = params.get("NextToken")
        summaries, more = self.vocabularies.page(
            self._region(request),
            state=params.get("StateEquals"),
            name_contains=params.get("NameContains"),
            before=decode_token(token) if token is not None else None,
            size=params.get("MaxResults") or DEFAULT_PAGE_SIZE,
        )
        body: dict[str, Any] = {}
        if params.get("StateEquals"):
            body["Status"] = params["StateEquals"]
        if more is not None:
            body["NextToken"] = encode_token(more)
        body["Vocabularies"] = summaries
        return body

    def _delete_vocabulary(self, request: JsonRequest) -> dict[str, Any]:
        name = _validated(request.params, _VOCABULARY_NAME)["VocabularyName"]
        self.vocabularies.delete(self._region(request), name)
        return {}
