"""``LocalTranscribeMedical``: the whole emulator (streaming + batch) on loopback ports.

Example:
    >>> from transcribe_medical.local import LocalTranscribeMedical
    >>> with LocalTranscribeMedical() as emu:                     # doctest: +SKIP
    ...     client = emu.client()
    ...     transcript = client.streaming.transcribe_file("visit.wav", StreamConfig())

The batch side is moto's server (S3 and Transcribe on one endpoint, ``emu.endpoint_url``), patched
by :mod:`~transcribe_medical.local.moto_patches` so that jobs really run; the streaming side is
:class:`~transcribe_medical.local.streaming_server.StreamingServer` (``emu.streaming_endpoint``).
Both use one recognizer (pocketsphinx unless another is given) and accept only
``emu.credentials``.
"""

from __future__ import annotations

import logging
import secrets
import threading
import urllib.request
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, Self

from transcribe_medical import _limits
from transcribe_medical._logging import get_logger
from transcribe_medical.local.recognizers.interface import resolve_recognizer
from transcribe_medical.local.sigv4_verifier import EmulatorCredentials
from transcribe_medical.local.streaming_server import FaultPlan, StreamingServer
from transcribe_medical.local.vocabulary import Vocabulary, load_vocabulary

if TYPE_CHECKING:
    from transcribe_medical._client import AsyncTranscribeMedical, TranscribeMedical
    from transcribe_medical.local.batch_worker import BatchWorker
    from transcribe_medical.local.recognizers.interface import Recognizer

__all__ = ["DEFAULT_CREDENTIALS", "LocalTranscribeMedical", "local_extra_missing"]

_log = get_logger("local")

#: The credentials an emulator accepts unless told otherwise. They are not secrets.
DEFAULT_CREDENTIALS = EmulatorCredentials(
    access_key_id="AKIDLOCALEMULATOR000",
    secret_access_key="local-emulator-secret-not-a-real-key",  # noqa: S106  (a fixed test key)
)

INSTALL_HINT = 'the local emulator needs the [local] extra: pip install "transcribe-medical[local]"'


def local_extra_missing() -> str | None:
    """The name of a missing ``[local]`` dependency (moto's server, pocketsphinx), or ``None``."""
    import importlib.util

    for module in ("moto", "flask", "werkzeug", "pocketsphinx"):
        if importlib.util.find_spec(module) is None:
            return module
    return None


def _quiet_moto_logging() -> None:
    # werkzeug logs every request at INFO and installs its own handler when none is configured.
    for name in ("werkzeug", "moto"):
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET or logger.level < logging.WARNING:
            logger.setLevel(logging.WARNING)


class LocalTranscribeMedical:
    """A local emulator of Amazon Transcribe Medical: streaming and batch, no AWS account.

    Use it as a context manager (or :meth:`start` / :meth:`stop`). Every server binds ``host``
    (loopback by default) on a free port unless ports are given.

    Moto's state (buckets, objects, jobs, vocabularies) is process-wide: emulators in one process
    share it (each runs the jobs started through its own endpoint), and :meth:`reset` clears it.
    ``mock_aws()`` elsewhere in the process is not affected by the emulator's patches.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        streaming_port: int = 0,
        batch_port: int = 0,
        region: str = "us-east-1",
        credentials: EmulatorCredentials | None = None,
        recognizer: Recognizer | Callable[[], Recognizer] | None = None,
        clock: Callable[[], datetime] | None = None,
        idle_timeout: float = _limits.STREAM_IDLE_TIMEOUT_S,
        max_stream_seconds: float = _limits.STREAM_MAX_DURATION_S,
        max_concurrent_streams: int = _limits.CONCURRENT_STREAMS_DEFAULT,
        faults: FaultPlan | None = None,
        batch: bool = True,
        batch_workers: int = 2,
    ) -> None:
        """Configure the emulator (nothing starts until :meth:`start`).

        Args:
            host: Interface every server binds.
            streaming_port: WebSocket port (0: any free port).
            batch_port: moto server port for S3 + Transcribe (0: any free port).
            region: The emulated region (signatures must be scoped to it).
            credentials: Accepted credentials (default :data:`DEFAULT_CREDENTIALS`).
            recognizer: A recognizer or a factory of one (default: pocketsphinx, made on first use).
            clock: Current UTC time for signature checks (default: the system clock).
            idle_timeout: Seconds without audio before a stream ends (AWS: 15).
            max_stream_seconds: Longest stream (AWS: 4 hours).
            max_concurrent_streams: Streams at once before LimitExceededException (AWS default: 25).
            faults: A :class:`FaultPlan` for the streaming server.
            batch: Also run moto's server and the batch worker.
            batch_workers: Batch jobs transcribed at once.
        """
        self.host = host
        self.region = region
        self.credentials = credentials or DEFAULT_CREDENTIALS
        self._recognizer_source = recognizer
        self._recognizer: Recognizer | None = None
        self._recognizer_lock = threading.Lock()
        self._batch_port = batch_port
        self._batch_enabled = batch
        self._batch_workers = batch_workers
        self.streaming = StreamingServer(
            credentials=self.credentials,
            region=region,
            host=host,
            port=streaming_port,
            recognizer=self.recognizer,
            clock=clock,
            idle_timeout=idle_timeout,
            max_stream_seconds=max_stream_seconds,
            max_concurrent_streams=max_concurrent_streams,
            vocabulary_exists=self._vocabulary_exists if batch else None,
            vocabulary_loader=self._load_vocabulary if batch else None,
            faults=faults,
        )
        self._moto: Any = None
        self._worker: BatchWorker | None = None
        self._batch_url: str | None = None
        self._started = False

    # ----------------------------------------------------------------- lifecycle

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> None:
        """Start the servers (returns once they accept connections)."""
        if self._started:
            return
        try:
            if self._batch_enabled:
                self._start_batch()
            self.streaming.start()
        except BaseException:
            self.stop()
            raise
        self._started = True
        _log.info("emulator ready: batch %s, streaming %s", self._batch_url, self.streaming.endpoint)

    def _start_batch(self) -> None:
        from moto.server import ThreadedMotoServer

        from transcribe_medical.local.batch_worker import BatchWorker

        _quiet_moto_logging()
        self._moto = ThreadedMotoServer(ip_address=self.host, port=self._batch_port, verbose=False)
        self._moto.start()
        host, port = self._moto.get_host_and_port()
        shown = f"[{host}]" if ":" in host else host
        self._batch_url = f"http://{shown}:{port}"
        self._worker = BatchWorker(self.recognizer, port=port, max_workers=self._batch_workers)
        self._worker.start()

    def stop(self) -> None:
        """Stop every server; jobs in progress finish first."""
        self.streaming.stop()
        if self._worker is not None:
            self._worker.stop()
            self._worker = None
        if self._moto is not None:
            try:
                self._moto.stop()
            finally:
                self._moto = None
        self._started = False

    def reset(self) -> None:
        """Forget every emulated bucket, object, job and vocabulary."""
        from transcribe_medical.local.moto_patches import reset_state

        reset_state()

    def wait_for_jobs(self, timeout: float | None = None) -> None:
        """Block until every batch job started so far has finished."""
        if self._worker is not None:
            self._worker.drain(timeout)

    # ----------------------------------------------------------------- endpoints

    @property
    def streaming_endpoint(self) -> str:
        """``ws://127.0.0.1:PORT``: the streaming endpoint (``AWS_ENDPOINT_URL_TRANSCRIBE_STREAMING``)."""
        return self.streaming.endpoint

    @property
    def endpoint_url(self) -> str:
        """``http://127.0.0.1:PORT``: the S3 + Transcribe endpoint (``AWS_ENDPOINT_URL``).

        Raises:
            RuntimeError: The emulator was made with ``batch=False`` or is not started.
        """
        if self._batch_url is None:
            raise RuntimeError("the batch endpoint is not running (start the emulator with batch=True)")
        return self._batch_url

    @property
    def faults(self) -> FaultPlan | None:
        """The streaming :class:`FaultPlan` for new streams (assignable)."""
        return self.streaming.faults

    @faults.setter
    def faults(self, plan: FaultPlan | None) -> None:
        self.streaming.faults = plan

    def environment(self) -> dict[str, str]:
        """The variables that point boto3, the SDK and the CLI at this emulator."""
        env = {}
        if self._batch_url is not None:
            env["AWS_ENDPOINT_URL"] = self._batch_url
        env["AWS_ENDPOINT_URL_TRANSCRIBE_STREAMING"] = self.streaming_endpoint
        env.update(self.credentials.as_environment())
        env["AWS_REGION"] = self.region
        return env

    def recognizer(self) -> Recognizer:
        """The recognizer shared by streaming and batch (made on first use)."""
        with self._recognizer_lock:
            if self._recognizer is None:
                self._recognizer = resolve_recognizer(self._recognizer_source)
            assert self._recognizer is not None
            return self._recognizer

    def _vocabulary_exists(self, name: str) -> bool:
        from transcribe_medical.local.moto_patches import medical_vocabulary_exists

        try:
            return medical_vocabulary_exists(name, region=self.region)
        except Exception:  # an account other than moto's default: do not refuse
            return True

    def _load_vocabulary(self, name: str) -> Vocabulary | None:
        from transcribe_medical.local.moto_patches import DEFAULT_ACCOUNT_ID

        return load_vocabulary(name, DEFAULT_ACCOUNT_ID, self.region)

    # ----------------------------------------------------------------- clients

    def boto3_session(self) -> Any:
        """A boto3 session with the emulator's credentials and region."""
        import boto3

        return boto3.Session(
            aws_access_key_id=self.credentials.access_key_id,
            aws_secret_access_key=self.credentials.secret_access_key,
            aws_session_token=self.credentials.session_token,
            region_name=self.region,
        )

    def boto3_client(self, service: str) -> Any:
        """A plain boto3 client (``"s3"``, ``"transcribe"``) pointed at the emulator."""
        return self.boto3_session().client(service, endpoint_url=self.endpoint_url)

    def client(self, **options: Any) -> TranscribeMedical:
        """A :class:`~transcribe_medical.TranscribeMedical` pointed at this emulator.

        Args:
            **options: More keyword arguments for the client (e.g. ``config=``).
        """
        from transcribe_medical._client import TranscribeMedical

        return TranscribeMedical(**self._client_options(options))

    def async_client(self, **options: Any) -> AsyncTranscribeMedical:
        """An :class:`~transcribe_medical.AsyncTranscribeMedical` pointed at this emulator."""
        from transcribe_medical._client import AsyncTranscribeMedical

        return AsyncTranscribeMedical(**self._client_options(options))

    def _client_options(self, options: dict[str, Any]) -> dict[str, Any]:
        merged: dict[str, Any] = {
            "region_name": self.region,
            "streaming_endpoint_url": self.streaming_endpoint,
            "boto3_session": self.boto3_session(),
        }
        if self._batch_url is not None:
            merged["endpoint_url"] = self._batch_url
        merged.update(options)
        return merged

    def create_bucket(self, name: str | None = None) -> str:
        """Create a bucket in the emulated S3 (a random name if none is given); returns its name."""
        bucket = name or f"emulator-{secrets.token_hex(4)}"
        self.boto3_client("s3").create_bucket(Bucket=bucket)
        return bucket

    def is_healthy(self) -> bool:
        """Whether the moto server answers (for scripts that start the emulator elsewhere)."""
        if self._batch_url is None:
            return False
        try:
            with urllib.request.urlopen(f"{self._batch_url}/moto-api/data.json", timeout=2) as answer:  # noqa: S310
                return bool(answer.status == 200)
        except OSError:
            return False
