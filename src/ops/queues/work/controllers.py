"""HTTP endpoints for working a ticket: its work view (checklist, clocks, history) and its actions."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from ops import openapi
from ops.auth import Principal, requires
from ops.errors import InvalidInputError
from ops.http import to_struct
from ops.l10n import negotiate, say
from ops.queues.assignment.direct import assign_to
from ops.queues.work import actions, bulk, views
from ops.queues.work.minutes import parse_minutes
from ops.queues.work.resolving import blockers
from ops.queues.work.schemas import (
    ActionIn,
    AssignIn,
    BulkActionIn,
    BulkActionOut,
    BulkRefusedOut,
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


# The value each bulk action needs besides the tickets.
_NEEDS = {"assign": "agent", "transfer": "queue", "reply": "reply"}


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

    @post(
        "/{ticket_id:int}/assign",
        operation_id="AssignTicket",
        guards=[requires("supervisor")],
        status_code=200,
        opt=openapi.answers(
            e409="The ticket is no longer active, is already with that agent, the agent is offline or at capacity.",
            e422="The agent does not work this contract or has no skill for the ticket's queue (`errors` names it).",
        ),
    )
    async def assign(
        self,
        request: Request[Principal, str, State],
        db_session: NamedDependency[AsyncSession],
        ticket_id: FromPath[int],
        data: JSONBody[AssignIn],
    ) -> TicketWorkOut:
        """Give an active ticket of the caller's contract to a named agent (a supervisor's choice): the agent works
        the ticket's queue, is not offline and has room; a ticket held by another agent moves to this one."""
        await assign_to(db_session, ticket_id=ticket_id, agent_id=data.agent, principal=request.user)
        return work_out(await views.ticket_work(db_session, ticket_id=ticket_id, principal=request.user))

    @post(
        "/bulk-actions",
        operation_id="ActOnTicketsInBulk",
        guards=[requires("supervisor")],
        status_code=200,
        opt=openapi.answers(e422="An unknown action, no tickets, or the action's own value missing (`errors`)."),
    )
    async def bulk_actions(
        self,
        request: Request[Principal, str, State],
        db_session: NamedDependency[AsyncSession],
        data: JSONBody[BulkActionIn],
    ) -> BulkActionOut:
        """Assign, transfer or reply with a canned reply on many tickets at once, each on its own: what a ticket
        refuses (not visible, wrong status, no such reply for its reason, a placeholder it cannot fill) is listed
        with why, and the others are done and kept."""
        given = {"agent": data.agent, "queue": data.queue, "reply": data.reply}
        problem = None
        if data.action not in bulk.BULK_ACTIONS:
            problem = ("action", f"unknown action {data.action!r} (actions: {', '.join(bulk.BULK_ACTIONS)})")
        elif not data.tickets:
            problem = ("tickets", "name at least one ticket")
        elif (needed := _NEEDS.get(data.action)) and not str(given[needed] or "").strip():
            problem = (needed, f"{data.action} needs the {needed}")
        if problem is not None:
            raise InvalidInputError(f"{problem[0]}: {problem[1]}", extra=[{"field": problem[0], "problem": problem[1]}])
        args = {k: str(v) for k, v in {**given, "message": data.message}.items() if v is not None}
        result = await bulk.run_bulk(
            db_session, principal=request.user, action=data.action, ticket_ids=sorted(set(data.tickets)), args=args
        )
        lang = negotiate(request.headers.get("accept-language"))
        return BulkActionOut(
            done=result.done,
            refused=[
                BulkRefusedOut(
                    tid, protocol, exc.status_code, exc.message, say(exc.said, lang) if exc.said is not None else None
                )
                for tid, protocol, exc in result.refused
            ],
        )


ROUTES: list[Any] = [TicketWorkController]
