"""The emulator's Transcribe layer in front of moto: the service's rules, shapes and words, moto untouched."""

from __future__ import annotations

import io
import json
import struct
import urllib.request
import wave
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.exceptions import ClientError

from transcribe_medical import (
    BadRequestError,
    ClientConfig,
    ConflictError,
    JobSettings,
    NotFoundError,
    RetryPolicy,
    StartJobRequest,
    TranscribeMedical,
)
from transcribe_medical.batch import VocabularyFailedError
from transcribe_medical.local import LocalTranscribeMedical, ScriptedRecognizer
from transcribe_medical.local.aws_json import StartResponse, WsgiApp
from transcribe_medical.local.layered_server import LayeredMotoServer
from transcribe_medical.local.medical_service import MedicalTranscribeLayer
from transcribe_medical.local.throttled_moto import ThrottlingMiddleware
from transcribe_medical.models.batch_output import parse_batch_output

NO_RETRY = ClientConfig(retry=RetryPolicy(max_attempts=1))
REGION = "us-east-1"


def _wav(seconds: float = 1.0) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(16000)
        writer.writeframes(struct.pack("<h", 1000) * int(16000 * seconds))
    return out.getvalue()


class Recorder:
    """A layer that records the method and path of every request passing through it."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []
        self.app: WsgiApp | None = None

    def wrap(self, app: WsgiApp) -> WsgiApp:
        self.app = app
        return self

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        self.seen.append((environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")))
        assert self.app is not None
        return self.app(environ, start_response)


RECORDER = Recorder()


@pytest.fixture(scope="module")
def emu() -> Iterator[LocalTranscribeMedical]:
    script = "Order an ecg and a chest x ray today."
    with LocalTranscribeMedical(recognizer=ScriptedRecognizer(script), layers=[RECORDER]) as running:
        yield running


@pytest.fixture
def bucket(emu: LocalTranscribeMedical) -> str:
    name = emu.create_bucket()
    emu.boto3_client("s3").put_object(Bucket=name, Key="visit.wav", Body=_wav())
    return name


@pytest.fixture(scope="module")
def wav_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("media") / "visit.wav"
    path.write_bytes(_wav())
    return path


@pytest.fixture
def idle() -> Iterator[tuple[str, MedicalTranscribeLayer]]:
    """The layer without a worker (jobs stay QUEUED, vocabularies PENDING), on its own server."""
    layer = MedicalTranscribeLayer(region=REGION)
    server = LayeredMotoServer([layer])
    server.start()
    try:
        yield server.endpoint_url, layer
    finally:
        server.stop()


def _client(endpoint: str, service: str = "transcribe") -> Any:
    return boto3.client(
        service, endpoint_url=endpoint, region_name=REGION, aws_access_key_id="AKIDTEST", aws_secret_access_key="x"
    )


def _start_params(bucket: str, name: str, **changes: Any) -> dict[str, Any]:
    params: dict[str, Any] = {
        "MedicalTranscriptionJobName": name,
        "LanguageCode": "en-US",
        "Media": {"MediaFileUri": f"s3://{bucket}/visit.wav"},
        "OutputBucketName": bucket,
        "Specialty": "PRIMARYCARE",
        "Type": "DICTATION",
    }
    params.update(changes)
    return params


# ---------------------------------------------------------------- refusals, in the service's words


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"LanguageCode": "fr-FR"}, "The language code fr-FR isn't supported for medical transcription. Use en-US."),
        (
            {"Settings": {"ShowSpeakerLabels": True, "MaxSpeakerLabels": 2, "ChannelIdentification": True}},
            "You can't use ShowSpeakerLabels and ChannelIdentification in the same request. Choose one and try again.",
        ),
        ({"Settings": {"MaxSpeakerLabels": 2}}, "MaxSpeakerLabels requires ShowSpeakerLabels to be true."),
        (
            {"Settings": {"ShowAlternatives": True}},
            "When ShowAlternatives is true, you must also set MaxAlternatives.",
        ),
        (
            {"Specialty": "CARDIOLOGY"},
            "1 validation error detected: Value 'CARDIOLOGY' at 'specialty' failed to satisfy constraint: "
            "Member must satisfy enum value set: [PRIMARYCARE]",
        ),
        (
            {"MedicalTranscriptionJobName": "two words", "MediaSampleRateHertz": 96000},
            "2 validation errors detected: Value 'two words' at 'medicalTranscriptionJobName' failed to satisfy "
            "constraint: Member must satisfy regular expression pattern: ^[0-9a-zA-Z._-]+; Value '96000' at "
            "'mediaSampleRateHertz' failed to satisfy constraint: Member must have value less than or equal to 48000",
        ),
        (
            {"Settings": {"ShowSpeakerLabels": True, "MaxSpeakerLabels": 31}},
            "1 validation error detected: Value '31' at 'settings.maxSpeakerLabels' failed to satisfy constraint: "
            "Member must have value less than or equal to 30",
        ),
        (
            {"KMSEncryptionContext": {}},
            "1 validation error detected: Value '{}' at 'kMSEncryptionContext' failed to satisfy constraint: "
            "Member must have length greater than or equal to 1",
        ),
        (
            {"ContentIdentificationType": "PII"},
            "1 validation error detected: Value 'PII' at 'contentIdentificationType' failed to satisfy "
            "constraint: Member must satisfy enum value set: [PHI]",
        ),
        (
            {"Settings": {"VocabularyName": "nowhere"}},
            "The requested vocabulary couldn't be found. Check the vocabulary name and try your request again.",
        ),
    ],
    ids=[
        "language",
        "speakers+channels",
        "max-without-show",
        "show-without-max",
        "cardiology",
        "two-problems",
        "31-speakers",
        "empty-kms-context",
        "pii",
        "missing-vocabulary",
    ],
)
def test_refusals_reach_a_raw_client_verbatim(
    emu: LocalTranscribeMedical, bucket: str, changes: dict[str, Any], message: str
) -> None:
    transcribe = emu.boto3_client("transcribe")
    with pytest.raises(ClientError) as caught:
        transcribe.start_medical_transcription_job(**_start_params(bucket, "refused", **changes))
    error = caught.value.response
    assert error["Error"] == {"Code": "BadRequestException", "Message": message}
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error["ResponseMetadata"]["HTTPHeaders"]["x-amzn-errortype"] == "BadRequestException"
    with pytest.raises(ClientError):
        transcribe.get_medical_transcription_job(MedicalTranscriptionJobName="refused")  # nothing was kept


def test_refusals_reach_the_sdk_verbatim(emu: LocalTranscribeMedical, bucket: str) -> None:
    request = StartJobRequest(
        job_name="uses-missing-vocabulary",
        media_uri=f"s3://{bucket}/visit.wav",
        output_bucket=bucket,
        settings=JobSettings(vocabulary_name="nowhere"),
    )
    with emu.client(config=NO_RETRY) as client, pytest.raises(BadRequestError) as caught:
        client.jobs.start(request)
    expected = "The requested vocabulary couldn't be found. Check the vocabulary name and try your request again."
    assert caught.value.message == expected
    assert expected in str(caught.value)


def test_raw_http_errors_have_the_json_1_1_form(emu: LocalTranscribeMedical) -> None:
    body = json.dumps({"MedicalTranscriptionJobName": "never-started"}).encode()
    request = urllib.request.Request(
        emu.endpoint_url,
        data=body,
        method="POST",
        headers={
            "X-Amz-Target": "Transcribe.GetMedicalTranscriptionJob",
            "Content-Type": "application/x-amz-json-1.1",
        },
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with pytest.raises(urllib.error.HTTPError) as caught:
        opener.open(request, timeout=10)
    answer = caught.value
    assert answer.code == 404
    assert answer.headers["x-amzn-ErrorType"] == "NotFoundException"
    assert answer.headers["Content-Type"] == "application/x-amz-json-1.1"
    assert json.loads(answer.read()) == {
        "__type": "NotFoundException",
        "Message": "The requested job couldn't be found. Check the job name and try your request again.",
    }


# ---------------------------------------------------------------- jobs


def test_duplicate_job_names_conflict(emu: LocalTranscribeMedical, bucket: str) -> None:
    transcribe = emu.boto3_client("transcribe")
    transcribe.start_medical_transcription_job(**_start_params(bucket, "twice"))
    with pytest.raises(ClientError) as caught:
        transcribe.start_medical_transcription_job(**_start_params(bucket, "twice"))
    assert caught.value.response["Error"]["Code"] == "ConflictException"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    with emu.client(config=NO_RETRY) as client, pytest.raises(ConflictError):
        client.jobs.start(StartJobRequest(job_name="twice", media_uri=f"s3://{bucket}/other.wav", output_bucket=bucket))
    emu.wait_for_jobs(30)


def test_a_job_runs_queued_to_completed_with_what_it_asked_for(emu: LocalTranscribeMedical, bucket: str) -> None:
    transcribe = emu.boto3_client("transcribe")
    started = transcribe.start_medical_transcription_job(
        **_start_params(
            bucket,
            "kept-fields",
            Type="CONVERSATION",
            OutputKey="notes/",
            ContentIdentificationType="PHI",
            OutputEncryptionKMSKeyId="alias/notes",
            Settings={"ShowSpeakerLabels": True, "MaxSpeakerLabels": 2},
            Tags=[{"Key": "clinic", "Value": "north"}],
        )
    )["MedicalTranscriptionJob"]
    assert started["TranscriptionJobStatus"] == "QUEUED"
    assert "StartTime" not in started and "Transcript" not in started
    emu.wait_for_jobs(30)
    job = transcribe.get_medical_transcription_job(MedicalTranscriptionJobName="kept-fields")["MedicalTranscriptionJob"]
    assert job["TranscriptionJobStatus"] == "COMPLETED"
    assert job["ContentIdentificationType"] == "PHI"
    assert job["Tags"] == [{"Key": "clinic", "Value": "north"}]
    assert job["Settings"] == {"ShowSpeakerLabels": True, "MaxSpeakerLabels": 2}
    assert job["Transcript"]["TranscriptFileUri"].endswith(f"/{bucket}/notes/kept-fields.json")
    assert job["StartTime"] <= job["CompletionTime"]
    head = emu.boto3_client("s3").head_object(Bucket=bucket, Key="notes/kept-fields.json")
    assert (head["ServerSideEncryption"], head["SSEKMSKeyId"]) == ("aws:kms", "alias/notes")


def test_a_missing_output_bucket_fails_the_job_with_a_reason(emu: LocalTranscribeMedical, bucket: str) -> None:
    transcribe = emu.boto3_client("transcribe")
    transcribe.start_medical_transcription_job(**_start_params(bucket, "no-output", OutputBucketName="no-such-bucket"))
    emu.wait_for_jobs(30)
    job = transcribe.get_medical_transcription_job(MedicalTranscriptionJobName="no-output")["MedicalTranscriptionJob"]
    assert job["TranscriptionJobStatus"] == "FAILED"
    assert job["FailureReason"].startswith("The output bucket no-such-bucket can't be accessed.")
    assert "Transcript" not in job
    summaries = transcribe.list_medical_transcription_jobs(Status="FAILED", JobNameContains="NO-OUTPUT")
    assert [s["FailureReason"] for s in summaries["MedicalTranscriptionJobSummaries"]] == [job["FailureReason"]]
    assert summaries["Status"] == "FAILED"


def test_the_worker_uses_the_public_s3_api_through_every_layer(emu: LocalTranscribeMedical, bucket: str) -> None:
    RECORDER.seen.clear()
    with emu.client(config=NO_RETRY) as client:
        client.jobs.start(StartJobRequest(job_name="seen", media_uri=f"s3://{bucket}/visit.wav", output_bucket=bucket))
        emu.wait_for_jobs(30)
    assert ("GET", f"/{bucket}/visit.wav") in RECORDER.seen
    assert ("PUT", f"/{bucket}/medical/seen.json") in RECORDER.seen


def test_list_pages_newest_first_with_opaque_tokens(idle: tuple[str, MedicalTranscribeLayer]) -> None:
    endpoint, _ = idle
    _client(endpoint, "s3").create_bucket(Bucket="paged-bucket")
    transcribe = _client(endpoint)
    names = [f"job-{index:02d}" for index in range(12)]
    for name in names:
        transcribe.start_medical_transcription_job(**_start_params("paged-bucket", name))
    pages: list[list[str]] = []
    params: dict[str, Any] = {}
    while True:
        answer = transcribe.list_medical_transcription_jobs(**params)
        pages.append([s["MedicalTranscriptionJobName"] for s in answer["MedicalTranscriptionJobSummaries"]])
        if "NextToken" not in answer:
            break
        params = {"NextToken": answer["NextToken"]}
    assert [len(page) for page in pages] == [5, 5, 2]  # the service's default page size is 5
    assert [name for page in pages for name in page] == names[::-1]
    assert {s["TranscriptionJobStatus"] for s in answer["MedicalTranscriptionJobSummaries"]} == {"QUEUED"}
    with pytest.raises(ClientError) as caught:
        transcribe.list_medical_transcription_jobs(NextToken="not-a-token")
    assert caught.value.response["Error"]["Code"] == "BadRequestException"
    with TranscribeMedical(config=ClientConfig(endpoint_url=endpoint, retry=NO_RETRY.retry)) as client:
        assert [job.name for job in client.jobs.list(page_size=7)] == names[::-1]
        assert len(list(client.jobs.list(name_contains="JOB-0"))) == 10  # case-insensitive, as the service


def test_delete_forgets_a_job(idle: tuple[str, MedicalTranscribeLayer]) -> None:
    endpoint, _ = idle
    transcribe = _client(endpoint)
    transcribe.start_medical_transcription_job(**_start_params("some-bucket", "to-delete"))
    transcribe.delete_medical_transcription_job(MedicalTranscriptionJobName="to-delete")
    with pytest.raises(ClientError) as caught:
        transcribe.get_medical_transcription_job(MedicalTranscriptionJobName="to-delete")
    assert caught.value.response["Error"]["Code"] == "NotFoundException"
    with pytest.raises(ClientError) as caught:
        transcribe.delete_medical_transcription_job(MedicalTranscriptionJobName="to-delete")
    assert caught.value.response["Error"]["Code"] == "BadRequestException"  # as the service documents


# ---------------------------------------------------------------- vocabularies


def test_update_medical_vocabulary_replaces_the_phrases(
    emu: LocalTranscribeMedical, bucket: str, wav_file: Path
) -> None:
    with emu.client(config=NO_RETRY) as client:
        created = client.vocabularies.create("to-update", ["ECG"], bucket=bucket, key="vocab/first.txt")
        assert created.state is not None and created.state.value == "PENDING"
        client.vocabularies.wait("to-update", poll_interval=0.05)
        first = client.jobs.transcribe_file(
            wav_file, bucket=bucket, poll_interval=0.05, settings=JobSettings(vocabulary_name="to-update")
        )
        updated = client.vocabularies.update("to-update", ["chest X-ray"], bucket=bucket, key="vocab/second.txt")
        assert updated.state is not None and updated.state.value == "PENDING"
        ready = client.vocabularies.wait("to-update", poll_interval=0.05)
        second = client.jobs.transcribe_file(
            wav_file, bucket=bucket, poll_interval=0.05, settings=JobSettings(vocabulary_name="to-update")
        )
        with pytest.raises(NotFoundError):
            client.vocabularies.update("never-created", ["ECG"], bucket=bucket)
    assert ready.state is not None and ready.state.value == "READY"
    assert "ECG" in first.text and "chest x ray" in first.text
    assert "chest X-ray" in second.text and "ECG" not in second.text  # replaced, not appended


def test_a_vocabulary_whose_file_is_missing_fails_with_a_reason(emu: LocalTranscribeMedical, bucket: str) -> None:
    transcribe = emu.boto3_client("transcribe")
    with emu.client(config=NO_RETRY) as client:
        client.vocabularies.create("no-file", file_uri=f"s3://{bucket}/absent.txt")
        with pytest.raises(VocabularyFailedError) as caught:
            client.vocabularies.wait("no-file", poll_interval=0.05)
    assert (caught.value.failure_reason or "").startswith("The vocabulary file can't be accessed.")
    with pytest.raises(ClientError) as refused:
        transcribe.start_medical_transcription_job(
            **_start_params(bucket, "with-failed-vocabulary", Settings={"VocabularyName": "no-file"})
        )
    assert refused.value.response["Error"]["Message"] == (
        "The vocabulary no-file is FAILED, not READY. Use a vocabulary once it is READY."
    )


def test_a_vocabulary_file_over_50_kb_fails(emu: LocalTranscribeMedical, bucket: str) -> None:
    emu.boto3_client("s3").put_object(Bucket=bucket, Key="big.txt", Body=b"metoprolol\n" * 6000)
    with emu.client(config=NO_RETRY) as client:
        client.vocabularies.create("too-big", file_uri=f"s3://{bucket}/big.txt")
        with pytest.raises(VocabularyFailedError) as caught:
            client.vocabularies.wait("too-big", poll_interval=0.05)
    assert "larger than 51200 bytes" in (caught.value.failure_reason or "")


def test_vocabulary_rules_on_the_idle_layer(idle: tuple[str, MedicalTranscribeLayer]) -> None:
    endpoint, _ = idle
    transcribe = _client(endpoint)
    params = {"VocabularyName": "terms", "LanguageCode": "en-US", "VocabularyFileUri": "s3://some-bucket/t.txt"}
    created = transcribe.create_medical_vocabulary(**params)
    assert created["VocabularyState"] == "PENDING"
    with pytest.raises(ClientError) as caught:
        transcribe.create_medical_vocabulary(**params)
    assert caught.value.response["Error"]["Code"] == "ConflictException"
    with pytest.raises(ClientError) as caught:
        transcribe.update_medical_vocabulary(**params)  # still PENDING: nothing processed it
    assert caught.value.response["Error"]["Code"] == "ConflictException"
    with pytest.raises(ClientError) as caught:
        transcribe.create_medical_vocabulary(**{**params, "VocabularyName": "other", "LanguageCode": "en-GB"})
    assert caught.value.response["Error"]["Message"] == (
        "The language code en-GB isn't supported for medical vocabularies. Use en-US."
    )
    got = transcribe.get_medical_vocabulary(VocabularyName="terms")
    assert got["DownloadUri"] == "https://s3.us-east-1.amazonaws.com/some-bucket/t.txt"
    for index in range(6):
        transcribe.create_medical_vocabulary(**{**params, "VocabularyName": f"more-{index}"})
    first = transcribe.list_medical_vocabularies(StateEquals="PENDING")
    rest = transcribe.list_medical_vocabularies(StateEquals="PENDING", NextToken=first["NextToken"])
    names = [v["VocabularyName"] for v in first["Vocabularies"] + rest["Vocabularies"]]
    assert names == [f"more-{i}" for i in range(5, -1, -1)] + ["terms"]
    assert first["Status"] == "PENDING" and "NextToken" not in rest
    transcribe.delete_medical_vocabulary(VocabularyName="terms")
    with pytest.raises(ClientError) as caught:
        transcribe.delete_medical_vocabulary(VocabularyName="terms")
    assert caught.value.response["Error"]["Code"] == "NotFoundException"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


# ---------------------------------------------------------------- shapes, pass-through, reset, chaining


def _conforms(value: Any, shape: Any, where: str) -> None:
    if shape is None:  # an operation without output
        assert value == {}, where
        return
    kind = shape.type_name
    if kind == "structure":
        assert isinstance(value, dict), where
        unknown = set(value) - set(shape.members)
        assert not unknown, f"{where}: {sorted(unknown)} are not members of {shape.name}"
        for name, item in value.items():
            _conforms(item, shape.members[name], f"{where}.{name}")
    elif kind == "list":
        assert isinstance(value, list), where
        for index, item in enumerate(value):
            _conforms(item, shape.member, f"{where}[{index}]")
    elif kind == "timestamp":
        assert isinstance(value, int | float) and not isinstance(value, bool), f"{where}: epoch seconds, not {value!r}"
    elif kind == "integer":
        assert isinstance(value, int) and not isinstance(value, bool), where
    elif kind == "boolean":
        assert isinstance(value, bool), where
    else:
        assert isinstance(value, str), where
        if shape.enum:
            assert value in shape.enum, f"{where}: {value!r}"


def test_every_answer_conforms_to_botocore_s_service_model(emu: LocalTranscribeMedical, bucket: str) -> None:
    model = botocore.session.get_session().get_service_model("transcribe")
    raw: dict[str, Any] = {}
    transcribe = emu.boto3_client("transcribe")
    transcribe.meta.events.register(
        "after-call", lambda http_response, model, **_: raw.__setitem__(model.name, json.loads(http_response.content))
    )
    emu.boto3_client("s3").put_object(Bucket=bucket, Key="v.txt", Body=b"ECG\n")
    transcribe.start_medical_transcription_job(
        **_start_params(bucket, "shaped", Tags=[{"Key": "k", "Value": "v"}], ContentIdentificationType="PHI")
    )
    emu.wait_for_jobs(30)
    transcribe.get_medical_transcription_job(MedicalTranscriptionJobName="shaped")
    transcribe.list_medical_transcription_jobs(MaxResults=1)
    transcribe.create_medical_vocabulary(
        VocabularyName="shaped-terms", LanguageCode="en-US", VocabularyFileUri=f"s3://{bucket}/v.txt"
    )
    emu.wait_for_jobs(30)
    transcribe.get_medical_vocabulary(VocabularyName="shaped-terms")
    transcribe.update_medical_vocabulary(
        VocabularyName="shaped-terms", LanguageCode="en-US", VocabularyFileUri=f"s3://{bucket}/v.txt"
    )
    transcribe.list_medical_vocabularies(MaxResults=1)
    emu.wait_for_jobs(30)
    transcribe.delete_medical_vocabulary(VocabularyName="shaped-terms")
    transcribe.delete_medical_transcription_job(MedicalTranscriptionJobName="shaped")
    assert len(raw) == 9
    for operation, body in raw.items():
        _conforms(body, model.operation_model(operation).output_shape, operation)
    assert raw["GetMedicalTranscriptionJob"]["MedicalTranscriptionJob"]["TranscriptionJobStatus"] == "COMPLETED"


def test_s3_and_other_transcribe_operations_pass_through_to_moto(emu: LocalTranscribeMedical, bucket: str) -> None:
    s3 = emu.boto3_client("s3")
    payload = bytes(range(256)) * 64
    s3.put_object(Bucket=bucket, Key="dir/blob.bin", Body=payload, Metadata={"origin": "test"})
    got = s3.get_object(Bucket=bucket, Key="dir/blob.bin")
    assert got["Body"].read() == payload and got["Metadata"] == {"origin": "test"}
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="dir/")["Contents"]] == ["dir/blob.bin"]
    transcribe = emu.boto3_client("transcribe")
    transcribe.start_transcription_job(
        TranscriptionJobName="general-job", LanguageCode="en-GB", Media={"MediaFileUri": f"s3://{bucket}/visit.wav"}
    )
    general = transcribe.get_transcription_job(TranscriptionJobName="general-job")["TranscriptionJob"]
    assert general["LanguageCode"] == "en-GB"  # moto's answer: the medical rules do not apply here
    with pytest.raises(ClientError):
        transcribe.get_medical_transcription_job(MedicalTranscriptionJobName="general-job")


def test_moto_s_reset_clears_the_layer_too(idle: tuple[str, MedicalTranscribeLayer]) -> None:
    endpoint, layer = idle
    _client(endpoint, "s3").create_bucket(Bucket="reset-bucket")
    transcribe = _client(endpoint)
    transcribe.start_medical_transcription_job(**_start_params("reset-bucket", "before-reset"))
    reset = urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")
    with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(reset, timeout=10) as answer:
        assert answer.status == 200
    assert transcribe.list_medical_transcription_jobs()["MedicalTranscriptionJobSummaries"] == []
    assert layer.jobs.get(REGION, "before-reset") is None
    assert "reset-bucket" not in [b["Name"] for b in _client(endpoint, "s3").list_buckets()["Buckets"]]


def test_a_throttling_layer_chains_in_front_of_the_emulator() -> None:
    throttle = ThrottlingMiddleware(rate=0.001, burst=1)  # one start, then none for ~17 minutes
    with LocalTranscribeMedical(recognizer=ScriptedRecognizer("hello"), layers=[throttle]) as emu:
        bucket = emu.create_bucket()
        transcribe = emu.boto3_client("transcribe")
        transcribe.start_medical_transcription_job(**_start_params(bucket, "first"))
        with pytest.raises(ClientError) as caught:
            transcribe.start_medical_transcription_job(**_start_params(bucket, "second"))
        emu.wait_for_jobs(30)
        assert caught.value.response["Error"]["Code"] == "LimitExceededException"
        assert throttle.stats()["accepted"] == {"first": 1}
        names = [
            s["MedicalTranscriptionJobName"]
            for s in transcribe.list_medical_transcription_jobs()["MedicalTranscriptionJobSummaries"]
        ]
    assert names == ["first"]


def test_emulator_reset_forgets_jobs_vocabularies_and_buckets(emu: LocalTranscribeMedical) -> None:
    bucket = emu.create_bucket()
    with emu.client(config=NO_RETRY) as client:
        client.vocabularies.create("reset-terms", ["ECG"], bucket=bucket)
        emu.wait_for_jobs(30)
        emu.reset()
        with pytest.raises(NotFoundError):
            client.vocabularies.get("reset-terms")
    assert bucket not in [b["Name"] for b in emu.boto3_client("s3").list_buckets()["Buckets"]]


def test_batch_output_written_by_the_worker_parses(emu: LocalTranscribeMedical, bucket: str, wav_file: Path) -> None:
    with emu.client(config=NO_RETRY) as client:
        transcript = client.jobs.transcribe_file(wav_file, bucket=bucket, poll_interval=0.05)
    raw = emu.boto3_client("s3").get_object(Bucket=bucket, Key=f"medical/{transcript.job_name}.json")["Body"].read()
    assert parse_batch_output(raw).text == transcript.text
