"""``client.streaming``: real-time medical transcription over the WebSocket API.

:class:`StreamingClient` (sync) and :class:`AsyncStreamingClient` (asyncio) are reached as
``TranscribeMedical(...).streaming`` and ``AsyncTranscribeMedical(...).streaming``. They take the
facade's credentials (botocore's chain), Region, streaming endpoint, TLS and retry settings;
each drives its own transport over the shared sans-I/O session, and neither wraps the other.

The clients themselves live with their drivers (:mod:`.sync.client`, :mod:`.asyncio.client`);
this module holds what they share (signing, preparing the audio and the config) and names both.

Opening a stream is retried under the facade's retry policy (connection errors, throttling and
5xx), each attempt with a freshly signed URL. ``transcribe()`` and ``transcribe_file()`` also
survive a stream that fails once started (on by default, ``reconnect=False`` to disable): they
reconnect with a fresh presign and replay the audio not yet final (:mod:`.reconnect`).
``connect()`` gives a live session fed by the caller, kept alive across pauses and reconnected
the same way (:mod:`.sync.stream`, :mod:`.asyncio.stream`).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterable, Iterable
from typing import TYPE_CHECKING, Any, TypeAlias

from transcribe_medical import _limits
from transcribe_medical.models.enums import MediaEncoding
from transcribe_medical.models.stream import StreamConfig
from transcribe_medical.streaming.audio import AudioSource, Pacer, open_audio
from transcribe_medical.streaming.audio.pacing import STREAM_BATCH_S
from transcribe_medical.streaming.presign import presign_url

if TYPE_CHECKING:
    from transcribe_medical._client import _ClientBase
    from transcribe_medical.streaming.asyncio.client import AsyncStreamingClient
    from transcribe_medical.streaming.sync.client import StreamingClient

__all__ = ["AsyncStreamingClient", "AudioInput", "StreamingClient"]

#: What ``transcribe()`` accepts: a path, ``"-"`` (stdin), bytes, an iterable or async iterable
#: of bytes, or an :class:`~transcribe_medical.streaming.audio.AudioSource`.
AudioInput: TypeAlias = (
    str | os.PathLike[str] | bytes | bytearray | memoryview | Iterable[bytes] | AsyncIterable[bytes] | AudioSource
)

_PCM_SAMPLE_BYTES = 2


class _StreamingBase:
    """What both clients share: signing, and combining the config with the audio."""

    def __init__(self, facade: _ClientBase) -> None:
        self._facade = facade

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._facade!r})"

    def presigned_url(self, config: StreamConfig) -> str:
        """A presigned URL for ``config`` (valid 300 s). It is a secret: do not log it.

        Raises:
            CredentialsError: No usable credentials.
            ValidationError: No Region, a refused endpoint, or an incomplete config.
        """
        return presign_url(
            self._facade.credentials(),
            self._facade.region_name,
            config,
            endpoint=self._facade.config.resolved_streaming_endpoint(),
        )

    @staticmethod
    def _ready(config: StreamConfig) -> StreamConfig:
        config = config.with_session_id()
        config.to_query()  # refuses a config without encoding or rate before any network call
        return config

    @staticmethod
    def _prepare(audio: AudioInput, config: StreamConfig, realtime: bool) -> tuple[AudioSource, StreamConfig, Pacer]:
        if isinstance(audio, str | os.PathLike) and os.fspath(audio) != "-":
            # A file says its own format; explicit values must agree (checked by for_audio).
            source = open_audio(audio)
        else:
            source = open_audio(
                audio,
                sample_rate=config.sample_rate,
                media_encoding=config.media_encoding,
                channels=_limits.STREAM_CHANNELS if config.channel_identification else None,
            )
        audio_format = source.format
        if audio_format is not None:
            config = config.for_audio(audio_format.media_encoding, audio_format.sample_rate, audio_format.channels)
        config = _StreamingBase._ready(config)
        pacer = Pacer.for_source(source, realtime=realtime, batch_s=STREAM_BATCH_S)
        if realtime and not pacer.enabled and config.media_encoding is MediaEncoding.PCM:
            assert config.sample_rate is not None  # _ready() checked it
            channels = _limits.STREAM_CHANNELS if config.channel_identification else 1
            pacer = Pacer(config.sample_rate * channels * _PCM_SAMPLE_BYTES, realtime=True, batch_s=STREAM_BATCH_S)
        return source, config, pacer


def __getattr__(name: str) -> Any:
    # The clients live with their drivers (streaming/sync/client.py, streaming/asyncio/client.py),
    # which import this module: loaded on first use, so neither import waits for the other.
    if name == "StreamingClient":
        from transcribe_medical.streaming.sync.client import StreamingClient

        return StreamingClient
    if name == "AsyncStreamingClient":
        from transcribe_medical.streaming.asyncio.client import AsyncStreamingClient

        return AsyncStreamingClient
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
