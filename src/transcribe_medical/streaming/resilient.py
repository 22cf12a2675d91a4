"""Deprecated: moved to :mod:`transcribe_medical.streaming.reconnect`.

Reconnecting is a policy of the one driver per I/O flavour, not a driver of its own. This module
is kept for one release so that ``from transcribe_medical.streaming.resilient import
ReconnectPolicy`` still works (with a :class:`DeprecationWarning`); import from
:mod:`~transcribe_medical.streaming.reconnect` instead.
"""

from __future__ import annotations

import warnings

from transcribe_medical.streaming.reconnect import (
    FailureDecision,
    ReconnectEvent,
    ReconnectPolicy,
    Replay,
    Rereader,
    ResilientSession,
    failure_reason,
    is_reconnectable,
    shift_result,
)

warnings.warn(
    "transcribe_medical.streaming.resilient is deprecated: import from transcribe_medical.streaming.reconnect",
    DeprecationWarning,
    stacklevel=2,
)

__all__ = [
    "FailureDecision",
    "ReconnectEvent",
    "ReconnectPolicy",
    "Replay",
    "Rereader",
    "ResilientSession",
    "failure_reason",
    "is_reconnectable",
    "shift_result",
]
