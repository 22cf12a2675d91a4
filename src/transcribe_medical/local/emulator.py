"""``LocalTranscribeMedical``: the whole emulator (streaming + batch) on loopback ports.

Example:
    >>> from transcribe_medical.local import LocalTranscribeMedical
    >>> with LocalTranscribeMedical() as emu:                     # doctest: +SKIP
    ...     client = emu.client()
    ...     transcript = client.streaming.transcribe_file("visit.wav", StreamConfig())

The batch side (``emu.endpoint_url``) is moto's WSGI app (S3 and the rest of Transcribe) behind a
list of WSGI layers (:meth:`LocalTranscribeMedical.batch_layers`) that answer what moto lacks: the
medical jobs and vocabularies (:mod:`~transcribe_medical.local.medical_service`), run by the batch
worker (:mod:`~transcribe_medical.local.batch_worker`), and AWS HealthScribe's jobs and vocabulary
filters (:mod:`~transcribe_medical.local.scribe_service`, run by its own worker). moto itself is
never patched. The
streaming side is :class:`~transcribe_medical.local.streaming_server.StreamingServer`
(``emu.streaming_endpoint``); on the same port, connections that open with the HTTP/2 preface go
to HealthScribe streaming (:mod:`~transcribe_medical.local.scribe_stream_server`,
``emu.scribe_streams``). All use one recognizer (pocketsphinx unless another is given).
"""

from __future__ import annotations

import logging
import secrets
import threading
import urllib.request
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Self

from transcribe_medical import _limits
from transcribe_medical._logging import get_logger
from transcribe_medical.local.recognizers.interface import resolve_recognizer
from transcribe_medical.local.sigv4_verifier import EmulatorCredentials
from transcribe_medical.local.streaming_server import FaultPlan, StreamingServer

if TYPE_CHECKING:
    from transcribe_medical._client import AsyncTranscribeMedical, TranscribeMedical
    from transcribe_medical.local.aws_json import Layer
    from transcribe_medical.local.batch_worker import BatchWorker
    from transcribe_medical.local.emulated_s3 import EmulatedS3
    from transcribe_medical.local.layered_server import LayeredMotoServer
    from transcribe_medical.local.medical_service import MedicalTranscribeLayer
    from transcribe_medical.local.recognizers.interface import Recognizer
    from transcribe_medical.local.scribe_service import ScribeServiceLayer
    from transcribe_medical.local.scribe_stream_server import ScribeStreamServer
    from transcribe_medical.local.vocabulary import Vocabulary

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


def _loopback_opener() -> urllib.request.OpenerDirector:
    # The endpoint is on this machine: never send its requests through a proxy from the environment.
    return urllib.request.build_opener(urllib.request.ProxyHandler({}))


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

    Medical jobs and vocabularies belong to each emulator; the emulated S3 is moto's, whose state
    is process-wide (emulators in one process, and ``mock_aws()``, share buckets and objects).
    :meth:`reset` clears both. ``mock_aws()`` elsewhere in the process behaves as released: moto
    is never patched.
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
        layers: Sequence[Layer] = (),
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
            batch: Also run the batch endpoint (moto + the emulator's layers) and the batch worker.
            batch_workers: Batch jobs transcribed at once.
            layers: More WSGI layers in front of the batch endpoint, outermost first (e.g. a
                :class:`~transcribe_medical.local.throttled_moto.ThrottlingMiddleware`).
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
        self._extra_layers = list(layers)
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
        self.scribe_streams = self._scribe_streams(clock, batch)
        self.scribe_streams.idle_timeout = idle_timeout
        self.streaming.http2_protocol = self.scribe_streams.protocol
        self._medical: MedicalTranscribeLayer | None = None
        self._scribe: ScribeServiceLayer | None = None
        self._server: LayeredMotoServer | None = None
        self._s3: EmulatedS3 | None = None
        self._worker: BatchWorker | None = None
        self._batch_url: str | None = None
        self._started = False

    def _scribe_streams(self, clock: Callable[[], datetime] | None, batch: bool) -> ScribeStreamServer:
        # HealthScribe streaming shares the streaming port (HTTP/2) and the batch side's stores.
        from transcribe_medical.local.medical_jobs import DEFAULT_ACCOUNT_ID
        from transcribe_medical.local.scribe_stream_server import ScribeStreamServer

        region = self.region
        return ScribeStreamServer(
            credentials=self.credentials,
            region=region,
            recognizer=self.recognizer,
            s3=lambda: self._s3,
            account_id=DEFAULT_ACCOUNT_ID,
            clock=clock,
            filter_words=(lambda name: self.scribe.filters.words(region, name)) if batch else None,
            vocabulary=(lambda name: self.medical.vocabularies.vocabulary(region, name)) if batch else None,
        )

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

    @property
    def medical(self) -> MedicalTranscribeLayer:
        """The layer that answers the medical job and vocabulary operations (its stores hold them).

        Raises:
            RuntimeError: The emulator was made with ``batch=False``.
        """
        if self._medical is None:
            if not self._batch_enabled:
                raise RuntimeError("the batch endpoint is off (start the emulator with batch=True)")
            from transcribe_medical.local.medical_service import MedicalTranscribeLayer

            self._medical = MedicalTranscribeLayer(region=self.region)
        return self._medical

    @property
    def scribe(self) -> ScribeServiceLayer:
        """The layer that answers the HealthScribe job and vocabulary-filter operations (its stores hold them).

        Raises:
            RuntimeError: The emulator was made with ``batch=False``.
        """
        if self._scribe is None:
            medical = self.medical
            from transcribe_medical.local.scribe_service import ScribeServiceLayer

            self._scribe = ScribeServiceLayer(
                region=self.region,
                recognizer=self.recognizer,
                s3=lambda: self._require_s3(),
                vocabulary=lambda region, name: medical.vocabularies.vocabulary(region, name),
                vocabulary_exists=lambda region, name: medical.vocabularies.state(region, name) == "READY",
            )
        return self._scribe

    def _require_s3(self) -> EmulatedS3:
        if self._s3 is None:
            raise RuntimeError("the batch endpoint is not running")
        return self._s3

    def emulated_s3(self) -> EmulatedS3:
        """The emulator's client of its own S3, over the public S3 API (for the workers of its layers).

        Raises:
            RuntimeError: The batch endpoint is not running.
        """
        if self._s3 is None:
            raise RuntimeError("the batch endpoint is not running (start the emulator with batch=True)")
        return self._s3

    def batch_layers(self) -> list[Layer]:
        """The WSGI layers in front of moto, outermost first: the caller's, then each service's."""
        return [*self._extra_layers, self.medical, self.scribe]

    def _start_batch(self) -> None:
        from transcribe_medical.local.batch_worker import BatchWorker
        from transcribe_medical.local.emulated_s3 import EmulatedS3
        from transcribe_medical.local.layered_server import LayeredMotoServer

        _quiet_moto_logging()
        self._server = LayeredMotoServer(self.batch_layers(), host=self.host, port=self._batch_port)
        self._server.start()
        self._batch_url = self._server.endpoint_url
        self._s3 = EmulatedS3(self._batch_url, self.credentials, self.region)
        medical = self.medical
        self._worker = BatchWorker(
            self.recognizer, self._s3, medical.vocabularies.vocabulary, max_workers=self._batch_workers
        )
        self._worker.start()
        medical.on_job = self._worker.submit_job
        medical.on_vocabulary = self._worker.submit_vocabulary

    def stop(self) -> None:
        """Stop every server; jobs in progress finish first."""
        self.scribe_streams.close()
        self.streaming.stop()
        if self._medical is not None:
            self._medical.on_job = self._medical.on_vocabulary = None
        if self._worker is not None:
            self._worker.stop()
            self._worker = None
        if self._scribe is not None:
            self._scribe.close()
        if self._server is not None:
            try:
                self._server.stop()
            finally:
                self._server = None
        if self._s3 is not None:
            self._s3.close()
            self._s3 = None
        self._started = False

    def reset(self) -> None:
        """Forget every emulated bucket, object, job and vocabulary.

        Sends moto's public ``POST /moto-api/reset`` through the batch endpoint, which also clears
        every layer's state on its way; jobs in progress finish unseen.
        """
        if self._medical is not None:
            self._medical.reset()
        if self._scribe is not None:
            self._scribe.reset()
        if self._batch_url is None:
            return
        reset = urllib.request.Request(f"{self._batch_url}/moto-api/reset", method="POST")  # noqa: S310  (http only)
        with _loopback_opener().open(reset, timeout=10) as answer:
            answer.read()

    def wait_for_jobs(self, timeout: float | None = None) -> None:
        """Block until every batch job (medical and HealthScribe) started so far has finished."""
        if self._worker is not None:
            self._worker.drain(timeout)
        if self._scribe is not None:
            self._scribe.drain(timeout)

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
        # A stream may use a vocabulary once it is READY, as a batch job may.
        return self.medical.vocabularies.state(self.region, name) == "READY"

    def _load_vocabulary(self, name: str) -> Vocabulary | None:
        return self.medical.vocabularies.vocabulary(self.region, name)

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
            with _loopback_opener().open(f"{self._batch_url}/moto-api/data.json", timeout=2) as answer:
                return bool(answer.status == 200)
        except OSError:
            return False
