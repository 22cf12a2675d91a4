"""Building the streaming ``TranscriptEvent`` results the emulator sends (reference §3.6).

A *partial* result repeats the utterance's words so far, without confidences, punctuation or
entities; the *final* result of the same ``ResultId`` adds confidences, capitalises the first
word, ends with a ``.`` punctuation item (``StartTime`` = ``EndTime`` = the last word's end), and
carries ``Entities`` when PHI identification is on (:mod:`transcribe_medical.local.phi`). Items
carry ``Speaker`` (``"0"``, ``"1"``, ...) with speaker labels, and the result carries ``ChannelId``
(``"ch_0"``/``"ch_1"``) with channel identification. Times are seconds from the stream start,
rounded to the millisecond.

The same punctuation and capitalisation rules give the batch output its text
(:mod:`transcribe_medical.local.batch_worker`), so streaming and batch agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from transcribe_medical.local.phi import find_phi
from transcribe_medical.local.recognizers.interface import RecognizedWord
from transcribe_medical.models.events import (
    Result,
    ResultAlternative,
    ResultEntity,
    ResultItem,
    TranscriptEvent,
)

__all__ = [
    "FinalWord",
    "build_result",
    "event_payload",
    "final_words",
    "join_items",
]


@dataclass(frozen=True)
class FinalWord:
    """A word of a final result, as presented: capitalised, with punctuation following it.

    Attributes:
        content: The word as shown (the first word of a result is capitalised).
        start: Start, seconds.
        end: End, seconds.
        confidence: 0..1.
        punctuation: Punctuation mark that follows the word (``"."`` after the last), or ``""``.
    """

    content: str
    start: float
    end: float
    confidence: float
    punctuation: str = ""


def final_words(words: Sequence[RecognizedWord]) -> list[FinalWord]:
    """Present the words of a finished utterance: first word capitalised, a full stop at the end."""
    presented: list[FinalWord] = []
    for index, word in enumerate(words):
        text = word.text
        if index == 0 and text:
            text = text[0].upper() + text[1:]
        presented.append(
            FinalWord(
                content=text,
                start=round(word.start, 3),
                end=round(max(word.end, word.start), 3),
                confidence=round(min(1.0, max(0.0, word.confidence)), 4),
                punctuation="." if index == len(words) - 1 else "",
            )
        )
    return presented


def join_items(contents: Sequence[tuple[str, bool]]) -> str:
    """Join ``(content, is_punctuation)`` pairs: a space before each word, none before punctuation."""
    text = ""
    for content, is_punctuation in contents:
        if is_punctuation or not text:
            text += content
        else:
            text += " " + content
    return text


def build_result(
    result_id: str,
    words: Sequence[RecognizedWord],
    *,
    is_partial: bool,
    channel_id: str | None = None,
    speaker: int | None = None,
    identify_phi: bool = False,
) -> Result:
    """Build one medical ``Result`` from recognized words.

    Args:
        result_id: The result's id (the same for its partial and final versions).
        words: The utterance's words so far (partial) or all of them (final); not empty.
        is_partial: Whether the service may still change this result.
        channel_id: ``"ch_0"``/``"ch_1"`` with channel identification, else ``None``.
        speaker: The speaker number with speaker labels, else ``None``.
        identify_phi: Add PHI ``Entities`` (final results only).

    Returns:
        The result, ready for :func:`event_payload`.
    """
    speaker_label = None if speaker is None else str(speaker)
    items: list[ResultItem] = []
    entities: list[ResultEntity] = []
    if is_partial:
        for recognized in words:
            items.append(
                ResultItem(
                    start_time=round(recognized.start, 3),
                    end_time=round(max(recognized.end, recognized.start), 3),
                    type="pronunciation",
                    content=recognized.text,
                    speaker=speaker_label,
                )
            )
    else:
        presented = final_words(words)
        for word in presented:
            items.append(
                ResultItem(
                    start_time=word.start,
                    end_time=word.end,
                    type="pronunciation",
                    content=word.content,
                    confidence=word.confidence,
                    speaker=speaker_label,
                )
            )
            if word.punctuation:
                items.append(
                    ResultItem(
                        start_time=word.end,
                        end_time=word.end,
                        type="punctuation",
                        content=word.punctuation,
                        speaker=speaker_label,
                    )
                )
        if identify_phi:
            for span in find_phi([word.content for word in presented]):
                chosen = presented[span.start : span.end]
                entities.append(
                    ResultEntity(
                        start_time=chosen[0].start,
                        end_time=chosen[-1].end,
                        category="PHI",
                        content=" ".join(word.content for word in chosen),
                        confidence=min(word.confidence for word in chosen),
                    )
                )
    transcript = join_items([(item.content or "", item.type == "punctuation") for item in items])
    if is_partial or not identify_phi:
        # Entities appear on final results only, and only with content identification.
        alternative = ResultAlternative(transcript=transcript, items=items)
    else:
        alternative = ResultAlternative(transcript=transcript, items=items, entities=entities)
    start = round(words[0].start, 3) if words else 0.0
    end = round(max(word.end for word in words), 3) if words else 0.0
    return Result(
        result_id=result_id,
        start_time=start,
        end_time=end,
        is_partial=is_partial,
        alternatives=[alternative],
        channel_id=channel_id,
    )


def event_payload(results: Sequence[Result]) -> bytes:
    """The JSON payload of a ``TranscriptEvent`` carrying ``results``."""
    event = TranscriptEvent.from_results(results)
    # exclude_unset: ``Entities`` appears only where it was set (final results with PHI on).
    return event.model_dump_json(by_alias=True, exclude_none=True, exclude_unset=True).encode()
