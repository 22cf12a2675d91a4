"""Write the bundled sample recordings out as files, for the Quick start and your own trials.

Example:
    >>> from transcribe_medical.local.samples import write_samples
    >>> paths = write_samples(".")        # doctest: +SKIP
    >>> [path.name for path in paths]     # doctest: +SKIP
    ['sample_dictation.wav', 'sample_conversation.wav', 'sample_visit.wav']

The recordings are synthetic (flite voices reading invented text; no patient data): a 16 s
primary-care dictation (16 kHz mono), a 17.5 s two-voice conversation on one channel (16 kHz
mono, the demo's: speaker labels tell the voices apart) and a 42 s two-person visit (16 kHz,
clinician on channel 0, patient on channel 1). See :mod:`transcribe_medical.local.data`.
"""

from __future__ import annotations

import errno
import os
from importlib.resources import files
from pathlib import Path
from typing import Final

__all__ = ["SAMPLE_FILES", "write_samples"]

#: The bundled recordings, by file name.
SAMPLE_FILES: Final = ("sample_dictation.wav", "sample_conversation.wav", "sample_visit.wav")


def write_samples(directory: str | os.PathLike[str], *, overwrite: bool = False) -> list[Path]:
    """Copy the bundled sample WAV files into ``directory`` (created if missing).

    Audio only: the files hold synthetic speech, so they are written with the usual mode (0644
    under a 022 umask), not the 0600 of transcripts.

    Args:
        directory: Where to write the files.
        overwrite: Replace files of the same name; otherwise a file that already holds the same
            recording is left as it is (so running the Quick start twice works), and any other
            file of that name is an error.

    Returns:
        The paths of the sample files in ``directory``, in :data:`SAMPLE_FILES` order.

    Raises:
        FileExistsError: A different file of that name exists and ``overwrite`` is false.
        OSError: The directory cannot be made or written.
    """
    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    data = files("transcribe_medical.local") / "data"
    recordings = {name: (data / name).read_bytes() for name in SAMPLE_FILES}
    present: set[str] = set()
    if not overwrite:
        for name, recording in recordings.items():  # all or nothing: no half-written set to clean up
            path = target / name
            if path.exists():
                if not _holds(path, recording):
                    raise FileExistsError(errno.EEXIST, "file exists", str(path))
                present.add(name)
    written = []
    for name, recording in recordings.items():
        path = target / name
        if name not in present:
            with path.open("wb" if overwrite else "xb") as out:
                out.write(recording)
        written.append(path)
    return written


def _holds(path: Path, recording: bytes) -> bool:
    """Whether the file at ``path`` is exactly ``recording`` (a copy written by an earlier run)."""
    try:
        return path.is_file() and path.stat().st_size == len(recording) and path.read_bytes() == recording
    except OSError:
        return False
