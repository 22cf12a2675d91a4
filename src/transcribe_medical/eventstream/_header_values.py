"""The values a header can hold, with typed wrappers for the wire types plain Python cannot name.

A plain ``int`` is sent as an int32 when it fits and as an int64 otherwise, so a header that
arrived as a byte, a short or a timestamp would change type on the way back out. The wrappers
below are ``int`` subclasses that remember their wire type: the decoder returns them, and the
encoder writes them back with the same type code, so decode → encode is byte for byte.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import ClassVar, Self, TypeAlias

from transcribe_medical._exceptions import ValidationError

__all__ = [
    "HeaderValue",
    "Int8",
    "Int16",
    "Int32",
    "Int64",
    "Timestamp",
    "WireInt",
]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_MILLISECOND = timedelta(milliseconds=1)


class WireInt(int):
    """An ``int`` that is encoded with a fixed wire type and width (the base of the wrappers)."""

    __slots__ = ()

    #: The header type code written on the wire.
    type_code: ClassVar[int]
    #: The width of the value on the wire, in bytes.
    width: ClassVar[int]

    def __new__(cls, value: int = 0) -> Self:
        """Build the wrapper, refusing a value that does not fit the wire type.

        Raises:
            ValidationError: If ``value`` is out of the type's signed range.
        """
        instance = super().__new__(cls, value)
        limit = 1 << (8 * cls.width - 1)
        if not -limit <= instance < limit:
            raise ValidationError(
                f"{cls.__name__} value {int(instance)} is out of range: allowed {-limit}..{limit - 1}",
                field="headers",
            )
        return instance

    def __repr__(self) -> str:
        return f"{type(self).__name__}({int(self)})"

    def to_wire(self) -> bytes:
        """Return the type code followed by the big-endian value, as it appears in a header."""
        return bytes((self.type_code,)) + self.to_bytes(self.width, "big", signed=True)


class Int8(WireInt):
    """A header of type 2 (``byte``): a signed 8-bit integer.

    Example:
        >>> encode_message({"level": Int8(-3)})  # doctest: +SKIP
    """

    __slots__ = ()
    type_code = 2
    width = 1


class Int16(WireInt):
    """A header of type 3 (``short``): a signed 16-bit integer."""

    __slots__ = ()
    type_code = 3
    width = 2


class Int32(WireInt):
    """A header of type 4 (``integer``): a signed 32-bit integer.

    A plain ``int`` that fits is sent this way too; the wrapper only makes it explicit.
    """

    __slots__ = ()
    type_code = 4
    width = 4


class Int64(WireInt):
    """A header of type 5 (``long``): a signed 64-bit integer."""

    __slots__ = ()
    type_code = 5
    width = 8


class Timestamp(WireInt):
    """A header of type 8 (``timestamp``): milliseconds since the Unix epoch, as a signed 64-bit int.

    Build it from an ``int`` of milliseconds or from a timezone-aware :class:`~datetime.datetime`.

    Example:
        >>> Timestamp(datetime(2024, 5, 1, tzinfo=UTC))
        Timestamp(1714521600000)
        >>> Timestamp(1714521600000).to_datetime()
        datetime.datetime(2024, 5, 1, 0, 0, tzinfo=datetime.timezone.utc)
    """

    __slots__ = ()
    type_code = 8
    width = 8

    def __new__(cls, value: int | datetime = 0) -> Self:
        """Build a timestamp from milliseconds since the epoch or from an aware datetime.

        Raises:
            ValidationError: If a datetime is naive (its time zone would be a guess) or the value
                does not fit in 64 bits.
        """
        if isinstance(value, datetime):
            return cls.from_datetime(value)
        return super().__new__(cls, value)

    @classmethod
    def from_datetime(cls, moment: datetime) -> Self:
        """Build a timestamp from a timezone-aware datetime, truncated to the millisecond.

        Raises:
            ValidationError: If ``moment`` is naive.
        """
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValidationError(
                f"Timestamp needs a timezone-aware datetime, got naive {moment.isoformat()}: "
                "add tzinfo (e.g. datetime.now(UTC))",
                field="headers",
            )
        return cls((moment - _EPOCH) // _ONE_MILLISECOND)

    def to_datetime(self) -> datetime:
        """Return the moment as an aware UTC datetime.

        Raises:
            OverflowError: If the value lies outside the years datetime can represent (1-9999).
        """
        return _EPOCH + timedelta(milliseconds=int(self))


#: Every value a header can hold. ``bool`` is types 0/1, the :class:`WireInt` wrappers carry their
#: own type, a plain ``int`` is type 4 (or 5 when it does not fit), ``bytes`` is 6, ``str`` is 7 and
#: :class:`uuid.UUID` is 9.
HeaderValue: TypeAlias = bool | int | bytes | str | uuid.UUID
