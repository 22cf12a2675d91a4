"""PHI redaction of a :class:`~transcribe_medical.models.transcript.Transcript`.

Content identification (``PHI``) tells which stretches of a transcript are protected health
information. :func:`redact_phi` replaces them with a placeholder, so that the transcript can be
shared outside the covered entity in any export; every other word and every time stays as it was.

What counts as PHI, and is replaced:

* a word whose time span overlaps an entity's (the service's own mapping; a word that only touches
  the entity's edge does not count);
* a run of consecutive words that spells an entity's content (case, and punctuation around a word,
  ignored), wherever it occurs: the service tags one mention, the name is PHI at every mention;
* any remaining occurrence of an entity's content in a segment's text, an alternative's text or a
  word (matched on word boundaries, case-insensitively);
* the entities' own content.

Consecutive PHI words (and punctuation between them) become one placeholder item spanning their
times, so that the number of redacted words does not show. Where a segment's text was the join of
its items it is rebuilt from the redacted items, so text and words stay in step.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Sequence

from transcribe_medical._exceptions import ValidationError
from transcribe_medical.models.transcript import Alternative, Entity, Item, Segment, Transcript, join_items

__all__ = ["DEFAULT_PLACEHOLDER", "phi_content_pattern", "phi_item_indices", "redact_phi"]

#: What replaces each stretch of PHI unless told otherwise.
DEFAULT_PLACEHOLDER = "[PHI]"

# Seconds: entity and item times may be rounded differently, and a word that ends where an entity
# starts must not be taken for part of it.
_TOLERANCE = 1e-3


def _overlaps(item: Item, entity: Entity) -> bool:
    if item.start is None or item.end is None:
        return False
    start, end = sorted((item.start, item.end))
    entity_start, entity_end = sorted((entity.start, entity.end))
    overlap = min(end, entity_end) - max(start, entity_start)
    if end - start <= _TOLERANCE or entity_end - entity_start <= _TOLERANCE:
        # A point in time (a zero-length word or entity): inside the other, edges included.
        return overlap >= -_TOLERANCE
    return overlap > _TOLERANCE


def _fold(word: str) -> str:
    stripped = word.strip(string.punctuation + string.whitespace)
    return (stripped or word.strip()).casefold()


def _entity_words(entity: Entity) -> list[str]:
    return [folded for word in entity.content.split() if (folded := _fold(word))]


def phi_item_indices(items: Sequence[Item], entities: Iterable[Entity]) -> set[int]:
    """Find the words of ``items`` that belong to a PHI entity.

    A word belongs to an entity when its times overlap the entity's, or when it is part of a run
    of consecutive words spelling the entity's content. Punctuation never belongs to one.

    Args:
        items: A segment's (or an alternative's) words and punctuation, in order.
        entities: The PHI entities to look for (usually all of the transcript's).

    Returns:
        The indices into ``items`` of the PHI words.

    Example:
        >>> segment = transcript.segments[0]                              # doctest: +SKIP
        >>> phi_item_indices(segment.items, transcript.phi_entities)          # doctest: +SKIP
        {3, 4}
    """
    entities = list(entities)
    found = {
        index
        for index, item in enumerate(items)
        if item.type == "pronunciation" and any(_overlaps(item, entity) for entity in entities)
    }
    words = [(index, _fold(item.content)) for index, item in enumerate(items) if item.type == "pronunciation"]
    for entity in entities:
        wanted = _entity_words(entity)
        if not wanted:
            continue
        for position in range(len(words) - len(wanted) + 1):
            run = words[position : position + len(wanted)]
            if [folded for _, folded in run] == wanted:
                found.update(index for index, _ in run)
    return found


def phi_content_pattern(entities: Iterable[Entity]) -> re.Pattern[str] | None:
    """A regular expression matching any entity's content in free text.

    Matches on word boundaries, ignoring case, with any whitespace between the content's words;
    the longest content wins where several match.

    Args:
        entities: The PHI entities.

    Returns:
        The compiled pattern, or ``None`` when no entity has content.
    """
    alternatives: list[str] = []
    # Longest first, so that "Mr. Alvarez" wins over "Alvarez".
    for content in sorted({e.content.strip() for e in entities if e.content.strip()}, key=len, reverse=True):
        body = r"\s+".join(re.escape(word) for word in content.split())
        # Word boundaries only where the content itself starts or ends with a word character.
        before = r"(?<!\w)" if re.match(r"\w", content) else ""
        after = r"(?!\w)" if re.search(r"\w$", content) else ""
        alternatives.append(f"{before}{body}{after}")
    return re.compile("|".join(alternatives), re.IGNORECASE) if alternatives else None


class _Redactor:
    """Applies one transcript's entities to its segments, alternatives and words."""

    def __init__(self, entities: Sequence[Entity], placeholder: str) -> None:
        self.entities = entities
        self.placeholder = placeholder
        self.pattern = phi_content_pattern(entities)

    def text(self, text: str) -> str:
        """``text`` with every entity content replaced (an existing placeholder is left alone)."""
        if self.pattern is None:
            return text
        pattern = self.pattern
        return self.placeholder.join(pattern.sub(self.placeholder, part) for part in text.split(self.placeholder))

    def items(self, items: Sequence[Item]) -> list[Item]:
        """The items with PHI words merged into placeholder items."""
        phi = phi_item_indices(items, self.entities)
        result: list[Item] = []
        held: list[Item] = []  # punctuation after a PHI word, until we know what follows it
        in_phi = False
        for index, item in enumerate(items):
            if index in phi:
                if in_phi:
                    result[-1] = _merged(result[-1], item)  # the punctuation held is inside the PHI
                else:
                    result.append(item.model_copy(update={"content": self.placeholder}))
                held, in_phi = [], True
            elif in_phi and item.type == "punctuation":
                held.append(item)
            else:
                result.extend(held)
                result.append(item.model_copy(update={"content": self.text(item.content)}))
                held, in_phi = [], False
        result.extend(held)
        return result

    def segment(self, segment: Segment) -> Segment:
        """A redacted copy of ``segment``."""
        items = self.items(segment.items)
        return segment.model_copy(
            update={
                "text": self._rebuilt_text(segment.text, segment.items, items),
                "items": items,
                "entities": [
                    entity.model_copy(update={"content": self.placeholder}) if _is_phi(entity) else entity
                    for entity in segment.entities
                ],
                "alternatives": [self.alternative(alternative) for alternative in segment.alternatives],
            }
        )

    def alternative(self, alternative: Alternative) -> Alternative:
        """A redacted copy of one hypothesis."""
        items = self.items(alternative.items)
        return alternative.model_copy(
            update={"text": self._rebuilt_text(alternative.text, alternative.items, items), "items": items}
        )

    def _rebuilt_text(self, text: str, original: Sequence[Item], redacted: Sequence[Item]) -> str:
        if original and text == join_items(original):
            text = join_items(redacted)
        return self.text(text)


def _merged(first: Item, second: Item) -> Item:
    starts = [time for time in (first.start, second.start) if time is not None]
    ends = [time for time in (first.end, second.end) if time is not None]
    confidences = [c for c in (first.confidence, second.confidence) if c is not None]
    return first.model_copy(
        update={
            "start": min(starts) if starts else None,
            "end": max(ends) if ends else None,
            "confidence": min(confidences) if confidences else None,
        }
    )


def _is_phi(entity: Entity) -> bool:
    return entity.category.upper() == "PHI"


def redact_phi(transcript: Transcript, placeholder: str = DEFAULT_PLACEHOLDER) -> Transcript:
    """Return a copy of ``transcript`` with its PHI entities replaced by ``placeholder``.

    The copy renders without PHI in every export (text, JSON, JSONL, SRT, VTT, HTML); non-PHI
    words, times, speakers and channels are unchanged. Works on batch and streaming transcripts
    alike; a transcript without entities comes back as an equal copy. See the module docstring
    for exactly what is replaced.

    Args:
        transcript: The transcript (unchanged).
        placeholder: What each stretch of PHI becomes; must not be blank.

    Returns:
        The redacted transcript.

    Raises:
        ValidationError: ``placeholder`` is blank.

    Example:
        >>> to_text(redact_phi(transcript))            # doctest: +SKIP
        'Good morning, [PHI]. Any chest pain? ...'
    """
    if not placeholder.strip():
        raise ValidationError(
            f"placeholder: {placeholder!r} is invalid: use a non-blank text such as '[PHI]'", field="placeholder"
        )
    redactor = _Redactor(transcript.phi_entities, placeholder)
    return transcript.model_copy(
        update={
            "segments": [redactor.segment(segment) for segment in transcript.segments],
            "alternative_segments": [
                segment.model_copy(update={"alternatives": [redactor.alternative(alt) for alt in segment.alternatives]})
                for segment in transcript.alternative_segments
            ],
            # AWS's own text cannot be redacted word by word: the text is then the redacted words'.
            "service_text": None,
        }
    )
