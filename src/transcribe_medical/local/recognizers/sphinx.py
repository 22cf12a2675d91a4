"""Offline speech recognition with pocketsphinx's bundled US-English model (the ``[local]`` extra).

Good enough for the emulator's demo and tests on clear speech (a flite-synthesised dictation is
read almost perfectly); it knows nothing of medical vocabulary beyond its general dictionary.
"""

from __future__ import annotations

import logging
import math
import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

from transcribe_medical.local.recognizers.interface import RecognizedWord
from transcribe_medical.local.recognizers.pcm import LinearResampler

__all__ = ["DECODER_RATE", "PocketSphinxRecognizer", "PocketSphinxSession"]

logger = logging.getLogger("transcribe_medical.local.recognizers")

#: The rate of pocketsphinx's default acoustic model; other rates are resampled to it.
DECODER_RATE: Final = 16_000
_FRAMES_PER_SECOND: Final = 100  # pocketsphinx's default frame rate (-frate)
_ALTERNATE_PRONUNCIATION = re.compile(r"\(\d+\)$")
# Partial hypotheses carry no posterior (pocketsphinx reports 1.0), so their confidence comes from
# the word's mean acoustic log-likelihood per frame, which is about -1 (clear) to -3 (doubtful)
# for the default model: confidence = exp(mean / _PARTIAL_SCALE), i.e. ~0.88 to ~0.69.
_PARTIAL_SCALE: Final = 8.0
# The decoder is given audio in blocks of this size (0.1 s at 16 kHz), counted from the start of
# each utterance, whatever the size of the pieces the caller feeds: its live cepstral mean moves at
# block ends, so the same audio cut differently (streaming chunks, batch chunks) would decode
# differently.
_BLOCK_BYTES: Final = 3200
_INSTALL_HINT: Final = "the local recognizer needs pocketsphinx: install transcribe-medical[local]"


def _import_pocketsphinx() -> Any:
    try:
        import pocketsphinx  # the [local] extra
    except ImportError as exc:
        raise RuntimeError(_INSTALL_HINT) from exc
    return pocketsphinx


class PocketSphinxRecognizer:
    """Real offline recognition with pocketsphinx (``pip install transcribe-medical[local]``).

    Each session owns a decoder (~90 MiB, ~0.5 s to build; it holds the GIL while decoding).
    Closed sessions return their decoder to a small pool, so a new session usually starts at once.

    Vocabulary: pocketsphinx has no letter-to-sound rules, so a ``vocabulary`` phrase's words are
    looked up in its dictionary; words it knows are already recognizable and words it does not know
    are skipped (and counted in a debug log). Give ``pronunciations`` (word -> ARPABET phones, e.g.
    ``{"metoprolol": "M EH T OW P R OW L AO L"}``) to add words: they join the dictionary and the
    language model as unigrams.

    Utterances: a voice activity detector (pocketsphinx's WebRTC VAD) watches the audio, and after
    ``silence_s`` of silence following speech the decoder closes the utterance internally (long
    utterances decode worse). An utterance that has lasted ``max_utterance_s`` ends at its next
    frame without speech, however short the pause, and at twice that wherever it is: speech read
    without a 0.6 s pause (a dictation, a recording joined end to end) would otherwise be one
    result for minutes, its partials growing with every word and nothing final for a reconnect to
    resume from. Those words stay available:
    :meth:`~PocketSphinxSession.partial` and :meth:`~PocketSphinxSession.finish_utterance` include
    them until a caller takes them with :meth:`~PocketSphinxSession.completed_utterances`
    (optional; not part of the Recognizer protocol).

    Timings are pocketsphinx's frames / 100 from the start of the session's audio; confidences of
    final words are the lattice posterior probability of the word.

    Determinism: the same audio gives the same words, times and confidences in every session,
    however it is cut into pieces and whatever the decoder decoded before. Each session starts
    with a new decoder's feature extraction (cepstral mean, noise floor); the decoder gets the
    audio in fixed 0.1 s blocks counted from each utterance's start; an utterance ends at the VAD
    frame where the silence reached ``silence_s``. Pocketsphinx's search has no randomness.
    """

    def __init__(
        self,
        *,
        vocabulary: Sequence[str] | None = None,
        pronunciations: Mapping[str, str] | None = None,
        silence_s: float = 0.6,
        max_utterance_s: float = 15.0,
        max_idle_decoders: int = 2,
    ) -> None:
        """Create a recognizer; decoders are built lazily by :meth:`new_session`.

        Args:
            vocabulary: Phrases the speech is likely to contain (see the class notes).
            pronunciations: Words to add to the dictionary, with their ARPABET phones.
            silence_s: Silence after speech that ends an utterance internally; 0 disables it.
            max_utterance_s: Seconds after which an utterance ends at its next frame without
                speech, and at twice which it ends anyway (with ``silence_s`` > 0); 0 disables it.
            max_idle_decoders: Decoders kept for reuse after their session closes.

        Raises:
            RuntimeError: pocketsphinx is not installed.
        """
        self._pocketsphinx = _import_pocketsphinx()
        self.vocabulary = list(vocabulary or ())
        self.pronunciations = dict(pronunciations or {})
        self.silence_s = silence_s
        self.max_utterance_s = max_utterance_s
        self.max_idle_decoders = max_idle_decoders
        self._idle: list[Any] = []
        self._lock = threading.Lock()

    def new_session(self, sample_rate: int) -> PocketSphinxSession:
        """Start recognizing mono PCM16 at ``sample_rate`` Hz (resampled to 16 kHz if needed)."""
        return PocketSphinxSession(self, self._take_decoder(), sample_rate)

    def _take_decoder(self) -> Any:
        with self._lock:
            decoder = self._idle.pop() if self._idle else None
        if decoder is None:
            decoder = self._pocketsphinx.Decoder(loglevel="FATAL")
            self._apply_vocabulary(decoder)
        # A decoder's feature extraction learns the cepstral mean (live CMN) and the noise floor
        # from all the audio it has heard, so a pooled one would decode a file differently after
        # other sessions. Resetting it (a fraction of a millisecond) gives every session a new
        # decoder's start, and a file one transcript.
        decoder.reinit_feat()
        return decoder

    def _release_decoder(self, decoder: Any) -> None:
        with self._lock:
            if len(self._idle) < self.max_idle_decoders:
                self._idle.append(decoder)

    def _apply_vocabulary(self, decoder: Any) -> None:
        for word, phones in self.pronunciations.items():
            if decoder.lookup_word(word.lower()) is None:
                decoder.add_word(word.lower(), phones, True)
        unknown = [word for word in _vocabulary_words(self.vocabulary) if decoder.lookup_word(word) is None]
        if unknown:
            logger.debug("%d vocabulary word(s) are not in the pocketsphinx dictionary and are skipped", len(unknown))


def _vocabulary_words(phrases: Iterable[str]) -> list[str]:
    return [word.lower() for phrase in phrases for word in re.split(r"[\s-]+", phrase) if word]


class PocketSphinxSession:
    """One stream's recognition with pocketsphinx; see :class:`PocketSphinxRecognizer`."""

    def __init__(self, recognizer: PocketSphinxRecognizer, decoder: Any, sample_rate: int) -> None:
        """Create a session; use :meth:`PocketSphinxRecognizer.new_session`."""
        if sample_rate <= 0:
            raise ValueError(f"sample_rate must be > 0, got {sample_rate}")
        self._recognizer = recognizer
        self._decoder: Any = decoder
        self._resampler = LinearResampler(sample_rate, DECODER_RATE) if sample_rate != DECODER_RATE else None
        vad_class = recognizer._pocketsphinx.Vad
        self._vad: Any = vad_class(vad_class.LOOSE, DECODER_RATE, 0.03) if recognizer.silence_s > 0 else None
        self._vad_pending = b""  # less than one VAD frame, not yet looked at
        self._unfed = bytearray()  # looked at, not yet given to the decoder (less than a block)
        self._odd_byte = b""
        self._fed = 0  # 16 kHz samples fed to the decoder
        self._utterance_offset = 0.0  # seconds of audio before the current decoder utterance
        self._heard_speech = False
        self._silence = 0.0
        self._done: list[list[RecognizedWord]] = []
        self._decoder.start_utt()

    def accept_audio(self, pcm16_mono: bytes) -> None:
        """Decode the next piece of mono PCM16 audio."""
        decoder = self._check_open()
        # AudioEvents may split a sample across two events: carry the odd byte over.
        data = self._odd_byte + pcm16_mono
        whole = len(data) - len(data) % 2
        self._odd_byte = data[whole:]
        audio = self._resampler.process(data[:whole]) if self._resampler else data[:whole]
        if not audio:
            return
        if self._vad is None:
            self._unfed += audio
            self._feed_blocks(decoder)
        else:
            self._watch_silence(decoder, audio)

    def partial(self) -> list[RecognizedWord]:
        """Words of the utterance in progress (and of internally closed ones not yet taken)."""
        decoder = self._check_open()
        words = [word for utterance in self._done for word in utterance]
        if decoder.hyp() is not None:
            words.extend(self._words(final=False))
        return words

    def finish_utterance(self) -> list[RecognizedWord]:
        """End the utterance: return its final words (with internally closed ones) and restart."""
        self._check_open()
        self._unfed += self._vad_pending  # the end of the audio: a last, partial VAD frame too
        self._vad_pending = b""
        self._close_utterance()
        words = [word for utterance in self._done for word in utterance]
        self._done.clear()
        return words

    def completed_utterances(self) -> list[list[RecognizedWord]]:
        """Take the utterances the session closed itself at pauses (final words), oldest first.

        Optional, beyond the Recognizer protocol: an emulator can use it to emit a final result at
        each pause, as the service does. Taken utterances are no longer part of :meth:`partial`
        or :meth:`finish_utterance`.
        """
        self._check_open()
        done = self._done
        self._done = []
        return done

    def close(self) -> None:
        """End the session and hand its decoder back to the recognizer's pool."""
        if self._decoder is None:
            return
        decoder, self._decoder = self._decoder, None
        decoder.end_utt()
        self._recognizer._release_decoder(decoder)

    def _check_open(self) -> Any:
        if self._decoder is None:
            raise RuntimeError("this recognizer session is closed")
        return self._decoder

    def _feed_blocks(self, decoder: Any) -> None:
        whole = len(self._unfed) - len(self._unfed) % _BLOCK_BYTES
        for start in range(0, whole, _BLOCK_BYTES):
            decoder.process_raw(bytes(self._unfed[start : start + _BLOCK_BYTES]), False, False)
        self._fed += whole // 2
        del self._unfed[:whole]

    def _watch_silence(self, decoder: Any, audio: bytes) -> None:
        # Frame by frame, so that an utterance ends at the frame where the silence became long
        # enough, not at the end of whatever piece of audio that frame arrived in.
        assert self._vad is not None
        frame_bytes: int = self._vad.frame_bytes
        frame_seconds: float = self._vad.frame_length
        data = self._vad_pending + audio
        whole = len(data) - len(data) % frame_bytes
        for start in range(0, whole, frame_bytes):
            frame = data[start : start + frame_bytes]
            self._unfed += frame
            if self._vad.is_speech(frame):
                self._heard_speech = True
                self._silence = 0.0
            elif self._heard_speech:
                self._silence += frame_seconds
            if self._heard_speech and (self._silence >= self._recognizer.silence_s or self._too_long()):
                self._close_utterance()
            else:
                self._feed_blocks(decoder)
        self._vad_pending = data[whole:]

    def _too_long(self) -> bool:
        """A pause (this frame) after ``max_utterance_s`` of utterance, or twice that, pause or not."""
        limit = self._recognizer.max_utterance_s
        if limit <= 0:
            return False
        lasted = (self._fed + len(self._unfed) // 2) / DECODER_RATE - self._utterance_offset
        return lasted >= 2 * limit or (self._silence > 0 and lasted >= limit)

    def _close_utterance(self) -> None:
        decoder = self._decoder
        if self._unfed:
            decoder.process_raw(bytes(self._unfed), False, False)
            self._fed += len(self._unfed) // 2
            self._unfed.clear()
        decoder.end_utt()
        words = self._words(final=True) if decoder.hyp() is not None else []
        if words:
            self._done.append(words)
        self._utterance_offset = self._fed / DECODER_RATE
        self._heard_speech = False
        self._silence = 0.0
        decoder.start_utt()

    def _words(self, *, final: bool) -> list[RecognizedWord]:
        words = []
        for segment in self._decoder.seg():
            text = _ALTERNATE_PRONUNCIATION.sub("", segment.word)
            if not text or text[0] in "<[+":  # <s>, </s>, <sil>, [NOISE], +fillers+
                continue
            frames = segment.end_frame - segment.start_frame + 1
            words.append(
                RecognizedWord(
                    text=text,
                    start=round(self._utterance_offset + segment.start_frame / _FRAMES_PER_SECOND, 3),
                    end=round(self._utterance_offset + (segment.end_frame + 1) / _FRAMES_PER_SECOND, 3),
                    confidence=_confidence(segment.prob, segment.ascore, frames, final=final),
                )
            )
        return words


def _confidence(posterior: float, acoustic: float, frames: int, *, final: bool) -> float:
    if final and 0.0 <= posterior < 1.0:
        return round(posterior, 4)
    if acoustic <= 0.0 or frames <= 0:
        return 0.0 if final else round(math.exp(-3.0 / _PARTIAL_SCALE), 4)
    mean = math.log(acoustic) / frames
    return round(min(1.0, max(0.0, math.exp(mean / _PARTIAL_SCALE))), 4)
