"""Writing transcript files: owner-only (mode 0600) and atomic.

Transcripts are PHI. A file holding one is created readable by its owner only, and written to a
temporary file in the same directory that then replaces the target in one step, so a reader never
sees half a transcript and an interrupted write leaves the old file intact.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from pathlib import Path

__all__ = ["TRANSCRIPT_FILE_MODE", "write_transcript_file"]

#: Permissions of every transcript file the library writes.
TRANSCRIPT_FILE_MODE = 0o600


def write_transcript_file(path: str | os.PathLike[str], text: str, *, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` atomically, with mode 0600.

    The file is created with ``os.open(..., 0o600)`` (never world- or group-readable, even for a
    moment) under a temporary name in the target directory, flushed to disk, then moved over
    ``path`` with :func:`os.replace`. An existing file at ``path`` is replaced, and its old
    permissions do not carry over. A target that exists and is not a regular file (``/dev/null``,
    ``/dev/stdout``, a named pipe) is written to as it is: replacing it would put a file where a
    device or pipe was (as root, even ``/dev/null``), and its permissions are not ours to change.

    Args:
        path: The file to write.
        text: Its contents.
        encoding: The text encoding.

    Returns:
        The path written.

    Raises:
        OSError: The directory is missing or not writable.
    """
    target = Path(path)
    data = text.encode(encoding)
    try:
        special = not stat.S_ISREG(os.stat(target).st_mode)
    except (FileNotFoundError, NotADirectoryError):
        special = False
    if special:
        with open(target, "wb") as stream:
            stream.write(data)
        return target
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0) | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(temporary, flags, TRANSCRIPT_FILE_MODE)
    try:
        try:
            if hasattr(os, "fchmod"):
                os.fchmod(fd, TRANSCRIPT_FILE_MODE)  # the umask cannot widen it, but be exact
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    return target
