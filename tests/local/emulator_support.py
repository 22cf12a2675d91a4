"""Helpers of the emulator tests: presigned URLs, raw WebSocket streams and frames."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from botocore.credentials import Credentials
from websockets.sync.client import ClientConnection, connect

from transcribe_medical.eventstream import EventStreamDecoder, Message, encode_audio_event
from transcribe_medical.local import EmulatorCredentials, ScriptedRecognizer, StreamingServer
from transcribe_medical.streaming.presign import presign_url

CREDENTIALS = EmulatorCredentials("AKIDEMULATORTEST0000", "emulator/test/secret+key")
REGION = "us-east-1"
QUERY: dict[str, str] = {
    "language-code": "en-US",
    "media-encoding": "pcm",
    "sample-rate": "16000",
    "specialty": "PRIMARYCARE",
    "type": "DICTATION",
}
SCRIPT = "Good morning mister Alvarez. The patient is a fifty two year old male with chest pain."
#: 100 ms of 16 kHz mono silence (the scripted recognizer ignores the content).
CHUNK = bytes(3200)


def server(**options: Any) -> StreamingServer:
    """A streaming server with the test credentials and the scripted recognizer."""
    options.setdefault("recognizer", ScriptedRecognizer(SCRIPT, confidences=[0.95, 0.6]))
    return StreamingServer(credentials=CREDENTIALS, region=REGION, **options)


def presigned(
    target: StreamingServer,
    query: Mapping[str, str] | None = None,
    *,
    credentials: EmulatorCredentials = CREDENTIALS,
    now: datetime | None = None,
    expires: int = 300,
    region: str = REGION,
    endpoint: str | None = None,
) -> str:
    """A presigned URL for ``target`` (signed by the SDK's presigner)."""
    signer = Credentials(credentials.access_key_id, credentials.secret_access_key, credentials.session_token)
    return presign_url(
        signer, region, dict(query or QUERY), endpoint=endpoint or target.endpoint, expires=expires, now=now
    )


@contextmanager
def stream(url: str) -> Iterator[ClientConnection]:
    """A raw WebSocket connection to a presigned URL."""
    with connect(url, max_size=None, open_timeout=10, close_timeout=5) as connection:
        yield connection


def audio(payload: bytes) -> bytes:
    """An AudioEvent frame."""
    return encode_audio_event(payload)


def receive_all(connection: ClientConnection, timeout: float = 10) -> list[Message]:
    """Every event-stream message until the server closes the connection."""
    from websockets.exceptions import ConnectionClosed

    messages: list[Message] = []
    decoder = EventStreamDecoder()
    try:
        while True:
            data = connection.recv(timeout=timeout)
            assert isinstance(data, bytes)
            messages.extend(decoder.feed(data))
    except ConnectionClosed:
        pass
    return messages


def payload(message: Message) -> Any:
    """The JSON payload of a message."""
    return json.loads(message.payload)


def exception_of(messages: list[Message]) -> tuple[str, str]:
    """``(exception type, message)`` of the last message, which must be an exception."""
    last = messages[-1]
    assert last.headers[":message-type"] == "exception", last.headers
    return str(last.headers[":exception-type"]), str(payload(last)["Message"])


def results_of(messages: list[Message]) -> list[dict[str, Any]]:
    """Every result of the TranscriptEvents among ``messages``."""
    found: list[dict[str, Any]] = []
    for message in messages:
        if message.headers.get(":event-type") == "TranscriptEvent":
            found.extend(payload(message)["Transcript"]["Results"])
    return found
