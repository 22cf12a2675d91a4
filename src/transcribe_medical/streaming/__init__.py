"""Real-time streaming: presigning, the sans-I/O session, sync and asyncio transports, audio.

Layers, bottom up (imports only go down):

* :mod:`.presign` — the SigV4-presigned WebSocket URL;
* :mod:`.protocol` — :class:`StreamSession`, the sans-I/O state machine (audio → frames,
  frames → events and errors, finals → :class:`~transcribe_medical.Transcript`);
* :mod:`.reconnect` — reconnect, replay, keep-alive and the one transcript of a stream, as a
  sans-I/O policy (``reconnect=False`` turns it off: a plain stream);
* :mod:`.sync` — the one threaded driver: :class:`StreamConnection` (one WebSocket),
  :class:`Transcription` (``transcribe()``) and :class:`LiveSession` (``connect()``) on one
  engine, and :class:`StreamingClient`;
* :mod:`.asyncio` — the one asyncio driver: :class:`AsyncStreamConnection` (one WebSocket),
  :class:`AsyncTranscription` (``transcribe()``) and :class:`AsyncLiveSession` (``connect()``) on
  one engine, and :class:`AsyncStreamingClient`;
* :mod:`.client` — what both clients share; the clients are reached as ``client.streaming`` on
  the facades;
* :mod:`.audio` — audio sources (files, stdin, iterables, the microphone) and real-time pacing.

Names load lazily, so importing this package does not import ``websockets``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS: dict[str, str] = {
    "presign_url": "transcribe_medical.streaming.presign",
    "StreamSession": "transcribe_medical.streaming.protocol",
    "StreamState": "transcribe_medical.streaming.protocol",
    "StreamConnection": "transcribe_medical.streaming.sync.connection",
    "Transcription": "transcribe_medical.streaming.sync.stream",
    "AsyncStreamConnection": "transcribe_medical.streaming.asyncio.connection",
    "AsyncTranscription": "transcribe_medical.streaming.asyncio.stream",
    "LiveSession": "transcribe_medical.streaming.sync.stream",
    "AsyncLiveSession": "transcribe_medical.streaming.asyncio.stream",
    "StreamingClient": "transcribe_medical.streaming.sync.client",
    "AsyncStreamingClient": "transcribe_medical.streaming.asyncio.client",
    "AudioFormat": "transcribe_medical.streaming.audio",
    "AudioSource": "transcribe_medical.streaming.audio",
    "MicrophoneSource": "transcribe_medical.streaming.audio",
    "Pacer": "transcribe_medical.streaming.audio",
    "open_audio": "transcribe_medical.streaming.audio",
}

__all__ = [
    "AsyncLiveSession",
    "AsyncStreamConnection",
    "AsyncStreamingClient",
    "AsyncTranscription",
    "AudioFormat",
    "AudioSource",
    "LiveSession",
    "MicrophoneSource",
    "Pacer",
    "StreamConnection",
    "StreamSession",
    "StreamState",
    "StreamingClient",
    "Transcription",
    "open_audio",
    "presign_url",
]

if TYPE_CHECKING:
    from transcribe_medical.streaming.asyncio.client import AsyncStreamingClient
    from transcribe_medical.streaming.asyncio.connection import AsyncStreamConnection
    from transcribe_medical.streaming.asyncio.stream import AsyncLiveSession, AsyncTranscription
    from transcribe_medical.streaming.audio import AudioFormat, AudioSource, MicrophoneSource, Pacer, open_audio
    from transcribe_medical.streaming.presign import presign_url
    from transcribe_medical.streaming.protocol import StreamSession, StreamState
    from transcribe_medical.streaming.sync.client import StreamingClient
    from transcribe_medical.streaming.sync.connection import StreamConnection
    from transcribe_medical.streaming.sync.stream import LiveSession, Transcription


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'transcribe_medical.streaming' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
