"""The emulator's medical custom vocabularies: the service's rules, its records and its JSON shapes.

:class:`VocabularyStore` holds the vocabularies the emulator's Transcribe layer
(:mod:`~transcribe_medical.local.medical_service`) accepted, per region, thread-safe. A
vocabulary is ``PENDING`` from Create (or Update) until the worker has read its file from the
emulated S3 through its :class:`VocabularyHandle`: then ``READY``, holding the parsed phrases that
jobs and streams apply (:mod:`~transcribe_medical.local.vocabulary`), or ``FAILED`` with a
``FailureReason`` when the file is missing, unreadable, too large or holds no phrase. Update
replaces the file (nothing is appended), as the service does.
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from transcribe_medical import _limits
from transcribe_medical.local.aws_constraints import Member, check, validation_error
from transcribe_medical.local.aws_json import AwsError, epoch_seconds, utc_now
from transcribe_medical.local.emulated_s3 import ObjectNotFound, https_object_url, parse_object_uri
from transcribe_medical.local.medical_jobs import NAME_PATTERN, URI_PATTERN, check_tags, newest_first_page
from transcribe_medical.local.vocabulary import Vocabulary

__all__ = [
    "MedicalVocabularyRecord",
    "VocabularyHandle",
    "VocabularyStore",
    "validate_vocabulary_request",
]

VOCABULARY_STATES: Final = ("PENDING", "READY", "FAILED")

_MEMBERS: Final = (
    Member(("VocabularyName",), required=True, min=1, max=200, pattern=NAME_PATTERN),
    Member(("LanguageCode",), required=True),
    Member(("VocabularyFileUri",), required=True, min=1, max=_limits.URI_MAX_LENGTH, pattern=URI_PATTERN),
    Member(("Tags",), "list", min=_limits.TAGS_MIN, max=_limits.TAGS_MAX),
)


def validate_vocabulary_request(params: dict[str, Any]) -> None:
    """Refuse a Create/UpdateMedicalVocabulary request as the service would.

    Raises:
        AwsError: ``BadRequestException`` with the service's kind of message.
    """
    problems = check(params, _MEMBERS) + check_tags(params.get("Tags"))
    if problems:
        raise validation_error(problems)
    language = params["LanguageCode"]
    if language != _limits.LANGUAGE_CODE:
        raise AwsError(
            "BadRequestException",
            f"The language code {language} isn't supported for medical vocabularies. Use en-US.",
        )


def _not_found() -> AwsError:
    return AwsError(
        "NotFoundException",
        "The requested vocabulary couldn't be found. Check the vocabulary name and try your request again.",
        404,
    )


@dataclass
class MedicalVocabularyRecord:
    """One emulated vocabulary (mutable; change it only under its store's lock).

    Attributes:
        name: ``VocabularyName``.
        region: Its region.
        file_uri: ``VocabularyFileUri`` of the last Create or Update.
        sequence: Order of creation (newest first in lists).
        last_modified: ``LastModifiedTime``.
        state: ``PENDING``, ``READY`` or ``FAILED``.
        failure_reason: Why it ``FAILED``.
        vocabulary: The parsed phrases once ``READY``.
        tags: ``Tags`` as sent to Create.
        generation: Counts Creates and Updates, so a stale worker result is dropped.
    """

    name: str
    region: str
    file_uri: str
    sequence: int
    last_modified: datetime
    state: str = "PENDING"
    failure_reason: str | None = None
    vocabulary: Vocabulary | None = None
    tags: list[dict[str, str]] | None = None
    generation: int = 1

    def describe(self, *, download_uri: bool = True) -> dict[str, Any]:
        """The Get (or Create/Update, without ``DownloadUri``) response."""
        body: dict[str, Any] = {
            "VocabularyName": self.name,
            "LanguageCode": _limits.LANGUAGE_CODE,
            "VocabularyState": self.state,
            "LastModifiedTime": epoch_seconds(self.last_modified),
        }
        if self.state == "FAILED" and self.failure_reason:
            body["FailureReason"] = self.failure_reason
        if download_uri:
            try:
                bucket, key = parse_object_uri(self.file_uri)
            except ObjectNotFound:
                body["DownloadUri"] = self.file_uri
            else:
                body["DownloadUri"] = https_object_url(self.region, bucket, key)
        return body

    def summary(self) -> dict[str, Any]:
        """The ``VocabularyInfo`` of List."""
        return {
            "VocabularyName": self.name,
            "LanguageCode": _limits.LANGUAGE_CODE,
            "LastModifiedTime": epoch_seconds(self.last_modified),
            "VocabularyState": self.state,
        }


class VocabularyHandle:
    """The worker's grip on one vocabulary being processed (thread-safe)."""

    def __init__(self, store: VocabularyStore, record: MedicalVocabularyRecord, generation: int) -> None:
        """Made by :class:`VocabularyStore`, not by users."""
        self._store = store
        self._record = record
        self._generation = generation
        self.file_uri = record.file_uri
        self.name = record.name

    def ready(self, vocabulary: Vocabulary) -> None:
        """``PENDING`` → ``READY`` with these phrases."""
        self._finish("READY", None, vocabulary)

    def fail(self, reason: str) -> None:
        """``PENDING`` → ``FAILED`` with ``FailureReason`` = ``reason``."""
        self._finish("FAILED", reason, None)

    def _finish(self, state: str, reason: str | None, vocabulary: Vocabulary | None) -> None:
        with self._store.lock:
            if self._record.generation != self._generation:
                return  # updated meanwhile: the newer file decides
            self._record.state = state
            self._record.failure_reason = reason
            self._record.vocabulary = vocabulary
            self._record.last_modified = utc_now()


class VocabularyStore:
    """Every emulated medical vocabulary, by region and name (thread-safe)."""

    def __init__(self) -> None:
        """An empty store."""
        self.lock = threading.RLock()
        self._records: dict[tuple[str, str], MedicalVocabularyRecord] = {}
        self._sequence = itertools.count(1)

    def create(self, region: str, params: dict[str, Any]) -> tuple[dict[str, Any], VocabularyHandle]:
        """Record a ``PENDING`` vocabulary; returns the Create response and the worker's handle.

        Raises:
            AwsError: ``ConflictException`` when the region has a vocabulary of that name.
        """
        name = params["VocabularyName"]
        with self.lock:
            if (region, name) in self._records:
                raise AwsError(
                    "ConflictException",
                    "The requested vocabulary name already exists. Use a different vocabulary name.",
                    409,
                )
            record = MedicalVocabularyRecord(
                name, region, params["VocabularyFileUri"], next(self._sequence), utc_now(), tags=params.get("Tags")
            )
            self._records[(region, name)] = record
            return record.describe(download_uri=False), VocabularyHandle(self, record, record.generation)

    def update(self, region: str, params: dict[str, Any]) -> tuple[dict[str, Any], VocabularyHandle]:
        """Replace a vocabulary's file; it is ``PENDING`` again until processed.

        Raises:
            AwsError: ``NotFoundException`` (no such vocabulary) or ``ConflictException`` (still ``PENDING``).
        """
        name = params["VocabularyName"]
        with self.lock:
            record = self._records.get((region, name))
            if record is None:
                raise _not_found()
            if record.state == "PENDING":
                raise AwsError(
                    "ConflictException",
                    f"The vocabulary {name} is still being processed (PENDING). Try again once it is READY or FAILED.",
                    409,
                )
            record.file_uri = params["VocabularyFileUri"]
            record.state = "PENDING"
            record.failure_reason = None
            record.vocabulary = None
            record.last_modified = utc_now()
            record.generation += 1
            body = record.describe(download_uri=False)
            body.pop("FailureReason", None)
            return body, VocabularyHandle(self, record, record.generation)

    def describe(self, region: str, name: str) -> dict[str, Any]:
        """The Get response.

        Raises:
            AwsError: ``NotFoundException``.
        """
        with self.lock:
            record = self._records.get((region, name))
            if record is None:
                raise _not_found()
            return record.describe()

    def state(self, region: str, name: str) -> str | None:
        """The vocabulary's state, or ``None`` when there is none."""
        with self.lock:
            record = self._records.get((region, name))
            return None if record is None else record.state

    def vocabulary(self, region: str, name: str) -> Vocabulary | None:
        """The parsed phrases of a ``READY`` vocabulary (``None`` otherwise)."""
        with self.lock:
            record = self._records.get((region, name))
            return record.vocabulary if record is not None and record.state == "READY" else None

    def delete(self, region: str, name: str) -> None:
        """Forget a vocabulary.

        Raises:
            AwsError: ``NotFoundException``.
        """
        with self.lock:
            if self._records.pop((region, name), None) is None:
                raise _not_found()

    def page(
        self, region: str, *, state: str | None, name_contains: str | None, before: int | None, size: int
    ) -> tuple[list[dict[str, Any]], int | None]:
        """One page of summaries, newest first, and the sequence to continue before (``None``: last page)."""
        with self.lock:
            page, more = newest_first_page(
                self._records,
                region,
                name_contains=name_contains,
                before=before,
                size=size,
                keep=lambda record: state is None or record.state == state,
            )
            return [record.summary() for record in page], more

    def clear(self) -> None:
        """Forget every vocabulary."""
        with self.lock:
            self._records.clear()
