"""client.scribe.jobs and client.vocabulary_filters against botocore's Stubber: what is sent, what is read."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from io import BytesIO
from typing import Any

import pytest
from botocore.response import StreamingBody
from botocore.stub import ANY, Stubber

from scribe.support import CHANNELS, ROLE_ARN, aws_example
from transcribe_medical import (
    AsyncTranscribeMedical,
    ClientConfig,
    ConflictError,
    JobStatus,
    NotFoundError,
    RetryPolicy,
    ScribeSettings,
    StartScribeJobRequest,
    TimeoutError,
    TranscribeMedical,
    ValidationError,
)
from transcribe_medical.scribe import MedicalScribeJob
from transcribe_medical.scribe._errors import ScribeJobFailedError, ScribeJobNotCompletedError

OUT = "https://s3.us-east-1.amazonaws.com/notes-out/visit-0412"
REQUEST = StartScribeJobRequest(
    job_name="visit-0412",
    media_uri="s3://visits/0412.wav",
    output_bucket="notes-out",
    role_arn=ROLE_ARN,
    settings=ScribeSettings(channel_identification=True, note_template="HISTORY_AND_PHYSICAL"),
    channel_definitions=CHANNELS,
)


def job(status: str, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "MedicalScribeJobName": "visit-0412",
        "MedicalScribeJobStatus": status,
        "LanguageCode": "en-US",
        "Media": {"MediaFileUri": "s3://visits/0412.wav"},
        "Settings": {
            "ChannelIdentification": True,
            "ClinicalNoteGenerationSettings": {"NoteTemplate": "HISTORY_AND_PHYSICAL"},
        },
        "ChannelDefinitions": [
            {"ChannelId": 0, "ParticipantRole": "CLINICIAN"},
            {"ChannelId": 1, "ParticipantRole": "PATIENT"},
        ],
        "CreationTime": datetime(2026, 12, 6, 15, 0, tzinfo=UTC),
    }
    if status == "COMPLETED":
        body["MedicalScribeOutput"] = {
            "TranscriptFileUri": f"{OUT}/transcript.json",
            "ClinicalDocumentUri": f"{OUT}/summary.json",
        }
    body.update(extra)
    return {"MedicalScribeJob": body}


def body(data: bytes) -> dict[str, Any]:
    return {"Body": StreamingBody(BytesIO(data), len(data))}


GET = {"MedicalScribeJobName": "visit-0412"}


def test_start_sends_the_request_and_reads_the_job(client: TranscribeMedical, stubs: Any) -> None:
    transcribe, _, _ = stubs
    transcribe.add_response("start_medical_scribe_job", job("QUEUED"), REQUEST.to_api())
    started = client.scribe.jobs.start(REQUEST)
    assert started.status is JobStatus.QUEUED and started.media_uri == "s3://visits/0412.wav"
    assert started.settings is not None and started.settings.note_template == "HISTORY_AND_PHYSICAL"


def test_start_refuses_anything_but_a_request(client: TranscribeMedical, stubs: Any) -> None:
    with pytest.raises(ValidationError, match="request: dict is invalid: use a StartScribeJobRequest"):
        client.scribe.jobs.start(REQUEST.to_api())  # type: ignore[arg-type]


def test_a_throttled_start_is_retried_and_finds_the_job_the_first_attempt_made(
    client: TranscribeMedical, stubs: Any
) -> None:
    transcribe, _, _ = stubs
    transcribe.add_client_error("start_medical_scribe_job", "LimitExceededException", "Rate exceeded", 429)
    transcribe.add_response("get_medical_scribe_job", job("IN_PROGRESS"), GET)
    assert client.scribe.jobs.start(REQUEST).status is JobStatus.IN_PROGRESS


def test_a_conflict_is_not_retried(client: TranscribeMedical, stubs: Any) -> None:
    transcribe, _, _ = stubs
    transcribe.add_client_error("start_medical_scribe_job", "ConflictException", "The job already exists.", 409)
    with pytest.raises(ConflictError, match="The job already exists"):
        client.scribe.jobs.start(REQUEST)


def test_get_of_a_missing_job_is_not_found(client: TranscribeMedical, stubs: Any) -> None:
    transcribe, _, _ = stubs
    transcribe.add_client_error(
        "get_medical_scribe_job", "BadRequestException", "The requested job couldn't be found.", 400
    )
    with pytest.raises(NotFoundError):
        client.scribe.jobs.get("visit-0412")


def test_list_follows_next_token_with_the_filters(client: TranscribeMedical, stubs: Any) -> None:
    transcribe, _, _ = stubs
    first = {
        "MedicalScribeJobSummaries": [{"MedicalScribeJobName": "a", "MedicalScribeJobStatus": "COMPLETED"}],
        "NextToken": "t1",
    }
    second = {"MedicalScribeJobSummaries": [{"MedicalScribeJobName": "b", "MedicalScribeJobStatus": "NEW_STATUS"}]}
    params = {"Status": "COMPLETED", "JobNameContains": "visit", "MaxResults": 100}
    transcribe.add_response("list_medical_scribe_jobs", first, params)
    transcribe.add_response("list_medical_scribe_jobs", second, {**params, "NextToken": "t1"})
    found = list(client.scribe.jobs.list(status="completed", name_contains="visit"))
    assert [(j.name, j.status) for j in found] == [("a", JobStatus.COMPLETED), ("b", "NEW_STATUS")]


def test_list_refuses_a_bad_filter_at_once(client: TranscribeMedical, stubs: Any) -> None:
    with pytest.raises(ValidationError, match="status: 'DONE' is invalid"):
        client.scribe.jobs.list(status="DONE")


def test_wait_polls_until_done_and_reports_progress(client: TranscribeMedical, stubs: Any) -> None:
    transcribe, _, _ = stubs
    for status in ("QUEUED", "IN_PROGRESS", "COMPLETED"):
        transcribe.add_response("get_medical_scribe_job", job(status), GET)
    slept: list[float] = []
    client.scribe.jobs._sleep = slept.append
    seen: list[str] = []
    done = client.scribe.jobs.wait("visit-0412", poll_interval=1.0, progress=lambda j: seen.append(j.status_text))
    assert done.is_done and seen == ["QUEUED", "IN_PROGRESS", "COMPLETED"] and slept == [1.0, 1.5]


def test_wait_gives_up_at_the_timeout(client: TranscribeMedical, stubs: Any) -> None:
    transcribe, _, _ = stubs
    transcribe.add_response("get_medical_scribe_job", job("IN_PROGRESS"), GET)
    with pytest.raises(TimeoutError, match="still IN_PROGRESS after 0 s"):
        client.scribe.jobs.wait("visit-0412", timeout=0)


def test_note_and_transcript_are_read_from_the_uris_the_job_names(client: TranscribeMedical, stubs: Any) -> None:
    transcribe, s3, _ = stubs
    transcribe.add_response("get_medical_scribe_job", job("COMPLETED"), GET)
    s3.add_response(
        "get_object", body(aws_example("batch-summary.json")), {"Bucket": "notes-out", "Key": "visit-0412/summary.json"}
    )
    note = client.scribe.jobs.note("visit-0412")
    assert note.job_name == "visit-0412" and note.template == "HISTORY_AND_PHYSICAL"
    assert note.section_names[0] == "CHIEF_COMPLAINT"
    s3.add_response(
        "get_object",
        body(aws_example("batch-transcript.json")),
        {"Bucket": "notes-out", "Key": "visit-0412/transcript.json"},
    )
    transcript = client.scribe.jobs.transcript(MedicalScribeJob.from_api(job("COMPLETED")["MedicalScribeJob"]))
    assert transcript.speakers == ["CLINICIAN_0"] and transcript.segments[0].segment_id == "uuid1"


def test_outputs_of_a_failed_or_unfinished_job_are_refused(client: TranscribeMedical, stubs: Any) -> None:
    transcribe, _, _ = stubs
    transcribe.add_response("get_medical_scribe_job", job("FAILED", FailureReason="Unsupported media format"), GET)
    with pytest.raises(ScribeJobFailedError, match="FAILED: Unsupported media format") as failed:
        client.scribe.jobs.note("visit-0412")
    assert failed.value.failure_reason == "Unsupported media format"
    transcribe.add_response("get_medical_scribe_job", job("IN_PROGRESS"), GET)
    with pytest.raises(ScribeJobNotCompletedError, match="is IN_PROGRESS, not COMPLETED"):
        client.scribe.jobs.transcript("visit-0412")


def test_delete_sends_the_name(client: TranscribeMedical, stubs: Any) -> None:
    transcribe, _, _ = stubs
    transcribe.add_response("delete_medical_scribe_job", {}, GET)
    client.scribe.jobs.delete("visit-0412")


def test_transcribe_file_uploads_starts_waits_and_reads_both_outputs(
    client: TranscribeMedical, stubs: Any, tmp_path: Any
) -> None:
    transcribe, s3, _ = stubs
    audio = tmp_path / "visit.wav"
    audio.write_bytes(b"RIFF....WAVE")
    s3.add_response(
        "put_object",
        {},
        {
            "Bucket": "visits",
            "Key": "transcribe-medical/healthscribe-input/visit-0412/visit.wav",
            "Body": ANY,
        },
    )
    expected = REQUEST.model_copy(
        update={
            "media_uri": "s3://visits/transcribe-medical/healthscribe-input/visit-0412/visit.wav",
            "output_bucket": "visits",
        }
    )
    transcribe.add_response("start_medical_scribe_job", job("QUEUED"), expected.to_api())
    transcribe.add_response("get_medical_scribe_job", job("COMPLETED"), GET)
    s3.add_response(
        "get_object", body(aws_example("batch-summary.json")), {"Bucket": "notes-out", "Key": "visit-0412/summary.json"}
    )
    s3.add_response(
        "get_object",
        body(aws_example("batch-transcript.json")),
        {"Bucket": "notes-out", "Key": "visit-0412/transcript.json"},
    )
    result = client.scribe.jobs.transcribe_file(
        audio,
        bucket="visits",
        role_arn=ROLE_ARN,
        template="HISTORY_AND_PHYSICAL",
        channel_definitions=CHANNELS,
        job_name="visit-0412",
    )
    assert result.job.is_done and result.note.sections and result.transcript.segments
    assert len(result.evidence()) == 11


def test_vocabulary_filters_create_get_list_update_delete(client: TranscribeMedical, stubs: Any) -> None:
    transcribe, _, _ = stubs
    made = {
        "VocabularyFilterName": "visit-words",
        "LanguageCode": "en-US",
        "LastModifiedTime": datetime(2026, 12, 6, tzinfo=UTC),
    }
    transcribe.add_response(
        "create_vocabulary_filter",
        made,
        {
            "VocabularyFilterName": "visit-words",
            "Words": ["darn", "heck"],
            "LanguageCode": "en-US",
            "Tags": [{"Key": "team", "Value": "scribe"}],
        },
    )
    transcribe.add_response(
        "create_vocabulary_filter",
        made,
        {
            "VocabularyFilterName": "visit-words",
            "VocabularyFilterFileUri": "s3://lists/words.txt",
            "LanguageCode": "en-US",
        },
    )
    transcribe.add_response(
        "get_vocabulary_filter",
        {**made, "DownloadUri": "https://example.invalid/presigned"},
        {"VocabularyFilterName": "visit-words"},
    )
    transcribe.add_response(
        "list_vocabulary_filters",
        {"VocabularyFilters": [made], "NextToken": "n"},
        {"MaxResults": 100, "NameContains": "visit"},
    )
    transcribe.add_response(
        "list_vocabulary_filters",
        {"VocabularyFilters": [{**made, "VocabularyFilterName": "visit-2"}]},
        {"MaxResults": 100, "NameContains": "visit", "NextToken": "n"},
    )
    transcribe.add_response(
        "update_vocabulary_filter", made, {"VocabularyFilterName": "visit-words", "Words": ["gosh"]}
    )
    transcribe.add_response("delete_vocabulary_filter", {}, {"VocabularyFilterName": "visit-words"})
    filters = client.vocabulary_filters
    assert filters.create("visit-words", ["darn", "heck"], tags={"team": "scribe"}).name == "visit-words"
    assert filters.create("visit-words", file_uri="s3://lists/words.txt").language_code == "en-US"
    got = filters.get("visit-words")
    assert "presigned" not in repr(got)
    assert [f.name for f in filters.list("visit")] == ["visit-words", "visit-2"]
    filters.update("visit-words", ["gosh"])
    filters.delete("visit-words")


def test_a_missing_filter_is_not_found(client: TranscribeMedical, stubs: Any) -> None:
    transcribe, _, _ = stubs
    transcribe.add_client_error(
        "delete_vocabulary_filter", "NotFoundException", "The requested vocabulary filter couldn't be found.", 404
    )
    with pytest.raises(NotFoundError):
        client.vocabulary_filters.delete("visit-words")


@pytest.fixture
def async_client() -> Iterator[AsyncTranscribeMedical]:
    config = ClientConfig(retry=RetryPolicy(initial_backoff=0.0, max_backoff=0.0))
    made = AsyncTranscribeMedical(region_name="us-east-1", config=config)
    yield made
    made.close()


def test_the_async_twins_send_and_read_the_same(async_client: AsyncTranscribeMedical) -> None:
    transcribe, s3 = async_client.boto3_client("transcribe"), async_client.boto3_client("s3")
    with Stubber(transcribe) as transcribe_stub, Stubber(s3) as s3_stub:
        transcribe_stub.add_response("start_medical_scribe_job", job("QUEUED"), REQUEST.to_api())
        transcribe_stub.add_response("get_medical_scribe_job", job("COMPLETED"), GET)
        transcribe_stub.add_response(
            "list_medical_scribe_jobs",
            {"MedicalScribeJobSummaries": [{"MedicalScribeJobName": "visit-0412"}]},
            {"MaxResults": 100},
        )
        s3_stub.add_response(
            "get_object",
            body(aws_example("batch-summary.json")),
            {"Bucket": "notes-out", "Key": "visit-0412/summary.json"},
        )
        transcribe_stub.add_response(
            "create_vocabulary_filter",
            {"VocabularyFilterName": "f"},
            {"VocabularyFilterName": "f", "Words": ["a"], "LanguageCode": "en-US"},
        )

        async def scenario() -> None:
            jobs = async_client.scribe.jobs
            assert (await jobs.start(REQUEST)).status is JobStatus.QUEUED
            done = await jobs.wait("visit-0412")
            assert [j.name async for j in jobs.list()] == ["visit-0412"]
            assert (await jobs.note(done)).section_names[-1] == "PLAN"
            assert (await async_client.vocabulary_filters.create("f", ["a"])).name == "f"

        asyncio.run(scenario())
        transcribe_stub.assert_no_pending_responses()
        s3_stub.assert_no_pending_responses()


def test_botocore_still_sends_healthscribe_calls_as_aws_json_1_1(client: TranscribeMedical) -> None:
    # The model lists smithy-rpc-v2-cbor first; the emulator and moto speak JSON. If a botocore
    # release switches HealthScribe calls to CBOR, this fails first.
    from botocore.awsrequest import AWSResponse

    seen: dict[str, str] = {}

    def answer(request: Any, **_: Any) -> AWSResponse:
        seen.update({k: v.decode() if isinstance(v, bytes) else v for k, v in request.headers.items()})
        body = b'{"MedicalScribeJob": {"MedicalScribeJobName": "visit-0412", "MedicalScribeJobStatus": "QUEUED"}}'

        class Raw:
            def stream(self, **_: Any) -> Iterator[bytes]:
                yield body

        return AWSResponse(request.url, 200, {"Content-Type": "application/x-amz-json-1.1"}, Raw())

    client.boto3_client("transcribe").meta.events.register_first("before-send.transcribe", answer)
    assert client.scribe.jobs.get("visit-0412").status is JobStatus.QUEUED
    assert seen["X-Amz-Target"] == "Transcribe.GetMedicalScribeJob"
    assert seen["Content-Type"] == "application/x-amz-json-1.1"
