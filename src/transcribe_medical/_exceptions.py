"""The error hierarchy of transcribe-medical.

Every failure leaves the public API as a :class:`TranscribeMedicalError` subclass. Service
errors are translated from botocore in exactly one place (:func:`translate_client_error`) and
from the streaming protocol in :func:`service_error_from_code`; the original exception is kept
as ``__cause__``.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from typing import Any

__all__ = [
    "AudioFormatError",
    "BadRequestError",
    "ConflictError",
    "ConnectionError",
    "CredentialsError",
    "InternalFailureError",
    "LimitExceededError",
    "NotFoundError",
    "ProtocolError",
    "ServiceError",
    "ServiceUnavailableError",
    "TimeoutError",
    "TranscribeMedicalError",
    "UnsupportedSpecialtyError",
    "ValidationError",
    "service_error_from_code",
]


class TranscribeMedicalError(Exception):
    """Base class of every error raised by transcribe-medical.

    Attributes:
        transcript: When a streaming session failed, the transcript of the final results received
            before the failure, whatever the error's class (``None`` for every other error).
    """

    transcript: Any | None = None


class ValidationError(TranscribeMedicalError, ValueError):
    """Bad input found before anything was sent.

    The message is one line naming the field, the bad value and what is allowed.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class UnsupportedSpecialtyError(ValidationError):
    """A specialty was used in a mode (batch or streaming) that does not support it."""

    def __init__(self, message: str, *, specialty: str, mode: str, supported_modes: tuple[str, ...]) -> None:
        super().__init__(message, field="specialty")
        self.specialty = specialty
        self.mode = mode
        self.supported_modes = supported_modes


class AudioFormatError(ValidationError):
    """Audio that cannot be read or is not supported (encoding, rate, channels)."""


class CredentialsError(TranscribeMedicalError):
    """No usable AWS credentials, or the service refused them (signature, token, clock).

    When the service refused them, ``code`` is its error code and ``message`` its own words (AWS
    tells an invalid token from an expired one only there); ``str(error)`` keeps those words and
    adds :attr:`HINT` after them. When no credentials were found locally, ``code`` is ``None`` and
    ``message`` is the whole text.

    Attributes:
        code: The AWS error code (e.g. ``"UnrecognizedClientException"``), or ``None``.
        message: The service's message word for word, or this library's when nothing was sent.
        request_id: The AWS request id, when the service sent one.
        status_code: The HTTP status of the refusal, when known.
    """

    HINT = (
        "check the access key, secret key and session token, the region, and that the clock "
        "is correct (SigV4 tolerates 5 minutes of skew)"
    )

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        request_id: str | None = None,
        status_code: int | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.request_id = request_id
        self.status_code = status_code

    @classmethod
    def refused(
        cls,
        code: str | None,
        message: str,
        *,
        request_id: str | None = None,
        status_code: int | None = None,
        hint: str | None = None,
        refusal: str = "the service refused the credentials",
    ) -> CredentialsError:
        """The error for credentials the service refused, keeping the service's words.

        Args:
            code: The service's error code (``None`` when it sent none, e.g. a bare HTTP 403).
            message: The service's message, kept word for word in ``str()`` and ``.message``.
            request_id: The AWS request id, if any.
            status_code: The HTTP status, if known.
            hint: What to check, said after the service's words (default :attr:`HINT`).
            refusal: What was refused, said between the service's words and the hint.
        """
        said = ": ".join(part for part in (code, message) if part)
        error = cls(
            f"{said} — {refusal}: {hint or cls.HINT}" if said else f"{refusal}: {hint or cls.HINT}",
            code=code,
            request_id=request_id,
            status_code=status_code,
        )
        error.message = message
        return error


class ServiceError(TranscribeMedicalError):
    """The service refused or failed a request.

    Attributes:
        code: The AWS error code, e.g. ``"BadRequestException"``.
        message: The service's message.
        request_id: The AWS request id, when the service sent one.
        retryable: Whether retrying the same request may succeed.
    """

    default_retryable = False

    def __init__(
        self,
        message: str,
        *,
        code: str,
        request_id: str | None = None,
        retryable: bool | None = None,
        status_code: int | None = None,
    ) -> None:
        super().__init__(f"{code}: {message}" if message else code)
        self.code = code
        self.message = message
        self.request_id = request_id
        self.retryable = self.default_retryable if retryable is None else retryable
        self.status_code = status_code


class BadRequestError(ServiceError):
    """The service rejected the request as invalid (HTTP 400)."""


class NotFoundError(ServiceError):
    """The named job or vocabulary does not exist (HTTP 404)."""


class ConflictError(ServiceError):
    """A job or vocabulary with that name exists, or a newer stream took the session (HTTP 409)."""


class LimitExceededError(ServiceError):
    """Throttling or a quota was exceeded (HTTP 429); usually retryable."""

    default_retryable = True


class InternalFailureError(ServiceError):
    """The service failed internally (HTTP 500); retryable."""

    default_retryable = True


class ServiceUnavailableError(ServiceError):
    """The service is unavailable (HTTP 503); retryable."""

    default_retryable = True


class ConnectionError(TranscribeMedicalError, builtins.ConnectionError):
    """Network or WebSocket failure, after retries.

    Attributes:
        transcript: For a streaming session, the transcript gathered before the failure, if any.
    """

    def __init__(self, message: str, *, transcript: Any | None = None) -> None:
        super().__init__(message)
        self.transcript = transcript


class ProtocolError(TranscribeMedicalError):
    """Malformed event-stream data: bad CRC, oversize message, bad header, truncation."""


class TimeoutError(TranscribeMedicalError, builtins.TimeoutError):
    """An operation did not finish within its time budget."""


_CODE_TO_CLASS: Mapping[str, type[ServiceError]] = {
    "BadRequestException": BadRequestError,
    "ValidationException": BadRequestError,
    "InvalidRequestException": BadRequestError,
    "InvalidEncodingException": BadRequestError,
    "TextSizeLimitExceededException": BadRequestError,
    "NotFoundException": NotFoundError,
    "ResourceNotFoundException": NotFoundError,
    "NoSuchKey": NotFoundError,
    "NoSuchBucket": NotFoundError,
    "404": NotFoundError,
    "ConflictException": ConflictError,
    "LimitExceededException": LimitExceededError,
    "ThrottlingException": LimitExceededError,
    "Throttling": LimitExceededError,
    "TooManyRequestsException": LimitExceededError,
    "SlowDown": LimitExceededError,
    "InternalFailureException": InternalFailureError,
    "InternalServerError": InternalFailureError,
    "InternalError": InternalFailureError,
    "InternalServerException": InternalFailureError,
    "ServiceUnavailableException": ServiceUnavailableError,
    "ServiceUnavailable": ServiceUnavailableError,
}

_STATUS_TO_CLASS: Mapping[int, type[ServiceError]] = {
    400: BadRequestError,
    404: NotFoundError,
    409: ConflictError,
    429: LimitExceededError,
    500: InternalFailureError,
    503: ServiceUnavailableError,
}

#: Error codes meaning the credentials themselves were refused (not a permission problem).
CREDENTIAL_ERROR_CODES = frozenset(
    {
        "UnrecognizedClientException",
        "InvalidSignatureException",
        "SignatureDoesNotMatch",
        "ExpiredToken",
        "ExpiredTokenException",
        "InvalidClientTokenId",
        "InvalidAccessKeyId",
        "MissingAuthenticationToken",
        "IncompleteSignature",
        "RequestExpired",
    }
)


def service_error_from_code(
    code: str,
    message: str,
    *,
    request_id: str | None = None,
    status_code: int | None = None,
) -> TranscribeMedicalError:
    """Build the library error for an AWS error code (batch or streaming).

    Credential refusals become :class:`CredentialsError`; known codes map to their
    :class:`ServiceError` subclass; unknown codes fall back on the HTTP status family.
    """
    if code in CREDENTIAL_ERROR_CODES:
        return CredentialsError.refused(code, message, request_id=request_id, status_code=status_code)
    cls = _CODE_TO_CLASS.get(code)
    if cls is None and status_code is not None:
        cls = _STATUS_TO_CLASS.get(status_code)
        if cls is None:
            cls = InternalFailureError if status_code >= 500 else BadRequestError
    if cls is None:
        cls = ServiceError
    retryable: bool | None = None
    if cls is LimitExceededError and _is_size_limit(message):
        retryable = False
    if cls is ServiceError and status_code is not None and status_code >= 500:
        retryable = True
    return cls(message, code=code, request_id=request_id, retryable=retryable, status_code=status_code)


def _is_size_limit(message: str) -> bool:
    # LimitExceededException also reports files or streams that are too long: retrying cannot help.
    lowered = message.lower()
    return any(word in lowered for word in ("file size", "too long", "length", "duration"))


def translate_error(error: BaseException) -> BaseException:
    """Translate a boto3/botocore exception into the library's own.

    This is the one place batch calls map service errors to classes. Library errors pass through
    unchanged; anything unrecognised is returned as is (the caller re-raises it).
    """
    if isinstance(error, TranscribeMedicalError):
        return error
    from botocore import exceptions as bce

    if isinstance(error, bce.ClientError):
        details = error.response.get("Error", {})
        meta = error.response.get("ResponseMetadata", {})
        code = str(details.get("Code") or "Unknown")
        message = str(details.get("Message") or "")
        status = meta.get("HTTPStatusCode")
        return service_error_from_code(
            code,
            message,
            request_id=meta.get("RequestId") or None,
            status_code=int(status) if status is not None else None,
        )
    if isinstance(error, bce.NoCredentialsError | bce.PartialCredentialsError):
        return CredentialsError(
            "no AWS credentials found: set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, "
            "or run 'aws configure' / 'aws sso login'"
        )
    if isinstance(error, bce.TokenRetrievalError | bce.SSOTokenLoadError | bce.UnauthorizedSSOTokenError):
        return CredentialsError(f"the SSO session is missing or expired: run 'aws sso login' ({type(error).__name__})")
    if isinstance(error, bce.ProfileNotFound):
        return CredentialsError(f"{error}: check AWS_PROFILE or profile_name= against ~/.aws/config")
    if isinstance(error, bce.InvalidRegionError):
        region = error.kwargs.get("region_name")
        return ValidationError(
            f"region: {region!r} is invalid: use an AWS Region name such as us-east-1", field="region"
        )
    if isinstance(error, bce.ConfigParseError):
        return ValidationError(
            f"the AWS config file {error.kwargs.get('path')} cannot be parsed: fix it, or point AWS_CONFIG_FILE "
            "at another one",
            field="config_file",
        )
    if isinstance(error, bce.NoRegionError):
        return ValidationError("region: no AWS Region configured; pass region_name= or set AWS_REGION", field="region")
    if isinstance(error, bce.ParamValidationError):
        return ValidationError(str(error.kwargs.get("report", error)).strip().replace("\n", "; "))
    if isinstance(error, bce.ConnectTimeoutError | bce.ReadTimeoutError):
        return TimeoutError(f"the service did not answer in time ({type(error).__name__})")
    if isinstance(error, bce.EndpointConnectionError | bce.ConnectionClosedError | bce.ProxyConnectionError):
        return ConnectionError(f"could not connect to the endpoint: {error}")
    if isinstance(error, bce.SSLError):
        return ConnectionError(f"TLS failed: {error}; check AWS_CA_BUNDLE or verify=")
    if isinstance(error, bce.HTTPClientError):
        return ConnectionError(f"network error: {type(error).__name__}")
    if isinstance(error, bce.BotoCoreError):
        return TranscribeMedicalError(f"{type(error).__name__}: {error}")
    return error
