"""Background jobs of the queues domain: give-back of idle tickets and pushing waiting tickets."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ops.db import utcnow
from ops.queues.assignment import push
from ops.queues.assignment.warnings import warn_givebacks

# Bounds one run; the schedule runs again a minute later for whatever is left.
MAX_PER_RUN = 2000


def _now(now: str | None) -> datetime:
    return datetime.fromisoformat(now) if now else utcnow()


async def giveback_tickets(ctx: dict[str, Any], now: str | None = None) -> int:
    """Every minute: tickets whose assignee did nothing for the queue's give-back time go back to
    the pool, each in its own transaction; then the waiting tickets are pushed again. Those a few minutes
    from it are warned first (their assignee's page says so)."""
    sessionmaker: async_sessionmaker[AsyncSession] = ctx["sessionmaker"]
    moment = _now(now)
    async with sessionmaker.begin() as session:
        await warn_givebacks(session, now=moment)
    async with sessionmaker() as session:
        due = await push.tickets_due_for_giveback(session, now=moment)
    returned = 0
    for ticket_id in due[:MAX_PER_RUN]:
        async with sessionmaker.begin() as session:
            returned += await push.give_back(session, ticket_id=ticket_id, now=moment)
    return returned


async def assign_waiting_tickets(ctx: dict[str, Any], queue_id: int | None = None, now: str | None = None) -> int:
    """Push pool tickets to free agents by each queue's strategy: after a bulk intake, when an
    agent frees up, and every minute for overflow (a ticket that waited long enough may go to the
    next skill level). One assignment per transaction keeps a single agent row locked at a time."""
    sessionmaker: async_sessionmaker[AsyncSession] = ctx["sessionmaker"]
    moment = _now(now)
    if queue_id is None:
        async with sessionmaker() as session:
            queue_ids = await push.queues_with_waiting(session)
    else:
        queue_ids = [queue_id]
    assigned = 0
    for qid in queue_ids:
        while assigned < MAX_PER_RUN:
            async with sessionmaker.begin() as session:
                got = await push.assign_waiting(session, queue_id=qid, now=moment, limit=1)
            if not got:
                break
            assigned += got
    return assigned
