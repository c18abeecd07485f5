"""SLA deadlines of one ticket derived from its history: due times, breaches and business minutes taken.

Everything is recomputed from the created time, the clock events and the calendar, never carried
forward from stored values, so a pause, a reopen or a calendar change always gives an exact answer.

The rules, in the order the history is replayed:
- `pend` stops every clock (waiting on the customer); `resume` or a customer message restarts them.
- The first response is due `first_response` business minutes after creation; the first agent
  `reply` (or a `resolve`, which answers the customer) meets it.
- Once the first response is met, a customer message starts a next-response clock (unless one is
  already running: the oldest unanswered message counts); the agent's next reply or a resolve meets it.
- Resolution is due `resolution` business minutes after creation; time pending and time spent
  resolved before a `reopen` do not count. `close` ends the history.
- A deadline met exactly at its due time is met; one still running is breached once `now` is past it.
  A breach found with a history stays one when events are appended later (see the property tests).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, get_args

from ops.calendars import Calendar, add_business_minutes, business_minutes_between

__all__ = [
    "CLOCK_EVENTS",
    "ClockEvent",
    "Clocks",
    "Deadline",
    "EventKind",
    "Targets",
    "compute",
]

EventKind = Literal["pend", "resume", "customer_message", "reply", "resolve", "reopen", "close"]
CLOCK_EVENTS: frozenset[str] = frozenset(get_args(EventKind))
DeadlineKind = Literal["first_response", "next_response", "resolution"]
PRIORITIES = ("critical", "high", "normal", "low")

Span = tuple[datetime, datetime | None]
"""A stopped stretch [start, end); end None while it lasts."""


@dataclass(frozen=True, slots=True)
class ClockEvent:
    at: datetime
    kind: str


@dataclass(frozen=True, slots=True)
class Targets:
    """A queue's targets for one priority, in business minutes of its calendar."""

    first_response: float
    resolution: float
    next_response: float | None = None

    @classmethod
    def from_policy(cls, sla: Mapping[str, Any] | None, priority: str) -> Targets | None:
        """The targets of `priority` in a queue's `sla` (contract-file form); `normal`'s when that
        priority has none; None when the queue has no ticket targets (voice queues)."""
        tickets = (sla or {}).get("tickets") or {}
        chosen = tickets.get(priority) or tickets.get("normal")
        if not chosen:
            return None
        return cls(
            first_response=float(chosen["first_response"]),
            resolution=float(chosen["resolution"]),
            next_response=None if chosen.get("next_response") is None else float(chosen["next_response"]),
        )


@dataclass(frozen=True, slots=True)
class Deadline:
    """One SLA clock. `due` is None while the clock is stopped in pending with time left (the due
    time then depends on when the customer answers). `minutes` is counting time from `started_at`
    to `met_at`, or to `now` while it runs."""

    kind: DeadlineKind
    started_at: datetime
    target: float
    due: datetime | None
    met_at: datetime | None
    minutes: float
    breached: bool

    @property
    def running(self) -> bool:
        return self.met_at is None

    @property
    def paused(self) -> bool:
        return self.met_at is None and self.due is None

    @property
    def remaining(self) -> float:
        """Business minutes left before the due time (negative once past it)."""
        return self.target - self.minutes


@dataclass(frozen=True, slots=True)
class Clocks:
    status: Literal["open", "pending", "resolved", "closed"]
    first_response: Deadline
    next_responses: tuple[Deadline, ...]
    resolution: Deadline
    pending: tuple[Span, ...]

    @property
    def next_response(self) -> Deadline | None:
        """The next-response clock now running, if any."""
        last = self.next_responses[-1] if self.next_responses else None
        return last if last is not None and last.running else None

    @property
    def next_response_breached(self) -> bool:
        return any(d.breached for d in self.next_responses)

    @property
    def awaiting_reply_since(self) -> datetime | None:
        """Since when the customer waits for an agent's answer (None: nobody waits)."""
        if self.first_response.running:
            return self.first_response.started_at
        current = self.next_response
        return current.started_at if current else None

    def running(self) -> list[Deadline]:
        """Clocks not yet met, in order of due time (paused ones last)."""
        live = [d for d in (self.first_response, self.next_response, self.resolution) if d and d.running]
        return sorted(live, key=lambda d: (d.due is None, d.due or d.started_at))

    def deadlines(self) -> list[Deadline]:
        return [self.first_response, *self.next_responses, self.resolution]


# Counting minutes are exact to the microsecond; compare at that grain so float noise never decides.
_HALF_US_IN_MINUTES = 0.5 / 60_000_000


def _deadline(
    cal: Calendar,
    kind: DeadlineKind,
    start: datetime,
    target: float,
    met: datetime | None,
    spans: Sequence[Span],
    now: datetime,
) -> Deadline:
    closed = [(a, b) for a, b in spans if b is not None]
    open_from = next((a for a, b in spans if b is None), None)
    if met is not None:
        # A clock met during a stop (a reply while pending) counts the stop only up to that moment.
        pauses = closed + ([(open_from, met)] if open_from is not None and open_from < met else [])
        due = add_business_minutes(cal, start, target, pauses)
        minutes = business_minutes_between(cal, start, met, pauses)
        return Deadline(kind, start, target, due, met, minutes, breached=met > due)
    if open_from is not None:
        counted = business_minutes_between(cal, start, max(open_from, start), closed)
        if counted < target - _HALF_US_IN_MINUTES:
            return Deadline(kind, start, target, None, None, counted, breached=False)
        # It fell due before the stop began: the stop cannot save it.
        due = add_business_minutes(cal, start, target, closed)
        return Deadline(kind, start, target, due, None, counted, breached=now > due)
    due = add_business_minutes(cal, start, target, closed)
    minutes = business_minutes_between(cal, start, max(now, start), closed)
    return Deadline(kind, start, target, due, None, minutes, breached=now > due)


def _close(spans: list[list[datetime | None]], at: datetime) -> None:
    if spans and spans[-1][1] is None:
        spans[-1][1] = at


def _frozen(spans: Iterable[list[datetime | None]]) -> tuple[Span, ...]:
    out: list[Span] = []
    for a, b in spans:
        assert a is not None
        out.append((a, b))
    return tuple(out)


def compute(
    cal: Calendar,
    targets: Targets,
    created: datetime,
    events: Iterable[ClockEvent],
    now: datetime,
) -> Clocks:
    """Replay a ticket's clock events (any order: sorted by time, ties kept in the given order) and
    give every deadline as of `now`. Events of other kinds are ignored; events before `created`
    count as happening at `created`; `now` earlier than the last event is taken as that event."""
    ordered = sorted((e for e in events if e.kind in CLOCK_EVENTS), key=lambda e: e.at)
    state: Literal["open", "pending", "resolved", "closed"] = "open"
    pending: list[list[datetime | None]] = []
    resolved: list[list[datetime | None]] = []
    first_met: datetime | None = None
    nexts: list[list[datetime | None]] = []
    last_resolve: datetime | None = None
    latest = created
    for event in ordered:
        at = max(event.at, created)
        latest = max(latest, at)
        kind = event.kind
        if state == "closed":
            break
        if kind == "pend" and state == "open":
            state = "pending"
            pending.append([at, None])
        elif kind == "resume" and state == "pending":
            state = "open"
            _close(pending, at)
        elif kind == "customer_message" and state in ("open", "pending"):
            if state == "pending":
                state = "open"
                _close(pending, at)
            awaiting = bool(nexts) and nexts[-1][1] is None
            if first_met is not None and targets.next_response is not None and not awaiting:
                nexts.append([at, None])
        elif kind == "reply" and state in ("open", "pending"):
            if first_met is None:
                first_met = at
            else:
                _close(nexts, at)
        elif kind in ("resolve", "close") and state in ("open", "pending"):
            _close(pending, at)
            _close(nexts, at)
            first_met = first_met or at
            resolved.append([at, None])
            last_resolve = at
            state = "closed" if kind == "close" else "resolved"
        elif kind == "close" and state == "resolved":
            state = "closed"
        elif kind == "reopen" and state == "resolved":
            state = "open"
            _close(resolved, at)
            last_resolve = None
    now = max(now, latest)
    pend_spans = _frozen(pending)
    first = _deadline(cal, "first_response", created, targets.first_response, first_met, pend_spans, now)
    next_deadlines = tuple(
        _deadline(cal, "next_response", s, targets.next_response, e, pend_spans, now)
        for s, e in _frozen(nexts)
        if targets.next_response is not None
    )
    stopped = tuple(sorted(pend_spans + _frozen(resolved), key=lambda s: s[0]))
    resolution = _deadline(cal, "resolution", created, targets.resolution, last_resolve, stopped, now)
    return Clocks(state, first, next_deadlines, resolution, pend_spans)
