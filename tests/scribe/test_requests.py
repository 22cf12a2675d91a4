"""StartMedicalScribeJob and vocabulary-filter requests: every rule refused before sending."""

from __future__ import annotations

import json
from typing import Any

import pytest

from scribe.support import CHANNELS, ROLE_ARN, aws_json
from transcribe_medical import (
    ChannelDefinition,
    NoteTemplate,
    ScribeSettings,
    StartScribeJobRequest,
    TranscribeMedical,
    ValidationError,
)
from transcribe_medical.scribe import VocabularyFilterRequest, VocabularyFilterUpdate

BASE: dict[str, Any] = {
    "job_name": "visit-0412",
    "media_uri": "s3://visits/0412.wav",
    "output_bucket": "notes-out",
    "role_arn": ROLE_ARN,
}
SPEAKERS = {"show_speaker_labels": True, "max_speaker_labels": 2}


def request(**changes: Any) -> dict[str, Any]:
    data = {**BASE, "settings": SPEAKERS, **changes}
    return {key: value for key, value in data.items() if value is not None}


#: (what is wrong, the request, the field the message must name, words of what is allowed)
REFUSED: list[tuple[str, dict[str, Any], str, str]] = [
    ("neither speakers nor channels", request(settings={}), "show_speaker_labels", "exactly one"),
    (
        "both speakers and channels",
        request(settings={**SPEAKERS, "channel_identification": True}, channel_definitions=CHANNELS),
        "show_speaker_labels",
        "exactly one",
    ),
    ("speakers without a maximum", request(settings={"show_speaker_labels": True}), "max_speaker_labels", "2-30"),
    (
        "a maximum without speaker labels",
        request(settings={"channel_identification": True, "max_speaker_labels": 2}, channel_definitions=CHANNELS),
        "max_speaker_labels",
        "without show_speaker_labels",
    ),
    ("too many speakers", request(settings={**SPEAKERS, "max_speaker_labels": 31}), "max_speaker_labels", "30"),
    ("too few speakers", request(settings={**SPEAKERS, "max_speaker_labels": 1}), "max_speaker_labels", "2"),
    (
        "channels without definitions",
        request(settings={"channel_identification": True}),
        "channel_definitions",
        "CLINICIAN",
    ),
    (
        "definitions without channels",
        request(channel_definitions=CHANNELS),
        "channel_definitions",
        "channel_identification",
    ),
    (
        "one definition",
        request(settings={"channel_identification": True}, channel_definitions=CHANNELS[:1]),
        "channel_definitions",
        "exactly two",
    ),
    (
        "three definitions",
        request(settings={"channel_identification": True}, channel_definitions=[*CHANNELS, CHANNELS[0]]),
        "channel_definitions",
        "exactly two",
    ),
    (
        "two clinicians",
        request(
            settings={"channel_identification": True},
            channel_definitions=[CHANNELS[0], {"channel_id": 1, "participant_role": "CLINICIAN"}],
        ),
        "channel_definitions",
        "one CLINICIAN and one PATIENT",
    ),
    (
        "one channel twice",
        request(
            settings={"channel_identification": True},
            channel_definitions=[CHANNELS[0], {"channel_id": 0, "participant_role": "PATIENT"}],
        ),
        "channel_definitions",
        "channel 0 and channel 1",
    ),
    (
        "a channel beyond 1",
        request(
            settings={"channel_identification": True},
            channel_definitions=[CHANNELS[0], {"channel_id": 2, "participant_role": "PATIENT"}],
        ),
        "channel_definitions[1].channel_id",
        "1",
    ),
    (
        "an unknown role",
        request(
            settings={"channel_identification": True},
            channel_definitions=[CHANNELS[0], {"channel_id": 1, "participant_role": "NURSE"}],
        ),
        "channel_definitions[1].participant_role",
        "CLINICIAN, PATIENT",
    ),
    (
        "a filter without a method",
        request(settings={**SPEAKERS, "vocabulary_filter_name": "visit-words"}),
        "vocabulary_filter_method",
        "remove, mask or tag",
    ),
    (
        "a method without a filter",
        request(settings={**SPEAKERS, "vocabulary_filter_method": "mask"}),
        "vocabulary_filter_method",
        "vocabulary_filter_name",
    ),
    (
        "an unknown method",
        request(settings={**SPEAKERS, "vocabulary_filter_name": "f", "vocabulary_filter_method": "hide"}),
        "vocabulary_filter_method",
        "remove, mask, tag",
    ),
    ("an unknown template", request(settings={**SPEAKERS, "note_template": "SOAP"}), "note_template", "GIRPP"),
    ("a user ARN", request(role_arn="arn:aws:iam::111122223333:user/alice"), "role_arn", "IAM role ARN"),
    ("a role name", request(role_arn="HealthScribeAccess"), "role_arn", "IAM role ARN"),
    ("another partition", request(role_arn="arn:aws-xx:iam::111122223333:role/R"), "role_arn", "IAM role ARN"),
    ("a bucket URI", request(output_bucket="s3://notes-out"), "output_bucket", "bucket name"),
    ("a bucket in capitals", request(output_bucket="Notes"), "output_bucket", "a-z"),
    ("a media path", request(media_uri="/tmp/visit.wav"), "media_uri", "s3://"),
    ("a name with a space", request(job_name="visit 0412"), "job_name", "A-Z"),
    ("a name too long", request(job_name="v" * 201), "job_name", "200"),
    ("a KMS key with a space", request(kms_key_id="my key"), "kms_key_id", "KMS key"),
    (
        "a KMS context without a key",
        request(kms_encryption_context={"dept": "cardio"}),
        "kms_encryption_context",
        "kms_key_id",
    ),
    (
        "a KMS context of 11 pairs",
        request(kms_key_id="alias/notes", kms_encryption_context={f"k{i}": "v" for i in range(11)}),
        "kms_encryption_context",
        "1-10",
    ),
    (
        "a KMS context value not ASCII",
        request(kms_key_id="alias/notes", kms_encryption_context={"dept": "caf\u00e9"}),
        "kms_encryption_context",
        "printable ASCII",
    ),
    ("no tags", request(tags={}), "tags", "1-200"),
    ("a tag key too long", request(tags={"k" * 129: "v"}), "tags", "1-128"),
    ("a tag value too long", request(tags={"k": "v" * 257}), "tags", "0-256"),
    ("unknown pronouns", request(patient_pronouns="HIM"), "patient_pronouns", "HE_HIM, SHE_HER, THEY_THEM"),
    ("an unknown field", request(language_code="en-US"), "language_code", "unknown field"),
    ("no role", {key: value for key, value in request().items() if key != "role_arn"}, "role_arn", "required"),
]


@pytest.mark.parametrize(("case", "data", "field", "allowed"), REFUSED, ids=[case[0] for case in REFUSED])
def test_a_refused_request_says_field_and_what_is_allowed_in_one_line(
    case: str, data: dict[str, Any], field: str, allowed: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        StartScribeJobRequest.model_validate(data)
    message = str(caught.value)
    assert "\n" not in message
    assert field in message.split(":")[0] or message.startswith(field), message
    assert allowed in message, message


@pytest.mark.parametrize(("case", "data", "field", "allowed"), REFUSED, ids=[case[0] for case in REFUSED])
def test_nothing_is_sent_for_a_refused_request(
    stubs: Any, client: TranscribeMedical, case: str, data: dict[str, Any], field: str, allowed: str
) -> None:
    _, _, sent = stubs
    with pytest.raises(ValidationError):
        client.scribe.jobs.start(StartScribeJobRequest.model_validate(data))
    assert sent.operations == []


def test_one_shot_jobs_are_refused_before_the_upload(stubs: Any, client: TranscribeMedical, tmp_path: Any) -> None:
    _, _, sent = stubs
    audio = tmp_path / "visit.wav"
    audio.write_bytes(b"RIFF")
    with pytest.raises(ValidationError, match="role_arn"):
        client.scribe.jobs.transcribe_file(audio, bucket="visits", role_arn="not-an-arn")
    with pytest.raises(ValidationError, match="channel_definitions"):
        client.scribe.jobs.transcribe_file(audio, bucket="visits", role_arn=ROLE_ARN, channel_definitions=CHANNELS[:1])
    assert sent.operations == []


def test_a_good_request_is_sent_as_aws_names_it() -> None:
    built = StartScribeJobRequest(
        **BASE,
        settings=ScribeSettings(
            channel_identification=True,
            vocabulary_name="cardiology-terms",
            vocabulary_filter_name="visit-words",
            vocabulary_filter_method="MASK",
            note_template="bh_soap",
        ),
        channel_definitions=[
            ChannelDefinition(channel_id=1, participant_role="patient"),
            ChannelDefinition(channel_id=0, participant_role="CLINICIAN"),
        ],
        patient_pronouns="they_them",
        kms_key_id="alias/notes",
        kms_encryption_context={"dept": "primary-care"},
        tags={"team": "scribe"},
    )
    assert built.to_api() == {
        "MedicalScribeJobName": "visit-0412",
        "Media": {"MediaFileUri": "s3://visits/0412.wav"},
        "OutputBucketName": "notes-out",
        "DataAccessRoleArn": ROLE_ARN,
        "Settings": {
            "ChannelIdentification": True,
            "VocabularyName": "cardiology-terms",
            "VocabularyFilterName": "visit-words",
            "VocabularyFilterMethod": "mask",
            "ClinicalNoteGenerationSettings": {"NoteTemplate": "BEHAVIORAL_SOAP"},
        },
        "ChannelDefinitions": [
            {"ChannelId": 0, "ParticipantRole": "CLINICIAN"},
            {"ChannelId": 1, "ParticipantRole": "PATIENT"},
        ],
        "MedicalScribeContext": {"PatientContext": {"Pronouns": "THEY_THEM"}},
        "OutputEncryptionKMSKeyId": "alias/notes",
        "KMSEncryptionContext": {"dept": "primary-care"},
        "Tags": [{"Key": "team", "Value": "scribe"}],
    }


def test_aws_documented_request_body_is_accepted_and_sent_back_unchanged() -> None:
    # The docs' Markdown marks replaceable values with backticks; the request itself has none.
    body = json.loads(json.dumps(aws_json("start-medical-scribe-job-request.json")).replace("`", ""))
    sent = StartScribeJobRequest.model_validate(body).to_api()
    del body["Settings"]["ShowSpeakerLabels"]  # false: the SDK leaves out what is not set
    assert sent == body


def test_every_template_the_api_names_is_accepted() -> None:
    for template in NoteTemplate:
        built = ScribeSettings(**SPEAKERS, note_template=template.value.lower())
        assert built.to_api()["ClinicalNoteGenerationSettings"] == {"NoteTemplate": template.value}
    assert ScribeSettings(**SPEAKERS, note_template="PH_SOAP").note_template is NoteTemplate.PHYSICAL_SOAP


def test_the_error_keeps_pydantics_as_its_cause() -> None:
    with pytest.raises(ValidationError) as caught:
        StartScribeJobRequest.model_validate(request(role_arn="x"))
    assert caught.value.__cause__ is not None


@pytest.mark.parametrize(
    ("data", "allowed"),
    [
        ({"name": "f"}, "exactly one"),
        ({"name": "f", "words": ["a"], "file_uri": "s3://b/k.txt"}, "exactly one"),
        ({"name": "f", "words": []}, "at least 1"),
        ({"name": "f", "words": "darn"}, "list of words"),
        ({"name": "f", "words": ["w" * 257]}, "256"),
        ({"name": "f", "words": ["a"], "language_code": "xx-XX"}, "language code"),
        ({"name": "f f", "words": ["a"]}, "A-Z"),
        ({"name": "f", "words": ["a"], "kms_encryption_context": {"a": "b"}}, "kms_key_id"),
    ],
)
def test_vocabulary_filter_requests_are_refused_before_sending(
    stubs: Any, client: TranscribeMedical, data: dict[str, Any], allowed: str
) -> None:
    _, _, sent = stubs
    with pytest.raises(ValidationError, match=allowed):
        VocabularyFilterRequest.model_validate(data)
    with pytest.raises(ValidationError, match=allowed):
        client.vocabulary_filters.create(
            data["name"],
            data.get("words"),
            file_uri=data.get("file_uri"),
            language_code=data.get("language_code", "en-US"),
            kms_encryption_context=data.get("kms_encryption_context"),
        )
    assert sent.operations == []


def test_vocabulary_filter_update_needs_words_or_a_file(stubs: Any, client: TranscribeMedical) -> None:
    _, _, sent = stubs
    with pytest.raises(ValidationError, match="exactly one"):
        client.vocabulary_filters.update("visit-words")
    assert sent.operations == []
    assert VocabularyFilterUpdate(name="f", file_uri="s3://lists/words.txt").to_api() == {
        "VocabularyFilterName": "f",
        "VocabularyFilterFileUri": "s3://lists/words.txt",
    }
