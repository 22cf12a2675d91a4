"""The error hierarchy and the one place botocore errors are translated."""

from __future__ import annotations

import builtins

import pytest
from botocore import exceptions as bce

from transcribe_medical import (
    AudioFormatError,
    BadRequestError,
    ConflictError,
    ConnectionError,
    CredentialsError,
    InternalFailureError,
    LimitExceededError,
    NotFoundError,
    ProtocolError,
    ServiceError,
    ServiceUnavailableError,
    TimeoutError,
    TranscribeMedicalError,
    UnsupportedSpecialtyError,
    ValidationError,
)
from transcribe_medical._exceptions import translate_error
from transcribe_medical.batch._errors import as_not_found


def _client_error(code: str, status: int, message: str = "msg", request_id: str = "req-1") -> bce.ClientError:
    return bce.ClientError(
        {
            "Error": {"Code": code, "Message": message},
            "ResponseMetadata": {"HTTPStatusCode": status, "RequestId": request_id},
        },
        "StartMedicalTranscriptionJob",
    )


@pytest.mark.parametrize(
    ("code", "status", "cls", "retryable"),
    [
        ("BadRequestException", 400, BadRequestError, False),
        ("NotFoundException", 404, NotFoundError, False),
        ("ConflictException", 409, ConflictError, False),
        ("ConflictException", 400, ConflictError, False),  # moto answers 400 for everything
        ("LimitExceededException", 429, LimitExceededError, True),
        ("ThrottlingException", 400, LimitExceededError, True),
        ("InternalFailureException", 500, InternalFailureError, True),
        ("ServiceUnavailableException", 503, ServiceUnavailableError, True),
        ("NoSuchKey", 404, NotFoundError, False),
        ("SomethingNew", 502, InternalFailureError, True),
        ("SomethingNew", 418, BadRequestError, False),
        ("AccessDeniedException", 403, BadRequestError, False),
    ],
)
def test_client_errors_map_to_classes(code: str, status: int, cls: type[ServiceError], retryable: bool) -> None:
    original = _client_error(code, status)
    error = translate_error(original)
    assert type(error) is cls
    assert isinstance(error, ServiceError)
    assert error.code == code
    assert error.message == "msg"
    assert error.request_id == "req-1"
    assert error.status_code == status
    assert error.retryable is retryable
    assert str(error) == f"{code}: msg"


def test_size_limit_is_not_retryable() -> None:
    error = translate_error(_client_error("LimitExceededException", 429, "Invalid file size: file size too large"))
    assert isinstance(error, LimitExceededError) and not error.retryable


@pytest.mark.parametrize(
    "code", ["UnrecognizedClientException", "InvalidSignatureException", "ExpiredTokenException", "ExpiredToken"]
)
def test_refused_credentials_are_credentials_errors(code: str) -> None:
    error = translate_error(_client_error(code, 403))
    assert isinstance(error, CredentialsError)
    assert "session token" in str(error) and "clock" in str(error)


@pytest.mark.parametrize(
    ("original", "cls"),
    [
        (bce.NoCredentialsError(), CredentialsError),
        (bce.PartialCredentialsError(provider="env", cred_var="AWS_SECRET_ACCESS_KEY"), CredentialsError),
        (bce.ProfileNotFound(profile="nope"), CredentialsError),
        (bce.NoRegionError(), ValidationError),
        (bce.ParamValidationError(report="Missing required parameter"), ValidationError),
        (bce.EndpointConnectionError(endpoint_url="http://127.0.0.1:1"), ConnectionError),
        (bce.ConnectionClosedError(endpoint_url="http://127.0.0.1:1"), ConnectionError),
        (bce.ConnectTimeoutError(endpoint_url="http://127.0.0.1:1"), TimeoutError),
        (bce.ReadTimeoutError(endpoint_url="http://127.0.0.1:1"), TimeoutError),
        (bce.SSLError(endpoint_url="https://127.0.0.1:1", error="bad cert"), ConnectionError),
        (bce.DataNotFoundError(data_path="x"), TranscribeMedicalError),
    ],
)
def test_botocore_errors_are_translated(original: Exception, cls: type[Exception]) -> None:
    error = translate_error(original)
    assert isinstance(error, cls)
    assert isinstance(error, TranscribeMedicalError)


def test_library_errors_and_foreign_errors_pass_through() -> None:
    ours = ValidationError("x")
    assert translate_error(ours) is ours
    foreign = KeyError("x")
    assert translate_error(foreign) is foreign


def test_hierarchy_and_builtins() -> None:
    assert issubclass(ValidationError, ValueError)
    assert issubclass(UnsupportedSpecialtyError, ValidationError)
    assert issubclass(AudioFormatError, ValidationError)
    assert issubclass(ConnectionError, builtins.ConnectionError)
    assert issubclass(TimeoutError, builtins.TimeoutError)
    for cls in (CredentialsError, ServiceError, ConnectionError, ProtocolError, TimeoutError, ValidationError):
        assert issubclass(cls, TranscribeMedicalError)
    for cls in (BadRequestError, NotFoundError, ConflictError, LimitExceededError, InternalFailureError,
                ServiceUnavailableError):
        assert issubclass(cls, ServiceError)


@pytest.mark.parametrize(
    "message",
    [
        "The requested job couldn't be found. Check the job name and try your request again.",
        "The vocabulary does not exist.",
    ],
)
def test_bad_request_saying_not_found_becomes_not_found(message: str) -> None:
    bad = BadRequestError(message, code="BadRequestException", request_id="r", status_code=400)
    error = as_not_found(bad)
    assert isinstance(error, NotFoundError)
    assert error.code == "BadRequestException" and error.request_id == "r" and error.message == message
    assert error.__cause__ is bad


def test_other_bad_requests_stay_bad_requests() -> None:
    bad = BadRequestError("The job is not in a terminal state", code="BadRequestException")
    assert as_not_found(bad) is bad
    conflict = ConflictError("not found in name, but a conflict", code="ConflictException")
    assert as_not_found(conflict) is conflict
