"""On-call hours per 24-hour period from a shift's start: the shift list's figures, equal to what billing bills."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from ops.billing.measurement.lines import OnCallShift, oncall_hours
from ops.staffing.planning.oncall import billable_hours, billable_hours_by_period

SP = ZoneInfo("America/Sao_Paulo")
SATURDAY = date(2026, 3, 7)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=SP)


@pytest.mark.parametrize(
    ("ended", "hours"),
    [(None, "10"), (at(SATURDAY, 13), "5"), (at(SATURDAY, 10), "4")],
)
def test_domain_examples_are_one_period(ended: datetime | None, hours: str) -> None:
    periods = billable_hours_by_period(at(SATURDAY, 8), at(SATURDAY, 18), ended, holidays=set())
    assert periods == [Decimal(hours)]


def test_a_weekend_shift_is_billed_per_24_hours_each_at_its_days_minimum() -> None:
    friday = date(2026, 3, 6)
    # Friday 20:00 to Monday 08:00: 24 + 24 + 12 hours.
    assert billable_hours_by_period(at(friday, 20), at(friday + timedelta(days=3), 8), None, holidays=set()) == [
        Decimal(24),
        Decimal(24),
        Decimal(12),
    ]
    # Ended one hour into its third period (a Sunday 20:00): that period still bills Sunday's 4 hours.
    ended = at(friday + timedelta(days=2), 21)
    assert billable_hours_by_period(at(friday, 20), at(friday + timedelta(days=3), 8), ended, holidays=set()) == [
        Decimal(24),
        Decimal(24),
        Decimal(4),
    ]
    # Ended within its first period: the later periods bill nothing at all.
    early = billable_hours_by_period(at(friday, 20), at(friday + timedelta(days=3), 8), at(friday, 22), holidays=set())
    assert early == [Decimal(4)]


def test_a_shift_under_a_day_bills_what_billable_hours_bills() -> None:
    tuesday = date(2026, 4, 21)  # Tiradentes
    for holidays in (set(), {tuesday}):
        one = billable_hours_by_period(at(tuesday, 20), at(tuesday, 21), None, holidays=holidays)
        assert one == [billable_hours(at(tuesday, 20), at(tuesday, 21), None, holidays=holidays)]
    assert billable_hours_by_period(at(tuesday, 20), at(tuesday, 21), None, holidays={tuesday}) == [Decimal(4)]
    assert billable_hours_by_period(at(tuesday, 20), at(tuesday, 21), None, holidays=set()) == [Decimal(2)]


@pytest.mark.parametrize(
    ("start", "end", "ended"),
    [
        (at(SATURDAY, 8), at(SATURDAY, 18), None),
        (at(SATURDAY, 8), at(SATURDAY, 18), at(SATURDAY, 9)),
        (at(date(2026, 3, 5), 19), at(date(2026, 3, 9), 7), None),
        (at(date(2026, 3, 5), 19), at(date(2026, 3, 9), 7), at(date(2026, 3, 7), 20)),
        (at(date(2026, 3, 2), 23, 30), at(date(2026, 3, 16), 23, 30), at(date(2026, 3, 10), 0, 15)),
    ],
)
def test_the_same_hours_as_the_measurement_bills(start: datetime, end: datetime, ended: datetime | None) -> None:
    """billing.measurement.lines.oncall_hours is the invoice's rule: the manager's list must not disagree."""
    holidays = {date(2026, 3, 3), date(2026, 3, 8)}
    mine = billable_hours_by_period(start, end, ended, holidays=holidays)
    billed = oncall_hours(OnCallShift(1, start, end, ended, 1), holidays=holidays)
    assert mine == billed


def test_bad_shifts_are_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        billable_hours_by_period(datetime(2026, 3, 7, 8), datetime(2026, 3, 7, 18), None, holidays=set())
    with pytest.raises(ValueError, match="end after it starts"):
        billable_hours_by_period(at(SATURDAY, 8), at(SATURDAY, 8), None, holidays=set())
    with pytest.raises(ValueError, match="before it starts"):
        billable_hours_by_period(at(SATURDAY, 8), at(SATURDAY, 18), at(SATURDAY, 7), holidays=set())


def test_periods_are_real_hours_whatever_the_zone() -> None:
    start = at(SATURDAY, 8)
    same = billable_hours_by_period(
        start.astimezone(UTC), (start + timedelta(hours=30)).astimezone(UTC), None, holidays=set()
    )
    assert sum(same, Decimal(0)) == Decimal(30)
