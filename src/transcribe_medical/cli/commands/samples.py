"""``transcribe-medical samples DIR``: write the bundled sample recordings out as WAV files.

They are what the README's Quick start transcribes: ``sample_dictation.wav`` (one voice, mono),
``sample_conversation.wav`` (two voices, mono) and ``sample_visit.wav`` (clinician and patient,
one per channel). Copies an earlier run wrote are left as they are, so running it twice works.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from transcribe_medical.cli.app import app
from transcribe_medical.cli.main import EXIT_USAGE

__all__ = ["samples"]


@app.command("samples")
def samples(
    directory: Annotated[Path, typer.Argument(help="Where to write the files (created if missing).")] = Path("."),
    force: Annotated[bool, typer.Option("--force", help="Replace files of the same name.")] = False,
) -> None:
    """Write the bundled sample recordings (synthetic speech, no patient data) as WAV files."""
    from transcribe_medical.local.samples import write_samples

    try:
        paths = write_samples(directory, overwrite=force)
    except FileExistsError as error:
        typer.echo(
            f"transcribe-medical: {error.filename} exists and is not the bundled recording; "
            "add --force to replace it, or choose another directory",
            err=True,
        )
        raise typer.Exit(EXIT_USAGE) from None
    except OSError as error:
        typer.echo(f"transcribe-medical: cannot write to {directory}: {error.strerror or error}", err=True)
        raise typer.Exit(EXIT_USAGE) from None
    for path in paths:
        typer.echo(str(path))
