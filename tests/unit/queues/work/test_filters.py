"""The supervisor's ticket filters: read from a query naming each bad value, kept as a canonical query, and the
breached / due-within rule over a ticket's deadlines."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from ops.queues.work.filters import (
    TicketFilter,
    filter_query,
    is_breached,
    keeps,
    list_order,
    nearest_deadline,
    parse_filter,
)

QUEUES = {"bo_care", "bo_helpdesk"}
NOW = datetime(2026, 3, 2, 13, 0, tzinfo=UTC)


def test_a_full_query_is_read_and_written_back_in_a_fixed_order() -> None:
    found, problems = parse_filter(
        {"due_within": "30", "priority": "high", "breached": "1", "status": "open", "queue": "bo_care", "x": "y"},
        queues=QUEUES,
    )
    assert problems == []
    assert found == TicketFilter(queue="bo_care", status="open", priority="high", breached=True, due_within=30)
    assert filter_query(found) == "queue=bo_care&status=open&priority=high&breached=1&due_within=30"
    assert parse_filter(dict(pair.split("=") for pair in filter_query(found).split("&")), queues=QUEUES)[0] == found


def test_an_empty_query_filters_nothing() -> None:
    found, problems = parse_filter({"queue": "", "breached": "0"}, queues=QUEUES)
    assert (found, found.empty, problems, filter_query(found)) == (TicketFilter(), True, [], "")


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"queue": "care"}, "queue"),  # a queue without tickets, or another contract's
        ({"status": "closed"}, "status"),
        ({"priority": "urgent"}, "priority"),
        ({"breached": "maybe"}, "breached"),
        ({"due_within": "soon"}, "due_within"),
        ({"due_within": "0"}, "due_within"),
        ({"due_within": "-5"}, "due_within"),
        ({"due_within": str(7 * 24 * 60 + 1)}, "due_within"),
    ],
)
def test_each_bad_value_is_named_and_dropped(params: dict[str, str], field: str) -> None:
    found, problems = parse_filter(params, queues=QUEUES)
    assert [p.field for p in problems] == [field]
    assert found == TicketFilter()


def test_breached_means_flagged_or_a_running_deadline_already_past() -> None:
    assert is_breached(True, None, NOW)
    assert is_breached(False, NOW - timedelta(seconds=1), NOW)
    assert not is_breached(False, NOW, NOW)  # due exactly now is not yet late
    assert not is_breached(False, None, NOW)


def test_due_within_keeps_deadlines_up_to_n_minutes_away_past_ones_included() -> None:
    soon = TicketFilter(due_within=30)
    assert keeps(soon, breached=False, next_due=NOW + timedelta(minutes=30), now=NOW)
    assert not keeps(soon, breached=False, next_due=NOW + timedelta(minutes=31), now=NOW)
    assert keeps(soon, breached=True, next_due=NOW - timedelta(hours=2), now=NOW)
    assert not keeps(soon, breached=False, next_due=None, now=NOW)  # no running deadline (pending)


def test_breached_and_due_within_combine() -> None:
    both = TicketFilter(breached=True, due_within=10)
    assert keeps(both, breached=False, next_due=NOW - timedelta(minutes=1), now=NOW)
    assert not keeps(both, breached=False, next_due=NOW + timedelta(minutes=5), now=NOW)
    assert keeps(TicketFilter(), breached=False, next_due=None, now=NOW)


@dataclass
class Clock:
    status: str = "open"
    first_response_at: datetime | None = None
    first_response_due: datetime | None = None
    next_response_due: datetime | None = None
    resolution_due: datetime | None = None
    first_response_breached: bool = False
    resolution_breached: bool = False


def test_the_nearest_running_deadline_and_the_list_order() -> None:
    answered = Clock(first_response_at=NOW, first_response_due=NOW, resolution_due=NOW + timedelta(hours=2))
    assert nearest_deadline(answered, NOW) == (NOW + timedelta(hours=2), "resolution", False)
    waiting = Clock(first_response_due=NOW + timedelta(minutes=5), resolution_due=NOW + timedelta(hours=2))
    assert nearest_deadline(waiting, NOW) == (NOW + timedelta(minutes=5), "first_response", False)
    late_reply = Clock(next_response_due=NOW - timedelta(minutes=1))
    assert nearest_deadline(late_reply, NOW) == (NOW - timedelta(minutes=1), "next_response", True)
    assert nearest_deadline(Clock(status="resolved", resolution_due=NOW), NOW) == (None, None, False)
    rows = [(False, None, 1), (False, NOW + timedelta(minutes=9), 2), (True, NOW + timedelta(hours=1), 3)]
    assert [r[2] for r in sorted(rows, key=lambda r: list_order(*r, NOW))] == [3, 2, 1]
