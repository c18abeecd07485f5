"""Pull: an agent claims the most urgent pool ticket of a queue it may work; the claim primitives push shares.

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

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import ColumnElement, and_, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from ops.contracts.models import Queue
from ops.db import utcnow
from ops.errors import ConflictError, NotFoundError, Said
from ops.l10n import N_
from ops.queues.assignment.strategies import overflow_cutoff
from ops.queues.models import POOL_WHERE, Agent, Position, Ticket, TicketEvent

POOL_STATUSES = ("new", "open")


class NotWorkingError(ConflictError):
    """The agent is on break or offline: no ticket until the status says available (or busy, pull only)."""


class AtCapacityError(ConflictError):
    """The agent holds as many open tickets as its capacity: nothing to pull until one is done (push and pull
    share this one rule, so a page can say so instead of failing)."""

    def __init__(self, agent_id: int, held: int, capacity: int) -> None:
        super().__init__(Said(N_("The agent is at capacity ({capacity} open tickets)"), {"capacity": capacity}))
        self.held, self.capacity = held, capacity


# Agents who may pull; push goes only to "available" ones (busy means "do not send me more").
PULL_STATUSES = ("available", "busy")


def pool(queue_id: int) -> ColumnElement[bool]:
    # POOL_WHERE verbatim (no bound parameters): the planners use the partial pool index only when
    # they can prove a query implies its condition.
    return and_(Ticket.queue_id == queue_id, POOL_WHERE)


def urgency() -> tuple[Any, ...]:
    # Highest score first (sort_key is the time-free form of score with aging), then earliest due.
    return (Ticket.sort_key.desc(), Ticket.first_response_due.asc().nulls_last(), Ticket.id.asc())


_AGENT_AND_QUEUE = (
    select(Agent.id, Agent.status, Agent.capacity, Queue, Position.skills)
    .join(Queue, and_(Queue.contract_id == Agent.contract_id, Queue.code == bindparam("queue")))
    .outerjoin(Position, Position.id == Agent.position_id)
    .where(Agent.id == bindparam("agent"))
)
_RESERVE = (
    update(Agent)
    .where(Agent.id == bindparam("agent"), Agent.open_count < Agent.capacity, Agent.status.in_(PULL_STATUSES))
    .values(open_count=Agent.open_count + 1)
    .execution_options(synchronize_session=False)
)
_RELEASE = (
    update(Agent)
    .where(Agent.id == bindparam("agent"))
    .values(open_count=Agent.open_count - 1)
    .execution_options(synchronize_session=False)
)

# An agent's statuses as a refusal names them: the words the pages show.
AGENT_STATUS_WORDS = {"available": N_("available"), "busy": N_("busy"), "break": N_("break"), "offline": N_("offline")}


async def claim_next(
    session: AsyncSession, *, agent_id: int, queue_code: str, now: datetime | None = None
) -> Ticket | None:
    """Give agent `agent_id` the most urgent pool ticket of its contract's queue `queue_code` that
    it may work (skill level within the overflow wait), or None when there is none.

    The claim is one statement, `UPDATE tickets ... WHERE id = (SELECT ... LIMIT 1 FOR UPDATE SKIP
    LOCKED) RETURNING`, after the agent's capacity is reserved in the same transaction: the ticket
    row a puller picks is locked by it alone (PostgreSQL skips rows others hold; SQLite's writer
    lock, taken at BEGIN, admits one puller at a time), so nothing is retried in Python.

    Raises NotFoundError for an unknown queue, ConflictError when the agent has no skill for it, is
    on break or offline, or AtCapacityError when it is at capacity."""
    now = now or utcnow()
    found = (await session.execute(_AGENT_AND_QUEUE, {"agent": agent_id, "queue": queue_code})).one_or_none()
    if found is None:
        if await session.get(Agent, agent_id) is None:
            raise NotFoundError(f"no agent {agent_id}")
        raise NotFoundError(f"no queue {queue_code!r}")
    _id, status, capacity, queue, skills = found
    level = (skills or {}).get(queue.code)
    if level is None:
        raise ConflictError(Said(N_("The agent has no skill for the queue {queue}"), {"queue": queue.name}))
    if status not in PULL_STATUSES:
        word = Said(AGENT_STATUS_WORDS.get(status, status))
        raise NotWorkingError(Said(N_("The agent's status is {status}: set it to available first"), {"status": word}))
    cutoff = overflow_cutoff(now, level, overflow_minutes(queue))
    if cutoff is None:
        return None
    # Capacity first: the agent row lock is taken before any ticket lock, and SKIP LOCKED below
    # means a puller never waits on a ticket while holding it.
    if rowcount(await session.execute(_RESERVE, {"agent": agent_id})) != 1:
        raise AtCapacityError(agent_id, capacity, capacity)
    pick = select(Ticket.id).where(pool(queue.id))
    if level > 1:
        pick = pick.where(Ticket.received_at <= cutoff)
    pick = pick.order_by(*urgency()).limit(1).with_for_update(skip_locked=True)
    claim = (
        update(Ticket)
        .where(Ticket.id == pick.scalar_subquery(), POOL_WHERE)
        .values(assigned_agent_id=agent_id, assigned_at=now, status="open", version=Ticket.version + 1)
        .returning(Ticket)
        .execution_options(populate_existing=True)
    )
    ticket = (await session.scalars(claim)).one_or_none()
    if ticket is None:
        await session.execute(_RELEASE, {"agent": agent_id})
        return None
    await _record_assignment(session, ticket.id, agent_id, actor=f"agent:{agent_id}", how="pull", now=now)
    return ticket


async def take(session: AsyncSession, *, ticket_id: int, agent_id: int, now: datetime) -> bool:
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
    return rowcount(result) == 1


async def mark_assigned(
    session: AsyncSession, ticket_id: int, agent_id: int, *, actor: str, how: str, now: datetime
) -> Ticket:
    ticket = await session.get(Ticket, ticket_id, populate_existing=True)
    assert ticket is not None
    await _record_assignment(session, ticket_id, agent_id, actor=actor, how=how, now=now)
    return ticket


_ASSIGNED = (
    update(Agent)
    .where(Agent.id == bindparam("agent"))
    .values(last_assigned_at=bindparam("now"), idle_since=bindparam("now"))
    .execution_options(synchronize_session=False)
)


async def _record_assignment(
    session: AsyncSession, ticket_id: int, agent_id: int, *, actor: str, how: str, now: datetime
) -> None:
    # Only now, with the ticket taken: a reservation undone for want of a ticket leaves the agent's
    # idle time (what longest-idle push ranks by) as it was.
    await session.execute(_ASSIGNED, {"agent": agent_id, "now": now})
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


def rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


class QueueLike(Protocol):
    """What routing reads of a queue: a Queue row, or the intake's cached copy of it (no query)."""

    @property
    def id(self) -> int: ...
    @property
    def code(self) -> str: ...
    @property
    def contract_id(self) -> int: ...
    @property
    def routing(self) -> Mapping[str, Any] | None: ...


def queue_routing(queue: QueueLike) -> dict[str, Any]:
    return dict(queue.routing or {})


def overflow_minutes(queue: QueueLike) -> float | None:
    value = queue_routing(queue).get("overflow_after_minutes", 10)
    return None if value is None else float(value)
