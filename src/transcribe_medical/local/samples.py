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
        overwrite: Replace files of the same name; otherwise they are left as they are.

    Returns:
        The paths of the sample files in ``directory``, in :data:`SAMPLE_FILES` order.

    Raises:
        FileExistsError: A file of that name exists and ``overwrite`` is false.
        OSError: The directory cannot be made or written.
    """
    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    data = files("transcribe_medical.local") / "data"
    if not overwrite:
        for name in SAMPLE_FILES:  # all or nothing: no half-written set to clean up
            if (target / name).exists():
                raise FileExistsError(errno.EEXIST, "file exists", str(target / name))
    written = []
    for name in SAMPLE_FILES:
        path = target / name
        mode = "wb" if overwrite else "xb"
        with path.open(mode) as out:
            out.write((data / name).read_bytes())
        written.append(path)
    return written
