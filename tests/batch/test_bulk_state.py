"""The bulk state file refuses what it cannot use in one line naming the file (issue 16)."""

from __future__ import annotations

import errno
import os
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from transcribe_medical import ValidationError
from transcribe_medical.batch.bulk_state import StateStore


def _one_line(error: ValidationError, path: Path) -> str:
    text = str(error)
    assert "\n" not in text
    assert text.startswith(f"state file {path}: ")
    assert error.field == "state_path"
    return text


@contextmanager
def read_only(path: Path) -> Iterator[None]:
    """Make ``path`` refuse writes for this process, the way the kernel does.

    A non-root user gets a 0400 file. Root ignores modes, so root gets the immutable attribute
    when the kernel allows it; where it does not (a container without CAP_LINUX_IMMUTABLE), the
    open is answered as the kernel answers a non-root user (EACCES).
    """
    path.chmod(0o400)
    immutable = False
    patch = pytest.MonkeyPatch()
    if os.geteuid() == 0:
        try:
            immutable = subprocess.run(["chattr", "+i", str(path)], capture_output=True, check=False).returncode == 0
        except FileNotFoundError:  # no e2fsprogs
            immutable = False
        if not immutable:
            real_open = os.open

            def refusing_open(file: object, flags: int, *args: object) -> int:
                if Path(str(file)) == path and flags & (os.O_RDWR | os.O_WRONLY):
                    raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
                return real_open(file, flags, *args)  # type: ignore[arg-type]

            patch.setattr(os, "open", refusing_open)
    try:
        yield
    finally:
        patch.undo()
        if immutable:
            subprocess.run(["chattr", "-i", str(path)], check=True)
        path.chmod(0o600)


def test_a_state_file_that_is_not_sqlite(tmp_path: Path) -> None:
    path = tmp_path / "jobs.state.sqlite"
    path.write_bytes(b"these bytes were never a database\n" * 100)
    with pytest.raises(ValidationError) as raised:
        StateStore(path)
    text = _one_line(raised.value, path)
    assert "not a bulk state file" in text and "another one" in text
    assert path.read_bytes() == b"these bytes were never a database\n" * 100  # left as it was


def test_a_sqlite_file_of_another_program(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE jobs (id INTEGER PRIMARY KEY, title TEXT)")
    with pytest.raises(ValidationError) as raised:
        StateStore(path)
    assert "not a bulk state file" in _one_line(raised.value, path)


def test_a_read_only_state_file(tmp_path: Path) -> None:
    path = tmp_path / "jobs.state.sqlite"
    with StateStore(path) as state:
        state.put("job-1", "f", "submitted")
    with read_only(path), pytest.raises(ValidationError) as raised:
        StateStore(path)
    text = _one_line(raised.value, path)
    assert "cannot be opened for writing" in text and "writable" in text
    with StateStore(path) as state:  # untouched
        assert [r.job_name for r in state.all()] == ["job-1"]


def test_a_directory_as_state_file(tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as raised:
        StateStore(tmp_path)
    assert "a directory" in _one_line(raised.value, tmp_path)


def test_a_state_file_under_a_file(tmp_path: Path) -> None:
    (tmp_path / "plain").write_text("x")
    path = tmp_path / "plain" / "jobs.state.sqlite"
    with pytest.raises(ValidationError) as raised:
        StateStore(path)
    assert "cannot be opened for writing" in _one_line(raised.value, path)


def test_a_good_state_file_still_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "jobs.state.sqlite"
    with StateStore(path) as state:
        state.put("job-1", "f1", "starting")
        state.put("job-1", "f1", "failed", failure_reason="why")
    with StateStore(path) as state:
        record = state.get("job-1")
        assert record is not None and record.state == "failed" and record.failure_reason == "why"
    assert path.stat().st_mode & 0o777 == 0o600
