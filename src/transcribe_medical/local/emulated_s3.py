"""Objects in the emulator's S3, read and written through its public S3 API (never moto's internals).

The emulated S3 is moto's, served on the batch endpoint. The emulator's own workers (batch jobs,
vocabularies, HealthScribe jobs) reach it the way any client does: a boto3 S3 client pointed at
the endpoint with the emulator's credentials. So they depend only on the S3 API, which cannot
change with a moto release, and every request passes through the same WSGI layers as users'.

Example:
    >>> s3 = EmulatedS3("http://127.0.0.1:5000", credentials, "us-east-1")   # doctest: +SKIP
    >>> data = s3.read_uri("s3://media/visit.wav")                            # doctest: +SKIP
    >>> s3.write("output", "medical/visit.json", b"{}")                       # doctest: +SKIP
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from transcribe_medical.local.sigv4_verifier import EmulatorCredentials

__all__ = [
    "MAX_READ_BYTES",
    "EmulatedS3",
    "ObjectNotFound",
    "ObjectTooLarge",
    "WriteRefused",
    "https_object_url",
    "parse_object_uri",
]

#: The largest object the emulator reads into memory (AWS's batch media limit is 2 GB; ours is lower).
MAX_READ_BYTES: Final = 512 * 1024 * 1024


class ObjectNotFound(Exception):
    """The object (or its bucket) does not exist in the emulated S3, or the URI names no S3 object."""


class ObjectTooLarge(ObjectNotFound):
    """The object is larger than the reader's limit."""


class WriteRefused(Exception):
    """The emulated S3 refused a write (typically: the bucket does not exist)."""


def parse_object_uri(uri: str) -> tuple[str, str]:
    """``(bucket, key)`` of an ``s3://bucket/key`` URI or an ``http(s)://`` S3 URL (path or virtual-host style).

    The SDK's own parser (:func:`transcribe_medical.batch.s3.parse_s3_uri`) decides, so the
    emulator reads exactly the URIs the SDK writes: ``s3://`` keys are taken as they are, keys of
    URLs are percent-decoded.

    Raises:
        ObjectNotFound: The URI names no S3 object.
    """
    from transcribe_medical._exceptions import ValidationError
    from transcribe_medical.batch.s3 import parse_s3_uri

    try:
        location = parse_s3_uri(uri)
    except ValidationError:
        raise ObjectNotFound(uri) from None
    return location.bucket, location.key


def https_object_url(region: str, bucket: str, key: str) -> str:
    """The ``https://s3.<region>.amazonaws.com/<bucket>/<key>`` URL AWS reports for an output file."""
    return f"https://s3.{region}.amazonaws.com/{bucket}/{key}"


class EmulatedS3:
    """A client of the emulated S3 for the emulator's workers (thread-safe).

    Args:
        endpoint_url: The batch endpoint (``http://127.0.0.1:PORT``).
        credentials: The emulator's credentials.
        region: The emulated region.
    """

    def __init__(self, endpoint_url: str, credentials: EmulatorCredentials, region: str) -> None:
        self.endpoint_url = endpoint_url
        self.region = region
        self._credentials = credentials
        self._client: Any = None
        self._lock = threading.Lock()

    def client(self) -> Any:
        """The boto3 S3 client (made on first use; boto3 clients are thread-safe once made)."""
        with self._lock:
            if self._client is None:
                import boto3
                from botocore.config import Config

                session = boto3.Session(
                    aws_access_key_id=self._credentials.access_key_id,
                    aws_secret_access_key=self._credentials.secret_access_key,
                    aws_session_token=self._credentials.session_token,
                    region_name=self.region,
                )
                config = Config(
                    s3={"addressing_style": "path"},
                    retries={"max_attempts": 3, "mode": "standard"},
                    connect_timeout=10,
                    read_timeout=60,
                )
                self._client = session.client("s3", endpoint_url=self.endpoint_url, config=config)
            return self._client

    def read(self, bucket: str, key: str, *, limit: int = MAX_READ_BYTES) -> bytes:
        """The bytes of ``s3://bucket/key``.

        Raises:
            ObjectNotFound: The bucket or the key does not exist.
            ObjectTooLarge: The object is larger than ``limit`` bytes.
        """
        from botocore.exceptions import ClientError

        try:
            answer = self.client().get_object(Bucket=bucket, Key=key)
        except ClientError as error:
            raise ObjectNotFound(f"s3://{bucket}/{key}") from error
        body = answer["Body"]
        try:
            data: bytes = body.read(limit + 1)
        finally:
            body.close()
        if len(data) > limit:
            raise ObjectTooLarge(f"s3://{bucket}/{key} is larger than {limit} bytes")
        return data

    def read_uri(self, uri: str, *, limit: int = MAX_READ_BYTES) -> bytes:
        """The bytes of the object an ``s3://`` URI or ``https://`` S3 URL names.

        Raises:
            ObjectNotFound: The URI names no S3 object, or it does not exist.
            ObjectTooLarge: The object is larger than ``limit`` bytes.
        """
        bucket, key = parse_object_uri(uri)
        return self.read(bucket, key, limit=limit)

    def write(
        self,
        bucket: str,
        key: str,
        data: bytes,
        *,
        content_type: str = "application/json",
        kms_key_id: str | None = None,
    ) -> str:
        """Write ``data`` to ``s3://bucket/key``; returns the ``https://`` URL AWS would report.

        Args:
            bucket: The bucket (must exist).
            key: The object key.
            data: The bytes.
            content_type: The object's ``Content-Type``.
            kms_key_id: Ask for SSE-KMS with this key (recorded by the emulated S3, not applied).

        Raises:
            WriteRefused: The bucket does not exist, or the write was refused.
        """
        from botocore.exceptions import ClientError

        options: dict[str, Any] = {"ContentType": content_type}
        if kms_key_id:
            options.update(ServerSideEncryption="aws:kms", SSEKMSKeyId=kms_key_id)
        try:
            self.client().put_object(Bucket=bucket, Key=key, Body=data, **options)
        except ClientError as error:
            raise WriteRefused(f"s3://{bucket}/{key}") from error
        return https_object_url(self.region, bucket, key)

    def close(self) -> None:
        """Close the client's connections."""
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None
