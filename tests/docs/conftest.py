"""Fixtures for the docs' examples."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from transcribe_medical.local import LocalTranscribeMedical


@pytest.fixture
def transcribe_medical_emulator() -> Iterator[LocalTranscribeMedical]:
    """The plugin's emulator, but one per example instead of one per session.

    A running emulator patches moto process-wide (its worker runs every medical job), so the
    examples that use moto's ``mock_aws`` must not run while one is up.
    """
    from transcribe_medical.local.emulator import INSTALL_HINT, LocalTranscribeMedical, local_extra_missing

    missing = local_extra_missing()
    if missing is not None:
        pytest.skip(f"{INSTALL_HINT} ({missing} is not installed)")
    with LocalTranscribeMedical() as emulator:
        yield emulator
