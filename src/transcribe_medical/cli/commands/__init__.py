"""The command modules, each registering its command (or command group) on the typer app.

They are loaded on demand: ``transcribe-medical stream --help`` imports the ``stream`` module only,
not the batch, HealthScribe or emulator commands (and what they import). :func:`load` takes the
command name the user typed; the root ``--help`` (or a name no module registers) loads them all.
Add a new command module to :data:`MODULES_BY_COMMAND`.
"""

from __future__ import annotations

import importlib

__all__ = ["MODULES_BY_COMMAND", "load", "load_all"]

#: The command name (as typed after ``transcribe-medical``) and the modules that register it, in
#: the order the root ``--help`` lists them.
MODULES_BY_COMMAND: dict[str, tuple[str, ...]] = {
    "specialties": ("specialties",),
    "jobs": ("jobs", "bulk"),
    "vocab": ("vocab",),
    "transcribe": ("transcribe",),
    "stream": ("stream",),
    "mic": ("stream",),
    "serve": ("serve",),
    "samples": ("samples",),
    "demo": ("demo",),
    "convert": ("convert",),
    "review": ("review",),
    "scribe": ("scribe", "scribe_stream"),
    "vocab-filter": ("vocab_filter",),
}


def load(command: str | None = None) -> None:
    """Register the modules of ``command`` on the app; every command's when None or unknown.

    Args:
        command: The first word after ``transcribe-medical`` (e.g. ``"stream"``, ``"jobs"``).
    """
    modules = MODULES_BY_COMMAND.get(command) if command is not None else None
    if modules is None:
        load_all()
        return
    for name in modules:
        _import(name)


def load_all() -> None:
    """Register every command (the root ``--help``, the docs' CLI reference)."""
    for modules in MODULES_BY_COMMAND.values():
        for name in modules:
            _import(name)


def _import(name: str) -> None:
    importlib.import_module(f"{__name__}.{name}")
