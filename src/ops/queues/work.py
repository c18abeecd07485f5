"""Working a ticket: the agents' actions, procedure ticks, reason fields, audit history and SLA clocks.

Every action is one call of `act`: it checks who may do it, checks the ticket's `version` (an action
on a stale view is a 409), changes the ticket, writes one or more TicketEvents (who, when, what,
before and after) and recomputes the stored due times, breach flags and business minutes from the
whole history with `ops.queues.clock`. Clock events (reply, pend, resume, customer_message,
resolve, reopen, close) are TicketEvents whose `action` is the clock's event kind.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ops.auth import Principal
from ops.contracts.models import Queue, Reason
from ops.db import utcnow
from ops.errors import ConflictError, DomainError, InvalidInputError, NotFoundError
from ops.queues.agents import agent_skills, release_agent
from ops.queues.calendar import Calendar
from ops.queues.clock import CLOCK_EVENTS, ClockEvent, Clocks, Targets, compute
from ops.queues.models import Agent, Incident, Ticket, TicketEvent

STATUSES = ("new", "open", "pending", "resolved", "closed")
ACTIVE = ("new", "open", "pending")
ACTIONS = (
    "take",
    "reply",
    "note",
    "pend",
    "resume",
    "customer_message",
    "tick",
    "fields",
    "transfer",
    "escalate",
    "resolve",
    "reopen",
    "close",
)
# Actions an agent may take on a ticket of its contract that is not assigned to it.
UNASSIGNED_OK = frozenset({"take", "note"})
SYSTEM_SLA = "system:sla"
BREACH = "sla_breach"
WARNING = "sla_warning"


class ForbiddenError(DomainError):
    """The caller sees the ticket but may not do this to it (not assigned to them, wrong role)."""

    status_code = 403


def actor_of(principal: Principal) -> str:
    """`agent:Ana #3` (role, name, agent id) as the history's `actor`."""
    name = principal.name.removeprefix(f"{principal.role}:")
    return f"{principal.role}:{name}" + (f" #{principal.agent_id}" if principal.agent_id is not None else "")


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


# --- checklist and fields ---------------------------------------------------------------------


def _step_text(item: Any) -> str:
    if isinstance(item, Mapping):
        return str(item.get("step") or item.get("text") or item.get("item") or item.get("label") or "")
    return str(item)


def checklist_view(procedure: Sequence[Any], stored: Sequence[Any] | None) -> list[dict[str, Any]]:
    """The reason's procedure as checklist rows {step, done, by, at}, keeping the ticks already
    stored for steps whose text is unchanged (a contract reload may reword or reorder steps)."""
    ticks: dict[str, Mapping[str, Any]] = {}
    for item in stored or []:
        if isinstance(item, Mapping) and item.get("done"):
            ticks[_step_text(item)] = item
    rows = []
    for step in procedure:
        text = _step_text(step)
        tick = ticks.get(text)
        rows.append(
            {
                "step": text,
                "done": bool(tick),
                "by": tick.get("by") if tick else None,
                "at": tick.get("at") if tick else None,
            }
        )
    return rows


def validate_fields(
    definitions: Sequence[Mapping[str, Any]], values: Mapping[str, Any], *, require: bool
) -> dict[str, Any]:
    """Reason-specific values checked against the reason's `fields` (code, label, type, required):
    dates as YYYY-MM-DD, numbers as numbers, text not blank; with `require`, every required field
    must be present. Returns the normalised values; raises InvalidInputError naming each field."""
    by_code = {str(d["code"]): d for d in definitions}
    problems: list[dict[str, str]] = []
    clean: dict[str, Any] = {}
    for code, raw in values.items():
        definition = by_code.get(code)
        if definition is None:
            known = ", ".join(by_code) or "none"
            problems.append({"field": f"fields.{code}", "problem": f"not a field of this reason (known: {known})"})
            continue
        kind = definition.get("type", "text")
        text = "" if raw is None else str(raw).strip()
        if not text:
            continue  # blank means "not filled in"; a required one is caught below
        if kind == "date":
            try:
                clean[code] = date.fromisoformat(text).isoformat()
            except ValueError:
                problems.append({"field": f"fields.{code}", "problem": f"{text!r} is not a date YYYY-MM-DD"})
        elif kind == "number":
            try:
                number = float(text.replace(",", "."))
            except ValueError:
                problems.append({"field": f"fields.{code}", "problem": f"{text!r} is not a number"})
            else:
                clean[code] = int(number) if number.is_integer() else number
        else:
            clean[code] = text
    if require:
        for code, definition in by_code.items():
            malformed = any(p["field"] == f"fields.{code}" for p in problems)
            if definition.get("required") and code not in clean and not malformed:
                label = definition.get("label", code)
                problems.append({"field": f"fields.{code}", "problem": f"{label} is required to resolve"})
    if problems:
        raise InvalidInputError(f"{problems[0]['field']}: {problems[0]['problem']}", extra=problems)
    return clean


# --- clocks -----------------------------------------------------------------------------------


async def _events(session: AsyncSession, ticket_id: int) -> list[TicketEvent]:
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
    events = await _events(session, ticket.id)
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


# --- actions ----------------------------------------------------------------------------------


@dataclass
class _Act:
    session: AsyncSession
    ticket: Ticket
    queue: Queue
    reason: Reason | None
    principal: Principal
    actor: str
    now: datetime
    message: str | None
    args: Mapping[str, Any]
    events: list[tuple[str, dict[str, Any], dict[str, Any], str | None]] = field(default_factory=list)

    def record(self, action: str, before: dict[str, Any], after: dict[str, Any], note: str | None = None) -> None:
        self.events.append((action, before, after, note))

    def status(self, new: str) -> tuple[dict[str, Any], dict[str, Any]]:
        old = self.ticket.status
        self.ticket.status = new
        return {"status": old}, {"status": new}


def _need(ctx: _Act, *statuses: str) -> None:
    if ctx.ticket.status not in statuses:
        raise ConflictError(f"cannot do this to a {ctx.ticket.status} ticket (only when {' or '.join(statuses)})")


def _text(ctx: _Act, what: str) -> str:
    text = (ctx.message or "").strip()
    if not text:
        raise InvalidInputError(f"message: write the {what}", extra=[{"field": "message", "problem": "empty"}])
    return text


def _open_if_new(ctx: _Act) -> tuple[dict[str, Any], dict[str, Any]]:
    return ctx.status("open") if ctx.ticket.status == "new" else ({}, {})


async def _take(ctx: _Act) -> None:
    _need(ctx, *ACTIVE)
    agent_id = ctx.principal.agent_id
    if agent_id is None:
        raise InvalidInputError(
            "this token is not linked to an agent", extra=[{"field": "token", "problem": "no agent"}]
        )
    ticket, previous = ctx.ticket, ctx.ticket.assigned_agent_id
    if previous == agent_id:
        before, after = _open_if_new(ctx)
        ctx.record("take", before, after)
        return
    if previous is not None and ctx.principal.role != "supervisor":
        raise ForbiddenError("this ticket is assigned to someone else")
    agent = await ctx.session.get(Agent, agent_id)
    if agent is None or agent.contract_id != ticket.contract_id:
        raise ForbiddenError("your agent does not work this contract")
    won = await ctx.session.execute(
        update(Agent)
        .where(Agent.id == agent_id, Agent.open_count < Agent.capacity)
        .values(open_count=Agent.open_count + 1, last_assigned_at=ctx.now, idle_since=ctx.now)
        .execution_options(synchronize_session=False)
    )
    if int(getattr(won, "rowcount", 0) or 0) != 1:
        raise ConflictError(f"you are at capacity ({agent.capacity} open tickets): finish one first")
    await ctx.session.refresh(agent, ["open_count", "idle_since", "last_assigned_at"])
    if previous is not None:
        await release_agent(ctx.session, agent_id=previous, now=ctx.now)
    ticket.assigned_agent_id, ticket.assigned_at = agent_id, ctx.now
    before, after = _open_if_new(ctx)
    ctx.record("take", {"assigned_agent_id": previous, **before}, {"assigned_agent_id": agent_id, **after})


async def _reply(ctx: _Act) -> None:
    _need(ctx, *ACTIVE)
    before, after = _open_if_new(ctx)
    ctx.record("reply", before, after, _text(ctx, "reply to the customer"))


async def _note(ctx: _Act) -> None:
    ctx.record("note", {}, {}, _text(ctx, "note"))


async def _pend(ctx: _Act) -> None:
    _need(ctx, "new", "open")
    if (ctx.message or "").strip():
        # The question to the customer is an answer too: it meets a running response clock.
        ctx.record("reply", {}, {}, ctx.message.strip() if ctx.message else None)
    before, after = ctx.status("pending")
    ctx.record("pend", before, after)


async def _resume(ctx: _Act) -> None:
    _need(ctx, "pending")
    before, after = ctx.status("open")
    ctx.record("resume", before, after, (ctx.message or "").strip() or None)


async def _customer_message(ctx: _Act) -> None:
    _need(ctx, *ACTIVE, "resolved")
    text = _text(ctx, "customer's message")
    if ctx.ticket.status == "resolved":
        before, after = ctx.status("open")
        ctx.ticket.resolved_at = None
        ctx.record("reopen", before, after, "the customer wrote again")
        await _hold(ctx)
        ctx.record("customer_message", {}, {}, text)
        return
    before, after = ctx.status("open") if ctx.ticket.status == "pending" else ({}, {})
    ctx.record("customer_message", before, after, text)


async def _tick(ctx: _Act) -> None:
    _need(ctx, *ACTIVE)
    if ctx.reason is None:
        raise ConflictError("this ticket has no reason, so no procedure to follow")
    rows = checklist_view(ctx.reason.procedure, ctx.ticket.checklist)
    item, done = ctx.args.get("item"), ctx.args.get("done", True)
    if not isinstance(item, int) or isinstance(item, bool) or not 0 <= item < len(rows):
        raise InvalidInputError(
            f"item: give a step number from 0 to {len(rows) - 1}",
            extra=[{"field": "item", "problem": f"{item!r} is not a step of the procedure"}],
        )
    row = rows[item]
    if row["done"] == bool(done):
        return
    row.update(done=bool(done), by=ctx.actor if done else None, at=_iso(ctx.now) if done else None)
    ctx.ticket.checklist = rows
    ctx.record("tick", {"step": item, "done": not done}, {"step": item, "done": bool(done), "text": row["step"]})


async def _set_fields(ctx: _Act, *, require: bool) -> None:
    values = ctx.args.get("fields") or {}
    if not isinstance(values, Mapping):
        raise InvalidInputError("fields: expected an object", extra=[{"field": "fields", "problem": "not an object"}])
    definitions = ctx.reason.fields if ctx.reason is not None else []
    merged = {**(ctx.ticket.fields or {}), **values}
    clean = validate_fields(definitions, merged if require else values, require=require)
    old = dict(ctx.ticket.fields or {})
    new = {**old, **clean}
    for code, raw in values.items():
        if raw is None or not str(raw).strip():
            new.pop(code, None)
    if new != old:
        ctx.ticket.fields = new
        changed = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
        ctx.record("fields", {k: old.get(k) for k in changed}, {k: new.get(k) for k in changed})


async def _fields(ctx: _Act) -> None:
    _need(ctx, *ACTIVE)
    await _set_fields(ctx, require=False)


async def _transfer(ctx: _Act) -> None:
    _need(ctx, "new", "open")
    code = str(ctx.args.get("queue") or "").strip()
    target = (
        await ctx.session.execute(select(Queue).where(Queue.contract_id == ctx.ticket.contract_id, Queue.code == code))
    ).scalar_one_or_none()
    if target is None or Targets.from_policy(target.sla, ctx.ticket.priority) is None:
        raise InvalidInputError(
            f"queue: {code!r} is not a ticket queue of this contract",
            extra=[{"field": "queue", "problem": "unknown queue or not a ticket queue"}],
        )
    if target.id == ctx.ticket.queue_id:
        raise ConflictError(f"the ticket is already in {code}")
    reason_code = str(ctx.args.get("reason") or "").strip()
    reason = None
    if reason_code:
        reason = (
            await ctx.session.execute(select(Reason).where(Reason.queue_id == target.id, Reason.code == reason_code))
        ).scalar_one_or_none()
        if reason is None:
            raise InvalidInputError(
                f"reason: {reason_code!r} is not a reason of {code}",
                extra=[{"field": "reason", "problem": "unknown reason for that queue"}],
            )
    ticket = ctx.ticket
    before = {
        "queue": ctx.queue.code,
        "reason": ctx.reason.code if ctx.reason else None,
        "assigned_agent_id": ticket.assigned_agent_id,
    }
    if ticket.assigned_agent_id is not None:
        await release_agent(ctx.session, agent_id=ticket.assigned_agent_id, now=ctx.now)
    ticket.queue_id, ticket.reason_id = target.id, reason.id if reason else None
    ticket.assigned_agent_id, ticket.assigned_at = None, None
    ticket.checklist = checklist_view(reason.procedure, []) if reason else []
    ctx.queue, ctx.reason = target, reason
    after = {"queue": target.code, "reason": reason.code if reason else None, "assigned_agent_id": None}
    ctx.record("transfer", before, after, (ctx.message or "").strip() or None)


async def _escalate(ctx: _Act) -> None:
    _need(ctx, *ACTIVE)
    text = _text(ctx, "reason for escalating")
    if ctx.ticket.flagged:
        raise ConflictError("already escalated to supervision")
    ctx.ticket.flagged = True
    ctx.record("escalate", {"flagged": False}, {"flagged": True}, text)


async def _release(ctx: _Act) -> None:
    if ctx.ticket.assigned_agent_id is not None:
        await release_agent(ctx.session, agent_id=ctx.ticket.assigned_agent_id, now=ctx.now)


async def _hold(ctx: _Act) -> None:
    # A reopened ticket is its assignee's open work again (capacity is not checked: it was theirs).
    if ctx.ticket.assigned_agent_id is not None:
        await ctx.session.execute(
            update(Agent)
            .where(Agent.id == ctx.ticket.assigned_agent_id)
            .values(open_count=Agent.open_count + 1)
            .execution_options(synchronize_session=False)
        )


async def _resolve(ctx: _Act) -> None:
    _need(ctx, *ACTIVE)
    await _set_fields(ctx, require=True)
    before, after = ctx.status("resolved")
    ctx.ticket.resolved_at = ctx.now
    open_steps = [
        r["step"]
        for r in checklist_view(ctx.reason.procedure if ctx.reason else [], ctx.ticket.checklist)
        if not r["done"]
    ]
    if open_steps:
        after["steps_not_ticked"] = open_steps
    ctx.record("resolve", before, after, (ctx.message or "").strip() or None)
    await _release(ctx)


async def _reopen(ctx: _Act) -> None:
    _need(ctx, "resolved")
    before, after = ctx.status("open")
    ctx.ticket.resolved_at = None
    ctx.record("reopen", before, after, (ctx.message or "").strip() or None)
    await _hold(ctx)


async def _close(ctx: _Act) -> None:
    _need(ctx, "resolved")
    before, after = ctx.status("closed")
    ctx.ticket.closed_at = ctx.now
    ctx.record("close", before, after, (ctx.message or "").strip() or None)


_HANDLERS: dict[str, Callable[[_Act], Coroutine[Any, Any, None]]] = {
    "take": _take,
    "reply": _reply,
    "note": _note,
    "pend": _pend,
    "resume": _resume,
    "customer_message": _customer_message,
    "tick": _tick,
    "fields": _fields,
    "transfer": _transfer,
    "escalate": _escalate,
    "resolve": _resolve,
    "reopen": _reopen,
    "close": _close,
}


async def _visible_ticket(session: AsyncSession, ticket_id: int, principal: Principal) -> Ticket:
    ticket = await session.get(Ticket, ticket_id)
    if ticket is None or principal.role == "client" or not principal.may_see(ticket.contract_id):
        raise NotFoundError(f"no ticket {ticket_id}")
    return ticket


def may_do(principal: Principal, ticket: Ticket, action: str) -> bool:
    """Whether the caller's role and assignment allow `action` (the ticket's status is checked apart)."""
    if principal.role == "supervisor":
        return action != "take" or principal.agent_id is not None
    if principal.role != "agent" or principal.agent_id is None:
        return False
    if action == "take":
        return ticket.assigned_agent_id in (None, principal.agent_id)
    return action in UNASSIGNED_OK or ticket.assigned_agent_id == principal.agent_id


async def act(
    session: AsyncSession,
    *,
    ticket_id: int,
    action: str,
    principal: Principal,
    version: int,
    message: str | None = None,
    queue: str | None = None,
    reason: str | None = None,
    fields: Mapping[str, Any] | None = None,
    item: int | None = None,
    done: bool | None = None,
    now: datetime | None = None,
) -> Ticket:
    """Do `action` on a ticket the caller sees, as of `version` (409 when the ticket changed since).

    Agents act on tickets of their contract assigned to them (`take` and `note` on any of them);
    supervisors on every ticket of their contract. Raises NotFoundError, ForbiddenError (403),
    ConflictError (stale version, wrong status, at capacity) or InvalidInputError (bad fields)."""
    now = now or utcnow()
    handler = _HANDLERS.get(action)
    if handler is None:
        raise NotFoundError(f"no action {action!r} (actions: {', '.join(ACTIONS)})")
    ticket = await _visible_ticket(session, ticket_id, principal)
    if not may_do(principal, ticket, action):
        if principal.role != "agent":
            raise ForbiddenError(f"a {principal.role} token cannot {action} tickets")
        if action == "take":
            raise ForbiddenError("this ticket is assigned to someone else")
        raise ForbiddenError("agents act only on tickets assigned to them")
    if ticket.version != version:
        raise ConflictError(
            f"the ticket changed since you loaded it (version {version}, now {ticket.version}): reload it",
            extra=[{"field": "version", "problem": f"stale; current version is {ticket.version}"}],
        )
    # Claim the version first: a concurrent action on the same version finds 0 rows and gets 409.
    bumped = await session.execute(
        update(Ticket)
        .where(Ticket.id == ticket.id, Ticket.version == version)
        .values(version=version + 1)
        .execution_options(synchronize_session=False)
    )
    if int(getattr(bumped, "rowcount", 0) or 0) != 1:
        raise ConflictError("the ticket changed while you acted on it: reload it")
    ticket.version = version + 1
    current_queue = await session.get(Queue, ticket.queue_id)
    assert current_queue is not None
    current_reason = await session.get(Reason, ticket.reason_id) if ticket.reason_id is not None else None
    args = {"queue": queue, "reason": reason, "fields": fields, "item": item, "done": True if done is None else done}
    ctx = _Act(session, ticket, current_queue, current_reason, principal, actor_of(principal), now, message, args)
    await handler(ctx)
    if not ctx.events:
        # Nothing changed (a tick already ticked): keep the version the caller has.
        await session.execute(
            update(Ticket)
            .where(Ticket.id == ticket.id)
            .values(version=version)
            .execution_options(synchronize_session=False)
        )
        ticket.version = version
        return ticket
    if principal.agent_id is not None and principal.agent_id == ticket.assigned_agent_id:
        ticket.last_activity_at = now
    for name, before, after, note in ctx.events:
        session.add(
            TicketEvent(
                ticket_id=ticket.id, at=now, actor=ctx.actor, action=name, before=before, after=after, note=note
            )
        )
    await session.flush()
    await refresh_clocks(session, ticket=ticket, now=now, queue=ctx.queue)
    await session.flush()
    return ticket


# --- reading --------------------------------------------------------------------------------


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


_ALLOWED_BY_STATUS = {
    "new": ("take", "reply", "note", "pend", "tick", "fields", "transfer", "escalate", "resolve"),
    "open": ("take", "reply", "note", "pend", "customer_message", "tick", "fields", "transfer", "escalate", "resolve"),
    "pending": ("reply", "note", "resume", "customer_message", "tick", "fields", "escalate", "resolve"),
    "resolved": ("note", "customer_message", "reopen", "close"),
    "closed": ("note",),
}


async def ticket_work(
    session: AsyncSession, *, ticket_id: int, principal: Principal, now: datetime | None = None
) -> TicketWork:
    now = now or utcnow()
    ticket = await _visible_ticket(session, ticket_id, principal)
    queue = await session.get(Queue, ticket.queue_id)
    assert queue is not None
    reason = await session.get(Reason, ticket.reason_id) if ticket.reason_id is not None else None
    agent = await session.get(Agent, ticket.assigned_agent_id) if ticket.assigned_agent_id is not None else None
    events = await _events(session, ticket.id)
    clocks = ticket_clocks(queue, ticket, events, now)
    allowed = tuple(
        a
        for a in _ALLOWED_BY_STATUS.get(ticket.status, ())
        if may_do(principal, ticket, a)
        and not (a == "take" and ticket.assigned_agent_id == principal.agent_id and ticket.status != "new")
        and not (a == "escalate" and ticket.flagged)
    )
    others = (
        await session.execute(
            select(Queue).where(Queue.contract_id == ticket.contract_id, Queue.id != queue.id).order_by(Queue.position)
        )
    ).scalars()
    transfer_to = [(q.code, q.name) for q in others if Targets.from_policy(q.sla, ticket.priority) is not None]
    return TicketWork(
        ticket=ticket,
        queue=queue,
        reason=reason,
        agent_name=agent.name if agent else None,
        checklist=checklist_view(reason.procedure if reason else [], ticket.checklist),
        field_defs=list(reason.fields) if reason else [],
        events=events,
        clocks=clocks,
        allowed=allowed,
        transfer_to=transfer_to,
    )


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


def _row(ticket: Ticket, queue_code: str, reason_name: str | None, agent_name: str | None, now: datetime) -> TicketRow:
    running: list[tuple[datetime, str]] = []
    if ticket.status in ACTIVE:
        if ticket.first_response_at is None and ticket.first_response_due is not None:
            running.append((ticket.first_response_due, "first_response"))
        if ticket.next_response_due is not None:
            running.append((ticket.next_response_due, "next_response"))
        if ticket.resolution_due is not None:
            running.append((ticket.resolution_due, "resolution"))
    due, kind = min(running) if running else (None, None)
    late_reply = ticket.next_response_due is not None and ticket.next_response_due < now
    breached = bool(ticket.first_response_breached or ticket.resolution_breached or late_reply)
    return TicketRow(ticket, queue_code, reason_name, agent_name, kind, due, breached)


async def _rows(session: AsyncSession, query: Any, now: datetime) -> list[TicketRow]:
    full = (
        query.add_columns(Queue.code, Reason.name, Agent.name)
        .join(Queue, Queue.id == Ticket.queue_id)
        .outerjoin(Reason, Reason.id == Ticket.reason_id)
        .outerjoin(Agent, Agent.id == Ticket.assigned_agent_id)
    )
    return [_row(t, q, r, a, now) for t, q, r, a in (await session.execute(full)).tuples()]


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
        c[3] += row.breached
        c[4] += (not row.breached) and row.next_due is not None and row.next_due <= soon
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
        raise NotFoundError(f"no queue {queue_code!r}")
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
            | (Ticket.next_response_due < now),
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
        breached=sorted(await _rows(session, late, now), key=lambda r: (r.next_due is None, r.next_due or now)),
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
