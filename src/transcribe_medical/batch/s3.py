"""S3 helpers for batch jobs: parse S3 URIs, upload media, download transcripts.

Transcribe reports ``TranscriptFileUri`` as an HTTPS S3 URL (path style,
``https://s3.<region>.amazonaws.com/<bucket>/<key>``); users give ``s3://bucket/key``; custom
endpoints (moto, the local emulator) use path style on their own host. :func:`parse_s3_uri`
reads all of these, and virtual-hosted URLs (``https://<bucket>.s3.<region>.amazonaws.com/<key>``).
Objects are read with ``s3.get_object``, never over plain HTTP.

Uploads and downloads use the shared retry policy; each attempt reopens the file, so a retried
upload never sends a half-read stream.
"""

from __future__ import annotations

import asyncio
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from transcribe_medical import _limits
from transcribe_medical._exceptions import ValidationError, translate_error
from transcribe_medical._retry import call_with_retries, call_with_retries_async

if TYPE_CHECKING:
    from transcribe_medical._client import AsyncTranscribeMedical, TranscribeMedical, _ClientBase

__all__ = [
    "S3Location",
    "download_bytes",
    "download_bytes_async",
    "parse_s3_uri",
    "upload_bytes",
    "upload_bytes_async",
    "upload_file",
    "upload_file_async",
]

# bucket.s3.amazonaws.com, bucket.s3.us-east-1.amazonaws.com, bucket.s3-us-west-2.amazonaws.com,
# bucket.s3.dualstack.eu-west-1.amazonaws.com (and .amazonaws.com.cn).
_VIRTUAL_HOST = re.compile(r"^(?P<bucket>.+?)\.s3(?:[.-][a-z0-9-]+)*\.amazonaws\.com(?:\.cn)?$")
_PATH_HOST = re.compile(r"^s3(?:[.-][a-z0-9-]+)*\.amazonaws\.com(?:\.cn)?$")


@dataclass(frozen=True)
class S3Location:
    """An S3 object: bucket and key.

    Example:
        >>> S3Location("my-bucket", "medical/visit.json").uri
        's3://my-bucket/medical/visit.json'
    """

    bucket: str
    key: str

    @property
    def uri(self) -> str:
        """The ``s3://bucket/key`` form."""
        return f"s3://{self.bucket}/{self.key}"

    def https_url(self, region: str) -> str:
        """The path-style HTTPS URL, the form Transcribe reports in ``TranscriptFileUri``."""
        return f"https://s3.{region}.amazonaws.com/{self.bucket}/{self.key}"

    def __str__(self) -> str:
        return self.uri


def _invalid(uri: object) -> ValidationError:
    return ValidationError(
        f"uri: {uri!r} is invalid: use s3://bucket/key or an https S3 URL "
        "(https://s3.<region>.amazonaws.com/bucket/key or https://bucket.s3.<region>.amazonaws.com/key)",
        field="uri",
    )


def parse_s3_uri(uri: str) -> S3Location:
    """Split an S3 URI into bucket and key.

    Accepts ``s3://bucket/key``, path-style HTTPS URLs (AWS hosts, or any other host such as a
    local endpoint: ``http://127.0.0.1:5000/bucket/key``) and virtual-hosted HTTPS URLs. Keys
    in HTTP(S) URLs are percent-decoded; ``s3://`` keys are taken as they are.

    Raises:
        ValidationError: not an S3 URI, or no bucket or key.
    """
    if not isinstance(uri, str):
        raise _invalid(uri)
    if uri.startswith("s3://"):
        bucket, _, key = uri[len("s3://") :].partition("/")
        if not bucket or not key:
            raise _invalid(uri)
        return S3Location(bucket, key)
    parts = urlsplit(uri)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise _invalid(uri)
    host = parts.hostname.lower()
    path = unquote(parts.path.lstrip("/"))
    virtual = _VIRTUAL_HOST.match(host)
    if virtual and not _PATH_HOST.match(host):
        bucket, key = virtual.group("bucket"), path
    else:
        bucket, _, key = path.partition("/")
    if not bucket or not key:
        raise _invalid(uri)
    return S3Location(bucket, key)


def _check_size(path: Path) -> None:
    try:
        size = path.stat().st_size
    except OSError as error:
        raise ValidationError(f"path: {str(path)!r} cannot be read ({error.strerror})", field="path") from None
    if not path.is_file():
        raise ValidationError(f"path: {str(path)!r} is not a file", field="path")
    if size > _limits.BATCH_MEDIA_MAX_BYTES:
        raise ValidationError(
            f"path: {str(path)!r} is {size} bytes; batch media may be at most "
            f"{_limits.BATCH_MEDIA_MAX_BYTES} bytes (2 GB)",
            field="path",
        )


def _once(client: _ClientBase, operation: str, params: dict[str, Any]) -> dict[str, Any]:
    # One attempt, translated; the retry loop around it is the shared policy.
    return client._call_once("s3", operation, params)


def _put_file_attempt(client: _ClientBase, path: Path, location: S3Location) -> None:
    with path.open("rb") as body:
        _once(client, "put_object", {"Bucket": location.bucket, "Key": location.key, "Body": body})


def _get_attempt(client: _ClientBase, location: S3Location) -> bytes:
    response = _once(client, "get_object", {"Bucket": location.bucket, "Key": location.key})
    try:
        data: bytes = response["Body"].read()
    except Exception as error:  # the stream broke while reading: botocore/urllib3 errors
        translated = translate_error(error)
        if translated is error:
            raise
        raise translated from error
    return data


def upload_file(client: TranscribeMedical, path: str | os.PathLike[str], location: S3Location) -> S3Location:
    """Upload a local file to ``location`` (single PUT; batch media is at most 2 GB).

    Raises:
        ValidationError: the file is missing or too large.
        ServiceError: S3 refused (e.g. ``NoSuchBucket`` → :class:`NotFoundError`).
    """
    source = Path(path)
    _check_size(source)
    call_with_retries(client.config.retry, "PutObject", lambda: _put_file_attempt(client, source, location))
    return location


async def upload_file_async(
    client: AsyncTranscribeMedical, path: str | os.PathLike[str], location: S3Location
) -> S3Location:
    """The asyncio twin of :func:`upload_file`."""
    source = Path(path)
    await asyncio.to_thread(_check_size, source)
    await call_with_retries_async(
        client.config.retry,
        "PutObject",
        lambda: asyncio.to_thread(_put_file_attempt, client, source, location),
    )
    return location


def upload_bytes(client: TranscribeMedical, data: bytes, location: S3Location) -> S3Location:
    """Upload ``data`` to ``location``."""
    client.call("s3", "put_object", Bucket=location.bucket, Key=location.key, Body=data)
    return location


async def upload_bytes_async(client: AsyncTranscribeMedical, data: bytes, location: S3Location) -> S3Location:
    """The asyncio twin of :func:`upload_bytes`."""
    await client.acall("s3", "put_object", Bucket=location.bucket, Key=location.key, Body=data)
    return location


def download_bytes(client: TranscribeMedical, location: S3Location) -> bytes:
    """Read a whole object (a transcript file) with ``s3.get_object``."""
    return call_with_retries(client.config.retry, "GetObject", lambda: _get_attempt(client, location))


async def download_bytes_async(client: AsyncTranscribeMedical, location: S3Location) -> bytes:
    """The asyncio twin of :func:`download_bytes`."""
    return await call_with_retries_async(
        client.config.retry, "GetObject", lambda: asyncio.to_thread(_get_attempt, client, location)
    )
