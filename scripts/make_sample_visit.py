#!/usr/bin/env python3
"""Regenerate the bundled two-person visit of the HealthScribe demo (``sample_visit.wav`` + ``.txt``).

Needs flite and sox (Debian: ``apt-get install -y flite sox``); the demo and the tests do not, since
the outputs are committed. The clinician speaks with flite's ``rms`` voice on channel 0 and the
patient with ``slt`` on channel 1 (both are read almost perfectly by pocketsphinx's default model,
see the project's test-speech notes); while one speaks, the other channel is silent. The text is
invented: it contains no real patient data.

Usage: python scripts/make_sample_visit.py      (writes into src/transcribe_medical/local/data)
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import wave
from pathlib import Path

RATE = 16_000
GAP_S = 1.0  # silence between turns: long enough for the recognizer to close an utterance
VOICES = {"CLINICIAN": "rms", "PATIENT": "slt"}
CHANNELS = {"CLINICIAN": 0, "PATIENT": 1}

#: The visit, turn by turn: a primary-care visit for a sore throat.
TURNS: list[tuple[str, str]] = [
    ("CLINICIAN", "good morning. what brings you in today?"),
    ("PATIENT", "i have had a sore throat and a bad cough for five days."),
    ("CLINICIAN", "have you had a fever or any shortness of breath?"),
    ("PATIENT", "i had a fever last night but no shortness of breath."),
    ("CLINICIAN", "do you have any medical problems?"),
    ("PATIENT", "i have asthma."),
    ("CLINICIAN", "your lungs are clear and your throat is red."),
    ("CLINICIAN", "i think this is a viral infection."),
    ("CLINICIAN", "drink plenty of fluids and take ibuprofen for the fever."),
    ("PATIENT", "thank you doctor."),
]


def synthesise(text: str, voice: str, work: Path) -> bytes:
    """Mono PCM16 at 16 kHz of ``text`` spoken by flite's ``voice``."""
    raw, converted = work / "raw.wav", work / "converted.wav"
    subprocess.run(["flite", "-voice", voice, "-t", text, "-o", str(raw)], check=True)  # noqa: S603, S607
    # -R: repeatable dither, so regenerating gives the same bytes.
    sox = ["sox", "-R", str(raw), "-r", str(RATE), "-c", "1", "-b", "16", str(converted)]
    subprocess.run(sox, check=True)  # noqa: S603  (fixed arguments, tools found on PATH)
    with wave.open(str(converted), "rb") as clip:
        return clip.readframes(clip.getnframes())


def main() -> int:
    """Write the visit WAV (2 channels, 16 kHz) and its reference text."""
    for tool in ("flite", "sox"):
        if shutil.which(tool) is None:
            print(f"missing {tool}: apt-get install -y flite sox", file=sys.stderr)
            return 1
    data = Path(__file__).resolve().parent.parent / "src" / "transcribe_medical" / "local" / "data"
    tracks = [bytearray(), bytearray()]
    gap = bytes(int(GAP_S * RATE) * 2)
    with tempfile.TemporaryDirectory() as tmp:
        for role, text in TURNS:
            speech = synthesise(text, VOICES[role], Path(tmp))
            speaking = CHANNELS[role]
            tracks[speaking] += speech
            tracks[1 - speaking] += bytes(len(speech))
            for track in tracks:
                track += gap
    frames = bytearray()
    for index in range(0, len(tracks[0]), 2):
        frames += tracks[0][index : index + 2] + tracks[1][index : index + 2]
    with wave.open(str(data / "sample_visit.wav"), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(bytes(frames))
    lines = [f"{role}: {text}" for role, text in TURNS]
    (data / "sample_visit.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    seconds = len(tracks[0]) / 2 / RATE
    print(f"wrote {data / 'sample_visit.wav'} ({seconds:.1f} s, 2 channels) and sample_visit.txt")
    return 0


if __name__ == "__main__":
    sys.exit(main())
