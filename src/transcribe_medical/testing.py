"""pytest plugin and helpers for testing code built on transcribe-medical.

Installed as a ``pytest11`` entry point, so the fixtures below are available in any project that
installs ``transcribe-medical[local]``. It imports nothing from the ``[local]`` extra (moto,
pocketsphinx) until a fixture is used, so merely having the plugin costs nothing.

Fixtures:

* ``transcribe_medical_emulator`` (session): a running
  :class:`~transcribe_medical.local.LocalTranscribeMedical` on free loopback ports, with the
  pocketsphinx recognizer.
* ``transcribe_medical_env`` (function): sets ``AWS_ENDPOINT_URL``,
  ``AWS_ENDPOINT_URL_TRANSCRIBE_STREAMING``, the credentials and ``AWS_REGION`` to the emulator's,
  so code that builds its own boto3 clients or :class:`~transcribe_medical.TranscribeMedical`
  reaches the emulator; afterwards the emulated buckets and jobs are cleared.
* ``transcribe_medical_client`` (function): a :class:`~transcribe_medical.TranscribeMedical`
  pointed at the emulator (the environment is set too).
* ``transcribe_medical_bucket`` (function): the name of a fresh bucket in the emulated S3.
* ``transcribe_medical_emulator_factory`` (function): ``factory(**options)`` starts an emulator
  with your own options (e.g. ``recognizer=ScriptedRecognizer("...")``, ``idle_timeout=0.5``,
  ``faults=FaultPlan(...)``); each is stopped after the test.

Example:
    .. code-block:: python

        def test_my_dictation_pipeline(transcribe_medical_client, transcribe_medical_bucket):
            transcript = transcribe_medical_client.jobs.transcribe_file(
                "tests/data/visit.wav", bucket=transcribe_medical_bucket, poll_interval=0.1
            )
            assert "chest pain" in transcript.text
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from transcribe_medical._client import TranscribeMedical
    from transcribe_medical.local.emulator import LocalTranscribeMedical

__all__ = [
    "transcribe_medical_bucket",
    "transcribe_medical_client",
    "transcribe_medical_emulator",
    "transcribe_medical_emulator_factory",
    "transcribe_medical_env",
]

EmulatorFactory = Callable[..., "LocalTranscribeMedical"]


def _start_emulator(**options: Any) -> LocalTranscribeMedical:
    from transcribe_medical.local.emulator import INSTALL_HINT, LocalTranscribeMedical, local_extra_missing

    missing = local_extra_missing()
    if missing is not None and options.get("batch", True):
        pytest.skip(f"{INSTALL_HINT} ({missing} is not installed)")
    emulator = LocalTranscribeMedical(**options)
    emulator.start()
    return emulator


@pytest.fixture(scope="session")
def transcribe_medical_emulator() -> Iterator[LocalTranscribeMedical]:
    """A running local emulator (streaming + batch) shared by the whole test session."""
    emulator = _start_emulator()
    try:
        yield emulator
    finally:
        emulator.stop()


@pytest.fixture
def transcribe_medical_emulator_factory() -> Iterator[EmulatorFactory]:
    """Start emulators with custom options (``factory(**LocalTranscribeMedical options)``)."""
    started: list[LocalTranscribeMedical] = []

    def factory(**options: Any) -> LocalTranscribeMedical:
        emulator = _start_emulator(**options)
        started.append(emulator)
        return emulator

    try:
        yield factory
    finally:
        for emulator in reversed(started):
            emulator.stop()


@pytest.fixture
def transcribe_medical_env(
    transcribe_medical_emulator: LocalTranscribeMedical, monkeypatch: pytest.MonkeyPatch
) -> Iterator[LocalTranscribeMedical]:
    """Point the standard ``AWS_*`` variables at the session emulator for one test."""
    for name in (
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_SESSION_TOKEN",
        "AWS_SECURITY_TOKEN",
        "AWS_ENDPOINT_URL_TRANSCRIBE",
        "AWS_ENDPOINT_URL_S3",
    ):
        monkeypatch.delenv(name, raising=False)
    for name, value in transcribe_medical_emulator.environment().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    try:
        yield transcribe_medical_emulator
    finally:
        transcribe_medical_emulator.wait_for_jobs(timeout=30)
        transcribe_medical_emulator.reset()


@pytest.fixture
def transcribe_medical_client(transcribe_medical_env: LocalTranscribeMedical) -> Iterator[TranscribeMedical]:
    """A ``TranscribeMedical`` client pointed at the emulator."""
    client = transcribe_medical_env.client()
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def transcribe_medical_bucket(transcribe_medical_env: LocalTranscribeMedical) -> str:
    """A fresh, empty bucket in the emulated S3."""
    return transcribe_medical_env.create_bucket()
