"""Plain-text export of a :class:`~transcribe_medical.models.transcript.Transcript`.

Layout: one line per speaker turn (consecutive segments of the same speaker or channel), prefixed
by the label (``spk_0: ...``, or ``ch_0: ...`` with channel identification). With
``timestamps=True`` each segment gets its own line, prefixed by its start time
(``[00:01:02.345]``).

Review marker: with ``min_confidence`` set, every word whose confidence is below it is wrapped in
double square brackets, e.g. ``take [[metoprolol]] twice daily``. Punctuation is never marked, nor
words the service gave no confidence for. The marker is :data:`LOW_CONFIDENCE_MARKER`.
"""

from __future__ import annotations

from transcribe_medical._exceptions import ValidationError
from transcribe_medical.exports.subtitles import format_timestamp
from transcribe_medical.models.transcript import Item, Segment, Transcript

__all__ = ["LOW_CONFIDENCE_MARKER", "to_text"]

#: The opening and closing marks put around a word below the review threshold.
LOW_CONFIDENCE_MARKER = ("[[", "]]")


def _label(segment: Segment) -> str | None:
    labels = [label for label in (segment.channel, segment.speaker) if label]
    return " ".join(labels) if labels else None


def _is_low(item: Item, min_confidence: float | None) -> bool:
    return (
        min_confidence is not None
        and item.type == "pronunciation"
        and item.confidence is not None
        and item.confidence < min_confidence
    )


def _segment_text(segment: Segment, min_confidence: float | None) -> str:
    if min_confidence is None or not any(_is_low(item, min_confidence) for item in segment.items):
        return " ".join(segment.text.split())
    opening, closing = LOW_CONFIDENCE_MARKER
    parts: list[str] = []
    for item in segment.items:
        if parts and item.type == "pronunciation":
            parts.append(" ")
        content = " ".join(item.content.split())
        parts.append(f"{opening}{content}{closing}" if _is_low(item, min_confidence) else content)
    return "".join(parts)


def to_text(
    transcript: Transcript,
    *,
    timestamps: bool = False,
    speakers: bool = True,
    min_confidence: float | None = None,
) -> str:
    """Render a transcript as readable plain text.

    Args:
        transcript: The transcript.
        timestamps: Start each segment on its own line with its start time.
        speakers: Prefix lines with the speaker/channel label (when the transcript has labels).
        min_confidence: Mark words below this confidence (0..1) as ``[[word]]`` for review.

    Returns:
        The text, ending with a newline (``""`` for an empty transcript).

    Raises:
        ValidationError: ``min_confidence`` is not within 0..1.

    Example:
        >>> print(to_text(transcript, min_confidence=0.9))   # doctest: +SKIP
        spk_0: Good morning, Mr. [[Alvarez]].
    """
    if min_confidence is not None and not 0.0 <= min_confidence <= 1.0:
        raise ValidationError(
            f"min_confidence: {min_confidence!r} is invalid: must be between 0 and 1", field="min_confidence"
        )
    lines: list[str] = []
    current_label: str | None = None
    for segment in transcript.segments:
        text = _segment_text(segment, min_confidence)
        if not text:
            continue
        label = _label(segment) if speakers else None
        if timestamps:
            prefix = f"[{format_timestamp(segment.start, decimal='.')}] "
            lines.append(f"{prefix}{label}: {text}" if label else f"{prefix}{text}")
        elif lines and label == current_label:
            lines[-1] += f" {text}"
        else:
            lines.append(f"{label}: {text}" if label else text)
        current_label = label
    return "".join(f"{line}\n" for line in lines)
