"""Audio for streaming: formats, sources (files, stdin, iterables), the microphone, and pacing.

Every source yields the payloads of the AudioEvents to send, already cut to the service's rules
(aws-transcribe-medical §3.5): PCM is stripped of its WAV header and cut into sample-aligned chunks
of ``chunk_ms`` milliseconds (50-200 ms), FLAC and Ogg-Opus pass through as container bytes, and no
chunk is ever empty (an empty AudioEvent means end of stream) or larger than 32 KiB.

Modules, one job each:

* :mod:`.formats` — :class:`AudioFormat`, container sniffing and validation;
* :mod:`.sources` — file, stdin and iterable sources, and :func:`open_audio`;
* :mod:`.microphone` — :class:`MicrophoneSource`;
* :mod:`.pacing` — :class:`Pacer`, real-time pacing.

Example:
    >>> from transcribe_medical.streaming.audio import open_audio, Pacer
    >>> source = open_audio("visit.wav")                       # doctest: +SKIP
    >>> source.format                                          # doctest: +SKIP
    AudioFormat(media_encoding=<MediaEncoding.PCM: 'pcm'>, sample_rate=16000, channels=1)
    >>> pacer = Pacer.for_source(source)                       # doctest: +SKIP
    >>> for chunk in source.chunks():                          # doctest: +SKIP
    ...     time.sleep(pacer.delay_for(len(chunk), time.monotonic()))
    ...     stream.send_audio(chunk)

Nothing here logs audio bytes.
"""

from __future__ import annotations

from transcribe_medical.streaming.audio.formats import (
    OGG_OPUS_SAMPLE_RATE,
    AudioFormat,
    opus_sample_rate,
    pcm_chunk_size,
    read_wav_header,
)
from transcribe_medical.streaming.audio.microphone import InputStream, InputStreamFactory, MicrophoneSource
from transcribe_medical.streaming.audio.pacing import Pacer
from transcribe_medical.streaming.audio.sources import (
    AsyncIterableAudioSource,
    AudioSource,
    FileAudioSource,
    IterableAudioSource,
    RawStreamAudioSource,
    RereadableSource,
    SeekableRawStreamAudioSource,
    open_audio,
    raw_stream_source,
    rereader,
)

__all__ = [
    "OGG_OPUS_SAMPLE_RATE",
    "AsyncIterableAudioSource",
    "AudioFormat",
    "AudioSource",
    "FileAudioSource",
    "InputStream",
    "InputStreamFactory",
    "IterableAudioSource",
    "MicrophoneSource",
    "Pacer",
    "RawStreamAudioSource",
    "RereadableSource",
    "SeekableRawStreamAudioSource",
    "open_audio",
    "opus_sample_rate",
    "pcm_chunk_size",
    "raw_stream_source",
    "read_wav_header",
    "rereader",
]
