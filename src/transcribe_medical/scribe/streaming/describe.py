"""GetMedicalScribeStream: ``GET /medical-scribe-stream/{SessionId}`` on the streaming endpoint.

botocore has no ``transcribe-streaming`` model (its ``transcribe`` client lacks this
operation), so the request is signed with botocore's SigV4 and sent over the same HTTP/2
transport as the stream itself.
"""

from __future__ import annotations

import json
from typing import Any

from transcribe_medical._exceptions import ProtocolError, ValidationError
from transcribe_medical.scribe.streaming.endpoint import SCRIBE_STREAM_PATH, ScribeEndpoint
from transcribe_medical.scribe.streaming.event_signing import AnyCredentials
from transcribe_medical.scribe.streaming.model import MedicalScribeStream

__all__ = ["describe_request", "parse_description"]


def describe_request(
    endpoint: ScribeEndpoint, session_id: str, credentials: AnyCredentials, region: str
) -> tuple[str, dict[str, str]]:
    """The path and signed headers of GetMedicalScribeStream for ``session_id``.

    Raises:
        ValidationError: ``session_id`` is not a UUID.
    """
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest

    from transcribe_medical.scribe.streaming.config import _SESSION_ID

    if not isinstance(session_id, str) or not _SESSION_ID.match(session_id):
        raise ValidationError(f"session_id: {session_id!r} is invalid: give the session's UUID", field="session_id")
    path = f"{SCRIBE_STREAM_PATH}/{session_id}"
    request = AWSRequest(method="GET", url=f"{endpoint.scheme}://{endpoint.authority}{path}", data=b"")
    SigV4Auth(credentials, "transcribe", region).add_auth(request)
    return path, {name: str(value) for name, value in request.headers.items()}


def parse_description(body: bytes) -> MedicalScribeStream:
    """Read a GetMedicalScribeStream response body.

    Raises:
        ProtocolError: The body is not the expected JSON.
    """
    try:
        data: Any = json.loads(body)
        return MedicalScribeStream.from_api(data)
    except (ValueError, TypeError, AttributeError) as error:
        raise ProtocolError(
            f"GetMedicalScribeStream answered with an unreadable body ({type(error).__name__})"
        ) from None
