"""Pull: an agent claims the most urgent pool ticket of a queue it may work; the claim primitives push shares.

Concurrency rule: a ticket changes hands only through conditional UPDATEs in one transaction,
`tickets ... WHERE assigned_agent_id IS NULL` and `agents ... WHERE open_count < capacity`, so
no interleaving can give one ticket to two agents or an agent more than its capacity. On
PostgreSQL the candidate row is picked `FOR UPDATE SKIP LOCKED`, so concurrent pullers take
different tickets instead of queueing on one. Lock order everywhere: an agent row is locked only
after any ticket this transaction waits for, and a puller holding its agent row never waits on a
ticket (SKIP LOCKED), which keeps the paths deadlock-free. A pull on PostgreSQL is one statement
(data-modifying CTEs): the agent and the queue read, the agent row locked and its capacity checked,
the ticket picked and claimed, the agent's count and idle time bumped, the audit event written; on
SQLite, whose writer lock is taken at BEGIN, the claim carries the agent's checks in its WHERE and
two short writes follow it. An agent above the queue's own skill level, served only after the
overflow wait, takes one more statement (the cutoff comes from its level).

A ticket is in the pool when `assigned_agent_id IS NULL` and its status is one of POOL_STATUSES.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, cast

from sqlalchemy import (
    ColumnElement,
    Integer,
    Numeric,
    Select,
    String,
    Table,
    and_,
    bindparam,
    exists,
    func,
    insert,
    literal,
    select,
    text,
    true,
    update,
)
from sqlalchemy import cast as cast_
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from ops.contracts.models import Contract, Queue, Reason
from ops.db import JSONType, UTCDateTime, rowcount, utcnow
from ops.errors import ConflictError, NotFoundError, Said
from ops.l10n import N_
from ops.queues.assignment.strategies import overflow_cutoff
from ops.queues.live import news
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
    # PostgreSQL's pool index (migration 0015) holds this very order, so a pick reads one index entry
    # instead of sorting the queue's pool, whatever the planner's statistics say.
    return (Ticket.sort_key.desc(), Ticket.first_response_due.asc().nulls_last(), Ticket.id.asc())


_AGENT_AND_QUEUE = (
    select(
        Agent.status,
        Agent.capacity,
        Agent.open_count,
        Queue.id,
        Queue.code,
        Queue.name,
        Queue.contract_id,
        Queue.routing,
        Contract.code,
        Position.skills,
    )
    .join(Queue, and_(Queue.contract_id == Agent.contract_id, Queue.code == bindparam("queue")))
    .join(Contract, Contract.id == Agent.contract_id)
    .outerjoin(Position, Position.id == Agent.position_id)
    .where(Agent.id == bindparam("agent"))
)

# The claim's statements, built once (SQLAlchemy caches their compiled form; asyncpg its prepared one).
_T, _A, _E = (cast(Table, model.__table__) for model in (Ticket, Agent, TicketEvent))
_AGENT = bindparam("agent", type_=Integer())
_NOW = bindparam("now", type_=UTCDateTime())
# The statuses spelled in the SQL: an IN of bound values is expanded on every execution.
_MAY_PULL = text("agents.status IN (" + ", ".join(f"'{status}'" for status in PULL_STATUSES) + ")")
_MAY_TAKE_ONE_MORE = and_(_A.c.id == _AGENT, _A.c.open_count < _A.c.capacity, _MAY_PULL)
_CLAIMED = {"assigned_agent_id": _AGENT, "assigned_at": _NOW, "status": "open", "version": _T.c.version + 1}
_REASON_CODE = select(Reason.code).where(Reason.id == _T.c.reason_id).scalar_subquery().label("reason_code")


def _pick() -> Select[Any]:
    pick = select(_T.c.id).where(_T.c.queue_id == bindparam("pool_queue"), POOL_WHERE)
    pick = pick.where(_T.c.received_at <= bindparam("cutoff", type_=UTCDateTime()))
    return pick.order_by(*urgency()).limit(1)


def _postgres_claim() -> Select[Any]:
    holder = select(_A.c.id).where(_MAY_TAKE_ONE_MORE).with_for_update().cte("holder").prefix_with("MATERIALIZED")
    return _postgres_claim_from(holder, bindparam("pool_queue"), None, overflow=True)


def _postgres_claim_from(holder: Any, queue: Any, info: Any, overflow: bool = False) -> Select[Any]:
    """One statement: lock the agent's row if it may take one more ticket (FOR UPDATE re-reads the row
    another pull of the same agent just committed), pick and claim the ticket (SKIP LOCKED: never a
    wait while holding the agent), bump the agent, write the event; the row says which step stopped."""
    candidates = select(_T.c.id).where(_T.c.queue_id == queue, POOL_WHERE, exists(select(holder.c.id)))
    if overflow:
        candidates = candidates.where(_T.c.received_at <= bindparam("cutoff", type_=UTCDateTime()))
    pick = candidates.order_by(*urgency()).limit(1).with_for_update(skip_locked=True).cte("pick")
    claim = (
        update(_T)
        # The row is locked and re-checked by the pick; `assigned_agent_id IS NULL` again keeps the rule
        # literal. Not POOL_WHERE whole: the planner would then read the pool index for an id (its last column).
        .where(_T.c.id == select(pick.c.id).scalar_subquery(), _T.c.assigned_agent_id.is_(None))
        .values(_CLAIMED)
        .returning(*_T.c)
        .cte("claim")
    )
    bump = (
        update(_A)
        .where(_A.c.id == _AGENT, exists(select(claim.c.id)))
        .values(open_count=_A.c.open_count + 1, last_assigned_at=_NOW, idle_since=_NOW)
        .returning(_A.c.id)
        .cte("bump")
    )
    event = (
        insert(_E)
        .from_select(
            ["ticket_id", "at", "actor", "action", "before", "after"],
            select(
                claim.c.id,
                _NOW,
                bindparam("by"),
                literal("assigned"),
                bindparam("was", type_=JSONType),
                bindparam("becomes", type_=JSONType),
            ),
        )
        .returning(_E.c.id)
        .cte("event")
    )
    claimed = holder.outerjoin(claim, true()).outerjoin(Reason, Reason.id == claim.c.reason_id)
    columns = [holder.c.id.label("holder"), *claim.c, Reason.code.label("reason_code")]
    if info is None:
        return select(*columns).select_from(claimed).add_cte(bump, event)
    return select(*info.c, *columns).select_from(info.outerjoin(claimed, true())).add_cte(bump, event)


def _sqlite_claim() -> Any:
    # The writer lock is held from BEGIN: the capacity read in this WHERE holds until the commit.
    return (
        update(_T)
        .where(_T.c.id == _pick().scalar_subquery(), POOL_WHERE, exists(select(_A.c.id).where(_MAY_TAKE_ONE_MORE)))
        .values(_CLAIMED)
        .returning(*_T.c, _REASON_CODE)
    )


# The first try, for an agent of the queue's own skill level (no overflow wait): everything the pull needs
# to know is read by the claim itself. PostgreSQL's returns the agent and the queue beside the claim, so a
# refusal needs no second read; SQLite's returns nothing on a refusal, read then (under the writer lock).
def _postgres_first() -> Select[Any]:
    level = cast_(Position.skills.op("->>")(bindparam("skill", type_=String())), Numeric()).label("level")
    info = (
        select(
            Agent.status.label("agent_status"),
            Agent.capacity.label("agent_capacity"),
            Queue.id.label("queue_of"),
            Queue.name.label("queue_name"),
            Queue.routing.label("queue_routing"),
            Contract.code.label("contract_code"),
            Position.skills.label("agent_skills"),
            level,
        )
        .join(Queue, and_(Queue.contract_id == Agent.contract_id, Queue.code == bindparam("queue")))
        .join(Contract, Contract.id == Agent.contract_id)
        .outerjoin(Position, Position.id == Agent.position_id)
        .where(Agent.id == _AGENT)
        .cte("info")
    )
    holder = (
        select(_A.c.id)
        .where(_MAY_TAKE_ONE_MORE, exists(select(info.c.level).where(info.c.level <= 1)))
        .with_for_update()
        .cte("holder")
        .prefix_with("MATERIALIZED")
    )
    return _postgres_claim_from(holder, select(info.c.queue_of).scalar_subquery(), info)


def _sqlite_first() -> Any:
    level = func.json_extract(Position.skills, bindparam("skill_path", type_=String()))
    queue = (
        select(Queue.id)
        .join(Agent, and_(Queue.contract_id == Agent.contract_id, Queue.code == bindparam("queue")))
        .outerjoin(Position, Position.id == Agent.position_id)
        .where(_MAY_TAKE_ONE_MORE, level <= 1)
        .scalar_subquery()
    )
    pick = select(_T.c.id).where(_T.c.queue_id == queue, POOL_WHERE).order_by(*urgency()).limit(1)
    contract = select(Contract.code).where(Contract.id == _T.c.contract_id).scalar_subquery().label("contract_code")
    return (
        update(_T)
        .where(_T.c.id == pick.scalar_subquery(), POOL_WHERE)
        .values(_CLAIMED)
        .returning(*_T.c, _REASON_CODE, contract)
    )


_FIRST = {"postgresql": _postgres_first(), "sqlite": _sqlite_first()}
# The second try, for an agent of a higher level: the tickets that waited past its overflow cutoff.
_OVERFLOW = {"postgresql": _postgres_claim(), "sqlite": _sqlite_claim()}
_BUMP = (
    update(_A).where(_A.c.id == _AGENT).values(open_count=_A.c.open_count + 1, last_assigned_at=_NOW, idle_since=_NOW)
)
_EVENT = insert(_E).values(
    ticket_id=bindparam("ticket"),
    at=_NOW,
    actor=bindparam("by"),
    action="assigned",
    before=bindparam("was", type_=JSONType),
    after=bindparam("becomes", type_=JSONType),
)

# An agent's statuses as a refusal names them: the words the pages show.
AGENT_STATUS_WORDS = {"available": N_("available"), "busy": N_("busy"), "break": N_("break"), "offline": N_("offline")}


@dataclass(frozen=True, slots=True)
class Claimed:
    """The ticket a pull claimed, as its claim returned it: the row after the claim and its codes (a view
    needs no further query)."""

    ticket: Mapping[str, Any]
    queue: str
    contract: str
    reason: str | None

    @property
    def id(self) -> int:
        return int(self.ticket["id"])


async def claim_next(
    session: AsyncSession, *, agent_id: int, queue_code: str, now: datetime | None = None
) -> Claimed | None:
    """Give agent `agent_id` the most urgent pool ticket of its contract's queue `queue_code` that
    it may work (skill level within the overflow wait), or None when there is none.

    The claim is `UPDATE tickets ... WHERE id = (SELECT ... LIMIT 1 FOR UPDATE SKIP LOCKED)
    RETURNING`, guarded by the agent's capacity in the same statement. On PostgreSQL it is one
    statement with the agent row's lock before it and the agent's bump and audit event after it
    (data-modifying CTEs), and it reads the agent and the queue itself; on SQLite, under the writer
    lock taken at BEGIN, the bump and the event follow it. An agent of the queue's own level is served
    by that first statement; one of a higher level, who gets tickets only after the overflow wait, by
    a second with the cutoff. Nothing is retried in Python; the news of the assignment is published
    after the commit from the returned row.

    Raises NotFoundError for an unknown queue, ConflictError when the agent has no skill for it, is
    on break or offline, or AtCapacityError when it is at capacity."""
    now = now or utcnow()
    conn = await session.connection()
    postgres = conn.dialect.name == "postgresql"
    dialect = "postgresql" if postgres else "sqlite"
    before, after = {"assigned_agent_id": None}, {"assigned_agent_id": agent_id, "how": "pull"}
    params: dict[str, Any] = {"agent": agent_id, "queue": queue_code, "now": now, "by": f"agent:{agent_id}"}
    params |= {"skill": queue_code, "skill_path": f'$."{queue_code}"', "was": before, "becomes": after}
    row = (await conn.execute(_FIRST[dialect], params)).one_or_none()
    if row is not None and row.id is not None:
        return await _claimed(session, conn, row, params, row.contract_code)
    # Nothing claimed: say why, or try again after the overflow wait for an agent of a higher level.
    if postgres:
        if row is None:
            raise await _not_found(session, agent_id, queue_code)
        status, capacity, queue_id, name, routing, contract, skills = row[:7]
        full = row.holder is None  # the agent's row, locked, refused one more (its status was fine)
    else:
        found = (await conn.execute(_AGENT_AND_QUEUE, params)).one_or_none()
        if found is None:
            raise await _not_found(session, agent_id, queue_code)
        status, capacity, held, queue_id, _code, name, _contract_id, routing, contract, skills = found
        full = held >= capacity  # read under the writer lock this transaction holds
    level = (skills or {}).get(queue_code)
    if level is None:
        raise ConflictError(Said(N_("The agent has no skill for the queue {queue}"), {"queue": name}))
    if status not in PULL_STATUSES:
        word = Said(AGENT_STATUS_WORDS.get(status, status))
        raise NotWorkingError(Said(N_("The agent's status is {status}: set it to available first"), {"status": word}))
    if level <= 1:
        if full:
            raise AtCapacityError(agent_id, capacity, capacity)
        return None
    cutoff = overflow_cutoff(now, level, overflow_after(routing))
    if cutoff is None:
        return None
    row = (await conn.execute(_OVERFLOW[dialect], params | {"pool_queue": queue_id, "cutoff": cutoff})).one_or_none()
    if (postgres and row is None) or (not postgres and row is None and full):
        raise AtCapacityError(agent_id, capacity, capacity)
    if row is None or row.id is None:
        return None
    return await _claimed(session, conn, row, params, contract)


async def _not_found(session: AsyncSession, agent_id: int, queue_code: str) -> NotFoundError:
    if await session.get(Agent, agent_id) is None:
        return NotFoundError(f"no agent {agent_id}")
    return NotFoundError(Said(N_("no queue {queue}"), {"queue": repr(queue_code)}))


async def _claimed(
    session: AsyncSession, conn: AsyncConnection, row: Row[Any], params: dict[str, Any], contract: str
) -> Claimed:
    agent_id, now = params["agent"], params["now"]
    if conn.dialect.name != "postgresql":
        await conn.execute(_BUMP, params)
        await conn.execute(_EVENT, params | {"ticket": row.id})
    found = row._mapping
    ticket = {c.name: found[c.name] for c in _T.c}
    _in_session(session, ticket, agent_id, now)
    event = {"ticket_id": row.id, "action": "assigned", "actor": params["by"], "at": now}
    news.written(session, [event | {"before": params["was"], "after": params["becomes"]}])
    news.placed(
        session, {row.id: (ticket["contract_id"], params["queue"], ticket["protocol"], ticket["version"], agent_id)}
    )
    return Claimed(ticket, params["queue"], contract, row.reason_code)


def _in_session(session: AsyncSession, ticket: Mapping[str, Any], agent_id: int, now: datetime) -> None:
    """Rows this session already holds see what the claim did, without a read-back."""
    held = session.identity_map.get(identity_key(Ticket, ticket["id"]))
    if isinstance(held, Ticket):
        for name in ("assigned_agent_id", "assigned_at", "status", "version"):
            set_committed_value(held, name, ticket[name])
    _agent_assigned(session, agent_id, now)


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
    _agent_assigned(session, agent_id, now)


def _agent_assigned(session: AsyncSession, agent_id: int, now: datetime) -> None:
    # An Agent already in the session sees what the UPDATEs did, without a read-back.
    agent = session.identity_map.get(identity_key(Agent, agent_id))
    if isinstance(agent, Agent):
        set_committed_value(agent, "open_count", agent.open_count + 1)
        set_committed_value(agent, "idle_since", now)
        set_committed_value(agent, "last_assigned_at", now)


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
    return overflow_after(queue.routing)


def overflow_after(routing: Mapping[str, Any] | None) -> float | None:
    """A queue's overflow wait in minutes, from its routing (10 unless it says; None: it never overflows)."""
    value = dict(routing or {}).get("overflow_after_minutes", 10)
    return None if value is None else float(value)
