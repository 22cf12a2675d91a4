"""S3 URI parsing and where transcripts land (reference §1.10)."""

from __future__ import annotations

import pytest

from transcribe_medical import MedicalTranscriptionJob, StartJobRequest, ValidationError
from transcribe_medical.batch import S3Location, expected_output_location, parse_s3_uri, transcript_location
from transcribe_medical.batch.output_location import request_output_location


@pytest.mark.parametrize(
    ("uri", "bucket", "key"),
    [
        ("s3://my-bucket/medical/visit.json", "my-bucket", "medical/visit.json"),
        ("s3://my-bucket/a%20b.json", "my-bucket", "a%20b.json"),
        ("https://s3.us-east-1.amazonaws.com/my-bucket/medical/visit.json", "my-bucket", "medical/visit.json"),
        ("https://s3.amazonaws.com/my-bucket/x/y.json", "my-bucket", "x/y.json"),
        ("https://s3-us-west-2.amazonaws.com/my-bucket/k.json", "my-bucket", "k.json"),
        ("https://my-bucket.s3.amazonaws.com/medical/visit.json", "my-bucket", "medical/visit.json"),
        ("https://my-bucket.s3.eu-west-1.amazonaws.com/a/b.json", "my-bucket", "a/b.json"),
        ("https://my.dotted.bucket.s3.us-east-2.amazonaws.com/k", "my.dotted.bucket", "k"),
        ("https://my-bucket.s3-us-west-2.amazonaws.com/k", "my-bucket", "k"),
        ("https://my-bucket.s3.dualstack.eu-west-1.amazonaws.com/k", "my-bucket", "k"),
        ("https://s3.cn-north-1.amazonaws.com.cn/b-cn/k", "b-cn", "k"),
        ("https://s3.us-east-1.amazonaws.com/my-bucket/a%20b%2Bc.json", "my-bucket", "a b+c.json"),
        ("http://127.0.0.1:5000/local-bucket/medical/x.json", "local-bucket", "medical/x.json"),
    ],
)
def test_parse_s3_uri(uri: str, bucket: str, key: str) -> None:
    assert parse_s3_uri(uri) == S3Location(bucket, key)


@pytest.mark.parametrize(
    "uri", ["", "s3://", "s3://bucket", "s3://bucket/", "ftp://x/y/z", "https://s3.amazonaws.com/bucket", "nope"]
)
def test_parse_s3_uri_refuses(uri: str) -> None:
    with pytest.raises(ValidationError, match=r"uri: .* is invalid: use s3://bucket/key"):
        parse_s3_uri(uri)


def test_location_forms() -> None:
    location = S3Location("b", "medical/j.json")
    assert location.uri == str(location) == "s3://b/medical/j.json"
    assert location.https_url("eu-west-1") == "https://s3.eu-west-1.amazonaws.com/b/medical/j.json"
    assert parse_s3_uri(location.https_url("us-east-1")) == location


@pytest.mark.parametrize(
    ("output_key", "key"),
    [
        (None, "medical/visit-1.json"),
        ("", "medical/visit-1.json"),
        ("test-files/my-transcript.json", "test-files/my-transcript.json"),
        ("test-files/my-transcript", "test-files/my-transcript/visit-1.json"),
        ("test-files/", "test-files/visit-1.json"),
        ("top.json", "top.json"),
    ],
)
def test_expected_output_location(output_key: str | None, key: str) -> None:
    assert expected_output_location("visit-1", "out-bucket", output_key) == S3Location("out-bucket", key)


def test_transcript_location_prefers_the_job_uri() -> None:
    request = StartJobRequest(
        job_name="visit-1", media_uri="s3://in-bucket/a.wav", output_bucket="out-bucket", output_key="notes/"
    )
    assert request_output_location(request) == S3Location("out-bucket", "notes/visit-1.json")
    reported = MedicalTranscriptionJob.from_api(
        {
            "MedicalTranscriptionJobName": "visit-1",
            "Transcript": {"TranscriptFileUri": "https://s3.us-east-1.amazonaws.com/out-bucket/medical/visit-1.json"},
        }
    )
    # moto ignores OutputKey; the job's own URI is the truth.
    assert transcript_location(reported, request) == S3Location("out-bucket", "medical/visit-1.json")
    pending = MedicalTranscriptionJob.from_api({"MedicalTranscriptionJobName": "visit-1"})
    assert transcript_location(pending, request) == S3Location("out-bucket", "notes/visit-1.json")
    assert transcript_location(pending) is None
