"""client.jobs against moto in-process: the job life cycle, pagination, errors, transcripts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from botocore.stub import Stubber

from transcribe_medical import (
    ConflictError,
    JobSettings,
    JobStatus,
    MedicalTranscriptionJob,
    NotFoundError,
    StartJobRequest,
    TimeoutError,
    TranscribeMedical,
    UnsupportedSpecialtyError,
    ValidationError,
)
from transcribe_medical.batch import JobFailedError, JobNotCompletedError, expected_output_location

from .conftest import MEDIA_BUCKET, OUTPUT_BUCKET, RequestCounter, golden


def _request(name: str = "visit-0412", **changes: object) -> StartJobRequest:
    data: dict[str, object] = {
        "job_name": name,
        "media_uri": f"s3://{MEDIA_BUCKET}/audio/{name}.wav",
        "output_bucket": OUTPUT_BUCKET,
        "type": "CONVERSATION",
    }
    data.update(changes)
    return StartJobRequest(**data)


def _put_transcript(client: TranscribeMedical, name: str, vector: str = "plain.json") -> None:
    location = expected_output_location(name, OUTPUT_BUCKET)
    client.boto3_client("s3").put_object(Bucket=location.bucket, Key=location.key, Body=golden(vector))


def test_start_get_wait_delete_cycle(client: TranscribeMedical) -> None:
    started = client.jobs.start(_request(settings=JobSettings(show_speaker_labels=True, max_speakers=2)))
    assert isinstance(started, MedicalTranscriptionJob)
    assert started.name == "visit-0412"
    assert started.media_uri == f"s3://{MEDIA_BUCKET}/audio/visit-0412.wav"

    got = client.jobs.get("visit-0412")
    assert got.status is JobStatus.QUEUED
    assert got.specialty == "PRIMARYCARE" and got.type == "CONVERSATION"
    assert got.settings is not None and got.settings.max_speakers == 2

    seen: list[JobStatus | None] = []
    waited = client.jobs.wait("visit-0412", poll_interval=0.0, progress=lambda job: seen.append(job.status))
    assert waited.status is JobStatus.COMPLETED and seen == [JobStatus.IN_PROGRESS, JobStatus.COMPLETED]
    assert waited.transcript_uri == (f"https://s3.us-east-1.amazonaws.com/{OUTPUT_BUCKET}/medical/visit-0412.json")

    client.jobs.delete("visit-0412")
    with pytest.raises(NotFoundError):
        client.jobs.get("visit-0412")


def test_wait_polls_through_each_status(client: TranscribeMedical) -> None:
    client.jobs.start(_request())
    seen: list[JobStatus | None] = []
    job = client.jobs.wait("visit-0412", poll_interval=0.0, progress=lambda j: seen.append(j.status))
    assert seen == [JobStatus.QUEUED, JobStatus.IN_PROGRESS, JobStatus.COMPLETED]
    assert job.status is JobStatus.COMPLETED


def test_wait_times_out_with_our_timeout_error(client: TranscribeMedical) -> None:
    client.jobs.start(_request())
    with pytest.raises(TimeoutError, match="visit-0412 is still QUEUED") as caught:
        client.jobs.wait("visit-0412", timeout=0.0, poll_interval=0.0)
    assert isinstance(caught.value, builtins_timeout())


def builtins_timeout() -> type[BaseException]:
    import builtins

    return builtins.TimeoutError


def test_wait_sleeps_with_a_growing_interval(moto_aws: None) -> None:
    from transcribe_medical.batch import Jobs

    from .conftest import fast_config

    delays: list[float] = []
    with TranscribeMedical(config=fast_config()) as facade:
        jobs = Jobs(facade, sleep=delays.append)
        jobs.start(_request())
        jobs.wait("visit-0412", poll_interval=2.0, max_poll_interval=2.5)
    assert delays == [2.0, 2.5]  # QUEUED, then IN_PROGRESS, then COMPLETED: two sleeps


def test_list_paginates_over_120_jobs(client: TranscribeMedical) -> None:
    for index in range(120):
        client.jobs.start(_request(f"job-{index:03d}"))
    calls = RequestCounter()
    client.boto3_client("transcribe").meta.events.register("before-call", calls)

    names = [summary.name for summary in client.jobs.list()]
    assert sorted(names) == [f"job-{i:03d}" for i in range(120)]
    assert calls.count == 2  # moto's pages hold 100 at most

    calls.operations.clear()
    assert len(list(client.jobs.list(page_size=7))) == 120
    assert calls.count == 18  # 17 full pages of 7 and a last one of 1

    assert [s.name for s in client.jobs.list(name_contains="job-11")] == [f"job-11{i}" for i in range(10)]


def test_list_filters_by_status(client: TranscribeMedical) -> None:
    client.jobs.start(_request("a-job"))
    client.jobs.start(_request("b-job"))
    client.jobs.get("a-job")  # moto moves a job one step per Get
    assert [s.name for s in client.jobs.list(status="queued")] == ["a-job"]
    assert list(client.jobs.list(status=JobStatus.COMPLETED)) == []


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"status": "DONE"}, "status: 'DONE' is invalid: use one of QUEUED, IN_PROGRESS, FAILED, COMPLETED"),
        ({"name_contains": "a b"}, "name_contains: 'a b' is invalid"),
        ({"page_size": 101}, "page_size: 101 is invalid: use 1-100"),
    ],
)
def test_list_refuses_bad_filters_before_iterating(
    client: TranscribeMedical, sent: RequestCounter, kwargs: dict[str, object], fragment: str
) -> None:
    with pytest.raises(ValidationError, match=fragment):
        client.jobs.list(**kwargs)  # type: ignore[arg-type]
    assert sent.count == 0


def test_duplicate_job_name_is_a_conflict(client: TranscribeMedical) -> None:
    client.jobs.start(_request())
    with pytest.raises(ConflictError) as caught:
        client.jobs.start(_request())
    assert caught.value.code == "ConflictException"
    assert not caught.value.retryable


def test_missing_job_is_not_found(client: TranscribeMedical) -> None:
    with pytest.raises(NotFoundError) as caught:
        client.jobs.get("no-such-job")
    assert "couldn't be found" in caught.value.message
    with pytest.raises(NotFoundError):
        client.jobs.delete("no-such-job")
    with pytest.raises(NotFoundError):
        client.jobs.wait("no-such-job", poll_interval=0.0)


@pytest.mark.parametrize("specialty", ["CARDIOLOGY", "NEUROLOGY", "ONCOLOGY", "RADIOLOGY", "UROLOGY"])
def test_streaming_only_specialty_never_reaches_moto(
    client: TranscribeMedical, sent: RequestCounter, tmp_path: Path, specialty: str
) -> None:
    with pytest.raises(UnsupportedSpecialtyError):
        client.jobs.start(_request(specialty=specialty))
    audio = tmp_path / "visit.wav"
    audio.write_bytes(b"RIFF")
    with pytest.raises(UnsupportedSpecialtyError):
        client.jobs.transcribe_file(audio, bucket=MEDIA_BUCKET, specialty=specialty, poll_interval=0.0)
    assert sent.count == 0
    assert list(client.jobs.list()) == []  # and moto holds no job


@pytest.mark.parametrize("alias", ["pediatrics", "Family Medicine", "OB-GYN", "internal medicine"])
def test_sub_specialty_alias_starts_a_primary_care_job(client: TranscribeMedical, alias: str) -> None:
    job = client.jobs.start(_request(specialty=alias))
    assert job.specialty == "PRIMARYCARE"


@pytest.mark.parametrize("name", ["", "has space", "x" * 201])
def test_bad_names_refused_before_sending(client: TranscribeMedical, sent: RequestCounter, name: str) -> None:
    for call in (client.jobs.get, client.jobs.delete, client.jobs.transcript):
        with pytest.raises(ValidationError, match=r"name: .* is invalid: use 1-200 characters"):
            call(name)
    assert sent.count == 0


def test_start_refuses_anything_but_a_request(client: TranscribeMedical) -> None:
    with pytest.raises(ValidationError, match="request: dict is invalid"):
        client.jobs.start({"job_name": "x"})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "vector", ["plain.json", "speaker_labels.json", "channel_identification.json", "alternatives.json", "phi.json"]
)
def test_transcript_is_downloaded_and_parsed(client: TranscribeMedical, vector: str) -> None:
    client.jobs.start(_request())
    client.jobs.wait("visit-0412", poll_interval=0.0)
    _put_transcript(client, "visit-0412", vector)
    transcript = client.jobs.transcript("visit-0412")
    expected = json.loads(golden(vector))["results"]["transcripts"][0]["transcript"]
    assert transcript.text == expected
    assert transcript.segments


def test_plain_transcript_text(client: TranscribeMedical) -> None:
    client.jobs.start(_request())
    _put_transcript(client, "visit-0412")
    transcript = client.jobs.transcript(client.jobs.wait("visit-0412", poll_interval=0.0))
    assert transcript.text == (
        "Good morning, Mr. Alvarez. Any chest pain? Only when I climb stairs. Start aspirin 81 mg daily."
    )


def test_transcript_of_a_running_job_is_refused(client: TranscribeMedical) -> None:
    client.jobs.start(_request())
    with pytest.raises(JobNotCompletedError, match="visit-0412 is QUEUED, not COMPLETED"):
        client.jobs.transcript("visit-0412")


def test_transcript_missing_from_s3_is_not_found(client: TranscribeMedical) -> None:
    client.jobs.start(_request())
    client.jobs.wait("visit-0412", poll_interval=0.0)
    with pytest.raises(NotFoundError) as caught:
        client.jobs.transcript("visit-0412")
    assert caught.value.code == "NoSuchKey"


def test_transcript_of_a_failed_job_raises_with_the_reason(client: TranscribeMedical) -> None:
    failed = MedicalTranscriptionJob.from_api(
        {
            "MedicalTranscriptionJobName": "visit-0412",
            "TranscriptionJobStatus": "FAILED",
            "FailureReason": "Unsupported media format",
        }
    )
    with pytest.raises(JobFailedError) as caught:
        client.jobs.transcript(failed)
    assert caught.value.failure_reason == "Unsupported media format"
    assert "Unsupported media format" in str(caught.value)


def test_transcribe_file_uploads_starts_waits_and_fetches(client: TranscribeMedical, tmp_path: Path) -> None:
    audio = tmp_path / "visit 0412.wav"
    audio.write_bytes(b"RIFF....WAVEfmt ")
    statuses: list[JobStatus | None] = []

    # moto writes no transcript: put the golden file where the job will report it, once named.
    def progress(job: MedicalTranscriptionJob) -> None:
        statuses.append(job.status)
        _put_transcript(client, job.name)

    transcript = client.jobs.transcribe_file(
        audio,
        bucket=MEDIA_BUCKET,
        output_bucket=OUTPUT_BUCKET,
        type="CONVERSATION",
        poll_interval=0.0,
        progress=progress,
    )
    assert transcript.text.startswith("Good morning")
    assert statuses == [JobStatus.QUEUED, JobStatus.IN_PROGRESS, JobStatus.COMPLETED]
    (summary,) = list(client.jobs.list())
    assert summary.name.startswith("visit-0412-")
    uploaded = client.boto3_client("s3").list_objects_v2(Bucket=MEDIA_BUCKET)["Contents"]
    assert [obj["Key"] for obj in uploaded] == [f"transcribe-medical/input/{summary.name}/visit 0412.wav"]
    job = client.jobs.get(summary.name)
    assert job.media_format == "wav"


def test_transcribe_file_of_a_missing_file_is_refused_before_sending(
    client: TranscribeMedical, sent: RequestCounter, tmp_path: Path
) -> None:
    with pytest.raises(ValidationError, match="cannot be read"):
        client.jobs.transcribe_file(tmp_path / "missing.wav", bucket=MEDIA_BUCKET)
    assert sent.count == 0


def test_transcribe_file_raises_when_the_job_fails(
    client: TranscribeMedical, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # moto never fails a job: make its Get answer FAILED once the job exists.
    from transcribe_medical.batch import jobs as jobs_module

    real_get = jobs_module.Jobs.get

    def failing_get(self: jobs_module.Jobs, name: str) -> MedicalTranscriptionJob:
        job = real_get(self, name)
        return job.model_copy(update={"status": JobStatus.FAILED, "failure_reason": "Invalid sample rate"})

    monkeypatch.setattr(jobs_module.Jobs, "get", failing_get)
    audio = tmp_path / "visit.wav"
    audio.write_bytes(b"RIFF")
    with pytest.raises(JobFailedError) as caught:
        client.jobs.transcribe_file(audio, bucket=MEDIA_BUCKET, poll_interval=0.0)
    assert caught.value.failure_reason == "Invalid sample rate"
    assert caught.value.code == "JobFailed"


# --- Start is never retried blindly (botocore Stubber) ------------------------------------------


def _stubbed(client: TranscribeMedical) -> Stubber:
    return Stubber(client.boto3_client("transcribe"))


def test_start_checks_with_get_before_retrying(moto_aws: None) -> None:
    from .conftest import fast_config

    request = _request()
    with TranscribeMedical(config=fast_config()) as facade, _stubbed(facade) as stub:
        stub.add_client_error(
            "start_medical_transcription_job", "InternalFailureException", "boom", http_status_code=500
        )
        stub.add_response(
            "get_medical_transcription_job",
            {
                "MedicalTranscriptionJob": {
                    "MedicalTranscriptionJobName": request.job_name,
                    "TranscriptionJobStatus": "QUEUED",
                    "Media": {"MediaFileUri": request.media_uri},
                }
            },
            {"MedicalTranscriptionJobName": request.job_name},
        )
        job = facade.jobs.start(request)
        stub.assert_no_pending_responses()
    assert job.status is JobStatus.QUEUED


def test_start_retries_when_get_finds_no_job(moto_aws: None) -> None:
    from .conftest import fast_config

    request = _request()
    with TranscribeMedical(config=fast_config()) as facade, _stubbed(facade) as stub:
        stub.add_client_error("start_medical_transcription_job", "LimitExceededException", "slow down", 429)
        stub.add_client_error("get_medical_transcription_job", "NotFoundException", "no such job", 404)
        stub.add_response(
            "start_medical_transcription_job",
            {"MedicalTranscriptionJob": {"MedicalTranscriptionJobName": request.job_name}},
            request.to_api(),
        )
        job = facade.jobs.start(request)
        stub.assert_no_pending_responses()
    assert job.name == request.job_name


def test_start_is_not_retried_on_a_client_error(moto_aws: None) -> None:
    from transcribe_medical import BadRequestError

    from .conftest import fast_config

    with TranscribeMedical(config=fast_config()) as facade, _stubbed(facade) as stub:
        stub.add_client_error("start_medical_transcription_job", "BadRequestException", "bad", 400)
        with pytest.raises(BadRequestError):
            facade.jobs.start(_request())
        stub.assert_no_pending_responses()
