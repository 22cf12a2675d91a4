"""Base classes of every public model, and the one place where pydantic's errors become ours.

Whatever the entry point — the constructor, ``model_validate``, ``model_validate_json``,
``model_validate_strings`` or an assignment — bad input raises
:class:`~transcribe_medical.ValidationError` (a ``ValueError``) with a one-line message naming the
field, the bad value (never for models that hold transcript text) and what is allowed. pydantic's
own error is kept as ``__cause__``.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Iterable
from typing import Any, ClassVar, Self

import pydantic
from pydantic import BaseModel, ConfigDict

from transcribe_medical._exceptions import ValidationError

__all__ = ["PhiSafeModel", "RequestModel", "ResponseModel", "to_validation_error"]

_MAX_VALUE_REPR = 80


def _nested_model(annotation: Any) -> type[BaseModel] | None:
    """The model a field holds, looking through ``X | None``, ``list[X]`` and ``Annotated``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _nested_model(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType, list, tuple):
        for argument in typing.get_args(annotation):
            found = _nested_model(argument)
            if found is not None:
                return found
    return None


def _field_name(model: type[BaseModel], piece: str) -> str | None:
    if piece in model.model_fields:
        return piece
    for name, info in model.model_fields.items():
        if piece in (info.alias, info.validation_alias):
            return name
    return None


def _field_path(model: type[BaseModel] | None, loc: tuple[int | str, ...], *, error_type: str) -> str:
    """Name the field an error is about, from pydantic's location.

    Models that users build (``_error_field_names``) are named with their Python field names even
    when the input used AWS's names; the others keep the names the input used (the wire names).
    The path stops at what is not a field — a dict key, a union branch — so that a tag's key never
    becomes part of a field name; list indices are kept (``phrases[2]``).
    """
    parts: list[str] = []
    current = model
    by_name = bool(model is not None and getattr(model, "_error_field_names", False))
    last = len(loc) - 1
    for index, piece in enumerate(loc):
        if isinstance(piece, int):
            parts.append(f"[{piece}]")
            continue
        name = _field_name(current, piece) if current is not None else None
        if name is None:
            if model is None or (index == last and error_type == "extra_forbidden"):
                parts.append(("." if parts else "") + piece)  # no model to walk, or the unknown field itself
                current = None
                continue
            break
        assert current is not None
        parts.append(("." if parts else "") + (name if by_name else piece))
        current = _nested_model(current.model_fields[name].annotation)
    return "".join(parts) or "value"


def to_validation_error(
    error: pydantic.ValidationError, *, hide_input: bool = False, model: type[BaseModel] | None = None
) -> ValidationError:
    """Summarise a pydantic error as one line: field, bad value, what is allowed.

    Args:
        error: pydantic's error.
        hide_input: Never show the bad value (models that hold transcript text).
        model: The model that was validated, to name fields by their Python names.

    Returns:
        Our error. A :class:`ValidationError` that one of our validators raised (it already reads
        well, and may be a subclass such as ``UnsupportedSpecialtyError``) is returned itself.
    """
    details = error.errors(include_url=False)
    first = details[0]
    field = _field_path(model, tuple(first["loc"]), error_type=first["type"])
    own = (first.get("ctx") or {}).get("error")
    if isinstance(own, ValidationError):
        if type(own) is ValidationError and field != "value" and own.field and not own.field.startswith(field):
            return ValidationError(f"{field}.{own}", field=f"{field}.{own.field}")
        return own
    message = str(first["msg"]).removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if first["type"] == "extra_forbidden":
        text = f"{field}: unknown field {field.rpartition('.')[2]!r}; check the spelling"
    elif first["type"] == "missing":
        text = f"{field}: missing; this field is required"
    elif hide_input or "input" not in first:
        text = f"{field}: {message}"
    else:
        shown = repr(first["input"])
        if len(shown) > _MAX_VALUE_REPR:
            shown = shown[: _MAX_VALUE_REPR - 3] + "..."
        text = f"{field}: {shown} is invalid: {message}"
    # A container's own error that follows errors inside it (a list too short once its bad items
    # were dropped) is their consequence, not another problem.
    inner = [tuple(detail["loc"]) for detail in details]
    more = sum(1 for loc in inner[1:] if not any(other[: len(loc)] == loc and other != loc for other in inner))
    if more:
        text += f" (and {more} more problem{'s' if more > 1 else ''})"
    return ValidationError(" ".join(text.split("\n")), field=field)


class _ConvertingModel(BaseModel):
    """Raise :class:`ValidationError` (a ``ValueError``) instead of pydantic's error, everywhere."""

    # Validators are built on a model's first use, not when its module is imported: importing the
    # package (``from transcribe_medical import StreamConfig``) then costs no more than boto3 does.
    model_config = ConfigDict(defer_build=True)

    #: Name fields in errors by their Python names (models users build) or as the input did.
    _error_field_names: ClassVar[bool] = False

    @classmethod
    def _validation_error(cls, error: pydantic.ValidationError) -> ValidationError:
        hide = bool(cls.model_config.get("hide_input_in_errors"))
        return to_validation_error(error, hide_input=hide, model=cls)

    def __init__(self, /, **data: Any) -> None:
        try:
            super().__init__(**data)
        except pydantic.ValidationError as error:
            raise type(self)._validation_error(error) from error

    # Marking this __init__ as pydantic's own (as RootModel does) keeps pydantic-core from calling
    # it for every nested model: nested errors keep their full path and parsing stays fast.
    __init__.__pydantic_base_init__ = True  # type: ignore[attr-defined]

    def __setattr__(self, name: str, value: Any) -> None:
        try:
            super().__setattr__(name, value)
        except pydantic.ValidationError as error:  # a frozen model, or validate_assignment
            raise type(self)._validation_error(error) from error

    @classmethod
    def model_validate(cls, obj: Any, *args: Any, **kwargs: Any) -> Self:
        """Validate ``obj`` into the model.

        Raises:
            ValidationError: ``obj`` is not valid; pydantic's error is the ``__cause__``.
        """
        try:
            return super().model_validate(obj, *args, **kwargs)
        except pydantic.ValidationError as error:
            raise cls._validation_error(error) from error

    @classmethod
    def model_validate_json(cls, json_data: str | bytes | bytearray, *args: Any, **kwargs: Any) -> Self:
        """Parse and validate JSON into the model.

        Raises:
            ValidationError: Not JSON, or not valid; pydantic's error is the ``__cause__``.
        """
        try:
            return super().model_validate_json(json_data, *args, **kwargs)
        except pydantic.ValidationError as error:
            raise cls._validation_error(error) from error

    @classmethod
    def model_validate_strings(cls, obj: Any, *args: Any, **kwargs: Any) -> Self:
        """Validate ``obj``, whose leaves are strings (e.g. from a form or a CSV line), into the model.

        Raises:
            ValidationError: ``obj`` is not valid; pydantic's error is the ``__cause__``.
        """
        try:
            return super().model_validate_strings(obj, *args, **kwargs)
        except pydantic.ValidationError as error:
            raise cls._validation_error(error) from error


class RequestModel(_ConvertingModel):
    """A model the caller builds: strict about unknown fields, immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, use_enum_values=False)

    _error_field_names: ClassVar[bool] = True


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
