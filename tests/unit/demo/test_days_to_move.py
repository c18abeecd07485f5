"""How far a demo prepared on an earlier day moves an open ticket: whole days, never past now."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ops.demo.trickle import days_to_move

NOW = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)


def test_a_ticket_moves_as_many_days_as_the_demo_lags() -> None:
    newest = NOW - timedelta(days=3, hours=5)
    assert days_to_move(newest - timedelta(hours=4), newest, NOW) == 3


def test_a_ticket_never_lands_after_now() -> None:
    # The demo's newest ticket came yesterday at 17:00; at 09:30 today a ticket from 16:00 yesterday cannot move
    # a whole day (it would be 16:00 today, in the future).
    newest = NOW - timedelta(hours=16, minutes=30)
    assert days_to_move(newest - timedelta(hours=1), newest, NOW) == 0
    # One whose last event was two days before moves one day, the most that keeps it in the past.
    newest = NOW - timedelta(days=1, hours=20)
    assert days_to_move(NOW - timedelta(days=1, hours=22), newest, NOW) == 1


def test_a_demo_prepared_today_moves_nothing() -> None:
    assert days_to_move(NOW - timedelta(hours=3), NOW - timedelta(hours=1), NOW) == 0
