"""The emulator's speaker labels: the voice pitch of each utterance and nearest-mean clustering.

Amazon Transcribe Medical diarizes with a trained model. The emulator uses this simple method,
and nothing else:

* **Unit**: an utterance (one final result: the words between two pauses). All words of an
  utterance get the same speaker; speaker changes inside an utterance are not detected.
* **Feature**: the voice's pitch. The audio (mixed to one channel, as it is recognized) is
  averaged down to 4 kHz and cut into 40 ms frames on a fixed grid from its first sample, so how
  the audio arrived (streaming chunks, batch blocks) does not change them. Each frame's
  fundamental frequency (60-1000 Hz) is estimated with YIN's cumulative-mean-normalised
  difference function. An utterance's feature is the median pitch of the frames inside its
  words' span that are voiced (a pitch was found) and loud (their peak is at least a quarter of
  the span's loudest peak). Two people's voices differ far more in pitch (flite's ``rms``,
  about 105 Hz, and ``slt``, about 175 Hz) than one person's utterances do (within 10 %).
* **Clustering**: the first utterance is speaker 0. Each later one joins the speaker whose mean
  feature is nearest, if it is within 20 % of that mean (the mean is then updated); otherwise
  it starts a new speaker, up to ``max_speakers`` (2 by default, ``MaxSpeakerLabels`` in batch),
  after which it joins the nearest one anyway. The same utterances in the same order get the
  same labels: streaming and batch agree whenever the recognizer closes the same utterances.
* **Dictation**: a ``DICTATION`` stream or job has one speaker by definition, so every utterance
  is speaker 0 (use :class:`SpeakerTracker` with ``max_speakers=1``).

Labels are numbers: streaming items carry ``"Speaker": "0"``, batch files ``"spk_0"``.
"""

from __future__ import annotations

import operator
import statistics
import sys
from array import array
from bisect import bisect_left
from collections import deque
from dataclasses import dataclass
from typing import Final

__all__ = ["SpeakerTracker", "VoiceTrack", "voice_feature"]

#: Audio is averaged down to about this rate (Hz) before analysis: plenty for a voice's pitch.
_ANALYSIS_RATE: Final = 4000
_FRAME_S: Final = 0.04
_MIN_PITCH_HZ: Final = 60.0
_MAX_PITCH_HZ: Final = 1000.0
#: YIN's threshold on the normalised difference: the first dip below it is the period.
_YIN_THRESHOLD: Final = 0.2
#: Frames quieter than this (int16 peak) are silence: not analysed at all.
_SILENCE_PEAK: Final = 64
_VOICED_FRACTION: Final = 0.25
_SAME_SPEAKER_TOLERANCE: Final = 0.20
_KEEP_S: Final = 60.0


@dataclass(frozen=True)
class _Frame:
    start: float  # seconds from the track's first sample
    peak: int
    pitch: float | None


def _pitch(window: list[int], rate: float, frame: int, min_lag: int, max_lag: int) -> float | None:
    """The fundamental frequency of ``window[:frame]`` by YIN, or ``None`` if it is not voiced.

    ``window`` holds ``frame + max_lag`` samples: the frame and the look-ahead its lags need.
    """
    head = window[:frame]
    head_energy = sum(map(operator.mul, head, head))
    if head_energy == 0:
        return None
    squares = list(map(operator.mul, window, window))
    # The energy of window[lag:lag+frame], slid along without re-summing.
    shifted_energy = head_energy
    running = 0.0
    previous = 1.0
    dipped = False
    for lag in range(1, max_lag + 1):
        shifted_energy += squares[lag + frame - 1] - squares[lag - 1]
        difference = head_energy + shifted_energy - 2 * sum(map(operator.mul, head, window[lag : lag + frame]))
        running += difference
        normalised = difference * lag / running if running > 0 else 1.0
        if dipped and normalised >= previous:
            return rate / (lag - 1)  # the bottom of the first dip
        if lag >= min_lag and normalised < _YIN_THRESHOLD:
            dipped = True
        previous = normalised
    return rate / max_lag if dipped else None


class VoiceTrack:
    """The per-frame pitch of one channel's audio, analysed as it arrives (see the module notes).

    Keeps about the last minute of frames. Not thread-safe: one thread feeds and reads it.

    Example:
        >>> track = VoiceTrack(16000)
        >>> track.feed(bytes(32000))
        >>> track.feature(0.0, 1.0) is None     # silence has no pitch
        True
    """

    def __init__(self, sample_rate: int, *, keep_seconds: float = _KEEP_S) -> None:
        """Analyse mono PCM16 audio at ``sample_rate``; keep frames for ``keep_seconds``."""
        self._step = max(1, round(sample_rate / _ANALYSIS_RATE))
        self._rate = sample_rate / self._step
        self._frame = max(2, round(self._rate * _FRAME_S))
        self._min_lag = max(2, int(self._rate / _MAX_PITCH_HZ))
        self._max_lag = max(self._min_lag + 1, int(self._rate / _MIN_PITCH_HZ))
        self._pending = b""  # bytes not yet a whole group of ``_step`` samples
        self._samples: list[int] = []  # decimated samples from ``_first`` on
        self._first = 0  # index (decimated) of ``_samples[0]``
        self._frames: deque[_Frame] = deque(maxlen=max(1, int(keep_seconds / _FRAME_S)))
        self._starts: deque[float] = deque(maxlen=self._frames.maxlen)

    def feed(self, pcm16_mono: bytes) -> None:
        """Add audio; analyse every frame whose window is now complete."""
        data = self._pending + pcm16_mono
        group = 2 * self._step
        whole = len(data) - len(data) % group
        self._pending = data[whole:]
        samples = array("h", data[:whole])
        if sys.byteorder == "big":
            samples.byteswap()
        if self._step == 1:
            self._samples.extend(samples)
        else:
            columns = [samples[offset :: self._step] for offset in range(self._step)]
            self._samples.extend(map(sum, zip(*columns, strict=True)))
        self._analyse()

    def _analyse(self) -> None:
        needed = self._frame + self._max_lag
        used = 0
        while len(self._samples) - used >= needed:
            window = self._samples[used : used + needed]
            head = window[: self._frame]
            peak = max(max(head), -min(head))
            # Samples are sums of ``_step`` int16 values: compare the peak on the int16 scale.
            peak //= self._step
            pitch = (
                _pitch(window, self._rate, self._frame, self._min_lag, self._max_lag) if peak >= _SILENCE_PEAK else None
            )
            start = (self._first + used) / self._rate
            self._frames.append(_Frame(start, peak, pitch))
            self._starts.append(start)
            used += self._frame
        del self._samples[:used]
        self._first += used

    def feature(self, start: float, end: float) -> float | None:
        """The median pitch of the loud voiced frames that lie inside ``[start, end]`` seconds.

        Returns:
            Hz, or ``None`` when no such frame exists (silence, too short, or forgotten).
        """
        first = bisect_left(self._starts, start)
        inside = [
            self._frames[index]
            for index in range(first, len(self._frames))
            if self._frames[index].start + _FRAME_S <= end + 1e-9
        ]
        if not inside:
            return None
        loudest = max(frame.peak for frame in inside)
        voiced = [f.pitch for f in inside if f.pitch is not None and f.peak >= loudest * _VOICED_FRACTION]
        return float(statistics.median(voiced)) if voiced else None


def voice_feature(pcm16_mono: bytes, sample_rate: int) -> float | None:
    """The speaker feature of a whole utterance: its median voiced pitch in Hz (see the module notes).

    Returns:
        The feature, or ``None`` when the audio has no voiced frame (silence, or too short).
    """
    track = VoiceTrack(sample_rate)
    track.feed(pcm16_mono)
    return track.feature(0.0, len(pcm16_mono) / 2 / sample_rate)


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
        if self.max_speakers == 1:
            return 0
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
