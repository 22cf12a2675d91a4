"""StreamConfig: the parameters of one real-time medical transcription stream.

Each field maps to one query parameter of the presigned WebSocket URL (reference §3.2);
:meth:`StreamConfig.to_query` gives them under their exact wire names. Everything the service
would refuse is refused here first, when the config is built, with a one-line
:class:`~transcribe_medical.ValidationError` naming the field, the value and what is allowed.

``media_encoding`` and ``sample_rate`` may be left out when the audio is a file whose header says
them: :meth:`StreamConfig.for_audio` fills them in (and checks that an explicit value agrees with
the file) before anything is sent.
"""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from transcribe_medical import _limits
from transcribe_medical._exceptions import AudioFormatError, ValidationError
from transcribe_medical.models._base import RequestModel
from transcribe_medical.models.constraints import (
    AnyCaseContentIdentification,
    AnyCaseLanguageCode,
    AnyCaseMediaEncoding,
    AnyCaseTranscriptionType,
    SampleRate,
    SessionId,
    StreamingSpecialty,
    VocabularyName,
)
from transcribe_medical.models.enums import LanguageCode, MediaEncoding, Specialty, TranscriptionType

__all__ = ["StreamConfig"]


class StreamConfig(RequestModel):
    """What to ask of one streaming session.

    Example:
        >>> config = StreamConfig(specialty="CARDIOLOGY", type="DICTATION",
        ...                       media_encoding="pcm", sample_rate=16000)
        >>> config.to_query()["specialty"]
        'CARDIOLOGY'

    Attributes:
        specialty: Any of the six specialties (Primary Care sub-specialties such as
            ``"pediatrics"`` are accepted and map to ``PRIMARYCARE``).
        type: ``DICTATION`` (one speaker's notes) or ``CONVERSATION`` (clinician and patient).
            RADIOLOGY is offered for dictation only.
        language_code: ``en-US``, the only language of Transcribe Medical.
        media_encoding: ``pcm`` (raw signed 16-bit little-endian), ``ogg-opus`` or ``flac``;
            ``None`` to take it from the audio file.
        sample_rate: 16000-48000 Hz, matching the audio; ``None`` to take it from the audio file.
        show_speaker_labels: Label who speaks (``Speaker`` on each item).
        channel_identification: Transcribe the two channels of a stereo stream separately.
        number_of_channels: Sent with channel identification; always 2 (filled in for you).
        content_identification: ``PHI`` to have protected health information labelled.
        vocabulary_name: A medical custom vocabulary to use.
        session_id: A UUID naming the session. ``None`` lets :meth:`with_session_id` (which the
            clients call before connecting) generate one, so the id of every stream is known.
    """

    specialty: StreamingSpecialty = Specialty.PRIMARYCARE
    type: AnyCaseTranscriptionType = TranscriptionType.DICTATION
    language_code: AnyCaseLanguageCode = LanguageCode.EN_US
    media_encoding: AnyCaseMediaEncoding | None = None
    sample_rate: SampleRate | None = None
    show_speaker_labels: bool = False
    channel_identification: bool = False
    number_of_channels: int | None = Field(default=None, validate_default=True)
    content_identification: AnyCaseContentIdentification | None = None
    vocabulary_name: VocabularyName | None = None
    session_id: SessionId | None = None

    # Cross-field rules are checked on the later field (fields validate in declaration order), so
    # the error names a field and its value rather than the whole input.
    @field_validator("type")
    @classmethod
    def _check_type(cls, value: TranscriptionType, info: ValidationInfo) -> TranscriptionType:
        if info.data.get("specialty") is Specialty.RADIOLOGY and value is TranscriptionType.CONVERSATION:
            raise PydanticCustomError(
                "radiology_conversation",
                "RADIOLOGY is offered for DICTATION only; use type DICTATION, or another specialty for a conversation",
            )
        return value

    @field_validator("channel_identification")
    @classmethod
    def _check_channel_identification(cls, value: bool, info: ValidationInfo) -> bool:
        if value and info.data.get("show_speaker_labels"):
            raise PydanticCustomError(
                "speakers_and_channels",
                "speaker labels and channel identification cannot be combined; choose one "
                "(channel identification for two-channel audio, speaker labels otherwise)",
            )
        return value

    @field_validator("number_of_channels")
    @classmethod
    def _check_number_of_channels(cls, value: int | None, info: ValidationInfo) -> int | None:
        identify = bool(info.data.get("channel_identification"))
        if value is None:
            return _limits.STREAM_CHANNELS if identify else None
        if not identify:
            raise PydanticCustomError(
                "channels_without_identification", "number_of_channels is only sent with channel_identification"
            )
        if value != _limits.STREAM_CHANNELS:
            raise PydanticCustomError(
                "number_of_channels",
                "channel identification takes exactly {channels} channels",
                {"channels": _limits.STREAM_CHANNELS},
            )
        return value

    def __repr_args__(self) -> Any:
        # Only what differs from the defaults, to keep logs short; nothing here is a secret.
        for name, value in super().__repr_args__():
            if name is not None and value != type(self).model_fields[name].default:
                yield name, value

    def with_session_id(self) -> StreamConfig:
        """This config with a session id: the given one, or a freshly generated UUID4.

        Returns:
            ``self`` when a session id is set, else a copy carrying a new one.
        """
        if self.session_id is not None:
            return self
        return self.model_copy(update={"session_id": str(uuid.uuid4())})

    def for_audio(
        self,
        media_encoding: MediaEncoding | str | None,
        sample_rate: int | None,
        channels: int | None,
    ) -> StreamConfig:
        """Combine this config with what the audio says about itself.

        Fills in ``media_encoding`` and ``sample_rate`` when they are unset, and refuses audio
        the config does not fit: a rate or encoding that differs from the one given, two channels
        without channel identification, or channel identification on one channel.

        Args:
            media_encoding: The audio's encoding, if known.
            sample_rate: The audio's sample rate in Hz, if known.
            channels: The audio's channel count, if known.

        Returns:
            A config with the encoding and rate filled in.

        Raises:
            AudioFormatError: The audio does not match the config; the message says how to fix it.
        """
        try:
            encoding = MediaEncoding(media_encoding) if media_encoding is not None else None
        except ValueError:
            choices = ", ".join(member.value for member in MediaEncoding)
            raise AudioFormatError(
                f"media encoding: {media_encoding!r} is not one streaming takes; use {choices}"
            ) from None
        if encoding is not None and self.media_encoding is not None and encoding is not self.media_encoding:
            raise AudioFormatError(
                f"media encoding: the audio is {encoding.value} but {self.media_encoding.value} was asked "
                "for; omit media_encoding= to use the file's"
            )
        if sample_rate is not None and self.sample_rate is not None and sample_rate != self.sample_rate:
            raise AudioFormatError(
                f"sample rate: the audio is {sample_rate} Hz but {self.sample_rate} Hz was asked for; "
                "omit sample_rate= to use the file's, or resample the audio"
            )
        if channels is not None:
            if channels == _limits.STREAM_CHANNELS and not self.channel_identification:
                raise AudioFormatError(
                    "channels: the audio has 2 channels; pass channel_identification=True to transcribe "
                    "each channel, or mix it down to mono"
                )
            if channels == 1 and self.channel_identification:
                raise AudioFormatError(
                    "channels: channel identification needs 2-channel audio but the audio has 1 channel; "
                    "drop channel_identification=True"
                )
            if channels > _limits.STREAM_CHANNELS:
                raise AudioFormatError(f"channels: the audio has {channels} channels; streaming takes 1 or 2")
        update: dict[str, Any] = {}
        if self.media_encoding is None and encoding is not None:
            update["media_encoding"] = encoding
        if self.sample_rate is None and sample_rate is not None:
            if not _limits.SAMPLE_RATE_MIN <= sample_rate <= _limits.SAMPLE_RATE_MAX:
                raise AudioFormatError(
                    f"sample rate: the audio is {sample_rate} Hz; Transcribe Medical takes "
                    f"{_limits.SAMPLE_RATE_MIN}-{_limits.SAMPLE_RATE_MAX} Hz, so resample it"
                )
            update["sample_rate"] = sample_rate
        return self.model_copy(update=update) if update else self

    def to_query(self) -> dict[str, str]:
        """The query parameters of the presigned URL, under their wire names.

        Optional parameters appear only when set; the order is the one AWS documents.

        Returns:
            Wire name to value, e.g. ``{"language-code": "en-US", "media-encoding": "pcm", ...}``.

        Raises:
            ValidationError: ``media_encoding`` or ``sample_rate`` is still unknown.
        """
        if self.media_encoding is None:
            raise ValidationError(
                "media_encoding: not set; pass media_encoding= (pcm, ogg-opus or flac), "
                "or stream a file whose header declares it",
                field="media_encoding",
            )
        if self.sample_rate is None:
            raise ValidationError(
                f"sample_rate: not set; pass sample_rate= ({_limits.SAMPLE_RATE_MIN}-{_limits.SAMPLE_RATE_MAX} Hz), "
                "or stream a file whose header declares it",
                field="sample_rate",
            )
        query = {
            "language-code": self.language_code.value,
            "media-encoding": self.media_encoding.value,
            "sample-rate": str(self.sample_rate),
            "specialty": self.specialty.value,
            "type": self.type.value,
        }
        if self.show_speaker_labels:
            query["show-speaker-label"] = "true"
        if self.channel_identification:
            query["enable-channel-identification"] = "true"
            query["number-of-channels"] = str(self.number_of_channels or _limits.STREAM_CHANNELS)
        if self.session_id is not None:
            query["session-id"] = self.session_id
        if self.vocabulary_name is not None:
            query["vocabulary-name"] = self.vocabulary_name
        if self.content_identification is not None:
            query["content-identification-type"] = self.content_identification.value
        return query
