"""The supported-specialties table and validate_specialty()."""

from __future__ import annotations

import pytest

from transcribe_medical import (
    SPECIALTY_TABLE,
    Mode,
    Specialty,
    UnsupportedSpecialtyError,
    ValidationError,
    validate_specialty,
)
from transcribe_medical.specialties import resolve_specialty, specialties_for

STREAMING_ONLY = ["CARDIOLOGY", "NEUROLOGY", "ONCOLOGY", "RADIOLOGY", "UROLOGY"]


def test_table_covers_every_specialty_once() -> None:
    assert sorted(row.specialty.value for row in SPECIALTY_TABLE) == sorted(s.value for s in Specialty)


@pytest.mark.parametrize("name", STREAMING_ONLY)
def test_streaming_only_specialties_are_refused_for_batch(name: str) -> None:
    with pytest.raises(UnsupportedSpecialtyError) as caught:
        validate_specialty(name, Mode.BATCH)
    message = str(caught.value)
    assert name in message and "BATCH" in message and "STREAMING" in message
    assert caught.value.supported_modes == ("STREAMING",)
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize("name", [*STREAMING_ONLY, "PRIMARYCARE"])
def test_every_specialty_streams(name: str) -> None:
    assert validate_specialty(name, Mode.STREAMING).value == name


@pytest.mark.parametrize(
    "alias",
    [
        "family medicine",
        "Family-Medicine",
        "INTERNAL MEDICINE",
        "OB-GYN",
        "ob/gyn",
        "obgyn",
        "Obstetrics and Gynecology",
        "pediatrics",
        "Paediatrics",
        "primary care",
        "primarycare",
    ],
)
def test_primary_care_sub_specialties_resolve(alias: str) -> None:
    assert validate_specialty(alias, "batch") is Specialty.PRIMARYCARE


@pytest.mark.parametrize("bad", ["dermatology", "", "cardio logy x", 42])
def test_unknown_specialty_names_allowed_values(bad: object) -> None:
    with pytest.raises(ValidationError) as caught:
        resolve_specialty(bad)  # type: ignore[arg-type]
    assert "PRIMARYCARE" in str(caught.value) and "CARDIOLOGY" in str(caught.value)
    assert "\n" not in str(caught.value)


def test_unknown_mode() -> None:
    with pytest.raises(ValidationError, match="mode"):
        validate_specialty("PRIMARYCARE", "offline")


def test_specialties_for_mode_follow_the_table() -> None:
    assert specialties_for(Mode.BATCH) == (Specialty.PRIMARYCARE,)
    assert len(specialties_for(Mode.STREAMING)) == 6
