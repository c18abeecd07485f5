"""Push: a pool ticket goes to an agent by the queue's strategy (within capacity, overflow by wait); and the
way back: a ticket released by its agent, or given back to the pool after the queue's give-back time."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ops.contracts.models import Queue
from ops.db import rowcount, utcnow
from ops.jobs.queue import defer
from ops.queues.assignment.pull import (
    POOL_STATUSES,
    QueueLike,
    mark_assigned,
    overflow_minutes,
    pool,
    queue_routing,
    take,
    urgency,
)
from ops.queues.assignment.strategies import AgentState, due_for_giveback, pick_agent
from ops.queues.models import Agent, Position, Ticket, TicketEvent

_AVAILABLE = (
    select(Agent.id, Agent.status, Agent.open_count, Agent.capacity, Agent.idle_since, Position.skills)
    .join(Position, Agent.position_id == Position.id)
    .where(Agent.contract_id == bindparam("contract"), Agent.status == "available")
)


async def _agent_states(session: AsyncSession, queue: QueueLike) -> list[AgentState]:
    # Columns, not Agent objects: every ticket stored asks this, and most find nobody free.
    rows = await (await session.connection()).execute(_AVAILABLE, {"contract": queue.contract_id})
    states = []
    for agent_id, status, open_count, capacity, idle_since, skills in rows:
        level = (skills or {}).get(queue.code)
        if level is None:
            continue
        states.append(
            AgentState(
                agent_id=agent_id,
                status=status,
                open_count=open_count,
                capacity=capacity,
                skill_level=int(level),
                idle_since=idle_since,
            )
        )
    return states


async def _cursor(session: AsyncSession, queue_id: int) -> int | None:
    # Round robin resumes after whoever got this queue's latest ticket: no state to keep elsewhere.
    return (
        await session.execute(
            select(Ticket.assigned_agent_id)
            .where(Ticket.queue_id == queue_id, Ticket.assigned_agent_id.is_not(None))
            .order_by(Ticket.assigned_at.desc(), Ticket.id.desc())
            .limit(1)
        )
    ).scalar_one_or_none()


class Waiting(Protocol):
    """What a push reads of its ticket: a Ticket row, or the values of one just inserted (no ORM object)."""

    @property
    def id(self) -> int: ...
    @property
    def received_at(self) -> datetime: ...


async def push_ticket(
    session: AsyncSession,
    *,
    ticket: Waiting,
    queue: QueueLike,
    now: datetime | None = None,
    states: Sequence[AgentState] | None = None,
) -> int | None:
    """Assign a pool ticket to an agent by the queue's strategy (within capacity, overflow by
    wait); the agent's id, or None when nobody may take it now."""
    now = now or utcnow()
    routing = queue_routing(queue)
    strategy = routing.get("strategy", "longest_idle")
    waited = max(0.0, (now - ticket.received_at).total_seconds() / 60)
    pool = list(states) if states is not None else await _agent_states(session, queue)
    cursor = await _cursor(session, queue.id) if strategy == "round_robin" else None
    while pool:
        chosen = pick_agent(
            pool,
            strategy=strategy,
            waited_minutes=waited,
            overflow_after_minutes=overflow_minutes(queue),
            cursor=cursor,
        )
        if chosen is None:
            return None
        won = await session.execute(
            update(Agent)
            .where(Agent.id == chosen, Agent.status == "available", Agent.open_count < Agent.capacity)
            .values(open_count=Agent.open_count + 1)
            .execution_options(synchronize_session=False)
        )
        if rowcount(won) == 1:
            if await take(session, ticket_id=ticket.id, agent_id=chosen, now=now):
                await mark_assigned(session, ticket.id, chosen, actor="system:push", how=strategy, now=now)
                return chosen
            await session.execute(
                update(Agent)
                .where(Agent.id == chosen)
                .values(open_count=Agent.open_count - 1)
                .execution_options(synchronize_session=False)
            )
            return None  # someone else took the ticket meanwhile
        pool = [s for s in pool if s.agent_id != chosen]  # it filled up or left meanwhile
    return None


async def assign_waiting(session: AsyncSession, *, queue_id: int, now: datetime | None = None, limit: int = 1) -> int:
    """Push up to `limit` pool tickets of a queue, most urgent first; how many were assigned.
    Jobs call it with limit 1 per transaction so that each assignment holds one agent lock."""
    now = now or utcnow()
    queue = await session.get(Queue, queue_id)
    if queue is None:
        return 0
    assigned = 0
    while assigned < limit:
        states = await _agent_states(session, queue)
        if not any(s.free for s in states):
            break
        # The most urgent ticket may still wait for overflow while an older one may already go
        # to the free overflow agent: look a little further than the head of the queue.
        tickets = (
            await session.execute(
                select(Ticket).where(pool(queue.id)).order_by(*urgency()).limit(50).with_for_update(skip_locked=True)
            )
        ).scalars()
        for ticket in list(tickets):
            if await push_ticket(session, ticket=ticket, queue=queue, now=now, states=states) is not None:
                assigned += 1
                break
        else:
            break
    return assigned


async def queues_with_waiting(session: AsyncSession) -> list[int]:
    """Queues holding pool tickets while some agent of their contract is free (for the sweep job)."""
    rows = await session.execute(
        select(Ticket.queue_id)
        .where(Ticket.assigned_agent_id.is_(None), Ticket.status.in_(POOL_STATUSES))
        .where(
            Ticket.contract_id.in_(
                select(Agent.contract_id).where(Agent.status == "available", Agent.open_count < Agent.capacity)
            )
        )
        .distinct()
    )
    return sorted(rows.scalars())


async def request_push(session: AsyncSession, agent: Agent) -> None:
    position = await session.get(Position, agent.position_id) if agent.position_id is not None else None
    skills = dict(position.skills) if position is not None else {}
    if not skills:
        return
    queue_ids = (
        await session.execute(
            select(Queue.id).where(Queue.contract_id == agent.contract_id, Queue.code.in_(list(skills)))
        )
    ).scalars()
    for queue_id in queue_ids:
        defer(session, "assign_waiting_tickets", job_id=f"assign:{queue_id}", queue_id=queue_id)


async def return_to_pool(
    session: AsyncSession, *, ticket: Ticket, actor: str, action: str = "given_back", now: datetime | None = None
) -> bool:
    """Take a ticket from its assignee back to the pool (give-back, agent going offline). False
    when it was not assigned any more (someone else changed it first)."""
    now = now or utcnow()
    agent_id = ticket.assigned_agent_id
    if agent_id is None:
        return False
    result = await session.execute(
        update(Ticket)
        .where(Ticket.id == ticket.id, Ticket.assigned_agent_id == agent_id, Ticket.version == ticket.version)
        .values(assigned_agent_id=None, assigned_at=None, version=Ticket.version + 1)
        .execution_options(synchronize_session=False)
    )
    if rowcount(result) != 1:
        return False
    await release_agent(session, agent_id=agent_id, now=now)
    session.add(
        TicketEvent(
            ticket_id=ticket.id,
            at=now,
            actor=actor,
            action=action,
            before={"assigned_agent_id": agent_id},
            after={"assigned_agent_id": None},
        )
    )
    await session.refresh(ticket)
    return True


async def release_agent(session: AsyncSession, *, agent_id: int, now: datetime | None = None) -> None:
    """One open ticket fewer for the agent (a ticket resolved, transferred or given back): frees
    capacity and asks for waiting tickets to be pushed once the transaction commits.

    Call it in the same transaction that takes the ticket away from the agent."""
    now = now or utcnow()
    await session.execute(
        update(Agent)
        .where(Agent.id == agent_id, Agent.open_count > 0)
        .values(open_count=Agent.open_count - 1, idle_since=now)
        .execution_options(synchronize_session=False)
    )
    agent = await session.get(Agent, agent_id)
    if agent is not None:
        await session.refresh(agent, ["open_count", "idle_since"])
        if agent.status == "available":
            await request_push(session, agent)


async def tickets_due_for_giveback(session: AsyncSession, *, now: datetime | None = None) -> list[int]:
    """Open tickets whose assignee did nothing on them for their queue's `giveback_minutes`."""
    now = now or utcnow()
    rows = (
        await session.execute(
            select(Ticket.id, Ticket.assigned_at, Ticket.last_activity_at, Queue.routing)
            .join(Queue, Ticket.queue_id == Queue.id)
            .where(Ticket.assigned_agent_id.is_not(None), Ticket.status == "open", Ticket.assigned_at.is_not(None))
            .order_by(Ticket.id)
        )
    ).tuples()
    due = []
    for ticket_id, assigned_at, last_activity_at, routing in rows:
        minutes = (routing or {}).get("giveback_minutes", 30)
        if due_for_giveback(assigned_at, last_activity_at, now, None if minutes is None else float(minutes)):
            due.append(ticket_id)
    return due


async def give_back(session: AsyncSession, *, ticket_id: int, now: datetime | None = None) -> bool:
    """Return one ticket to the pool if it is still due for give-back (re-checked under the update)."""
    now = now or utcnow()
    ticket = await session.get(Ticket, ticket_id, populate_existing=True)
    if ticket is None or ticket.assigned_agent_id is None or ticket.status != "open" or ticket.assigned_at is None:
        return False
    queue = await session.get(Queue, ticket.queue_id)
    minutes = queue_routing(queue).get("giveback_minutes", 30) if queue is not None else None
    if not due_for_giveback(
        ticket.assigned_at, ticket.last_activity_at, now, None if minutes is None else float(minutes)
    ):
        return False
    return await return_to_pool(session, ticket=ticket, actor="system:giveback", now=now)
