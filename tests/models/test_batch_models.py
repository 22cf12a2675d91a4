"""Batch request and response models: every rule, its message, and agreement with botocore."""

from __future__ import annotations

from typing import Any

import botocore.session
import pytest
from botocore.validate import ParamValidator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from transcribe_medical import (
    JobSettings,
    JobStatus,
    MedicalTranscriptionJob,
    MedicalVocabulary,
    Specialty,
    StartJobRequest,
    UnsupportedSpecialtyError,
    ValidationError,
)
from transcribe_medical.models.batch import JobSummary, VocabularyRequest, VocabularySummary

BASE: dict[str, Any] = {
    "job_name": "visit-0412",
    "media_uri": "s3://media-bucket/audio/visit-0412.wav",
    "output_bucket": "output-bucket",
}

_SERVICE_MODEL = botocore.session.get_session().get_service_model("transcribe")


def _botocore_errors(operation: str, params: dict[str, Any]) -> str:
    report = ParamValidator().validate(params, _SERVICE_MODEL.operation_model(operation).input_shape)
    return report.generate_report() if report.has_errors() else ""


def _refused(**changes: Any) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        StartJobRequest(**{**BASE, **changes})
    return caught.value


def _assert_one_line(error: Exception, *fragments: str) -> None:
    message = str(error)
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message, (fragment, message)


# --- StartJobRequest: one case per rule -------------------------------------------------------

# (field, bad value, text of the allowed values that must appear in the message)
FIELD_RULES = [
    ("job_name", "has space", "1-200 characters"),
    ("job_name", "", "1-200 characters"),
    ("job_name", "x" * 201, "1-200 characters"),
    ("job_name", "..", "'.' and '..' alone are not allowed"),
    ("media_uri", "https://media-bucket.s3.amazonaws.com/a.wav", "s3://bucket/key"),
    ("media_uri", "s3://media-bucket/", "s3://bucket/key"),
    ("media_uri", "s3://UPPER/a.wav", "bucket names are 3-63 characters"),
    ("media_uri", "ftp://host/a.wav", "s3://bucket/key"),
    ("media_uri", "s3://media-bucket/" + "k" * 2000, "at most 2000 characters"),
    ("output_bucket", "Upper", "3-63 characters from a-z"),
    ("output_bucket", "ab", "3-63 characters from a-z"),
    ("output_bucket", "", "3-63 characters from a-z"),
    ("output_bucket", "s3://output-bucket", "without s3://"),
    ("output_key", "has space.json", "1-1024 characters"),
    ("output_key", "", "1-1024 characters"),
    ("output_key", "k" * 1025, "1-1024 characters"),
    ("specialty", "DENTISTRY", "PRIMARYCARE"),
    ("type", "MONOLOGUE", "CONVERSATION, DICTATION"),
    ("language_code", "fr-FR", "en-US"),
    ("media_format", "aac", "mp3, mp4, wav, flac, ogg, amr, webm, m4a"),
    ("sample_rate", 8000, "16000 to 48000"),
    ("sample_rate", 96000, "16000 to 48000"),
    ("sample_rate", True, "16000 to 48000"),
    ("content_identification", "PII", "PHI"),
    ("kms_key_id", "-starts-with-dash", "KMS key id"),
    ("kms_key_id", "k" * 2049, "1-2048 characters"),
    ("kms_encryption_context", {}, "1-10 pairs"),
    ("kms_encryption_context", {str(i): "v" for i in range(11)}, "1-10 pairs"),
    ("kms_encryption_context", {"k": ""}, "printable ASCII"),
    ("tags", {}, "1 to 200 tags"),
    ("tags", {f"k{i}": "v" for i in range(201)}, "1 to 200 tags"),
    ("tags", {"": "v"}, "1-128 characters"),
    ("tags", {"k" * 129: "v"}, "1-128 characters"),
    ("tags", {"k": "v" * 257}, "0-256 characters"),
    ("tags", [{"Key": "a", "Value": "1"}, {"Key": "a", "Value": "2"}], "unique"),
    ("tags", "a=b", "use a dict"),
]


# Inside a dict, the message shows the bad key or value itself, not the whole dict.
_SHOWN_INSIDE = {"kms_encryption_context": "''", "tags": "''"}


@pytest.mark.parametrize(("field", "value", "allowed"), FIELD_RULES)
def test_each_field_rule_names_field_value_and_allowed_values(field: str, value: Any, allowed: str) -> None:
    error = _refused(**{field: value})
    shown = repr(value)
    _assert_one_line(error, f"{field}:", allowed)
    if len(shown) < 60:
        assert shown in str(error) or (field in _SHOWN_INSIDE and _SHOWN_INSIDE[field] in str(error))
    assert error.field == field
    assert "more problem" not in str(error)


@pytest.mark.parametrize("specialty", ["CARDIOLOGY", "NEUROLOGY", "ONCOLOGY", "RADIOLOGY", "UROLOGY", "cardiology"])
def test_streaming_only_specialties_are_refused_for_batch(specialty: str) -> None:
    with pytest.raises(UnsupportedSpecialtyError) as caught:
        StartJobRequest(**BASE, specialty=specialty)
    _assert_one_line(caught.value, "specialty:", specialty.upper(), "BATCH", "PRIMARYCARE", "STREAMING")
    assert caught.value.mode == "BATCH"
    assert isinstance(caught.value.__cause__, Exception)


def test_streaming_only_specialty_refused_in_aws_form_too() -> None:
    with pytest.raises(UnsupportedSpecialtyError):
        StartJobRequest.model_validate({**BASE, "Specialty": "ONCOLOGY"})


@pytest.mark.parametrize(
    "alias",
    [
        "family medicine",
        "Internal Medicine",
        "OB-GYN",
        "obgyn",
        "Obstetrics and Gynecology",
        "pediatrics",
        "Paediatrics",
        "primary care",
        "PRIMARYCARE",
        Specialty.PRIMARYCARE,
    ],
)
def test_sub_specialty_aliases_map_to_primary_care(alias: Any) -> None:
    request = StartJobRequest(**BASE, specialty=alias)
    assert request.specialty is Specialty.PRIMARYCARE
    assert request.to_api()["Specialty"] == "PRIMARYCARE"


def test_missing_required_field_is_named() -> None:
    with pytest.raises(ValidationError) as caught:
        StartJobRequest(job_name="x", media_uri="s3://media-bucket/a.wav")
    _assert_one_line(caught.value, "output_bucket: missing", "required")


def test_unknown_field_is_named() -> None:
    error = _refused(speaker_count=2)
    _assert_one_line(error, "speaker_count", "unknown field")


def test_validation_error_keeps_pydantic_cause() -> None:
    error = _refused(sample_rate=1)
    assert error.__cause__ is not None
    assert isinstance(error, ValueError)


def test_minimal_request_to_api() -> None:
    assert StartJobRequest(**BASE).to_api() == {
        "MedicalTranscriptionJobName": "visit-0412",
        "LanguageCode": "en-US",
        "Media": {"MediaFileUri": "s3://media-bucket/audio/visit-0412.wav"},
        "OutputBucketName": "output-bucket",
        "Specialty": "PRIMARYCARE",
        "Type": "DICTATION",
    }


def test_full_request_to_api() -> None:
    request = StartJobRequest(
        **BASE,
        output_key="notes/",
        type="conversation",
        media_format="WAV",
        sample_rate="16000",
        settings=JobSettings(show_speaker_labels=True, max_speakers=2, vocabulary_name="cardio"),
        content_identification="phi",
        kms_key_id="alias/transcripts",
        kms_encryption_context={"purpose": "visit"},
        tags={"team": "cardiology", "empty": ""},
    )
    api = request.to_api()
    assert api["Type"] == "CONVERSATION"
    assert api["MediaFormat"] == "wav"
    assert api["MediaSampleRateHertz"] == 16000
    assert api["Settings"] == {"ShowSpeakerLabels": True, "MaxSpeakerLabels": 2, "VocabularyName": "cardio"}
    assert api["ContentIdentificationType"] == "PHI"
    assert api["OutputEncryptionKMSKeyId"] == "alias/transcripts"
    assert api["KMSEncryptionContext"] == {"purpose": "visit"}
    assert api["Tags"] == [{"Key": "team", "Value": "cardiology"}, {"Key": "empty", "Value": ""}]
    assert api["OutputKey"] == "notes/"
    assert _botocore_errors("StartMedicalTranscriptionJob", api) == ""


def test_pascal_case_aws_form_is_accepted() -> None:
    aws = {
        "MedicalTranscriptionJobName": "visit-1",
        "LanguageCode": "en-US",
        "Media": {"MediaFileUri": "s3://media-bucket/a.wav"},
        "OutputBucketName": "output-bucket",
        "Specialty": "PRIMARYCARE",
        "Type": "CONVERSATION",
        "Settings": {"ChannelIdentification": True},
        "Tags": [{"Key": "k", "Value": "v"}],
    }
    request = StartJobRequest.model_validate(aws)
    assert request.to_api() == aws


def test_media_must_be_a_mapping_with_the_uri() -> None:
    with pytest.raises(ValidationError, match="media: 's3://x/y' is invalid"):
        StartJobRequest.model_validate({"job_name": "j", "Media": "s3://x/y", "output_bucket": "out"})


def test_request_is_immutable() -> None:
    request = StartJobRequest(**BASE)
    with pytest.raises(Exception):  # noqa: B017 - pydantic's frozen-instance error
        request.job_name = "other"  # type: ignore[misc]


# --- JobSettings ---------------------------------------------------------------------------

SETTINGS_RULES = [
    ({"max_speakers": 3}, "max_speakers: 3", "show_speaker_labels=True"),
    ({"show_speaker_labels": True}, "max_speakers: None", "2-30"),
    ({"show_speaker_labels": True, "max_speakers": 1}, "max_speakers: 1", "2 to 30"),
    ({"show_speaker_labels": True, "max_speakers": 31}, "max_speakers: 31", "2 to 30"),
    ({"max_alternatives": 3}, "max_alternatives: 3", "show_alternatives=True"),
    ({"show_alternatives": True}, "max_alternatives: None", "2-10"),
    ({"show_alternatives": True, "max_alternatives": 1}, "max_alternatives: 1", "2 to 10"),
    ({"show_alternatives": True, "max_alternatives": 11}, "max_alternatives: 11", "2 to 10"),
    (
        {"show_speaker_labels": True, "max_speakers": 2, "channel_identification": True},
        "channel_identification: True",
        "not both",
    ),
    ({"vocabulary_name": "bad name"}, "vocabulary_name: 'bad name'", "1-200 characters"),
]


@pytest.mark.parametrize(("data", "named", "allowed"), SETTINGS_RULES)
def test_each_settings_rule(data: dict[str, Any], named: str, allowed: str) -> None:
    with pytest.raises(ValidationError) as caught:
        JobSettings(**data)
    _assert_one_line(caught.value, named, allowed)


def test_settings_rule_inside_a_request_names_the_nested_field() -> None:
    error = _refused(settings={"ShowAlternatives": True})
    _assert_one_line(error, "settings.max_alternatives: None", "2-10")
    assert error.field == "settings.max_alternatives"


def test_valid_settings_to_api() -> None:
    assert JobSettings().to_api() == {}
    assert JobSettings(channel_identification=True, show_alternatives=True, max_alternatives=10).to_api() == {
        "ChannelIdentification": True,
        "ShowAlternatives": True,
        "MaxAlternatives": 10,
    }
    assert "Settings" not in StartJobRequest(**BASE, settings=JobSettings()).to_api()


# --- Vocabulary requests ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "fragments"),
    [
        ({"name": "bad name", "phrases": ["a"]}, ("name: 'bad name'", "1-200 characters")),
        ({"name": "v", "phrases": ["x" * 257]}, ("phrases[0]:", "at most 256 characters")),
        ({"name": "v", "phrases": ["ok", ""]}, ("phrases[1]: '' is invalid", "non-empty")),
        ({"name": "v", "phrases": ["a\tb"]}, ("phrases[0]:", "tab")),
        ({"name": "v", "phrases": "just one string"}, ("phrases:", "list of phrases")),
        ({"name": "v", "phrases": []}, ("phrases:", "at least one")),
        ({"name": "v"}, ("phrases/file_uri", "exactly one")),
        ({"name": "v", "phrases": ["a"], "file_uri": "s3://b-1/v.txt"}, ("both", "exactly one")),
        ({"name": "v", "file_uri": "https://x/v.txt"}, ("file_uri:", "s3://bucket/key")),
        ({"name": "v", "phrases": ["abc"], "language_code": "de-DE"}, ("language_code: 'de-DE'", "en-US")),
        (
            {"name": "v", "phrases": [f"phrase-number-{i:05d}-" + "x" * 200 for i in range(260)]},
            ("phrases:", "51200 bytes"),
        ),
    ],
)
def test_vocabulary_request_rules(data: dict[str, Any], fragments: tuple[str, ...]) -> None:
    with pytest.raises(ValidationError) as caught:
        VocabularyRequest(**data)
    _assert_one_line(caught.value, *fragments)
    assert "more problem" not in str(caught.value)


def test_vocabulary_table_text() -> None:
    request = VocabularyRequest(name="cardio", phrases=["atrial fibrillation", "metoprolol"])
    assert request.table_text() == (
        "Phrase\tSoundsLike\tIPA\tDisplayAs\natrial-fibrillation\t\t\tatrial fibrillation\nmetoprolol\t\t\t\n"
    )
    api = request.to_api("s3://media-bucket/v.txt")
    assert api == {"VocabularyName": "cardio", "LanguageCode": "en-US", "VocabularyFileUri": "s3://media-bucket/v.txt"}
    assert _botocore_errors("CreateMedicalVocabulary", api) == ""
    with pytest.raises(ValidationError, match="file_uri"):
        request.to_api()


# --- Response models --------------------------------------------------------------------------


def test_job_from_aws_dict_keeps_unknown_fields() -> None:
    job = MedicalTranscriptionJob.from_api(
        {
            "MedicalTranscriptionJobName": "visit-1",
            "TranscriptionJobStatus": "FAILED",
            "Media": {"MediaFileUri": "s3://media-bucket/a.wav"},
            "Transcript": {"TranscriptFileUri": "https://s3.us-east-1.amazonaws.com/out/medical/visit-1.json"},
            "FailureReason": "Unsupported media format",
            "Settings": {"ShowSpeakerLabels": True},  # breaks the request rules: kept anyway
            "Specialty": "PRIMARYCARE",
            "Type": "CONVERSATION",
            "Tags": [{"Key": "k", "Value": "v"}],
            "SomethingNew": {"added": "later"},
        }
    )
    assert job.status is JobStatus.FAILED
    assert job.is_done
    assert job.media_uri == "s3://media-bucket/a.wav"
    assert job.transcript_uri is not None and job.transcript_uri.endswith("medical/visit-1.json")
    assert job.failure_reason == "Unsupported media format"
    assert job.settings is not None and job.settings.show_speaker_labels
    assert job.tags == {"k": "v"}
    assert job.model_extra == {"SomethingNew": {"added": "later"}}


def test_job_without_status_is_not_done() -> None:
    job = MedicalTranscriptionJob.from_api({"MedicalTranscriptionJobName": "j"})
    assert job.status is None and not job.is_done


def test_summaries_and_vocabularies() -> None:
    summary = JobSummary.model_validate(
        {
            "MedicalTranscriptionJobName": "j",
            "TranscriptionJobStatus": "COMPLETED",
            "OutputLocationType": "CUSTOMER_BUCKET",
        }
    )
    assert summary.status is JobStatus.COMPLETED and summary.output_location_type == "CUSTOMER_BUCKET"
    vocabulary = MedicalVocabulary.from_api(
        {"VocabularyName": "v", "VocabularyState": "READY", "ResponseMetadata": {"HTTPStatusCode": 200}}
    )
    assert vocabulary.state is not None and vocabulary.state.value == "READY"
    assert not vocabulary.model_extra
    assert VocabularySummary.model_validate({"VocabularyName": "v", "Future": 1}).model_extra == {"Future": 1}


# --- Property: anything the model accepts, botocore accepts --------------------------------

_NAME_CHARS = st.sampled_from("abcXYZ019._- ")
_names = st.text(_NAME_CHARS, min_size=0, max_size=210)
_valid_names = st.from_regex(r"[0-9a-zA-Z._-]{1,200}", fullmatch=True).filter(lambda n: n not in (".", ".."))
# Without surrogates (Cs) every character encodes in UTF-8: no codec= filter, which drew the same
# characters several times slower.
_anything_short = st.text(st.characters(exclude_categories=("Cs",)), max_size=30)
_printable = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=30)


def _mostly(valid: st.SearchStrategy[Any], edge: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Valid values three times in four, so that many examples get past the model."""
    return st.one_of(valid, valid, valid, edge)


_valid_settings = st.one_of(
    st.builds(lambda n: {"show_speaker_labels": True, "max_speakers": n}, st.integers(2, 30)),
    st.builds(
        lambda n: {"ShowAlternatives": True, "MaxAlternatives": n, "ChannelIdentification": True}, st.integers(2, 10)
    ),
    st.builds(lambda v: {"vocabulary_name": v}, _valid_names),
    st.just({}),
)
_any_settings = st.fixed_dictionaries(
    {},
    optional={
        "show_speaker_labels": st.booleans(),
        "max_speakers": st.integers(0, 40),
        "channel_identification": st.booleans(),
        "show_alternatives": st.booleans(),
        "max_alternatives": st.integers(0, 12),
        "vocabulary_name": _names,
    },
)


@st.composite
def _requests(draw: st.DrawFn) -> dict[str, Any]:
    data: dict[str, Any] = {
        "job_name": draw(_mostly(_valid_names, st.one_of(_names, st.sampled_from([".", "..", ""])))),
        "media_uri": draw(
            _mostly(
                st.builds(
                    lambda b, k: f"s3://{b}/{k}",
                    st.from_regex(r"[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]", fullmatch=True),
                    _anything_short.filter(bool),
                ),
                st.sampled_from(["s3://ab/x", "s3://abc/", "https://abc.s3.amazonaws.com/x", ""]),
            )
        ),
        "output_bucket": draw(
            _mostly(
                st.from_regex(r"[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]", fullmatch=True),
                st.from_regex(r"[a-zA-Z0-9.\-/:]{0,66}", fullmatch=True),
            )
        ),
    }
    optional: dict[str, st.SearchStrategy[Any]] = {
        "output_key": _mostly(
            st.from_regex(r"[a-zA-Z0-9\-_.!*'()/]{1,1024}", fullmatch=True),
            st.from_regex(r"[a-zA-Z0-9 ]{0,5}", fullmatch=True),
        ),
        "specialty": _mostly(
            st.sampled_from([Specialty.PRIMARYCARE, "pediatrics", "OB-GYN", "family medicine"]),
            st.sampled_from([*Specialty, "x"]),
        ),
        "type": _mostly(st.sampled_from(["CONVERSATION", "dictation"]), st.just("MONOLOGUE")),
        "language_code": _mostly(st.sampled_from(["en-US", "en-us"]), st.just("en-GB")),
        "media_format": st.sampled_from(["wav", "MP3", "aac", "webm", "m4a"]),
        "sample_rate": _mostly(st.integers(16_000, 48_000), st.integers(-1, 100_000)),
        "settings": _mostly(_valid_settings, _any_settings),
        "content_identification": _mostly(st.sampled_from(["PHI", "phi"]), st.just("PII")),
        "kms_key_id": _mostly(
            st.from_regex(r"[A-Za-z0-9][A-Za-z0-9:_/+=,@.\-]{0,2047}", fullmatch=True),
            st.from_regex(r"[A-Za-z0-9:_/+=,@.\- ]{0,5}", fullmatch=True),
        ),
        "kms_encryption_context": _mostly(
            st.dictionaries(_printable, _printable, min_size=1, max_size=10),
            st.dictionaries(_anything_short, _anything_short, max_size=12),
        ),
        "tags": _mostly(
            st.dictionaries(st.text(min_size=1, max_size=128), st.text(max_size=256), min_size=1, max_size=4),
            st.one_of(
                st.dictionaries(st.text(max_size=130), st.text(max_size=260), max_size=4),
                st.lists(st.fixed_dictionaries({"Key": st.text(max_size=5), "Value": st.text(max_size=5)}), max_size=3),
            ),
        ),
    }
    for name, strategy in optional.items():
        if draw(st.booleans()):
            data[name] = draw(strategy)
    return data


@settings(max_examples=500, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(_requests())
def test_anything_start_job_request_accepts_botocore_accepts(data: dict[str, Any]) -> None:
    try:
        request = StartJobRequest(**data)
    except ValidationError as error:
        message = str(error)
        assert "\n" not in message
        return
    assert _botocore_errors("StartMedicalTranscriptionJob", request.to_api()) == ""


@settings(max_examples=200, deadline=None)
@given(
    name=_mostly(_valid_names, _names),
    phrases=st.lists(_mostly(st.text(min_size=1, max_size=256), st.text(max_size=300)), max_size=5),
    tags=st.one_of(st.none(), st.dictionaries(st.text(max_size=130), st.text(max_size=260), max_size=3)),
)
def test_anything_vocabulary_request_accepts_botocore_accepts(
    name: str, phrases: list[str], tags: dict[str, str] | None
) -> None:
    try:
        request = VocabularyRequest(name=name, phrases=phrases, tags=tags)
    except ValidationError:
        return
    assert _botocore_errors("CreateMedicalVocabulary", request.to_api("s3://media-bucket/v.txt")) == ""
