"""Base classes that turn pydantic's errors into one-line :class:`ValidationError`\\ s."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar, Self

import pydantic
from pydantic import BaseModel, ConfigDict

from transcribe_medical._exceptions import ValidationError

__all__ = ["PhiSafeModel", "RequestModel", "ResponseModel", "to_validation_error"]

_MAX_VALUE_REPR = 80


def _location(loc: tuple[int | str, ...]) -> str:
    parts: list[str] = []
    for piece in loc:
        if isinstance(piece, int):
            parts.append(f"[{piece}]")
        else:
            parts.append(("." if parts else "") + piece)
    return "".join(parts) or "value"


def to_validation_error(error: pydantic.ValidationError, *, hide_input: bool = False) -> ValidationError:
    """Summarise a pydantic error as one line: field, bad value, what is allowed."""
    details = error.errors(include_url=False)
    first = details[0]
    field = _location(tuple(first["loc"]))
    message = str(first["msg"])
    message = message.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if hide_input or first["type"] in ("missing", "extra_forbidden") or "input" not in first:
        text = f"{field}: {message}"
    else:
        shown = repr(first["input"])
        if len(shown) > _MAX_VALUE_REPR:
            shown = shown[: _MAX_VALUE_REPR - 3] + "..."
        text = f"{field}: {shown} is invalid: {message}"
    if len(details) > 1:
        text += f" (and {len(details) - 1} more problem{'s' if len(details) > 2 else ''})"
    return ValidationError(text.replace("\n", " "), field=field)


class _ConvertingModel(BaseModel):
    """Raise :class:`ValidationError` (a ``ValueError``) instead of pydantic's error."""

    def __init__(self, /, **data: Any) -> None:
        try:
            super().__init__(**data)
        except pydantic.ValidationError as error:
            hide = bool(self.model_config.get("hide_input_in_errors"))
            raise to_validation_error(error, hide_input=hide) from error

    # Marking this __init__ as pydantic's own (as RootModel does) keeps pydantic-core from calling
    # it for every nested model: nested errors keep their full path and parsing stays fast.
    __init__.__pydantic_base_init__ = True  # type: ignore[attr-defined]

    @classmethod
    def model_validate(cls, obj: Any, *args: Any, **kwargs: Any) -> Self:
        """Validate ``obj`` into the model, raising :class:`ValidationError` on bad input."""
        try:
            return super().model_validate(obj, *args, **kwargs)
        except pydantic.ValidationError as error:
            hide = bool(cls.model_config.get("hide_input_in_errors"))
            raise to_validation_error(error, hide_input=hide) from error


class RequestModel(_ConvertingModel):
    """A model the caller builds: strict about unknown fields, immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, use_enum_values=False)


class ResponseModel(_ConvertingModel):
    """A model built from a service response: keeps fields AWS adds later."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)


class PhiSafeModel(ResponseModel):
    """A model that holds transcript text (PHI): ``repr()`` and errors never show it.

    ``repr()`` shows only the fields named in ``_repr_values``, and the length of those named in
    ``_repr_counts``; anything else (text, entity content, fields AWS adds later) is left out.
    """

    model_config = ConfigDict(extra="allow", populate_by_name=True, hide_input_in_errors=True)

    _repr_values: ClassVar[tuple[str, ...]] = ()
    _repr_counts: ClassVar[tuple[str, ...]] = ()

    def __repr_args__(self) -> Iterable[tuple[str | None, Any]]:
        for name in self._repr_values:
            yield name, getattr(self, name)
        for name in self._repr_counts:
            yield name, len(getattr(self, name))
