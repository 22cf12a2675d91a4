"""A hand-written streaming client: the baseline the stream benchmarks hold ours against.

This is what a developer writes from the AWS documentation without our SDK, and nothing more:

* the URL presigned by botocore's :class:`~botocore.auth.SigV4QueryAuth` (service ``transcribe``,
  300 s);
* each chunk framed as an AudioEvent the simplest correct way: a constant header section, the
  prelude and message CRCs from :func:`zlib.crc32`;
* ``websockets`` (asyncio, or sync with a sender thread) sending at the audio's own pace (chunk
  ``n`` at ``n`` chunk-durations after the start, so the pace does not drift), then the empty
  AudioEvent that ends the stream;
* botocore's event-stream decoder (:class:`~botocore.eventstream.EventStreamBuffer`) and
  ``json.loads`` for every event; the final results' text kept as the transcript.

No reconnect, no replay buffer, no keep-alive, no models: it does the work every client must do
and nothing our SDK adds on top, so the gap between the two is what our features cost.
"""

from __future__ import annotations

import asyncio
import json
import struct
import threading
import time
import zlib
from collections.abc import AsyncIterable, Iterable
from typing import Any, Final
from urllib.parse import urlsplit, urlunsplit

__all__ = ["PeerStream", "encode_audio_event", "presign", "stream_async", "stream_sync"]

_SIGNING_NAME: Final = "transcribe"
_EXPIRES: Final = 300
_STRING_HEADER: Final = 7


def _header(name: str, value: str) -> bytes:
    encoded = value.encode()
    return bytes([len(name)]) + name.encode() + bytes([_STRING_HEADER]) + struct.pack(">H", len(encoded)) + encoded


_AUDIO_HEADERS: Final = (
    _header(":content-type", "application/octet-stream")
    + _header(":event-type", "AudioEvent")
    + _header(":message-type", "event")
)


def encode_audio_event(chunk: bytes) -> bytes:
    """Frame ``chunk`` as an AudioEvent message (an empty chunk ends the stream)."""
    prelude = struct.pack(">II", 16 + len(_AUDIO_HEADERS) + len(chunk), len(_AUDIO_HEADERS))
    message = prelude + struct.pack(">I", zlib.crc32(prelude)) + _AUDIO_HEADERS + chunk
    return message + struct.pack(">I", zlib.crc32(message))


def presign(credentials: Any, region: str, endpoint: str, query: dict[str, str]) -> str:
    """The ``ws(s)://`` URL of ``endpoint`` with ``query``, presigned with SigV4 by botocore."""
    from botocore.auth import SigV4QueryAuth
    from botocore.awsrequest import AWSRequest

    parts = urlsplit(endpoint)
    http_scheme = {"wss": "https", "ws": "http"}[parts.scheme]
    request = AWSRequest(method="GET", url=urlunsplit((http_scheme, parts.netloc, parts.path, "", "")), params=query)
    SigV4QueryAuth(credentials, _SIGNING_NAME, region, expires=_EXPIRES).add_auth(request)
    signed = urlsplit(request.prepare().url)
    return urlunsplit((parts.scheme, signed.netloc, signed.path, signed.query, ""))


class PeerStream:
    """One stream's received side: decodes frames, parses events, keeps the final results' text."""

    def __init__(self) -> None:
        from botocore.eventstream import EventStreamBuffer

        self._buffer = EventStreamBuffer()
        self.events = 0
        self.finals: list[str] = []

    def receive(self, frame: bytes) -> None:
        """Decode ``frame``'s messages; raise on an exception event."""
        self._buffer.add_data(frame)
        for message in self._buffer:
            headers = message.headers
            body = json.loads(message.payload)
            if headers.get(":message-type") != "event":
                raise RuntimeError(f"the server sent {headers.get(':exception-type')}: {body.get('Message')}")
            if headers.get(":event-type") != "TranscriptEvent":
                continue
            self.events += 1
            for result in body["Transcript"]["Results"]:
                if not result["IsPartial"] and result["Alternatives"]:
                    self.finals.append(result["Alternatives"][0]["Transcript"])

    @property
    def transcript(self) -> str:
        """The final results' text, in order."""
        return " ".join(self.finals)


async def stream_async(url: str, chunks: Iterable[bytes] | AsyncIterable[bytes], chunk_seconds: float) -> PeerStream:
    """Stream ``chunks`` (one every ``chunk_seconds``; 0: as fast as possible) and read every event."""
    from websockets.asyncio.client import connect

    received = PeerStream()
    async with connect(url, compression=None, max_size=2**20) as websocket:

        async def send() -> None:
            loop = asyncio.get_running_loop()
            started = loop.time()
            index = 0
            async for chunk in _aiter(chunks):
                delay = started + index * chunk_seconds - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                await websocket.send(encode_audio_event(chunk))
                index += 1
            await websocket.send(encode_audio_event(b""))

        sender = asyncio.create_task(send())
        async for frame in websocket:
            received.receive(frame)  # type: ignore[arg-type]
        await sender
    return received


async def _aiter(chunks: Iterable[bytes] | AsyncIterable[bytes]) -> AsyncIterable[bytes]:
    if isinstance(chunks, AsyncIterable):
        async for chunk in chunks:
            yield chunk
    else:
        for chunk in chunks:
            yield chunk


def stream_sync(url: str, chunks: Iterable[bytes], chunk_seconds: float) -> PeerStream:
    """As :func:`stream_async`, on ``websockets.sync`` with a sender thread."""
    from websockets.sync.client import connect

    received = PeerStream()
    failure: list[BaseException] = []
    with connect(url, compression=None, max_size=2**20) as websocket:

        def send() -> None:
            try:
                started = time.monotonic()
                for index, chunk in enumerate(chunks):
                    delay = started + index * chunk_seconds - time.monotonic()
                    if delay > 0:
                        time.sleep(delay)
                    websocket.send(encode_audio_event(chunk))
                websocket.send(encode_audio_event(b""))
            except BaseException as error:  # handed to the caller's thread below
                failure.append(error)

        sender = threading.Thread(target=send, daemon=True)
        sender.start()
        for frame in websocket:
            received.receive(frame)  # type: ignore[arg-type]
        sender.join()
    if failure:
        raise failure[0]
    return received
