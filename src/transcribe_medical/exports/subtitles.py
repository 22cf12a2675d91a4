"""SubRip (SRT) and WebVTT subtitles of a transcript.

Rules both formats follow:

* cue times are ``HH:MM:SS,mmm`` (SRT) or ``HH:MM:SS.mmm`` (VTT), in increasing order, and cues
  never overlap (a cue starts at or after the end of the previous one);
* a line holds at most :data:`MAX_LINE_LENGTH` visible characters (labels included in SRT, voice
  tags not counted in VTT) and a speaker has at most :data:`MAX_LINES_PER_SPEAKER` lines in a
  cue; longer segments are split into several cues, timed by their words;
* speech that overlaps in time from different speakers or channels becomes one cue with a block of
  lines per speaker/channel;
* labels: SRT prefixes a speaker's first line with ``spk_0:`` (or ``ch_0:``); VTT uses voice tags,
  ``<v spk_0>...</v>``, and escapes ``&``, ``<`` and ``>``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from transcribe_medical.models.transcript import Segment, Transcript

__all__ = ["MAX_LINES_PER_SPEAKER", "MAX_LINE_LENGTH", "format_timestamp", "to_srt", "to_vtt"]

#: Maximum visible characters on a subtitle line.
MAX_LINE_LENGTH = 42
#: Maximum lines of one speaker (or channel) in one cue.
MAX_LINES_PER_SPEAKER = 2

_Key = tuple[str | None, str | None]  # (channel, speaker)


def format_timestamp(seconds: float, *, decimal: str = ",") -> str:
    """Format seconds as ``HH:MM:SS,mmm`` (``decimal="."`` gives WebVTT's ``HH:MM:SS.mmm``).

    Args:
        seconds: A time >= 0 (negative times are shown as 0).
        decimal: The separator before the milliseconds.

    Returns:
        The timestamp; hours grow past two digits when needed.
    """
    return _format_ms(_to_ms(seconds), decimal)


def _to_ms(seconds: float) -> int:
    return max(0, round(seconds * 1000))


def _format_ms(ms: int, decimal: str) -> str:
    seconds, millis = divmod(ms, 1000)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}{decimal}{millis:03d}"


@dataclass
class _Word:
    text: str
    start: float
    end: float


@dataclass
class _Piece:
    """A part of one segment that fits in one speaker block of a cue."""

    start: int
    end: int
    key: _Key
    lines: list[str]


@dataclass
class _Cue:
    start: int
    end: int
    pieces: list[_Piece] = field(default_factory=list)


def _words(segment: Segment) -> list[_Word]:
    """The segment's words, timed by its items when they spell the same words, else interpolated."""
    texts = segment.text.split()
    if not texts:
        return []
    timed: list[tuple[str, float | None, float | None]] = []
    for item in segment.items:
        if item.type == "punctuation" and timed:
            text, start, end = timed[-1]
            timed[-1] = (text + item.content, start, end)
        else:
            timed.append((item.content, item.start, item.end))
    # Items are used only if they spell exactly the segment's words (one word each).
    aligned = [text for text, _, _ in timed] == texts
    total = sum(len(text) + 1 for text in texts)
    span = segment.duration
    words: list[_Word] = []
    offset = 0
    for index, text in enumerate(texts):
        start = segment.start + span * offset / total
        offset += len(text) + 1
        end = segment.start + span * offset / total
        if aligned:
            item_start, item_end = timed[index][1], timed[index][2]
            if item_start is not None and item_end is not None:
                start, end = item_start, item_end
        words.append(_Word(text, start, end))
    return words


def _break_long(words: list[_Word], width: int) -> list[_Word]:
    out: list[_Word] = []
    for word in words:
        if len(word.text) <= width:
            out.append(word)
            continue
        chunks = [word.text[i : i + width] for i in range(0, len(word.text), width)]
        step = (word.end - word.start) / len(chunks)
        out.extend(_Word(chunk, word.start + step * i, word.start + step * (i + 1)) for i, chunk in enumerate(chunks))
    return out


def _pieces(segment: Segment, *, prefix: str) -> list[_Piece]:
    """Wrap a segment into pieces of at most MAX_LINES_PER_SPEAKER lines."""
    key: _Key = (segment.channel, segment.speaker)
    first_width = MAX_LINE_LENGTH - len(prefix)
    words = _break_long(_words(segment), min(first_width, MAX_LINE_LENGTH))
    pieces: list[_Piece] = []
    lines: list[str] = []
    piece_words: list[_Word] = []

    def close() -> None:
        pieces.append(
            _Piece(_to_ms(piece_words[0].start), _to_ms(piece_words[-1].end), key, [prefix + lines[0], *lines[1:]])
        )

    for word in words:
        width = first_width if len(lines) <= 1 else MAX_LINE_LENGTH
        if lines and len(lines[-1]) + 1 + len(word.text) <= width:
            lines[-1] += " " + word.text
        elif len(lines) < MAX_LINES_PER_SPEAKER and lines:
            lines.append(word.text)
        else:
            if lines:
                close()
            lines, piece_words = [word.text], []
        piece_words.append(word)
    if lines:
        close()
    if pieces:
        # The segment's own times bound its first and last pieces.
        pieces[0].start = min(pieces[0].start, _to_ms(segment.start))
        pieces[-1].end = max(pieces[-1].end, _to_ms(segment.end))
    return pieces


def _label(segment: Segment) -> str | None:
    labels = [label for label in (segment.channel, segment.speaker) if label]
    return " ".join(labels) if labels else None


def _cues(transcript: Transcript, *, srt: bool) -> list[_Cue]:
    pieces: list[_Piece] = []
    for segment in transcript.segments:
        label = _label(segment)
        prefix = f"{label}: " if srt and label else ""
        pieces.extend(_pieces(segment, prefix=prefix))
    pieces.sort(key=lambda piece: piece.start)  # stable: a segment's pieces stay in order

    cues: list[_Cue] = []
    current: _Cue | None = None
    for piece in pieces:
        if current is not None and piece.start < current.end:
            if all(other.key != piece.key for other in current.pieces):
                current.pieces.append(piece)
                current.end = max(current.end, piece.end)
                continue
            # The same speaker again while the cue is still on screen: end the cue where they resume.
            current.end = max(current.start, piece.start)
        if current is not None:
            cues.append(current)
        current = _Cue(piece.start, piece.end, [piece])
    if current is not None:
        cues.append(current)

    # Make the timing valid whatever the input: monotonic, non-overlapping, non-empty cues.
    previous_end = 0
    for cue in cues:
        cue.start = max(cue.start, previous_end)
        cue.end = max(cue.end, cue.start + 1)
        previous_end = cue.end
    return cues


def to_srt(transcript: Transcript) -> str:
    """Render a transcript as SubRip subtitles.

    Args:
        transcript: The transcript.

    Returns:
        The SRT text: numbered cues from 1, ``HH:MM:SS,mmm --> HH:MM:SS,mmm`` timings, cues
        separated by a blank line (``""`` for an empty transcript).
    """
    blocks: list[str] = []
    for number, cue in enumerate(_cues(transcript, srt=True), start=1):
        lines = [line for piece in cue.pieces for line in piece.lines]
        timing = f"{_format_ms(cue.start, ',')} --> {_format_ms(cue.end, ',')}"
        blocks.append("\n".join([str(number), timing, *lines]) + "\n")
    return "\n".join(blocks)


def _escape_vtt(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_vtt(transcript: Transcript) -> str:
    """Render a transcript as WebVTT subtitles.

    Args:
        transcript: The transcript.

    Returns:
        The WebVTT text: the ``WEBVTT`` header, then cues with ``HH:MM:SS.mmm --> HH:MM:SS.mmm``
        timings; speakers/channels as voice tags ``<v spk_0>``.
    """
    blocks = ["WEBVTT\n"]
    for cue in _cues(transcript, srt=False):
        lines: list[str] = []
        for piece in cue.pieces:
            label = " ".join(part for part in piece.key if part)
            for line in piece.lines:
                escaped = _escape_vtt(line)
                lines.append(f"<v {label}>{escaped}</v>" if label else escaped)
        timing = f"{_format_ms(cue.start, '.')} --> {_format_ms(cue.end, '.')}"
        blocks.append("\n".join([timing, *lines]) + "\n")
    return "\n".join(blocks)
