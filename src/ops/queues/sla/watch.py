"""The SLA watch, every minute: mark breaches, and warn the assignee and supervisors before a deadline.

Candidates come from the stored due times (kept exact by every action): a ticket is looked at when
one of its running deadlines falls before `now`, or within `warn_minutes` business minutes while
its queue is open. Once an hour every active ticket is recomputed, so that a contract reload that
changed a calendar reaches tickets nobody touched. Breaches and warnings are TicketEvents written
once per deadline (and per due time, for warnings): running the watch twice changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from ops.calendars import Calendar, add_business_minutes, business_minutes_between, is_open
from ops.contracts.models import Queue
from ops.db import utcnow
from ops.queues.models import ACTIVE, Agent, Ticket, TicketEvent
from ops.queues.sla.sync import SYSTEM_SLA, WARNING, sync_clocks

WARN_MINUTES = 15.0


@dataclass(frozen=True)
class WatchResult:
    checked: int
    breaches: int
    warnings: int


def _candidates(queue_id: int, horizon: datetime, full: bool) -> Any:
    query = select(Ticket).where(Ticket.queue_id == queue_id, Ticket.status.in_(ACTIVE))
    if full:
        return query
    return query.where(
        or_(
            and_(
                Ticket.first_response_at.is_(None),
                Ticket.first_response_breached.is_(False),
                Ticket.first_response_due <= horizon,
            ),
            Ticket.next_response_due <= horizon,
            and_(Ticket.resolution_breached.is_(False), Ticket.resolution_due <= horizon),
        )
    )


async def watch_deadlines(
    session: AsyncSession, *, now: datetime | None = None, warn_minutes: float = WARN_MINUTES, full: bool = False
) -> WatchResult:
    now = now or utcnow()
    queues = [
        q for q in (await session.execute(select(Queue).order_by(Queue.id))).scalars() if (q.sla or {}).get("tickets")
    ]
    checked = breaches = warnings = 0
    supervisors: dict[int, list[str]] = {}
    for queue in queues:
        cal = Calendar.from_dict(queue.calendar)
        open_now = is_open(cal, now)
        horizon = add_business_minutes(cal, now, warn_minutes) if open_now else now
        # Concurrent watches (several workers) skip each other's tickets instead of doubling events.
        query = _candidates(queue.id, horizon, full).order_by(Ticket.id).with_for_update(skip_locked=True)
        for ticket in list((await session.execute(query)).scalars()):
            checked += 1
            sync = await sync_clocks(session, ticket=ticket, now=now, queue=queue)
            breaches += len(sync.new_breaches)
            if not open_now or sync.clocks is None:
                continue
            warned = {(e.after.get("kind"), e.after.get("due")) for e in sync.events if e.action == WARNING}
            for deadline in sync.clocks.running():
                if deadline.due is None or deadline.due <= now:
                    continue
                left = business_minutes_between(cal, now, deadline.due)
                key = (deadline.kind, deadline.due.isoformat())
                if left > warn_minutes or key in warned:
                    continue
                if queue.contract_id not in supervisors:
                    supervisors[queue.contract_id] = await _supervisors(session, queue.contract_id)
                notify = await _assignee(session, ticket) + supervisors[queue.contract_id]
                session.add(
                    TicketEvent(
                        ticket_id=ticket.id,
                        at=now,
                        actor=SYSTEM_SLA,
                        action=WARNING,
                        before={},
                        after={"kind": key[0], "due": key[1], "minutes_left": round(left, 1), "notify": notify},
                    )
                )
                ticket.warned_at = now
                warned.add(key)
                warnings += 1
    await session.flush()
    return WatchResult(checked, breaches, warnings)


async def _supervisors(session: AsyncSession, contract_id: int) -> list[str]:
    query = select(Agent.name).where(Agent.contract_id == contract_id, Agent.supervisor.is_(True)).order_by(Agent.name)
    return [f"supervisor:{name}" for name in (await session.execute(query)).scalars()]


async def _assignee(session: AsyncSession, ticket: Ticket) -> list[str]:
    if ticket.assigned_agent_id is None:
        return []
    agent = await session.get(Agent, ticket.assigned_agent_id)
    return [f"agent:{agent.name}"] if agent is not None else []
