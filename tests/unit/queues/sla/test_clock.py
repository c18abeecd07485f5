"""SLA clocks derived from a ticket's history: examples of each rule a supervisor would check."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from ops.calendars import Calendar, add_business_minutes, business_minutes_between
from ops.queues.sla.clock import ClockEvent, Targets, compute

SP = ZoneInfo("America/Sao_Paulo")
WEEKDAY_HOURS = {d: [["08:00", "12:00"], ["13:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}


def back_office(subdivision: str = "SP", holidays: list[str] | None = None) -> Calendar:
    return Calendar.from_dict(
        {
            "timezone": "America/Sao_Paulo",
            "hours": WEEKDAY_HOURS,
            "holidays": holidays or [],
            "country": "BR",
            "subdivision": subdivision,
        }
    )


CAL = back_office()
NORMAL = Targets(first_response=240, resolution=1620, next_response=240)


def sp(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    """A São Paulo wall time in 2026 (March 2 is a Monday)."""
    return datetime(2026, month, day, hour, minute, tzinfo=SP)


def ev(at: datetime, kind: str) -> ClockEvent:
    return ClockEvent(at, kind)


def test_first_response_due_skips_the_lunch_break() -> None:
    clocks = compute(CAL, NORMAL, sp(2, 11), [], now=sp(2, 11))
    # 11:00-12:00 counts 60, 13:00-16:00 the other 180.
    assert clocks.first_response.due == sp(2, 16)
    assert clocks.awaiting_reply_since == sp(2, 11)


def test_a_deadline_at_closing_time_stays_at_closing_time() -> None:
    clocks = compute(CAL, NORMAL, sp(2, 14), [], now=sp(2, 18))
    assert clocks.first_response.due == sp(2, 18)
    assert not clocks.first_response.breached
    on_time = compute(CAL, NORMAL, sp(2, 14), [ev(sp(2, 18), "reply")], now=sp(3, 9))
    assert on_time.first_response.met_at == sp(2, 18)
    assert not on_time.first_response.breached
    assert on_time.first_response.minutes == 240
    # Nobody answered by closing time: it is late all night, not due again next morning.
    overnight = compute(CAL, NORMAL, sp(2, 14), [], now=sp(2, 22))
    assert overnight.first_response.breached
    late = compute(CAL, NORMAL, sp(2, 14), [ev(sp(3, 8, 1), "reply")], now=sp(3, 9))
    assert late.first_response.breached
    assert late.first_response.minutes == 241


def test_time_pending_does_not_count_and_has_no_due_time_while_it_lasts() -> None:
    history = [ev(sp(2, 8, 30), "reply"), ev(sp(2, 9), "pend")]
    waiting = compute(CAL, NORMAL, sp(2, 8), history, now=sp(5, 10))
    assert waiting.status == "pending"
    assert waiting.resolution.paused and waiting.resolution.due is None
    assert waiting.resolution.minutes == 60
    assert waiting.resolution.remaining == 1560
    assert waiting.awaiting_reply_since is None

    resumed = compute(CAL, NORMAL, sp(2, 8), [*history, ev(sp(5, 9), "resume")], now=sp(5, 10))
    # 1560 minutes left from Thursday 09:00: Thu 480, Fri 540, Mon 540 -> Monday 18:00.
    assert resumed.resolution.due == sp(9, 18)
    assert resumed.resolution.minutes == 60 + 60
    assert resumed.pending == ((sp(2, 9), sp(5, 9)),)


def test_a_deadline_passed_before_the_pause_stays_breached_through_it() -> None:
    clocks = compute(CAL, NORMAL, sp(2, 8), [ev(sp(2, 14), "pend")], now=sp(3, 10))
    # First response was due at 12:00, the start of lunch: the pend at 14:00 came too late.
    assert clocks.first_response.due == sp(2, 12)
    assert clocks.first_response.breached


def test_a_customer_message_ends_the_pause_and_starts_the_next_response_clock() -> None:
    history = [
        ev(sp(2, 9), "reply"),
        ev(sp(2, 9, 5), "pend"),
        ev(sp(3, 10), "customer_message"),
    ]
    clocks = compute(CAL, NORMAL, sp(2, 8), history, now=sp(3, 10))
    assert clocks.status == "open"
    assert clocks.next_response is not None
    assert clocks.next_response.due == sp(3, 15)  # 10-12 and 13-15
    assert clocks.awaiting_reply_since == sp(3, 10)

    answered = compute(CAL, NORMAL, sp(2, 8), [*history, ev(sp(3, 16), "reply")], now=sp(3, 17))
    assert answered.next_response is None
    (only,) = answered.next_responses
    assert only.met_at == sp(3, 16) and only.breached and only.minutes == 300
    assert answered.next_response_breached
    assert not answered.first_response.breached


def test_several_customer_messages_wait_on_the_oldest() -> None:
    history = [
        ev(sp(2, 9), "reply"),
        ev(sp(2, 10), "customer_message"),
        ev(sp(2, 11), "customer_message"),
        ev(sp(2, 11, 30), "reply"),
        ev(sp(2, 14), "customer_message"),
    ]
    clocks = compute(CAL, NORMAL, sp(2, 8), history, now=sp(2, 15))
    assert [d.started_at for d in clocks.next_responses] == [sp(2, 10), sp(2, 14)]
    assert clocks.next_responses[0].minutes == 90
    assert clocks.next_response is clocks.next_responses[1]


def test_a_customer_message_before_the_first_answer_starts_no_second_clock() -> None:
    clocks = compute(CAL, NORMAL, sp(2, 8), [ev(sp(2, 9), "customer_message")], now=sp(2, 10))
    assert clocks.next_responses == ()
    assert clocks.awaiting_reply_since == sp(2, 8)


def test_resolving_answers_the_customer() -> None:
    clocks = compute(CAL, NORMAL, sp(2, 8), [ev(sp(2, 10), "resolve")], now=sp(2, 11))
    assert clocks.status == "resolved"
    assert clocks.first_response.met_at == sp(2, 10)
    assert clocks.resolution.met_at == sp(2, 10)
    assert clocks.resolution.minutes == 120
    assert clocks.running() == []


def test_a_reopen_continues_the_resolution_clock_without_the_resolved_time() -> None:
    history = [ev(sp(2, 9), "reply"), ev(sp(2, 10), "resolve"), ev(sp(4, 10), "reopen")]
    reopened = compute(CAL, NORMAL, sp(2, 8), history, now=sp(4, 11))
    assert reopened.status == "open"
    assert reopened.resolution.running
    # 120 minutes used before the resolve; 1500 left from Wednesday 10:00.
    assert reopened.resolution.due == add_business_minutes(CAL, sp(4, 10), 1500)
    assert reopened.resolution.minutes == 180

    done = compute(CAL, NORMAL, sp(2, 8), [*history, ev(sp(4, 15), "resolve")], now=sp(4, 16))
    assert done.resolution.minutes == 120 + 240
    assert not done.resolution.breached


def test_a_late_resolution_is_breached_even_after_a_reopen() -> None:
    late = Targets(first_response=30, resolution=60)
    history = [ev(sp(2, 8, 10), "reply"), ev(sp(2, 10), "resolve"), ev(sp(2, 11), "reopen")]
    clocks = compute(CAL, late, sp(2, 8), history, now=sp(2, 11))
    assert clocks.resolution.due == sp(2, 9)
    assert clocks.resolution.breached


def test_close_ends_the_history() -> None:
    history = [ev(sp(2, 9), "resolve"), ev(sp(2, 10), "close"), ev(sp(2, 11), "reopen")]
    clocks = compute(CAL, NORMAL, sp(2, 8), history, now=sp(2, 12))
    assert clocks.status == "closed"
    assert clocks.resolution.met_at == sp(2, 9)


@pytest.mark.parametrize(
    ("state", "expected_due"),
    [
        # Thursday 9 July is the Constitutionalist Revolution holiday in São Paulo only.
        ("SP", datetime(2026, 7, 10, 11, tzinfo=SP)),
        ("RJ", datetime(2026, 7, 9, 11, tzinfo=SP)),
    ],
)
def test_state_holidays_move_the_due_time(state: str, expected_due: datetime) -> None:
    created = datetime(2026, 7, 8, 17, tzinfo=SP)
    clocks = compute(back_office(state), NORMAL, created, [], now=created)
    assert clocks.first_response.due == expected_due


def test_saint_georges_day_closes_rio_but_not_sao_paulo() -> None:
    created = datetime(2026, 4, 22, 17, tzinfo=SP)
    rio = compute(back_office("RJ"), NORMAL, created, [], now=created).first_response.due
    sao_paulo = compute(back_office("SP"), NORMAL, created, [], now=created).first_response.due
    assert sao_paulo == datetime(2026, 4, 23, 11, tzinfo=SP)
    assert rio == datetime(2026, 4, 24, 11, tzinfo=SP)


def test_daylight_saving_change_over_a_weekend() -> None:
    new_york = Calendar.from_dict(
        {"timezone": "America/New_York", "hours": {d: [["09:00", "17:00"]] for d in WEEKDAY_HOURS}}
    )
    ny = ZoneInfo("America/New_York")
    created = datetime(2026, 3, 6, 16, tzinfo=ny)  # Friday; clocks go forward on Sunday 8 March
    clocks = compute(new_york, Targets(first_response=120, resolution=540), created, [], now=created)
    assert clocks.first_response.due == datetime(2026, 3, 9, 10, tzinfo=ny)
    assert clocks.first_response.due.astimezone(UTC).hour == 14  # EDT, not EST
    # Friday's last hour and Monday's eight end at Monday's closing time, 21:00 UTC under EDT.
    assert clocks.resolution.due == datetime(2026, 3, 9, 17, tzinfo=ny)
    assert clocks.resolution.due.astimezone(UTC).hour == 21


def test_a_calendar_change_gives_the_exact_new_answer() -> None:
    history = [ev(sp(2, 9), "reply"), ev(sp(2, 10), "pend"), ev(sp(3, 10), "resume")]
    before = compute(CAL, NORMAL, sp(2, 8), history, now=sp(3, 11))
    after = compute(back_office(holidays=["2026-03-04"]), NORMAL, sp(2, 8), history, now=sp(3, 11))
    assert before.resolution.due is not None
    assert after.resolution.due == before.resolution.due + timedelta(days=1)
    # Unchanged: the clock only ever counted what the new calendar counts too.
    assert after.resolution.minutes == before.resolution.minutes == 180


def test_events_are_replayed_in_time_order_and_not_before_creation() -> None:
    history = [ev(sp(2, 12, 30), "resume"), ev(sp(2, 9), "pend"), ev(sp(2, 7), "reply")]
    clocks = compute(CAL, NORMAL, sp(2, 8), history, now=sp(2, 13, 30))
    assert clocks.first_response.met_at == sp(2, 8)
    assert clocks.pending == ((sp(2, 9), sp(2, 12, 30)),)
    assert clocks.resolution.minutes == business_minutes_between(CAL, sp(2, 8), sp(2, 9)) + 30


def test_no_next_response_target_means_no_next_response_clock() -> None:
    targets = Targets(first_response=60, resolution=600)
    history = [ev(sp(2, 9), "reply"), ev(sp(2, 10), "customer_message")]
    assert compute(CAL, targets, sp(2, 8), history, now=sp(2, 11)).next_responses == ()


@pytest.mark.parametrize(
    ("priority", "expected"),
    [
        ("critical", Targets(30, 480, 60)),
        ("low", Targets(480, 2700, None)),
        ("urgent", Targets(240, 1620, 240)),
    ],
)
def test_targets_come_from_the_queue_policy(priority: str, expected: Targets) -> None:
    sla: dict[str, Any] = {
        "voice": None,
        "tickets": {
            "critical": {"first_response": 30, "next_response": 60, "resolution": 480},
            "normal": {"first_response": 240, "next_response": 240, "resolution": 1620},
            "low": {"first_response": 480, "next_response": None, "resolution": 2700},
        },
    }
    assert Targets.from_policy(sla, priority) == expected


def test_voice_queues_have_no_ticket_targets() -> None:
    assert Targets.from_policy({"voice": {"target": 0.8}, "tickets": None}, "normal") is None
