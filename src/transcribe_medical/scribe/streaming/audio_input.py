"""The audio of a HealthScribe stream: the medical side's sources, format checks and pacing."""

from __future__ import annotations

import os
from typing import Any

from transcribe_medical._exceptions import ValidationError
from transcribe_medical.scribe.streaming.config import ScribeStreamConfig
from transcribe_medical.streaming.audio import AudioSource, Pacer, open_audio
from transcribe_medical.streaming.audio.pacing import STREAM_BATCH_S

__all__ = ["prepare_audio"]


def prepare_audio(
    audio: Any, config: ScribeStreamConfig, *, realtime: bool
) -> tuple[AudioSource, ScribeStreamConfig, Pacer]:
    """Open ``audio``, make the config agree with its format, and pace it.

    A file says its own format (given values must match it); raw audio takes the config's rate
    and encoding. Chunks are 50-200 ms (at most 32 KiB), within HealthScribe's one second.

    Raises:
        AudioFormatError: Unreadable audio, or a format that disagrees with the config.
        ValidationError: No sample rate for raw audio.
    """
    if isinstance(audio, str | os.PathLike) and os.fspath(audio) != "-":
        source = open_audio(
            audio,
            sample_rate=config.sample_rate,
            media_encoding=config.media_encoding if "media_encoding" in config.model_fields_set else None,
            channels=config.channels if config.channel_definitions else None,
        )
    else:
        source = open_audio(
            audio, sample_rate=config.sample_rate, media_encoding=config.media_encoding, channels=config.channels
        )
    fmt = source.format
    if fmt is not None and fmt.channels == 2 and not config.channel_definitions:
        raise ValidationError(
            "channel_definitions: a two-channel recording needs them: give channel 0 and 1 one role each "
            "(CLINICIAN and PATIENT; --channel-roles 0=CLINICIAN,1=PATIENT)",
            field="channel_definitions",
        )
    if fmt is not None:
        config = config.model_copy(update={"sample_rate": fmt.sample_rate, "media_encoding": fmt.media_encoding})
    config.request_headers()  # refuses a config without a sample rate before any connection
    pacer = Pacer.for_source(source, realtime=realtime, batch_s=STREAM_BATCH_S)
    return source, config.with_session_id(), pacer
