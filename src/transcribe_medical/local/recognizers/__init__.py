"""Speech recognizers for the local emulator.

* :class:`PocketSphinxRecognizer` - real offline recognition (the ``[local]`` extra), imported
  lazily so this package loads without pocketsphinx;
* :class:`ScriptedRecognizer` - deterministic words from a reference text, for tests and benchmarks.

Both implement :class:`Recognizer`. Audio is mono PCM16; use :func:`split_channels` or
:func:`mix_to_mono` for 2-channel streams.
"""

from __future__ import annotations

from transcribe_medical.local.recognizers.interface import RecognizedWord, Recognizer, RecognizerSession
from transcribe_medical.local.recognizers.pcm import LinearResampler, mix_to_mono, resample, split_channels
from transcribe_medical.local.recognizers.scoring import normalize_words, word_error_rate
from transcribe_medical.local.recognizers.scripted import ScriptedRecognizer, ScriptedSession
from transcribe_medical.local.recognizers.sphinx import PocketSphinxRecognizer, PocketSphinxSession

__all__ = [
    "LinearResampler",
    "PocketSphinxRecognizer",
    "PocketSphinxSession",
    "RecognizedWord",
    "Recognizer",
    "RecognizerSession",
    "ScriptedRecognizer",
    "ScriptedSession",
    "mix_to_mono",
    "normalize_words",
    "resample",
    "split_channels",
    "word_error_rate",
]
