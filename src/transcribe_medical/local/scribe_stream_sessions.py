"""HealthScribe streaming sessions in the emulator: configuration, live segments, pause/resume, the note.

A session lives across the HTTP/2 streams that carry it (:mod:`~transcribe_medical.local.scribe_stream_server`):

* **Configuration** (:func:`check_configuration`): the first event of every stream, validated as
  ``StartMedicalScribeJob``'s settings are (role ARN shape, exactly two channel definitions, one
  ``CLINICIAN`` and one ``PATIENT``, output bucket name, note template, filter method, names that
  must exist). With channel definitions the audio is 2-channel interleaved PCM, one participant
  per channel; without, it is mono and roles are told apart by what each speaker says (the batch
  worker's :func:`~transcribe_medical.local.scribe_worker.assign_roles`).
* **Audio** (:class:`SessionRecognition`): recognised as it arrives, each update a
  ``TranscriptEvent`` with one ``TranscriptSegment`` (partials share the final's ``SegmentId``);
  times continue across resumed streams. The vocabulary filter applies to every segment sent.
  Digital silence (all zeros) is not decoded, as the batch worker decodes only speech islands: it
  closes the channel's utterance in progress and moves its later words forward.
* **Pause and resume**: a stream that ends without ``END_OF_SESSION`` pauses the session (its
  last utterance is finalised); a dropped connection pauses it too, but keeps only the finals
  (the client replays the audio after the last final, so nothing is doubled) and the next stream
  starts at the end of the last final. A paused session resumes with a new stream that names its
  session id and sends a configuration event first again.
* **End** (:func:`write_post_stream_outputs`): after ``END_OF_SESSION`` the session is
  ``COMPLETED`` and its ``transcript.json`` and ``summary.json`` are written under
  ``healthscribe-streaming/<session-id>/post-stream-analytics/clinical-notes/`` in the output bucket.
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from transcribe_medical.local.batch_worker import Utterance
from transcribe_medical.local.clinical_note import (
    NOTE_TEMPLATES,
    ConversationTurn,
    build_clinical_documentation,
    clinical_insights,
    transcript_section,
)
from transcribe_medical.local.results import FinalWord, final_words
from transcribe_medical.local.scribe_worker import (
    REASON_OUTPUT,
    REASON_ROLE,
    Turn,
    assign_roles,
    build_transcript_file,
    role_account,
)
from transcribe_medical.local.speakers import SpeakerTracker
from transcribe_medical.local.transcriber import ChannelTranscriber, UtteranceUpdate
from transcribe_medical.local.vocabulary_filters import FilteredWord, apply_filter

if TYPE_CHECKING:
    from transcribe_medical.local.emulated_s3 import EmulatedS3
    from transcribe_medical.local.recognizers.interface import Recognizer
    from transcribe_medical.local.vocabulary import Vocabulary

__all__ = [
    "ScribeStreamSession",
    "ScribeStreamStore",
    "SessionRecognition",
    "StreamRefused",
    "check_configuration",
    "output_keys",
    "write_post_stream_outputs",
]

_ROLE_PATTERN: Final = re.compile(
    r"^arn:(aws|aws-cn|aws-us-gov|aws-iso-{0,1}[a-z]{0,1}):iam::[0-9]{0,63}:role/[A-Za-z0-9:_/+=,@.-]{0,1024}$"
)
_BUCKET_PATTERN: Final = re.compile(r"^[a-z0-9][\.\-a-z0-9]{1,61}[a-z0-9]$")
_FILTER_METHODS: Final = ("remove", "mask", "tag")


class StreamRefused(Exception):
    """End a stream with an exception event (or, before the response, an HTTP error).

    Attributes:
        code: The exception type (``BadRequestException``, ``ConflictException``, ...).
        message: The one-line ``Message``.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _bad(message: str) -> StreamRefused:
    return StreamRefused("BadRequestException", message)


def check_configuration(
    event: Any,
    *,
    filter_exists: Callable[[str], bool] | None = None,
    vocabulary_exists: Callable[[str], bool] | None = None,
) -> dict[str, Any]:
    """Validate a ``ConfigurationEvent`` payload (see the module notes); return it.

    Raises:
        StreamRefused: ``BadRequestException`` naming the field, the value and what is allowed.
    """
    if not isinstance(event, dict):
        raise _bad("The ConfigurationEvent must be a JSON object.")
    role = event.get("ResourceAccessRoleArn")
    if not isinstance(role, str) or not 20 <= len(role) <= 2048 or not _ROLE_PATTERN.match(role):
        raise _bad(f"ResourceAccessRoleArn {role!r} is not an IAM role ARN (arn:aws:iam::<account>:role/<name>).")
    settings = event.get("PostStreamAnalyticsSettings")
    note = settings.get("ClinicalNoteGenerationSettings") if isinstance(settings, dict) else None
    if not isinstance(note, dict):
        raise _bad("PostStreamAnalyticsSettings.ClinicalNoteGenerationSettings is required.")
    bucket = note.get("OutputBucketName")
    if not isinstance(bucket, str) or not _BUCKET_PATTERN.match(bucket):
        raise _bad(f"OutputBucketName {bucket!r} is not a bucket name (3-63 of a-z, 0-9, '.', '-').")
    template = note.get("NoteTemplate", "HISTORY_AND_PHYSICAL")
    if template not in NOTE_TEMPLATES:
        raise _bad(f"NoteTemplate {template!r} is not one of {', '.join(NOTE_TEMPLATES)}.")
    definitions = event.get("ChannelDefinitions")
    if definitions is not None:
        if not isinstance(definitions, list) or len(definitions) != 2:
            raise _bad("ChannelDefinitions must hold exactly 2 channel definitions.")
        try:
            ids = sorted(int(item.get("ChannelId", 0)) for item in definitions)
            roles = sorted(str(item.get("ParticipantRole")) for item in definitions)
        except (AttributeError, TypeError, ValueError):
            raise _bad("ChannelDefinitions items must be {ChannelId: 0|1, ParticipantRole}.") from None
        if ids != [0, 1]:
            raise _bad(f"ChannelDefinitions must define channel 0 and channel 1, one each (got {ids}).")
        if roles != ["CLINICIAN", "PATIENT"]:
            raise _bad("ChannelDefinitions must give one channel the CLINICIAN role and the other the PATIENT role.")
    method = event.get("VocabularyFilterMethod")
    if method is not None and method not in _FILTER_METHODS:
        raise _bad(f"VocabularyFilterMethod {method!r} is not one of remove, mask, tag.")
    filter_name = event.get("VocabularyFilterName")
    if filter_name is not None and filter_exists is not None and not filter_exists(str(filter_name)):
        raise _bad(f"The vocabulary filter {filter_name!r} doesn't exist. Check the name and try again.")
    vocabulary = event.get("VocabularyName")
    if vocabulary is not None and vocabulary_exists is not None and not vocabulary_exists(str(vocabulary)):
        raise _bad(f"The vocabulary {vocabulary!r} isn't ready or doesn't exist. Check the name and try again.")
    encryption = event.get("EncryptionSettings")
    if encryption is not None and (not isinstance(encryption, dict) or not encryption.get("KmsKeyId")):
        raise _bad("EncryptionSettings needs a KmsKeyId.")
    return event


def output_keys(session_id: str) -> tuple[str, str]:
    """The keys of ``(transcript.json, summary.json)`` of a session in its output bucket."""
    prefix = f"healthscribe-streaming/{session_id}/post-stream-analytics/clinical-notes"
    return f"{prefix}/transcript.json", f"{prefix}/summary.json"


@dataclass
class _Segment:
    segment_id: str
    channel: int
    speaker: int | None
    words: tuple[FinalWord, ...]


@dataclass
class ScribeStreamSession:
    """One HealthScribe streaming session (across its streams).

    Attributes:
        session_id: Its id.
        language_code: ``x-amzn-transcribe-language-code``.
        sample_rate: ``x-amzn-transcribe-sample-rate``.
        media_encoding: ``x-amzn-transcribe-media-encoding``.
        created_at: When its first stream started.
        status: ``IN_PROGRESS``, ``PAUSED``, ``COMPLETED`` or ``FAILED``.
        configuration: The last accepted configuration event.
        analytics: ``ClinicalNoteGenerationResult`` once the session ended.
        active: A stream carries it right now.
        ended_at: When its last stream ended.
        streams: Streams that carried it.
        events_verified: Signed events whose chained signature verified, over all its streams.
    """

    session_id: str
    language_code: str
    sample_rate: int
    media_encoding: str
    created_at: datetime
    status: str = "IN_PROGRESS"
    configuration: dict[str, Any] | None = None
    analytics: dict[str, Any] | None = None
    active: bool = False
    ended_at: datetime | None = None
    streams: int = 0
    events_verified: int = 0
    audio_offset: float = 0.0
    segments: list[_Segment] = field(default_factory=list)

    def describe(self) -> dict[str, Any]:
        """``MedicalScribeStreamDetails`` as GetMedicalScribeStream answers it."""
        details: dict[str, Any] = {
            "SessionId": self.session_id,
            "StreamCreatedAt": self.created_at.timestamp(),
            "LanguageCode": self.language_code,
            "MediaSampleRateHertz": self.sample_rate,
            "MediaEncoding": self.media_encoding,
            "StreamStatus": self.status,
        }
        if self.ended_at is not None:
            details["StreamEndedAt"] = self.ended_at.timestamp()
        config = self.configuration or {}
        for name in (
            "VocabularyName",
            "VocabularyFilterName",
            "VocabularyFilterMethod",
            "ResourceAccessRoleArn",
            "ChannelDefinitions",
            "EncryptionSettings",
            "PostStreamAnalyticsSettings",
        ):
            if name in config:
                details[name] = config[name]
        details["MedicalScribeContextProvided"] = "MedicalScribeContext" in config
        if self.analytics is not None:
            details["PostStreamAnalyticsResult"] = {"ClinicalNoteGenerationResult": dict(self.analytics)}
        return details


class ScribeStreamStore:
    """The sessions of one emulator, thread-safe."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self._sessions: dict[str, ScribeStreamSession] = {}

    def get(self, session_id: str) -> ScribeStreamSession | None:
        """The session with this id, or ``None``."""
        with self.lock:
            return self._sessions.get(session_id)

    def describe(self, session_id: str) -> dict[str, Any] | None:
        """Its ``MedicalScribeStreamDetails``, or ``None``."""
        with self.lock:
            session = self._sessions.get(session_id)
            return None if session is None else session.describe()

    def open(self, session_id: str, language: str, rate: int, encoding: str, now: datetime) -> ScribeStreamSession:
        """Start a stream for a new or paused session.

        Raises:
            StreamRefused: The session is being streamed (``ConflictException``), has ended, or the
                media parameters differ from its first stream (``BadRequestException``).
        """
        with self.lock:
            session = self._sessions.get(session_id)
            if session is None:
                session = ScribeStreamSession(session_id, language, rate, encoding, now)
                self._sessions[session_id] = session
            elif session.active:
                raise StreamRefused("ConflictException", f"The session {session_id} is already being streamed.")
            elif session.status in ("COMPLETED", "FAILED"):
                raise _bad(f"The session {session_id} has ended ({session.status}) and can't be resumed.")
            elif (session.language_code, session.sample_rate, session.media_encoding) != (language, rate, encoding):
                raise _bad(
                    f"A resumed session must keep its language, sample rate and media encoding "
                    f"({session.language_code}, {session.sample_rate}, {session.media_encoding})."
                )
            session.active = True
            session.status = "IN_PROGRESS"
            session.streams += 1
            return session

    def forget(self, session_id: str) -> None:
        """Drop a session that never got a valid configuration."""
        with self.lock:
            self._sessions.pop(session_id, None)

    def clear(self) -> None:
        """Forget every session."""
        with self.lock:
            self._sessions.clear()


def _seconds(value: float) -> float:
    return round(value, 3)


class SessionRecognition:
    """The recognition of one stream of a session: audio in, ``TranscriptSegment`` dicts out.

    Runs in worker threads, one call at a time.

    Args:
        session: The session (finals are appended to its segments).
        recognizer: The emulator's recognizer.
        vocabulary: A custom vocabulary to apply, or ``None``.
        filter_words: The vocabulary filter's entries, or ``None``.
    """

    def __init__(
        self,
        session: ScribeStreamSession,
        recognizer: Recognizer,
        *,
        vocabulary: Vocabulary | None = None,
        filter_words: Sequence[str] | None = None,
    ) -> None:
        config = session.configuration or {}
        self.session = session
        self.channels = 2 if config.get("ChannelDefinitions") else 1
        self._method = str(config.get("VocabularyFilterMethod") or "mask")
        self._filter = list(filter_words) if filter_words else None
        self._offset = session.audio_offset
        self._received = 0
        self._remainder = b""
        self._namespace = uuid.uuid5(
            uuid.NAMESPACE_URL, f"transcribe-medical-emulator/scribe-stream/{session.session_id}"
        )
        self._part = session.streams
        self._transcribers = [
            ChannelTranscriber(
                recognizer.new_session(session.sample_rate),
                session.sample_rate,
                speakers=SpeakerTracker(2) if self.channels == 1 else None,
                vocabulary=vocabulary,
            )
            for _ in range(self.channels)
        ]
        # Digital silence (all-zero audio: a two-channel visit's idle channel, keep-alive silence)
        # is not decoded, as the batch worker decodes only speech islands: it closes the utterance
        # in progress, and the channel's later words are moved forward by what was skipped.
        self._skipped = [0.0] * self.channels
        self._speaking = [False] * self.channels

    def _filtered(self, words: Sequence[FinalWord]) -> list[FilteredWord]:
        if self._filter:
            return apply_filter(words, self._filter, self._method)
        return [FilteredWord(word) for word in words]

    def _segment(self, channel: int, update: UtteranceUpdate) -> dict[str, Any] | None:
        offset = self._offset + self._skipped[channel]
        shifted = [
            FinalWord(w.content, _seconds(w.start + offset), _seconds(w.end + offset), w.confidence, w.punctuation)
            for w in final_words(update.words)
        ]
        segment_id = str(uuid.uuid5(self._namespace, f"{self._part}/{channel}/{update.result_id}"))
        if not update.is_partial and shifted:
            self.session.segments.append(_Segment(segment_id, channel, update.speaker, tuple(shifted)))
        words = self._filtered(shifted)
        if not words:
            return None
        items: list[dict[str, Any]] = []
        for filtered in words:
            word = filtered.word
            item: dict[str, Any] = {
                "BeginAudioTime": word.start,
                "EndAudioTime": word.end,
                "Type": "PRONUNCIATION",
                "Confidence": word.confidence,
                "Content": word.content,
            }
            if self._method == "tag" and filtered.matched:
                item["VocabularyFilterMatch"] = True
            items.append(item)
            if word.punctuation:
                items.append(
                    {
                        "BeginAudioTime": word.end,
                        "EndAudioTime": word.end,
                        "Type": "PUNCTUATION",
                        "Confidence": 0.0,
                        "Content": word.punctuation,
                    }
                )
        return {
            "SegmentId": segment_id,
            "BeginAudioTime": words[0].word.start,
            "EndAudioTime": words[-1].word.end,
            "Content": Turn(segment_id, "", tuple(words)).content,
            "Items": items,
            "IsPartial": update.is_partial,
            "ChannelId": f"ch_{channel}",
        }

    def _collect(self, channel: int, updates: list[UtteranceUpdate]) -> list[dict[str, Any]]:
        return [segment for update in updates if (segment := self._segment(channel, update)) is not None]

    def feed(self, audio: bytes) -> list[dict[str, Any]]:
        """Recognize the next ``AudioChunk`` (16-bit PCM, interleaved); return the segments to send."""
        from transcribe_medical.local.recognizers.pcm import split_channels

        self._received += len(audio)
        data = self._remainder + audio
        frame = 2 * self.channels
        whole = len(data) - len(data) % frame
        self._remainder = data[whole:]
        if not whole:
            return []
        segments: list[dict[str, Any]] = []
        parts = split_channels(data[:whole], self.channels) if self.channels > 1 else [data[:whole]]
        for channel, (transcriber, part) in enumerate(zip(self._transcribers, parts, strict=True)):
            if part == bytes(len(part)):
                if self._speaking[channel]:
                    self._speaking[channel] = False
                    segments.extend(self._collect(channel, transcriber.finish()))
                self._skipped[channel] += len(part) / (2 * self.session.sample_rate)
                continue
            self._speaking[channel] = True
            segments.extend(self._collect(channel, transcriber.accept(part)))
        return segments

    def finish(self) -> list[dict[str, Any]]:
        """The stream ended: finalise the utterances in progress; the next stream starts after this audio."""
        segments: list[dict[str, Any]] = []
        for channel, transcriber in enumerate(self._transcribers):
            segments.extend(self._collect(channel, transcriber.finish()))
        self.session.audio_offset = self._offset + self._received / (2 * self.channels * self.session.sample_rate)
        return segments

    def abandon(self) -> None:
        """The connection dropped: keep the finals only; the next stream starts after the last one."""
        ends = [segment.words[-1].end for segment in self.session.segments]
        self.session.audio_offset = max([self._offset, *ends])

    def close(self) -> None:
        """Release the recognizer sessions."""
        for transcriber in self._transcribers:
            transcriber.close()


def write_post_stream_outputs(
    session: ScribeStreamSession,
    s3: EmulatedS3,
    *,
    account_id: str,
    filter_words: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Write the session's transcript.json and summary.json; return its ``ClinicalNoteGenerationResult``."""
    config = session.configuration or {}
    note_settings = config["PostStreamAnalyticsSettings"]["ClinicalNoteGenerationSettings"]
    bucket = str(note_settings["OutputBucketName"])
    template = str(note_settings.get("NoteTemplate") or "HISTORY_AND_PHYSICAL")
    role_arn = str(config["ResourceAccessRoleArn"])
    if role_account(role_arn) != account_id:
        return {"Status": "FAILED", "FailureReason": REASON_ROLE.format(arn=role_arn, account=account_id)}
    segments = sorted(session.segments, key=lambda s: (s.words[0].start, s.channel))
    utterances = [Utterance(s.channel, s.speaker, s.words) for s in segments]
    definitions = config.get("ChannelDefinitions")
    channel_roles = (
        {int(item.get("ChannelId", 0)): str(item["ParticipantRole"]) for item in definitions} if definitions else None
    )
    roles = assign_roles(utterances, channel_roles=channel_roles)
    method = str(config.get("VocabularyFilterMethod") or "mask")
    turns: list[Turn] = []
    for segment, role in zip(segments, roles, strict=True):
        words = (
            apply_filter(segment.words, filter_words, method)
            if filter_words
            else [FilteredWord(w) for w in segment.words]
        )
        if words:
            turns.append(Turn(segment.segment_id, role, tuple(words)))
    namespace = uuid.uuid5(uuid.NAMESPACE_URL, f"transcribe-medical-emulator/scribe-stream/{session.session_id}")
    conversation = [ConversationTurn(turn.segment_id, turn.role, turn.content) for turn in turns]
    transcript = build_transcript_file(
        session.session_id,
        str(uuid.uuid5(namespace, "conversation")),
        turns,
        clinical_insights(conversation, namespace),
        [transcript_section(turn) for turn in conversation],
        tag_matches=method == "tag",
    )
    # A streaming transcript names its session instead of a job (reference §2).
    body = transcript["Conversation"]
    body.pop("JobName", None)
    body.pop("JobType", None)
    transcript["Conversation"] = {"ConversationId": body.pop("ConversationId"), "SessionId": session.session_id, **body}
    note = build_clinical_documentation(conversation, template)
    note["ClinicalDocumentation"]["SessionId"] = session.session_id
    transcript_key, note_key = output_keys(session.session_id)
    kms = (config.get("EncryptionSettings") or {}).get("KmsKeyId")
    from transcribe_medical.local.emulated_s3 import WriteRefused

    try:
        transcript_uri = s3.write(bucket, transcript_key, json.dumps(transcript, indent=2).encode(), kms_key_id=kms)
        note_uri = s3.write(bucket, note_key, json.dumps(note, indent=2).encode(), kms_key_id=kms)
    except WriteRefused:
        return {"Status": "FAILED", "FailureReason": REASON_OUTPUT.format(bucket=bucket)}
    return {"Status": "COMPLETED", "TranscriptOutputLocation": transcript_uri, "ClinicalNoteOutputLocation": note_uri}
