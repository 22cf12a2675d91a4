"""One channel's recognition, shared by the streaming server and the batch worker.

:class:`ChannelTranscriber` feeds a :class:`~transcribe_medical.local.recognizers.RecognizerSession`
and turns what it reports into :class:`UtteranceUpdate`\\ s: a final update for each utterance the
recognizer closed at a pause (sessions that offer ``completed_utterances()``, like pocketsphinx's),
then at most one partial update for the utterance in progress when its words changed. Recognizers
without their own pause detection (the scripted one) produce one utterance that is finalised by
:meth:`ChannelTranscriber.finish` at the end of the audio.

With speaker labels on, it follows the voice's pitch frame by frame as the audio arrives (a
:class:`~transcribe_medical.local.speakers.VoiceTrack`, the last minute of it), so that each
utterance's speaker comes from the frames of its words (:mod:`transcribe_medical.local.speakers`).
It is not thread-safe: one thread drives it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from transcribe_medical.local.recognizers.interface import RecognizedWord, RecognizerSession
from transcribe_medical.local.speakers import SpeakerTracker, VoiceTrack
from transcribe_medical.local.vocabulary import Vocabulary

__all__ = ["ChannelTranscriber", "UtteranceUpdate"]


@dataclass(frozen=True)
class UtteranceUpdate:
    """A new or changed utterance.

    Attributes:
        result_id: Stable across the partial and final updates of one utterance.
        words: The words so far (partial) or all of them (final).
        is_partial: Whether the utterance may still change.
        speaker: The speaker number, when speaker labels are on.
    """

    result_id: str
    words: tuple[RecognizedWord, ...]
    is_partial: bool
    speaker: int | None = None


class ChannelTranscriber:
    """Recognize one channel of audio as it arrives."""

    def __init__(
        self,
        session: RecognizerSession,
        sample_rate: int,
        *,
        speakers: SpeakerTracker | None = None,
        partials: bool = True,
        vocabulary: Vocabulary | None = None,
    ) -> None:
        """Wrap a recognizer session.

        Args:
            session: A fresh session for this channel (closed by :meth:`close`).
            sample_rate: Sample rate of the mono PCM16 audio.
            speakers: Label utterances with this tracker (``None``: no speaker labels).
            partials: Report partial updates (batch jobs need only finals).
            vocabulary: A custom vocabulary applied to every update's words.
        """
        self._vocabulary = vocabulary
        self._session = session
        self._rate = sample_rate
        self._speakers = speakers
        self._partials = partials
        self._result_id = str(uuid.uuid4())
        self._last_partial: tuple[RecognizedWord, ...] = ()
        self._voice = VoiceTrack(sample_rate) if speakers is not None else None
        self._closed = False

    def accept(self, pcm16_mono: bytes) -> list[UtteranceUpdate]:
        """Feed audio; return finals for utterances closed at pauses, then a changed partial."""
        self._session.accept_audio(pcm16_mono)
        if self._voice is not None:
            self._voice.feed(pcm16_mono)
        updates: list[UtteranceUpdate] = []
        completed = getattr(self._session, "completed_utterances", None)
        if callable(completed):
            for words in completed():
                if words:
                    updates.append(self._final(tuple(words)))
        if self._partials:
            current = tuple(self._session.partial())
            if current and current != self._last_partial:
                self._last_partial = current
                shown = self._vocabulary.apply(current) if self._vocabulary else current
                updates.append(UtteranceUpdate(self._result_id, shown, True, self._peek_speaker(current)))
        return updates

    def finish(self) -> list[UtteranceUpdate]:
        """End of the audio: finalise the utterance in progress (nothing if it has no words)."""
        words = tuple(self._session.finish_utterance())
        return [self._final(words)] if words else []

    def close(self) -> None:
        """Release the recognizer session."""
        if not self._closed:
            self._closed = True
            self._session.close()

    def _final(self, words: tuple[RecognizedWord, ...]) -> UtteranceUpdate:
        speaker = None
        if self._speakers is not None:
            speaker = self._speakers.assign(self._feature(words))
        shown = self._vocabulary.apply(words) if self._vocabulary else words
        update = UtteranceUpdate(self._result_id, shown, False, speaker)
        self._result_id = str(uuid.uuid4())
        self._last_partial = ()
        return update

    def _peek_speaker(self, words: tuple[RecognizedWord, ...]) -> int | None:
        if self._speakers is None:
            return None
        return self._speakers.peek(self._feature(words))

    def _feature(self, words: tuple[RecognizedWord, ...]) -> float | None:
        if not words or self._voice is None:
            return None
        return self._voice.feature(words[0].start, max(w.end for w in words))
