"""On-call shift billing (DOMAIN.md "Money and the contract") and the on-call option of the shift planner."""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import numpy.typing as npt
import pandas as pd

# The contract may set its own minimums (prices.oncall); these are DOMAIN.md's defaults.
LONG_DAY_MINIMUM = Decimal(4)
SHORT_DAY_MINIMUM = Decimal(2)
_HOURS = Decimal("0.0001")
_CENTS = Decimal("0.01")


def minimum_hours(
    day: date,
    *,
    holidays: Set[date],
    mon_thu: Decimal = SHORT_DAY_MINIMUM,
    fri_sun_holiday: Decimal = LONG_DAY_MINIMUM,
) -> Decimal:
    """Hours billed at least for an on-call shift starting on `day`: `fri_sun_holiday` on Fri-Sun and
    holidays (default 4), else `mon_thu` (default 2)."""
    if day.weekday() >= 4 or day in holidays:
        return fri_sun_holiday
    return mon_thu


def _elapsed_hours(start: datetime, end: datetime) -> Decimal:
    # Aware datetimes sharing a tzinfo subtract as wall clocks; going through UTC counts real time across DST.
    if start.tzinfo is not None:
        start, end = start.astimezone(UTC), end.astimezone(UTC)
    seconds = Decimal(str((end - start).total_seconds()))
    return seconds / Decimal(3600)


def billable_hours(
    start: datetime,
    planned_end: datetime,
    actual_end: datetime | None,
    *,
    holidays: Set[date],
    mon_thu: Decimal = SHORT_DAY_MINIMUM,
    fri_sun_holiday: Decimal = LONG_DAY_MINIMUM,
) -> Decimal:
    """Hours billed for one on-call shift, whether or not the specialist was called.

    The shift bills until the time it actually ended (the planned end when `actual_end` is None), but never
    under the minimum of the day it starts on (a shift crossing midnight takes its start day's minimum;
    see `minimum_hours`).
    """
    if planned_end <= start:
        raise ValueError("an on-call shift must end after it starts")
    end = planned_end if actual_end is None else actual_end
    if end < start:
        raise ValueError("an on-call shift cannot end before it starts")
    worked = _elapsed_hours(start, end)
    minimum = minimum_hours(start.date(), holidays=holidays, mon_thu=mon_thu, fri_sun_holiday=fri_sun_holiday)
    return max(worked, minimum).quantize(_HOURS, ROUND_HALF_UP)


def billable_hours_by_period(
    start: datetime,
    planned_end: datetime,
    actual_end: datetime | None,
    *,
    holidays: Set[date],
    mon_thu: Decimal = SHORT_DAY_MINIMUM,
    fri_sun_holiday: Decimal = LONG_DAY_MINIMUM,
) -> list[Decimal]:
    """Hours billed for each 24-hour period of an on-call shift, counted in real time from its start.

    Each period bills what `billable_hours` bills for it (the hours worked in it, never under the minimum
    of the local day it starts on): a shift under 24 hours gives one period and bills exactly what
    `billable_hours` does. A period that starts after the shift ended bills nothing. `start` must be aware:
    its time zone decides each period's local day. (billing.measurement.lines.oncall_hours bills the same.)
    """
    if start.tzinfo is None or start.utcoffset() is None:
        raise ValueError("an on-call shift's start needs a time zone: the local day decides the minimum")
    if planned_end <= start:
        raise ValueError("an on-call shift must end after it starts")
    end = planned_end if actual_end is None else actual_end
    if end < start:
        raise ValueError("an on-call shift cannot end before it starts")
    latest = max(planned_end, end)
    origin, zone = start.astimezone(UTC), start.tzinfo
    hours: list[Decimal] = []
    k = 0
    # Periods step in UTC so each lasts 24 real hours; back in the shift's zone, .date() is the local day.
    while k == 0 or origin + timedelta(hours=24 * k) < end:
        period_start = (origin + timedelta(hours=24 * k)).astimezone(zone)
        period_end = origin + timedelta(hours=24 * (k + 1))
        actual = None if actual_end is None else min(actual_end, period_end)
        hours.append(
            billable_hours(
                period_start,
                min(period_end, latest),
                actual,
                holidays=holidays,
                mon_thu=mon_thu,
                fri_sun_holiday=fri_sun_holiday,
            )
        )
        k += 1
    return hours


def oncall_cost(
    start: datetime,
    planned_end: datetime,
    actual_end: datetime | None,
    *,
    rate: Decimal,
    holidays: Set[date],
    mon_thu: Decimal = SHORT_DAY_MINIMUM,
    fri_sun_holiday: Decimal = LONG_DAY_MINIMUM,
) -> Decimal:
    """Money billed for one on-call shift: billable hours times the hourly rate, rounded to cents."""
    hours = billable_hours(
        start, planned_end, actual_end, holidays=holidays, mon_thu=mon_thu, fri_sun_holiday=fri_sun_holiday
    )
    return (hours * rate).quantize(_CENTS, ROUND_HALF_UP)


@dataclass(frozen=True)
class OnCallRules:
    """Lets the planner cover intervals outside business hours with on-call shifts of one queue.

    An on-call shift lies entirely outside business hours (a weekday in `business_weekdays`, not a
    holiday, between `opens` and `closes` local time), takes no break, does not count against the
    reinforcement caps, and is billed `billable_hours` of its planned length at `hourly_rate`, never under
    `minimum_hours_mon_thu` / `minimum_hours_fri_sun_holiday` (the contract's, default 2 and 4).
    """

    hourly_rate: Decimal
    lengths_hours: tuple[float, ...] = (2.0, 4.0, 6.0, 8.0, 10.0, 12.0)
    opens: time = time(8)
    closes: time = time(20)
    business_weekdays: frozenset[int] = frozenset(range(5))
    holidays: frozenset[date] = frozenset()
    minimum_hours_mon_thu: Decimal = SHORT_DAY_MINIMUM
    minimum_hours_fri_sun_holiday: Decimal = LONG_DAY_MINIMUM

    def __post_init__(self) -> None:
        if self.hourly_rate < 0:
            raise ValueError("the on-call rate cannot be negative")
        if self.minimum_hours_mon_thu < 0 or self.minimum_hours_fri_sun_holiday < 0:
            raise ValueError("on-call minimum hours cannot be negative")
        if not self.lengths_hours or min(self.lengths_hours) <= 0:
            raise ValueError("on-call lengths must be positive")


def outside_business_hours(local: pd.DatetimeIndex, rules: OnCallRules) -> npt.NDArray[np.bool_]:
    """True for each local interval start that falls outside the business hours of `rules`."""
    minute = np.asarray(local.hour * 60 + local.minute)
    opens = rules.opens.hour * 60 + rules.opens.minute
    closes = rules.closes.hour * 60 + rules.closes.minute
    after_open, before_close = minute >= opens, minute < closes
    # Opening hours that run past midnight (e.g. 18:00-02:00) wrap around.
    open_now = after_open & before_close if opens <= closes else after_open | before_close
    days = np.asarray(local.date)
    business_day = np.asarray(local.day_of_week.isin(sorted(rules.business_weekdays)))
    business_day &= np.array([d not in rules.holidays for d in days], dtype=bool)
    return np.asarray(~(open_now & business_day), dtype=np.bool_)


def planned_billable_hours(start: datetime, end: datetime, rules: OnCallRules) -> Decimal:
    """Hours billed for an on-call shift the planner schedules from `start` to `end` under `rules`."""
    return billable_hours(
        start,
        end,
        None,
        holidays=rules.holidays,
        mon_thu=rules.minimum_hours_mon_thu,
        fri_sun_holiday=rules.minimum_hours_fri_sun_holiday,
    )
