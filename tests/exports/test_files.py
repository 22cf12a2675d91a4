"""Tests of writing transcript files: mode 0600, atomic replacement."""

from __future__ import annotations

import os
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from transcribe_medical.exports import TRANSCRIPT_FILE_MODE, write_transcript_file

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")


@pytest.fixture
def open_umask() -> Iterator[None]:
    """The most permissive umask, so that only our own mode can keep the file private."""
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.usefixtures("open_umask")
def test_new_file_is_owner_only(tmp_path: Path) -> None:
    target = tmp_path / "visit.txt"
    assert write_transcript_file(target, "Any chest pain?\n") == target
    assert target.read_text() == "Any chest pain?\n"
    assert _mode(target) == TRANSCRIPT_FILE_MODE == 0o600


@pytest.mark.usefixtures("open_umask")
def test_existing_file_is_replaced_and_made_private(tmp_path: Path) -> None:
    target = tmp_path / "visit.json"
    target.write_text("old")
    target.chmod(0o644)
    write_transcript_file(str(target), "new café")
    assert target.read_text(encoding="utf-8") == "new café"
    assert _mode(target) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["visit.json"]  # no temporary left


def test_failure_leaves_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "visit.txt"
    target.write_text("old")
    with pytest.raises(UnicodeEncodeError):
        write_transcript_file(target, "caf\udce9")  # cannot be encoded: nothing is written
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["visit.txt"]


def test_replace_failure_removes_the_temporary(tmp_path: Path) -> None:
    target = tmp_path / "a-directory"
    target.mkdir()
    (target / "child").write_text("x")
    with pytest.raises(OSError):
        write_transcript_file(target, "text")  # cannot replace a non-empty directory
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-directory"]


def test_missing_directory_raises(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        write_transcript_file(tmp_path / "missing" / "visit.txt", "text")


def test_a_named_pipe_is_written_to_not_replaced(tmp_path: Path) -> None:
    # As for /dev/null or /dev/stdout: replacing such a target would put a file where it was (as
    # root, even /dev/null). A named pipe shows the same path without touching the machine's devices.
    pipe = tmp_path / "out.pipe"
    os.mkfifo(pipe)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(pipe.read_bytes()), daemon=True)
    reader.start()
    write_transcript_file(pipe, "Any chest pain?\n")
    reader.join(60)
    assert received == [b"Any chest pain?\n"]
    assert stat.S_ISFIFO(os.stat(pipe).st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.pipe"]  # no temporary file left
