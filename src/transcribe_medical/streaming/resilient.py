"""Moved to :mod:`transcribe_medical.streaming.reconnect` (the reconnect policy is a policy of the one
driver per I/O flavour, not a driver of its own). Kept for one release so that old imports work.
"""

from __future__ import annotations

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
