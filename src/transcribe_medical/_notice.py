"""The review notice of the service documentation, shown wherever a transcript is presented.

It lives below every layer that presents transcripts (the HTML export, the CLI), so each of them
shows the same words.
"""

from __future__ import annotations

from typing import Final

__all__ = ["DEFAULT_REVIEW_THRESHOLD", "IMPORTANT_NOTICE", "REVIEW_NOTICE"]

#: The confidence below which words are flagged for review when no threshold is chosen: the HTML
#: report's, ``review``'s and the demo's default (one number, so they flag the same words).
DEFAULT_REVIEW_THRESHOLD: Final = 0.85

#: The short form the CLI prints on stderr and the HTML report shows first: what the tool does
#: about the notice (flagging words below the chosen threshold).
REVIEW_NOTICE: Final = (
    "Amazon Transcribe Medical is not a substitute for professional medical advice, diagnosis, or "
    "treatment. Results below your chosen confidence threshold are flagged for review: transcripts "
    "should be reviewed and verified by appropriately trained human reviewers before use in patient care."
)

#: The "Important" notice of *What Is Amazon Transcribe Medical?*, word for word.
IMPORTANT_NOTICE: Final = (
    "Amazon Transcribe Medical is not a substitute for professional medical advice, diagnosis, or "
    "treatment. Identify the right confidence threshold for your use case, and use high confidence "
    "thresholds in situations that require high accuracy. For certain use cases, results should be "
    "reviewed and verified by appropriately trained human reviewers. All operations of Amazon "
    "Transcribe Medical should only be used in patient care scenarios after review for accuracy and "
    "sound medical judgment by trained medical professionals."
)
