"""HTTP endpoints for working a ticket: its work view (checklist, clocks, history) and its actions."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from ops.auth import Principal, requires
from ops.http import to_struct
from ops.queues.work import actions, views
from ops.queues.work.minutes import parse_minutes
from ops.queues.work.resolving import blockers
from ops.queues.work.schemas import (
    ActionIn,
    CannedReplyOut,
    ChecklistItemOut,
    DeadlineOut,
    EventOut,
    FieldOut,
    OtherTicketOut,
    TicketWorkOut,
    TimeEntryOut,
)


def work_out(view: views.TicketWork) -> TicketWorkOut:
    t = view.ticket
    values = t.fields or {}
    return to_struct(
        TicketWorkOut,
        t,
        queue=view.queue.code,
        reason=view.reason.code if view.reason else None,
        assigned_agent=view.agent_name,
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
        deadlines=[
            to_struct(
                DeadlineOut,
                d,
                target_minutes=d.target,
                minutes=round(d.minutes, 2),
                remaining_minutes=round(d.remaining, 2),
            )
            for d in (view.clocks.deadlines() if view.clocks else [])
        ],
        allowed_actions=list(view.allowed),
        history=[to_struct(EventOut, e) for e in view.events],
        time_entries=[to_struct(TimeEntryOut, e) for e in view.time_entries],
        minutes_logged=view.minutes_logged,
        canned_replies=[CannedReplyOut(c.title, c.text) for c in view.canned],
        other_tickets=[
            OtherTicketOut(r.ticket.id, r.ticket.protocol, r.ticket.status, r.ticket.subject, r.ticket.created_at)
            for r in view.others
        ],
        resolve_blocked=bool(blockers(view.checklist, [e.action for e in view.events])),
        resolve_override_allowed=view.override_allowed,
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
        escalate, resolve, reopen, close, log_time) as of `version`, logging `minutes` with it when given:
        409 when the ticket changed since, 403 when it is not the caller's to act on, 422 when a reason
        field or the minutes are missing or malformed."""
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
            minutes=None if data.minutes is None else parse_minutes(data.minutes),
            override=data.override,
        )
        return work_out(await views.ticket_work(db_session, ticket_id=ticket_id, principal=request.user))


ROUTES: list[Any] = [TicketWorkController]
