"""``client.vocabularies``: medical custom vocabularies (sync and asyncio).

CreateMedicalVocabulary and UpdateMedicalVocabulary read only an S3 file. Given a list of phrases,
the facade renders a table-format file (see :meth:`VocabularyRequest.table_text`); given the text
of a table-format file (``table=``), it checks it against AWS's rules
(:func:`~transcribe_medical.batch.vocabulary_files.parse_vocabulary_table`). Either is uploaded to
``bucket`` and its ``s3://`` URI passed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from transcribe_medical import _limits
from transcribe_medical._exceptions import ServiceError, TimeoutError, ValidationError
from transcribe_medical.batch._errors import VocabularyFailedError, as_not_found, valid_name, valid_page_size
from transcribe_medical.batch._pagination import apaginate, paginate
from transcribe_medical.batch._polling import (
    DEFAULT_MAX_POLL_INTERVAL,
    DEFAULT_POLL_INTERVAL,
    DEFAULT_TIMEOUT,
    PollSchedule,
)
from transcribe_medical.batch.s3 import S3Location, upload_bytes, upload_bytes_async
from transcribe_medical.batch.vocabulary_files import parse_vocabulary_table
from transcribe_medical.models.batch import MedicalVocabulary, VocabularyRequest, VocabularySummary
from transcribe_medical.models.enums import VocabularyState

if TYPE_CHECKING:
    from transcribe_medical._client import AsyncTranscribeMedical, TranscribeMedical

__all__ = ["AsyncVocabularies", "Vocabularies", "VocabularyProgress"]

#: Called with the vocabulary after every poll of ``wait``.
VocabularyProgress = Callable[[MedicalVocabulary], None]

_UPLOAD_PREFIX = "transcribe-medical/vocabularies"


def _upload_location(name: str, bucket: str | None, key: str | None) -> S3Location:
    if not bucket:
        raise ValidationError(
            "bucket: None is invalid: give the S3 bucket to upload the phrases to "
            "(CreateMedicalVocabulary reads only an S3 file)",
            field="bucket",
        )
    return S3Location(bucket, key or f"{_UPLOAD_PREFIX}/{name}.txt")


def _plan(
    name: str,
    phrases: Sequence[str] | None,
    file_uri: str | None,
    bucket: str | None,
    key: str | None,
    tags: Mapping[str, str] | None,
    table: str | None = None,
) -> tuple[VocabularyRequest, S3Location | None, bytes]:
    """The request, where to upload the file first (``None``: ``file_uri`` is ready) and its bytes."""
    if table is not None:
        if phrases is not None or file_uri is not None:
            raise ValidationError("table: give one of phrases, table or file_uri, not several", field="table")
        text = parse_vocabulary_table(table, source="table").table_text
        location = _upload_location(valid_name(name), bucket, key)
        return VocabularyRequest(name=name, file_uri=location.uri, tags=tags), location, text.encode("utf-8")
    request = VocabularyRequest(
        name=name, phrases=list(phrases) if phrases is not None else None, file_uri=file_uri, tags=tags
    )
    if request.phrases is None:
        return request, None, b""
    return request, _upload_location(request.name, bucket, key), request.table_text().encode("utf-8")


def _vocabulary(response: Mapping[str, Any]) -> MedicalVocabulary:
    return MedicalVocabulary.from_api(response)


def _list_params(state: VocabularyState | str | None, name_contains: str | None, page_size: int) -> dict[str, Any]:
    params: dict[str, Any] = {}
    if state is not None:
        try:
            params["StateEquals"] = VocabularyState(state.upper() if isinstance(state, str) else state).value
        except ValueError:
            raise ValidationError(
                f"state: {state!r} is invalid: use one of {', '.join(s.value for s in VocabularyState)}",
                field="state",
            ) from None
    if name_contains is not None:
        params["NameContains"] = valid_name(name_contains, "name_contains")
    params["MaxResults"] = valid_page_size(page_size)
    return params


def _done(vocabulary: MedicalVocabulary, schedule: PollSchedule, timeout: float) -> float | None:
    """None when READY; raise when FAILED or out of time; else the delay before the next poll."""
    if vocabulary.state is VocabularyState.READY:
        return None
    if vocabulary.state is VocabularyState.FAILED:
        raise VocabularyFailedError(vocabulary)
    delay = schedule.next_delay()
    if delay is None:
        state = str(vocabulary.state) if vocabulary.state else "unknown"
        raise TimeoutError(f"vocabulary {vocabulary.name} is still {state} after {timeout:g} s")
    return delay


class Vocabularies:
    """Medical custom vocabularies: ``client.vocabularies``.

    Example:
        >>> client.vocabularies.create("cardio-terms", phrases=["atrial fibrillation"],  # doctest: +SKIP
        ...                            bucket="my-bucket")
        >>> client.vocabularies.wait("cardio-terms")                                     # doctest: +SKIP
    """

    def __init__(self, client: TranscribeMedical, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self._client = client
        self._sleep = sleep

    def _source_uri(self, request: VocabularyRequest, location: S3Location | None, body: bytes) -> str | None:
        if location is None:
            return request.file_uri
        upload_bytes(self._client, body, location)
        return location.uri

    def create(
        self,
        name: str,
        phrases: Sequence[str] | None = None,
        *,
        file_uri: str | None = None,
        bucket: str | None = None,
        key: str | None = None,
        tags: Mapping[str, str] | None = None,
        table: str | None = None,
    ) -> MedicalVocabulary:
        """Create a vocabulary from ``phrases`` (uploaded to ``bucket`` first) or an S3 file.

        Args:
            name: Vocabulary name (1-200 of ``[0-9a-zA-Z._-]``).
            phrases: Phrases (each at most 256 characters; the file at most 50 KB).
            file_uri: ``s3://`` URI of a ready table-format file, instead of ``phrases``.
            bucket: Where to upload the phrases or the table (required with either).
            key: Object key of the upload (default ``transcribe-medical/vocabularies/<name>.txt``).
            tags: 1-200 tags.
            table: The text of a table-format file (``Phrase<TAB>SoundsLike<TAB>IPA<TAB>DisplayAs``
                header, a row per phrase), checked and uploaded, instead of ``phrases``.

        Raises:
            ValidationError: bad input (before any upload or request).
            ConflictError: a vocabulary with that name exists.
        """
        request, location, body = _plan(name, phrases, file_uri, bucket, key, tags, table)
        params = request.to_api(self._source_uri(request, location, body))
        return _vocabulary(self._client.call("transcribe", "create_medical_vocabulary", **params))

    def update(
        self,
        name: str,
        phrases: Sequence[str] | None = None,
        *,
        file_uri: str | None = None,
        bucket: str | None = None,
        key: str | None = None,
        table: str | None = None,
    ) -> MedicalVocabulary:
        """Replace a vocabulary's phrases (UpdateMedicalVocabulary; nothing is appended).

        Takes ``phrases``, ``table`` or ``file_uri`` (and ``bucket``, ``key``) as :meth:`create` does.

        Raises:
            NotFoundError: no vocabulary has that name.
        """
        request, location, body = _plan(name, phrases, file_uri, bucket, key, None, table)
        params = request.to_api(self._source_uri(request, location, body))
        try:
            return _vocabulary(self._client.call("transcribe", "update_medical_vocabulary", **params))
        except ServiceError as error:
            raise as_not_found(error) from error

    def get(self, name: str) -> MedicalVocabulary:
        """Describe a vocabulary (GetMedicalVocabulary).

        Raises:
            NotFoundError: no vocabulary has that name.
        """
        params = {"VocabularyName": valid_name(name)}
        try:
            return _vocabulary(self._client.call("transcribe", "get_medical_vocabulary", **params))
        except ServiceError as error:
            raise as_not_found(error) from error

    def list(
        self,
        state: VocabularyState | str | None = None,
        name_contains: str | None = None,
        *,
        page_size: int = _limits.MAX_RESULTS_MAX,
    ) -> Iterator[VocabularySummary]:
        """Iterate over every vocabulary, fetching pages as needed."""
        params = _list_params(state, name_contains, page_size)
        return self._pages(params)

    def _pages(self, params: dict[str, Any]) -> Iterator[VocabularySummary]:
        for summary in paginate(self._client.call, "list_medical_vocabularies", params, "Vocabularies"):
            yield VocabularySummary.model_validate(summary)

    def delete(self, name: str) -> None:
        """Delete a vocabulary (DeleteMedicalVocabulary).

        Raises:
            NotFoundError: no vocabulary has that name.
        """
        params = {"VocabularyName": valid_name(name)}
        try:
            self._client.call("transcribe", "delete_medical_vocabulary", **params)
        except ServiceError as error:
            raise as_not_found(error) from error

    def wait(
        self,
        name: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        max_poll_interval: float = DEFAULT_MAX_POLL_INTERVAL,
        progress: VocabularyProgress | None = None,
    ) -> MedicalVocabulary:
        """Poll until the vocabulary is READY.

        Raises:
            VocabularyFailedError: it ended FAILED (carries ``failure_reason``).
            TimeoutError: it was not READY within ``timeout``.
        """
        schedule = PollSchedule(timeout, poll_interval, max_poll_interval)
        while True:
            vocabulary = self.get(name)
            if progress is not None:
                progress(vocabulary)
            delay = _done(vocabulary, schedule, timeout)
            if delay is None:
                return vocabulary
            self._sleep(delay)


class AsyncVocabularies:
    """The asyncio twin of :class:`Vocabularies`."""

    def __init__(
        self, client: AsyncTranscribeMedical, *, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    ) -> None:
        self._client = client
        self._sleep = sleep

    async def _source_uri(self, request: VocabularyRequest, location: S3Location | None, body: bytes) -> str | None:
        if location is None:
            return request.file_uri
        await upload_bytes_async(self._client, body, location)
        return location.uri

    async def create(
        self,
        name: str,
        phrases: Sequence[str] | None = None,
        *,
        file_uri: str | None = None,
        bucket: str | None = None,
        key: str | None = None,
        tags: Mapping[str, str] | None = None,
        table: str | None = None,
    ) -> MedicalVocabulary:
        """Create a vocabulary; see :meth:`Vocabularies.create`."""
        request, location, body = _plan(name, phrases, file_uri, bucket, key, tags, table)
        params = request.to_api(await self._source_uri(request, location, body))
        return _vocabulary(await self._client.acall("transcribe", "create_medical_vocabulary", **params))

    async def update(
        self,
        name: str,
        phrases: Sequence[str] | None = None,
        *,
        file_uri: str | None = None,
        bucket: str | None = None,
        key: str | None = None,
        table: str | None = None,
    ) -> MedicalVocabulary:
        """Replace a vocabulary's phrases; see :meth:`Vocabularies.update`."""
        request, location, body = _plan(name, phrases, file_uri, bucket, key, None, table)
        params = request.to_api(await self._source_uri(request, location, body))
        try:
            return _vocabulary(await self._client.acall("transcribe", "update_medical_vocabulary", **params))
        except ServiceError as error:
            raise as_not_found(error) from error

    async def get(self, name: str) -> MedicalVocabulary:
        """Describe a vocabulary; see :meth:`Vocabularies.get`."""
        params = {"VocabularyName": valid_name(name)}
        try:
            return _vocabulary(await self._client.acall("transcribe", "get_medical_vocabulary", **params))
        except ServiceError as error:
            raise as_not_found(error) from error

    def list(
        self,
        state: VocabularyState | str | None = None,
        name_contains: str | None = None,
        *,
        page_size: int = _limits.MAX_RESULTS_MAX,
    ) -> AsyncIterator[VocabularySummary]:
        """Iterate (``async for``) over every vocabulary."""
        params = _list_params(state, name_contains, page_size)
        return self._pages(params)

    async def _pages(self, params: dict[str, Any]) -> AsyncIterator[VocabularySummary]:
        async for summary in apaginate(self._client.acall, "list_medical_vocabularies", params, "Vocabularies"):
            yield VocabularySummary.model_validate(summary)

    async def delete(self, name: str) -> None:
        """Delete a vocabulary; see :meth:`Vocabularies.delete`."""
        params = {"VocabularyName": valid_name(name)}
        try:
            await self._client.acall("transcribe", "delete_medical_vocabulary", **params)
        except ServiceError as error:
            raise as_not_found(error) from error

    async def wait(
        self,
        name: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        max_poll_interval: float = DEFAULT_MAX_POLL_INTERVAL,
        progress: VocabularyProgress | None = None,
    ) -> MedicalVocabulary:
        """Poll until READY; see :meth:`Vocabularies.wait`."""
        schedule = PollSchedule(timeout, poll_interval, max_poll_interval)
        while True:
            vocabulary = await self.get(name)
            if progress is not None:
                progress(vocabulary)
            delay = _done(vocabulary, schedule, timeout)
            if delay is None:
                return vocabulary
            await self._sleep(delay)
