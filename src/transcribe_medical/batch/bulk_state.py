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
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from transcribe_medical._exceptions import ValidationError

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
_COLUMNS = frozenset({"job_name", "fingerprint", "state", "failure_reason", "updated_at"})

#: SQLite result codes meaning the file is there but cannot be written (or opened at all).
_UNWRITABLE = frozenset({"SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_PERM", "SQLITE_AUTH"})
_NOT_A_STATE_FILE = frozenset({"SQLITE_NOTADB", "SQLITE_CORRUPT"})


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

    Raises:
        ValidationError: The state file cannot be created or written, or is not a state file (not
            SQLite, or SQLite of another program); one line naming the file and what to do.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            file = Path(self.path)
            try:
                file.parent.mkdir(parents=True, exist_ok=True)
                descriptor = os.open(file, os.O_RDWR | os.O_CREAT, 0o600)
                os.close(descriptor)
                os.chmod(file, 0o600)
            except OSError as error:
                raise self._os_refusal(error) from None
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        try:
            with self._translated():
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=FULL")
                self._db.execute(_SCHEMA)
                columns = {row[1] for row in self._db.execute("PRAGMA table_info(jobs)")}
            if not _COLUMNS.issubset(columns):
                raise ValidationError(
                    f"state file {self.path}: a SQLite database of another program (its jobs table has other "
                    "columns), not a bulk state file; use another state file",
                    field="state_path",
                )
        except BaseException:
            self._db.close()
            raise

    def _os_refusal(self, error: OSError) -> ValidationError:
        if isinstance(error, IsADirectoryError):
            todo = "name a file, not a directory"
        elif isinstance(error, PermissionError):
            todo = "make it writable (and its directory), or use another state file"
        else:
            todo = "use a state file in a directory you can write"
        return ValidationError(
            f"state file {self.path}: cannot be opened for writing ({error.strerror or error}); {todo}",
            field="state_path",
        )

    @contextmanager
    def _translated(self) -> Iterator[None]:
        """Turn SQLite's refusals into one-line :class:`ValidationError` s naming the file."""
        try:
            yield
        except sqlite3.Error as error:
            name = getattr(error, "sqlite_errorname", "")
            if name in _NOT_A_STATE_FILE or (name == "" and "not a database" in str(error)):
                message = f"state file {self.path}: not a bulk state file ({error}); move it aside or use another one"
            elif name in _UNWRITABLE or "readonly" in str(error):
                message = (
                    f"state file {self.path}: cannot be written ({error}); make it and its directory "
                    "writable, or use another state file"
                )
            else:
                message = f"state file {self.path}: {error}; check the file and its disk, or use another state file"
            raise ValidationError(message, field="state_path") from error

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
        with self._lock, self._translated():
            row = self._db.execute(
                "SELECT job_name, fingerprint, state, failure_reason FROM jobs WHERE job_name = ?",
                (job_name,),
            ).fetchone()
        return None if row is None else JobRecord(*row)

    def put(self, job_name: str, fingerprint: str, state: JobState, *, failure_reason: str | None = None) -> None:
        """Record ``state`` for ``job_name`` (durably, before returning)."""
        with self._lock, self._translated():
            self._db.execute(
                "INSERT INTO jobs (job_name, fingerprint, state, failure_reason, updated_at) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT(job_name) DO UPDATE SET fingerprint = excluded.fingerprint, state = excluded.state, "
                "failure_reason = excluded.failure_reason, updated_at = excluded.updated_at",
                (job_name, fingerprint, state, failure_reason, time.time()),
            )

    def all(self) -> list[JobRecord]:
        """Every record, by job name."""
        with self._lock, self._translated():
            rows = self._db.execute(
                "SELECT job_name, fingerprint, state, failure_reason FROM jobs ORDER BY job_name"
            ).fetchall()
        return [JobRecord(*row) for row in rows]
