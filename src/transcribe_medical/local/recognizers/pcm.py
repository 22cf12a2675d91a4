"""PCM16 helpers for recognition: split or mix channels, resample. Pure Python (no ``audioop``).

Samples are signed 16-bit little-endian, interleaved when there are several channels, as in
AudioEvents.
"""

from __future__ import annotations

import sys
from array import array

__all__ = ["LinearResampler", "mix_to_mono", "resample", "split_channels"]

_BIG_ENDIAN = sys.byteorder == "big"


def _samples(pcm16: bytes, channels: int = 1) -> array[int]:
    """The samples of whole frames of ``pcm16`` (a trailing partial frame is dropped)."""
    if channels < 1:
        raise ValueError(f"channels must be >= 1, got {channels}")
    frame = 2 * channels
    samples = array("h")
    samples.frombytes(memoryview(pcm16)[: len(pcm16) - len(pcm16) % frame])
    if _BIG_ENDIAN:
        samples.byteswap()
    return samples


def _to_bytes(samples: array[int]) -> bytes:
    if _BIG_ENDIAN:
        samples = array("h", samples)
        samples.byteswap()
    return samples.tobytes()


def split_channels(pcm16: bytes, channels: int) -> list[bytes]:
    """Split interleaved PCM16 into one mono buffer per channel.

    Args:
        pcm16: Interleaved samples; a trailing partial frame is ignored.
        channels: Number of interleaved channels.

    Returns:
        ``channels`` buffers, channel 0 first.

    Example:
        >>> split_channels(b"\\x01\\x00\\x02\\x00\\x03\\x00\\x04\\x00", 2)
        [b'\\x01\\x00\\x03\\x00', b'\\x02\\x00\\x04\\x00']
    """
    samples = _samples(pcm16, channels)
    if channels == 1:
        return [_to_bytes(samples)]
    return [_to_bytes(samples[index::channels]) for index in range(channels)]


def mix_to_mono(pcm16: bytes, channels: int) -> bytes:
    """Average interleaved PCM16 channels into one mono buffer.

    Args:
        pcm16: Interleaved samples; a trailing partial frame is ignored.
        channels: Number of interleaved channels.

    Example:
        >>> mix_to_mono(b"\\x02\\x00\\x04\\x00", 2)
        b'\\x03\\x00'
    """
    samples = _samples(pcm16, channels)
    if channels == 1:
        return _to_bytes(samples)
    columns = [samples[index::channels] for index in range(channels)]
    # Floor division keeps the mean inside the int16 range.
    mixed = array("h", [sum(frame) // channels for frame in zip(*columns, strict=True)])
    return _to_bytes(mixed)


class LinearResampler:
    """Streaming linear-interpolation resampler for mono PCM16.

    Chunks can be cut anywhere (on sample boundaries): the output of several :meth:`process`
    calls is the same as for their concatenation. When downsampling, each input sample is first
    averaged with its neighbours over the output sample's span (a box filter), which keeps most
    aliasing out of the speech band; that is enough for recognition, not for listening.
    """

    def __init__(self, from_rate: int, to_rate: int) -> None:
        """Resample from ``from_rate`` Hz to ``to_rate`` Hz."""
        if from_rate <= 0 or to_rate <= 0:
            raise ValueError(f"sample rates must be positive, got {from_rate} and {to_rate}")
        self.from_rate = from_rate
        self.to_rate = to_rate
        self._step = from_rate / to_rate  # input samples per output sample
        self._taps = max(1, int(self._step))  # box filter width when downsampling
        self._history = array("h")  # the last input samples, for the filter and interpolation
        self._consumed = 0  # input samples seen before the current chunk
        self._produced = 0  # output samples produced so far

    def process(self, pcm16: bytes) -> bytes:
        """Resample the next chunk; returns the output samples it completes."""
        if self.from_rate == self.to_rate:
            return pcm16
        chunk = _samples(pcm16)
        if not chunk:
            return b""
        buffer = self._history + chunk
        base = self._consumed - len(self._history)  # input index of buffer[0]
        filtered = self._box_filter(buffer) if self._taps > 1 else buffer
        last = self._consumed + len(chunk) - 1
        out = array("h")
        produced = self._produced
        step = self._step
        while True:
            position = produced * step
            index = int(position)
            if index + 1 > last:
                break
            left = filtered[index - base]
            right = filtered[index + 1 - base]
            out.append(round(left + (right - left) * (position - index)))
            produced += 1
        self._produced = produced
        self._consumed += len(chunk)
        keep = self._taps + 1
        self._history = buffer[-keep:]
        return _to_bytes(out)

    def _box_filter(self, buffer: array[int]) -> array[int]:
        # A causal moving average over `taps` samples, computed over the kept history too, so
        # chunk boundaries do not change the result.
        taps = self._taps
        total = 0
        filtered = array("h")
        for index, sample in enumerate(buffer):
            total += sample
            if index >= taps:
                total -= buffer[index - taps]
            filtered.append(total // min(index + 1, taps))
        return filtered


def resample(pcm16: bytes, from_rate: int, to_rate: int) -> bytes:
    """Resample a whole mono PCM16 buffer (see :class:`LinearResampler`)."""
    return LinearResampler(from_rate, to_rate).process(pcm16)
