"""The warning before a give-back: an assignee who did nothing on a ticket for a while hears, a few minutes
ahead, that it goes back to the pool at a given time (a TicketEvent, so the work page hears it live), once
per give-back time: any action on the ticket moves the time, and a new warning comes if it nears again."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ops.contracts.models import Queue
from ops.db import utcnow
from ops.queues.assignment.strategies import giveback_warning_due
from ops.queues.live.notices import GIVEBACK_WARNING
from ops.queues.models import Ticket, TicketEvent

WARN_AHEAD_MINUTES = 5.0
SYSTEM_GIVEBACK = "system:giveback"


async def warn_givebacks(
    session: AsyncSession, *, now: datetime | None = None, ahead_minutes: float = WARN_AHEAD_MINUTES
) -> int:
    """Write a warning for each open assigned ticket whose give-back is within `ahead_minutes`; how many."""
    now = now or utcnow()
    rows = (
        await session.execute(
            select(Ticket.id, Ticket.assigned_at, Ticket.last_activity_at, Ticket.assigned_agent_id, Queue.routing)
            .join(Queue, Ticket.queue_id == Queue.id)
            .where(Ticket.assigned_agent_id.is_not(None), Ticket.status == "open", Ticket.assigned_at.is_not(None))
            .order_by(Ticket.id)
        )
    ).tuples()
    due: dict[int, tuple[datetime, int | None]] = {}
    for ticket_id, assigned_at, last_activity_at, agent_id, routing in rows:
        minutes = (routing or {}).get("giveback_minutes", 30)
        moment = giveback_warning_due(
            assigned_at, last_activity_at, now, None if minutes is None else float(minutes), ahead_minutes
        )
        if moment is not None:
            due[ticket_id] = (moment, agent_id)
    if not due:
        return 0
    warned = {
        (ticket_id, (after or {}).get("giveback_at"))
        for ticket_id, after in (
            await session.execute(
                select(TicketEvent.ticket_id, TicketEvent.after).where(
                    TicketEvent.ticket_id.in_(list(due)), TicketEvent.action == GIVEBACK_WARNING
                )
            )
        ).tuples()
    }
    written = 0
    for ticket_id, (moment, agent_id) in due.items():
        if (ticket_id, moment.isoformat()) in warned:
            continue
        session.add(
            TicketEvent(
                ticket_id=ticket_id,
                at=now,
                actor=SYSTEM_GIVEBACK,
                action=GIVEBACK_WARNING,
                before={},
                after={"giveback_at": moment.isoformat(), "assigned_agent_id": agent_id},
            )
        )
        written += 1
    await session.flush()
    return written
