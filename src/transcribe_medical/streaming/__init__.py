"""Real-time streaming: presigning, the sans-I/O session, sync and asyncio transports, audio.

Layers, bottom up (imports only go down):

* :mod:`.presign` — the SigV4-presigned WebSocket URL;
* :mod:`.protocol` — :class:`StreamSession`, the sans-I/O state machine (audio → frames,
  frames → events and errors, finals → :class:`~transcribe_medical.Transcript`);
* :mod:`.sync_client` / :mod:`.async_client` — thin transports on ``websockets``;
* :mod:`.resilient` and its drivers :mod:`.resilient_sync` / :mod:`.resilient_async` — reconnect,
  replay and keep-alive for ``transcribe()``; :mod:`.live_sync` / :mod:`.live_async` — the same
  for the sessions ``connect()`` gives (:class:`LiveSession`, :class:`AsyncLiveSession`);
* :mod:`.client` — :class:`StreamingClient` / :class:`AsyncStreamingClient`, reached as
  ``client.streaming`` on the facades;
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
    "StreamConnection": "transcribe_medical.streaming.sync_client",
    "Transcription": "transcribe_medical.streaming.sync_client",
    "AsyncStreamConnection": "transcribe_medical.streaming.async_client",
    "AsyncTranscription": "transcribe_medical.streaming.async_client",
    "LiveSession": "transcribe_medical.streaming.live_sync",
    "AsyncLiveSession": "transcribe_medical.streaming.live_async",
    "StreamingClient": "transcribe_medical.streaming.client",
    "AsyncStreamingClient": "transcribe_medical.streaming.client",
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
    from transcribe_medical.streaming.async_client import AsyncStreamConnection, AsyncTranscription
    from transcribe_medical.streaming.audio import AudioFormat, AudioSource, MicrophoneSource, Pacer, open_audio
    from transcribe_medical.streaming.client import AsyncStreamingClient, StreamingClient
    from transcribe_medical.streaming.live_async import AsyncLiveSession
    from transcribe_medical.streaming.live_sync import LiveSession
    from transcribe_medical.streaming.presign import presign_url
    from transcribe_medical.streaming.protocol import StreamSession, StreamState
    from transcribe_medical.streaming.sync_client import StreamConnection, Transcription


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'transcribe_medical.streaming' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
