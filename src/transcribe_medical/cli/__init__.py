"""The ``transcribe-medical`` command (typer + rich), a thin user of the public API."""

from __future__ import annotations

from transcribe_medical.cli.main import exit_code_for, main, run

__all__ = ["exit_code_for", "main", "run"]
