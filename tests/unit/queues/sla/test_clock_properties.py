"""Property-based tests of the ticket SLA clocks over random calendars and random histories."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ops.calendars import Calendar, business_minutes_between, is_open
from ops.queues.sla.clock import ClockEvent, Clocks, Deadline, Targets, compute

ZONES = ["UTC", "America/Sao_Paulo", "America/New_York", "America/Argentina/Buenos_Aires"]
US = timedelta(microseconds=1)
FAST = settings(max_examples=60, deadline=None)
KINDS = ["pend", "resume", "customer_message", "reply", "resolve", "reopen", "close", "note"]


@st.composite
def calendars(draw: st.DrawFn) -> Calendar:
    def day() -> st.SearchStrategy[tuple[tuple[int, int], ...]]:
        grid = st.lists(st.integers(0, 48), max_size=4, unique=True).map(sorted)
        return grid.map(lambda b: tuple((b[i] * 30, b[i + 1] * 30) for i in range(0, len(b) - 1, 2)))

    hours = tuple(draw(day()) for _ in range(7))
    if not any(hours):
        hours = (((480, 1080),), *hours[1:])
    region = draw(st.sampled_from([(None, None), ("BR", "SP"), ("BR", "RJ"), ("AR", None)]))
    return Calendar(
        timezone=ZoneInfo(draw(st.sampled_from(ZONES))),
        hours=hours,
        holidays=draw(st.frozensets(st.dates(date(2024, 1, 1), date(2026, 12, 31)), max_size=4)),
        country=region[0],
        subdivision=region[1],
    )


targets = st.builds(
    Targets,
    first_response=st.integers(1, 600).map(float),
    resolution=st.integers(1, 4_000).map(float),
    next_response=st.one_of(st.none(), st.integers(1, 600).map(float)),
)
created_at = st.datetimes(datetime(2024, 1, 1), datetime(2026, 6, 30)).map(lambda d: d.replace(tzinfo=UTC))


@st.composite
def histories(draw: st.DrawFn, created: datetime) -> list[ClockEvent]:
    gaps = draw(st.lists(st.integers(0, 3_000), max_size=12))
    kinds = draw(st.lists(st.sampled_from(KINDS), min_size=len(gaps), max_size=len(gaps)))
    at, events = created, []
    for gap, kind in zip(gaps, kinds, strict=True):
        at += timedelta(minutes=gap)
        events.append(ClockEvent(at, kind))
    return events


def all_deadlines(clocks: Clocks) -> dict[tuple[str, int], Deadline]:
    out = {("first_response", 0): clocks.first_response, ("resolution", 0): clocks.resolution}
    out.update({("next_response", i): d for i, d in enumerate(clocks.next_responses)})
    return out


@FAST
@given(cal=calendars(), t=targets, created=created_at, data=st.data())
def test_a_due_time_is_never_outside_opening_hours_nor_inside_a_pause(
    cal: Calendar, t: Targets, created: datetime, data: st.DataObject
) -> None:
    events = data.draw(histories(created))
    clocks = compute(cal, t, created, events, now=created + timedelta(days=30))
    for deadline in clocks.deadlines():
        if deadline.due is None:
            continue
        assert deadline.due > deadline.started_at
        # The instant before the deadline was counting time: open, and (for a clock still
        # running) not pending.
        assert is_open(cal, deadline.due - US)
        if deadline.running:
            assert not any(a < deadline.due and (b is None or deadline.due <= b) for a, b in clocks.pending)


@FAST
@given(cal=calendars(), t=targets, created=created_at, data=st.data())
def test_a_breach_stays_a_breach_whatever_happens_next(
    cal: Calendar, t: Targets, created: datetime, data: st.DataObject
) -> None:
    events = data.draw(histories(created))
    now = (events[-1].at if events else created) + timedelta(minutes=data.draw(st.integers(0, 5_000)))
    before = all_deadlines(compute(cal, t, created, events, now=now))
    later = data.draw(histories(now))
    then = now + timedelta(minutes=data.draw(st.integers(0, 5_000)))
    after = all_deadlines(compute(cal, t, created, events + later, now=max([then, *(e.at for e in later)])))
    for key, deadline in before.items():
        if deadline.breached:
            assert after[key].breached, key


@FAST
@given(cal=calendars(), created=created_at, data=st.data())
def test_time_pending_does_not_count_towards_resolution(cal: Calendar, created: datetime, data: st.DataObject) -> None:
    marks = sorted(data.draw(st.lists(st.integers(1, 20_000), min_size=3, max_size=7, unique=True)))
    if len(marks) % 2 == 0:
        marks = marks[:-1]
    *pairs, end = [created + timedelta(minutes=m) for m in marks]
    pauses = [(pairs[i], pairs[i + 1]) for i in range(0, len(pairs), 2)]
    events = [ClockEvent(created + timedelta(minutes=1), "reply")]
    for a, b in pauses:
        events += [ClockEvent(a, "pend"), ClockEvent(b, "resume")]
    events.append(ClockEvent(end, "resolve"))
    t = Targets(first_response=10_000, resolution=10_000)
    clocks = compute(cal, t, created, events, now=end)
    paused = sum(business_minutes_between(cal, a, b) for a, b in pauses)
    assert clocks.resolution.minutes == pytest.approx(business_minutes_between(cal, created, end) - paused)


@FAST
@given(cal=calendars(), t=targets, created=created_at, data=st.data())
def test_a_running_clock_has_used_its_whole_target_exactly_at_the_due_time(
    cal: Calendar, t: Targets, created: datetime, data: st.DataObject
) -> None:
    events = [e for e in data.draw(histories(created)) if e.kind in ("customer_message", "reply")]
    clocks = compute(cal, t, created, events, now=created)
    for deadline in clocks.running():
        assert deadline.due is not None
        at_due = all_deadlines(compute(cal, t, created, events, now=deadline.due))
        same = next(d for d in at_due.values() if d.started_at == deadline.started_at and d.kind == deadline.kind)
        if deadline.due >= max((e.at for e in events), default=created):
            assert same.minutes == pytest.approx(deadline.target)
            assert not same.breached
            assert same.remaining == pytest.approx(0)


@FAST
@given(cal=calendars(), t=targets, created=created_at, data=st.data())
def test_the_answer_does_not_depend_on_the_order_events_are_given_in(
    cal: Calendar, t: Targets, created: datetime, data: st.DataObject
) -> None:
    events = data.draw(histories(created))
    # Distinct times: with equal times the given order is the tie-break on purpose.
    events = list({e.at: e for e in events}.values())
    shuffled = data.draw(st.permutations(events))
    now = created + timedelta(days=40)
    assert compute(cal, t, created, shuffled, now=now) == compute(cal, t, created, events, now=now)
