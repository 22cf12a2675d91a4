"""A deterministic recognizer that "recognizes" a given text: cheap, for tests and benchmarks."""

from __future__ import annotations

import math
import random
import re
from collections.abc import Sequence

from transcribe_medical.local.recognizers.interface import RecognizedWord

__all__ = ["ScriptedRecognizer", "ScriptedSession"]

_PUNCTUATION = re.compile(r"^[^\w']+|[^\w']+$")
# Seeded confidences are drawn from this range, so some words fall under typical review thresholds.
_CONFIDENCE_LOW = 0.35
_CONFIDENCE_HIGH = 1.0


def script_words(text: str) -> list[str]:
    """Split a reference text into words, stripping the punctuation around each."""
    words = (_PUNCTUATION.sub("", token) for token in text.split())
    return [word for word in words if word]


class ScriptedRecognizer:
    """Recognizes every stream as the same reference text, with deterministic timings.

    Each session spreads the script's words over the audio it received, where the time of the
    audio is ``bytes / (sample_rate * 2)``:

    * :meth:`~ScriptedSession.partial` reveals the words at ``words_per_second``, each spanning 80 %
      of its ``1 / words_per_second`` slot from the start of the utterance;
    * :meth:`~ScriptedSession.finish_utterance` returns every word not yet finalized, spread evenly
      over the utterance's audio (word *i* of *n* spans ``[t0 + i*d/n, t0 + (i+0.8)*d/n]``). After
      that the script is exhausted and later utterances are empty.

    Confidences come from ``confidences`` (cycled) if given, else from ``random.Random(seed)``
    uniformly in 0.35-1.0, rounded to 4 decimals: the same for every session.

    Example:
        >>> session = ScriptedRecognizer("chest pain. no fever").new_session(16000)
        >>> session.accept_audio(bytes(64000))          # 2 s of audio
        >>> [(w.text, w.start, w.end) for w in session.finish_utterance()]
        [('chest', 0.0, 0.4), ('pain', 0.5, 0.9), ('no', 1.0, 1.4), ('fever', 1.5, 1.9)]
    """

    def __init__(
        self,
        text: str,
        *,
        confidences: Sequence[float] | None = None,
        seed: int = 0,
        words_per_second: float = 2.5,
    ) -> None:
        """Create a recognizer of ``text``.

        Args:
            text: The reference text; punctuation around words is dropped.
            confidences: Per-word confidences (0-1), cycled over the words.
            seed: Seed of the confidence pattern when ``confidences`` is not given.
            words_per_second: Pace at which partial results reveal words.
        """
        if words_per_second <= 0:
            raise ValueError(f"words_per_second must be > 0, got {words_per_second}")
        if confidences is not None and (not confidences or any(not 0.0 <= v <= 1.0 for v in confidences)):
            raise ValueError("confidences must be a non-empty list of values in 0.0-1.0")
        self.words = script_words(text)
        rng = random.Random(seed)
        if confidences:
            self.confidences = [confidences[index % len(confidences)] for index in range(len(self.words))]
        else:
            self.confidences = [round(rng.uniform(_CONFIDENCE_LOW, _CONFIDENCE_HIGH), 4) for _ in self.words]
        self.words_per_second = words_per_second

    def new_session(self, sample_rate: int) -> ScriptedSession:
        """Start a session for mono PCM16 at ``sample_rate`` Hz."""
        return ScriptedSession(self, sample_rate)


class ScriptedSession:
    """One stream's session of a :class:`ScriptedRecognizer`."""

    def __init__(self, recognizer: ScriptedRecognizer, sample_rate: int) -> None:
        """Create a session; use :meth:`ScriptedRecognizer.new_session`."""
        if sample_rate <= 0:
            raise ValueError(f"sample_rate must be > 0, got {sample_rate}")
        self._recognizer = recognizer
        self._bytes_per_second = sample_rate * 2
        self._received = 0
        self._utterance_start = 0.0
        self._next_word = 0
        self._closed = False

    @property
    def audio_seconds(self) -> float:
        """Seconds of audio received so far."""
        return self._received / self._bytes_per_second

    def accept_audio(self, pcm16_mono: bytes) -> None:
        """Count the audio (its content is ignored)."""
        self._check_open()
        self._received += len(pcm16_mono)

    def partial(self) -> list[RecognizedWord]:
        """The words revealed so far at the recognizer's pace, in the utterance in progress."""
        self._check_open()
        now = self.audio_seconds
        slot = 1.0 / self._recognizer.words_per_second
        remaining = len(self._recognizer.words) - self._next_word
        count = min(remaining, math.ceil((now - self._utterance_start) / slot - 1e-9))
        words = []
        for offset in range(count):
            start = self._utterance_start + offset * slot
            words.append(self._word(self._next_word + offset, start, min(start + 0.8 * slot, now)))
        return words

    def finish_utterance(self) -> list[RecognizedWord]:
        """All words not yet finalized, spread over this utterance's audio."""
        self._check_open()
        now = self.audio_seconds
        first = self._next_word
        count = len(self._recognizer.words) - first
        span = now - self._utterance_start
        words = []
        if count and span > 0:
            slot = span / count
            for offset in range(count):
                start = self._utterance_start + offset * slot
                words.append(self._word(first + offset, start, start + 0.8 * slot))
            self._next_word += count
        self._utterance_start = now
        return words

    def close(self) -> None:
        """End the session."""
        self._closed = True

    def _word(self, index: int, start: float, end: float) -> RecognizedWord:
        return RecognizedWord(
            text=self._recognizer.words[index],
            start=round(start, 3),
            end=round(end, 3),
            confidence=self._recognizer.confidences[index],
        )

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("this recognizer session is closed")
