"""The wallboard's rules: today's counters from midnight (posted) or carried across an Asterisk reset, today's
service level so far by the contract's formula, the amber and red levels, and staleness."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from ops.reports.metrics import ServiceLevelFormula
from ops.reports.wallboard.board import (
    AtLeast,
    Below,
    Counters,
    Reading,
    Today,
    carried_today,
    counters_on,
    default_thresholds,
    is_stale,
    posted_today,
    service_level,
    worst,
)

SP = ZoneInfo("America/Sao_Paulo")  # UTC-3, no summer time since 2019


def at(hour: int, minute: int = 0, day: int = 7) -> datetime:
    """A São Paulo wall time of December 2026, as the aware UTC instant a reading carries."""
    return datetime(2026, 12, day, hour, minute, tzinfo=SP).astimezone(UTC)


def test_service_level_so_far_is_counts_over_counts_by_the_contracts_formula() -> None:
    today = Counters(answered=90, abandoned=10, answered_within=72, abandoned_within=4, short_abandons=2)
    assert service_level(today, ServiceLevelFormula.OFFERED) == pytest.approx(72 / 100)
    assert service_level(today, ServiceLevelFormula.OFFERED_MINUS_SHORT) == pytest.approx(72 / 98)
    assert service_level(today, ServiceLevelFormula.OFFERED_MINUS_ABANDONED_WITHIN) == pytest.approx(72 / 96)
    assert service_level(today, ServiceLevelFormula.ANSWERED_AND_ABANDONED_WITHIN) == pytest.approx(76 / 100)
    assert service_level(today, ServiceLevelFormula.ANSWERED) == pytest.approx(72 / 90)
    assert service_level(Counters(), ServiceLevelFormula.OFFERED) is None  # no call yet: no figure, not 0 %


def test_posted_counters_count_from_the_contracts_local_midnight() -> None:
    # 01:30 UTC on the 8th is still 22:30 of the 7th in São Paulo: the counters are the 7th's.
    today = posted_today(Counters(answered=5), datetime(2026, 12, 8, 1, 30, tzinfo=UTC), SP)
    assert today.day == date(2026, 12, 7)
    assert today.counted_from == datetime(2026, 12, 7, 0, 0, tzinfo=SP)
    assert today.raw is None


def test_asterisk_counters_are_carried_from_reading_to_reading_and_across_a_reset() -> None:
    first = carried_today(Counters(answered=500, abandoned=40, answered_within=400), at(9), SP, None)
    # The first reading ever: what Asterisk counted before is of no known day, so today starts here, and says so.
    assert first.counters == Counters() and first.counted_from == at(9)
    later = carried_today(Counters(answered=530, abandoned=42, answered_within=425), at(9, 5), SP, first)
    assert later.counters == Counters(answered=30, abandoned=2, answered_within=25)
    # A `queue reset` (or a restart) brings Asterisk's counters back near zero: what follows is added on.
    reset = carried_today(Counters(answered=4, abandoned=1, answered_within=4), at(9, 10), SP, later)
    assert reset.counters == Counters(answered=34, abandoned=3, answered_within=29)
    assert reset.counted_from == at(9)


def test_a_new_day_starts_from_the_last_reading_before_midnight() -> None:
    evening = Today(date(2026, 12, 7), at(0), Counters(answered=900), Counters(answered=1200), at(23, 58))
    morning = carried_today(Counters(answered=1210), at(0, 1, day=8), SP, evening)
    assert morning.day == date(2026, 12, 8)
    assert morning.counters == Counters(answered=10)
    assert morning.counted_from == datetime(2026, 12, 8, 0, 0, tzinfo=SP)
    # A cron job resetting the queues at midnight: the new day is what Asterisk counted since.
    reset_at_midnight = carried_today(Counters(answered=3), at(0, 1, day=8), SP, evening)
    assert reset_at_midnight.counters == Counters(answered=3)


def test_after_a_long_silence_the_day_counts_from_the_first_reading() -> None:
    # The poller was down overnight: the growth since 21:00 yesterday is not today's alone.
    evening = Today(date(2026, 12, 7), at(0), Counters(answered=700), Counters(answered=1000), at(21))
    morning = carried_today(Counters(answered=1500), at(8, day=8), SP, evening)
    assert morning.counters == Counters() and morning.counted_from == at(8, day=8)


def test_yesterdays_counters_are_not_todays() -> None:
    yesterday = posted_today(Counters(answered=50), at(18), SP)
    assert counters_on(yesterday, date(2026, 12, 8)) == Counters()
    assert counters_on(yesterday, date(2026, 12, 7)) == Counters(answered=50)
    assert counters_on(None, date(2026, 12, 7)) == Counters()


def test_levels_amber_and_red() -> None:
    sl = Below(amber=0.80, red=0.75)
    assert [sl.level(v) for v in (0.9, 0.80, 0.7999, 0.75, 0.74, None)] == ["ok", "ok", "amber", "amber", "red", None]
    waiting = AtLeast(amber=5, red=10)
    assert [waiting.level(v) for v in (0, 4, 5, 9, 10, 40)] == ["ok", "ok", "amber", "amber", "red", "red"]
    assert worst("ok", None, "amber") == "amber" and worst("red", "amber") == "red" and worst(None) is None


def test_default_levels_follow_the_queues_target_and_threshold() -> None:
    levels = default_thresholds(0.8, 20)
    assert levels.service_level == Below(0.8, pytest.approx(0.7))
    assert levels.longest_wait_seconds == AtLeast(20, 60)
    assert levels.calls_waiting == AtLeast(5, 10)


def test_staleness() -> None:
    now = at(12)
    assert is_stale(None, now, timedelta(seconds=60))
    assert not is_stale(now - timedelta(seconds=60), now, timedelta(seconds=60))
    assert is_stale(now - timedelta(seconds=61), now, timedelta(seconds=60))


def test_impossible_readings_are_named() -> None:
    reading = Reading(
        "support", 1, 10, agents_logged_in=3, agents_available=4, agents_on_call=1, agents_paused=0,
        counters=Counters(answered=10, abandoned=2, answered_within=11, short_abandons=3), threshold_seconds=30,
    )  # fmt: skip
    fields = [f for f, _ in reading.problems(answer_within_seconds=20)]
    assert fields == ["answered_within", "short_abandons", "agents_available", "threshold_seconds"]


def test_the_interval_table_fills_the_part_of_the_day_the_live_counters_missed() -> None:
    from ops.reports.wallboard.board import before_live

    midnight = datetime(2026, 12, 7, 0, 0, tzinfo=SP)
    rows = [
        (at(23, 30, day=6), Counters(answered=99)),  # yesterday's: never today's
        (at(8), Counters(answered=40, abandoned=2, answered_within=35)),
        (at(8, 30), Counters(answered=50, abandoned=5, answered_within=30)),
        (at(9), Counters(answered=60, abandoned=1, answered_within=58)),  # ends 09:30, after live began
    ]
    # The poller began at 09:12: the two intervals that ended by then are added, the 09:00 one is not (its calls
    # after 09:12 are in the live counters already).
    counters, until = before_live(rows, midnight=midnight, live_from=at(9, 12), now=at(11))
    assert counters == Counters(answered=90, abandoned=7, answered_within=65) and until == at(9)
    # Counted live from midnight (the platform's posts): the table adds nothing.
    assert before_live(rows, midnight=midnight, live_from=midnight, now=at(11)) == (Counters(), None)
    # No live feed at all: every interval of today ended by now.
    counters, until = before_live(rows, midnight=midnight, live_from=None, now=at(9, 45))
    assert counters.answered == 150 and until == at(9, 30)
