"""Working a ticket: the agents' actions on it, who may take them, and in which statuses.

Every action is one call of `act`: it checks who may do it, checks the ticket's `version` (an action
on a stale view is a 409), changes the ticket, writes one or more TicketEvents (who, when, what,
before and after) and recomputes the stored due times, breach flags and business minutes from the
whole history with `ops.queues.sla.sync.refresh_clocks`. Minutes given with any action (or with
`log_time`, which only logs them) become a TimeEntry in the same transaction: the time-billed queues bill them.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ops.auth import Principal
from ops.contracts.models import Contract, Queue, Reason
from ops.db import rowcount, utcnow
from ops.errors import ConflictError, DomainError, InvalidInputError, NotFoundError, Said
from ops.l10n import N_, NC_
from ops.queues.assignment.push import release_agent
from ops.queues.models import ACTIVE, Agent, Ticket, TicketEvent, TimeEntry
from ops.queues.sla.clock import Targets
from ops.queues.sla.sync import refresh_clocks
from ops.queues.work.minutes import parse_minutes
from ops.queues.work.procedures import checklist_view, validate_fields
from ops.queues.work.replies import unresolved
from ops.queues.work.resolving import blockers, override_allowed, refusal

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
    "log_time",
)
# Statuses in which time may be logged: a closed ticket's time has been billed (or could have been).
TIME_STATUSES = (*ACTIVE, "resolved")
# Actions an agent may take on a ticket of its contract that is not assigned to it.
UNASSIGNED_OK = frozenset({"take", "note"})


class ForbiddenError(DomainError):
    """The caller sees the ticket but may not do this to it (not assigned to them, wrong role)."""

    status_code = 403


AT_CAPACITY = N_("You are at capacity ({capacity} open tickets): finish one first")
_SOMEONE_ELSES = N_("This ticket is assigned to someone else")


def actor_of(principal: Principal) -> str:
    """`agent:Ana #3` (role, name, agent id) as the history's `actor`."""
    name = principal.name.removeprefix(f"{principal.role}:")
    return f"{principal.role}:{name}" + (f" #{principal.agent_id}" if principal.agent_id is not None else "")


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


# A ticket's statuses as a refusal names them: the words the pages show for them.
STATUS_WORDS = {
    "new": N_("new"),
    "open": NC_("ticket status", "open"),
    "pending": N_("pending"),
    "resolved": N_("resolved"),
    "closed": N_("closed"),
}
_NOT_NOW = N_("This cannot be done to a ticket in this status (it is {status}): reload the page")


def _need(ctx: _Act, *statuses: str) -> None:
    if ctx.ticket.status not in statuses:
        status = ctx.ticket.status
        raise ConflictError(Said(_NOT_NOW, {"status": Said(STATUS_WORDS.get(status, status))}))


# What each action's text is, for "write the ..." (its msgid whole, so each language words it).
_WRITE = {
    "reply to the customer": N_("message: write the reply to the customer"),
    "note": N_("message: write the note"),
    "customer's message": N_("message: write the customer's message"),
    "reason for escalating": N_("message: write the reason for escalating"),
}


def _text(ctx: _Act, what: str) -> str:
    text = (ctx.message or "").strip()
    if not text:
        raise InvalidInputError(Said(_WRITE[what]), extra=[{"field": "message", "problem": "empty"}])
    return text


def _open_if_new(ctx: _Act) -> tuple[dict[str, Any], dict[str, Any]]:
    return ctx.status("open") if ctx.ticket.status == "new" else ({}, {})


async def _take(ctx: _Act) -> None:
    _need(ctx, *ACTIVE)
    agent_id = ctx.principal.agent_id
    if agent_id is None:
        raise InvalidInputError(
            Said(N_("This sign-in is not an agent's.")), extra=[{"field": "token", "problem": "no agent"}]
        )
    ticket, previous = ctx.ticket, ctx.ticket.assigned_agent_id
    if previous == agent_id:
        before, after = _open_if_new(ctx)
        ctx.record("take", before, after)
        return
    if previous is not None and ctx.principal.role != "supervisor":
        raise ForbiddenError(Said(_SOMEONE_ELSES))
    agent = await ctx.session.get(Agent, agent_id)
    if agent is None or agent.contract_id != ticket.contract_id:
        raise ForbiddenError(Said(N_("You do not work this ticket's contract")))
    won = await ctx.session.execute(
        update(Agent)
        .where(Agent.id == agent_id, Agent.open_count < Agent.capacity)
        .values(open_count=Agent.open_count + 1, last_assigned_at=ctx.now, idle_since=ctx.now)
        .execution_options(synchronize_session=False)
    )
    if rowcount(won) != 1:
        raise ConflictError(Said(AT_CAPACITY, {"capacity": agent.capacity}))
    await ctx.session.refresh(agent, ["open_count", "idle_since", "last_assigned_at"])
    if previous is not None:
        await release_agent(ctx.session, agent_id=previous, now=ctx.now)
    ticket.assigned_agent_id, ticket.assigned_at = agent_id, ctx.now
    before, after = _open_if_new(ctx)
    ctx.record("take", {"assigned_agent_id": previous, **before}, {"assigned_agent_id": agent_id, **after})


async def _reply(ctx: _Act) -> None:
    _need(ctx, *ACTIVE)
    text = _text(ctx, "reply to the customer")
    left = unresolved(text)
    if left:
        # A canned reply's {customer_name} the ticket could not fill must not reach the customer as braces.
        names = ", ".join("{" + p + "}" for p in left)
        raise InvalidInputError(
            Said(N_("message: replace {placeholders} before sending the reply"), {"placeholders": names}),
            extra=[{"field": "message", "problem": f"unresolved placeholder {names}"}],
        )
    before, after = _open_if_new(ctx)
    ctx.record("reply", before, after, text)


async def _note(ctx: _Act) -> None:
    ctx.record("note", {}, {}, _text(ctx, "note"))


async def _pend(ctx: _Act) -> None:
    _need(ctx, "new", "open")
    before, after = ctx.status("pending")
    # The text typed with the pend is the agent's note on why the ticket waits, not an answer to the customer:
    # it stays on the pend event (a question to the customer is sent as a reply first).
    ctx.record("pend", before, after, (ctx.message or "").strip() or None)


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
        raise ConflictError(Said(N_("This ticket has no reason, so no procedure to follow")))
    rows = checklist_view(ctx.reason.procedure, ctx.ticket.checklist)
    item, done = ctx.args.get("item"), ctx.args.get("done", True)
    if not isinstance(item, int) or isinstance(item, bool) or not 0 <= item < len(rows):
        raise InvalidInputError(
            Said(N_("item: give a step number from {first} to {last}"), {"first": 0, "last": len(rows) - 1}),
            extra=[{"field": "item", "problem": f"{item!r} is not a step of the procedure"}],
        )
    row = rows[item]
    if row["done"] == bool(done):
        return
    row.update(done=bool(done), by=ctx.actor if done else None, at=ctx.now.isoformat() if done else None)
    ctx.ticket.checklist = rows
    ctx.record("tick", {"step": item, "done": not done}, {"step": item, "done": bool(done), "text": row["step"]})


async def _set_fields(ctx: _Act, *, require: bool) -> None:
    values = ctx.args.get("fields") or {}
    if not isinstance(values, Mapping):
        raise InvalidInputError(
            Said(N_("fields: expected an object")), extra=[{"field": "fields", "problem": "not an object"}]
        )
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
            Said(N_("queue: {queue} is not a ticket queue of this contract"), {"queue": repr(code)}),
            extra=[{"field": "queue", "problem": "unknown queue or not a ticket queue"}],
        )
    if target.id == ctx.ticket.queue_id:
        raise ConflictError(Said(N_("the ticket is already in {queue}"), {"queue": code}))
    reason_code = str(ctx.args.get("reason") or "").strip()
    reason = None
    if reason_code:
        reason = (
            await ctx.session.execute(select(Reason).where(Reason.queue_id == target.id, Reason.code == reason_code))
        ).scalar_one_or_none()
        if reason is None:
            raise InvalidInputError(
                Said(N_("reason: {reason} is not a reason of {queue}"), {"reason": repr(reason_code), "queue": code}),
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
        raise ConflictError(Said(N_("The ticket is already escalated to supervision")))
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
    checklist = checklist_view(ctx.reason.procedure if ctx.reason else [], ctx.ticket.checklist)
    done_before = (
        await ctx.session.execute(select(TicketEvent.action).where(TicketEvent.ticket_id == ctx.ticket.id))
    ).scalars()
    blocked = blockers(checklist, [*done_before, *(e[0] for e in ctx.events)])
    override = str(ctx.args.get("override") or "").strip()
    contract = await ctx.session.get(Contract, ctx.ticket.contract_id)
    allowed = override_allowed((contract.document or {}).get("work") if contract is not None else None)
    if blocked and not (override and allowed):
        raise refusal(blocked, allowed=allowed, override_given=bool(override))
    before, after = ctx.status("resolved")
    ctx.ticket.resolved_at = ctx.now
    if blocked:
        after["override"] = override
        if blocked.steps_open:
            after["steps_not_ticked"] = list(blocked.steps_open)
        if blocked.no_reply:
            after["no_reply"] = True
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


async def _log_time(ctx: _Act) -> None:
    # `act` has checked the minutes and the status; the event puts the time in the ticket's history too.
    ctx.record("log_time", {}, {"minutes": str(ctx.args["minutes"])}, (ctx.message or "").strip() or None)


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
    "log_time": _log_time,
}


async def visible_ticket(session: AsyncSession, ticket_id: int, principal: Principal) -> Ticket:
    """The ticket, if the caller's token sees it (clients work no tickets here); else NotFoundError."""
    ticket = await session.get(Ticket, ticket_id)
    if ticket is None or principal.role == "client" or not principal.may_see(ticket.contract_id):
        raise NotFoundError(Said(N_("no ticket {ticket}"), {"ticket": str(ticket_id)}))
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


# The actions offered in each status; the handlers' `_need` checks are what enforce the statuses.
_OFFERED = {
    "new": ("take", "reply", "note", "pend", "tick", "fields", "transfer", "escalate", "resolve"),
    "open": ("take", "reply", "note", "pend", "customer_message", "tick", "fields", "transfer", "escalate", "resolve"),
    "pending": ("reply", "note", "resume", "customer_message", "tick", "fields", "escalate", "resolve"),
    "resolved": ("note", "customer_message", "reopen", "close"),
    "closed": ("note",),
}
_ALLOWED_BY_STATUS = {s: (*a, "log_time") if s in TIME_STATUSES else a for s, a in _OFFERED.items()}


def allowed_actions(principal: Principal, ticket: Ticket) -> tuple[str, ...]:
    """The actions to offer the caller on the ticket now (its status, the caller's role and assignment)."""
    return tuple(
        a
        for a in _ALLOWED_BY_STATUS.get(ticket.status, ())
        if may_do(principal, ticket, a)
        and not (a == "take" and ticket.assigned_agent_id == principal.agent_id and ticket.status != "new")
        and not (a == "escalate" and ticket.flagged)
    )


def _time_to_log(principal: Principal, ticket: Ticket, action: str, minutes: Decimal | None) -> Decimal | None:
    """The minutes to record with the action, checked before the action claims the ticket's version."""
    if minutes is None:
        if action == "log_time":
            raise InvalidInputError(
                Said(N_("minutes: give the minutes spent")), extra=[{"field": "minutes", "problem": "missing"}]
            )
        return None
    logged = parse_minutes(minutes)
    if ticket.status not in TIME_STATUSES:
        raise ConflictError(
            Said(
                N_("time is logged only on an active or resolved ticket, not on a {status} one"),
                {"status": Said(STATUS_WORDS.get(ticket.status, ticket.status))},
            ),
            extra=[{"field": "minutes", "problem": f"the ticket is {ticket.status}"}],
        )
    # Billed time is the assignee's (or a supervisor's): a note on a colleague's ticket carries none.
    if principal.role == "agent" and action != "take" and ticket.assigned_agent_id != principal.agent_id:
        raise ForbiddenError(Said(N_("agents log time only on tickets assigned to them")))
    return logged


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
    minutes: Decimal | None = None,
    override: str | None = None,
    now: datetime | None = None,
) -> Ticket:
    """Do `action` on a ticket the caller sees, as of `version` (409 when the ticket changed since).

    Agents act on tickets of their contract assigned to them (`take` and `note` on any of them);
    supervisors on every ticket of their contract. `minutes` (more than 0, at most 1440, 2 decimals) logs
    the time the action took as a TimeEntry whose note is the action's message; time is logged only on an
    active or resolved ticket. A resolve with procedure steps unticked or no reply sent is refused (422) unless
    `override` gives the agent's reason and the contract's `work.resolve_override` allows it. Raises
    NotFoundError, ForbiddenError (403), ConflictError (stale version, wrong status, at capacity) or
    InvalidInputError (bad fields, bad minutes, a placeholder left in a reply, a refused resolve)."""
    now = now or utcnow()
    handler = _HANDLERS.get(action)
    if handler is None:
        raise NotFoundError(
            Said(N_("no action {action} (actions: {actions})"), {"action": repr(action), "actions": ", ".join(ACTIONS)})
        )
    ticket = await visible_ticket(session, ticket_id, principal)
    if not may_do(principal, ticket, action):
        if principal.role != "agent":
            raise ForbiddenError(
                Said(N_("a {role} token cannot {action} tickets"), {"role": principal.role, "action": action})
            )
        if action == "take":
            raise ForbiddenError(Said(_SOMEONE_ELSES))
        raise ForbiddenError(Said(N_("Agents act only on tickets assigned to them")))
    logged = _time_to_log(principal, ticket, action, minutes)
    if ticket.version != version:
        raise ConflictError(
            Said(N_("The ticket changed since you loaded it: reload it")),
            extra=[{"field": "version", "problem": f"stale; current version is {ticket.version}"}],
        )
    # Claim the version first: a concurrent action on the same version finds 0 rows and gets 409.
    bumped = await session.execute(
        update(Ticket)
        .where(Ticket.id == ticket.id, Ticket.version == version)
        .values(version=version + 1)
        .execution_options(synchronize_session=False)
    )
    if rowcount(bumped) != 1:
        raise ConflictError(Said(N_("The ticket changed while you acted on it: reload it")))
    ticket.version = version + 1
    current_queue = await session.get(Queue, ticket.queue_id)
    assert current_queue is not None
    current_reason = await session.get(Reason, ticket.reason_id) if ticket.reason_id is not None else None
    args: dict[str, Any] = {
        "queue": queue,
        "reason": reason,
        "fields": fields,
        "item": item,
        "minutes": logged,
        "override": override,
    }
    args["done"] = True if done is None else done
    ctx = _Act(session, ticket, current_queue, current_reason, principal, actor_of(principal), now, message, args)
    await handler(ctx)
    if not ctx.events and logged is None:
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
    if logged is not None:
        note = (message or "").strip() or None
        session.add(TimeEntry(ticket_id=ticket.id, at=now, actor=ctx.actor, action=action, minutes=logged, note=note))
    await session.flush()
    await refresh_clocks(session, ticket=ticket, now=now, queue=ctx.queue)
    await session.flush()
    return ticket
