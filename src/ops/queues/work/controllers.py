"""HTTP endpoints for working a ticket: its work view (checklist, clocks, history) and its actions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from ops.auth import Principal, requires
from ops.queues.sla.clock import Deadline
from ops.queues.work import actions, views


class ActionIn(msgspec.Struct, forbid_unknown_fields=True):
    """`version` is the ticket version the caller saw; the other fields depend on the action:
    `message` (reply, note, customer_message, escalate; optional for pend, resume, resolve...),
    `queue` and `reason` (transfer), `fields` (fields, resolve), `item` and `done` (tick)."""

    version: int
    message: str | None = None
    queue: str | None = None
    reason: str | None = None
    fields: dict[str, Any] | None = None
    item: int | None = None
    done: bool | None = None


class ChecklistItemOut(msgspec.Struct):
    step: str
    done: bool
    by: str | None
    at: str | None


class DeadlineOut(msgspec.Struct):
    kind: str
    started_at: datetime
    target_minutes: float
    due: datetime | None
    met_at: datetime | None
    minutes: float
    remaining_minutes: float
    breached: bool
    paused: bool


class EventOut(msgspec.Struct):
    id: int
    at: datetime
    actor: str
    action: str
    before: dict[str, Any]
    after: dict[str, Any]
    note: str | None


class FieldOut(msgspec.Struct):
    code: str
    label: str
    type: str
    required: bool
    value: Any


class TicketWorkOut(msgspec.Struct):
    id: int
    protocol: str
    version: int
    status: str
    queue: str
    reason: str | None
    priority: str
    critical: bool
    flagged: bool
    subject: str
    body: str
    customer: dict[str, Any]
    created_at: datetime
    assigned_agent_id: int | None
    assigned_agent: str | None
    first_response_due: datetime | None
    next_response_due: datetime | None
    resolution_due: datetime | None
    first_response_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    first_response_breached: bool
    resolution_breached: bool
    first_response_minutes: float | None
    resolution_minutes: float | None
    checklist: list[ChecklistItemOut]
    fields: list[FieldOut]
    deadlines: list[DeadlineOut]
    allowed_actions: list[str]
    history: list[EventOut]


def _deadline(d: Deadline) -> DeadlineOut:
    return DeadlineOut(
        kind=d.kind,
        started_at=d.started_at,
        target_minutes=d.target,
        due=d.due,
        met_at=d.met_at,
        minutes=round(d.minutes, 2),
        remaining_minutes=round(d.remaining, 2),
        breached=d.breached,
        paused=d.paused,
    )


def work_out(view: views.TicketWork) -> TicketWorkOut:
    t = view.ticket
    values = t.fields or {}
    return TicketWorkOut(
        id=t.id,
        protocol=t.protocol,
        version=t.version,
        status=t.status,
        queue=view.queue.code,
        reason=view.reason.code if view.reason else None,
        priority=t.priority,
        critical=t.critical,
        flagged=t.flagged,
        subject=t.subject,
        body=t.body,
        customer=t.customer,
        created_at=t.created_at,
        assigned_agent_id=t.assigned_agent_id,
        assigned_agent=view.agent_name,
        first_response_due=t.first_response_due,
        next_response_due=t.next_response_due,
        resolution_due=t.resolution_due,
        first_response_at=t.first_response_at,
        resolved_at=t.resolved_at,
        closed_at=t.closed_at,
        first_response_breached=t.first_response_breached,
        resolution_breached=t.resolution_breached,
        first_response_minutes=t.first_response_minutes,
        resolution_minutes=t.resolution_minutes,
        checklist=[ChecklistItemOut(r["step"], r["done"], r["by"], r["at"]) for r in view.checklist],
        fields=[
            FieldOut(
                code=str(f["code"]),
                label=str(f.get("label", f["code"])),
                type=str(f.get("type", "text")),
                required=bool(f.get("required", False)),
                value=values.get(str(f["code"])),
            )
            for f in view.field_defs
        ],
        deadlines=[_deadline(d) for d in view.clocks.deadlines()] if view.clocks else [],
        allowed_actions=list(view.allowed),
        history=[EventOut(e.id, e.at, e.actor, e.action, e.before, e.after, e.note) for e in view.events],
    )


class TicketWorkController(Controller):
    path = "/api/tickets"
    tags = ("ticket work",)

    @get(
        "/{ticket_id:int}/work",
        operation_id="GetTicketWork",
        guards=[requires("agent", "supervisor", "manager")],
    )
    async def get_work(
        self,
        request: Request[Principal, str, State],
        db_session: NamedDependency[AsyncSession],
        ticket_id: FromPath[int],
    ) -> TicketWorkOut:
        """The ticket as an agent works it: procedure checklist, reason fields, SLA deadlines, the
        actions the caller may take now, and the whole history (who, when, what, before, after)."""
        view = await views.ticket_work(db_session, ticket_id=ticket_id, principal=request.user)
        return work_out(view)

    @post(
        "/{ticket_id:int}/actions/{action:str}",
        operation_id="ActOnTicket",
        guards=[requires("agent", "supervisor")],
        status_code=200,
    )
    async def act(
        self,
        request: Request[Principal, str, State],
        db_session: NamedDependency[AsyncSession],
        ticket_id: FromPath[int],
        action: FromPath[str],
        data: JSONBody[ActionIn],
    ) -> TicketWorkOut:
        """Do one action (take, reply, note, pend, resume, customer_message, tick, fields, transfer,
        escalate, resolve, reopen, close) as of `version`: 409 when the ticket changed since, 403
        when it is not the caller's to act on, 422 when a reason field is missing or malformed."""
        await actions.act(
            db_session,
            ticket_id=ticket_id,
            action=action,
            principal=request.user,
            version=data.version,
            message=data.message,
            queue=data.queue,
            reason=data.reason,
            fields=data.fields,
            item=data.item,
            done=data.done,
        )
        return work_out(await views.ticket_work(db_session, ticket_id=ticket_id, principal=request.user))


ROUTES: list[Any] = [TicketWorkController]
