"""The supported-specialties table as data, and :func:`validate_specialty`.

This table is the one source of truth: validation, the CLI's choices, error messages and the
documentation's table are all derived from it (source: AWS, "Supported specialties").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from transcribe_medical._exceptions import UnsupportedSpecialtyError, ValidationError
from transcribe_medical.models.enums import Mode, Specialty

__all__ = ["SPECIALTY_TABLE", "SpecialtyInfo", "resolve_specialty", "validate_specialty"]


@dataclass(frozen=True)
class SpecialtyInfo:
    """One row of the supported-specialties table."""

    specialty: Specialty
    display_name: str
    sub_specialties: tuple[str, ...]
    modes: tuple[Mode, ...]

    @property
    def batch(self) -> bool:
        """Whether batch jobs accept this specialty."""
        return Mode.BATCH in self.modes

    @property
    def streaming(self) -> bool:
        """Whether streaming accepts this specialty."""
        return Mode.STREAMING in self.modes


_STREAMING_ONLY = (Mode.STREAMING,)
_BOTH = (Mode.BATCH, Mode.STREAMING)

#: The supported-specialties table, in the order AWS lists it.
SPECIALTY_TABLE: tuple[SpecialtyInfo, ...] = (
    SpecialtyInfo(Specialty.CARDIOLOGY, "Cardiology", (), _STREAMING_ONLY),
    SpecialtyInfo(Specialty.NEUROLOGY, "Neurology", (), _STREAMING_ONLY),
    SpecialtyInfo(Specialty.ONCOLOGY, "Oncology", (), _STREAMING_ONLY),
    SpecialtyInfo(
        Specialty.PRIMARYCARE,
        "Primary Care",
        ("Family Medicine", "Internal Medicine", "Obstetrics and Gynecology (OB-GYN)", "Pediatrics"),
        _BOTH,
    ),
    SpecialtyInfo(Specialty.RADIOLOGY, "Radiology", (), _STREAMING_ONLY),
    SpecialtyInfo(Specialty.UROLOGY, "Urology", (), _STREAMING_ONLY),
)

_BY_SPECIALTY = {row.specialty: row for row in SPECIALTY_TABLE}


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _aliases() -> dict[str, Specialty]:
    aliases: dict[str, Specialty] = {}
    for row in SPECIALTY_TABLE:
        aliases[_key(row.specialty.value)] = row.specialty
        aliases[_key(row.display_name)] = row.specialty
        for sub in row.sub_specialties:
            aliases[_key(sub)] = row.specialty
            short = re.search(r"\(([^)]+)\)", sub)
            if short:
                aliases[_key(short.group(1))] = row.specialty
                aliases[_key(sub[: short.start()])] = row.specialty
    # Common spellings of the sub-specialties.
    for extra in (
        "obgyn",
        "obstetrics",
        "gynecology",
        "gynaecology",
        "obstetricsgynaecology",
        "paediatrics",
        "pediatric",
        "paediatric",
        "familypractice",
        "generalpractice",
        "internalmed",
        "primary",
    ):
        aliases[extra] = Specialty.PRIMARYCARE
    return aliases


_ALIASES = _aliases()


def allowed_specialty_names() -> str:
    """The specialty values, comma-separated, for messages."""
    return ", ".join(row.specialty.value for row in SPECIALTY_TABLE)


def resolve_specialty(value: Specialty | str) -> Specialty:
    """Resolve a specialty or a sub-specialty alias to a :class:`Specialty`.

    Sub-specialties of Primary Care (family medicine, internal medicine, OB-GYN, pediatrics) in any
    reasonable spelling or case resolve to ``PRIMARYCARE``.

    Raises:
        ValidationError: the value names no specialty.
    """
    if isinstance(value, Specialty):
        return value
    if isinstance(value, str):
        found = _ALIASES.get(_key(value))
        if found is not None:
            return found
    raise ValidationError(
        f"specialty: {value!r} is not a specialty; use one of {allowed_specialty_names()} "
        "(Primary Care sub-specialties such as 'family medicine', 'OB-GYN' or 'pediatrics' map to PRIMARYCARE)",
        field="specialty",
    )


def modes_for(specialty: Specialty | str) -> tuple[Mode, ...]:
    """The modes that support a specialty."""
    return _BY_SPECIALTY[resolve_specialty(specialty)].modes


def specialties_for(mode: Mode) -> tuple[Specialty, ...]:
    """The specialties a mode supports, in table order."""
    return tuple(row.specialty for row in SPECIALTY_TABLE if mode in row.modes)


def validate_specialty(specialty: Specialty | str, mode: Mode | str) -> Specialty:
    """Check that ``specialty`` may be used in ``mode`` and return it resolved.

    Example:
        >>> validate_specialty("pediatrics", Mode.BATCH)
        <Specialty.PRIMARYCARE: 'PRIMARYCARE'>

    Raises:
        UnsupportedSpecialtyError: the specialty is not offered in that mode; the message names
            the specialty, the mode and the modes it does support.
        ValidationError: the specialty or mode is unknown.
    """
    resolved = resolve_specialty(specialty)
    try:
        mode_value = Mode(mode.upper() if isinstance(mode, str) else mode)
    except ValueError:
        raise ValidationError(
            f"mode: {mode!r} is not a mode; use one of {', '.join(m.value for m in Mode)}", field="mode"
        ) from None
    row = _BY_SPECIALTY[resolved]
    if mode_value not in row.modes:
        supported = tuple(m.value for m in row.modes)
        alternatives = ", ".join(s.value for s in specialties_for(mode_value))
        raise UnsupportedSpecialtyError(
            f"specialty: {resolved.value} is not supported in {mode_value.value} mode "
            f"({resolved.value} supports {' and '.join(supported)} only); "
            f"for {mode_value.value} use {alternatives}, or use {' or '.join(supported).lower()}",
            specialty=resolved.value,
            mode=mode_value.value,
            supported_modes=supported,
        )
    return resolved
