"""How the emulator honours a medical custom vocabulary, as far as offline recognition allows.

A vocabulary file (table format ``Phrase<TAB>SoundsLike<TAB>IPA<TAB>DisplayAs`` with a header, or
a list of one phrase per line) is read from the emulated S3 object the vocabulary was created (or
last updated) from, once, while it is ``PENDING`` (:func:`read_vocabulary_file`); the ``READY``
vocabulary keeps the parsed phrases, as the service keeps what it processed. The emulator then
applies it to the recognized words the way the service presents them:

* a run of recognized words that spells a multi-word phrase (``Phrase`` words are joined with
  hyphens in the file) becomes one item, written as the phrase with spaces, or as its
  ``DisplayAs`` when given (``x-ray`` -> ``X-ray``; ``chest-x-ray`` + DisplayAs ``chest X-ray``);
* a single word that matches a phrase is written as its ``DisplayAs`` (e.g. ``ecg`` -> ``ECG``).

What it cannot do: make pocketsphinx recognize a word its dictionary lacks (give
``PocketSphinxRecognizer(pronunciations=...)`` for that), or use ``SoundsLike``/``IPA``. Matching is
case-insensitive and ignores hyphens inside recognized words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from transcribe_medical import _limits
from transcribe_medical.local.recognizers.interface import RecognizedWord

__all__ = ["Vocabulary", "VocabularyEntry", "VocabularyFileError", "parse_vocabulary", "read_vocabulary_file"]

_SPLIT = re.compile(r"[\s-]+")


@dataclass(frozen=True)
class VocabularyEntry:
    """One phrase: its words (lower case) and how it is displayed."""

    words: tuple[str, ...]
    display_as: str


def _words(text: str) -> tuple[str, ...]:
    return tuple(word.lower() for word in _SPLIT.split(text) if word)


def parse_vocabulary(text: str) -> list[VocabularyEntry]:
    """Parse a table-format or list-format vocabulary file into entries (bad lines skipped)."""
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return []
    header = [cell.strip().lower() for cell in lines[0].split("\t")]
    entries: list[VocabularyEntry] = []
    if "phrase" in header:
        phrase_at = header.index("phrase")
        display_at = header.index("displayas") if "displayas" in header else None
        for line in lines[1:]:
            cells = line.split("\t")
            phrase = cells[phrase_at].strip() if phrase_at < len(cells) else ""
            display = cells[display_at].strip() if display_at is not None and display_at < len(cells) else ""
            if phrase:
                entries.append(VocabularyEntry(_words(phrase), display or phrase.replace("-", " ")))
    else:
        for line in lines:
            phrase = line.strip()
            entries.append(VocabularyEntry(_words(phrase), phrase.replace("-", " ")))
    return [entry for entry in entries if entry.words]


class Vocabulary:
    """A parsed vocabulary, applied to recognized words (see the module notes)."""

    def __init__(self, entries: Iterable[VocabularyEntry]) -> None:
        """Index ``entries``: longest phrases are matched first."""
        self.entries = sorted(entries, key=lambda e: len(e.words), reverse=True)

    def __len__(self) -> int:
        return len(self.entries)

    def apply(self, words: Sequence[RecognizedWord]) -> tuple[RecognizedWord, ...]:
        """Rewrite ``words``: phrases joined into one item and shown as the vocabulary says."""
        if not self.entries:
            return tuple(words)
        keys = [_words(word.text) for word in words]
        out: list[RecognizedWord] = []
        index = 0
        while index < len(words):
            match = self._match(keys, index)
            if match is None:
                out.append(words[index])
                index += 1
                continue
            entry, used = match
            chosen = words[index : index + used]
            out.append(
                RecognizedWord(
                    text=entry.display_as,
                    start=chosen[0].start,
                    end=chosen[-1].end,
                    confidence=min(word.confidence for word in chosen),
                )
            )
            index += used
        return tuple(out)

    def _match(self, keys: list[tuple[str, ...]], index: int) -> tuple[VocabularyEntry, int] | None:
        for entry in self.entries:
            spelled: list[str] = []
            used = 0
            while len(spelled) < len(entry.words) and index + used < len(keys):
                spelled.extend(keys[index + used])
                used += 1
            if tuple(spelled) == entry.words:
                return entry, used
        return None


class VocabularyFileError(Exception):
    """A vocabulary file the service would refuse; ``str()`` is the vocabulary's ``FailureReason``."""


def read_vocabulary_file(data: bytes) -> Vocabulary:
    """Parse the bytes of a vocabulary file as the emulator's vocabulary processing does.

    Raises:
        VocabularyFileError: Larger than 50 KB, not UTF-8 text, a phrase longer than 256
            characters, or no phrase at all.
    """
    if len(data) > _limits.VOCABULARY_MAX_BYTES:
        raise VocabularyFileError(
            f"The vocabulary file is {len(data)} bytes; the limit is {_limits.VOCABULARY_MAX_BYTES} bytes (50 KB)."
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise VocabularyFileError("The vocabulary file isn't UTF-8 text. Save it as UTF-8 and try again.") from None
    for line in text.splitlines():
        phrase = line.split("\t", 1)[0].strip()
        if len(phrase) > _limits.PHRASE_MAX_CHARS:
            raise VocabularyFileError(
                f"A phrase of the vocabulary file has {len(phrase)} characters; the limit is "
                f"{_limits.PHRASE_MAX_CHARS}."
            )
    entries = parse_vocabulary(text)
    if not entries:
        raise VocabularyFileError("The vocabulary file holds no phrase.")
    return Vocabulary(entries)
