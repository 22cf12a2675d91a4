"""What to send again when a HealthScribe connection drops: the audio after the last final.

A dropped stream leaves its session PAUSED, keeping the final segments already sent; the
audio after the last final's end is not kept (the emulator documents this; AWS documents no
other rule). So the client keeps the PCM it sent since then, and after reconnecting with the
same session id (ConfigurationEvent first) sends it again: nothing is lost, and because the
service dropped it, nothing is heard twice. A clean pause keeps all the audio sent.

Sans-I/O: offsets are bytes of session audio; times become offsets through the byte rate.
Only PCM can be cut at a time (FLAC and Ogg-Opus are not resumable this way).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from typing import Final

__all__ = ["ReplayBuffer"]

#: Audio kept for replay at most (bytes): 10 minutes of 16 kHz stereo PCM. Past it, the oldest is
#: dropped and a resume would lose audio, so it is refused instead.
MAX_REPLAY_BYTES: Final = 10 * 60 * 16_000 * 2 * 2


class ReplayBuffer:
    """The session audio not yet covered by a final segment.

    The chunks are kept as they were sent (the caller's ``bytes``, not copied): appending to one
    growing ``bytearray`` copied the whole buffer every few chunks once a final had cut its front.

    Attributes:
        bytes_per_second: The PCM byte rate (``None``: not PCM; nothing can be replayed).
        sent: Session bytes sent so far (the offset of the next byte).
        kept: Session bytes the service has kept (covered by finals or a clean pause).
    """

    def __init__(self, bytes_per_second: int | None, frame_bytes: int, *, limit: int = MAX_REPLAY_BYTES) -> None:
        """Track audio at ``bytes_per_second``, cutting only at multiples of ``frame_bytes``."""
        self.bytes_per_second = bytes_per_second
        self._frame = frame_bytes
        self._limit = limit
        self._chunks: deque[bytes] = deque()
        self._held = 0  # bytes in _chunks
        self._start = 0  # the session offset of _chunks[0][0]
        self.sent = 0
        self.kept = 0
        self.overflowed = False

    def add(self, chunk: bytes) -> None:
        """Record audio just sent (``bytes`` are kept as they are; a mutable buffer is copied)."""
        self.sent += len(chunk)
        if self.bytes_per_second is None or not chunk:
            return
        if type(chunk) is not bytes:
            chunk = bytes(chunk)
        self._chunks.append(chunk)
        self._held += len(chunk)
        excess = self._held - self._limit
        if excess > 0:
            self._drop(excess)
            self.overflowed = True

    def _drop(self, count: int) -> None:
        """Forget the oldest ``count`` bytes held."""
        chunks = self._chunks
        while count > 0 and chunks:
            first = chunks[0]
            if len(first) <= count:
                chunks.popleft()
                taken = len(first)
            else:
                chunks[0] = first[count:]
                taken = count
            count -= taken
            self._held -= taken
            self._start += taken

    def final_until(self, seconds: float) -> None:
        """A final segment ends at ``seconds`` of session audio: what precedes it is kept."""
        if self.bytes_per_second is None:
            return
        offset = int(seconds * self.bytes_per_second) // self._frame * self._frame
        self._keep(min(offset, self.sent))

    def all_kept(self) -> None:
        """The connection ended cleanly (paused): all the audio sent is kept."""
        self._keep(self.sent)

    def _keep(self, offset: int) -> None:
        if offset <= self.kept:
            return
        self.kept = offset
        cut = offset - self._start
        if cut > 0:
            self._drop(cut)

    @property
    def resumable(self) -> bool:
        """Whether every byte after :attr:`kept` is still here to send again."""
        return self.bytes_per_second is not None and not (self.overflowed and self._start > self.kept)

    def replay(self, chunk_bytes: int) -> Iterator[bytes]:
        """The audio after :attr:`kept`, in chunks of at most ``chunk_bytes``."""
        skip = max(0, self.kept - self._start)
        pending = bytearray()
        for chunk in list(self._chunks):
            if skip >= len(chunk):
                skip -= len(chunk)
                continue
            pending += memoryview(chunk)[skip:]
            skip = 0
            while len(pending) >= chunk_bytes:
                yield bytes(pending[:chunk_bytes])
                del pending[:chunk_bytes]
        if pending:
            yield bytes(pending)
