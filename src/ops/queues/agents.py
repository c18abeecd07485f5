"""Agents and positions, and getting tickets to them: pull (claim the next), push, give-back.

Concurrency rule: a ticket changes hands only through conditional UPDATEs in one transaction,
`tickets ... WHERE assigned_agent_id IS NULL` and `agents ... WHERE open_count < capacity`, so
no interleaving can give one ticket to two agents or an agent more than its capacity. On
PostgreSQL the candidate row is picked `FOR UPDATE SKIP LOCKED`, so concurrent pullers take
different tickets instead of queueing on one. Lock order everywhere: an agent row is locked only
after any ticket this transaction waits for, and a puller holding its agent row never waits on a
ticket (SKIP LOCKED), which keeps the paths deadlock-free.

A ticket is in the pool when `assigned_agent_id IS NULL` and its status is one of POOL_STATUSES.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from ops.auth import issue_token
from ops.contracts.models import Contract, Queue
from ops.db import utcnow
from ops.errors import ConflictError, InvalidInputError, NotFoundError
from ops.queues.assignment import AgentState, due_for_giveback, overflow_cutoff, pick_agent
from ops.queues.models import POOL_WHERE, Agent, Position, Ticket, TicketEvent

POOL_STATUSES = ("new", "open")
AGENT_STATUSES = ("available", "busy", "break", "offline")
# Agents who may pull; push goes only to "available" ones (busy means "do not send me more").
PULL_STATUSES = ("available", "busy")
_SKILL = re.compile(r"^\s*([a-z0-9_-]+)\s*(?::\s*(\d+))?\s*$")


def parse_skills(text: str) -> dict[str, int]:
    """`care,bo_care:2` -> {"care": 1, "bo_care": 2}: queue codes with a level, 1 (primary) by default."""
    skills: dict[str, int] = {}
    for part in text.split(","):
        if not part.strip():
            continue
        match = _SKILL.match(part)
        if match is None or (match[2] is not None and int(match[2]) < 1):
            raise ValueError(f"skills: {part.strip()!r} is not QUEUE or QUEUE:LEVEL with a level of 1 or more")
        skills[match[1]] = int(match[2] or 1)
    if not skills:
        raise ValueError("skills: name at least one queue")
    return skills


# --- agents and positions ---------------------------------------------------------------------


async def create_agent(
    session: AsyncSession,
    *,
    contract_code: str,
    name: str,
    skills: Mapping[str, int],
    capacity: int = 3,
    position_code: str | None = None,
    supervisor: bool = False,
) -> tuple[Agent, str]:
    """Create an agent signed to a position carrying `skills` (created, or updated to these skills)
    and an agent token for it; the token is returned in clear, the only time it is visible."""
    contract = (await session.execute(select(Contract).where(Contract.code == contract_code))).scalar_one_or_none()
    if contract is None:
        raise NotFoundError(f"no contract {contract_code!r}")
    known = set((await session.execute(select(Queue.code).where(Queue.contract_id == contract.id))).scalars())
    unknown = sorted(set(skills) - known)
    if unknown:
        raise InvalidInputError(
            f"skills: unknown queue {unknown[0]!r} (queues of {contract_code}: {', '.join(sorted(known))})",
            extra=[{"field": "skills", "problem": f"unknown queue {q!r}"} for q in unknown],
        )
    if capacity < 1:
        raise InvalidInputError("capacity must be at least 1", extra=[{"field": "capacity", "problem": "< 1"}])
    if not name.strip():
        raise InvalidInputError("name must not be empty", extra=[{"field": "name", "problem": "empty"}])
    code = position_code or "pos-" + (re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "agent")
    position = (
        await session.execute(select(Position).where(Position.contract_id == contract.id, Position.code == code))
    ).scalar_one_or_none()
    if position is None:
        position = Position(contract_id=contract.id, code=code[:50], skills=dict(skills))
        session.add(position)
    else:
        position.skills = dict(skills)
    await session.flush()
    agent = Agent(
        contract_id=contract.id,
        name=name.strip(),
        position_id=position.id,
        status="offline",
        capacity=capacity,
        open_count=0,
        supervisor=supervisor,
    )
    session.add(agent)
    await session.flush()
    token = await issue_token(
        session, name=f"agent:{agent.name}", role="agent", contract_id=contract.id, agent_id=agent.id
    )
    return agent, token


async def get_agent(session: AsyncSession, *, agent_id: int) -> Agent:
    agent = await session.get(Agent, agent_id)
    if agent is None:
        raise NotFoundError(f"no agent {agent_id}")
    return agent


async def agent_skills(session: AsyncSession, agent: Agent) -> dict[str, int]:
    if agent.position_id is None:
        return {}
    position = await session.get(Position, agent.position_id)
    return dict(position.skills) if position is not None else {}


async def list_agents(session: AsyncSession, *, contract_id: int | None) -> list[tuple[Agent, Position | None]]:
    query = select(Agent, Position).outerjoin(Position, Agent.position_id == Position.id).order_by(Agent.id)
    if contract_id is not None:
        query = query.where(Agent.contract_id == contract_id)
    return [(a, p) for a, p in (await session.execute(query)).tuples()]


async def set_status(
    session: AsyncSession,
    *,
    agent_id: int,
    status: str,
    position_code: str | None = None,
    now: datetime | None = None,
) -> Agent:
    """Change an agent's status (and sign it in to a position). Going offline returns its open
    tickets to the pool; becoming available asks for waiting tickets to be pushed (after commit)."""
    now = now or utcnow()
    if status not in AGENT_STATUSES:
        raise InvalidInputError(
            f"status must be one of {', '.join(AGENT_STATUSES)}",
            extra=[{"field": "status", "problem": f"{status!r} is not one of {', '.join(AGENT_STATUSES)}"}],
        )
    agent = await get_agent(session, agent_id=agent_id)
    if position_code is not None:
        position = (
            await session.execute(
                select(Position).where(Position.contract_id == agent.contract_id, Position.code == position_code)
            )
        ).scalar_one_or_none()
        if position is None:
            raise InvalidInputError(
                f"no position {position_code!r}", extra=[{"field": "position", "problem": "unknown position"}]
            )
        agent.position_id = position.id
    if status != "offline" and agent.position_id is None:
        raise ConflictError("sign in to a position first (give `position`)")
    before = agent.status
    agent.status = status
    if status == "available" and before != "available":
        agent.idle_since = agent.idle_since or now
    await session.flush()
    if status == "offline" and before != "offline":
        held = (
            await session.execute(select(Ticket).where(Ticket.assigned_agent_id == agent.id, Ticket.status == "open"))
        ).scalars()
        for ticket in list(held):
            await return_to_pool(session, ticket=ticket, actor=f"agent:{agent.id}", action="released", now=now)
    if status == "available":
        await _request_push(session, agent)
    return agent


# --- pull ---------------------------------------------------------------------------------------


def _pool(queue_id: int) -> ColumnElement[bool]:
    # POOL_WHERE verbatim (no bound parameters): the planners use the partial pool index only when
    # they can prove a query implies its condition.
    return and_(Ticket.queue_id == queue_id, POOL_WHERE)


def _urgency() -> tuple[Any, ...]:
    # Highest score first (sort_key is the time-free form of score with aging), then earliest due.
    return (Ticket.sort_key.desc(), Ticket.first_response_due.asc().nulls_last(), Ticket.id.asc())


async def claim_next(
    session: AsyncSession, *, agent_id: int, queue_code: str, now: datetime | None = None
) -> Ticket | None:
    """Give agent `agent_id` the most urgent pool ticket of its contract's queue `queue_code` that
    it may work (skill level within the overflow wait), or None when there is none.

    Raises NotFoundError for an unknown queue, ConflictError when the agent has no skill for it, is
    on break or offline, or is at capacity."""
    now = now or utcnow()
    found = (
        await session.execute(
            select(Agent, Queue, Position.skills)
            .join(Queue, and_(Queue.contract_id == Agent.contract_id, Queue.code == queue_code))
            .outerjoin(Position, Position.id == Agent.position_id)
            .where(Agent.id == agent_id)
        )
    ).one_or_none()
    if found is None:
        await get_agent(session, agent_id=agent_id)
        raise NotFoundError(f"no queue {queue_code!r}")
    agent, queue, skills = found
    level = (skills or {}).get(queue.code)
    if level is None:
        raise ConflictError(f"agent {agent.id} has no skill for queue {queue_code!r}")
    if agent.status not in PULL_STATUSES:
        raise ConflictError(f"agent {agent.id} is {agent.status}: set the status to available first")
    cutoff = overflow_cutoff(now, level, _overflow_minutes(queue))
    if cutoff is None:
        return None
    # Capacity first: the agent row lock is taken before any ticket lock, and SKIP LOCKED below
    # means a puller never waits on a ticket while holding it.
    taken = await session.execute(
        update(Agent)
        .where(Agent.id == agent.id, Agent.open_count < Agent.capacity, Agent.status.in_(PULL_STATUSES))
        .values(open_count=Agent.open_count + 1)
        .execution_options(synchronize_session=False)
    )
    if _rowcount(taken) != 1:
        raise ConflictError(f"agent {agent.id} is at capacity ({agent.capacity} open tickets)")
    for _ in range(20):
        query = select(Ticket.id).where(_pool(queue.id))
        if level > 1:
            query = query.where(Ticket.received_at <= cutoff)
        candidate = (
            await session.execute(query.order_by(*_urgency()).limit(1).with_for_update(skip_locked=True))
        ).scalar_one_or_none()
        if candidate is None:
            break
        if await _take(session, ticket_id=candidate, agent_id=agent.id, now=now):
            return await _assigned(session, candidate, agent.id, actor=f"agent:{agent.id}", how="pull", now=now)
    await session.execute(
        update(Agent)
        .where(Agent.id == agent.id)
        .values(open_count=Agent.open_count - 1)
        .execution_options(synchronize_session=False)
    )
    return None


async def _take(session: AsyncSession, *, ticket_id: int, agent_id: int, now: datetime) -> bool:
    result = await session.execute(
        update(Ticket)
        .where(Ticket.id == ticket_id, Ticket.assigned_agent_id.is_(None), Ticket.status.in_(POOL_STATUSES))
        .values(
            assigned_agent_id=agent_id,
            assigned_at=now,
            status="open",
            version=Ticket.version + 1,
        )
        .execution_options(synchronize_session=False)
    )
    return _rowcount(result) == 1


async def _assigned(
    session: AsyncSession, ticket_id: int, agent_id: int, *, actor: str, how: str, now: datetime
) -> Ticket:
    ticket = await session.get(Ticket, ticket_id, populate_existing=True)
    assert ticket is not None
    # Only now, with the ticket taken: a reservation undone for want of a ticket leaves the agent's
    # idle time (what longest-idle push ranks by) as it was.
    await session.execute(
        update(Agent)
        .where(Agent.id == agent_id)
        .values(last_assigned_at=now, idle_since=now)
        .execution_options(synchronize_session=False)
    )
    session.add(
        TicketEvent(
            ticket_id=ticket_id,
            at=now,
            actor=actor,
            action="assigned",
            before={"assigned_agent_id": None},
            after={"assigned_agent_id": agent_id, "how": how},
        )
    )
    # An Agent already in the session sees what the UPDATEs did, without a read-back.
    agent = session.identity_map.get(identity_key(Agent, agent_id))
    if isinstance(agent, Agent):
        set_committed_value(agent, "open_count", agent.open_count + 1)
        set_committed_value(agent, "idle_since", now)
        set_committed_value(agent, "last_assigned_at", now)
    return ticket


def _rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def _routing(queue: Queue) -> dict[str, Any]:
    return dict(queue.routing or {})


def _overflow_minutes(queue: Queue) -> float | None:
    value = _routing(queue).get("overflow_after_minutes", 10)
    return None if value is None else float(value)


# --- push ---------------------------------------------------------------------------------------


async def _agent_states(session: AsyncSession, queue: Queue) -> list[AgentState]:
    rows = (
        await session.execute(
            select(Agent, Position.skills)
            .join(Position, Agent.position_id == Position.id)
            .where(Agent.contract_id == queue.contract_id, Agent.status == "available")
        )
    ).tuples()
    states = []
    for agent, skills in rows:
        level = (skills or {}).get(queue.code)
        if level is None:
            continue
        states.append(
            AgentState(
                agent_id=agent.id,
                status=agent.status,
                open_count=agent.open_count,
                capacity=agent.capacity,
                skill_level=int(level),
                idle_since=agent.idle_since,
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


async def push_ticket(
    session: AsyncSession,
    *,
    ticket: Ticket,
    queue: Queue,
    now: datetime | None = None,
    states: Sequence[AgentState] | None = None,
) -> int | None:
    """Assign a pool ticket to an agent by the queue's strategy (within capacity, overflow by
    wait); the agent's id, or None when nobody may take it now."""
    now = now or utcnow()
    routing = _routing(queue)
    strategy = routing.get("strategy", "longest_idle")
    waited = max(0.0, (now - ticket.received_at).total_seconds() / 60)
    pool = list(states) if states is not None else await _agent_states(session, queue)
    cursor = await _cursor(session, queue.id) if strategy == "round_robin" else None
    while pool:
        chosen = pick_agent(
            pool,
            strategy=strategy,
            waited_minutes=waited,
            overflow_after_minutes=_overflow_minutes(queue),
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
        if _rowcount(won) == 1:
            if await _take(session, ticket_id=ticket.id, agent_id=chosen, now=now):
                await _assigned(session, ticket.id, chosen, actor="system:push", how=strategy, now=now)
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
                select(Ticket).where(_pool(queue.id)).order_by(*_urgency()).limit(50).with_for_update(skip_locked=True)
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


async def _request_push(session: AsyncSession, agent: Agent) -> None:
    from ops.jobs.queue import defer

    skills = await agent_skills(session, agent)
    if not skills:
        return
    queue_ids = (
        await session.execute(
            select(Queue.id).where(Queue.contract_id == agent.contract_id, Queue.code.in_(list(skills)))
        )
    ).scalars()
    for queue_id in queue_ids:
        defer(session, "assign_waiting_tickets", job_id=f"assign:{queue_id}", queue_id=queue_id)


# --- release and give-back ----------------------------------------------------------------------


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
    if _rowcount(result) != 1:
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
            await _request_push(session, agent)


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
    minutes = _routing(queue).get("giveback_minutes", 30) if queue is not None else None
    if not due_for_giveback(
        ticket.assigned_at, ticket.last_activity_at, now, None if minutes is None else float(minutes)
    ):
        return False
    return await return_to_pool(session, ticket=ticket, actor="system:giveback", now=now)


async def open_counts(session: AsyncSession, *, contract_id: int) -> dict[int, int]:
    """Tickets assigned per agent, counted from the tickets (to check `Agent.open_count`)."""
    rows = await session.execute(
        select(Ticket.assigned_agent_id, func.count())
        .where(Ticket.contract_id == contract_id, Ticket.assigned_agent_id.is_not(None))
        .where(Ticket.status.not_in(("resolved", "closed")))
        .group_by(Ticket.assigned_agent_id)
    )
    return {a: int(n) for a, n in rows.tuples() if a is not None}
