"""Manual pagination: Transcribe's list operations have no botocore paginator.

The service returns ``NextToken`` while more pages remain; tokens are opaque and sent back as
they came.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

__all__ = ["apaginate", "paginate"]

Call = Callable[..., dict[str, Any]]
AsyncCall = Callable[..., Awaitable[dict[str, Any]]]


def paginate(call: Call, operation: str, params: dict[str, Any], key: str) -> Iterator[dict[str, Any]]:
    """Yield every entry under ``key`` of every page of ``operation`` (via ``call("transcribe", ...)``)."""
    token: str | None = None
    while True:
        page = dict(params, NextToken=token) if token else params
        response = call("transcribe", operation, **page)
        yield from response.get(key, [])
        token = response.get("NextToken")
        if not token:
            return


async def apaginate(call: AsyncCall, operation: str, params: dict[str, Any], key: str) -> AsyncIterator[dict[str, Any]]:
    """The asyncio twin of :func:`paginate`."""
    token: str | None = None
    while True:
        page = dict(params, NextToken=token) if token else params
        response = await call("transcribe", operation, **page)
        for entry in response.get(key, []):
            yield entry
        token = response.get("NextToken")
        if not token:
            return
