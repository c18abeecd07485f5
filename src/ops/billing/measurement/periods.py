"""Measurement periods: the calendar or cut-off month, its split where billing changes, its commercial days."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

_MONTH = re.compile(r"(\d{4})-(\d{2})")
MAX_CUTOFF_DAY = 28  # every month has a 28th, so a cut-off period always ends on its named day


@dataclass(frozen=True, order=True)
class Period:
    """Days from `start` through `end`, both included."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"a period cannot end ({self.end}) before it starts ({self.start})")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end

    def __str__(self) -> str:
        return f"{self.start.isoformat()}..{self.end.isoformat()}"


def _previous_month(year: int, month: int) -> tuple[int, int]:
    return (year - 1, 12) if month == 1 else (year, month - 1)


def _last_day(year: int, month: int) -> date:
    following = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return following - timedelta(days=1)


def measurement_period(month: str, cutoff_day: int | None = None) -> Period:
    """The period a measurement named `month` ('YYYY-MM') covers.

    Without a cut-off it is the calendar month. With cut-off day `c` (1..28) it runs from the day after
    the `c`-th of the previous month through the `c`-th of `month`: "2026-11" with the 20th is
    2026-10-21..2026-11-20 (the month names the period by the day it closes on).
    """
    m = _MONTH.fullmatch(month) if isinstance(month, str) else None
    if m is None:
        raise ValueError(f"month: expected 'YYYY-MM', got {month!r}")
    year, number = int(m.group(1)), int(m.group(2))
    if not 1 <= number <= 12 or year < 1:
        raise ValueError(f"month: {month!r} is not a calendar month")
    if cutoff_day is None:
        return Period(date(year, number, 1), _last_day(year, number))
    # bool is an int: refuse it so that a YAML `true` is not read as the 1st.
    if isinstance(cutoff_day, bool) or not isinstance(cutoff_day, int) or not 1 <= cutoff_day <= MAX_CUTOFF_DAY:
        raise ValueError(f"cutoff_day: must be an integer from 1 to {MAX_CUTOFF_DAY}, got {cutoff_day!r}")
    before = _previous_month(year, number)
    if before[0] < 1:
        raise ValueError(f"month: {month!r} has no previous month to start from")
    start = date(before[0], before[1], cutoff_day) + timedelta(days=1)
    return Period(start, date(year, number, cutoff_day))


def split(period: Period, at: Iterable[date]) -> list[Period]:
    """`period` cut into consecutive pieces, a new piece starting on each date of `at` inside it.

    A date is the first day something new applies (a position change, a new price, the contract's start;
    for the contract's end pass the day after it). Dates on the period's first day or outside it change
    nothing; repeats are ignored. The pieces cover the period exactly, in order.
    """
    cuts = sorted({day for day in at if period.start < day <= period.end})
    pieces: list[Period] = []
    start = period.start
    for cut in cuts:
        pieces.append(Period(start, cut - timedelta(days=1)))
        start = cut
    pieces.append(Period(start, period.end))
    return pieces


def _commercial_ordinal(day: date) -> int:
    # 30/360 with the end-of-month rule: the 31st and the last day of February both count as the 30th.
    last_of_month = (day + timedelta(days=1)).month != day.month
    return day.year * 360 + (day.month - 1) * 30 + (30 if last_of_month else day.day)


def _commercial_through(period: Period, day: date) -> int:
    if day < period.start:
        return 0
    if day >= period.end:
        return 30
    return min(30, _commercial_ordinal(day) - _commercial_ordinal(period.start - timedelta(days=1)))


def commercial_days(period: Period, piece: Period) -> int:
    """The days `piece` counts in `period` taken as a commercial month of 30 days (mês comercial).

    Days count by 30/360: the 31st adds nothing and the last day of February makes the month up to 30, so a
    piece covering the whole period counts 30 whatever its length and the pieces of a split always add up
    to 30. A cut-off period counts the same way from the day after its cut-off (21 Oct..20 Nov: the 31st
    of October adds nothing); one that reaches 30 before its end (a 31-day one) adds nothing after.
    """
    if not (period.start <= piece.start and piece.end <= period.end):
        raise ValueError(f"{piece} is not inside the period {period}")
    return _commercial_through(period, piece.end) - _commercial_through(period, piece.start - timedelta(days=1))
