"""``client.vocabulary_filters``: words to remove, mask or tag in transcripts.

HealthScribe jobs (and streams) name a filter with ``vocabulary_filter_name`` and a
``vocabulary_filter_method`` (``remove``, ``mask`` or ``tag``). A filter is ready as soon as it is
created, so there is no ``wait``. Requests are validated before they are sent; every call goes
through the client's ``call``/``acall``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from transcribe_medical import _limits
from transcribe_medical._exceptions import ServiceError
from transcribe_medical.batch._errors import as_not_found, valid_name, valid_page_size
from transcribe_medical.batch._pagination import apaginate, paginate
from transcribe_medical.scribe.requests import VocabularyFilterRequest, VocabularyFilterUpdate
from transcribe_medical.scribe.responses import VocabularyFilter, VocabularyFilterSummary

if TYPE_CHECKING:
    from transcribe_medical._client import AsyncTranscribeMedical, TranscribeMedical

__all__ = ["AsyncVocabularyFilters", "VocabularyFilters"]

_FILTERS = "VocabularyFilters"


def _filter(response: Mapping[str, Any]) -> VocabularyFilter:
    return VocabularyFilter.from_api(response)


def _word_list(words: Sequence[str] | None) -> object:
    # A single string is refused by the model ("a list of words"), not split into letters.
    return words if words is None or isinstance(words, str) else list(words)


def _create_request(
    name: str,
    words: Sequence[str] | None,
    file_uri: str | None,
    language_code: str,
    role_arn: str | None,
    kms_key_id: str | None,
    kms_encryption_context: Mapping[str, str] | None,
    tags: Mapping[str, str] | None,
) -> dict[str, Any]:
    return VocabularyFilterRequest(
        name=name,
        words=_word_list(words),
        file_uri=file_uri,
        language_code=language_code,
        role_arn=role_arn,
        kms_key_id=kms_key_id,
        kms_encryption_context=dict(kms_encryption_context) if kms_encryption_context is not None else None,
        tags=dict(tags) if tags is not None else None,
    ).to_api()


def _update_request(
    name: str,
    words: Sequence[str] | None,
    file_uri: str | None,
    role_arn: str | None,
    kms_key_id: str | None,
    kms_encryption_context: Mapping[str, str] | None,
) -> dict[str, Any]:
    return VocabularyFilterUpdate(
        name=name,
        words=_word_list(words),
        file_uri=file_uri,
        role_arn=role_arn,
        kms_key_id=kms_key_id,
        kms_encryption_context=dict(kms_encryption_context) if kms_encryption_context is not None else None,
    ).to_api()


def _list_params(name_contains: str | None, page_size: int) -> dict[str, Any]:
    params: dict[str, Any] = {"MaxResults": valid_page_size(page_size)}
    if name_contains is not None:
        params["NameContains"] = valid_name(name_contains, "name_contains")
    return params


class VocabularyFilters:
    """Vocabulary filters: ``client.vocabulary_filters``.

    Example:
        >>> client.vocabulary_filters.create("visit-words", ["darn", "heck"])   # doctest: +SKIP
        >>> [f.name for f in client.vocabulary_filters.list()]                   # doctest: +SKIP
        ['visit-words']
    """

    def __init__(self, client: TranscribeMedical) -> None:
        self._client = client

    def create(
        self,
        name: str,
        words: Sequence[str] | None = None,
        *,
        file_uri: str | None = None,
        language_code: str = "en-US",
        role_arn: str | None = None,
        kms_key_id: str | None = None,
        kms_encryption_context: Mapping[str, str] | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> VocabularyFilter:
        """Create a filter from ``words`` or from a text file in S3 (one word or phrase per line).

        Args:
            name: Filter name (1-200 of ``[0-9a-zA-Z._-]``).
            words: The words (1-256 characters each); give this or ``file_uri``.
            file_uri: ``s3://bucket/key`` of the word list.
            language_code: A Transcribe language code (HealthScribe: en-US).
            role_arn: A role that can read ``file_uri``.
            kms_key_id: KMS key for the filter.
            kms_encryption_context: With ``kms_key_id`` only.
            tags: 1-200 tags.

        Raises:
            ValidationError: bad input (before any request).
            ConflictError: a filter with that name exists.
        """
        params = _create_request(
            name, words, file_uri, language_code, role_arn, kms_key_id, kms_encryption_context, tags
        )
        return _filter(self._client.call("transcribe", "create_vocabulary_filter", **params))

    def update(
        self,
        name: str,
        words: Sequence[str] | None = None,
        *,
        file_uri: str | None = None,
        role_arn: str | None = None,
        kms_key_id: str | None = None,
        kms_encryption_context: Mapping[str, str] | None = None,
    ) -> VocabularyFilter:
        """Replace a filter's words (UpdateVocabularyFilter replaces the whole list).

        Raises:
            NotFoundError: no filter has that name.
        """
        params = _update_request(name, words, file_uri, role_arn, kms_key_id, kms_encryption_context)
        try:
            return _filter(self._client.call("transcribe", "update_vocabulary_filter", **params))
        except ServiceError as error:
            raise as_not_found(error) from error

    def get(self, name: str) -> VocabularyFilter:
        """Describe a filter (its ``download_uri`` is a presigned URL: never log it).

        Raises:
            NotFoundError: no filter has that name.
        """
        params = {"VocabularyFilterName": valid_name(name)}
        try:
            return _filter(self._client.call("transcribe", "get_vocabulary_filter", **params))
        except ServiceError as error:
            raise as_not_found(error) from error

    def list(
        self, name_contains: str | None = None, *, page_size: int = _limits.MAX_RESULTS_MAX
    ) -> Iterator[VocabularyFilterSummary]:
        """Iterate over every filter, following ``NextToken``.

        Raises:
            ValidationError: a bad filter argument (at once, before iteration).
        """
        params = _list_params(name_contains, page_size)
        return self._pages(params)

    def _pages(self, params: dict[str, Any]) -> Iterator[VocabularyFilterSummary]:
        for entry in paginate(self._client.call, "list_vocabulary_filters", params, _FILTERS):
            yield VocabularyFilterSummary.model_validate(entry)

    def delete(self, name: str) -> None:
        """Delete a filter.

        Raises:
            NotFoundError: no filter has that name.
        """
        params = {"VocabularyFilterName": valid_name(name)}
        try:
            self._client.call("transcribe", "delete_vocabulary_filter", **params)
        except ServiceError as error:
            raise as_not_found(error) from error


class AsyncVocabularyFilters:
    """The asyncio twin of :class:`VocabularyFilters`."""

    def __init__(self, client: AsyncTranscribeMedical) -> None:
        self._client = client

    async def create(
        self,
        name: str,
        words: Sequence[str] | None = None,
        *,
        file_uri: str | None = None,
        language_code: str = "en-US",
        role_arn: str | None = None,
        kms_key_id: str | None = None,
        kms_encryption_context: Mapping[str, str] | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> VocabularyFilter:
        """Create a filter; see :meth:`VocabularyFilters.create`."""
        params = _create_request(
            name, words, file_uri, language_code, role_arn, kms_key_id, kms_encryption_context, tags
        )
        return _filter(await self._client.acall("transcribe", "create_vocabulary_filter", **params))

    async def update(
        self,
        name: str,
        words: Sequence[str] | None = None,
        *,
        file_uri: str | None = None,
        role_arn: str | None = None,
        kms_key_id: str | None = None,
        kms_encryption_context: Mapping[str, str] | None = None,
    ) -> VocabularyFilter:
        """Replace a filter's words; see :meth:`VocabularyFilters.update`."""
        params = _update_request(name, words, file_uri, role_arn, kms_key_id, kms_encryption_context)
        try:
            return _filter(await self._client.acall("transcribe", "update_vocabulary_filter", **params))
        except ServiceError as error:
            raise as_not_found(error) from error

    async def get(self, name: str) -> VocabularyFilter:
        """Describe a filter; see :meth:`VocabularyFilters.get`."""
        params = {"VocabularyFilterName": valid_name(name)}
        try:
            return _filter(await self._client.acall("transcribe", "get_vocabulary_filter", **params))
        except ServiceError as error:
            raise as_not_found(error) from error

    def list(
        self, name_contains: str | None = None, *, page_size: int = _limits.MAX_RESULTS_MAX
    ) -> AsyncIterator[VocabularyFilterSummary]:
        """Iterate (``async for``) over every filter; see :meth:`VocabularyFilters.list`."""
        params = _list_params(name_contains, page_size)
        return self._pages(params)

    async def _pages(self, params: dict[str, Any]) -> AsyncIterator[VocabularyFilterSummary]:
        async for entry in apaginate(self._client.acall, "list_vocabulary_filters", params, _FILTERS):
            yield VocabularyFilterSummary.model_validate(entry)

    async def delete(self, name: str) -> None:
        """Delete a filter; see :meth:`VocabularyFilters.delete`."""
        params = {"VocabularyFilterName": valid_name(name)}
        try:
            await self._client.acall("transcribe", "delete_vocabulary_filter", **params)
        except ServiceError as error:
            raise as_not_found(error) from error
