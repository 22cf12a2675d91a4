"""The public API: every name in __all__ resolves, and importing the package stays light."""

from __future__ import annotations

import subprocess
import sys

import pytest

import transcribe_medical


def test_all_lists_exactly_the_lazy_exports() -> None:
    assert sorted(transcribe_medical.__all__) == sorted([*transcribe_medical._EXPORTS, "__version__"])


def test_every_public_name_resolves() -> None:
    for name in transcribe_medical.__all__:
        assert getattr(transcribe_medical, name) is not None


def test_unknown_attribute_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="NoSuchThing"):
        transcribe_medical.NoSuchThing  # type: ignore[attr-defined]  # noqa: B018


def test_import_does_not_load_heavy_modules() -> None:
    code = (
        "import sys, transcribe_medical; "
        "print(','.join(m for m in ('boto3', 'botocore', 'websockets', 'pydantic', 'rich') if m in sys.modules))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == ""
