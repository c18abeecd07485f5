"""Minutes logged on a ticket: read exactly, more than 0, at most a day, at most 2 decimals."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ops.errors import InvalidInputError
from ops.queues.work.minutes import parse_minutes


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("12.5"), Decimal("12.50")),
        ("12.5", Decimal("12.50")),
        (" 7 ", Decimal("7.00")),
        (10, Decimal("10.00")),
        (0.1, Decimal("0.10")),  # a float through its shortest text, never its binary value
        ("0.01", Decimal("0.01")),
        ("1440", Decimal("1440.00")),
        (Decimal("1440.00"), Decimal("1440.00")),
    ],
)
def test_good_minutes_are_kept_exactly(value: object, expected: Decimal) -> None:
    parsed = parse_minutes(value)
    assert parsed == expected
    assert parsed.as_tuple().exponent == -2


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (0, "more than 0"),
        ("-5", "more than 0"),
        ("1440.01", "at most 1440"),
        ("1e9", "at most 1440"),
        ("12.345", "at most 2 decimals"),
        (0.30000000000000004, "at most 2 decimals"),
        ("12,5", "not a number"),  # a comma is ambiguous ("1,440"): refused, not guessed
        ("doze", "not a number"),
        ("", "not a number"),
        ("NaN", "not a finite number"),
        ("Infinity", "not a finite number"),
        (True, "expected a number"),
        (None, "expected a number"),
        ([12], "expected a number"),
    ],
)
def test_bad_minutes_are_refused_naming_the_field(value: object, problem: str) -> None:
    with pytest.raises(InvalidInputError) as refused:
        parse_minutes(value)
    assert refused.value.status_code == 422
    assert refused.value.extra[0]["field"] == "minutes"
    assert problem in refused.value.extra[0]["problem"]
    assert refused.value.message.startswith("minutes: ")


def test_the_field_name_can_be_another_forms() -> None:
    with pytest.raises(InvalidInputError) as refused:
        parse_minutes("x", "add[0].minutes")
    assert refused.value.extra == [{"field": "add[0].minutes", "problem": "'x' is not a number of minutes"}]
