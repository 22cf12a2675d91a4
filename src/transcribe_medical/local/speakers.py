"""The emulator's speaker labels: one voice feature per utterance and nearest-mean clustering.

Amazon Transcribe Medical diarizes with a trained model. The emulator uses this simple method,
and nothing else:

* **Unit**: an utterance (one final result: the words between two pauses). All words of an
  utterance get the same speaker; speaker changes inside an utterance are not detected.
* **Feature**: the audio is cut into 20 ms frames; frames whose peak is at least a quarter of the
  utterance's loudest peak count as voiced; the feature is the median zero-crossing rate
  (crossings per second) of the voiced frames. Higher voices and brighter timbres cross zero
  more often.
* **Clustering**: the first utterance is speaker 0. Each later one joins the speaker whose mean
  feature is nearest, if it is within 20 % of that mean (the mean is then updated); otherwise
  it starts a new speaker, up to ``max_speakers`` (2 by default, ``MaxSpeakerLabels`` in batch),
  after which it joins the nearest one anyway.
* **Dictation**: a ``DICTATION`` stream or job has one speaker by definition, so every utterance
  is speaker 0 (use :class:`SpeakerTracker` with ``max_speakers=1``).

Labels are numbers: streaming items carry ``"Speaker": "0"``, batch files ``"spk_0"``.
"""

from __future__ import annotations

import statistics
import sys
from array import array
from typing import Final

__all__ = ["SpeakerTracker", "voice_feature"]

_FRAME_S: Final = 0.02
_VOICED_FRACTION: Final = 0.25
_SAME_SPEAKER_TOLERANCE: Final = 0.20
# Maps the high byte of a little-endian int16 to 1 when the sample is negative.
_SIGN_TABLE: Final = bytes(1 if value >= 0x80 else 0 for value in range(256))


def voice_feature(pcm16_mono: bytes, sample_rate: int) -> float | None:
    """The median zero-crossing rate (per second) of the voiced frames of ``pcm16_mono``.

    Returns:
        The feature, or ``None`` when the audio has no voiced frame (silence, or too short).
    """
    frame_samples = max(2, int(sample_rate * _FRAME_S))
    usable = len(pcm16_mono) - len(pcm16_mono) % 2
    samples = array("h", pcm16_mono[:usable])
    if sys.byteorder == "big":
        samples.byteswap()
    signs = pcm16_mono[1:usable:2].translate(_SIGN_TABLE)
    frames: list[tuple[int, float]] = []
    for start in range(0, len(samples) - frame_samples + 1, frame_samples):
        frame = samples[start : start + frame_samples]
        peak = max(max(frame), -min(frame))
        sign = signs[start : start + frame_samples]
        # Differing neighbours are the 1 bits of (signs XOR signs shifted by one sample).
        crossings = (int.from_bytes(sign[:-1], "big") ^ int.from_bytes(sign[1:], "big")).bit_count()
        frames.append((peak, crossings * sample_rate / (frame_samples - 1)))
    if not frames:
        return None
    loudest = max(peak for peak, _ in frames)
    if loudest == 0:
        return None
    voiced = [rate for peak, rate in frames if peak >= loudest * _VOICED_FRACTION]
    return float(statistics.median(voiced))


class SpeakerTracker:
    """Assigns speaker numbers to utterances of one stream or job (see the module notes).

    Example:
        >>> tracker = SpeakerTracker(max_speakers=2)
        >>> tracker.assign(None)
        0
    """

    def __init__(self, max_speakers: int = 2) -> None:
        """Track up to ``max_speakers`` speakers (1 makes everything speaker 0)."""
        if max_speakers < 1:
            raise ValueError(f"max_speakers must be >= 1, got {max_speakers}")
        self.max_speakers = max_speakers
        self._means: list[float] = []
        self._counts: list[int] = []
        self._last = 0

    @property
    def speakers(self) -> int:
        """How many speakers have been seen (at least 1 once anything was assigned)."""
        return max(1, len(self._means))

    def _nearest(self, feature: float) -> tuple[int, float]:
        distances = [abs(feature - mean) / mean if mean else float("inf") for mean in self._means]
        best = min(range(len(distances)), key=distances.__getitem__)
        return best, distances[best]

    def peek(self, feature: float | None) -> int:
        """The speaker :meth:`assign` would give, without learning from it (for partial results)."""
        if feature is None or not self._means:
            return self._last
        best, distance = self._nearest(feature)
        if distance <= _SAME_SPEAKER_TOLERANCE or len(self._means) >= self.max_speakers:
            return best
        return len(self._means)

    def assign(self, feature: float | None) -> int:
        """The speaker of an utterance with this :func:`voice_feature`; learns from it.

        An utterance without a feature (no voiced audio) keeps the previous speaker.
        """
        if self.max_speakers == 1:
            return 0
        if feature is None:
            return self._last
        if not self._means:
            self._means.append(feature)
            self._counts.append(1)
            self._last = 0
            return 0
        best, distance = self._nearest(feature)
        if distance > _SAME_SPEAKER_TOLERANCE and len(self._means) < self.max_speakers:
            self._means.append(feature)
            self._counts.append(1)
            self._last = len(self._means) - 1
            return self._last
        self._counts[best] += 1
        self._means[best] += (feature - self._means[best]) / self._counts[best]
        self._last = best
        return best
