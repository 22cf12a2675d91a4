"""pytest plugin and helpers for testing code built on transcribe-medical.

Installed as a ``pytest11`` entry point. It imports nothing from the ``[local]`` extra until a
fixture is used.
"""

from __future__ import annotations

__all__: list[str] = []
