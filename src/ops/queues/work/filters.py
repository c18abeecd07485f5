"""The supervisor's ticket filters (queue, status, priority, breached, due within N minutes): read from a page's
query with every bad value named, written back as the canonical query a saved view keeps, and the rule that
keeps a ticket by its deadlines. Pure: no database, no HTTP."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol
from urllib.parse import urlencode

FILTER_STATUSES = ("new", "open", "pending")
FILTER_PRIORITIES = ("critical", "high", "normal", "low")
MAX_DUE_WITHIN = 7 * 24 * 60  # a week, in minutes
FIELDS = ("queue", "status", "priority", "breached", "due_within")
_TRUE, _FALSE = ("1", "true", "on", "yes"), ("", "0", "false", "off", "no")


@dataclass(frozen=True, slots=True)
class TicketFilter:
    """What a ticket list keeps; None (or False) filters nothing."""

    queue: str | None = None
    status: str | None = None
    priority: str | None = None
    breached: bool = False
    due_within: int | None = None  # minutes from now to the ticket's nearest running deadline

    @property
    def empty(self) -> bool:
        return self == TicketFilter()


@dataclass(frozen=True, slots=True)
class Problem:
    field: str
    problem: str


def parse_filter(params: Mapping[str, str], *, queues: Collection[str]) -> tuple[TicketFilter, list[Problem]]:
    """The filter a query asks for, and a problem per bad value (the field named); other keys are ignored."""
    problems: list[Problem] = []

    def choice(name: str, allowed: Collection[str]) -> str | None:
        value = (params.get(name) or "").strip()
        if not value:
            return None
        if value not in allowed:
            problems.append(Problem(name, f"{value!r} is not one of {', '.join(sorted(allowed))}"))
            return None
        return value

    breached_text = (params.get("breached") or "").strip().lower()
    if breached_text not in _TRUE + _FALSE:
        problems.append(Problem("breached", f"{breached_text!r} is not 1 or 0"))
    due_text = (params.get("due_within") or "").strip()
    due_within = None
    if due_text:
        if due_text.isdigit() and 1 <= int(due_text) <= MAX_DUE_WITHIN:
            due_within = int(due_text)
        else:
            limit = f"from 1 to {MAX_DUE_WITHIN}"
            problems.append(Problem("due_within", f"{due_text!r} is not a whole number of minutes {limit}"))
    found = TicketFilter(
        queue=choice("queue", queues),
        status=choice("status", FILTER_STATUSES),
        priority=choice("priority", FILTER_PRIORITIES),
        breached=breached_text in _TRUE,
        due_within=due_within,
    )
    return found, problems


def filter_query(found: TicketFilter) -> str:
    """The canonical query string of a filter (fields in a fixed order, only those set): what a view keeps."""
    pairs = [
        ("queue", found.queue),
        ("status", found.status),
        ("priority", found.priority),
        ("breached", "1" if found.breached else None),
        ("due_within", str(found.due_within) if found.due_within is not None else None),
    ]
    return urlencode([(k, v) for k, v in pairs if v is not None])


class Clocks(Protocol):
    """What a ticket list reads of a ticket's stored clocks (a Ticket row, or a lighter row of these columns)."""

    status: str
    first_response_at: datetime | None
    first_response_due: datetime | None
    next_response_due: datetime | None
    resolution_due: datetime | None
    first_response_breached: bool
    resolution_breached: bool


def nearest_deadline(t: Clocks, now: datetime) -> tuple[datetime | None, str | None, bool]:
    """A ticket's nearest running deadline, its kind, and whether it is flagged breached (or its reply is late)."""
    running: list[tuple[datetime, str]] = []
    if t.status in FILTER_STATUSES:
        if t.first_response_at is None and t.first_response_due is not None:
            running.append((t.first_response_due, "first_response"))
        if t.next_response_due is not None:
            running.append((t.next_response_due, "next_response"))
        if t.resolution_due is not None:
            running.append((t.resolution_due, "resolution"))
    due, kind = min(running) if running else (None, None)
    late_reply = t.next_response_due is not None and t.next_response_due < now
    return due, kind, bool(t.first_response_breached or t.resolution_breached or late_reply)


def list_order(
    breached: bool, next_due: datetime | None, ticket_id: int, now: datetime
) -> tuple[bool, bool, datetime, int]:
    """A supervisor's list: breached first, then the nearest deadline, tickets without one last."""
    return (not breached, next_due is None, next_due or now, ticket_id)


def is_breached(flagged: bool, next_due: datetime | None, now: datetime) -> bool:
    """A ticket is breached once a deadline was missed: flagged by the SLA watch, or a running deadline already
    past that the watch (every minute) has not flagged yet."""
    return flagged or (next_due is not None and next_due < now)


def keeps(found: TicketFilter, *, breached: bool, next_due: datetime | None, now: datetime) -> bool:
    """Whether a ticket with these deadlines passes the filter's time rules: `breached` keeps the breached ones
    (`is_breached`); `due_within` keeps a ticket whose nearest running deadline falls within that many minutes
    (one already past counts: it is due now)."""
    if found.breached and not is_breached(breached, next_due, now):
        return False
    if found.due_within is not None:
        if next_due is None:
            return False
        return next_due <= now + timedelta(minutes=found.due_within)
    return True
