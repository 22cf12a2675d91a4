"""The crash-safe state of a bulk submission, in SQLite (mode 0600).

Each job's row is written *before* its StartMedicalTranscriptionJob request (``starting``) and
updated after it (``submitted`` / ``failed``), each in its own transaction. After a crash, a
``starting`` row means "maybe sent": the submitter asks the service (GetMedicalTranscriptionJob)
instead of sending it again, so nothing is submitted twice.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

__all__ = ["JobRecord", "JobState", "StateStore"]

JobState = Literal["starting", "submitted", "completed", "failed"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    job_name TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    state TEXT NOT NULL,
    failure_reason TEXT,
    updated_at REAL NOT NULL
)
"""


@dataclass(frozen=True)
class JobRecord:
    """One job as the state file knows it."""

    job_name: str
    fingerprint: str
    state: JobState
    failure_reason: str | None


class StateStore:
    """A small SQLite table of job states, safe to share between threads.

    Args:
        path: The state file (created with mode 0600), or ``":memory:"``.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            file = Path(self.path)
            file.parent.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(file, os.O_RDWR | os.O_CREAT, 0o600)
            os.close(descriptor)
            os.chmod(file, 0o600)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute(_SCHEMA)

    def __enter__(self) -> StateStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()

    def get(self, job_name: str) -> JobRecord | None:
        """The record of ``job_name``, if any."""
        with self._lock:
            row = self._db.execute(
                "SELECT job_name, fingerprint, state, failure_reason FROM jobs WHERE job_name = ?",
                (job_name,),
            ).fetchone()
        return None if row is None else JobRecord(*row)

    def put(self, job_name: str, fingerprint: str, state: JobState, *, failure_reason: str | None = None) -> None:
        """Record ``state`` for ``job_name`` (durably, before returning)."""
        with self._lock:
            self._db.execute(
                "INSERT INTO jobs (job_name, fingerprint, state, failure_reason, updated_at) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT(job_name) DO UPDATE SET fingerprint = excluded.fingerprint, state = excluded.state, "
                "failure_reason = excluded.failure_reason, updated_at = excluded.updated_at",
                (job_name, fingerprint, state, failure_reason, time.time()),
            )

    def all(self) -> list[JobRecord]:
        """Every record, by job name."""
        with self._lock:
            rows = self._db.execute(
                "SELECT job_name, fingerprint, state, failure_reason FROM jobs ORDER BY job_name"
            ).fetchall()
        return [JobRecord(*row) for row in rows]
