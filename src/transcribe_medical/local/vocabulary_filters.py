"""The emulator's vocabulary filters: their records, and the filter methods applied to recognised words.

Transcribe's vocabulary filters (``CreateVocabularyFilter`` and friends) hold words to hide from
transcripts. :class:`FilterStore` keeps them per region (thread-safe); moto has none of this.
A filter is created from ``Words`` or from a text file in S3 (``VocabularyFilterFileUri``, one
word or phrase per line), never both, and is usable at once (filters have no state).

:func:`apply_filter` applies one to a recognised utterance, as a HealthScribe job does with
``VocabularyFilterMethod``:

* ``mask``: each matching word is written ``***``;
* ``remove``: matching words are left out (a full stop moves to the word before);
* ``tag``: words stay, and are marked (``VocabularyFilterMatch`` in the transcript).

Matching is case-insensitive on whole words; an entry of several words matches that run of words.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Final

from transcribe_medical.local.aws_json import AwsError, epoch_seconds, utc_now
from transcribe_medical.local.medical_jobs import newest_first_page
from transcribe_medical.local.results import FinalWord

__all__ = ["MASK", "FilterRecord", "FilterStore", "FilteredWord", "apply_filter", "parse_filter_file"]

#: What ``mask`` writes in place of a filtered word.
MASK: Final = "***"


def _not_found() -> AwsError:
    return AwsError(
        "NotFoundException",
        "The requested vocabulary filter couldn't be found. Check the vocabulary filter name and try your "
        "request again.",
        404,
    )


def parse_filter_file(text: str) -> list[str]:
    """The entries of a vocabulary-filter text file: one per line, blank lines skipped."""
    return [line.strip() for line in text.splitlines() if line.strip()]


@dataclass
class FilterRecord:
    """One vocabulary filter (mutable only under its store's lock).

    Attributes:
        name: ``VocabularyFilterName``.
        language_code: ``LanguageCode``.
        words: Its entries.
        sequence: Order of creation (lists are newest first).
        last_modified: When it was created or last updated.
        role_arn: ``DataAccessRoleArn``, if given.
        encryption: ``EncryptionConfiguration``, if given.
        tags: ``Tags``, if given.
    """

    name: str
    language_code: str
    words: list[str]
    sequence: int
    last_modified: datetime = field(default_factory=utc_now)
    role_arn: str | None = None
    encryption: dict[str, Any] | None = None
    tags: list[dict[str, str]] | None = None

    def brief(self) -> dict[str, Any]:
        """``{VocabularyFilterName, LanguageCode, LastModifiedTime}`` (Create, Update, List)."""
        return {
            "VocabularyFilterName": self.name,
            "LanguageCode": self.language_code,
            "LastModifiedTime": epoch_seconds(self.last_modified),
        }

    def describe(self, download_uri: str) -> dict[str, Any]:
        """The GetVocabularyFilter response."""
        body = {**self.brief(), "DownloadUri": download_uri}
        if self.role_arn:
            body["DataAccessRoleArn"] = self.role_arn
        if self.encryption:
            body["EncryptionConfiguration"] = dict(self.encryption)
        return body


class FilterStore:
    """Every emulated vocabulary filter, by region and name (thread-safe)."""

    def __init__(self) -> None:
        """An empty store."""
        self.lock = threading.RLock()
        self._filters: dict[tuple[str, str], FilterRecord] = {}
        self._sequence = itertools.count(1)

    def create(self, region: str, params: dict[str, Any], words: list[str]) -> dict[str, Any]:
        """Add a filter from a validated request and its words.

        Raises:
            AwsError: ``ConflictException`` when the region has a filter of that name.
        """
        name = params["VocabularyFilterName"]
        with self.lock:
            if (region, name) in self._filters:
                raise AwsError(
                    "ConflictException",
                    "The requested vocabulary filter name already exists. Use a different name.",
                    409,
                )
            record = FilterRecord(
                name=name,
                language_code=params["LanguageCode"],
                words=words,
                sequence=next(self._sequence),
                role_arn=params.get("DataAccessRoleArn"),
                encryption=params.get("EncryptionConfiguration"),
                tags=params.get("Tags"),
            )
            self._filters[(region, name)] = record
            return record.brief()

    def update(self, region: str, params: dict[str, Any], words: list[str]) -> dict[str, Any]:
        """Replace a filter's words (and role/encryption when given).

        Raises:
            AwsError: ``NotFoundException`` when there is no such filter.
        """
        with self.lock:
            record = self._filters.get((region, params["VocabularyFilterName"]))
            if record is None:
                raise _not_found()
            record.words = words
            record.last_modified = utc_now()
            if params.get("DataAccessRoleArn"):
                record.role_arn = params["DataAccessRoleArn"]
            if params.get("EncryptionConfiguration"):
                record.encryption = params["EncryptionConfiguration"]
            return record.brief()

    def get(self, region: str, name: str) -> FilterRecord:
        """A copy of the filter.

        Raises:
            AwsError: ``NotFoundException`` when there is no such filter.
        """
        with self.lock:
            record = self._filters.get((region, name))
            if record is None:
                raise _not_found()
            return replace(record, words=list(record.words))

    def exists(self, region: str, name: str) -> bool:
        """Whether the region has a filter of that name."""
        with self.lock:
            return (region, name) in self._filters

    def words(self, region: str, name: str) -> list[str] | None:
        """The filter's entries (``None`` when it does not exist, e.g. deleted since a job started)."""
        with self.lock:
            record = self._filters.get((region, name))
            return None if record is None else list(record.words)

    def delete(self, region: str, name: str) -> None:
        """Forget a filter.

        Raises:
            AwsError: ``NotFoundException`` when there is no such filter.
        """
        with self.lock:
            if self._filters.pop((region, name), None) is None:
                raise _not_found()

    def page(
        self, region: str, *, name_contains: str | None, before: int | None, size: int
    ) -> tuple[list[dict[str, Any]], int | None]:
        """One page of filters, newest first, and the sequence to continue before (``None``: last page)."""
        with self.lock:
            page, more = newest_first_page(self._filters, region, name_contains=name_contains, before=before, size=size)
            return [record.brief() for record in page], more

    def clear(self) -> None:
        """Forget every filter."""
        with self.lock:
            self._filters.clear()


@dataclass(frozen=True)
class FilteredWord:
    """A word after a vocabulary filter: as written, and whether it matched (``tag`` marks these)."""

    word: FinalWord
    matched: bool = False


def _key(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum() or ch in "'-")


def apply_filter(words: Sequence[FinalWord], entries: Sequence[str], method: str) -> list[FilteredWord]:
    """Apply a vocabulary filter's ``entries`` to one utterance with ``method`` (see the module notes)."""
    phrases = sorted(
        {tuple(_key(part) for part in entry.split() if _key(part)) for entry in entries} - {()},
        key=len,
        reverse=True,
    )
    keys = [_key(word.content) for word in words]
    matched = [False] * len(words)
    index = 0
    while index < len(words):
        for phrase in phrases:
            if tuple(keys[index : index + len(phrase)]) == phrase:
                for offset in range(len(phrase)):
                    matched[index + offset] = True
                index += len(phrase) - 1
                break
        index += 1
    result: list[FilteredWord] = []
    for word, hit in zip(words, matched, strict=True):
        if not hit:
            result.append(FilteredWord(word))
        elif method == "mask":
            result.append(FilteredWord(replace(word, content=MASK), matched=True))
        elif method == "tag":
            result.append(FilteredWord(word, matched=True))
        elif word.punctuation and result:
            # remove: the sentence still ends where it ended.
            last = result[-1]
            result[-1] = FilteredWord(replace(last.word, punctuation=word.punctuation), last.matched)
    return result
