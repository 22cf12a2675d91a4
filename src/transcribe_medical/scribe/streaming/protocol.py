"""The HealthScribe session, sans-I/O: which frames to send, and what received messages mean.

Outgoing: the ConfigurationEvent first (for new and resumed sessions alike), AudioEvents, then
``SessionControlEvent END_OF_SESSION`` (which starts the clinical note) and the signed empty end
frame; every event is signed by the chain (:mod:`.event_signing`). Incoming: TranscriptEvents
become :class:`ScribeTranscriptEvent` s and final segments go into one :class:`Transcript`, each
segment once, in order, keeping its ``SegmentId``; exception events become the library's errors.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from typing import Any, ClassVar, Final

from transcribe_medical import _limits
from transcribe_medical._exceptions import ConnectionError, ProtocolError
from transcribe_medical._limits import AUDIO_EVENT_MAX_PAYLOAD
from transcribe_medical.eventstream import AUDIO_EVENT_HEADERS, Message, encode_audio_event, encode_message
from transcribe_medical.models._base import PhiSafeModel
from transcribe_medical.models.enums import MediaEncoding
from transcribe_medical.models.transcript import Item, Segment, Transcript, normalise_channel, normalise_speaker
from transcribe_medical.scribe.streaming.config import ScribeStreamConfig
from transcribe_medical.scribe.streaming.errors import exception_event_error
from transcribe_medical.scribe.streaming.event_signing import EventSigner
from transcribe_medical.scribe.streaming.replay import ReplayBuffer

__all__ = ["ScribeSessionProtocol", "ScribeTranscriptEvent", "encode_json_event"]

# Channel labels seen, normalised once (a stream has one or two; a peer inventing more is not cached).
_CHANNEL_CACHE_ENTRIES = 8
_SEGMENT_FIELDS_SET: Final = frozenset(("start", "end", "text", "speaker", "channel", "items", "segment_id"))


def encode_json_event(event_type: str, body: dict[str, Any]) -> bytes:
    """An inner event message with a JSON payload (ConfigurationEvent, SessionControlEvent)."""
    headers = {":message-type": "event", ":event-type": event_type, ":content-type": "application/json"}
    return encode_message(headers, json.dumps(body, separators=(",", ":")).encode())


def _audio_event(chunk: bytes) -> bytes:
    """The inner AudioEvent message of ``chunk``.

    Chunks up to 32 KiB (all of ``transcribe()``'s) take the codec's AudioEvent path, whose
    prelude and headers are made once per chunk size; a longer chunk (a caller's second of 48 kHz
    audio) is encoded in full. The bytes are the same either way.
    """
    if len(chunk) <= AUDIO_EVENT_MAX_PAYLOAD:
        return encode_audio_event(chunk)
    return encode_message(AUDIO_EVENT_HEADERS, chunk)


class ScribeTranscriptEvent(PhiSafeModel):
    """One TranscriptEvent of a HealthScribe stream: a segment, partial or final.

    Attributes:
        segment: The segment (``segment_id`` set; ``speaker`` is the participant role such as
            ``CLINICIAN_0`` when channel definitions were given; ``channel`` ``ch_N``).
        is_partial: ``True`` while the service may still revise the segment.
    """

    segment: Segment
    is_partial: bool = False

    _repr_values: ClassVar[tuple[str, ...]] = ("is_partial",)


def _seconds(value: object) -> float:
    seconds = float(value)  # type: ignore[arg-type]  # a malformed value raises, refused by the caller
    if not 0 <= seconds < math.inf:
        raise ValueError("an audio time must be a finite number >= 0")
    return seconds


def _time(value: object) -> float | None:
    return None if value is None else _seconds(value)


def _item(raw: dict[str, Any], speaker: str | None, channel: str | None) -> Item:
    """One transcript item, checked here and built without pydantic's validation.

    A partial segment repeats every item so far, on every event: validating each one through
    the model costs more than the rest of the session. The checks are the model's own.
    """
    content = raw["Content"]
    kind = str(raw.get("Type", "PRONUNCIATION")).lower()
    if not isinstance(content, str) or kind not in ("pronunciation", "punctuation"):
        raise ValueError("an item needs a Content string and a Type of PRONUNCIATION or PUNCTUATION")
    confidence = raw.get("Confidence")
    if kind == "punctuation" or confidence is None:
        confidence = None  # punctuation is not scored (AWS sends 0.0)
    else:
        confidence = float(confidence)
        if not 0 <= confidence <= 1:
            raise ValueError("an item's Confidence must be within 0..1")
    return Item.model_construct(
        start=_time(raw.get("BeginAudioTime")),
        end=_time(raw.get("EndAudioTime")),
        content=content,
        type="punctuation" if kind == "punctuation" else "pronunciation",
        confidence=confidence,
        speaker=speaker,
        channel=channel,
    )


class ScribeSessionProtocol:
    """The state of one HealthScribe session across its connections (sans-I/O).

    A resumed connection calls :meth:`start` again with a new signer (a new request has a new
    seed): the ConfigurationEvent is sent first again, and segments already received are not
    added twice.
    """

    def __init__(self, config: ScribeStreamConfig) -> None:
        """Start a session for ``config`` (which must carry a session id)."""
        if config.session_id is None:
            raise ProtocolError("a HealthScribe session needs its session id before it connects")
        self.config = config
        self._signer: EventSigner | None = None
        # One participant per role when channels are defined: CLINICIAN_0 / PATIENT_0, as in the
        # batch transcript.json (normalise_speaker keeps a participant role as it is).
        self._speakers = {
            c.channel_id: normalise_speaker(f"{c.participant_role.value}_0") for c in config.channel_definitions or ()
        }
        self._channels: dict[str, str | None] = {}
        self._final: dict[str, Segment] = {}
        self._items_of: object = None
        self._items: dict[tuple[object, ...], Item] = {}
        self._last_raw: list[Any] = []  # the segment's previous Items, as received
        self._last_made: list[Item] = []  # and as made
        self._order: list[str] = []
        self.session_ended = False
        frame = 2 * config.channels
        pcm = config.media_encoding is MediaEncoding.PCM and config.sample_rate is not None
        self.replay = ReplayBuffer(config.sample_rate * frame if pcm and config.sample_rate else None, frame)
        # Replayed chunks: at most a tenth of a second (and 32 KiB), as fresh audio is sent.
        self._replay_chunk = max(frame, min(AUDIO_EVENT_MAX_PAYLOAD, (self.replay.bytes_per_second or 0) // 10))

    @property
    def audio_bytes_sent(self) -> int:
        """Bytes of audio sent in the session (replays not counted twice)."""
        return self.replay.sent

    def start(self, signer: EventSigner) -> bytes:
        """Begin a connection: return the signed ConfigurationEvent frame."""
        self._signer = signer
        return self._sign(encode_json_event("ConfigurationEvent", self.config.configuration_event()))

    def resume(self, signer: EventSigner) -> Iterator[bytes]:
        """Begin a new connection of the session after a drop.

        Yields the signed ConfigurationEvent, then the audio the service did not keep, signed
        anew (frames are made as they are taken, so each is signed just before it is sent).

        Raises:
            ConnectionError: The session cannot be resumed without losing or doubling audio
                (END_OF_SESSION was sent, the audio is not PCM, or the replay buffer overflowed).
        """
        if self.session_ended or not self.replay.resumable:
            why = "END_OF_SESSION was sent" if self.session_ended else "its audio cannot be replayed"
            raise ConnectionError(f"HealthScribe session {self.config.session_id} cannot be resumed: {why}")
        yield self.start(signer)
        for chunk in self.replay.replay(self._replay_chunk):
            yield self._sign(_audio_event(chunk))

    def audio(self, chunk: bytes) -> bytes:
        """The signed AudioEvent frame for ``chunk`` (at most one second of audio)."""
        frame = self._sign(_audio_event(chunk))
        self.replay.add(chunk)
        return frame

    def end_of_session(self) -> bytes:
        """The signed ``END_OF_SESSION`` event followed by the signed empty end frame.

        Call :meth:`input_ended` once they were sent: a connection that drops while they are
        being sent can still be resumed and the end said again.
        """
        frame = self._sign(encode_json_event("SessionControlEvent", {"Type": "END_OF_SESSION"}))
        return frame + self.pause()

    def pause(self) -> bytes:
        """The signed empty end frame alone: the input ends, the session can be resumed."""
        if self._signer is None:
            raise ProtocolError("the session has not started")
        return self._signer.sign_end()

    def input_ended(self, *, end_of_session: bool) -> None:
        """The end frames were sent: after END_OF_SESSION nothing resumes; after a pause all audio is kept."""
        if end_of_session:
            self.session_ended = True
        else:
            self.replay.all_kept()

    @property
    def resumable(self) -> bool:
        """Whether a dropped connection can be resumed with no audio lost or doubled."""
        return not self.session_ended and self.replay.resumable

    def silence(self, seconds: float) -> list[bytes]:
        """Keep-alive PCM silence lasting ``seconds`` (at most 15 s), in chunks of at most one second.

        Raises:
            ProtocolError: The audio is not PCM (silence cannot be made for FLAC or Ogg-Opus).
        """
        rate = self.replay.bytes_per_second
        if rate is None:
            raise ProtocolError("keep-alive silence can only be made for PCM audio")
        frame = 2 * self.config.channels
        total = int(min(seconds, _limits.STREAM_IDLE_TIMEOUT_S) * rate) // frame * frame
        step = max(frame, min(rate, AUDIO_EVENT_MAX_PAYLOAD) // frame * frame)
        zeros = bytes(step)
        return [zeros[: min(step, total - start)] for start in range(0, total, step)]

    def _sign(self, message: bytes) -> bytes:
        if self._signer is None:
            raise ProtocolError("the session has not started")
        return self._signer.sign(message)

    def handle(self, message: Message) -> ScribeTranscriptEvent | None:
        """Interpret one received message.

        Returns:
            The transcript event, or ``None`` for a message of a kind this version ignores.

        Raises:
            ServiceError: An exception event (BadRequestException → BadRequestError, ...).
            CredentialsError: A refused signature.
            ProtocolError: A malformed TranscriptEvent.
        """
        headers = message.headers
        kind = headers.get(":message-type")
        if kind == "exception":
            raise exception_event_error(str(headers.get(":exception-type", "")), message.payload)
        if kind == "error":
            raise exception_event_error(str(headers.get(":error-code", "InternalFailureException")), message.payload)
        if headers.get(":event-type") != "TranscriptEvent":
            return None
        try:
            raw = json.loads(message.payload)["TranscriptSegment"]
            # Checked by _segment as the models would check it: see _item.
            event = ScribeTranscriptEvent.model_construct(
                segment=self._segment(raw), is_partial=bool(raw.get("IsPartial", False))
            )
        except (ValueError, KeyError, TypeError) as error:
            raise ProtocolError(f"the service sent a malformed TranscriptEvent ({type(error).__name__})") from None
        if not event.is_partial:
            self._keep(event.segment)
            self.replay.final_until(event.segment.end)
        return event

    def _segment(self, raw: dict[str, Any]) -> Segment:
        # ChannelId is a string: "ch_0" as the emulator sends it, or a bare "0"; both read the same.
        channel_id = raw.get("ChannelId")
        if channel_id in (None, ""):
            channel = None
        elif type(channel_id) is str:
            channel = self._channels.get(channel_id)
            if channel is None:
                channel = normalise_channel(channel_id)
                if len(self._channels) < _CHANNEL_CACHE_ENTRIES:
                    self._channels[channel_id] = channel
        else:
            channel = normalise_channel(channel_id)
        speaker = self._speakers.get(int(channel[3:])) if channel else None
        # A partial repeats every item so far: an item equal to one of the segment's previous
        # event is that same (equal, unchanged) object, so a growing partial costs its new words.
        segment_id = raw.get("SegmentId")
        if segment_id != self._items_of:
            self._items_of, self._items, self._last_raw, self._last_made = segment_id, {}, [], []
        raw_items = raw.get("Items") or ()
        items = self._same_items(raw_items)
        for item in raw_items[len(items) :] if items else raw_items:
            key = (
                item.get("Content"),
                item.get("Type"),
                item.get("BeginAudioTime"),
                item.get("EndAudioTime"),
                item.get("Confidence"),
            )
            made = self._items.get(key)
            if made is None:
                made = self._items[key] = _item(item, speaker, channel)
            items.append(made)
        if type(raw_items) is list:
            self._last_raw, self._last_made = raw_items, items[:]
        if segment_id is not None and not isinstance(segment_id, str):
            raise TypeError("a SegmentId must be a string")
        # Built as _item builds items: the values are the model's own checks' (times finite and
        # >= 0, labels normalised, items made), so pydantic would find nothing to change. Every
        # field is given (a default_factory costs model_construct a signature inspection), and
        # the fields set are those the keyword construction set.
        return Segment.model_construct(
            set(_SEGMENT_FIELDS_SET),  # its own: pydantic adds to it on assignment
            start=_seconds(raw.get("BeginAudioTime") or 0.0),
            end=_seconds(raw.get("EndAudioTime") or 0.0),
            text=str(raw.get("Content") or ""),
            speaker=speaker,
            channel=channel,
            items=items,
            entities=[],
            alternatives=[],
            result_id=None,
            segment_id=segment_id,
        )

    def _same_items(self, raw_items: object) -> list[Item]:
        """The items made for the longest start of ``raw_items`` the previous event also had.

        A growing partial repeats the previous event's items and changes at most its last one or
        two, so comparing the lists' starts (in C) finds the items to reuse without looking at each
        item. Only the previous list's length and the two below it are tried: a revision further
        back goes through the per-item cache instead.
        """
        last = self._last_raw
        if not last or type(raw_items) is not list:
            return []
        for length in range(min(len(last), len(raw_items)), max(0, len(last) - 3), -1):
            if raw_items[:length] == last[:length]:
                return self._last_made[:length]
        return []

    def _keep(self, segment: Segment) -> None:
        # Keyed by SegmentId: a resumed connection that repeats a segment replaces it, not doubles it.
        key = segment.segment_id or f"@{segment.start:.6f}-{segment.channel}"
        if key not in self._final:
            self._order.append(key)
        self._final[key] = segment

    @property
    def transcript(self) -> Transcript:
        """The final segments so far, in time order, each once."""
        segments = sorted((self._final[key] for key in self._order), key=lambda s: (s.start, s.end))
        return Transcript(segments=segments, source="streaming", session_id=self.config.session_id)
