"""The emulator's batch side: transcribe each medical job, and process each vocabulary, as the service would.

When ``StartMedicalTranscriptionJob`` reaches the emulated endpoint, the Transcribe layer
(:mod:`~transcribe_medical.local.medical_service`) hands the job to :class:`BatchWorker`, which in a
worker thread:

1. marks it ``IN_PROGRESS`` and reads ``Media.MediaFileUri`` from the emulated S3
   (``s3://bucket/key`` or an ``https://`` S3 URL) through the endpoint's public S3 API
   (:class:`~transcribe_medical.local.emulated_s3.EmulatedS3`); a missing object fails the job;
2. decodes the audio (:mod:`~transcribe_medical.local.media_decoding`): WAV, FLAC, Ogg
   (Opus, Vorbis) and MP3; MP4/M4A, WebM and AMR, which AWS accepts but no package here decodes,
   fail with ``Unsupported media format`` naming the format, as does anything unrecognised.
   The sample rate must be 16000-48000 Hz (``Invalid sample rate for audio file``) and match
   ``MediaSampleRateHertz`` if given; ``MediaFormat`` must match the file; at most 2 channels;
3. transcribes it with the emulator's recognizer (each channel on its own with
   ``ChannelIdentification``, else the channels mixed), speakers labelled by
   :mod:`~transcribe_medical.local.speakers` and PHI by :mod:`~transcribe_medical.local.phi`;
4. writes AWS's medical transcript JSON (:func:`build_batch_output`) to ``OutputBucketName`` /
   ``OutputKey`` (``medical/<job>.json`` by default; a key ending in ``.json`` is the object, any
   other key is a folder), sets ``TranscriptFileUri`` and completes the job.

A created or updated medical vocabulary is processed the same way: its file is read from the
emulated S3 and parsed (:func:`~transcribe_medical.local.vocabulary.read_vocabulary_file`); the
vocabulary becomes ``READY``, or ``FAILED`` with a ``FailureReason``.

With ``ShowAlternatives`` the file has ``segments`` with a single alternative each: the
recognizer gives one hypothesis (the service may also return fewer than ``MaxAlternatives``).
"""

from __future__ import annotations

import concurrent.futures
import json
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from transcribe_medical import _limits
from transcribe_medical._logging import get_logger
from transcribe_medical.local.emulated_s3 import (
    MAX_READ_BYTES,
    ObjectNotFound,
    ObjectTooLarge,
    WriteRefused,
    parse_object_uri,
)
from transcribe_medical.local.media_decoding import UndecodableMedia, decode, detect_container
from transcribe_medical.local.phi import find_phi
from transcribe_medical.local.results import FinalWord, final_words, join_items
from transcribe_medical.local.speakers import SpeakerTracker
from transcribe_medical.local.transcriber import ChannelTranscriber
from transcribe_medical.local.vocabulary import Vocabulary, VocabularyFileError, read_vocabulary_file

if TYPE_CHECKING:
    from transcribe_medical.local.emulated_s3 import EmulatedS3
    from transcribe_medical.local.medical_jobs import JobHandle
    from transcribe_medical.local.medical_vocabularies import VocabularyHandle
    from transcribe_medical.local.recognizers.interface import Recognizer

__all__ = ["BatchWorker", "DecodedAudio", "JobFailed", "Utterance", "build_batch_output", "decode_media", "output_key"]

_log = get_logger("local.batch")

_CHUNK_S: Final = 0.5
REASON_UNSUPPORTED: Final = "Unsupported media format"
REASON_FORMAT_MISMATCH: Final = "The media format provided does not match the detected media format"
REASON_RATE_INVALID: Final = "Invalid sample rate for audio file"
REASON_RATE_MISMATCH: Final = "The sample rate provided does not match the detected sample rate"
REASON_FILE_SIZE: Final = "Invalid file size: file size too large"
REASON_CHANNELS: Final = "Invalid number of channels: number of channels too large"
REASON_MEDIA_MISSING: Final = (
    "The S3 URI that you provided can't be accessed. Make sure that you have read permission and that the "
    "object exists, then try your request again."
)


class JobFailed(Exception):
    """The job must end FAILED; ``str()`` is its ``FailureReason``."""


@dataclass(frozen=True)
class DecodedAudio:
    """Audio as the worker transcribes it: interleaved PCM16 little-endian."""

    media_format: str
    sample_rate: int
    channels: int
    pcm16: bytes


@dataclass(frozen=True)
class Utterance:
    """One final utterance of a job's transcript."""

    channel: int
    speaker: int | None
    words: tuple[FinalWord, ...]

    @property
    def start(self) -> float:
        """Start of the first word, seconds."""
        return self.words[0].start

    @property
    def end(self) -> float:
        """End of the last word, seconds."""
        return self.words[-1].end


def parse_media_uri(uri: str) -> tuple[str, str]:
    """``(bucket, key)`` of an ``s3://`` URI or an ``https://`` S3 URL (path or virtual-host style).

    Raises:
        JobFailed: The URI names no S3 object.
    """
    try:
        return parse_object_uri(uri)
    except ObjectNotFound:
        raise JobFailed(REASON_MEDIA_MISSING) from None


def output_key(job_name: str, key: str | None) -> str:
    """Where the transcript goes in the output bucket (reference §1.10)."""
    if not key:
        return f"medical/{job_name}.json"
    if key.endswith(".json"):
        return key
    if key.endswith("/"):
        return f"{key}{job_name}.json"
    return f"{key}/{job_name}.json"


def decode_media(data: bytes, *, declared_format: str | None = None, declared_rate: int | None = None) -> DecodedAudio:
    """Decode a media file the way the emulator's worker does.

    Raises:
        JobFailed: With the ``FailureReason`` the service would give.
    """
    detected = detect_container(data)
    if (
        declared_format
        and detected
        and declared_format != detected
        and not ({declared_format, detected} <= {"mp4", "m4a"})
    ):
        raise JobFailed(REASON_FORMAT_MISMATCH)
    # An M4A is an MP4 container: named as the caller declared it.
    container = declared_format if detected == "mp4" and declared_format == "m4a" else detected
    try:
        decoded = decode(data, container)
    except UndecodableMedia as error:
        raise JobFailed(f"{REASON_UNSUPPORTED}: {error}") from None
    audio = DecodedAudio(decoded.container, decoded.sample_rate, decoded.channels, decoded.pcm16)
    if not _limits.SAMPLE_RATE_MIN <= audio.sample_rate <= _limits.SAMPLE_RATE_MAX:
        raise JobFailed(
            f"{REASON_RATE_INVALID}: {audio.sample_rate} Hz; medical jobs take "
            f"{_limits.SAMPLE_RATE_MIN}-{_limits.SAMPLE_RATE_MAX} Hz"
        )
    if declared_rate is not None and declared_rate != audio.sample_rate:
        raise JobFailed(f"{REASON_RATE_MISMATCH} ({declared_rate} vs {audio.sample_rate} Hz)")
    if audio.channels > _limits.STREAM_CHANNELS:
        raise JobFailed(REASON_CHANNELS)
    return audio


def _number(value: float, places: int) -> str:
    text = f"{value:.{places}f}".rstrip("0").rstrip(".")
    return text or "0"


def build_batch_output(
    job_name: str,
    account_id: str,
    utterances: Sequence[Utterance],
    *,
    speaker_labels: bool = False,
    channel_identification: bool = False,
    channels: int = 1,
    alternatives: bool = False,
    identify_phi: bool = False,
) -> dict[str, Any]:
    """Build a medical transcript file as AWS writes it (reference §2).

    Numbers are strings (times with up to 3 decimals, confidences up to 4); punctuation items have
    no times and confidence ``"0.0"``; ``speaker_labels``, ``channel_labels``, ``segments``
    (alternatives) and camelCase PHI ``entities`` appear when asked for.
    """
    ordered = sorted(utterances, key=lambda u: (u.start, u.channel))
    items: list[dict[str, Any]] = []
    text_parts: list[tuple[str, bool]] = []
    per_channel: dict[int, list[dict[str, Any]]] = {index: [] for index in range(channels)}

    def item_dicts(utterance: Utterance) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = []
        label = {"channel_label": f"ch_{utterance.channel}"} if channel_identification else {}
        for word in utterance.words:
            result.append(
                {
                    "start_time": _number(word.start, 3),
                    "end_time": _number(word.end, 3),
                    **label,
                    "alternatives": [{"confidence": _number(word.confidence, 4), "content": word.content}],
                    "type": "pronunciation",
                }
            )
            if word.punctuation:
                result.append(
                    {
                        **label,
                        "alternatives": [{"confidence": "0.0", "content": word.punctuation}],
                        "type": "punctuation",
                    }
                )
        return result

    for utterance in ordered:
        these = item_dicts(utterance)
        items.extend(these)
        per_channel.setdefault(utterance.channel, []).extend(these)
        for word in utterance.words:
            text_parts.append((word.content, False))
            if word.punctuation:
                text_parts.append((word.punctuation, True))

    results: dict[str, Any] = {"transcripts": [{"transcript": join_items(text_parts)}]}
    if speaker_labels:
        segments = []
        for utterance in ordered:
            label = f"spk_{utterance.speaker or 0}"
            segments.append(
                {
                    "start_time": _number(utterance.start, 3),
                    "speaker_label": label,
                    "end_time": _number(utterance.end, 3),
                    "items": [
                        {"start_time": _number(w.start, 3), "speaker_label": label, "end_time": _number(w.end, 3)}
                        for w in utterance.words
                    ],
                }
            )
        speakers = len({u.speaker or 0 for u in ordered}) or 1
        results["speaker_labels"] = {"speakers": speakers, "segments": segments}
    if channel_identification:
        results["channel_labels"] = {
            "channels": [
                {"channel_label": f"ch_{index}", "items": per_channel[index]} for index in sorted(per_channel)
            ],
            "number_of_channels": channels,
        }
    if alternatives:
        alternative_segments = []
        for utterance in ordered:
            alt_items: list[dict[str, Any]] = []
            parts: list[tuple[str, bool]] = []
            for word in utterance.words:
                alt_items.append(
                    {
                        "start_time": _number(word.start, 3),
                        "confidence": _number(word.confidence, 4),
                        "end_time": _number(word.end, 3),
                        "type": "pronunciation",
                        "content": word.content,
                    }
                )
                parts.append((word.content, False))
                if word.punctuation:
                    alt_items.append({"confidence": "0.0", "type": "punctuation", "content": word.punctuation})
                    parts.append((word.punctuation, True))
            alternative_segments.append(
                {
                    "start_time": _number(utterance.start, 3),
                    "end_time": _number(utterance.end, 3),
                    "alternatives": [{"transcript": join_items(parts), "items": alt_items}],
                }
            )
        results["segments"] = alternative_segments
    results["items"] = items
    if identify_phi:
        entities = []
        for utterance in ordered:
            words = utterance.words
            for span in find_phi([w.content for w in words]):
                chosen = words[span.start : span.end]
                entities.append(
                    {
                        "startTime": chosen[0].start,
                        "endTime": chosen[-1].end,
                        "category": "PHI",
                        "content": " ".join(w.content for w in chosen),
                        "confidence": min(w.confidence for w in chosen),
                    }
                )
        results["entities"] = entities
    return {"jobName": job_name, "accountId": account_id, "results": results, "status": "COMPLETED"}


def transcribe_audio(
    audio: DecodedAudio,
    recognizer: Recognizer,
    *,
    channel_identification: bool,
    speaker_labels: bool,
    max_speakers: int,
    vocabulary: Vocabulary | None = None,
) -> list[Utterance]:
    """Recognize decoded audio into final utterances (one channel at a time).

    With a ``vocabulary``, phrases are joined and displayed as it says (see
    :mod:`transcribe_medical.local.vocabulary`).
    """
    from transcribe_medical.local.recognizers.pcm import mix_to_mono, split_channels

    if channel_identification and audio.channels > 1:
        tracks = split_channels(audio.pcm16, audio.channels)
    else:
        tracks = [mix_to_mono(audio.pcm16, audio.channels) if audio.channels > 1 else audio.pcm16]
    chunk = int(audio.sample_rate * _CHUNK_S) * 2
    utterances: list[Utterance] = []
    for channel, track in enumerate(tracks):
        tracker = SpeakerTracker(max_speakers) if speaker_labels else None
        transcriber = ChannelTranscriber(
            recognizer.new_session(audio.sample_rate),
            audio.sample_rate,
            speakers=tracker,
            partials=False,
            vocabulary=vocabulary,
        )
        try:
            updates = []
            for start in range(0, len(track), chunk):
                updates.extend(transcriber.accept(track[start : start + chunk]))
            updates.extend(transcriber.finish())
        finally:
            transcriber.close()
        for update in updates:
            if update.words:
                utterances.append(Utterance(channel, update.speaker, tuple(final_words(update.words))))
    return utterances


REASON_VOCABULARY_MISSING: Final = (
    "The vocabulary file can't be accessed. Make sure that the S3 object exists and that you have read "
    "permission, then update the vocabulary."
)

VocabularyLookup = Callable[[str, str], Vocabulary | None]


class BatchWorker:
    """Runs emulated medical jobs and vocabularies in background threads (see the module notes).

    Example:
        >>> worker = BatchWorker(lambda: ScriptedRecognizer("no acute distress"), s3, lookup)  # doctest: +SKIP
        >>> worker.start()  # doctest: +SKIP
    """

    def __init__(
        self,
        recognizer: Callable[[], Recognizer],
        s3: EmulatedS3,
        vocabularies: VocabularyLookup,
        *,
        max_workers: int = 2,
    ) -> None:
        """Create a worker.

        Args:
            recognizer: Returns the recognizer to use (called per job, so it can be made lazily).
            s3: The emulated S3 (media in, transcripts out, vocabulary files in).
            vocabularies: ``(region, name)`` → the READY vocabulary's phrases, or ``None``.
            max_workers: Jobs transcribed at once.
        """
        self._recognizer = recognizer
        self._s3 = s3
        self._vocabularies = vocabularies
        self._max_workers = max_workers
        self._pool: concurrent.futures.ThreadPoolExecutor | None = None
        self._futures: set[concurrent.futures.Future[None]] = set()
        self._lock = threading.Lock()
        self.jobs_run = 0

    def start(self) -> None:
        """Start accepting work."""
        if self._pool is None:
            self._pool = concurrent.futures.ThreadPoolExecutor(self._max_workers, thread_name_prefix="emulator-batch")

    def stop(self) -> None:
        """Stop accepting work; work in progress finishes first."""
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    def drain(self, timeout: float | None = None) -> None:
        """Wait until every job and vocabulary received so far has finished (for tests)."""
        with self._lock:
            pending = list(self._futures)
        concurrent.futures.wait(pending, timeout=timeout)

    def _submit(self, work: Callable[[], None]) -> bool:
        pool = self._pool
        if pool is None:
            return False
        future = pool.submit(work)
        with self._lock:
            self._futures.add(future)
        future.add_done_callback(self._forget)
        return True

    def _forget(self, future: concurrent.futures.Future[None]) -> None:
        with self._lock:
            self._futures.discard(future)

    def submit_job(self, handle: JobHandle) -> None:
        """Run a job in the background (the Transcribe layer's ``on_job``)."""
        if not self._submit(lambda: self.run_job(handle)):
            handle.fail("Internal failure: the emulator's batch worker is stopped.")

    def submit_vocabulary(self, handle: VocabularyHandle) -> None:
        """Process a vocabulary in the background (the Transcribe layer's ``on_vocabulary``)."""
        if not self._submit(lambda: self.run_vocabulary(handle)):
            handle.fail("Internal failure: the emulator's batch worker is stopped.")

    def run_vocabulary(self, handle: VocabularyHandle) -> None:
        """Read and parse a vocabulary's file; it becomes READY or FAILED (runs in a worker thread)."""
        try:
            data = self._s3.read_uri(handle.file_uri, limit=_limits.VOCABULARY_MAX_BYTES)
            handle.ready(read_vocabulary_file(data))
        except ObjectTooLarge:
            handle.fail(f"The vocabulary file is larger than {_limits.VOCABULARY_MAX_BYTES} bytes (50 KB).")
        except ObjectNotFound:
            handle.fail(REASON_VOCABULARY_MISSING)
        except VocabularyFileError as refused:
            handle.fail(str(refused))
        except Exception:
            _log.exception("the emulator failed to process a vocabulary")
            handle.fail("Internal failure: the emulator could not process the vocabulary.")

    def run_job(self, handle: JobHandle) -> None:
        """Transcribe one job and complete or fail it (runs in a worker thread)."""
        request = handle.request
        handle.mark_in_progress()
        try:
            bucket, key = parse_media_uri(request.media_uri)
            try:
                data = self._s3.read(bucket, key)
            except ObjectTooLarge:
                raise JobFailed(
                    f"{REASON_FILE_SIZE}: the local emulator reads media files up to {MAX_READ_BYTES // 2**20} MiB"
                ) from None
            except ObjectNotFound:
                raise JobFailed(REASON_MEDIA_MISSING) from None
            audio = decode_media(data, declared_format=request.media_format, declared_rate=request.sample_rate)
            handle.set_detected_media(audio.media_format, audio.sample_rate)
            settings = request.settings
            channel_identification = bool(settings.get("ChannelIdentification")) and audio.channels > 1
            speaker_labels = bool(settings.get("ShowSpeakerLabels"))
            max_speakers = 1 if request.type == "DICTATION" else int(settings.get("MaxSpeakerLabels") or 2)
            vocabulary_name = settings.get("VocabularyName")
            utterances = transcribe_audio(
                audio,
                self._recognizer(),
                channel_identification=channel_identification,
                speaker_labels=speaker_labels,
                max_speakers=max_speakers,
                vocabulary=self._vocabularies(request.region, vocabulary_name) if vocabulary_name else None,
            )
            output = build_batch_output(
                request.job_name,
                request.account_id,
                utterances,
                speaker_labels=speaker_labels,
                channel_identification=channel_identification,
                channels=audio.channels if channel_identification else 1,
                alternatives=bool(settings.get("ShowAlternatives")),
                identify_phi=request.content_identification_type == "PHI",
            )
            target = output_key(request.job_name, request.output_key)
            try:
                uri = self._s3.write(
                    request.output_bucket,
                    target,
                    json.dumps(output, indent=2).encode(),
                    kms_key_id=request.kms_key_id,
                )
            except WriteRefused:
                raise JobFailed(
                    f"The output bucket {request.output_bucket} can't be accessed. Make sure that it exists and "
                    "that you have write permission, then try your request again."
                ) from None
            handle.complete(uri)
            with self._lock:
                self.jobs_run += 1
        except JobFailed as failed:
            _log.info("emulated job failed: %s", failed)
            handle.fail(str(failed))
        except Exception:
            _log.exception("the emulator failed a batch job")
            handle.fail("Internal failure: the emulator could not transcribe the media.")
