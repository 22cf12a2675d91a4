"""Word error rate, to check a recognizer against a reference text."""

from __future__ import annotations

import re

__all__ = ["normalize_words", "word_error_rate"]

_NON_WORD = re.compile(r"[^a-z0-9']+")


def normalize_words(text: str) -> list[str]:
    """Lower-case words without punctuation; hyphens split words (``x-ray`` -> ``x ray``)."""
    return [word for word in _NON_WORD.split(text.lower()) if word.strip("'")]


def word_error_rate(reference: str, hypothesis: str) -> float:
    """(substitutions + deletions + insertions) / reference words, after :func:`normalize_words`.

    Example:
        >>> word_error_rate("chest pain radiating", "chest pain radiates")
        0.3333333333333333
    """
    ref = normalize_words(reference)
    hyp = normalize_words(hypothesis)
    if not ref:
        return 0.0 if not hyp else 1.0
    previous = list(range(len(hyp) + 1))
    for i, ref_word in enumerate(ref, start=1):
        current = [i] + [0] * len(hyp)
        for j, hyp_word in enumerate(hyp, start=1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ref_word != hyp_word))
        previous = current
    return previous[-1] / len(ref)
