"""The supervisor's page: queues, agents with their status, break reason and time in it (a status forced with a
reason), tickets filtered by query parameters with saved views, bulk assign / transfer / canned reply over the
selected tickets, and the open mass-outage incidents extended or resolved. Plain forms that post and redirect; a
refusal is the page again at its 4xx status with the reason in the reader's language."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

from litestar import Request, Response, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ops.auth import Principal, requires
from ops.contracts.models import Contract, Queue
from ops.db import utcnow
from ops.errors import DomainError
from ops.l10n import N_, Formats, gettext
from ops.queues.assignment import agents
from ops.queues.assignment.refusals import Refusal
from ops.queues.intake import incidents
from ops.queues.work import bulk, bulk_replies, saved_views, views
from ops.queues.work.filters import FILTER_PRIORITIES, FILTER_STATUSES, TicketFilter, filter_query, parse_filter
from ops.web.actions import attempt
from ops.web.errors import EXPLAINED
from ops.web.i18n import locale_tag, pick_language, told
from ops.web.render import page
from ops.web.work_pages import countdown

Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
SUPERVISING = requires("supervisor")

PHRASES: dict[str, str] = {
    "sv_since": N_("Time in status"),
    "sv_break_reason": N_("Break reason"),
    "sv_force": N_("Set status"),
    "sv_why": N_("Why"),
    "sv_no_reason": N_("(no reason)"),
    "sv_tickets": N_("Tickets"),
    "sv_filters": N_("Filters"),
    "sv_any": N_("any"),
    "sv_breached_only": N_("Breached only"),
    "sv_due_within": N_("Due within (minutes)"),
    "sv_apply": N_("Filter"),
    "sv_clear": N_("Clear"),
    "sv_views": N_("Saved views"),
    "sv_view_name": N_("View name"),
    "sv_save_view": N_("Save this view"),
    "sv_delete": N_("Delete"),
    "sv_no_views": N_("No saved views yet."),
    "sv_select": N_("Select"),
    "sv_selected": N_("With the selected tickets"),
    "sv_assign_to": N_("Assign to"),
    "sv_transfer_to": N_("Transfer to"),
    "sv_act_assign": N_("Assign"),
    "sv_act_transfer": N_("Transfer"),
    "sv_act_reply": N_("Send the reply"),
    "sv_reply_with": N_("Canned reply"),
    "sv_choose_reply": N_("Choose the canned reply."),
    "sv_done": N_("Tickets changed: {count}."),
    "sv_refused": N_("Not changed"),
    "sv_none_selected": N_("Select at least one ticket."),
    "sv_too_many": N_("Select at most {count} tickets at once."),
    "sv_choose_agent": N_("Choose the agent."),
    "sv_choose_queue": N_("Choose the queue."),
    "sv_unknown_action": N_("Choose assign, transfer or a canned reply."),
    "sv_extend": N_("Extend to"),
    "sv_extend_btn": N_("Extend"),
    "sv_resolve_btn": N_("Resolve the outage"),
    "sv_resolved": N_("Outage resolved; tickets resolved with it: {count}."),
    "sv_bad_time": N_("Write the forecast end as a date and time."),
    "sv_bad_filter": N_("This filter has a value that is not valid."),
    "sv_saved": N_("View saved."),
    "sv_tickets_found": N_("tickets"),
    "sv_limit": N_("Showing the first {count}."),
}


def _words(request: Request[Any, Any, Any]) -> Any:
    return gettext(locale_tag(pick_language(dict(request.cookies), request.headers.get("accept-language"))))


def _say(request: Request[Any, Any, Any], key: str, **values: Any) -> str:
    """A phrase of this page in the reader's language, its numbers in the reader's digits (Babel)."""
    fmt = Formats(locale_tag(pick_language(dict(request.cookies), request.headers.get("accept-language"))))
    shown = {k: fmt.number(v) if isinstance(v, int) else v for k, v in values.items()}
    return str(_words(request)(PHRASES[key])).format(**shown)


def worded(request: Request[Any, Any, Any], exc: DomainError) -> str:
    """A refusal in the reader's language: a Refusal's or a service's said sentence, else what its status means."""
    if exc.said is not None:  # a Refusal's sentence too
        return told(exc, pick_language(dict(request.cookies), request.headers.get("accept-language")))
    _ = _words(request)
    title, explanation = EXPLAINED.get(exc.status_code, (N_("Request refused"), N_("The request was refused.")))
    return f"{_(title)}: {_(explanation)}"


async def _tz(session: AsyncSession, principal: Principal) -> ZoneInfo:
    contract = await session.get(Contract, principal.contract_id) if principal.contract_id is not None else None
    return ZoneInfo(contract.timezone) if contract is not None else ZoneInfo("UTC")


async def _queue_codes(session: AsyncSession, principal: Principal) -> list[tuple[str, str]]:
    query = select(Queue.code, Queue.name, Queue.sla).order_by(Queue.contract_id, Queue.position)
    if principal.contract_id is not None:
        query = query.where(Queue.contract_id == principal.contract_id)
    return [(c, n) for c, n, sla in (await session.execute(query)).tuples() if (sla or {}).get("tickets")]


async def _reply_titles(session: AsyncSession, principal: Principal) -> list[str]:
    contract = await session.get(Contract, principal.contract_id) if principal.contract_id is not None else None
    return bulk_replies.reply_titles(contract.document if contract is not None else None)


async def _break_reasons(session: AsyncSession, principal: Principal) -> list[dict[str, Any]]:
    if principal.contract_id is None:
        return []
    return await agents.break_reasons(session, contract_id=principal.contract_id)


async def render(
    request: Request[Principal, Any, State],
    session: AsyncSession,
    *,
    params: dict[str, str] | None = None,
    error: str | None = None,
    notice: str | None = None,
    refused: list[tuple[int, str, str]] | None = None,
    status: int = 200,
) -> Template:
    """The supervisor's page for the filter in `params` (the query), with a form's outcome if any."""
    now, principal = utcnow(), request.user
    params = dict(request.query_params) if params is None else params
    queue_codes = await _queue_codes(session, principal)
    found, problems = parse_filter(params, queues={c for c, _ in queue_codes})
    if problems:
        found, status = TicketFilter(), 422
        error = error or _say(request, "sv_bad_filter")
    overview = await views.supervisor_overview(session, principal=principal, now=now)
    rows = await views.filtered_tickets(session, principal=principal, found=found, now=now, limit=201)
    reasons = await _break_reasons(session, principal)
    titles = await _reply_titles(session, principal)
    response = page(
        request,
        "work_supervisor.html",
        now=now,
        o=overview,
        tz=await _tz(session, principal),
        countdown=countdown,
        rows=rows[:200],
        more=len(rows) > 200,
        f=found,
        filter_qs=filter_query(found),
        problems=[{"field": p.field, "problem": p.problem} for p in problems],
        queue_codes=queue_codes,
        statuses=FILTER_STATUSES,
        priorities=FILTER_PRIORITIES,
        agent_statuses=agents.AGENT_STATUSES,
        break_reasons=reasons,
        reason_names={str(r.get("code")): str(r.get("name")) for r in reasons},
        saved=await saved_views.list_views(session, principal=principal),
        bulk_actions=[
            a for a in bulk.BULK_ACTIONS if f"sv_act_{a}" in PHRASES and (a != bulk_replies.ACTION or titles)
        ],
        reply_titles=titles,
        error=error,
        notice=notice,
        refused=refused or [],
        can_act=principal.role == "supervisor",
    )
    response.status_code = status
    return response


async def _see_other(session: AsyncSession, query: str = "", notice: str | None = None) -> Redirect:
    await session.flush()
    parts = [p for p in (query, f"notice={notice}" if notice else "") if p]
    return Redirect("/supervisor" + ("?" + "&".join(parts) if parts else ""), status_code=303)


def _back(data: dict[str, str]) -> dict[str, str]:
    """The filter the form was posted from (its hidden `back` query), to show the page as it was."""
    return dict(parse_qsl(data.get("back", "")))


@get("/supervisor", operation_id="SupervisorView", include_in_schema=False, guards=[requires("supervisor", "manager")])
async def supervisor_view(
    request: Request[Principal, Any, State], db_session: NamedDependency[AsyncSession]
) -> Template:
    notice = {"done": None, "saved": "sv_saved"}.get(request.query_params.get("notice", ""))
    done = request.query_params.get("done", "")
    text = _say(request, notice) if notice else None
    if done.isdigit():
        text = _say(request, "sv_done", count=int(done))
    resolved = request.query_params.get("resolved", "")
    if resolved.isdigit():
        text = _say(request, "sv_resolved", count=int(resolved))
    params = {k: v for k, v in request.query_params.items() if k not in ("notice", "done", "resolved")}
    return await render(request, db_session, params=params, notice=text)


@post(
    "/supervisor/agents/{agent_id:int}/status",
    operation_id="SupervisorForceStatus",
    include_in_schema=False,
    guards=[SUPERVISING],
    status_code=303,
)
async def force_status(
    request: Request[Principal, Any, State],
    db_session: NamedDependency[AsyncSession],
    agent_id: FromPath[int],
    data: Form,
) -> Response[Any]:
    """Set an agent's status (a break with its reason) saying why: kept in the agent's events."""
    try:
        await attempt(
            db_session,
            agents.force_status(
                db_session,
                principal=request.user,
                agent_id=agent_id,
                status=data.get("status", ""),
                reason=data.get("reason") if data.get("status") == "break" else None,
                note=data.get("note"),
            ),
        )
    except DomainError as exc:
        return await render(request, db_session, params=_back(data), error=worded(request, exc), status=exc.status_code)
    return await _see_other(db_session, data.get("back", ""))


@post(
    "/supervisor/tickets", operation_id="SupervisorBulk", include_in_schema=False, guards=[SUPERVISING], status_code=303
)
async def bulk_tickets(
    request: Request[Principal, Any, State], db_session: NamedDependency[AsyncSession], data: Form
) -> Response[Any]:
    """Assign, transfer or send a canned reply (`reply`, its title) on the ticked tickets (`ticket_<id>`); a partial
    batch keeps what was done and lists the rest."""
    back, action = _back(data), data.get("action", "")
    ids = sorted({int(k[7:]) for k in data if k.startswith("ticket_") and k[7:].isdigit()})
    problem = None
    if action not in bulk.BULK_ACTIONS:
        problem = "sv_unknown_action"
    elif not ids:
        problem = "sv_none_selected"
    elif len(ids) > bulk.MAX_TICKETS:
        return await render(
            request, db_session, params=back, error=_say(request, "sv_too_many", count=bulk.MAX_TICKETS), status=422
        )
    elif action == "assign" and not data.get("agent", "").isdigit():
        problem = "sv_choose_agent"
    elif action == "transfer" and not data.get("queue", "").strip():
        problem = "sv_choose_queue"
    elif action == bulk_replies.ACTION and not data.get("reply", "").strip():
        problem = "sv_choose_reply"
    if problem is not None:
        return await render(request, db_session, params=back, error=_say(request, problem), status=422)
    result = await bulk.run_bulk(db_session, principal=request.user, action=action, ticket_ids=ids, args=data)
    refused = [(tid, protocol, worded(request, exc)) for tid, protocol, exc in result.refused]
    if not result.done:
        worst = result.refused[0][2].status_code
        return await render(request, db_session, params=back, refused=refused, status=worst)
    if refused:
        # Something was done: the page says so at 200 (a 4xx would roll the accepted part back) and lists the rest.
        await db_session.flush()
        notice = _say(request, "sv_done", count=len(result.done))
        return await render(request, db_session, params=back, notice=notice, refused=refused)
    query = "&".join(p for p in (data.get("back", ""), f"done={len(result.done)}") if p)
    return await _see_other(db_session, query)


def _forecast_end(text: str, tz: ZoneInfo) -> datetime:
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise Refusal(N_("Write the forecast end as a date and time."), status=422, field="forecast_end") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=tz)


@post(
    "/supervisor/incidents/{incident_id:int}/extend",
    operation_id="SupervisorExtendIncident",
    include_in_schema=False,
    guards=[SUPERVISING],
    status_code=303,
)
async def extend_incident(
    request: Request[Principal, Any, State],
    db_session: NamedDependency[AsyncSession],
    incident_id: FromPath[int],
    data: Form,
) -> Response[Any]:
    """Move the outage's forecast end (a wall time of the contract's zone) that customers are told."""
    try:
        incident = await incidents.get_incident(db_session, incident_id=incident_id, principal=request.user)
        contract = await db_session.get(Contract, incident.contract_id)
        tz = ZoneInfo(contract.timezone if contract is not None else "UTC")
        end = _forecast_end(data.get("forecast_end", ""), tz)
        await attempt(
            db_session,
            incidents.extend_incident(db_session, incident_id=incident_id, principal=request.user, forecast_end=end),
        )
    except DomainError as exc:
        return await render(request, db_session, params=_back(data), error=worded(request, exc), status=exc.status_code)
    return await _see_other(db_session, data.get("back", ""))


@post(
    "/supervisor/incidents/{incident_id:int}/resolve",
    operation_id="SupervisorResolveIncident",
    include_in_schema=False,
    guards=[SUPERVISING],
    status_code=303,
)
async def resolve_incident(
    request: Request[Principal, Any, State],
    db_session: NamedDependency[AsyncSession],
    incident_id: FromPath[int],
    data: Form,
) -> Response[Any]:
    """End the outage: it and its linked open tickets are resolved together (the incidents service)."""
    principal = request.user
    actor = f"{principal.role}:{principal.name.removeprefix(f'{principal.role}:')}"
    try:
        _, count = await attempt(
            db_session,
            incidents.resolve_incident(db_session, incident_id=incident_id, principal=principal, actor=actor),
        )
    except DomainError as exc:
        return await render(request, db_session, params=_back(data), error=worded(request, exc), status=exc.status_code)
    query = "&".join(p for p in (data.get("back", ""), f"resolved={count}") if p)
    return await _see_other(db_session, query)


@post(
    "/supervisor/views",
    operation_id="SupervisorSaveView",
    include_in_schema=False,
    guards=[SUPERVISING],
    status_code=303,
)
async def save_view(
    request: Request[Principal, Any, State], db_session: NamedDependency[AsyncSession], data: Form
) -> Response[Any]:
    """Keep the page's current filter (`back`, made canonical) under a name."""
    back = _back(data)
    found, problems = parse_filter(back, queues={c for c, _ in await _queue_codes(db_session, request.user)})
    if problems:
        return await render(request, db_session, params=back, error=_say(request, "sv_bad_filter"), status=422)
    query = filter_query(found)
    try:
        await attempt(
            db_session,
            saved_views.save_view(db_session, principal=request.user, name=data.get("name", ""), query=query),
        )
    except DomainError as exc:
        return await render(request, db_session, params=back, error=worded(request, exc), status=exc.status_code)
    return await _see_other(db_session, query, notice="saved")


@post(
    "/supervisor/views/delete",
    operation_id="SupervisorDeleteView",
    include_in_schema=False,
    guards=[SUPERVISING],
    status_code=303,
)
async def delete_view(
    request: Request[Principal, Any, State], db_session: NamedDependency[AsyncSession], data: Form
) -> Response[Any]:
    view = data.get("view", "")
    try:
        if not view.isdigit():
            raise Refusal(N_("Choose the view to delete."), status=422, field="view")
        await attempt(db_session, saved_views.delete_view(db_session, principal=request.user, view_id=int(view)))
    except DomainError as exc:
        return await render(request, db_session, params=_back(data), error=worded(request, exc), status=exc.status_code)
    return await _see_other(db_session, data.get("back", ""))


ROUTES: list[Any] = [
    supervisor_view,
    force_status,
    bulk_tickets,
    extend_incident,
    resolve_incident,
    save_view,
    delete_view,
]
