"""What the docs' runnable examples run against: the emulator, the files they name, fake devices.

A block names the fixtures it needs in its marker, ``<!-- run: emulator_env, comprehend_medical -->``.
The fixtures here change the *environment*, never the example: the example is the code a reader
runs against AWS, and it reaches the emulator through the same ``AWS_*`` variables that
``transcribe-medical serve`` prints.

* ``sample_files``: the working directory holds the files the examples name: ``dictation.wav`` and
  ``visit.wav`` (the bundled 16 kHz mono sample dictation), ``dictation.pcm`` and ``visit.pcm``
  (the same audio as raw PCM16), ``visit.json`` (a batch job's output with one PHI entity).
* ``emulator_env``: ``sample_files``, plus a running emulator (scripted recognizer: it "hears" the
  sample's reference text, fast and deterministic) with ``AWS_ENDPOINT_URL``,
  ``AWS_ENDPOINT_URL_TRANSCRIBE_STREAMING``, the credentials and ``AWS_REGION`` set to it. Audio
  is sent as fast as possible rather than at the speed of speech, and batch polls wait at most
  50 ms: the examples keep their defaults, the test does not wait.
* ``my_bucket``: ``emulator_env`` with a bucket ``my-bucket`` (the emulator starts with none; a
  reader creates it as ``index.md`` shows).
* ``emulator_jobs``: ``my_bucket`` with two jobs already run: ``visit-0001`` (COMPLETED, with
  PHI identification) and ``visit-0002`` (FAILED: its media is missing).
* ``comprehend_medical``: ``AWS_ENDPOINT_URL_COMPREHENDMEDICAL`` points at a small fake of Amazon
  Comprehend Medical (the emulator does not emulate it) that finds a few fixed terms.
* ``microphone``: a fake ``sounddevice`` whose default input device "hears" the sample dictation,
  then silence.
"""

from __future__ import annotations

import json
import shutil
import sys
import threading
import types
import wave
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from transcribe_medical.local.data import SAMPLE_DICTATION_WAV, sample_dictation_reference

VECTORS = Path(__file__).resolve().parents[1] / "vectors"
BUCKET = "my-bucket"


def _pcm(path: Path) -> bytes:
    with wave.open(str(path), "rb") as audio:
        return audio.readframes(audio.getnframes())


@pytest.fixture
def sample_files(tmp_path: Path) -> Path:
    """The files the examples name, in the directory the example runs in."""
    for name in ("dictation.wav", "visit.wav"):
        shutil.copyfile(SAMPLE_DICTATION_WAV, tmp_path / name)
    pcm = _pcm(Path(SAMPLE_DICTATION_WAV))
    for name in ("dictation.pcm", "visit.pcm"):
        (tmp_path / name).write_bytes(pcm)
    shutil.copyfile(VECTORS / "batch_outputs" / "phi.json", tmp_path / "visit.json")
    return tmp_path


@pytest.fixture
def fast_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """Send audio without real-time pacing and poll batch jobs at most every 50 ms."""
    from transcribe_medical.batch._polling import PollSchedule
    from transcribe_medical.streaming.audio import Pacer

    pace = Pacer.delay_for

    def no_pacing(self: Pacer, n_bytes: int, now: float) -> float:
        pace(self, n_bytes, now)  # keep the pacer's accounting
        return 0.0

    next_delay = PollSchedule.next_delay

    def quick_polls(self: PollSchedule) -> float | None:
        delay = next_delay(self)
        return None if delay is None else min(delay, 0.05)

    monkeypatch.setattr(Pacer, "delay_for", no_pacing)
    monkeypatch.setattr(PollSchedule, "next_delay", quick_polls)


@pytest.fixture(scope="session")
def docs_emulator() -> Iterator[Any]:
    """One emulator for the docs, with a scripted recognizer of the sample dictation."""
    from transcribe_medical.local import ScriptedRecognizer
    from transcribe_medical.local.emulator import INSTALL_HINT, LocalTranscribeMedical, local_extra_missing

    missing = local_extra_missing()
    if missing is not None:
        pytest.skip(f"{INSTALL_HINT} ({missing} is not installed)")
    with LocalTranscribeMedical(recognizer=ScriptedRecognizer(sample_dictation_reference())) as emulator:
        yield emulator


@pytest.fixture
def emulator_env(
    docs_emulator: Any, sample_files: Path, fast_time: None, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Any]:
    """The ``AWS_*`` variables point at the docs' emulator (which starts with no buckets)."""
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    for name, value in docs_emulator.environment().items():
        monkeypatch.setenv(name, value)
    try:
        yield docs_emulator
    finally:
        docs_emulator.wait_for_jobs(timeout=30)
        docs_emulator.reset()


@pytest.fixture
def my_bucket(emulator_env: Any) -> str:
    """The bucket ``my-bucket`` exists in the emulated S3 (the reader's own bucket)."""
    return str(emulator_env.create_bucket(BUCKET))


@pytest.fixture
def emulator_jobs(emulator_env: Any, my_bucket: str, sample_files: Path) -> Any:
    """Jobs ``visit-0001`` (COMPLETED, PHI identified) and ``visit-0002`` (FAILED) exist."""
    from transcribe_medical import StartJobRequest

    with emulator_env.client() as client:
        emulator_env.boto3_client("s3").upload_file(str(sample_files / "visit.wav"), BUCKET, "audio/visit.wav")
        for name, key in (("visit-0001", "audio/visit.wav"), ("visit-0002", "audio/missing.wav")):
            client.jobs.start(
                StartJobRequest(
                    job_name=name,
                    media_uri=f"s3://{BUCKET}/{key}",
                    output_bucket=BUCKET,
                    type="CONVERSATION",
                    content_identification="PHI",
                )
            )
        emulator_env.wait_for_jobs(timeout=30)
    return emulator_env


# --------------------------------------------------------------------------- Comprehend Medical

#: term -> (category, type, ontology concept (code, description) or None)
_CLINICAL_TERMS: dict[str, tuple[str, str, tuple[str, str] | None]] = {
    "chest pain": ("MEDICAL_CONDITION", "DX_NAME", ("R07.9", "Chest pain, unspecified")),
    "shortness of breath": ("MEDICAL_CONDITION", "DX_NAME", ("R06.02", "Shortness of breath")),
    "nausea": ("MEDICAL_CONDITION", "DX_NAME", ("R11.0", "Nausea")),
    "aspirin": ("MEDICATION", "GENERIC_NAME", ("1191", "aspirin")),
    "apixaban": ("MEDICATION", "GENERIC_NAME", ("1364430", "apixaban")),
    "electrocardiogram": ("TEST_TREATMENT_PROCEDURE", "TEST_NAME", None),
}

_OPERATIONS = {  # X-Amz-Target operation -> (categories it returns, concepts member)
    "DetectEntitiesV2": (None, None),
    "InferICD10CM": ("MEDICAL_CONDITION", "ICD10CMConcepts"),
    "InferRxNorm": ("MEDICATION", "RxNormConcepts"),
}


def _find_entities(operation: str, text: str) -> list[dict[str, Any]]:
    only, concepts_member = _OPERATIONS[operation]
    entities: list[dict[str, Any]] = []
    lowered = text.lower()
    for term, (category, kind, concept) in _CLINICAL_TERMS.items():
        if only is not None and category != only:
            continue
        start = lowered.find(term)
        while start >= 0:
            end = start + len(term)
            entity: dict[str, Any] = {
                "Id": len(entities),
                "BeginOffset": start,
                "EndOffset": end,
                "Score": 0.97,
                "Text": text[start:end],
                "Category": category,
                "Type": kind,
                "Traits": [],
            }
            if concepts_member is not None and concept is not None:
                code, description = concept
                entity[concepts_member] = [{"Code": code, "Description": description, "Score": 0.9}]
            entities.append(entity)
            start = lowered.find(term, end)
    return sorted(entities, key=lambda entity: entity["BeginOffset"])


class _ComprehendMedicalHandler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        operation = self.headers.get("X-Amz-Target", "").rpartition(".")[2]
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        if operation in _OPERATIONS and isinstance(body.get("Text"), str):
            status, answer = 200, {"Entities": _find_entities(operation, body["Text"]), "ModelVersion": "0.0.0"}
        else:
            status, answer = 400, {"__type": "InvalidRequestException", "Message": f"unsupported: {operation}"}
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="session")
def _comprehend_medical_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _ComprehendMedicalHandler)
    thread = threading.Thread(target=server.serve_forever, name="fake-comprehend-medical", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def comprehend_medical(_comprehend_medical_server: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """``AWS_ENDPOINT_URL_COMPREHENDMEDICAL`` points at a fake Comprehend Medical."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_COMPREHENDMEDICAL", _comprehend_medical_server)
    return _comprehend_medical_server


# --------------------------------------------------------------------------- microphone


class _FakeInputStream:
    """``sounddevice.RawInputStream``'s reading side: the sample dictation, then silence."""

    def __init__(self, *, samplerate: int, channels: int, dtype: str, blocksize: int, device: object) -> None:
        assert (samplerate, channels, dtype) == (16_000, 1, "int16"), "the fake microphone records 16 kHz mono"
        self._audio = _pcm(Path(SAMPLE_DICTATION_WAV))
        self._position = 0

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass

    def close(self) -> None:
        pass

    def read(self, frames: int) -> tuple[bytes, bool]:
        size = frames * 2
        chunk = self._audio[self._position : self._position + size]
        self._position += size
        return chunk + bytes(size - len(chunk)), False


@pytest.fixture
def microphone(monkeypatch: pytest.MonkeyPatch) -> None:
    """A fake ``sounddevice`` module whose default input hears the sample dictation."""
    module = types.ModuleType("sounddevice")
    module.RawInputStream = _FakeInputStream  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "sounddevice", module)
