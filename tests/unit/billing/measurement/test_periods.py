"""Measurement periods: calendar and cut-off months, splitting at change dates, commercial (30/360) days."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import pairwise

import pytest

from ops.billing.measurement.periods import Period, commercial_days, measurement_period, split


def test_a_period_includes_both_ends() -> None:
    period = Period(date(2026, 11, 1), date(2026, 11, 30))
    assert period.days == 30
    assert date(2026, 11, 30) in period and date(2026, 12, 1) not in period
    assert Period(date(2026, 11, 5), date(2026, 11, 5)).days == 1
    assert str(period) == "2026-11-01..2026-11-30"


def test_a_period_cannot_end_before_it_starts() -> None:
    with pytest.raises(ValueError, match="before it starts"):
        Period(date(2026, 11, 2), date(2026, 11, 1))


@pytest.mark.parametrize(
    ("month", "start", "end", "days"),
    [
        ("2026-11", date(2026, 11, 1), date(2026, 11, 30), 30),
        ("2026-12", date(2026, 12, 1), date(2026, 12, 31), 31),
        ("2026-02", date(2026, 2, 1), date(2026, 2, 28), 28),
        ("2028-02", date(2028, 2, 1), date(2028, 2, 29), 29),  # leap year
    ],
)
def test_without_cutoff_the_period_is_the_calendar_month(month: str, start: date, end: date, days: int) -> None:
    assert measurement_period(month, None) == Period(start, end)
    assert measurement_period(month, None).days == days


@pytest.mark.parametrize(
    ("month", "cutoff", "start", "end", "days"),
    [
        # DOMAIN.md's "20th to 20th": the month names the period by the day it closes on.
        ("2026-11", 20, date(2026, 10, 21), date(2026, 11, 20), 31),
        # across the year end, both ways
        ("2027-01", 20, date(2026, 12, 21), date(2027, 1, 20), 31),
        ("2026-12", 20, date(2026, 11, 21), date(2026, 12, 20), 30),
        # February's period is short (21 Feb..20 Mar has 28 days in 2026)
        ("2026-03", 20, date(2026, 2, 21), date(2026, 3, 20), 28),
        ("2026-03", 1, date(2026, 2, 2), date(2026, 3, 1), 28),
        # cut-off on the 28th: the day after 28 Feb is 1 Mar, or 29 Feb in a leap year
        ("2026-03", 28, date(2026, 3, 1), date(2026, 3, 28), 28),
        ("2028-03", 28, date(2028, 2, 29), date(2028, 3, 28), 29),
    ],
)
def test_a_cutoff_period_runs_from_the_day_after_the_previous_cutoff(
    month: str, cutoff: int, start: date, end: date, days: int
) -> None:
    period = measurement_period(month, cutoff)
    assert period == Period(start, end)
    assert period.days == days


@pytest.mark.parametrize("cutoff", [None, 1, 10, 20, 28])
def test_consecutive_periods_tile_the_calendar(cutoff: int | None) -> None:
    months = [f"{year}-{m:02d}" for year in (2026, 2027, 2028) for m in range(1, 13)]
    periods = [measurement_period(m, cutoff) for m in months]
    for before, after in pairwise(periods):
        assert after.start == before.end + timedelta(days=1)


@pytest.mark.parametrize("month", ["2026-13", "2026-00", "2026-1", "26-11", "2026/11", "2026-11-01", "", " 2026-11"])
def test_a_bad_month_is_refused_naming_the_field(month: str) -> None:
    with pytest.raises(ValueError, match=r"^month: "):
        measurement_period(month, None)


def test_a_month_that_is_not_text_is_refused() -> None:
    with pytest.raises(ValueError, match=r"^month: "):
        measurement_period(202611, None)  # type: ignore[arg-type]


@pytest.mark.parametrize("cutoff", [0, 29, 31, -1, True, "20", 20.0])
def test_a_bad_cutoff_day_is_refused_naming_the_field(cutoff: object) -> None:
    with pytest.raises(ValueError, match=r"^cutoff_day: "):
        measurement_period("2026-11", cutoff)  # type: ignore[arg-type]


def test_split_starts_a_new_piece_on_each_change_date_inside_the_period() -> None:
    november = Period(date(2026, 11, 1), date(2026, 11, 30))
    at = [
        date(2026, 11, 16),
        date(2026, 11, 1),  # the first day: nothing before it to cut off
        date(2026, 12, 1),  # after the period
        date(2026, 10, 1),  # before the period
        date(2026, 11, 16),  # a repeat
        date(2026, 11, 30),  # the last day alone
    ]
    assert split(november, at) == [
        Period(date(2026, 11, 1), date(2026, 11, 15)),
        Period(date(2026, 11, 16), date(2026, 11, 29)),
        Period(date(2026, 11, 30), date(2026, 11, 30)),
    ]


def test_split_without_dates_keeps_the_period_whole() -> None:
    period = measurement_period("2026-11", 20)
    assert split(period, []) == [period]


def test_split_a_cutoff_period_at_a_month_start_and_a_contract_end() -> None:
    period = measurement_period("2027-02", 20)  # 2027-01-21..2027-02-20
    # an anniversary on 1 Feb and a contract ending on 15 Feb (the day after it is the cut)
    pieces = split(period, [date(2027, 2, 1), date(2027, 2, 16)])
    assert pieces == [
        Period(date(2027, 1, 21), date(2027, 1, 31)),
        Period(date(2027, 2, 1), date(2027, 2, 15)),
        Period(date(2027, 2, 16), date(2027, 2, 20)),
    ]
    assert sum(p.days for p in pieces) == period.days == 31


def test_commercial_days_ignore_the_31st() -> None:
    january = measurement_period("2026-01", None)
    assert commercial_days(january, january) == 30
    assert commercial_days(january, Period(date(2026, 1, 1), date(2026, 1, 15))) == 15
    assert commercial_days(january, Period(date(2026, 1, 16), date(2026, 1, 31))) == 15  # 16..30
    assert commercial_days(january, Period(date(2026, 1, 31), date(2026, 1, 31))) == 0
    assert commercial_days(january, Period(date(2026, 1, 1), date(2026, 1, 30))) == 30


def test_commercial_days_make_february_up_to_thirty() -> None:
    february = measurement_period("2026-02", None)
    assert commercial_days(february, february) == 30
    assert commercial_days(february, Period(date(2026, 2, 1), date(2026, 2, 14))) == 14
    # 15..28 is 14 days; 28 Feb counts as the 28th, 29th and 30th
    assert commercial_days(february, Period(date(2026, 2, 15), date(2026, 2, 28))) == 16
    leap = measurement_period("2028-02", None)
    assert commercial_days(leap, Period(date(2028, 2, 29), date(2028, 2, 29))) == 2


def test_commercial_days_of_a_cutoff_period() -> None:
    period = measurement_period("2026-11", 20)  # 2026-10-21..2026-11-20, 31 days
    assert commercial_days(period, period) == 30
    # 21..30 Oct counts 10, the 31st nothing; then 1..20 Nov counts 20
    assert commercial_days(period, Period(date(2026, 10, 21), date(2026, 10, 31))) == 10
    assert commercial_days(period, Period(date(2026, 11, 1), date(2026, 11, 20))) == 20
    short = measurement_period("2026-03", 20)  # 2026-02-21..2026-03-20, 28 days
    assert commercial_days(short, Period(date(2026, 2, 21), date(2026, 2, 28))) == 10  # 21..30 "Feb"
    assert commercial_days(short, Period(date(2026, 3, 1), date(2026, 3, 20))) == 20


@pytest.mark.parametrize("month", [f"2026-{m:02d}" for m in range(1, 13)] + ["2028-02", "2028-03"])
@pytest.mark.parametrize("cutoff", [None, 1, 15, 20, 28])
def test_the_commercial_days_of_any_split_add_up_to_thirty(month: str, cutoff: int | None) -> None:
    period = measurement_period(month, cutoff)
    every_day = [period.start + timedelta(days=i) for i in range(period.days)]
    for cuts in (every_day, every_day[::3], every_day[::7]):
        pieces = split(period, cuts)
        counts = [commercial_days(period, p) for p in pieces]
        assert sum(counts) == 30
        assert min(counts) >= 0


def test_commercial_days_refuse_a_piece_outside_the_period() -> None:
    with pytest.raises(ValueError, match="not inside"):
        commercial_days(measurement_period("2026-11", None), Period(date(2026, 10, 31), date(2026, 11, 2)))
