"""What the emulator needs from a speech recognizer: sessions that turn PCM16 into timed words."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, cast

__all__ = ["RecognizedWord", "Recognizer", "RecognizerSession", "resolve_recognizer"]


@dataclass(frozen=True)
class RecognizedWord:
    """One recognized word.

    Attributes:
        text: The word as the recognizer spells it (no surrounding punctuation).
        start: Start time in seconds from the beginning of the session's audio.
        end: End time in seconds from the beginning of the session's audio.
        confidence: 0.0-1.0.
    """

    text: str
    start: float
    end: float
    confidence: float


class RecognizerSession(Protocol):
    """The recognition of one audio stream (one channel of it), fed as it arrives.

    A session is used by one thread at a time.
    """

    def accept_audio(self, pcm16_mono: bytes) -> None:
        """Feed the next piece of audio: signed 16-bit little-endian mono samples."""

    def partial(self) -> list[RecognizedWord]:
        """The words recognized so far in the utterance in progress (may still change)."""
        ...

    def finish_utterance(self) -> list[RecognizedWord]:
        """End the utterance in progress: return its final words and start a new one."""
        ...

    def close(self) -> None:
        """Release the session's resources; it cannot be used afterwards."""


class Recognizer(Protocol):
    """A factory of recognition sessions; one recognizer serves many concurrent streams."""

    def new_session(self, sample_rate: int) -> RecognizerSession:
        """Start recognizing a stream of mono PCM16 audio at ``sample_rate`` Hz."""
        ...


def resolve_recognizer(source: Recognizer | Callable[[], Recognizer] | None) -> Recognizer:
    """The recognizer a source stands for: itself, what a factory makes, or pocketsphinx.

    pocketsphinx is imported only here, on first use, so the emulator loads without it.
    """
    if source is None:
        from transcribe_medical.local.recognizers.sphinx import PocketSphinxRecognizer

        return PocketSphinxRecognizer()
    if hasattr(source, "new_session"):
        return cast("Recognizer", source)
    return source()
