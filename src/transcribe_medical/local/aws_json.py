"""The AWS JSON 1.1 protocol, server side: what every WSGI layer of the emulator's batch endpoint shares.

The batch endpoint is moto's WSGI app with *layers* in front of it. A layer is a WSGI middleware
that answers some operations itself and passes every other request, untouched, to the app it
wraps (:class:`Layer`: an object with ``wrap(app)``; :func:`compose` stacks a list of them). The
Transcribe and HealthScribe operations moto lacks or gets wrong are answered this way, so the
emulator never patches moto and behaves the same on every moto release.

For a JSON-protocol service (Transcribe is one: ``X-Amz-Target: Transcribe.<Operation>``,
``Content-Type: application/x-amz-json-1.1``) subclass :class:`JsonServiceLayer`::

    class MyLayer(JsonServiceLayer):
        service = "Transcribe"

        def handlers(self):
            return {"GetThing": self._get_thing}

        def _get_thing(self, request: JsonRequest) -> dict[str, Any]:
            name = request.params.get("Name")
            if name != "known":
                raise AwsError("NotFoundException", "The requested thing couldn't be found.", 404)
            return {"Thing": {"Name": name, "CreationTime": epoch_seconds(now())}}

A handler returns the response body (a dict, ``{}`` for an empty one) or raises :class:`AwsError`;
the layer writes the JSON (or AWS's error form: ``{"__type": code, "Message": message}`` with the
``x-amzn-ErrorType`` header, which botocore reads into ``error.response["Error"]``) and any other
exception becomes a logged ``500 InternalFailureException``. Timestamps are epoch seconds
(:func:`epoch_seconds`), as botocore's JSON protocol expects.
"""

from __future__ import annotations

import io
import json
import re
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar, Final, Protocol

from transcribe_medical._logging import get_logger

__all__ = [
    "CONTENT_TYPE",
    "MOTO_RESET_PATH",
    "AwsError",
    "Handler",
    "JsonRequest",
    "JsonServiceLayer",
    "Layer",
    "StartResponse",
    "WsgiApp",
    "compose",
    "epoch_seconds",
    "error_response",
    "json_response",
    "read_body",
    "read_json_request",
    "target_of",
    "utc_now",
]

_log = get_logger("local.aws_json")

#: The content type of AWS JSON 1.1 requests and responses.
CONTENT_TYPE: Final = "application/x-amz-json-1.1"

#: moto's public reset endpoint: a ``POST`` forgets moto's state, and every layer's (see
#: :meth:`JsonServiceLayer.reset`).
MOTO_RESET_PATH: Final = "/moto-api/reset"

#: How many bytes of request body a layer reads at most (Transcribe requests are small).
MAX_BODY_BYTES: Final = 1024 * 1024

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

_SCOPE = re.compile(r"Credential=([^/,\s]+)/\d{8}/([^/,\s]+)/([^/,\s]+)/aws4_request")

_REASONS: Final = {
    200: "OK",
    400: "Bad Request",
    404: "Not Found",
    409: "Conflict",
    429: "Too Many Requests",
    500: "Internal Server Error",
}


class Layer(Protocol):
    """A WSGI middleware that can be stacked: ``wrap(app)`` returns the app with this layer in front."""

    def wrap(self, app: WsgiApp) -> WsgiApp:
        """Put this layer in front of ``app``; return the WSGI app to serve."""
        ...


def compose(app: WsgiApp, layers: Sequence[Layer]) -> WsgiApp:
    """Stack ``layers`` in front of ``app``: the first layer of the list sees each request first."""
    for layer in reversed(layers):
        app = layer.wrap(app)
    return app


class AwsError(Exception):
    """An AWS service error to answer with (``__type`` = ``code``, ``Message`` = ``message``).

    Attributes:
        code: The error code, e.g. ``"BadRequestException"``.
        message: The service's words, shown verbatim by botocore and the SDK.
        status: The HTTP status (400 unless the service uses another: 404, 409, 429, 500).
    """

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        """Make the error; ``str()`` is ``message``."""
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


@dataclass(frozen=True)
class JsonRequest:
    """One parsed JSON 1.1 request.

    Attributes:
        service: The ``X-Amz-Target`` prefix (``"Transcribe"``).
        operation: The operation (``"StartMedicalTranscriptionJob"``).
        params: The JSON body (a dict; ``{}`` for an empty body).
        region: The region of the SigV4 credential scope (``None`` when unsigned).
        access_key_id: The access key of the signature (``None`` when unsigned).
        environ: The WSGI environ (its ``wsgi.input`` can be read again).
    """

    service: str
    operation: str
    params: dict[str, Any]
    region: str | None = None
    access_key_id: str | None = None
    environ: Mapping[str, Any] = field(default_factory=dict, repr=False)


def utc_now() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


def epoch_seconds(moment: datetime) -> float:
    """A timestamp as botocore's JSON protocol reads it: seconds since the epoch (ms precision)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return round(moment.timestamp(), 3)


def target_of(environ: Mapping[str, Any]) -> tuple[str, str] | None:
    """``(service, operation)`` of the ``X-Amz-Target`` header, or ``None`` without one."""
    target = environ.get("HTTP_X_AMZ_TARGET")
    if not isinstance(target, str) or "." not in target:
        return None
    service, _, operation = target.rpartition(".")
    return service, operation


def read_body(environ: dict[str, Any], limit: int = MAX_BODY_BYTES) -> bytes:
    """Read the request body and put it back, so that the wrapped app can still read it.

    Raises:
        AwsError: The body is larger than ``limit`` (``SerializationException``).
    """
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > limit:
        raise AwsError("SerializationException", f"The request body is larger than {limit} bytes.")
    body: bytes = environ["wsgi.input"].read(length) if length > 0 else b""
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    return body


def _scope(environ: Mapping[str, Any]) -> tuple[str | None, str | None]:
    found = _SCOPE.search(str(environ.get("HTTP_AUTHORIZATION") or ""))
    return (found.group(2), found.group(1)) if found else (None, None)


def read_json_request(environ: dict[str, Any]) -> JsonRequest:
    """Parse a JSON 1.1 request (the body stays readable for the wrapped app).

    Raises:
        AwsError: No ``X-Amz-Target``, or a body that is not a JSON object (``SerializationException``).
    """
    target = target_of(environ)
    if target is None:
        raise AwsError("UnknownOperationException", "The request has no X-Amz-Target header.")
    body = read_body(environ)
    try:
        params = json.loads(body) if body.strip() else {}
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise AwsError("SerializationException", "The request body is not valid JSON.") from None
    if not isinstance(params, dict):
        raise AwsError("SerializationException", "The request body must be a JSON object.")
    region, access_key = _scope(environ)
    return JsonRequest(target[0], target[1], params, region, access_key, environ)


def _status_line(status: int) -> str:
    return f"{status} {_REASONS.get(status, 'Error')}"


def json_response(start_response: StartResponse, body: Mapping[str, Any], status: int = 200) -> list[bytes]:
    """Answer with ``body`` as AWS JSON 1.1 (and an ``x-amzn-RequestId``)."""
    data = json.dumps(body, separators=(",", ":")).encode()
    start_response(
        _status_line(status),
        [
            ("Content-Type", CONTENT_TYPE),
            ("Content-Length", str(len(data))),
            ("x-amzn-RequestId", str(uuid.uuid4())),
        ],
    )
    return [data]


def error_response(start_response: StartResponse, error: AwsError) -> list[bytes]:
    """Answer with an AWS JSON error: ``{"__type", "Message"}`` and ``x-amzn-ErrorType``.

    botocore takes the code from ``__type`` (or the header) and the message from ``Message``, so
    the client shows exactly ``error.message``.
    """
    data = json.dumps({"__type": error.code, "Message": error.message}).encode()
    start_response(
        _status_line(error.status),
        [
            ("Content-Type", CONTENT_TYPE),
            ("Content-Length", str(len(data))),
            ("x-amzn-ErrorType", error.code),
            ("x-amzn-RequestId", str(uuid.uuid4())),
        ],
    )
    return [data]


#: Answers one operation: the response body, or :class:`AwsError`.
Handler = Callable[[JsonRequest], Mapping[str, Any]]


class JsonServiceLayer:
    """Base of a layer that answers some operations of one JSON 1.1 service itself.

    Subclasses set :attr:`service` and return ``{operation: handler}`` from :meth:`handlers`;
    requests for any other operation, another service, or without ``X-Amz-Target`` go to the
    wrapped app untouched. :meth:`reset` forgets the layer's own state (the emulator calls it
    with moto's reset). Handlers run on the server's request threads: guard shared state with
    :attr:`lock`. A ``POST /moto-api/reset`` (moto's public reset) calls :meth:`reset` on its
    way to moto, so one request clears everything.
    """

    #: The ``X-Amz-Target`` prefix this layer serves, e.g. ``"Transcribe"``.
    service: ClassVar[str] = ""

    def __init__(self) -> None:
        """Make the layer (it serves once :meth:`wrap` has given it an app)."""
        self.app: WsgiApp | None = None
        self.lock = threading.RLock()
        self._handlers: Mapping[str, Handler] | None = None

    def handlers(self) -> Mapping[str, Handler]:
        """The operations this layer answers (override)."""
        return {}

    def reset(self) -> None:
        """Forget this layer's state (override when it has some)."""

    def wrap(self, app: WsgiApp) -> WsgiApp:
        """Put this layer in front of ``app``."""
        self.app = app
        return self

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        """Serve one request: answer it, or pass it on (moto's reset also resets this layer)."""
        if environ.get("PATH_INFO") == MOTO_RESET_PATH and environ.get("REQUEST_METHOD") == "POST":
            self.reset()
        if self._handlers is None:
            self._handlers = dict(self.handlers())
        target = target_of(environ)
        handler = self._handlers.get(target[1]) if target is not None and target[0] == self.service else None
        if handler is None:
            if self.app is None:
                raise RuntimeError(f"{type(self).__name__} has no app to pass requests to; call wrap() first")
            return self.app(environ, start_response)
        try:
            request = read_json_request(environ)
            return json_response(start_response, handler(request))
        except AwsError as error:
            return error_response(start_response, error)
        except Exception:
            _log.exception("the emulator failed to answer %s.%s", self.service, target[1] if target else "?")
            failure = AwsError("InternalFailureException", "An internal error occurred in the local emulator.", 500)
            return error_response(start_response, failure)
