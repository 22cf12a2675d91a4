"""Data bundled with the local emulator: a synthetic medical dictation and a two-person visit for the demo.

The dictation was synthesised with flite (voice ``slt``) from an invented text - no patient data -
and converted to 16 kHz mono PCM16 with sox; ``scripts/make_sample_audio.sh`` regenerates it. The
visit (``sample_visit.wav``, 2 channels: clinician ``rms`` on channel 0, patient ``slt`` on
channel 1) and its turns (``sample_visit.txt``, ``ROLE: text`` per line) come from
``scripts/make_sample_visit.py``. The demo's conversation (``sample_conversation.wav``, 1 channel:
the same two voices taking turns, as one microphone records them) and its turns
(``sample_conversation.txt``) come from ``scripts/make_sample_conversation.py``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

__all__ = ["SAMPLE_DICTATION_TEXT", "SAMPLE_DICTATION_WAV", "sample_dictation_reference"]

_HERE = Path(__file__).resolve().parent
#: About 16 s of 16 kHz mono PCM16 WAV: a primary-care dictation.
SAMPLE_DICTATION_WAV: Final = _HERE / "sample_dictation.wav"
#: The text the sample speaks.
SAMPLE_DICTATION_TEXT: Final = _HERE / "sample_dictation.txt"


def sample_dictation_reference() -> str:
    """The text spoken in :data:`SAMPLE_DICTATION_WAV`, on one line."""
    return " ".join(SAMPLE_DICTATION_TEXT.read_text(encoding="utf-8").split())
