"""Property-based tests: invariants of the SLA clock over random calendars, starts and pauses."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ops.calendars import (
    Calendar,
    add_business_minutes,
    add_business_minutes_each,
    business_minutes_between,
    is_open,
    next_open,
)

# Zones with DST at midnight (São Paulo until 2019), at 02:00 (New York), at 01:00 UTC (London) and
# by half an hour (Lord Howe), plus one without DST.
ZONES = ["UTC", "America/Sao_Paulo", "America/New_York", "Europe/London", "Australia/Lord_Howe"]
US = timedelta(microseconds=1)
FAST = settings(max_examples=60, deadline=None)

Pauses = list[tuple[datetime, datetime]]


@st.composite
def day_windows(draw: st.DrawFn) -> tuple[tuple[int, int], ...]:
    # Boundaries on a 15-minute grid, paired up in order: sorted, non-overlapping, start < end.
    bounds = draw(st.lists(st.integers(0, 96), min_size=0, max_size=6, unique=True).map(sorted))
    if len(bounds) % 2:
        bounds = bounds[:-1]
    return tuple((bounds[i] * 15, bounds[i + 1] * 15) for i in range(0, len(bounds), 2))


@st.composite
def calendars(draw: st.DrawFn) -> Calendar:
    hours = tuple(draw(day_windows()) for _ in range(7))
    if not any(hours):
        hours = (((540, 1020),), *hours[1:])
    extra = draw(st.frozensets(st.dates(date(2018, 1, 1), date(2026, 12, 31)), max_size=5))
    region = draw(st.sampled_from([(None, None), ("BR", None), ("BR", "SP"), ("US", "NY")]))
    return Calendar(
        timezone=ZoneInfo(draw(st.sampled_from(ZONES))),
        hours=hours,
        holidays=extra,
        country=region[0],
        subdivision=region[1],
    )


starts = st.datetimes(datetime(2018, 1, 1), datetime(2026, 12, 31)).map(lambda d: d.replace(tzinfo=UTC))


@st.composite
def pauses_after(draw: st.DrawFn, start: datetime) -> Pauses:
    spans = draw(st.lists(st.tuples(st.integers(-600, 20_000), st.integers(0, 3_000)), max_size=3))
    return [(start + timedelta(minutes=a), start + timedelta(minutes=a + n)) for a, n in spans]


@FAST
@given(cal=calendars(), start=starts, minutes=st.integers(1, 5_000), data=st.data())
def test_due_time_is_never_outside_opening_hours(
    cal: Calendar, start: datetime, minutes: int, data: st.DataObject
) -> None:
    pauses = data.draw(pauses_after(start))
    due = add_business_minutes(cal, start, minutes, pauses)
    assert due > start
    # The minute before the deadline was counting time: the deadline is inside a window, or
    # exactly at its end, and never inside (or at the end of) a pause.
    assert is_open(cal, due - US)
    assert not any(a < due <= b for a, b in pauses)


@FAST
@given(cal=calendars(), start=starts, a=st.integers(0, 3_000), b=st.integers(0, 3_000), data=st.data())
def test_adding_in_two_steps_equals_adding_at_once(
    cal: Calendar, start: datetime, a: int, b: int, data: st.DataObject
) -> None:
    pauses = data.draw(pauses_after(start))
    first = add_business_minutes(cal, start, a, pauses)
    assert add_business_minutes(cal, first, b, pauses) == add_business_minutes(cal, start, a + b, pauses)


@FAST
@given(cal=calendars(), start=starts, minutes=st.integers(0, 5_000), data=st.data())
def test_elapsed_time_to_the_due_time_is_the_target(
    cal: Calendar, start: datetime, minutes: int, data: st.DataObject
) -> None:
    pauses = data.draw(pauses_after(start))
    due = add_business_minutes(cal, start, minutes, pauses)
    assert business_minutes_between(cal, start, due, pauses) == minutes


@FAST
@given(
    cal=calendars(),
    start=starts,
    minutes=st.lists(st.one_of(st.integers(0, 5_000), st.floats(0, 5_000)), min_size=1, max_size=4),
    data=st.data(),
)
def test_deadlines_from_one_walk_are_each_deadline_on_its_own(
    cal: Calendar, start: datetime, minutes: list[float], data: st.DataObject
) -> None:
    # A ticket's first-response and resolution deadlines come from one walk of the calendar: in any order, with
    # repeats, zeros and pauses, each is what adding its minutes alone gives, to the microsecond and in the same zone.
    pauses = data.draw(pauses_after(start))
    each = add_business_minutes_each(cal, start, minutes, pauses)
    alone = [add_business_minutes(cal, start, m, pauses) for m in minutes]
    assert each == alone
    assert [d.tzinfo for d in each] == [d.tzinfo for d in alone]
    in_utc = add_business_minutes_each(cal, start, minutes, pauses, zone=UTC)
    assert in_utc == alone
    assert {d.tzinfo for d in in_utc} == {UTC}


def test_deadlines_from_one_walk_refuse_what_adding_refuses() -> None:
    cal = Calendar(timezone=ZoneInfo("UTC"), hours=(((540, 1020),),) * 7)
    with pytest.raises(ValueError, match="minutes must be a finite number >= 0, got -1"):
        add_business_minutes_each(cal, datetime(2026, 3, 2, tzinfo=UTC), [30, -1])
    with pytest.raises(ValueError, match="start must be timezone-aware"):
        add_business_minutes_each(cal, datetime(2026, 3, 2), [30])


@FAST
@given(cal=calendars(), start=starts, gap1=st.integers(0, 10_000), gap2=st.integers(0, 10_000))
def test_elapsed_time_adds_up_over_consecutive_spans(cal: Calendar, start: datetime, gap1: int, gap2: int) -> None:
    middle = start + timedelta(minutes=gap1)
    end = middle + timedelta(minutes=gap2)
    total = business_minutes_between(cal, start, end)
    parts = business_minutes_between(cal, start, middle) + business_minutes_between(cal, middle, end)
    assert total == pytest.approx(parts, abs=1e-9)
    assert 0 <= total <= gap1 + gap2


@FAST
@given(cal=calendars(), at=starts)
def test_next_open_is_open_and_nothing_counts_before_it(cal: Calendar, at: datetime) -> None:
    opening = next_open(cal, at)
    assert opening >= at
    assert is_open(cal, opening)
    assert business_minutes_between(cal, at, opening) == 0
    assert (opening == at) == is_open(cal, at)
