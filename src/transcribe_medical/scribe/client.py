"""``client.scribe``: the HealthScribe namespace of the facades (jobs, and streaming over HTTP/2)."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from transcribe_medical._client import AsyncTranscribeMedical, TranscribeMedical
    from transcribe_medical.scribe.jobs import AsyncScribeJobs, ScribeJobs
    from transcribe_medical.scribe.streaming.client import ScribeStreaming
    from transcribe_medical.scribe.streaming.client_async import AsyncScribeStreaming

__all__ = ["AsyncScribeClient", "ScribeClient"]


class ScribeClient:
    """AWS HealthScribe: ``client.scribe``.

    Attributes:
        jobs: HealthScribe jobs (:class:`~transcribe_medical.scribe.jobs.ScribeJobs`).
        streaming: HealthScribe streaming over HTTP/2
            (:class:`~transcribe_medical.scribe.streaming.client.ScribeStreaming`).
    """

    def __init__(self, client: TranscribeMedical) -> None:
        self._client = client

    @cached_property
    def jobs(self) -> ScribeJobs:
        """HealthScribe jobs: start, get, list, wait, delete, note, transcript, transcribe_file."""
        from transcribe_medical.scribe.jobs import ScribeJobs

        return ScribeJobs(self._client)

    @cached_property
    def streaming(self) -> ScribeStreaming:
        """HealthScribe streaming over HTTP/2: connect, transcribe, get, note."""
        from transcribe_medical.scribe.streaming.client import ScribeStreaming

        return ScribeStreaming(self._client)


class AsyncScribeClient:
    """AWS HealthScribe (asyncio): ``async_client.scribe``."""

    def __init__(self, client: AsyncTranscribeMedical) -> None:
        self._client = client

    @cached_property
    def jobs(self) -> AsyncScribeJobs:
        """HealthScribe jobs (async); see :class:`~transcribe_medical.scribe.jobs.ScribeJobs`."""
        from transcribe_medical.scribe.jobs import AsyncScribeJobs

        return AsyncScribeJobs(self._client)

    @cached_property
    def streaming(self) -> AsyncScribeStreaming:
        """HealthScribe streaming over HTTP/2 (asyncio); see :class:`ScribeClient`."""
        from transcribe_medical.scribe.streaming.client_async import AsyncScribeStreaming

        return AsyncScribeStreaming(self._client)
