#!/usr/bin/env python3
"""Regenerate the demo's two-voice conversation (``sample_conversation.wav`` + ``.txt``).

Needs flite and sox (Debian: ``apt-get install -y flite sox``); the demo and the tests do not, since
the outputs are committed. Unlike the HealthScribe visit (one voice per channel), this is one
channel, as a single microphone in the room records it: the clinician speaks with flite's ``rms``
voice and the patient with ``slt``, a second of silence between turns, so the emulator has to tell
the two voices apart (speaker labels) and close an utterance at each pause. The text is invented
(no real patient data) and says things the emulator's PHI rules find: a name after a title, an
age, a gender word and a date.

Usage: python scripts/make_sample_conversation.py    (writes into src/transcribe_medical/local/data)
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

#: The conversation, turn by turn (pocketsphinx reads these words from these voices reliably).
TURNS: list[tuple[str, str]] = [
    ("CLINICIAN", "good morning mister jones."),
    ("PATIENT", "i have had chest pain and a bad cough for two days."),
    ("CLINICIAN", "so you are a fifty two year old male with chest pain and a cough."),
    ("PATIENT", "yes doctor."),
    ("CLINICIAN", "we will see you again on march third."),
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
    """Write the conversation WAV (1 channel, 16 kHz) and its turns."""
    for tool in ("flite", "sox"):
        if shutil.which(tool) is None:
            print(f"missing {tool}: apt-get install -y flite sox", file=sys.stderr)
            return 1
    data = Path(__file__).resolve().parent.parent / "src" / "transcribe_medical" / "local" / "data"
    audio = bytearray()
    with tempfile.TemporaryDirectory() as tmp:
        for turn, (role, text) in enumerate(TURNS):
            if turn:
                audio += bytes(int(GAP_S * RATE) * 2)
            audio += synthesise(text, VOICES[role], Path(tmp))
    with wave.open(str(data / "sample_conversation.wav"), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(bytes(audio))
    lines = [f"{role}: {text}" for role, text in TURNS]
    (data / "sample_conversation.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {data / 'sample_conversation.wav'} ({len(audio) / 2 / RATE:.1f} s, 1 channel) and its turns")
    return 0


if __name__ == "__main__":
    sys.exit(main())
