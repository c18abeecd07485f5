"""A ticket's stored SLA columns kept in step with its history, and each breach recorded once.

The clocks are recomputed from the whole history with `ops.queues.sla.clock`: clock events (reply,
pend, resume, customer_message, resolve, reopen, close) are TicketEvents whose `action` is the
clock's event kind.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ops.calendars import Calendar
from ops.contracts.models import Queue
from ops.db import utcnow
from ops.queues.models import Ticket, TicketEvent
from ops.queues.sla.clock import CLOCK_EVENTS, ClockEvent, Clocks, Targets, compute

# The actor and actions of the history entries the clocks write (breaches here, warnings in the SLA watch).
SYSTEM_SLA = "system:sla"
BREACH = "sla_breach"
WARNING = "sla_warning"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


async def ticket_events(session: AsyncSession, ticket_id: int) -> list[TicketEvent]:
    """The ticket's whole history, oldest first."""
    query = select(TicketEvent).where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.at, TicketEvent.id)
    return list((await session.execute(query)).scalars())


# Other writers' names for clock events (resolving a mass outage resolves its tickets).
CLOCK_ALIASES = {"resolved": "resolve"}
IMPORTED = "imported"


def _clock_kind(action: str) -> str | None:
    kind = CLOCK_ALIASES.get(action, action)
    return kind if kind in CLOCK_EVENTS else None


def ticket_clocks(queue: Queue, ticket: Ticket, events: Sequence[TicketEvent], now: datetime) -> Clocks | None:
    """The ticket's SLA clocks in its current queue's calendar and targets (None: no ticket SLA)."""
    targets = Targets.from_policy(queue.sla, ticket.priority)
    if targets is None:
        return None
    clock_events = [ClockEvent(e.at, kind) for e in events if (kind := _clock_kind(e.action)) is not None]
    return compute(Calendar.from_dict(queue.calendar), targets, ticket.created_at, clock_events, now)


def _imported_facts(ticket: Ticket, events: Sequence[TicketEvent], now: datetime) -> list[TicketEvent]:
    """Clock events for what a replayed ticket brought from the CRM (answered, resolved, closed at)
    while its history here has none yet: written once, so later recomputes keep them."""
    if any(_clock_kind(e.action) for e in events):
        return []
    facts = [(ticket.first_response_at, "reply"), (ticket.resolved_at, "resolve"), (ticket.closed_at, "close")]
    return [
        TicketEvent(ticket_id=ticket.id, at=at, actor=IMPORTED, action=kind, before={}, after={"from": "crm"})
        for at, kind in facts
        if at is not None and at <= now
    ]


@dataclass(frozen=True)
class ClockSync:
    clocks: Clocks | None
    events: list[TicketEvent]
    new_breaches: tuple[str, ...]


async def sync_clocks(
    session: AsyncSession, *, ticket: Ticket, now: datetime | None = None, queue: Queue | None = None
) -> ClockSync:
    """Recompute the ticket's stored SLA columns from its whole history, and record each breach once
    (an `sla_breach` event). Breach flags only ever go from False to True: a breach stays a breach,
    even if a calendar change would now place the due time later. Does not bump `version`: nothing
    the agent sees as the ticket's state changes."""
    now = now or utcnow()
    queue = queue or await session.get(Queue, ticket.queue_id)
    assert queue is not None
    events = await ticket_events(session, ticket.id)
    imported = _imported_facts(ticket, events, now)
    if imported:
        session.add_all(imported)
        events = sorted([*events, *imported], key=lambda e: e.at)
    clocks = ticket_clocks(queue, ticket, events, now)
    if clocks is None:
        return ClockSync(None, events, ())
    first, resolution, current = clocks.first_response, clocks.resolution, clocks.next_response
    ticket.first_response_due = first.due
    ticket.first_response_at = first.met_at
    ticket.first_response_minutes = None if first.running else round(first.minutes, 4)
    ticket.first_response_breached = bool(ticket.first_response_breached) or first.breached
    ticket.next_response_due = current.due if current else None
    ticket.awaiting_reply_since = clocks.awaiting_reply_since
    ticket.resolution_due = resolution.due
    ticket.resolution_breached = bool(ticket.resolution_breached) or resolution.breached
    ticket.resolution_minutes = None if resolution.running else round(resolution.minutes, 4)
    ticket.resolved_at = resolution.met_at
    recorded = {(e.after.get("kind"), e.after.get("started_at")) for e in events if e.action == BREACH}
    new: list[str] = []
    for deadline in clocks.deadlines():
        key = (deadline.kind, _iso(deadline.started_at))
        if deadline.breached and key not in recorded:
            session.add(
                TicketEvent(
                    ticket_id=ticket.id,
                    at=now,
                    actor=SYSTEM_SLA,
                    action=BREACH,
                    before={},
                    after={
                        "kind": deadline.kind,
                        "started_at": key[1],
                        "due": _iso(deadline.due),
                        "target_minutes": deadline.target,
                    },
                )
            )
            recorded.add(key)
            new.append(deadline.kind)
    return ClockSync(clocks, events, tuple(new))


async def refresh_clocks(
    session: AsyncSession, *, ticket: Ticket, now: datetime | None = None, queue: Queue | None = None
) -> Clocks | None:
    """`sync_clocks` for callers that only want the clocks (anything that changes a ticket's
    history outside `act`, e.g. resolving an incident's tickets, calls it afterwards)."""
    return (await sync_clocks(session, ticket=ticket, now=now, queue=queue)).clocks
