"""A local emulator of Amazon Transcribe Medical (streaming + batch), for demos and tests.

Example:
    >>> from transcribe_medical.local import LocalTranscribeMedical
    >>> from transcribe_medical import StreamConfig
    >>> with LocalTranscribeMedical() as emu:                      # doctest: +SKIP
    ...     transcript = emu.client().streaming.transcribe_file("visit.wav", StreamConfig())

Importing this package needs only the base install; starting the batch side needs moto's server
and the default recognizer needs pocketsphinx (``pip install "transcribe-medical[local]"``).
See ``docs/emulator.md`` for what is emulated faithfully and what is simplified (speaker labels:
:mod:`~transcribe_medical.local.speakers`; PHI: :mod:`~transcribe_medical.local.phi`).
"""

from __future__ import annotations

from transcribe_medical.local.emulator import (
    DEFAULT_CREDENTIALS,
    INSTALL_HINT,
    LocalTranscribeMedical,
    local_extra_missing,
)
from transcribe_medical.local.recognizers import (
    PocketSphinxRecognizer,
    RecognizedWord,
    Recognizer,
    RecognizerSession,
    ScriptedRecognizer,
)
from transcribe_medical.local.samples import write_samples
from transcribe_medical.local.sigv4_verifier import EmulatorCredentials, SignatureRejected
from transcribe_medical.local.stream_parameters import ParameterError, StreamParameters
from transcribe_medical.local.streaming_server import FaultPlan, StreamingServer

__all__ = [
    "DEFAULT_CREDENTIALS",
    "INSTALL_HINT",
    "EmulatorCredentials",
    "FaultPlan",
    "LocalTranscribeMedical",
    "ParameterError",
    "PocketSphinxRecognizer",
    "RecognizedWord",
    "Recognizer",
    "RecognizerSession",
    "ScriptedRecognizer",
    "SignatureRejected",
    "StreamParameters",
    "StreamingServer",
    "local_extra_missing",
    "sample_conversation",
    "sample_dictation",
    "sample_visit",
    "write_samples",
]


def sample_dictation() -> tuple[str, str]:
    """The bundled sample: the path of ``sample_dictation.wav`` (16 kHz mono) and its reference text."""
    from importlib.resources import files

    data = files("transcribe_medical.local") / "data"
    wav = data / "sample_dictation.wav"
    text = (data / "sample_dictation.txt").read_text(encoding="utf-8").strip()
    return str(wav), text


def _turns(name: str) -> list[tuple[str, str]]:
    from importlib.resources import files

    turns = []
    for line in (files("transcribe_medical.local") / "data" / name).read_text(encoding="utf-8").splitlines():
        role, _, text = line.partition(":")
        if text.strip():
            turns.append((role.strip(), text.strip()))
    return turns


def sample_conversation() -> tuple[str, list[tuple[str, str]]]:
    """The demo's two-voice conversation: the path of ``sample_conversation.wav`` and its turns.

    The WAV is 16 kHz mono, one microphone in the room: the clinician (flite's ``rms`` voice) and
    the patient (``slt``) take turns, about 21 s of an invented visit that names the patient, their
    age, gender and a date (PHI). Speaker labels have to tell the voices apart. The turns are
    ``(role, text)`` pairs in order, role ``"CLINICIAN"`` or ``"PATIENT"``.
    """
    from importlib.resources import files

    return str(files("transcribe_medical.local") / "data" / "sample_conversation.wav"), _turns(
        "sample_conversation.txt"
    )


def sample_visit() -> tuple[str, list[tuple[str, str]]]:
    """The bundled two-person visit: the path of ``sample_visit.wav`` and its turns.

    The WAV is 16 kHz, 2 channels: the clinician (flite's ``rms`` voice) on channel 0, the patient
    (``slt``) on channel 1, about 36 s of an invented primary-care visit. The turns are
    ``(role, text)`` pairs in order, role ``"CLINICIAN"`` or ``"PATIENT"``.
    """
    from importlib.resources import files

    data = files("transcribe_medical.local") / "data"
    turns = []
    for line in (data / "sample_visit.txt").read_text(encoding="utf-8").splitlines():
        role, _, text = line.partition(":")
        if text.strip():
            turns.append((role.strip(), text.strip()))
    return str(data / "sample_visit.wav"), turns
