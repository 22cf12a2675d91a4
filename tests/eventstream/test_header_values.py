"""The typed header wrappers: ranges, repr, and timestamps from and to datetimes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from transcribe_medical._exceptions import ValidationError
from transcribe_medical.eventstream import Int8, Int16, Int32, Int64, Timestamp


@pytest.mark.parametrize(
    ("wrapper", "bits"), [(Int8, 8), (Int16, 16), (Int32, 32), (Int64, 64), (Timestamp, 64)], ids=str
)
def test_range_is_checked_on_construction(wrapper: type[int], bits: int) -> None:
    low, high = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
    assert wrapper(low) == low
    assert wrapper(high) == high
    for bad in (low - 1, high + 1):
        with pytest.raises(ValidationError, match="out of range"):
            wrapper(bad)


def test_wrappers_are_ints_with_a_telling_repr() -> None:
    value = Int16(-5)
    assert isinstance(value, int)
    assert value + 1 == -4
    assert repr(value) == "Int16(-5)"
    assert repr(Timestamp(3)) == "Timestamp(3)"


def test_timestamp_from_aware_datetime() -> None:
    moment = datetime(2024, 5, 1, 12, 0, 0, 123_456, tzinfo=UTC)
    stamp = Timestamp(moment)
    assert stamp == 1_714_564_800_123
    assert Timestamp.from_datetime(moment) == stamp
    assert stamp.to_datetime() == moment.replace(microsecond=123_000)


def test_timestamp_honours_the_time_zone() -> None:
    plus_two = timezone(timedelta(hours=2))
    assert Timestamp(datetime(1970, 1, 1, 2, tzinfo=plus_two)) == 0


def test_timestamp_before_the_epoch() -> None:
    stamp = Timestamp(datetime(1969, 12, 31, 23, 59, 59, tzinfo=UTC))
    assert stamp == -1000
    assert stamp.to_datetime() == datetime(1969, 12, 31, 23, 59, 59, tzinfo=UTC)


def test_naive_datetime_is_refused() -> None:
    with pytest.raises(ValidationError, match="timezone-aware"):
        Timestamp(datetime(2024, 5, 1))
