"""The back-office pages: my tickets, a queue with live SLA countdowns, the ticket, and the supervisor view.

Plain forms that post and redirect, so every action works without JavaScript; the only script
ticks the countdowns from the due times the server rendered.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from litestar import Request, Response, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ops.auth import Principal, Role, requires
from ops.calendars import Calendar, open_windows
from ops.contracts.models import Contract
from ops.db import utcnow
from ops.errors import ConflictError, DomainError, Said
from ops.l10n import N_, NC_, Formats, say
from ops.queues.assignment import agents, pull
from ops.queues.models import Agent, TicketEvent
from ops.queues.work import actions, views
from ops.queues.work.minutes import parse_minutes
from ops.queues.work.resolving import ResolveRefused
from ops.web.actions import attempt
from ops.web.i18n import locale_tag, pick_language, told, translate
from ops.web.live_pages import action_label, others_viewing
from ops.web.live_pages import say as say_key
from ops.web.live_pages import who as by_whom
from ops.web.render import page
from ops.web.ticket_story import Names, sentence, thread, who
from ops.web.ticket_words import TICKET_PHRASES

Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
WORKERS: tuple[Role, ...] = ("agent", "supervisor")

PHRASES: dict[str, str] = {
    "wk_title": N_("My work"),
    "wk_my_tickets": N_("My tickets"),
    "wk_queues": N_("Queues"),
    "wk_queue": N_("Queue"),
    "wk_protocol": N_("Protocol"),
    "wk_subject": N_("Subject"),
    "wk_reason": N_("Reason"),
    "wk_priority": N_("Priority"),
    "wk_status": N_("Status"),
    "wk_assignee": N_("Assignee"),
    "wk_next_deadline": N_("Next deadline"),
    "wk_waiting": N_("Waiting"),
    "wk_working": N_("Being worked"),
    "wk_pending": N_("Pending"),
    "wk_breached": N_("Breached"),
    "wk_due_soon": N_("Due within 1 h"),
    "wk_next_ticket": N_("Next ticket"),
    "wk_open_queue": N_("Open queue"),
    "wk_no_tickets": N_("No tickets with you right now."),
    "wk_queue_empty": N_("No ticket to take in this queue."),
    "wk_my_status": N_("My status"),
    "wk_set_status": NC_("agent status", "Change"),
    "wk_agent_available": N_("available"),
    "wk_agent_busy": N_("busy"),
    "wk_agent_break": N_("break"),
    "wk_agent_offline": N_("offline"),
    "wk_warnings": N_("Deadline warnings"),
    "wk_warning_text": N_("due in"),
    "wk_status_new": N_("new"),
    "wk_status_open": NC_("ticket status", "open"),
    "wk_status_pending": N_("pending"),
    "wk_status_resolved": N_("resolved"),
    "wk_status_closed": N_("closed"),
    "wk_prio_critical": N_("critical"),
    "wk_prio_high": N_("high"),
    "wk_prio_normal": N_("normal"),
    "wk_prio_low": N_("low"),
    "wk_first_response": N_("First response"),
    "wk_next_response": N_("Next response"),
    "wk_resolution": N_("Resolution"),
    "wk_due": N_("Due"),
    "wk_paused": N_("stopped (pending)"),
    "wk_met": N_("met"),
    "wk_late": N_("late"),
    "wk_minutes_left": N_("business min left"),
    "wk_minutes_taken": N_("business min taken"),
    "wk_customer": N_("Customer"),
    "wk_procedure": N_("Procedure"),
    "wk_tick": N_("Tick"),
    "wk_untick": N_("Untick"),
    "wk_no_procedure": N_("No reason, so no procedure."),
    "wk_fields": N_("Reason fields"),
    "wk_save_fields": N_("Save fields"),
    "wk_required": N_("required to resolve"),
    "wk_actions": N_("Actions"),
    "wk_message": N_("Message"),
    "wk_history": N_("History"),
    "wk_when": N_("When"),
    "wk_who": N_("Who"),
    "wk_what": N_("What"),
    "wk_before": N_("Before"),
    "wk_after": N_("After"),
    "wk_to_queue": N_("To queue"),
    "wk_escalated": N_("Escalated"),
    "wk_agents": N_("Agents"),
    "wk_agent": N_("Agent"),
    "wk_open_load": N_("Tickets / capacity"),
    "wk_incidents": N_("Incidents (mass outages)"),
    "wk_area": N_("Area"),
    "wk_opened": N_("Opened"),
    "wk_forecast_end": N_("Forecast end"),
    "wk_none": N_("None."),
    "wk_supervisor_title": N_("Supervision"),
    "wk_back": N_("Back"),
    "wk_read_only": N_("Read only."),
    "wk_act_take": N_("Take"),
    "wk_act_reply": N_("Reply to the customer"),
    "wk_act_note": N_("Internal note"),
    "wk_act_pend": N_("Pend (wait on the customer)"),
    "wk_act_resume": N_("Resume"),
    "wk_act_customer_message": N_("Log a customer message"),
    "wk_act_transfer": N_("Transfer"),
    "wk_act_escalate": N_("Escalate to supervision"),
    "wk_act_resolve": N_("Resolve"),
    "wk_act_reopen": N_("Reopen"),
    "wk_act_close": N_("Close"),
    "wk_act_tick": N_("Procedure"),
    "wk_act_fields": N_("Fields"),
    "wk_act_log_time": N_("Log time"),
    "wk_minutes": N_("Minutes spent"),
    "wk_time": N_("Time logged"),
    "wk_time_total": N_("Total"),
    "wk_time_note": N_("What was done"),
    "wk_no_time": N_("No time logged."),
    "wk_ev_created": N_("created"),
    "wk_ev_assigned": N_("assigned"),
    "wk_ev_sla_breach": N_("deadline breached"),
    "wk_ev_sla_warning": N_("deadline warning"),
    "wk_ev_given_back": N_("given back"),
    "wk_ev_giveback_warning": N_("give-back warning"),
    "wk_ev_linked_incident": N_("linked to an incident"),
    "wk_ev_released": N_("released"),
    "wk_ev_resolved": N_("resolved"),
    "wk_flagged": N_("escalated"),
    "wk_skip": N_("Skip to content"),
    "wk_no_agent": N_("This sign-in is not an agent's."),
    "wk_bad_form": N_("Invalid form: reload the page."),
    "wk_break_reason": N_("Break reason"),
    "wk_time_in_status": N_("In this status for"),
    "wk_keys": N_(
        "Keys outside text boxes: ? all shortcuts, n next ticket, r reply, i note, p procedure, c conversation, "
        "h history, e resolve."
    ),
    **TICKET_PHRASES,
}


def _tz(queue_calendar: dict[str, Any]) -> ZoneInfo:
    return ZoneInfo(str(queue_calendar.get("timezone") or "UTC"))


async def _see_other(session: AsyncSession, url: str) -> Redirect:
    # The app's autocommit includes redirects: the request's work commits before the 303 goes out.
    await session.flush()
    return Redirect(url, status_code=303)


def countdown(due: datetime | None, now: datetime) -> dict[str, Any] | None:
    if due is None:
        return None
    return {"iso": due.isoformat(), "seconds": int((due - now).total_seconds())}


@get("/work", operation_id="WorkHome", include_in_schema=False, guards=[requires(*WORKERS)])
async def work_home(request: Request[Principal, Any, State], db_session: NamedDependency[AsyncSession]) -> Template:
    return await _home(request, db_session)


async def _contract_tz(session: AsyncSession, principal: Principal) -> ZoneInfo:
    contract = await session.get(Contract, principal.contract_id) if principal.contract_id is not None else None
    return ZoneInfo(contract.timezone) if contract is not None else ZoneInfo("UTC")


async def _home(
    request: Request[Principal, Any, State],
    session: AsyncSession,
    *,
    error: str | None = None,
    notice: str | None = None,
    status: int = 200,
) -> Template:
    now = utcnow()
    principal = request.user
    agent = await session.get(Agent, principal.agent_id) if principal.agent_id is not None else None
    queues = await views.queue_summaries(session, principal=principal, now=now)
    skilled = [q for q in queues if q.skill is not None]
    warnings = [
        {"ticket_id": e.ticket_id, "protocol": protocol, "kind": e.after.get("kind"), "due": _parse(e.after.get("due"))}
        for e, protocol in await views.my_warnings(session, principal=principal, now=now)
    ]
    response = page(
        request,
        "work_home.html",
        now=now,
        tz=await _contract_tz(session, principal),
        agent=agent,
        statuses=agents.AGENT_STATUSES,
        break_reasons=await agents.break_reasons(session, contract_id=agent.contract_id) if agent else [],
        mine=await views.my_tickets(session, principal=principal, now=now),
        queues=queues,
        # Alt+N pulls from the agent's primary queue (the lowest skill level).
        next_key_queue=min(skilled, key=lambda q: q.skill or 0).queue.code if skilled else None,
        warnings=warnings,
        countdown=countdown,
        error=error,
        notice=notice,
        request_path="/work",  # the page a POST to /work/next or /work/status shows again
    )
    response.status_code = status
    return response


DECIMAL_TEXT = re.compile(r"-?\d+\.\d+")


def shown(value: Any, fmt: Formats, tz: ZoneInfo, key: str = "") -> str:
    """A value of the ticket's history as the reader writes it: a time (stored as ISO text) in the queue's zone,
    a number in the locale's digits (an id or a version as it is); anything else as it is."""
    if isinstance(value, bool) or value is None or key.endswith("id") or key == "version":
        return str(value)
    if isinstance(value, str) and DECIMAL_TEXT.fullmatch(value):  # money-exact amounts kept as text (7.25 min)
        value = Decimal(value)
    if isinstance(value, int | float | Decimal):
        text = format(Decimal(str(value)).normalize(), "f")
        return fmt.number(value, min(len(text.partition(".")[2]), 2))
    if isinstance(value, str) and len(value) >= 16 and value[4] == "-" and "T" in value:
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
        return fmt.moment(moment, tz) if moment.tzinfo is not None else value
    return str(value)


def named(actor: str | None, names: Names, lang: str) -> str:
    """Who did it, as a name in the page's language: "agent:Ana #3" is Ana, "system:sla" the system."""
    if not actor:
        return ""
    person = who(actor, names)
    return say(person, lang) if isinstance(person, Said) else person


def shown_value(value: Any, fmt: Formats) -> str:
    """A reason field's value in a sentence: a date (YYYY-MM-DD) in the locale's words, a number in its digits."""
    if isinstance(value, str) and len(value) == 10 and value[4] == "-":
        try:
            return fmt.date(date.fromisoformat(value))
        except ValueError:
            return value
    if isinstance(value, str) and DECIMAL_TEXT.fullmatch(value):
        return fmt.quantity(Decimal(value))
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return fmt.quantity(Decimal(str(value)))
    return str(value)


def _parse(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None


@post(
    "/work/next", operation_id="WorkNextTicket", include_in_schema=False, guards=[requires(*WORKERS)], status_code=303
)
async def work_next(
    request: Request[Principal, Any, State], db_session: NamedDependency[AsyncSession], data: Form
) -> Response[Any]:
    """Pull the most urgent ticket of a queue (the agents service decides which) and open it."""
    principal = request.user
    if principal.agent_id is None:
        return await _home(request, db_session, error=request_t(request, "wk_no_agent"), status=403)
    try:
        ticket = await attempt(
            db_session, pull.claim_next(db_session, agent_id=principal.agent_id, queue_code=data.get("queue", ""))
        )
    except pull.NotWorkingError:
        return await _home(request, db_session, error=request_t(request, "lv_not_working"), status=409)
    except pull.AtCapacityError as exc:
        # Not a failure: the agent's tickets are on the page, and the next comes when one is done.
        held = request_t(request, "lv_at_capacity").format(held=_number(request, exc.held))
        return await _home(request, db_session, notice=held)
    except DomainError as exc:
        return await _home(request, db_session, error=told(exc, _lang(request)), status=exc.status_code)
    if ticket is None:
        return await _home(request, db_session, error=request_t(request, "wk_queue_empty"), status=200)
    return await _see_other(db_session, f"/work/tickets/{ticket.id}")


def request_t(request: Request[Any, Any, Any], key: str) -> str:
    return translate(key, _lang(request))


def _lang(request: Request[Any, Any, Any]) -> str:
    return pick_language(dict(request.cookies), request.headers.get("accept-language"))


def _number(request: Request[Any, Any, Any], value: int) -> str:
    return Formats(locale_tag(_lang(request))).number(value)


@post(
    "/work/status", operation_id="WorkSetStatus", include_in_schema=False, guards=[requires(*WORKERS)], status_code=303
)
async def work_status(
    request: Request[Principal, Any, State], db_session: NamedDependency[AsyncSession], data: Form
) -> Response[Any]:
    principal = request.user
    if principal.agent_id is None:
        return await _home(request, db_session, error=request_t(request, "wk_no_agent"), status=403)
    try:
        await attempt(
            db_session,
            agents.set_status(
                db_session,
                agent_id=principal.agent_id,
                status=data.get("status", ""),
                # The reason select stays on the form whatever the status: only a break keeps it.
                reason=data.get("reason") if data.get("status") == "break" else None,
            ),
        )
    except DomainError as exc:  # a Refusal too: it carries its Said
        return await _home(request, db_session, error=told(exc, _lang(request)), status=exc.status_code)
    return await _see_other(db_session, "/work")


@get(
    "/work/queues/{code:str}", operation_id="WorkQueue", include_in_schema=False, guards=[requires(*WORKERS, "manager")]
)
async def work_queue(
    request: Request[Principal, Any, State], db_session: NamedDependency[AsyncSession], code: FromPath[str]
) -> Template:
    now = utcnow()
    queue, rows = await views.queue_board(db_session, principal=request.user, queue_code=code, now=now)
    return page(
        request, "work_queue.html", now=now, queue=queue, rows=rows, tz=_tz(queue.calendar), countdown=countdown
    )


async def _ticket_page(
    request: Request[Principal, Any, State],
    session: AsyncSession,
    ticket_id: int,
    *,
    error: str | None = None,
    problems: list[dict[str, str]] | None = None,
    status: int = 200,
    form: dict[str, str] | None = None,
) -> Template:
    now = utcnow()
    view = await views.ticket_work(session, ticket_id=ticket_id, principal=request.user, now=now)
    viewers = await others_viewing(request, session, ticket_id)
    tz = _tz(view.queue.calendar)
    fmt = Formats(locale_tag(pick_language(dict(request.cookies), request.headers.get("accept-language"))))
    names = Names(
        agents=view.agent_names,
        queues=view.queue_names,
        fields={str(f["code"]): str(f.get("label", f["code"])) for f in view.field_defs},
    )
    tk = view.ticket
    customer = str((tk.customer or {}).get("name") or "")
    response = page(
        request,
        "work_ticket.html",
        now=now,
        v=view,
        tz=tz,
        countdown=countdown,
        error=error,
        problems=problems or [],
        form=form or {},
        request_path=f"/work/tickets/{ticket_id}",
        shown=shown,
        viewers=viewers,
        # The history as sentences, newest first; the conversation apart, oldest first.
        lines=[
            sentence(e, names, lambda at: fmt.moment(at, tz), lambda v: shown_value(v, fmt))
            for e in reversed(view.events)
        ],
        entries=thread(tk.body or "", tk.created_at, customer, view.events, names),
        windows=open_windows(Calendar.from_dict(view.queue.calendar), now, now + views.WINDOWS_AHEAD),
        said=lambda x: say(x, fmt.lang) if isinstance(x, Said) else str(x),
        # Who did it, as a name ("agent:Ana #3" is Ana), in the time entries and the ticked steps.
        actor=lambda a: named(a, names, fmt.lang),
    )
    response.status_code = status
    return response


@get(
    "/work/tickets/{ticket_id:int}",
    operation_id="WorkTicket",
    include_in_schema=False,
    guards=[requires(*WORKERS, "manager")],
)
async def work_ticket(
    request: Request[Principal, Any, State], db_session: NamedDependency[AsyncSession], ticket_id: FromPath[int]
) -> Template:
    return await _ticket_page(request, db_session, ticket_id)


@post(
    "/work/tickets/{ticket_id:int}",
    operation_id="WorkTicketAct",
    include_in_schema=False,
    guards=[requires(*WORKERS)],
    status_code=303,
)
async def work_ticket_act(
    request: Request[Principal, Any, State],
    db_session: NamedDependency[AsyncSession],
    ticket_id: FromPath[int],
    data: Form,
) -> Response[Any]:
    """One action from the ticket page's forms, then back to the page (or the page with the error)."""
    action = data.get("action", "")
    fields = {k.removeprefix("field_"): v for k, v in data.items() if k.startswith("field_")}
    try:
        version = int(data.get("version", ""))
        item = int(data["item"]) if data.get("item", "").strip() else None
    except ValueError:
        return await _ticket_page(request, db_session, ticket_id, error=request_t(request, "wk_bad_form"), status=422)
    minutes = data.get("minutes", "").strip()
    try:
        await attempt(
            db_session,
            actions.act(
                db_session,
                ticket_id=ticket_id,
                action=action,
                principal=request.user,
                version=version,
                message=data.get("message"),
                queue=data.get("queue"),
                reason=data.get("reason"),
                fields=fields or None,
                item=item,
                done=data.get("done", "1") != "0",
                minutes=parse_minutes(minutes) if minutes else None,
                override=data.get("override"),
            ),
        )
    except DomainError as exc:
        # Shown again with every field as typed: nothing the agent wrote is lost to a 409 or a 422. A refusal the
        # service said as a msgid is shown whole in the reader's language; its English field list (for the API) is
        # not repeated under it.
        problems = exc.extra if isinstance(exc.extra, list) else []
        if isinstance(exc, ConflictError) and any(p.get("field") == "version" for p in problems):
            message, problems = await _stale(request, db_session, ticket_id), []
        else:
            problems = problems if exc.said is None else []
            message = told(exc, _lang(request))
            # A refused resolve already says so ("Not resolved: ..."): no second "Not saved:" before it.
            if exc.status_code in (409, 422) and not isinstance(exc, ResolveRefused):
                message = f"{request_t(request, 'lv_not_done')}: {message}"
        return await _ticket_page(
            request, db_session, ticket_id, error=message, problems=problems, status=exc.status_code, form=data
        )
    anchor = {"tick": "#procedure", "fields": "#fields"}.get(action, "")
    return await _see_other(db_session, f"/work/tickets/{ticket_id}{anchor}")


async def _stale(request: Request[Principal, Any, State], session: AsyncSession, ticket_id: int) -> str:
    """The changed-under-you message: what was last done to the ticket, and by whom, in the reader's words."""
    lang = _lang(request)
    last = (
        await session.execute(
            select(TicketEvent.action, TicketEvent.actor)
            .where(TicketEvent.ticket_id == ticket_id)
            .order_by(TicketEvent.at.desc(), TicketEvent.id.desc())
            .limit(1)
        )
    ).first()
    action, actor = last if last is not None else ("", "")
    stale = say_key(lang, "lv_stale", what=action_label(lang, action), by=by_whom(lang, actor))
    return f"{stale} {translate('lv_kept', lang)}"


ROUTES: list[Any] = [work_home, work_next, work_status, work_queue, work_ticket, work_ticket_act]
