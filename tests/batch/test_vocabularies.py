"""client.vocabularies: round trip on moto, update and FAILED on botocore's Stubber."""

from __future__ import annotations

import pytest
from botocore.stub import Stubber

from transcribe_medical import ConflictError, NotFoundError, TranscribeMedical, ValidationError
from transcribe_medical.batch import VocabularyFailedError
from transcribe_medical.models.enums import VocabularyState

from .conftest import MEDIA_BUCKET, RequestCounter, fast_config


def test_vocabulary_round_trip(client: TranscribeMedical) -> None:
    created = client.vocabularies.create(
        "cardio-terms", ["atrial fibrillation", "metoprolol"], bucket=MEDIA_BUCKET, tags={"team": "cardio"}
    )
    assert created.name == "cardio-terms"
    body = (
        client.boto3_client("s3")
        .get_object(Bucket=MEDIA_BUCKET, Key="transcribe-medical/vocabularies/cardio-terms.txt")["Body"]
        .read()
    )
    assert body.decode() == (
        "Phrase\tSoundsLike\tIPA\tDisplayAs\natrial-fibrillation\t\t\tatrial fibrillation\nmetoprolol\t\t\t\n"
    )

    states: list[VocabularyState | None] = []
    ready = client.vocabularies.wait("cardio-terms", poll_interval=0.0, progress=lambda v: states.append(v.state))
    assert ready.state is VocabularyState.READY
    assert states == [VocabularyState.PENDING, VocabularyState.READY]
    assert client.vocabularies.get("cardio-terms").state is VocabularyState.READY
    assert [v.name for v in client.vocabularies.list(state="READY", name_contains="cardio")] == ["cardio-terms"]

    with pytest.raises(ConflictError) as caught:
        client.vocabularies.create("cardio-terms", file_uri=f"s3://{MEDIA_BUCKET}/x.txt")
    assert caught.value.code == "ConflictException"

    client.vocabularies.delete("cardio-terms")
    with pytest.raises(NotFoundError):
        client.vocabularies.get("cardio-terms")
    with pytest.raises(NotFoundError):
        client.vocabularies.delete("cardio-terms")


def test_vocabulary_from_an_s3_file_uploads_nothing(client: TranscribeMedical, sent: RequestCounter) -> None:
    client.vocabularies.create("from-file", file_uri=f"s3://{MEDIA_BUCKET}/vocab.txt", key="ignored")
    assert sent.operations == ["CreateMedicalVocabulary"]


def test_vocabulary_list_paginates(client: TranscribeMedical) -> None:
    for index in range(5):
        client.vocabularies.create(f"v{index}", file_uri=f"s3://{MEDIA_BUCKET}/v.txt")
    assert [v.name for v in client.vocabularies.list(page_size=2)] == [f"v{i}" for i in range(5)]


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"name": "v", "phrases": ["a"]}, "bucket: None is invalid"),
        ({"name": "bad name", "phrases": ["a"], "bucket": MEDIA_BUCKET}, "name: 'bad name' is invalid"),
        ({"name": "v", "phrases": ["x" * 257], "bucket": MEDIA_BUCKET}, "at most 256"),
        ({"name": "v"}, "exactly one"),
    ],
)
def test_create_refuses_bad_input_before_sending(
    client: TranscribeMedical, sent: RequestCounter, kwargs: dict[str, object], fragment: str
) -> None:
    with pytest.raises(ValidationError, match=fragment):
        client.vocabularies.create(**kwargs)  # type: ignore[arg-type]
    assert sent.count == 0


def test_list_refuses_a_bad_state(client: TranscribeMedical) -> None:
    with pytest.raises(ValidationError, match="state: 'DONE' is invalid: use one of PENDING, READY, FAILED"):
        client.vocabularies.list(state="DONE")


PENDING = {"VocabularyName": "v", "VocabularyState": "PENDING"}


def test_update_with_stubber(moto_aws: None) -> None:
    with TranscribeMedical(config=fast_config()) as facade:
        facade.boto3_client("s3").create_bucket(Bucket=MEDIA_BUCKET)
        with Stubber(facade.boto3_client("transcribe")) as stub:
            stub.add_response(
                "update_medical_vocabulary",
                {"VocabularyName": "cardio", "LanguageCode": "en-US", "VocabularyState": "PENDING"},
                {
                    "VocabularyName": "cardio",
                    "LanguageCode": "en-US",
                    "VocabularyFileUri": f"s3://{MEDIA_BUCKET}/transcribe-medical/vocabularies/cardio.txt",
                },
            )
            stub.add_client_error("update_medical_vocabulary", "NotFoundException", "no such vocabulary", 404)
            updated = facade.vocabularies.update("cardio", ["ejection fraction"], bucket=MEDIA_BUCKET)
            assert updated.state is VocabularyState.PENDING
            with pytest.raises(NotFoundError):
                facade.vocabularies.update("gone", file_uri=f"s3://{MEDIA_BUCKET}/v.txt")
            stub.assert_no_pending_responses()


def test_wait_raises_when_the_vocabulary_fails(moto_aws: None) -> None:
    with TranscribeMedical(config=fast_config()) as facade, Stubber(facade.boto3_client("transcribe")) as stub:
        stub.add_response("get_medical_vocabulary", PENDING, {"VocabularyName": "v"})
        stub.add_response(
            "get_medical_vocabulary",
            {"VocabularyName": "v", "VocabularyState": "FAILED", "FailureReason": "Invalid phrase: 42"},
            {"VocabularyName": "v"},
        )
        with pytest.raises(VocabularyFailedError) as caught:
            facade.vocabularies.wait("v", poll_interval=0.0)
    assert caught.value.failure_reason == "Invalid phrase: 42"
    assert "Invalid phrase: 42" in str(caught.value)


def test_wait_times_out(moto_aws: None) -> None:
    from transcribe_medical import TimeoutError

    with TranscribeMedical(config=fast_config()) as facade, Stubber(facade.boto3_client("transcribe")) as stub:
        stub.add_response("get_medical_vocabulary", PENDING, {"VocabularyName": "v"})
        with pytest.raises(TimeoutError, match="vocabulary v is still PENDING"):
            facade.vocabularies.wait("v", timeout=0.0)
