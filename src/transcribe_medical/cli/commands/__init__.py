"""Importing this package registers every command on the typer app.

Each module holds one command or command group; add a new one to the import list below.
"""

from __future__ import annotations

import importlib

_COMMAND_MODULES = (
    "specialties",
    "jobs",
    "bulk",
    "vocab",
    "transcribe",
    "stream",
    "serve",
    "samples",
    "demo",
    "convert",
    "review",
    "scribe",
    "scribe_stream",
    "vocab_filter",
)

for _name in _COMMAND_MODULES:
    try:
        importlib.import_module(f"{__name__}.{_name}")
    except ModuleNotFoundError as _error:  # a command whose module has not been written yet
        if _error.name != f"{__name__}.{_name}":
            raise
