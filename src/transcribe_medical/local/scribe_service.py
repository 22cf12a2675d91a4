"""The emulator's AWS HealthScribe batch API: a WSGI layer in front of moto, which has none of it.

:class:`ScribeServiceLayer` answers, by ``X-Amz-Target: Transcribe.<Operation>``, the HealthScribe
job operations and the vocabulary-filter operations from its own stores, and passes every other
request on untouched:

* ``StartMedicalScribeJob``, ``GetMedicalScribeJob``, ``ListMedicalScribeJobs``,
  ``DeleteMedicalScribeJob`` (records: :mod:`~transcribe_medical.local.scribe_jobs`; the work:
  :mod:`~transcribe_medical.local.scribe_worker`);
* ``CreateVocabularyFilter``, ``GetVocabularyFilter``, ``ListVocabularyFilters``,
  ``UpdateVocabularyFilter``, ``DeleteVocabularyFilter``
  (:mod:`~transcribe_medical.local.vocabulary_filters`).

Requests are checked against botocore's model (lengths, patterns, enums, ranges: one
``BadRequestException`` listing every violation, worded as AWS words them) and then against the
rules AWS documents across members: exactly one of ``ShowSpeakerLabels`` / ``ChannelIdentification``;
``MaxSpeakerLabels`` with speaker labels only; ``ChannelDefinitions`` (one ``CLINICIAN``, one
``PATIENT``, channels 0 and 1) exactly when channel identification is on; a
``VocabularyFilterMethod`` with a ``VocabularyFilterName`` and back, naming a filter that exists;
``Words`` or ``VocabularyFilterFileUri`` but not both. Those cross-member messages are the
emulator's words (AWS publishes the rules, not the messages).

A vocabulary filter's ``DownloadUri`` is served by this layer itself
(``GET /_emulator/vocabulary-filters/<region>/<name>``: the words, one per line).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import quote, unquote

from transcribe_medical._logging import get_logger
from transcribe_medical.local.aws_constraints import Member, check, validation_error
from transcribe_medical.local.aws_json import (
    AwsError,
    Handler,
    JsonRequest,
    JsonServiceLayer,
    StartResponse,
    error_response,
)
from transcribe_medical.local.clinical_note import NOTE_TEMPLATES
from transcribe_medical.local.medical_jobs import (
    DEFAULT_ACCOUNT_ID,
    DEFAULT_PAGE_SIZE,
    JOB_STATUSES,
    NAME_PATTERN,
    URI_PATTERN,
    check_tags,
    decode_token,
    encode_token,
)
from transcribe_medical.local.scribe_jobs import ScribeJobHandle, ScribeJobRequest, ScribeJobStore
from transcribe_medical.local.vocabulary_filters import FilterStore, parse_filter_file

if TYPE_CHECKING:
    from transcribe_medical.local.emulated_s3 import EmulatedS3
    from transcribe_medical.local.recognizers.interface import Recognizer
    from transcribe_medical.local.scribe_worker import ScribeWorker
    from transcribe_medical.local.vocabulary import Vocabulary

__all__ = ["DOWNLOAD_PATH", "ScribeServiceLayer"]

_log = get_logger("local.scribe")

#: Where the layer serves vocabulary filters' words (``DownloadUri``).
DOWNLOAD_PATH: Final = "/_emulator/vocabulary-filters/"

_ROLE_PATTERN: Final = (
    r"^arn:(aws|aws-cn|aws-us-gov|aws-iso-{0,1}[a-z]{0,1}):iam::[0-9]{0,63}:role/[A-Za-z0-9:_/+=,@.-]{0,1024}$"
)
_KMS_PATTERN: Final = r"^[A-Za-z0-9][A-Za-z0-9:_/+=,@.-]{0,2048}$"
_BUCKET_PATTERN: Final = r"[a-z0-9][\.\-a-z0-9]{1,61}[a-z0-9]"
_CONTEXT_PATTERN: Final = r"^[\x20-\x7E]+$"

_START: Final = (
    Member(("MedicalScribeJobName",), required=True, min=1, max=200, pattern=NAME_PATTERN),
    Member(("Media",), "structure", required=True),
    Member(("Media", "MediaFileUri"), min=1, max=2000, pattern=URI_PATTERN),
    Member(("Media", "RedactedMediaFileUri"), min=1, max=2000, pattern=URI_PATTERN),
    Member(("OutputBucketName",), required=True, max=64, pattern=_BUCKET_PATTERN),
    Member(("OutputEncryptionKMSKeyId",), min=1, max=2048, pattern=_KMS_PATTERN),
    Member(("KMSEncryptionContext",), "map", min=1, max=10),
    Member(("DataAccessRoleArn",), required=True, min=20, max=2048, pattern=_ROLE_PATTERN),
    Member(("Settings",), "structure", required=True),
    Member(("Settings", "ShowSpeakerLabels"), "boolean"),
    Member(("Settings", "MaxSpeakerLabels"), "integer", min=2, max=30),
    Member(("Settings", "ChannelIdentification"), "boolean"),
    Member(("Settings", "VocabularyName"), min=1, max=200, pattern=NAME_PATTERN),
    Member(("Settings", "VocabularyFilterName"), min=1, max=200, pattern=NAME_PATTERN),
    Member(("Settings", "VocabularyFilterMethod"), enum=("remove", "mask", "tag")),
    Member(("Settings", "ClinicalNoteGenerationSettings"), "structure"),
    Member(("Settings", "ClinicalNoteGenerationSettings", "NoteTemplate"), enum=NOTE_TEMPLATES),
    Member(("ChannelDefinitions",), "list", min=2, max=2),
    Member(("Tags",), "list", min=1, max=200),
    Member(("MedicalScribeContext",), "structure"),
    Member(("MedicalScribeContext", "PatientContext"), "structure"),
    Member(("MedicalScribeContext", "PatientContext", "Pronouns"), enum=("HE_HIM", "SHE_HER", "THEY_THEM")),
)
_CHANNEL: Final = (
    Member(("ChannelId",), "integer", required=True, min=0, max=1),
    Member(("ParticipantRole",), required=True, enum=("PATIENT", "CLINICIAN")),
)
_JOB_NAME: Final = (Member(("MedicalScribeJobName",), required=True, min=1, max=200, pattern=NAME_PATTERN),)
_PAGE: Final = (Member(("NextToken",), max=8192, pattern=".+"), Member(("MaxResults",), "integer", min=1, max=100))
_LIST_JOBS: Final = (
    Member(("Status",), enum=JOB_STATUSES),
    Member(("JobNameContains",), min=1, max=200, pattern=NAME_PATTERN),
    *_PAGE,
)
_FILTER_NAME: Final = (Member(("VocabularyFilterName",), required=True, min=1, max=200, pattern=NAME_PATTERN),)
_FILTER_BODY: Final = (
    *_FILTER_NAME,
    Member(("Words",), "list", min=1),
    Member(("VocabularyFilterFileUri",), min=1, max=2000, pattern=URI_PATTERN),
    Member(("DataAccessRoleArn",), min=20, max=2048, pattern=_ROLE_PATTERN),
    Member(("EncryptionConfiguration",), "structure"),
    Member(("EncryptionConfiguration", "KMSKey"), min=1, max=2048, pattern=_KMS_PATTERN),
    Member(("EncryptionConfiguration", "KMSEncryptionContext"), "map", min=1, max=10),
)
_LIST_FILTERS: Final = (*_PAGE, Member(("NameContains",), min=1, max=200, pattern=NAME_PATTERN))

_language_codes: tuple[str, ...] | None = None


def _all_language_codes() -> tuple[str, ...]:
    """The ``LanguageCode`` enum of botocore's Transcribe model (read once)."""
    global _language_codes
    if _language_codes is None:
        import botocore.session

        model = botocore.session.get_session().get_service_model("transcribe")
        shape: Any = model.shape_for("LanguageCode")  # a StringShape, which has .enum
        _language_codes = tuple(shape.enum)
    return _language_codes


def _bad_request(message: str) -> AwsError:
    return AwsError("BadRequestException", message)


def _item_problems(items: Any, members: Iterable[Member], name: str) -> list[str]:
    """Violations inside list items, named ``name.N.member.field`` as AWS names them."""
    problems: list[str] = []
    if not isinstance(items, list):
        return problems
    for index, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            problems.append(
                f"Value '{item}' at '{name}.{index}.member' failed to satisfy constraint: "
                "Member must be of type structure"
            )
            continue
        problems.extend(p.replace(" at '", f" at '{name}.{index}.member.", 1) for p in check(item, members))
    return problems


def _context_problems(context: Any, name: str) -> list[str]:
    problems: list[str] = []
    if not isinstance(context, dict):
        return problems
    for key, value in context.items():
        for part, shown in ((key, "key"), (value, "value")):
            text = part if isinstance(part, str) else ""
            if not 1 <= len(text) <= 2000 or not all(0x20 <= ord(ch) <= 0x7E for ch in text):
                problems.append(
                    f"Value '{part}' at '{name}' failed to satisfy constraint: Map {shown} must "
                    f"satisfy constraint: [Member must have length less than or equal to 2000, Member "
                    f"must have length greater than or equal to 1, Member must satisfy regular "
                    f"expression pattern: {_CONTEXT_PATTERN}]"
                )
    return problems


def _validated(params: dict[str, Any], members: tuple[Member, ...]) -> dict[str, Any]:
    problems = check(params, members)
    if problems:
        raise validation_error(problems)
    return params


def _check_channels(definitions: list[dict[str, Any]]) -> None:
    ids = sorted(int(item["ChannelId"]) for item in definitions)
    roles = sorted(str(item["ParticipantRole"]) for item in definitions)
    if ids != [0, 1]:
        raise _bad_request("ChannelDefinitions must define channel 0 and channel 1, one each.")
    if roles != ["CLINICIAN", "PATIENT"]:
        raise _bad_request(
            "ChannelDefinitions must give one channel the CLINICIAN role and the other the PATIENT role."
        )


class ScribeServiceLayer(JsonServiceLayer):
    """Answers the HealthScribe job and vocabulary-filter operations; everything else passes on.

    Args:
        region: The region of requests whose signature names none.
        account_id: The emulator's account (a role of another account fails jobs).
        recognizer: Returns the recognizer (the emulator's); with ``s3``, jobs really run (they
            stay ``QUEUED`` without). Settable until the first job.
        s3: Returns the emulated S3 client (filter files are read, outputs written through it).
        vocabulary: ``(region, name)`` → a custom vocabulary the jobs apply, or ``None``.
        vocabulary_exists: ``(region, name)`` → whether ``Settings.VocabularyName`` names a usable
            vocabulary (``None``: not checked).
        max_workers: Jobs run at once.

    Attributes:
        jobs: The job store.
        filters: The vocabulary-filter store.
        worker: The worker running jobs (made with the first job; ``None`` before and after :meth:`close`).
    """

    service = "Transcribe"

    def __init__(
        self,
        *,
        region: str = "us-east-1",
        account_id: str = DEFAULT_ACCOUNT_ID,
        recognizer: Callable[[], Recognizer] | None = None,
        s3: Callable[[], EmulatedS3] | None = None,
        vocabulary: Callable[[str, str], Vocabulary | None] | None = None,
        vocabulary_exists: Callable[[str, str], bool] | None = None,
        max_workers: int = 1,
    ) -> None:
        super().__init__()
        self.region = region
        self.account_id = account_id
        self.recognizer = recognizer
        self.s3 = s3
        self.vocabulary = vocabulary
        self.vocabulary_exists = vocabulary_exists
        self.max_workers = max_workers
        self.jobs = ScribeJobStore()
        self.filters = FilterStore()
        self.worker: ScribeWorker | None = None

    def handlers(self) -> Mapping[str, Handler]:
        """The nine HealthScribe and vocabulary-filter operations."""
        return {
            "StartMedicalScribeJob": self._start_job,
            "GetMedicalScribeJob": self._get_job,
            "ListMedicalScribeJobs": self._list_jobs,
            "DeleteMedicalScribeJob": self._delete_job,
            "CreateVocabularyFilter": self._create_filter,
            "GetVocabularyFilter": self._get_filter,
            "ListVocabularyFilters": self._list_filters,
            "UpdateVocabularyFilter": self._update_filter,
            "DeleteVocabularyFilter": self._delete_filter,
        }

    def reset(self) -> None:
        """Forget every job and filter (running jobs finish unseen)."""
        self.jobs.clear()
        self.filters.clear()

    def drain(self, timeout: float | None = None) -> None:
        """Wait until every job started so far has finished."""
        if self.worker is not None:
            self.worker.drain(timeout)

    def close(self) -> None:
        """Stop the worker (jobs in progress finish first); a later job starts a new one."""
        with self.lock:
            worker, self.worker = self.worker, None
        if worker is not None:
            worker.stop()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        """Serve a filter's ``DownloadUri``, or a JSON request (see :class:`JsonServiceLayer`)."""
        path = str(environ.get("PATH_INFO") or "")
        if path.startswith(DOWNLOAD_PATH) and environ.get("REQUEST_METHOD") == "GET":
            return self._download(path[len(DOWNLOAD_PATH) :], start_response)
        return super().__call__(environ, start_response)

    def _region(self, request: JsonRequest) -> str:
        return request.region or self.region

    # ------------------------------------------------------------------ jobs

    def _validate_start(self, params: dict[str, Any], region: str) -> None:
        problems = (
            check(params, _START)
            + _item_problems(params.get("ChannelDefinitions"), _CHANNEL, "channelDefinitions")
            + check_tags(params.get("Tags"))
            + _context_problems(params.get("KMSEncryptionContext"), "kMSEncryptionContext")
        )
        if problems:
            raise validation_error(problems)
        settings: dict[str, Any] = params["Settings"]
        speakers = bool(settings.get("ShowSpeakerLabels"))
        channels = bool(settings.get("ChannelIdentification"))
        if speakers and channels:
            raise _bad_request(
                "You can't use ShowSpeakerLabels and ChannelIdentification in the same request. "
                "Choose one and try again."
            )
        if not speakers and not channels:
            raise _bad_request("Settings must set exactly one of ShowSpeakerLabels or ChannelIdentification to true.")
        if speakers and settings.get("MaxSpeakerLabels") is None:
            raise _bad_request("When ShowSpeakerLabels is true, you must also set MaxSpeakerLabels.")
        if not speakers and settings.get("MaxSpeakerLabels") is not None:
            raise _bad_request("MaxSpeakerLabels requires ShowSpeakerLabels to be true.")
        definitions = params.get("ChannelDefinitions")
        if channels and not definitions:
            raise _bad_request("When ChannelIdentification is true, you must also set ChannelDefinitions.")
        if definitions and not channels:
            raise _bad_request("ChannelDefinitions requires ChannelIdentification to be true.")
        if definitions:
            _check_channels(definitions)
        if not params["Media"].get("MediaFileUri"):
            raise _bad_request("Media.MediaFileUri is required.")
        filter_name = settings.get("VocabularyFilterName")
        method = settings.get("VocabularyFilterMethod")
        if filter_name and not method:
            raise _bad_request("When VocabularyFilterName is set, you must also set VocabularyFilterMethod.")
        if method and not filter_name:
            raise _bad_request("VocabularyFilterMethod requires VocabularyFilterName.")
        if filter_name and not self.filters.exists(region, filter_name):
            raise _bad_request(
                "The requested vocabulary filter couldn't be found. Check the vocabulary filter "
                "name and try your request again."
            )
        vocabulary = settings.get("VocabularyName")
        if vocabulary and self.vocabulary_exists is not None and not self.vocabulary_exists(region, vocabulary):
            raise _bad_request(
                "The requested vocabulary couldn't be found. Check the vocabulary name and try your request again."
            )

    def _start_job(self, request: JsonRequest) -> dict[str, Any]:
        params = request.params
        region = self._region(request)
        self._validate_start(params, region)
        job = ScribeJobRequest.from_params(params, account_id=self.account_id, region=region)
        handle = self.jobs.add(job, params.get("Tags"))
        body = handle.describe()
        self._run(handle)
        return {"MedicalScribeJob": body}

    def _run(self, handle: ScribeJobHandle) -> None:
        if self.recognizer is None or self.s3 is None:
            return
        try:
            with self.lock:
                if self.worker is None:
                    from transcribe_medical.local.scribe_worker import ScribeWorker

                    self.worker = ScribeWorker(
                        self.recognizer, self.s3, self.filters, vocabulary=self.vocabulary, max_workers=self.max_workers
                    )
                self.worker.submit(handle)
        except Exception:
            _log.exception("the emulator could not queue a HealthScribe job")
            handle.fail("Internal failure: the emulator could not queue the job.")

    def _get_job(self, request: JsonRequest) -> dict[str, Any]:
        name = _validated(request.params, _JOB_NAME)["MedicalScribeJobName"]
        body = self.jobs.describe(self._region(request), name)
        if body is None:
            raise AwsError(
                "NotFoundException",
                "The requested job couldn't be found. Check the job name and try your request again.",
                404,
            )
        return {"MedicalScribeJob": body}

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
        body["MedicalScribeJobSummaries"] = summaries
        return body

    def _delete_job(self, request: JsonRequest) -> dict[str, Any]:
        name = _validated(request.params, _JOB_NAME)["MedicalScribeJobName"]
        if not self.jobs.delete(self._region(request), name):
            # The model lists no NotFoundException for this operation: a missing job is a bad request.
            raise _bad_request("The requested job couldn't be found. Check the job name and try your request again.")
        return {}

    # ------------------------------------------------------------------ vocabulary filters

    def _filter_words(self, params: dict[str, Any]) -> list[str]:
        problems = (
            check(params, _FILTER_BODY)
            + _item_problems(
                [{"Word": word} for word in params["Words"]] if isinstance(params.get("Words"), list) else None,
                (Member(("Word",), required=True, min=1, max=256),),
                "words",
            )
            + check_tags(params.get("Tags"))
        )
        if problems:
            raise validation_error([p.replace(".member.word'", ".member'") for p in problems])
        words, uri = params.get("Words"), params.get("VocabularyFilterFileUri")
        if words and uri:
            raise _bad_request("Either Words or VocabularyFilterFileUri can be specified, but not both.")
        if not words and not uri:
            raise _bad_request("You must specify either Words or VocabularyFilterFileUri.")
        if words:
            return [str(word) for word in words]
        return self._read_filter_file(str(uri))

    def _read_filter_file(self, uri: str) -> list[str]:
        from transcribe_medical.local.emulated_s3 import ObjectNotFound

        if self.s3 is None:
            raise _bad_request("The emulator has no S3 to read VocabularyFilterFileUri from.")
        try:
            data = self.s3().read_uri(uri, limit=50 * 1024)
        except ObjectNotFound:
            raise _bad_request(
                "The S3 URI that you provided can't be accessed. Make sure that you have read "
                "permission and that the object exists, then try your request again."
            ) from None
        entries = parse_filter_file(data.decode("utf-8", errors="replace"))
        if not entries:
            raise _bad_request("The vocabulary filter file is empty. Add one word or phrase per line.")
        return entries

    def _create_filter(self, request: JsonRequest) -> dict[str, Any]:
        params = request.params
        problems = check(params, (Member(("LanguageCode",), required=True, enum=_all_language_codes()),))
        if problems:
            raise validation_error(problems)
        return self.filters.create(self._region(request), params, self._filter_words(params))

    def _update_filter(self, request: JsonRequest) -> dict[str, Any]:
        params = request.params
        region = self._region(request)
        _validated(params, _FILTER_NAME)
        self.filters.get(region, params["VocabularyFilterName"])  # NotFoundException before the body's checks
        return self.filters.update(region, params, self._filter_words(params))

    def _get_filter(self, request: JsonRequest) -> dict[str, Any]:
        name = _validated(request.params, _FILTER_NAME)["VocabularyFilterName"]
        region = self._region(request)
        record = self.filters.get(region, name)
        host = str(request.environ.get("HTTP_HOST") or "127.0.0.1")
        return record.describe(f"http://{host}{DOWNLOAD_PATH}{quote(region)}/{quote(name)}")

    def _list_filters(self, request: JsonRequest) -> dict[str, Any]:
        params = _validated(request.params, _LIST_FILTERS)
        token = params.get("NextToken")
        summaries, more = self.filters.page(
            self._region(request),
            name_contains=params.get("NameContains"),
            before=decode_token(token) if token is not None else None,
            size=params.get("MaxResults") or DEFAULT_PAGE_SIZE,
        )
        body: dict[str, Any] = {}
        if more is not None:
            body["NextToken"] = encode_token(more)
        body["VocabularyFilters"] = summaries
        return body

    def _delete_filter(self, request: JsonRequest) -> dict[str, Any]:
        name = _validated(request.params, _FILTER_NAME)["VocabularyFilterName"]
        self.filters.delete(self._region(request), name)
        return {}

    def _download(self, rest: str, start_response: StartResponse) -> list[bytes]:
        region, _, name = rest.partition("/")
        try:
            words = self.filters.get(unquote(region), unquote(name)).words
        except AwsError as error:
            return error_response(start_response, error)
        data = ("\n".join(words) + "\n").encode()
        start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(data)))])
        return [data]
