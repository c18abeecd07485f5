"""What the work pages and the ticket API read: a ticket's work view, ticket lists, queue counts, the overview."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from ops.auth import Principal
from ops.calendars import Calendar, business_minutes_between, open_windows
from ops.contracts.models import Contract, Queue, Reason
from ops.db import utcnow
from ops.errors import NotFoundError, Said
from ops.l10n import N_
from ops.queues.assignment.agents import agent_skills
from ops.queues.models import ACTIVE, Agent, Incident, Ticket, TicketEvent, TimeEntry
from ops.queues.sla.clock import Clocks, Targets
from ops.queues.sla.sync import WARNING, ticket_clocks, ticket_events
from ops.queues.work.actions import allowed_actions, visible_ticket
from ops.queues.work.filters import TicketFilter, is_breached, keeps, list_order, nearest_deadline
from ops.queues.work.procedures import checklist_view
from ops.queues.work.replies import CannedReply, fill, parse_canned_replies, placeholder_values
from ops.queues.work.resolving import override_allowed
from ops.queues.work.time import time_entries


@dataclass(frozen=True)
class TicketWork:
    """Everything the ticket page and the API show about one ticket."""

    ticket: Ticket
    queue: Queue
    reason: Reason | None
    agent_name: str | None
    checklist: list[dict[str, Any]]
    field_defs: list[dict[str, Any]]
    events: list[TicketEvent]
    clocks: Clocks | None
    allowed: tuple[str, ...]
    transfer_to: list[tuple[str, str]]
    time_entries: list[TimeEntry]
    minutes_logged: Decimal
    # The ticket page's extras: names for the history's sentences, the customer's other tickets (same customer
    # id, same contract), the reason's canned replies filled from the ticket, whether resolving may be overridden.
    agent_names: dict[int, str] = field(default_factory=dict)
    queue_names: dict[str, str] = field(default_factory=dict)
    others: list[TicketRow] = field(default_factory=list)
    canned: list[CannedReply] = field(default_factory=list)
    override_allowed: bool = True
    replied: bool = False


async def ticket_work(
    session: AsyncSession, *, ticket_id: int, principal: Principal, now: datetime | None = None
) -> TicketWork:
    now = now or utcnow()
    ticket = await visible_ticket(session, ticket_id, principal)
    queue = await session.get(Queue, ticket.queue_id)
    assert queue is not None
    reason = await session.get(Reason, ticket.reason_id) if ticket.reason_id is not None else None
    agent = await session.get(Agent, ticket.assigned_agent_id) if ticket.assigned_agent_id is not None else None
    events = await ticket_events(session, ticket.id)
    clocks = ticket_clocks(queue, ticket, events, now)
    others = (
        await session.execute(
            select(Queue).where(Queue.contract_id == ticket.contract_id, Queue.id != queue.id).order_by(Queue.position)
        )
    ).scalars()
    others_list = list(others)
    transfer_to = [(q.code, q.name) for q in others_list if Targets.from_policy(q.sla, ticket.priority) is not None]
    entries = await time_entries(session, ticket_id=ticket.id)
    contract = await session.get(Contract, ticket.contract_id)
    work = (contract.document or {}).get("work") if contract is not None else None
    agent_ids = {
        v
        for e in events
        for v in (*e.before.values(), *e.after.values())
        if isinstance(v, int) and not isinstance(v, bool)
    } | {int(e.actor.split(":")[1]) for e in events if e.actor.startswith("agent:") and e.actor[6:].isdigit()}
    names = (
        dict((await session.execute(select(Agent.id, Agent.name).where(Agent.id.in_(agent_ids)))).tuples().all())
        if agent_ids
        else {}
    )
    return TicketWork(
        ticket=ticket,
        queue=queue,
        reason=reason,
        agent_name=agent.name if agent else None,
        checklist=checklist_view(reason.procedure if reason else [], ticket.checklist),
        field_defs=list(reason.fields) if reason else [],
        events=events,
        clocks=clocks,
        allowed=allowed_actions(principal, ticket),
        transfer_to=transfer_to,
        time_entries=entries,
        minutes_logged=sum((e.minutes for e in entries), Decimal(0)),
        agent_names=names,
        queue_names={queue.code: queue.name, **{q.code: q.name for q in others_list}},
        others=await customer_tickets(session, ticket=ticket, now=now),
        canned=_canned(work, reason, ticket),
        override_allowed=override_allowed(work),
        replied=any(e.action == "reply" for e in events),
    )


def _canned(work: Any, reason: Reason | None, ticket: Ticket) -> list[CannedReply]:
    if reason is None or not isinstance(work, dict):
        return []
    section = work.get("canned_replies") or {}
    # The loader checked the whole section; the reason's own replies are read again here, as the file has them.
    mine = {reason.code: section[reason.code]} if isinstance(section, dict) and reason.code in section else {}
    replies = parse_canned_replies(mine, {reason.code})
    values = placeholder_values(ticket.customer or {}, ticket.protocol, ticket.fields or {})
    return [CannedReply(r.reason, r.title, fill(r.text, values)) for r in replies if r.reason == reason.code]


async def customer_tickets(session: AsyncSession, *, ticket: Ticket, now: datetime, limit: int = 20) -> list[TicketRow]:
    """The same customer's other tickets of the same contract (by the CRM's customer id), newest first."""
    customer_id = (ticket.customer or {}).get("id")
    if not customer_id:
        return []
    recent = (
        select(Ticket)
        .where(Ticket.contract_id == ticket.contract_id, Ticket.id != ticket.id)
        .order_by(Ticket.created_at.desc())
        .limit(2000)
    )
    # The customer sits in a JSON column: compared in Python over the contract's recent tickets, so the query is
    # one plan on SQLite and PostgreSQL alike.
    rows = [r for r in await _rows(session, recent, now) if (r.ticket.customer or {}).get("id") == customer_id]
    return rows[:limit]


# --- lists for the pages ----------------------------------------------------------------------


@dataclass(frozen=True)
class TicketRow:
    """A ticket in a list, with its nearest running deadline from the stored columns."""

    ticket: Ticket
    queue_code: str
    reason_name: str | None
    agent_name: str | None
    next_kind: str | None
    next_due: datetime | None
    breached: bool
    # Business minutes of the queue's calendar from now to next_due (negative once past it): the SLA clock's
    # own minutes, shown beside the wall-clock countdown (which keeps tickets comparable across calendars).
    minutes_left: float | None = None
    # The calendar's open stretches of the next hours (Unix seconds): a page counts minutes_left down over them.
    open_windows: tuple[tuple[int, int], ...] = ()
    # The queue's name as its contract gives it: what a page shows (the code is for links and filters).
    queue_name: str = ""


# How far ahead a page's countdown of business minutes is given its calendar's open stretches (then it holds).
WINDOWS_AHEAD = timedelta(hours=24)


def business_minutes_left(calendar: Calendar, now: datetime, due: datetime | None) -> float | None:
    """The business minutes from now to a due time, negative when it is past, as the SLA clock counts them."""
    if due is None:
        return None
    if due >= now:
        return business_minutes_between(calendar, now, due)
    return -business_minutes_between(calendar, due, now)


def _row(ticket: Ticket, queue_code: str, reason_name: str | None, agent_name: str | None, now: datetime) -> TicketRow:
    due, kind, breached = nearest_deadline(ticket, now)
    return TicketRow(ticket, queue_code, reason_name, agent_name, kind, due, breached)


async def _rows(session: AsyncSession, query: Any, now: datetime) -> list[TicketRow]:
    full = (
        query.add_columns(Queue.code, Reason.name, Agent.name, Queue.calendar, Queue.name)
        .join(Queue, Queue.id == Ticket.queue_id)
        .outerjoin(Reason, Reason.id == Ticket.reason_id)
        .outerjoin(Agent, Agent.id == Ticket.assigned_agent_id)
    )
    calendars: dict[tuple[int, str], tuple[Calendar, tuple[tuple[int, int], ...]]] = {}  # a code is per contract
    rows = []
    for t, q, r, a, cal, queue_name in (await session.execute(full)).tuples():
        row = replace(_row(t, q, r, a, now), queue_name=queue_name)
        if row.next_due is not None:
            key = (t.contract_id, q)
            if key not in calendars:
                calendar = Calendar.from_dict(cal)
                calendars[key] = (calendar, tuple(open_windows(calendar, now, now + WINDOWS_AHEAD)))
            calendar, windows = calendars[key]
            row = replace(row, minutes_left=business_minutes_left(calendar, now, row.next_due), open_windows=windows)
        rows.append(row)
    return rows


def _scoped(query: Any, principal: Principal) -> Any:
    return query if principal.contract_id is None else query.where(Ticket.contract_id == principal.contract_id)


async def my_tickets(session: AsyncSession, *, principal: Principal, now: datetime | None = None) -> list[TicketRow]:
    """The caller's agent's active tickets, nearest deadline first."""
    now = now or utcnow()
    if principal.agent_id is None:
        return []
    query = select(Ticket).where(Ticket.assigned_agent_id == principal.agent_id, Ticket.status.in_(ACTIVE))
    rows = await _rows(session, _scoped(query, principal), now)
    return sorted(rows, key=lambda r: (not r.breached, r.next_due is None, r.next_due or now, r.ticket.id))


@dataclass(frozen=True)
class QueueSummary:
    queue: Queue
    skill: int | None
    waiting: int
    working: int
    pending: int
    breached: int
    due_soon: int


async def queue_summaries(
    session: AsyncSession, *, principal: Principal, now: datetime | None = None, soon_minutes: float = 60
) -> list[QueueSummary]:
    """The ticket queues the caller sees with their counts; `skill` is the caller's agent's level."""

    now = now or utcnow()
    skills: dict[str, int] = {}
    if principal.agent_id is not None:
        agent = await session.get(Agent, principal.agent_id)
        skills = await agent_skills(session, agent) if agent is not None else {}
    queues_q = select(Queue).order_by(Queue.contract_id, Queue.position)
    if principal.contract_id is not None:
        queues_q = queues_q.where(Queue.contract_id == principal.contract_id)
    queues = [q for q in (await session.execute(queues_q)).scalars() if (q.sla or {}).get("tickets")]
    active = (
        await session.execute(
            select(Ticket).where(Ticket.queue_id.in_([q.id for q in queues]), Ticket.status.in_(ACTIVE))
        )
    ).scalars()
    counts: dict[int, list[int]] = {q.id: [0, 0, 0, 0, 0] for q in queues}
    soon = now + timedelta(minutes=soon_minutes)
    for t in active:
        c = counts[t.queue_id]
        row = _row(t, "", None, None, now)
        if t.assigned_agent_id is None and t.status in ("new", "open"):
            c[0] += 1
        elif t.status == "pending":
            c[2] += 1
        else:
            c[1] += 1
        # Breached as the supervisor's filter says it (`is_breached`): a deadline already past counts before the
        # SLA watch flags it, and never as "due soon".
        late = is_breached(row.breached, row.next_due, now)
        c[3] += late
        c[4] += (not late) and row.next_due is not None and row.next_due <= soon
    return [QueueSummary(q, skills.get(q.code), *counts[q.id]) for q in queues]


async def queue_board(
    session: AsyncSession, *, principal: Principal, queue_code: str, now: datetime | None = None, limit: int = 200
) -> tuple[Queue, list[TicketRow]]:
    """A queue's active tickets in the order the pool gives them out (most urgent first)."""
    now = now or utcnow()
    query = select(Queue).where(Queue.code == queue_code)
    if principal.contract_id is not None:
        query = query.where(Queue.contract_id == principal.contract_id)
    queue = (await session.execute(query.order_by(Queue.contract_id).limit(1))).scalar_one_or_none()
    if queue is None or principal.role == "client":
        raise NotFoundError(Said(N_("no queue {queue}"), {"queue": repr(queue_code)}))
    tickets = (
        select(Ticket)
        .where(Ticket.queue_id == queue.id, Ticket.status.in_(ACTIVE))
        .order_by(Ticket.sort_key.desc(), Ticket.first_response_due.asc().nulls_last(), Ticket.id)
        .limit(limit)
    )
    return queue, await _rows(session, tickets, now)


@dataclass(frozen=True)
class Overview:
    """The supervisor's view: queues, agents, late and escalated tickets, incidents, warnings."""

    queues: list[QueueSummary]
    agents: list[tuple[Agent, int]]
    breached: list[TicketRow]
    escalated: list[TicketRow]
    incidents: list[Incident]
    warnings: list[tuple[TicketEvent, str]]


async def supervisor_overview(
    session: AsyncSession, *, principal: Principal, now: datetime | None = None, warnings_hours: float = 8
) -> Overview:

    now = now or utcnow()
    queues = await queue_summaries(session, principal=principal, now=now)
    agents_q = select(Agent).order_by(Agent.supervisor.desc(), Agent.name)
    incidents_q = select(Incident).where(Incident.status == "open").order_by(Incident.opened_at.desc())
    if principal.contract_id is not None:
        agents_q = agents_q.where(Agent.contract_id == principal.contract_id)
        incidents_q = incidents_q.where(Incident.contract_id == principal.contract_id)
    agents = list((await session.execute(agents_q)).scalars())
    late = _scoped(
        select(Ticket).where(
            Ticket.status.in_(ACTIVE),
            (Ticket.first_response_breached.is_(True))
            | (Ticket.resolution_breached.is_(True))
            | (Ticket.next_response_due < now)
            | (Ticket.resolution_due < now)
            | (Ticket.first_response_at.is_(None) & (Ticket.first_response_due < now)),
        ),
        principal,
    )
    escalated = _scoped(select(Ticket).where(Ticket.status.in_(ACTIVE), Ticket.flagged.is_(True)), principal)
    warned = _scoped(
        select(TicketEvent, Ticket.protocol)
        .join(Ticket, Ticket.id == TicketEvent.ticket_id)
        .where(TicketEvent.action == WARNING, TicketEvent.at >= now - timedelta(hours=warnings_hours))
        .order_by(TicketEvent.at.desc())
        .limit(50),
        principal,
    )
    return Overview(
        queues=queues,
        agents=[(a, a.open_count) for a in agents],
        breached=sorted(
            (r for r in await _rows(session, late, now) if is_breached(r.breached, r.next_due, now)),
            key=lambda r: (r.next_due is None, r.next_due or now),
        ),
        escalated=await _rows(session, escalated, now),
        incidents=list((await session.execute(incidents_q)).scalars()),
        warnings=[(e, p) for e, p in (await session.execute(warned)).tuples()],
    )


async def my_warnings(
    session: AsyncSession, *, principal: Principal, now: datetime | None = None, hours: float = 8
) -> list[tuple[TicketEvent, str]]:
    """SLA warnings of the last hours on tickets assigned to the caller's agent and still active."""

    now = now or utcnow()
    if principal.agent_id is None:
        return []
    query = (
        select(TicketEvent, Ticket.protocol)
        .join(Ticket, Ticket.id == TicketEvent.ticket_id)
        .where(
            TicketEvent.action == WARNING,
            TicketEvent.at >= now - timedelta(hours=hours),
            Ticket.assigned_agent_id == principal.agent_id,
            Ticket.status.in_(ACTIVE),
        )
        .order_by(TicketEvent.at.desc())
        .limit(20)
    )
    return [(e, p) for e, p in (await session.execute(query)).tuples()]


async def filtered_tickets(
    session: AsyncSession, *, principal: Principal, found: TicketFilter, now: datetime | None = None, limit: int = 200
) -> list[TicketRow]:
    """The caller's contract's active tickets that pass a filter, nearest deadline first (at most `limit`)."""
    now = now or utcnow()
    query = select(Ticket).where(Ticket.status.in_((found.status,) if found.status else ACTIVE))
    if found.priority:
        query = query.where(Ticket.priority == found.priority)
    if found.queue:
        query = query.where(Ticket.queue_id.in_(select(Queue.id).where(Queue.code == found.queue)))
    # The database narrows to a superset (any running deadline past, or within N minutes); `keeps` decides.
    running = [Ticket.resolution_due, Ticket.next_response_due]
    first_due = Ticket.first_response_at.is_(None) & Ticket.first_response_due.is_not(None)
    if found.breached:
        query = query.where(
            Ticket.first_response_breached.is_(True)
            | Ticket.resolution_breached.is_(True)
            | or_(*(due < now for due in running))
            | (first_due & (Ticket.first_response_due < now))
        )
    if found.due_within is not None:
        cutoff = now + timedelta(minutes=found.due_within)
        query = query.where(
            or_(*(due <= cutoff for due in running)) | (first_due & (Ticket.first_response_due <= cutoff))
        )
    if principal.role == "client":
        return []
    # Rank on the clock columns alone, then load the whole rows of the first `limit` (a backlog of thousands
    # would otherwise build thousands of full ORM rows for a page of 200).
    light = _scoped(
        query.with_only_columns(
            Ticket.id,
            Ticket.status,
            Ticket.first_response_at,
            Ticket.first_response_due,
            Ticket.next_response_due,
            Ticket.resolution_due,
            Ticket.first_response_breached,
            Ticket.resolution_breached,
        ),
        principal,
    )
    ranked = []
    for clocks in (await session.execute(light)).all():
        due, _, breached = nearest_deadline(clocks, now)
        if keeps(found, breached=breached, next_due=due, now=now):
            ranked.append(list_order(breached, due, clocks.id, now))
    chosen = [key[-1] for key in sorted(ranked)[:limit]]
    rows = await _rows(session, select(Ticket).where(Ticket.id.in_(chosen)), now) if chosen else []
    return sorted(rows, key=lambda r: list_order(r.breached, r.next_due, r.ticket.id, now))
