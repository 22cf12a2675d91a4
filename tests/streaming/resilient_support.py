"""Helpers of the resilient-streaming tests: audio that spells words, and a recognizer that reads it.

:class:`ToneRecognizer` is deterministic *per audio content*, like a real recognizer and unlike the
scripted one: a word is a run of one non-zero sample value, and an utterance ends at a pause of
``PAUSE_S`` of zeros. A session that is replayed the audio from the end of the last final result
therefore finds the same words at the same (shifted) times, which is what a reconnect relies on.
"""

from __future__ import annotations

import threading
from array import array
from collections.abc import Callable
from typing import Any

from transcribe_medical.local.recognizers.interface import RecognizedWord

RATE = 16_000
BYTES_PER_SECOND = RATE * 2
WORD_S = 0.3
GAP_S = 0.1
PAUSE_S = 0.5
_END_AFTER = int(0.4 * RATE)  # zeros that close an utterance
VOCABULARY = ["chest", "pain", "since", "monday", "no", "fever", "blood", "pressure", "normal", "follow", "up", "soon"]


def spoken(words: int, *, per_utterance: int = 3) -> bytes:
    """PCM16 mono audio of ``words`` words, ``per_utterance`` to an utterance, pauses between."""
    samples = array("h")
    for index in range(words):
        samples.extend([100 + index % len(VOCABULARY)] * int(WORD_S * RATE))
        pause = PAUSE_S if (index + 1) % per_utterance == 0 else GAP_S
        samples.extend([0] * int(pause * RATE))
    return samples.tobytes()


class ToneSession:
    """Recognizes :func:`spoken` audio; records every byte it was given."""

    def __init__(self, recognizer: ToneRecognizer) -> None:
        self._recognizer = recognizer
        self.received = bytearray()
        self._position = 0  # samples seen
        self._run_value = 0
        self._run_start = 0
        self._zeros = 0
        self._words: list[RecognizedWord] = []
        self._completed: list[list[RecognizedWord]] = []
        self.zeros_since_word = 0

    def accept_audio(self, pcm16_mono: bytes) -> None:
        self.received += pcm16_mono
        samples = array("h")
        samples.frombytes(pcm16_mono[: len(pcm16_mono) - len(pcm16_mono) % 2])
        for value in samples:
            if value != self._run_value:
                self._close_run()
                self._run_value = value
                self._run_start = self._position
            self._position += 1
            if value == 0:
                self._zeros += 1
                self.zeros_since_word += 1
                if self._zeros == _END_AFTER and self._words:
                    self._completed.append(self._words)
                    self._words = []
            else:
                self._zeros = 0
                self.zeros_since_word = 0
        self._recognizer.audio_received(self)

    def _close_run(self) -> None:
        if self._run_value > 0:
            text = VOCABULARY[(self._run_value - 100) % len(VOCABULARY)]
            self._words.append(RecognizedWord(text, self._run_start / RATE, self._position / RATE, 0.9))

    def completed_utterances(self) -> list[list[RecognizedWord]]:
        done, self._completed = self._completed, []
        return done

    def partial(self) -> list[RecognizedWord]:
        return list(self._words)

    def finish_utterance(self) -> list[RecognizedWord]:
        self._close_run()
        self._run_value = 0
        words, self._words = self._words, []
        return words

    def close(self) -> None:
        self._recognizer.session_closed()


class ToneRecognizer:
    """A recognizer of :func:`spoken` audio, with a hook called as audio arrives."""

    def __init__(self) -> None:
        self.sessions: list[ToneSession] = []
        self.lock = threading.Lock()
        self.on_audio: Callable[[ToneSession], Any] | None = None
        self.a_session_closed = threading.Event()

    def new_session(self, sample_rate: int) -> ToneSession:
        assert sample_rate == RATE
        session = ToneSession(self)
        with self.lock:
            self.sessions.append(session)
        return session

    def session_closed(self) -> None:
        self.a_session_closed.set()

    def audio_received(self, session: ToneSession) -> None:
        if self.on_audio is not None:
            self.on_audio(session)


def words_of(transcript: Any) -> list[tuple[str, float, float]]:
    """``(word, start, end)`` of every pronunciation item, in order, times to the millisecond."""
    return [
        (item.content.lower(), round(item.start, 3), round(item.end, 3))
        for segment in transcript.segments
        for item in segment.items
        if item.type == "pronunciation"
    ]


def segments_of(transcript: Any) -> list[tuple[str, float, float]]:
    """``(text, start, end)`` of every segment, times to the millisecond."""
    return [(segment.text, round(segment.start, 3), round(segment.end, 3)) for segment in transcript.segments]
