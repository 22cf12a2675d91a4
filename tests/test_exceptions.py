"""The error hierarchy and the one place botocore errors are translated."""

from __future__ import annotations

import builtins
import json

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
    for cls in (
        BadRequestError,
        NotFoundError,
        ConflictError,
        LimitExceededError,
        InternalFailureError,
        ServiceUnavailableError,
    ):
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


# --- AWS's words kept (issue 16, part 6) ---------------------------------------------------------
#
# Every code the mapping knows goes through botocore's Stubber and our facade: the service's
# message must reach the caller word for word, in ``.message`` and in ``str()``.

_INVALID_TOKEN = "The security token included in the request is invalid."
_EXPIRED_TOKEN = "The security token included in the request is expired"
#: Quotes, non-ASCII, a percent sign and braces: nothing in it may be reworded or formatted.
_ODD_MESSAGE = "Le fichier « visite.wav » n'est pas accepté — 100% {sic}"


def _stubbed_get(code: str, message: str, status: int) -> TranscribeMedicalError:
    from botocore.stub import Stubber

    from transcribe_medical import ClientConfig, RetryPolicy, TranscribeMedical

    config = ClientConfig(region_name="us-east-1", retry=RetryPolicy(max_attempts=1))
    with TranscribeMedical(config=config) as client, Stubber(client.boto3_client("transcribe")) as stub:
        stub.add_client_error(
            "get_medical_transcription_job",
            service_error_code=code,
            service_message=message,
            http_status_code=status,
            response_meta={"RequestId": "req-7"},
        )
        with pytest.raises(TranscribeMedicalError) as raised:
            client.jobs.get("visit-1")
        stub.assert_no_pending_responses()
    return raised.value


def _status_for(code: str) -> int:
    from transcribe_medical._exceptions import _CODE_TO_CLASS

    cls = _CODE_TO_CLASS[code]
    for status, family in (
        (404, NotFoundError),
        (409, ConflictError),
        (429, LimitExceededError),
        (500, InternalFailureError),
        (503, ServiceUnavailableError),
    ):
        if cls is family:
            return status
    return 400


def _mapped_codes() -> list[str]:
    from transcribe_medical._exceptions import _CODE_TO_CLASS

    return sorted(_CODE_TO_CLASS)


@pytest.mark.parametrize("code", _mapped_codes())
def test_every_mapped_service_error_keeps_the_service_message(code: str) -> None:
    from transcribe_medical._exceptions import _CODE_TO_CLASS

    error = _stubbed_get(code, _ODD_MESSAGE, _status_for(code))
    assert type(error) is _CODE_TO_CLASS[code]
    assert isinstance(error, ServiceError)
    assert error.code == code
    assert error.message == _ODD_MESSAGE
    assert _ODD_MESSAGE in str(error)
    assert error.request_id == "req-7"


def _credential_codes() -> list[str]:
    from transcribe_medical._exceptions import CREDENTIAL_ERROR_CODES

    return sorted(CREDENTIAL_ERROR_CODES)


@pytest.mark.parametrize("code", _credential_codes())
def test_every_credential_refusal_keeps_the_service_message_then_the_hint(code: str) -> None:
    error = _stubbed_get(code, _ODD_MESSAGE, 403)
    assert type(error) is CredentialsError
    assert error.code == code
    assert error.message == _ODD_MESSAGE
    assert error.request_id == "req-7" and error.status_code == 403
    text = str(error)
    # AWS's words first, then ours: what to check.
    assert text.startswith(f"{code}: {_ODD_MESSAGE}")
    assert text.index(_ODD_MESSAGE) < text.index("session token") < text.index("clock")


@pytest.mark.parametrize("message", [_INVALID_TOKEN, _EXPIRED_TOKEN])
def test_invalid_and_expired_tokens_stay_distinguishable(message: str) -> None:
    error = _stubbed_get("UnrecognizedClientException", message, 403)
    assert isinstance(error, CredentialsError)
    assert error.message == message
    assert message in str(error)
    other = _EXPIRED_TOKEN if message == _INVALID_TOKEN else _INVALID_TOKEN
    assert other not in str(error)


def test_a_refusal_without_a_message_still_names_the_code_and_the_hint() -> None:
    error = translate_error(_client_error("InvalidSignatureException", 403, message=""))
    assert isinstance(error, CredentialsError)
    assert error.code == "InvalidSignatureException" and error.message == ""
    assert str(error).startswith("InvalidSignatureException — ") and "clock" in str(error)


def test_credentials_not_found_locally_have_no_code() -> None:
    error = translate_error(bce.NoCredentialsError())
    assert isinstance(error, CredentialsError)
    assert error.code is None and error.request_id is None
    assert error.message == str(error)


@pytest.mark.parametrize("code", _mapped_codes())
def test_streaming_exception_events_keep_the_service_message(code: str) -> None:
    from streaming.fake_service import exception_frame
    from transcribe_medical import StreamConfig
    from transcribe_medical._exceptions import _CODE_TO_CLASS
    from transcribe_medical.streaming.protocol import StreamSession

    session = StreamSession(StreamConfig(media_encoding="pcm", sample_rate=16000))
    with pytest.raises(ServiceError) as raised:
        session.receive_frame(exception_frame(code, _ODD_MESSAGE))
    assert type(raised.value) is _CODE_TO_CLASS[code]
    assert raised.value.message == _ODD_MESSAGE and _ODD_MESSAGE in str(raised.value)


@pytest.mark.parametrize("message", [_INVALID_TOKEN, _EXPIRED_TOKEN])
def test_streaming_credential_exception_event_keeps_the_service_message(message: str) -> None:
    from streaming.fake_service import exception_frame
    from transcribe_medical import StreamConfig
    from transcribe_medical.streaming.protocol import StreamSession

    session = StreamSession(StreamConfig(media_encoding="pcm", sample_rate=16000))
    with pytest.raises(CredentialsError) as raised:
        session.receive_frame(exception_frame("UnrecognizedClientException", message))
    assert raised.value.message == message
    assert str(raised.value).startswith(f"UnrecognizedClientException: {message}")
    assert "session token" in str(raised.value)


def test_handshake_403_keeps_the_service_words_then_the_hint() -> None:
    from transcribe_medical.streaming._transport import handshake_error

    headers = {"x-amzn-errortype": "InvalidSignatureException:http://internal.amazon.com/", "x-amzn-requestid": "r-9"}
    body = json.dumps({"message": "Signature expired: 20261206T101010Z is now earlier than 20261206T101510Z"})
    error = handshake_error(403, headers, body.encode())
    assert isinstance(error, CredentialsError)
    assert error.code == "InvalidSignatureException" and error.request_id == "r-9" and error.status_code == 403
    assert error.message == "Signature expired: 20261206T101010Z is now earlier than 20261206T101510Z"
    text = str(error)
    assert text.startswith(f"InvalidSignatureException: {error.message} — ")
    assert "HTTP 403" in text and "clock" in text and "StartStreamTranscriptionWebSocket" in text


def test_handshake_403_without_words_still_explains() -> None:
    from transcribe_medical.streaming._transport import handshake_error

    error = handshake_error(403, {}, b"<AccessDeniedException/>")
    assert isinstance(error, CredentialsError)
    assert error.code is None and error.message == "" and error.status_code == 403
    assert str(error).startswith("the service refused the streaming handshake (HTTP 403")
    assert "clock" in str(error)


@pytest.mark.parametrize("status", [400, 403, 429, 500])
def test_a_handshake_body_nested_thousands_deep_is_still_the_refusal(status: int) -> None:
    from transcribe_medical.streaming._transport import handshake_error

    error = handshake_error(status, {}, b'{"message": ' + b"[" * 4000)
    assert isinstance(error, CredentialsError if status == 403 else ServiceError)
    assert error.status_code == status


def test_a_403_from_a_live_handshake_reaches_the_caller_with_the_service_words() -> None:
    from streaming.fake_service import FakeTranscribeStreaming
    from transcribe_medical import ClientConfig, RetryPolicy, StreamConfig, TranscribeMedical

    words = "The security token included in the request is expired"
    fake = FakeTranscribeStreaming({})
    fake.handshake_status = 403
    fake.handshake_body = json.dumps({"__type": "ExpiredTokenException", "message": words})
    fake.start()
    try:
        config = ClientConfig(
            region_name="us-east-1", streaming_endpoint_url=fake.url, retry=RetryPolicy(max_attempts=1)
        )
        with (
            TranscribeMedical(config=config) as client,
            pytest.raises(CredentialsError) as raised,
            client.streaming.connect(StreamConfig(media_encoding="pcm", sample_rate=16000)),
        ):
            pass
    finally:
        fake.stop()
    assert raised.value.code == "ExpiredTokenException"
    assert raised.value.message == words
    assert str(raised.value).startswith(f"ExpiredTokenException: {words} — ")


def test_an_exception_event_nested_thousands_deep_is_still_the_service_error() -> None:
    from streaming.fake_service import encode_frame
    from transcribe_medical import StreamConfig
    from transcribe_medical.streaming.protocol import StreamSession

    frame = encode_frame({":message-type": "exception", ":exception-type": "BadRequestException"}, b"[" * 100_000)
    session = StreamSession(StreamConfig(media_encoding="pcm", sample_rate=16000))
    with pytest.raises(BadRequestError) as raised:  # not a RecursionError from the JSON decoder
        session.receive_frame(frame)
    assert raised.value.message == "[" * 200


def test_an_invalid_region_name_is_bad_input() -> None:
    error = translate_error(bce.InvalidRegionError(region_name="us east 1"))
    assert isinstance(error, ValidationError) and error.field == "region"
    assert "'us east 1'" in str(error) and "us-east-1" in str(error)


def test_an_unparseable_config_file_is_bad_input_naming_the_file() -> None:
    error = translate_error(bce.ConfigParseError(path="/home/me/.aws/config"))
    assert isinstance(error, ValidationError)
    assert "/home/me/.aws/config" in str(error) and "AWS_CONFIG_FILE" in str(error)
