"""The emulator's HealthScribe worker: recognise a job's conversation, write its transcript and note.

For each job the HealthScribe layer (:mod:`~transcribe_medical.local.scribe_service`) accepted,
:class:`ScribeWorker` runs in a worker thread:

1. marks it ``IN_PROGRESS``; a ``DataAccessRoleArn`` of another account than the emulator's
   fails it (the service could not assume that role);
2. reads ``Media.MediaFileUri`` from the emulated S3 (a missing object or bucket fails it) and
   decodes it as the medical batch worker does (WAV, FLAC, Ogg, MP3: :mod:`~transcribe_medical.local.media_decoding`);
   channel identification needs 2-channel audio;
3. recognises it with the emulator's recognizer (the same as the medical side): each channel on
   its own with channel identification, else the channels mixed with speaker labels. Long runs of
   digital silence are skipped (they hold no words), which halves the work on a 2-channel file;
4. gives every utterance a participant role: from ``ChannelDefinitions`` per channel, or with
   speaker labels by what each speaker says (the one who asks questions and gives advice is
   ``CLINICIAN_0``, the others ``PATIENT_0``, ``PATIENT_1``, ... in order of first words; a tie goes
   to the first speaker) - deterministic, like everything here;
5. applies the vocabulary filter (:mod:`~transcribe_medical.local.vocabulary_filters`) and the
   custom vocabulary, then writes ``<job>/transcript.json`` (AWS's HealthScribe transcript file)
   and ``<job>/summary.json`` (the note of :mod:`~transcribe_medical.local.clinical_note`) to
   ``OutputBucketName`` and completes the job with both URIs. A missing output bucket fails it.

Segment and insight ids are UUIDs derived from the account and job name, so the same job on the
same audio gives the same files.
"""

from __future__ import annotations

import concurrent.futures
import json
import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from transcribe_medical._logging import get_logger
from transcribe_medical.local.batch_worker import REASON_MEDIA_MISSING, DecodedAudio, JobFailed, Utterance, decode_media
from transcribe_medical.local.clinical_note import (
    ConversationTurn,
    build_clinical_documentation,
    clinical_insights,
    transcript_section,
)
from transcribe_medical.local.recognizers.interface import RecognizedWord
from transcribe_medical.local.results import final_words, join_items
from transcribe_medical.local.speakers import SpeakerTracker
from transcribe_medical.local.transcriber import ChannelTranscriber
from transcribe_medical.local.vocabulary_filters import FilteredWord, FilterStore, apply_filter

if TYPE_CHECKING:
    from transcribe_medical.local.emulated_s3 import EmulatedS3
    from transcribe_medical.local.recognizers.interface import Recognizer
    from transcribe_medical.local.scribe_jobs import ScribeJobHandle, ScribeJobRequest
    from transcribe_medical.local.vocabulary import Vocabulary

__all__ = ["ScribeWorker", "Turn", "assign_roles", "build_transcript_file", "output_keys", "recognize"]

_log = get_logger("local.scribe")

_CHUNK_S: Final = 0.5
#: Digital silence at least this long is skipped (with a margin left around the speech).
_SKIP_SILENCE_S: Final = 1.0
_MARGIN_S: Final = 0.25
_ROLE_ACCOUNT: Final = re.compile(r"^arn:[^:]+:iam::([0-9]*):role/")

REASON_ROLE: Final = (
    "The data access role {arn} can't be assumed: it belongs to another account than this one ({account}). "
    "Use a role of this account that trusts transcribe.amazonaws.com."
)
REASON_CHANNELS: Final = (
    "Channel identification needs audio with 2 channels (one per participant); the media has {channels}."
)
REASON_OUTPUT: Final = (
    "The output bucket {bucket} can't be accessed. Make sure that it exists and that the data access role "
    "can write to it, then try your request again."
)

_CLINICIAN_CUES: Final = (
    "what brings you",
    "do you",
    "have you",
    "how long",
    "any ",
    "your ",
    "i think",
    "we will",
    "take ",
    "come back",
    "drink",
    "prescribe",
    "exam",
    "test",
)
_PATIENT_CUES: Final = ("i have", "i've", "i had", "i feel", "my ", "thank you", "it hurts")


def output_keys(job_name: str) -> tuple[str, str]:
    """The keys of ``(transcript.json, summary.json)`` in the output bucket."""
    return f"{job_name}/transcript.json", f"{job_name}/summary.json"


def _islands(track: bytes, rate: int) -> list[tuple[int, int]]:
    """Byte ranges of ``track`` (mono PCM16) between runs of digital silence of ``_SKIP_SILENCE_S``."""
    run = int(_SKIP_SILENCE_S * rate) * 2
    margin = int(_MARGIN_S * rate) * 2
    ranges: list[tuple[int, int]] = []
    start = 0
    for silence in re.finditer(rb"\x00{%d,}" % run, track):
        begin = silence.start() + margin
        end = silence.end() - margin
        begin += begin % 2
        end -= end % 2
        if begin > start:
            ranges.append((start, begin))
        start = max(start, end)
    if start < len(track):
        ranges.append((start, len(track)))
    # The margins at the very start and end of the track hold nothing to recognise.
    return [(begin, end) for begin, end in ranges if track[begin:end].strip(b"\x00")]


def _recognize_track(
    track: bytes,
    channel: int,
    rate: int,
    recognizer: Recognizer,
    tracker: SpeakerTracker | None,
    vocabulary: Vocabulary | None,
) -> list[Utterance]:
    # One session per track, fed only the speech islands; each island ends an utterance (a second
    # of digital silence always would). The session's clock counts only the audio it was fed, so
    # word times are moved back to the track's own clock island by island.
    chunk = int(rate * _CHUNK_S) * 2
    utterances: list[Utterance] = []
    transcriber = ChannelTranscriber(
        recognizer.new_session(rate), rate, speakers=tracker, partials=False, vocabulary=vocabulary
    )
    fed = 0
    try:
        for begin, end in _islands(track, rate):
            shift = (begin - fed) / (2 * rate)
            updates = []
            for at in range(begin, end, chunk):
                updates.extend(transcriber.accept(track[at : min(at + chunk, end)]))
            updates.extend(transcriber.finish())
            fed += end - begin
            for update in updates:
                if update.words:
                    moved = [
                        RecognizedWord(word.text, word.start + shift, word.end + shift, word.confidence)
                        for word in update.words
                    ]
                    utterances.append(Utterance(channel, update.speaker, tuple(final_words(moved))))
    finally:
        transcriber.close()
    return utterances


def recognize(
    audio: DecodedAudio,
    recognizer: Recognizer,
    *,
    channel_identification: bool,
    max_speakers: int,
    vocabulary: Vocabulary | None = None,
) -> list[Utterance]:
    """The conversation's utterances in time order (see the module notes, step 3)."""
    from transcribe_medical.local.recognizers.pcm import mix_to_mono, split_channels

    if channel_identification:
        tracks = split_channels(audio.pcm16, audio.channels)
    else:
        tracks = [mix_to_mono(audio.pcm16, audio.channels) if audio.channels > 1 else audio.pcm16]
    utterances: list[Utterance] = []
    for channel, track in enumerate(tracks):
        tracker = None if channel_identification else SpeakerTracker(max_speakers)
        utterances.extend(_recognize_track(track, channel, audio.sample_rate, recognizer, tracker, vocabulary))
    return sorted(utterances, key=lambda u: (u.start, u.channel))


def _clinician_score(texts: Sequence[str]) -> int:
    score = 0
    for text in texts:
        padded = f" {text.lower()} "
        score += sum(padded.count(f" {cue}") for cue in _CLINICIAN_CUES)
        score -= sum(padded.count(f" {cue}") for cue in _PATIENT_CUES)
    return score


def assign_roles(utterances: Sequence[Utterance], *, channel_roles: dict[int, str] | None = None) -> list[str]:
    """The ``ParticipantRole`` of each utterance (see the module notes, step 4).

    Args:
        utterances: In time order.
        channel_roles: ``{channel: "CLINICIAN" | "PATIENT"}`` with channel identification.
    """
    if channel_roles is not None:
        return [f"{channel_roles.get(u.channel, 'PATIENT')}_0" for u in utterances]
    order: list[int] = []
    said: dict[int, list[str]] = {}
    for utterance in utterances:
        speaker = utterance.speaker or 0
        if speaker not in said:
            order.append(speaker)
            said[speaker] = []
        said[speaker].append(" ".join(word.content for word in utterance.words))
    if not order:
        return []
    clinician = max(order, key=lambda speaker: (_clinician_score(said[speaker]), -order.index(speaker)))
    roles = {clinician: "CLINICIAN_0"}
    for number, speaker in enumerate(s for s in order if s != clinician):
        roles[speaker] = f"PATIENT_{number}"
    return [roles[utterance.speaker or 0] for utterance in utterances]


@dataclass(frozen=True)
class Turn:
    """One transcript segment before it is written: its role and its (filtered) words."""

    segment_id: str
    role: str
    words: tuple[FilteredWord, ...]

    @property
    def content(self) -> str:
        """The segment's text: words joined, punctuation attached."""
        parts: list[tuple[str, bool]] = []
        for item in self.words:
            parts.append((item.word.content, False))
            if item.word.punctuation:
                parts.append((item.word.punctuation, True))
        return join_items(parts)


def _seconds(value: float) -> float:
    return round(value, 3)


def build_transcript_file(
    job_name: str,
    conversation_id: str,
    turns: Sequence[Turn],
    insights: list[dict[str, Any]],
    sections: Sequence[str],
    *,
    tag_matches: bool,
) -> dict[str, Any]:
    """The HealthScribe transcript file (``{"Conversation": {...}}``) of a job, as AWS writes it."""
    items: list[dict[str, Any]] = []
    segments: list[dict[str, Any]] = []
    for turn, section in zip(turns, sections, strict=True):
        for filtered in turn.words:
            word = filtered.word
            item: dict[str, Any] = {
                "Alternatives": [{"Confidence": word.confidence, "Content": word.content}],
                "BeginAudioTime": _seconds(word.start),
                "EndAudioTime": _seconds(word.end),
                "Type": "PRONUNCIATION",
            }
            if tag_matches and filtered.matched:
                item["VocabularyFilterMatch"] = True
            items.append(item)
            if word.punctuation:
                items.append(
                    {
                        "Alternatives": [{"Confidence": 0, "Content": word.punctuation}],
                        "BeginAudioTime": _seconds(word.end),
                        "EndAudioTime": _seconds(word.end),
                        "Type": "PUNCTUATION",
                    }
                )
        segments.append(
            {
                "BeginAudioTime": _seconds(turn.words[0].word.start),
                "Content": turn.content,
                "EndAudioTime": _seconds(turn.words[-1].word.end),
                "ParticipantDetails": {"ParticipantRole": turn.role},
                "SectionDetails": {"SectionName": section},
                "SegmentId": turn.segment_id,
            }
        )
    return {
        "Conversation": {
            "ConversationId": conversation_id,
            "JobName": job_name,
            "JobType": "ASYNC",
            "LanguageCode": "en-US",
            "ClinicalInsights": insights,
            "TranscriptItems": items,
            "TranscriptSegments": segments,
        }
    }


def role_account(role_arn: str) -> str | None:
    """The account number of an IAM role ARN (``None`` if it names none)."""
    found = _ROLE_ACCOUNT.match(role_arn)
    return found.group(1) if found and found.group(1) else None


class ScribeWorker:
    """Runs emulated HealthScribe jobs in background threads (see the module notes).

    Args:
        recognizer: Returns the recognizer to use (called per job, so it can be made lazily).
        s3: Returns the emulated S3 client (called per job: the endpoint is known once serving).
        filters: The vocabulary filters the layer holds.
        vocabulary: ``(region, name)`` → the custom vocabulary to apply, or ``None``.
        max_workers: Jobs run at once.
    """

    def __init__(
        self,
        recognizer: Callable[[], Recognizer],
        s3: Callable[[], EmulatedS3],
        filters: FilterStore,
        *,
        vocabulary: Callable[[str, str], Vocabulary | None] | None = None,
        max_workers: int = 1,
    ) -> None:
        self._recognizer = recognizer
        self._s3 = s3
        self._filters = filters
        self._vocabulary = vocabulary
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers, thread_name_prefix="emulator-scribe")
        self._futures: set[concurrent.futures.Future[None]] = set()
        self.jobs_run = 0

    def submit(self, handle: ScribeJobHandle) -> None:
        """Queue a job (returns at once)."""
        future = self._pool.submit(self.run_job, handle)
        self._futures.add(future)
        future.add_done_callback(self._futures.discard)

    def drain(self, timeout: float | None = None) -> None:
        """Wait until every job queued so far has finished (for tests)."""
        concurrent.futures.wait(list(self._futures), timeout=timeout)

    def stop(self) -> None:
        """Stop taking jobs; jobs in progress finish first."""
        self._pool.shutdown(wait=True, cancel_futures=True)

    def run_job(self, handle: ScribeJobHandle) -> None:
        """Run one job and complete or fail it (in a worker thread)."""
        handle.mark_in_progress()
        request = handle.request
        try:
            transcript_uri, note_uri = self._run(request)
        except JobFailed as failed:
            _log.info("emulated HealthScribe job failed: %s", failed)
            handle.fail(str(failed))
            return
        except Exception:
            _log.exception("the emulator failed a HealthScribe job")
            handle.fail("Internal failure: the emulator could not process the media.")
            return
        self.jobs_run += 1
        handle.complete(transcript_uri, note_uri)

    def _run(self, request: ScribeJobRequest) -> tuple[str, str]:
        from transcribe_medical.local.emulated_s3 import ObjectNotFound, WriteRefused

        account = role_account(request.role_arn)
        if account != request.account_id:
            raise JobFailed(REASON_ROLE.format(arn=request.role_arn, account=request.account_id))
        s3 = self._s3()
        try:
            data = s3.read_uri(request.media_uri)
        except ObjectNotFound:
            raise JobFailed(REASON_MEDIA_MISSING) from None
        audio = decode_media(data)
        settings = request.settings
        channel_mode = bool(settings.get("ChannelIdentification"))
        if channel_mode and audio.channels != 2:
            raise JobFailed(REASON_CHANNELS.format(channels=audio.channels))
        vocabulary_name = settings.get("VocabularyName")
        vocabulary = self._vocabulary(request.region, vocabulary_name) if vocabulary_name and self._vocabulary else None
        utterances = recognize(
            audio,
            self._recognizer(),
            channel_identification=channel_mode,
            max_speakers=int(settings.get("MaxSpeakerLabels") or 2),
            vocabulary=vocabulary,
        )
        channel_roles = (
            {int(item["ChannelId"]): str(item["ParticipantRole"]) for item in request.channel_definitions}
            if channel_mode
            else None
        )
        roles = assign_roles(utterances, channel_roles=channel_roles)
        filter_name = settings.get("VocabularyFilterName")
        method = str(settings.get("VocabularyFilterMethod") or "mask")
        entries = self._filters.words(request.region, filter_name) if filter_name else None
        namespace = uuid.uuid5(
            uuid.NAMESPACE_URL, f"transcribe-medical-emulator/{request.account_id}/{request.region}/{request.job_name}"
        )
        turns: list[Turn] = []
        for index, (utterance, role) in enumerate(zip(utterances, roles, strict=True)):
            words = (
                apply_filter(utterance.words, entries, method)
                if entries
                else [FilteredWord(word) for word in utterance.words]
            )
            if words:
                turns.append(Turn(str(uuid.uuid5(namespace, f"segment/{index}")), role, tuple(words)))
        conversation = [ConversationTurn(turn.segment_id, turn.role, turn.content) for turn in turns]
        transcript = build_transcript_file(
            request.job_name,
            str(uuid.uuid5(namespace, "conversation")),
            turns,
            clinical_insights(conversation, namespace),
            [transcript_section(turn) for turn in conversation],
            tag_matches=method == "tag",
        )
        note = build_clinical_documentation(conversation, request.note_template)
        transcript_key, note_key = output_keys(request.job_name)
        try:
            transcript_uri = s3.write(
                request.output_bucket,
                transcript_key,
                json.dumps(transcript, indent=2).encode(),
                kms_key_id=request.kms_key_id,
            )
            note_uri = s3.write(
                request.output_bucket, note_key, json.dumps(note, indent=2).encode(), kms_key_id=request.kms_key_id
            )
        except WriteRefused:
            raise JobFailed(REASON_OUTPUT.format(bucket=request.output_bucket)) from None
        return transcript_uri, note_uri
