"""HealthScribe jobs and vocabulary filters in the emulator, driven with plain boto3."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from local.scribe_support import CHANNELS, ROLE_ARN, VISIT, TurnsRecognizer, use_channels, use_speakers, visit_wav
from transcribe_medical.local import LocalTranscribeMedical
from transcribe_medical.local.clinical_note import EMULATED_NOTICE

# botocore's own checks would refuse some requests before they reach the emulator: turn them off
# so that the emulator's validation is what answers.
RAW = Config(parameter_validation=False, retries={"max_attempts": 1})


@pytest.fixture(scope="module")
def recognizer() -> TurnsRecognizer:
    return TurnsRecognizer()


@pytest.fixture(scope="module")
def emu(recognizer: TurnsRecognizer) -> Iterator[LocalTranscribeMedical]:
    with LocalTranscribeMedical(recognizer=recognizer) as running:
        yield running


@pytest.fixture(scope="module")
def transcribe(emu: LocalTranscribeMedical) -> Any:
    return emu.boto3_session().client("transcribe", endpoint_url=emu.endpoint_url, config=RAW)


@pytest.fixture(scope="module")
def s3(emu: LocalTranscribeMedical) -> Any:
    return emu.boto3_client("s3")


@pytest.fixture(scope="module")
def media(emu: LocalTranscribeMedical, s3: Any) -> dict[str, str]:
    bucket = emu.create_bucket("scribe-media")
    s3.put_object(Bucket=bucket, Key="visit.wav", Body=visit_wav())
    s3.put_object(Bucket=bucket, Key="visit-mono.wav", Body=visit_wav(channels=1))
    return {"bucket": bucket, "stereo": f"s3://{bucket}/visit.wav", "mono": f"s3://{bucket}/visit-mono.wav"}


def _start(transcribe: Any, media: dict[str, str], name: str, **overrides: Any) -> dict[str, Any]:
    request: dict[str, Any] = {
        "MedicalScribeJobName": name,
        "Media": {"MediaFileUri": media["stereo"]},
        "OutputBucketName": media["bucket"],
        "DataAccessRoleArn": ROLE_ARN,
        "Settings": {"ChannelIdentification": True},
        "ChannelDefinitions": CHANNELS,
    }
    request.update(overrides)
    return transcribe.start_medical_scribe_job(**request)["MedicalScribeJob"]  # type: ignore[no-any-return]


def _finished(emu: LocalTranscribeMedical, transcribe: Any, name: str) -> dict[str, Any]:
    emu.wait_for_jobs(timeout=60)
    return transcribe.get_medical_scribe_job(MedicalScribeJobName=name)["MedicalScribeJob"]  # type: ignore[no-any-return]


def _outputs(s3: Any, job: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    found = []
    for key in ("TranscriptFileUri", "ClinicalDocumentUri"):
        bucket, _, path = job["MedicalScribeOutput"][key].split("amazonaws.com/", 1)[1].partition("/")
        found.append(json.loads(s3.get_object(Bucket=bucket, Key=path)["Body"].read()))
    return found[0], found[1]


def _error(call: Any, **kwargs: Any) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    error = caught.value.response
    return error["Error"]["Code"], error["Error"]["Message"], error["ResponseMetadata"]["HTTPStatusCode"]


# ------------------------------------------------------------------------------ a job's life


def test_channel_job_completes_with_transcript_and_note_in_aws_format(
    emu: LocalTranscribeMedical, transcribe: Any, s3: Any, media: dict[str, str], recognizer: TurnsRecognizer
) -> None:
    use_channels(recognizer)
    started = _start(transcribe, media, "visit-channels", Tags=[{"Key": "team", "Value": "qa"}])
    assert started["MedicalScribeJobStatus"] == "QUEUED"
    assert "MedicalScribeOutput" not in started
    job = _finished(emu, transcribe, "visit-channels")
    assert job["MedicalScribeJobStatus"] == "COMPLETED", job.get("FailureReason")
    assert job["LanguageCode"] == "en-US"
    assert job["ChannelDefinitions"] == CHANNELS
    assert job["Tags"] == [{"Key": "team", "Value": "qa"}]
    assert job["CreationTime"] <= job["StartTime"] <= job["CompletionTime"]
    assert job["MedicalScribeOutput"]["TranscriptFileUri"].endswith("/visit-channels/transcript.json")
    assert job["MedicalScribeOutput"]["ClinicalDocumentUri"].endswith("/visit-channels/summary.json")

    transcript, summary = _outputs(s3, job)
    conversation = transcript["Conversation"]
    assert conversation["JobName"] == "visit-channels"
    assert conversation["JobType"] == "ASYNC"
    segments = conversation["TranscriptSegments"]
    assert [s["ParticipantDetails"]["ParticipantRole"] for s in segments] == [f"{role}_0" for role, _ in VISIT]
    assert segments[1]["Content"] == "I have had a sore throat and a cough for five days."
    assert {s["SectionDetails"]["SectionName"] for s in segments} <= {
        "SUBJECTIVE",
        "OBJECTIVE",
        "ASSESSMENT_AND_PLAN",
        "OTHER",
    }
    assert all(s["BeginAudioTime"] < s["EndAudioTime"] for s in segments)
    items = conversation["TranscriptItems"]
    assert {item["Type"] for item in items} == {"PRONUNCIATION", "PUNCTUATION"}
    assert items[0]["Alternatives"][0]["Content"] == "Good"
    ids = {s["SegmentId"] for s in segments}
    insight = next(i for i in conversation["ClinicalInsights"] if i["Spans"][0]["Content"] == "ibuprofen")
    assert (insight["Category"], insight["Type"]) == ("MEDICATION", "GENERIC_NAME")
    span = insight["Spans"][0]
    content = next(s["Content"] for s in segments if s["SegmentId"] == span["SegmentId"])
    assert content[span["BeginCharacterOffset"] : span["EndCharacterOffset"] + 1] == "ibuprofen"

    sections = summary["ClinicalDocumentation"]["Sections"]
    names = [section["SectionName"] for section in sections]
    assert names[:2] == ["CHIEF_COMPLAINT", "HISTORY_OF_PRESENT_ILLNESS"]
    assert {"ASSESSMENT", "PLAN"} <= set(names)
    links = [link["SegmentId"] for s in sections for item in s["Summary"] for link in item["EvidenceLinks"]]
    assert links and set(links) <= ids
    assert summary["ClinicalDocumentation"]["Metadata"] == {
        "Emulated": True,
        "NoteTemplate": "HISTORY_AND_PHYSICAL",
        "Notice": EMULATED_NOTICE,
    }


def test_speaker_labels_job_assigns_clinician_and_patient_roles(
    emu: LocalTranscribeMedical, transcribe: Any, s3: Any, media: dict[str, str], recognizer: TurnsRecognizer
) -> None:
    use_speakers(recognizer)
    request = {
        "MedicalScribeJobName": "visit-speakers",
        "Media": {"MediaFileUri": media["mono"]},
        "OutputBucketName": media["bucket"],
        "DataAccessRoleArn": ROLE_ARN,
        "Settings": {
            "ShowSpeakerLabels": True,
            "MaxSpeakerLabels": 2,
            "ClinicalNoteGenerationSettings": {"NoteTemplate": "PHYSICAL_SOAP"},
        },
    }
    transcribe.start_medical_scribe_job(**request)
    job = _finished(emu, transcribe, "visit-speakers")
    assert job["MedicalScribeJobStatus"] == "COMPLETED", job.get("FailureReason")
    transcript, summary = _outputs(s3, job)
    roles = [s["ParticipantDetails"]["ParticipantRole"] for s in transcript["Conversation"]["TranscriptSegments"]]
    assert roles == [f"{role}_0" for role, _ in VISIT]
    assert [s["SectionName"] for s in summary["ClinicalDocumentation"]["Sections"]] == [
        "SUBJECTIVE",
        "OBJECTIVE",
        "ASSESSMENT",
        "PLAN",
    ]


def test_the_same_job_gives_the_same_files(
    emu: LocalTranscribeMedical, transcribe: Any, s3: Any, media: dict[str, str], recognizer: TurnsRecognizer
) -> None:
    outputs = []
    for _attempt in range(2):
        use_channels(recognizer)
        _start(transcribe, media, "visit-repeat")
        job = _finished(emu, transcribe, "visit-repeat")
        outputs.append(_outputs(s3, job))
        transcribe.delete_medical_scribe_job(MedicalScribeJobName="visit-repeat")
    assert outputs[0] == outputs[1]


@pytest.mark.parametrize(
    ("case", "overrides", "reason"),
    [
        ("missing-media", {"Media": {"MediaFileUri": "s3://scribe-media/nothing.wav"}}, "can't be accessed"),
        ("missing-bucket", {"OutputBucketName": "no-such-output-bucket"}, "no-such-output-bucket"),
        ("foreign-role", {"DataAccessRoleArn": "arn:aws:iam::999999999999:role/Other"}, "another account"),
        ("mono-channels", {"Media": {"MediaFileUri": "s3://scribe-media/visit-mono.wav"}}, "2 channels"),
    ],
)
def test_jobs_fail_with_a_reason(
    emu: LocalTranscribeMedical,
    transcribe: Any,
    media: dict[str, str],
    recognizer: TurnsRecognizer,
    case: str,
    overrides: dict[str, Any],
    reason: str,
) -> None:
    use_channels(recognizer)
    _start(transcribe, media, f"fails-{case}", **overrides)
    job = _finished(emu, transcribe, f"fails-{case}")
    assert job["MedicalScribeJobStatus"] == "FAILED"
    assert reason in job["FailureReason"]
    assert "MedicalScribeOutput" not in job


def test_unreadable_media_fails_the_job(
    emu: LocalTranscribeMedical, transcribe: Any, s3: Any, media: dict[str, str]
) -> None:
    s3.put_object(Bucket=media["bucket"], Key="notes.txt", Body=b"not audio at all")
    _start(transcribe, media, "fails-unreadable", Media={"MediaFileUri": f"s3://{media['bucket']}/notes.txt"})
    job = _finished(emu, transcribe, "fails-unreadable")
    assert job["MedicalScribeJobStatus"] == "FAILED"
    assert job["FailureReason"].startswith("Unsupported media format")


# ------------------------------------------------------------------------------ validation


def _valid() -> dict[str, Any]:
    return {
        "MedicalScribeJobName": "checked",
        "Media": {"MediaFileUri": "s3://scribe-media/visit.wav"},
        "OutputBucketName": "scribe-media",
        "DataAccessRoleArn": ROLE_ARN,
        "Settings": {"ChannelIdentification": True},
        "ChannelDefinitions": CHANNELS,
    }


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"MedicalScribeJobName": "bad name"},
            "1 validation error detected: Value 'bad name' at 'medicalScribeJobName' failed to satisfy constraint: "
            "Member must satisfy regular expression pattern: ^[0-9a-zA-Z._-]+",
        ),
        ({"OutputBucketName": "Bad_Bucket"}, "at 'outputBucketName' failed to satisfy constraint"),
        (
            {"DataAccessRoleArn": "arn:aws:iam::123456789012:user/someone"},
            "at 'dataAccessRoleArn' failed to satisfy constraint: Member must satisfy regular expression pattern",
        ),
        (
            {"Settings": {"ChannelIdentification": True, "MaxSpeakerLabels": 31}},
            "Value '31' at 'settings.maxSpeakerLabels' failed to satisfy constraint: Member must have value less "
            "than or equal to 30",
        ),
        (
            {"Settings": {"ChannelIdentification": True, "VocabularyFilterMethod": "hide"}},
            "at 'settings.vocabularyFilterMethod' failed to satisfy constraint: Member must satisfy enum value set: "
            "[remove, mask, tag]",
        ),
        (
            {"Settings": {"ChannelIdentification": True, "ClinicalNoteGenerationSettings": {"NoteTemplate": "SOAP"}}},
            "at 'settings.clinicalNoteGenerationSettings.noteTemplate' failed to satisfy constraint",
        ),
        (
            {"ChannelDefinitions": [{"ChannelId": 0, "ParticipantRole": "CLINICIAN"}]},
            "at 'channelDefinitions' failed to satisfy constraint: Member must have length greater than or equal to 2",
        ),
        (
            {"ChannelDefinitions": [{"ChannelId": 0, "ParticipantRole": "DOCTOR"}, CHANNELS[1]]},
            "at 'channelDefinitions.1.member.participantRole' failed to satisfy constraint",
        ),
        (
            {"MedicalScribeContext": {"PatientContext": {"Pronouns": "IT"}}},
            "at 'medicalScribeContext.patientContext.pronouns' failed to satisfy constraint",
        ),
        ({"Tags": [{"Key": "", "Value": "x"}]}, "at 'tags.1.member.key' failed to satisfy constraint"),
        ({"Settings": {}}, "exactly one of ShowSpeakerLabels or ChannelIdentification"),
        (
            {"Settings": {"ShowSpeakerLabels": True, "MaxSpeakerLabels": 2, "ChannelIdentification": True}},
            "You can't use ShowSpeakerLabels and ChannelIdentification in the same request",
        ),
        (
            {"Settings": {"ShowSpeakerLabels": True}, "ChannelDefinitions": None},
            "When ShowSpeakerLabels is true, you must also set MaxSpeakerLabels.",
        ),
        (
            {"Settings": {"ChannelIdentification": True, "MaxSpeakerLabels": 2}},
            "MaxSpeakerLabels requires ShowSpeakerLabels to be true.",
        ),
        ({"ChannelDefinitions": None}, "When ChannelIdentification is true, you must also set ChannelDefinitions."),
        (
            {"Settings": {"ShowSpeakerLabels": True, "MaxSpeakerLabels": 2}},
            "ChannelDefinitions requires ChannelIdentification to be true.",
        ),
        (
            {"ChannelDefinitions": [CHANNELS[0], {"ChannelId": 1, "ParticipantRole": "CLINICIAN"}]},
            "one channel the CLINICIAN role and the other the PATIENT role",
        ),
        (
            {"ChannelDefinitions": [CHANNELS[0], {"ChannelId": 0, "ParticipantRole": "PATIENT"}]},
            "must define channel 0 and channel 1",
        ),
        (
            {"Settings": {"ChannelIdentification": True, "VocabularyFilterName": "some-filter"}},
            "When VocabularyFilterName is set, you must also set VocabularyFilterMethod.",
        ),
        (
            {"Settings": {"ChannelIdentification": True, "VocabularyFilterMethod": "mask"}},
            "VocabularyFilterMethod requires VocabularyFilterName.",
        ),
        (
            {
                "Settings": {
                    "ChannelIdentification": True,
                    "VocabularyFilterName": "absent",
                    "VocabularyFilterMethod": "tag",
                }
            },
            "The requested vocabulary filter couldn't be found.",
        ),
        (
            {"Settings": {"ChannelIdentification": True, "VocabularyName": "absent-vocabulary"}},
            "The requested vocabulary couldn't be found.",
        ),
    ],
)
def test_start_refuses_what_the_service_refuses(transcribe: Any, change: dict[str, Any], message: str) -> None:
    request = _valid()
    for key, value in change.items():
        if value is None:
            request.pop(key)
        else:
            request[key] = value
    code, text, status = _error(transcribe.start_medical_scribe_job, **request)
    assert (code, status) == ("BadRequestException", 400)
    assert message in text
    assert "\n" not in text
    code, _, _ = _error(transcribe.get_medical_scribe_job, MedicalScribeJobName="checked")
    assert code == "NotFoundException"


def test_every_violation_is_listed_at_once(transcribe: Any) -> None:
    request = {**_valid(), "MedicalScribeJobName": "", "OutputBucketName": "B"}
    request.pop("DataAccessRoleArn")
    _, text, _ = _error(transcribe.start_medical_scribe_job, **request)
    assert text.startswith("3 validation errors detected: ")
    assert "Value null at 'dataAccessRoleArn' failed to satisfy constraint: Member must not be null" in text


def test_names_are_unique_and_unknown_jobs_are_not_found(
    emu: LocalTranscribeMedical, transcribe: Any, media: dict[str, str], recognizer: TurnsRecognizer
) -> None:
    use_channels(recognizer)
    _start(transcribe, media, "twice")
    assert _error(_start, transcribe=transcribe, media=media, name="twice")[:3] == (
        "ConflictException",
        "The requested job name already exists. Use a different job name.",
        409,
    )
    emu.wait_for_jobs(timeout=60)
    code, _, status = _error(transcribe.get_medical_scribe_job, MedicalScribeJobName="never-started")
    assert (code, status) == ("NotFoundException", 404)
    transcribe.delete_medical_scribe_job(MedicalScribeJobName="twice")
    code, _, status = _error(transcribe.delete_medical_scribe_job, MedicalScribeJobName="twice")
    assert (code, status) == ("BadRequestException", 400)


def test_list_filters_by_status_and_name_and_pages_newest_first(
    emu: LocalTranscribeMedical, transcribe: Any, media: dict[str, str], recognizer: TurnsRecognizer
) -> None:
    use_channels(recognizer)
    for index in range(3):
        _start(transcribe, media, f"listed-{index}")
    _start(transcribe, media, "listed-broken", OutputBucketName="no-such-bucket-for-list")
    emu.wait_for_jobs(timeout=60)
    first = transcribe.list_medical_scribe_jobs(JobNameContains="LISTED", MaxResults=2)
    assert [s["MedicalScribeJobName"] for s in first["MedicalScribeJobSummaries"]] == ["listed-broken", "listed-2"]
    rest = transcribe.list_medical_scribe_jobs(JobNameContains="listed", MaxResults=2, NextToken=first["NextToken"])
    assert [s["MedicalScribeJobName"] for s in rest["MedicalScribeJobSummaries"]] == ["listed-1", "listed-0"]
    assert "NextToken" not in rest
    failed = transcribe.list_medical_scribe_jobs(Status="FAILED", JobNameContains="listed")
    assert failed["Status"] == "FAILED"
    [summary] = failed["MedicalScribeJobSummaries"]
    assert summary["MedicalScribeJobName"] == "listed-broken"
    assert set(summary) == {
        "MedicalScribeJobName",
        "CreationTime",
        "StartTime",
        "CompletionTime",
        "LanguageCode",
        "MedicalScribeJobStatus",
        "FailureReason",
    }
    code, _, _ = _error(transcribe.list_medical_scribe_jobs, NextToken="forged")
    assert code == "BadRequestException"


# ------------------------------------------------------------------------------ vocabulary filters


def test_vocabulary_filter_create_get_list_update_delete(transcribe: Any, s3: Any, media: dict[str, str]) -> None:
    created = transcribe.create_vocabulary_filter(
        VocabularyFilterName="words-filter", LanguageCode="en-US", Words=["asthma", "inhaler"]
    )
    assert created["VocabularyFilterName"] == "words-filter"
    assert created["LanguageCode"] == "en-US"
    got = transcribe.get_vocabulary_filter(VocabularyFilterName="words-filter")
    with urllib.request.urlopen(got["DownloadUri"], timeout=10) as answer:
        assert answer.read().decode().split() == ["asthma", "inhaler"]
    s3.put_object(Bucket=media["bucket"], Key="filter.txt", Body=b"fever\n\nshortness of breath\n")
    transcribe.create_vocabulary_filter(
        VocabularyFilterName="file-filter",
        LanguageCode="en-US",
        VocabularyFilterFileUri=f"s3://{media['bucket']}/filter.txt",
    )
    listed = transcribe.list_vocabulary_filters(NameContains="-FILTER")["VocabularyFilters"]
    assert [f["VocabularyFilterName"] for f in listed] == ["file-filter", "words-filter"]
    updated = transcribe.update_vocabulary_filter(VocabularyFilterName="words-filter", Words=["cough"])
    assert updated["LastModifiedTime"] >= created["LastModifiedTime"]
    got = transcribe.get_vocabulary_filter(VocabularyFilterName="words-filter")
    with urllib.request.urlopen(got["DownloadUri"], timeout=10) as answer:
        assert answer.read().decode().split() == ["cough"]
    transcribe.delete_vocabulary_filter(VocabularyFilterName="words-filter")
    transcribe.delete_vocabulary_filter(VocabularyFilterName="file-filter")
    for call in (transcribe.get_vocabulary_filter, transcribe.delete_vocabulary_filter):
        code, _, status = _error(call, VocabularyFilterName="words-filter")
        assert (code, status) == ("NotFoundException", 404)
    code, _, _ = _error(transcribe.update_vocabulary_filter, VocabularyFilterName="words-filter", Words=["x"])
    assert code == "NotFoundException"


@pytest.mark.parametrize(
    ("request_body", "code", "message"),
    [
        (
            {"Words": ["a"], "VocabularyFilterFileUri": "s3://scribe-media/filter.txt"},
            "BadRequestException",
            "Either Words or VocabularyFilterFileUri can be specified, but not both.",
        ),
        ({}, "BadRequestException", "You must specify either Words or VocabularyFilterFileUri."),
        ({"Words": []}, "BadRequestException", "at 'words' failed to satisfy constraint"),
        ({"Words": ["x" * 257]}, "BadRequestException", "at 'words.1.member' failed to satisfy constraint"),
        ({"Words": ["a"], "LanguageCode": "xx-XX"}, "BadRequestException", "Member must satisfy enum value set"),
        ({"VocabularyFilterFileUri": "s3://scribe-media/absent.txt"}, "BadRequestException", "can't be accessed"),
    ],
)
def test_vocabulary_filter_requests_are_checked(
    transcribe: Any, media: dict[str, str], request_body: dict[str, Any], code: str, message: str
) -> None:
    body = {"VocabularyFilterName": "checked-filter", "LanguageCode": "en-US", **request_body}
    found, text, _ = _error(transcribe.create_vocabulary_filter, **body)
    assert found == code
    assert message in text


def test_a_filter_name_is_taken_once(transcribe: Any) -> None:
    transcribe.create_vocabulary_filter(VocabularyFilterName="taken", LanguageCode="en-US", Words=["a"])
    code, _, status = _error(
        transcribe.create_vocabulary_filter, VocabularyFilterName="taken", LanguageCode="en-US", Words=["b"]
    )
    assert (code, status) == ("ConflictException", 409)
    transcribe.delete_vocabulary_filter(VocabularyFilterName="taken")


@pytest.mark.parametrize(
    ("method", "segment", "sentence"),
    [
        ("mask", "I have *** and i use an ***.", "The patient has *** and uses an ***."),
        ("remove", "I have and i use an.", "The patient has and uses an."),
        ("tag", "I have asthma and i use an inhaler.", "The patient has asthma and uses an inhaler."),
    ],
)
def test_filter_methods_apply_to_transcript_and_note(
    emu: LocalTranscribeMedical,
    transcribe: Any,
    s3: Any,
    media: dict[str, str],
    recognizer: TurnsRecognizer,
    method: str,
    segment: str,
    sentence: str,
) -> None:
    name = f"hide-{method}"
    transcribe.create_vocabulary_filter(VocabularyFilterName=name, LanguageCode="en-US", Words=["ASTHMA", "inhaler"])
    use_channels(recognizer)
    _start(
        transcribe,
        media,
        f"filtered-{method}",
        Settings={"ChannelIdentification": True, "VocabularyFilterName": name, "VocabularyFilterMethod": method},
    )
    job = _finished(emu, transcribe, f"filtered-{method}")
    assert job["MedicalScribeJobStatus"] == "COMPLETED", job.get("FailureReason")
    transcript, summary = _outputs(s3, job)
    segments = transcript["Conversation"]["TranscriptSegments"]
    assert segments[5]["Content"] == segment
    tagged = [i for i in transcript["Conversation"]["TranscriptItems"] if i.get("VocabularyFilterMatch")]
    assert [i["Alternatives"][0]["Content"] for i in tagged] == (["asthma", "inhaler"] if method == "tag" else [])
    history = (
        next(s for s in summary["ClinicalDocumentation"]["Sections"] if s["SectionName"] == "PAST_MEDICAL_HISTORY")
        if method == "tag"
        else None
    )
    summaries = [i["SummarizedSegment"] for s in summary["ClinicalDocumentation"]["Sections"] for i in s["Summary"]]
    if history is not None:
        assert sentence in [i["SummarizedSegment"] for i in history["Summary"]]
    else:
        assert not any("asthma" in text.lower() or "inhaler" in text.lower() for text in summaries)
    transcribe.delete_vocabulary_filter(VocabularyFilterName=name)


def test_a_medical_vocabulary_is_applied_to_the_transcript_and_the_note(
    emu: LocalTranscribeMedical, transcribe: Any, s3: Any, media: dict[str, str], recognizer: TurnsRecognizer
) -> None:
    s3.put_object(
        Bucket=media["bucket"],
        Key="vocabulary.txt",
        Body=b"Phrase\tSoundsLike\tIPA\tDisplayAs\nibuprofen\t\t\tIbuprofen\n",
    )
    transcribe.create_medical_vocabulary(
        VocabularyName="scribe-words",
        LanguageCode="en-US",
        VocabularyFileUri=f"s3://{media['bucket']}/vocabulary.txt",
    )
    emu.wait_for_jobs(timeout=60)
    assert transcribe.get_medical_vocabulary(VocabularyName="scribe-words")["VocabularyState"] == "READY"
    use_channels(recognizer)
    _start(
        transcribe, media, "with-vocabulary", Settings={"ChannelIdentification": True, "VocabularyName": "scribe-words"}
    )
    job = _finished(emu, transcribe, "with-vocabulary")
    assert job["Settings"]["VocabularyName"] == "scribe-words"
    transcript, summary = _outputs(s3, job)
    assert "take Ibuprofen for the fever" in transcript["Conversation"]["TranscriptSegments"][8]["Content"]
    plan = next(s for s in summary["ClinicalDocumentation"]["Sections"] if s["SectionName"] == "PLAN")
    assert "Ibuprofen" in plan["Summary"][0]["SummarizedSegment"]
