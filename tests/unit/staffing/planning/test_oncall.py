from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from ops.staffing.planning.oncall import OnCallRules, billable_hours, oncall_cost, outside_business_hours

SP = ZoneInfo("America/Sao_Paulo")
SATURDAY = date(2026, 3, 7)
MONDAY = date(2026, 3, 2)


def at(day: date, hour: int, minute: int = 0, tz: ZoneInfo = SP) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=tz)


@pytest.mark.parametrize(
    ("actual_end", "hours"),
    [(None, 10), (at(SATURDAY, 18), 10), (at(SATURDAY, 13), 5), (at(SATURDAY, 10), 4)],
)
def test_domain_example_saturday_shift_bills_until_the_end_but_never_under_four_hours(
    actual_end: datetime | None, hours: int
) -> None:
    billed = billable_hours(at(SATURDAY, 8), at(SATURDAY, 18), actual_end, holidays=set())
    assert billed == Decimal(hours)


def test_monday_to_thursday_minimum_is_two_hours() -> None:
    assert billable_hours(at(MONDAY, 20), at(MONDAY, 21), None, holidays=set()) == Decimal(2)
    assert billable_hours(at(MONDAY, 20), at(MONDAY, 23), None, holidays=set()) == Decimal(3)


def test_friday_and_holidays_have_the_four_hour_minimum() -> None:
    friday, tuesday = date(2026, 3, 6), date(2026, 3, 3)
    assert billable_hours(at(friday, 20), at(friday, 21), None, holidays=set()) == Decimal(4)
    assert billable_hours(at(tuesday, 20), at(tuesday, 21), None, holidays={tuesday}) == Decimal(4)
    assert billable_hours(at(tuesday, 20), at(tuesday, 21), None, holidays=set()) == Decimal(2)


def test_the_contract_may_set_its_own_minimums() -> None:
    friday = date(2026, 3, 6)
    minimums = {"mon_thu": Decimal(3), "fri_sun_holiday": Decimal("5.5")}
    assert billable_hours(at(MONDAY, 20), at(MONDAY, 21), None, holidays=set(), **minimums) == Decimal(3)
    assert billable_hours(at(friday, 20), at(friday, 21), None, holidays=set(), **minimums) == Decimal("5.5")
    assert billable_hours(at(friday, 12), at(friday, 20), None, holidays=set(), **minimums) == Decimal(8)


def test_a_shift_crossing_midnight_takes_the_minimum_of_its_start_day() -> None:
    thursday = date(2026, 3, 5)
    billed = billable_hours(at(thursday, 23), at(date(2026, 3, 6), 1), at(thursday, 23, 30), holidays=set())
    assert billed == Decimal(2)


def test_elapsed_time_is_real_time_across_a_daylight_saving_change() -> None:
    new_york = ZoneInfo("America/New_York")
    sunday = date(2026, 3, 8)  # clocks jump from 02:00 to 03:00
    billed = billable_hours(at(sunday, 0, tz=new_york), at(sunday, 6, tz=new_york), None, holidays=set())
    assert billed == Decimal(5)


def test_cost_is_billed_hours_times_rate_in_cents() -> None:
    cost = oncall_cost(at(SATURDAY, 8), at(SATURDAY, 18), at(SATURDAY, 13), rate=Decimal("240.00"), holidays=set())
    assert cost == Decimal("1200.00")
    cost = oncall_cost(at(MONDAY, 20), at(MONDAY, 22), at(MONDAY, 20, 10), rate=Decimal("33.33"), holidays=set())
    assert cost == Decimal("66.66")


def test_a_shift_ending_before_it_starts_is_rejected() -> None:
    with pytest.raises(ValueError, match="end after"):
        billable_hours(at(MONDAY, 20), at(MONDAY, 20), None, holidays=set())
    with pytest.raises(ValueError, match="before it starts"):
        billable_hours(at(MONDAY, 20), at(MONDAY, 22), at(MONDAY, 19), holidays=set())


def test_business_hours_are_weekdays_between_opening_and_closing_except_holidays() -> None:
    tuesday = date(2026, 3, 3)
    rules = OnCallRules(hourly_rate=Decimal(20), holidays=frozenset({tuesday}))
    stamps = [
        at(MONDAY, 7, 30),
        at(MONDAY, 8),
        at(MONDAY, 19, 30),
        at(MONDAY, 20),
        at(SATURDAY, 10),
        at(tuesday, 10),
    ]
    outside = outside_business_hours(pd.DatetimeIndex(stamps), rules)
    assert outside.tolist() == [True, False, False, True, True, True]
