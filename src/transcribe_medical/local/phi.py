"""The emulator's PHI detection: a few fixed word patterns, not a model.

Amazon Transcribe Medical labels protected health information with a trained model. The emulator
only needs output of the right *shape* for clients and tests, so it uses these rules over the
recognized words of a final result (case-insensitive, punctuation ignored), and nothing else:

1. **Names after a title**: ``mr``, ``mrs``, ``ms``, ``miss``, ``dr``, ``mister``, ``missus`` or
   ``doctor`` followed by a word: the title and that word (``"Mr. Alvarez"``, ``"mister Alvarez"``).
2. **Ages**: a run of number words or digits followed by ``year``/``years`` and ``old``
   (``"fifty two year old"``).
3. **Gender**: the words ``male``, ``female``, ``man``, ``woman``, ``boy``, ``girl``.
4. **Dates**: a month name, with the number or ordinal words right after it
   (``"march third"``, ``"june 12"``).
5. **Numbers that identify**: seven or more digits in a row, spoken one by one (``"five five
   five one two three four"``) or written (``"5551234"``): phone, fax, account, record and
   social security numbers.
6. **E-mail addresses and URLs**: a word containing ``@``, or starting with ``www`` or ``http``.

An entity's confidence is the lowest confidence of its words. Everything else, including
addresses, facility names and names without a title, is *not* detected.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

__all__ = ["PhiSpan", "find_phi"]

_TITLES: Final = frozenset({"mr", "mrs", "ms", "miss", "dr", "mister", "missus", "doctor"})
_GENDER: Final = frozenset({"male", "female", "man", "woman", "boy", "girl"})
_MONTHS: Final = frozenset(
    {
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    }
)
_DIGIT_WORDS: Final = {
    "zero": 1,
    "oh": 1,
    "one": 1,
    "two": 1,
    "three": 1,
    "four": 1,
    "five": 1,
    "six": 1,
    "seven": 1,
    "eight": 1,
    "nine": 1,
}
_NUMBER_WORDS: Final = frozenset(
    set(_DIGIT_WORDS)
    | {
        "ten",
        "eleven",
        "twelve",
        "thirteen",
        "fourteen",
        "fifteen",
        "sixteen",
        "seventeen",
        "eighteen",
        "nineteen",
        "twenty",
        "thirty",
        "forty",
        "fifty",
        "sixty",
        "seventy",
        "eighty",
        "ninety",
        "hundred",
        "and",
    }
)
_ORDINALS: Final = frozenset(
    {
        "first",
        "second",
        "third",
        "fourth",
        "fifth",
        "sixth",
        "seventh",
        "eighth",
        "ninth",
        "tenth",
        "eleventh",
        "twelfth",
        "thirteenth",
        "fourteenth",
        "fifteenth",
        "sixteenth",
        "seventeenth",
        "eighteenth",
        "nineteenth",
        "twentieth",
        "thirtieth",
    }
)
_MIN_ID_DIGITS: Final = 7
_STRIP: Final = re.compile(r"[^\w@.:/']+")


@dataclass(frozen=True)
class PhiSpan:
    """Words ``start`` (inclusive) to ``end`` (exclusive) of a result are PHI.

    Attributes:
        start: Index of the first word.
        end: Index after the last word.
        kind: Which rule found it: ``name``, ``age``, ``gender``, ``date``, ``id`` or ``contact``.
    """

    start: int
    end: int
    kind: str


def _norm(word: str) -> str:
    return _STRIP.sub("", word.lower()).strip(".")


def _is_number(word: str) -> bool:
    return word.isdigit() or word in _NUMBER_WORDS


def find_phi(words: Sequence[str]) -> list[PhiSpan]:
    """Find PHI in the words of one result with the rules of this module.

    Args:
        words: The result's words, in order (punctuation items left out).

    Returns:
        Non-overlapping spans, in order.

    Example:
        >>> find_phi(["patient", "is", "a", "fifty", "two", "year", "old", "male"])
        [PhiSpan(start=3, end=7, kind='age'), PhiSpan(start=7, end=8, kind='gender')]
    """
    normal = [_norm(word) for word in words]
    spans: list[PhiSpan] = []
    index = 0
    count = len(normal)
    while index < count:
        word = normal[index]
        found: PhiSpan | None = None
        if word in _TITLES and index + 1 < count and normal[index + 1]:
            found = PhiSpan(index, index + 2, "name")
        elif "@" in word or word.startswith(("www", "http")):
            found = PhiSpan(index, index + 1, "contact")
        elif (word in _MONTHS and word != "may") or (
            word == "may" and index + 1 < count and (_is_number(normal[index + 1]) or normal[index + 1] in _ORDINALS)
        ):
            end = index + 1
            while end < count and (_is_number(normal[end]) or normal[end] in _ORDINALS) and normal[end] != "and":
                end += 1
            found = PhiSpan(index, end, "date")
        elif _is_number(word) and word != "and":
            end = index
            while end < count and _is_number(normal[end]):
                end += 1
            if end + 1 < count and normal[end] in ("year", "years") and normal[end + 1] == "old":
                found = PhiSpan(index, end + 2, "age")
            else:
                digits = sum(len(w) if w.isdigit() else _DIGIT_WORDS.get(w, 0) for w in normal[index:end])
                only_digits = all(w.isdigit() or w in _DIGIT_WORDS for w in normal[index:end])
                if only_digits and digits >= _MIN_ID_DIGITS:
                    found = PhiSpan(index, end, "id")
        elif word in _GENDER:
            found = PhiSpan(index, index + 1, "gender")
        if found is not None:
            spans.append(found)
            index = found.end
        else:
            index += 1
    return spans
