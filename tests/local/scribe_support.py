"""Helpers of the HealthScribe emulator tests: a turn-by-turn fake recognizer and synthetic visits."""

from __future__ import annotations

import io
import math
import threading
import wave
from collections.abc import Sequence
from dataclasses import dataclass

from transcribe_medical.local import RecognizedWord

RATE = 16_000
ROLE_ARN = "arn:aws:iam::123456789012:role/HealthScribeAccess"
CHANNELS = [{"ChannelId": 0, "ParticipantRole": "CLINICIAN"}, {"ChannelId": 1, "ParticipantRole": "PATIENT"}]

#: A short visit, turn by turn: (role, words).
VISIT: list[tuple[str, str]] = [
    ("CLINICIAN", "good morning what brings you in today"),
    ("PATIENT", "i have had a sore throat and a cough for five days"),
    ("CLINICIAN", "have you had a fever or any shortness of breath"),
    ("PATIENT", "i had a fever last night but no shortness of breath"),
    ("CLINICIAN", "do you have any other medical problems"),
    ("PATIENT", "i have asthma and i use an inhaler"),
    ("CLINICIAN", "your lungs are clear and your throat is red"),
    ("CLINICIAN", "i think this is a viral infection"),
    ("CLINICIAN", "drink plenty of fluids and take ibuprofen for the fever"),
    ("PATIENT", "thank you doctor"),
]


class TurnsSession:
    """A session that "recognises" the next line of its script at each end of utterance."""

    def __init__(self, lines: Sequence[str]) -> None:
        self._lines = list(lines)
        self._received = 0
        self._start = 0.0

    def accept_audio(self, pcm16_mono: bytes) -> None:
        self._received += len(pcm16_mono)

    def partial(self) -> list[RecognizedWord]:
        return []

    def finish_utterance(self) -> list[RecognizedWord]:
        now = self._received / (2 * RATE)
        if not self._lines or now <= self._start:
            self._start = now
            return []
        words = self._lines.pop(0).split()
        slot = (now - self._start) / len(words)
        found = [
            RecognizedWord(word, round(self._start + i * slot, 3), round(self._start + (i + 0.8) * slot, 3), 0.9)
            for i, word in enumerate(words)
        ]
        self._start = now
        return found

    def close(self) -> None:
        pass


class TurnsRecognizer:
    """Hands session *k* the script ``scripts[k % len(scripts)]`` (set with :meth:`use`).

    A 2-channel job opens a session per channel (clinician's first); a speaker-labels job one.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._scripts: list[list[str]] = [[]]
        self._count = 0

    def use(self, *scripts: Sequence[str]) -> None:
        with self._lock:
            self._scripts = [list(script) for script in scripts]
            self._count = 0

    def new_session(self, sample_rate: int) -> TurnsSession:
        assert sample_rate == RATE
        with self._lock:
            script = self._scripts[self._count % len(self._scripts)]
            self._count += 1
        return TurnsSession(script)


def use_channels(recognizer: TurnsRecognizer, visit: Sequence[tuple[str, str]] = VISIT) -> None:
    """Script a channel-identification job: clinician's lines on channel 0, patient's on 1."""
    recognizer.use([t for r, t in visit if r == "CLINICIAN"], [t for r, t in visit if r == "PATIENT"])


def use_speakers(recognizer: TurnsRecognizer, visit: Sequence[tuple[str, str]] = VISIT) -> None:
    """Script a speaker-labels job: every line in time order on the mixed channel."""
    recognizer.use([text for _, text in visit])


@dataclass(frozen=True)
class Tone:
    """What a participant "sounds like" in the synthetic audio: a tone (speakers differ by pitch)."""

    hertz: float


VOICES = {"CLINICIAN": Tone(180.0), "PATIENT": Tone(950.0)}


def visit_wav(visit: Sequence[tuple[str, str]] = VISIT, *, channels: int = 2, gap_s: float = 1.5) -> bytes:
    """A WAV of the visit: each turn a tone (1 s + 0.2 s per word) on its speaker's channel.

    Turns are separated by ``gap_s`` of digital silence on every channel. With ``channels=1`` the
    tones are on the one channel.
    """
    frames = bytearray()
    gap = bytes(int(gap_s * RATE) * 2 * channels)
    frames += gap
    for role, text in visit:
        seconds = 1.0 + 0.2 * len(text.split())
        tone = VOICES[role]
        speaking = 0 if role == "CLINICIAN" else 1
        for n in range(int(seconds * RATE)):
            value = int(8000 * math.sin(2 * math.pi * tone.hertz * n / RATE)) or 1
            sample = value.to_bytes(2, "little", signed=True)
            if channels == 1:
                frames += sample
            else:
                frames += sample + b"\x00\x00" if speaking == 0 else b"\x00\x00" + sample
        frames += gap
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(2)
        wav.setframerate(RATE)
        wav.writeframes(bytes(frames))
    return out.getvalue()
