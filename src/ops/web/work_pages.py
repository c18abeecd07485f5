"""The back-office pages: my tickets, a queue with live SLA countdowns, the ticket, and the supervisor view.

Plain forms that post and redirect, so every action works without JavaScript; the only script
ticks the countdowns from the due times the server rendered.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from litestar import Request, Response, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from ops.auth import Principal, Role, requires
from ops.contracts.models import Contract
from ops.db import utcnow
from ops.errors import DomainError
from ops.queues.assignment import agents, pull
from ops.queues.models import Agent
from ops.queues.work import actions, views
from ops.queues.work.minutes import parse_minutes
from ops.web.actions import attempt
from ops.web.i18n import pick_language, translate
from ops.web.render import page

Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
WORKERS: tuple[Role, ...] = ("agent", "supervisor")

PHRASES: dict[str, tuple[str, str]] = {
    "wk_title": ("Meu trabalho", "My work"),
    "wk_my_tickets": ("Meus chamados", "My tickets"),
    "wk_queues": ("Filas", "Queues"),
    "wk_queue": ("Fila", "Queue"),
    "wk_protocol": ("Protocolo", "Protocol"),
    "wk_subject": ("Assunto", "Subject"),
    "wk_reason": ("Motivo", "Reason"),
    "wk_priority": ("Prioridade", "Priority"),
    "wk_status": ("Situação", "Status"),
    "wk_assignee": ("Responsável", "Assignee"),
    "wk_next_deadline": ("Próximo prazo", "Next deadline"),
    "wk_waiting": ("Aguardando", "Waiting"),
    "wk_working": ("Em atendimento", "Being worked"),
    "wk_pending": ("Pendentes", "Pending"),
    "wk_breached": ("Prazo estourado", "Breached"),
    "wk_due_soon": ("Vencem em 1 h", "Due within 1 h"),
    "wk_next_ticket": ("Próximo chamado", "Next ticket"),
    "wk_open_queue": ("Ver fila", "Open queue"),
    "wk_no_tickets": ("Nenhum chamado com você agora.", "No tickets with you right now."),
    "wk_queue_empty": ("Nenhum chamado a pegar nesta fila.", "No ticket to take in this queue."),
    "wk_my_status": ("Minha situação", "My status"),
    "wk_set_status": ("Alterar", "Change"),
    "wk_agent_available": ("disponível", "available"),
    "wk_agent_busy": ("ocupado", "busy"),
    "wk_agent_break": ("pausa", "break"),
    "wk_agent_offline": ("fora", "offline"),
    "wk_warnings": ("Avisos de prazo", "Deadline warnings"),
    "wk_warning_text": ("vence em", "due in"),
    "wk_status_new": ("novo", "new"),
    "wk_status_open": ("aberto", "open"),
    "wk_status_pending": ("pendente", "pending"),
    "wk_status_resolved": ("resolvido", "resolved"),
    "wk_status_closed": ("fechado", "closed"),
    "wk_prio_critical": ("crítica", "critical"),
    "wk_prio_high": ("alta", "high"),
    "wk_prio_normal": ("normal", "normal"),
    "wk_prio_low": ("baixa", "low"),
    "wk_first_response": ("Primeira resposta", "First response"),
    "wk_next_response": ("Próxima resposta", "Next response"),
    "wk_resolution": ("Resolução", "Resolution"),
    "wk_due": ("Vence", "Due"),
    "wk_paused": ("parado (pendente)", "stopped (pending)"),
    "wk_met": ("cumprido", "met"),
    "wk_late": ("atrasado", "late"),
    "wk_minutes_left": ("min úteis restantes", "business min left"),
    "wk_minutes_taken": ("min úteis gastos", "business min taken"),
    "wk_customer": ("Cliente", "Customer"),
    "wk_procedure": ("Procedimento", "Procedure"),
    "wk_tick": ("Marcar", "Tick"),
    "wk_untick": ("Desmarcar", "Untick"),
    "wk_no_procedure": ("Sem motivo, sem procedimento.", "No reason, so no procedure."),
    "wk_fields": ("Dados do motivo", "Reason fields"),
    "wk_save_fields": ("Salvar dados", "Save fields"),
    "wk_required": ("obrigatório para resolver", "required to resolve"),
    "wk_actions": ("Ações", "Actions"),
    "wk_message": ("Mensagem", "Message"),
    "wk_history": ("Histórico", "History"),
    "wk_when": ("Quando", "When"),
    "wk_who": ("Quem", "Who"),
    "wk_what": ("O quê", "What"),
    "wk_before": ("Antes", "Before"),
    "wk_after": ("Depois", "After"),
    "wk_to_queue": ("Para a fila", "To queue"),
    "wk_escalated": ("Escalados", "Escalated"),
    "wk_agents": ("Agentes", "Agents"),
    "wk_agent": ("Agente", "Agent"),
    "wk_open_load": ("Chamados / capacidade", "Tickets / capacity"),
    "wk_incidents": ("Incidentes (falhas massivas)", "Incidents (mass outages)"),
    "wk_area": ("Área", "Area"),
    "wk_opened": ("Aberto em", "Opened"),
    "wk_forecast_end": ("Previsão de fim", "Forecast end"),
    "wk_none": ("Nenhum.", "None."),
    "wk_supervisor_title": ("Supervisão", "Supervision"),
    "wk_back": ("Voltar", "Back"),
    "wk_read_only": ("Somente leitura.", "Read only."),
    "wk_act_take": ("Pegar", "Take"),
    "wk_act_reply": ("Responder ao cliente", "Reply to the customer"),
    "wk_act_note": ("Nota interna", "Internal note"),
    "wk_act_pend": ("Pendente (aguardar cliente)", "Pend (wait on the customer)"),
    "wk_act_resume": ("Retomar", "Resume"),
    "wk_act_customer_message": ("Registrar mensagem do cliente", "Log a customer message"),
    "wk_act_transfer": ("Transferir", "Transfer"),
    "wk_act_escalate": ("Escalar à supervisão", "Escalate to supervision"),
    "wk_act_resolve": ("Resolver", "Resolve"),
    "wk_act_reopen": ("Reabrir", "Reopen"),
    "wk_act_close": ("Fechar", "Close"),
    "wk_act_tick": ("Procedimento", "Procedure"),
    "wk_act_fields": ("Dados", "Fields"),
    "wk_act_log_time": ("Registrar tempo", "Log time"),
    "wk_minutes": ("Minutos gastos", "Minutes spent"),
    "wk_time": ("Tempo registrado", "Time logged"),
    "wk_time_total": ("Total", "Total"),
    "wk_time_note": ("O que foi feito", "What was done"),
    "wk_no_time": ("Nenhum tempo registrado.", "No time logged."),
    "wk_ev_created": ("criado", "created"),
    "wk_ev_assigned": ("atribuído", "assigned"),
    "wk_ev_sla_breach": ("prazo estourado", "deadline breached"),
    "wk_ev_sla_warning": ("aviso de prazo", "deadline warning"),
    "wk_ev_given_back": ("devolvido à fila", "given back"),
    "wk_ev_released": ("liberado", "released"),
    "wk_ev_resolved": ("resolvido", "resolved"),
    "wk_flagged": ("escalado", "escalated"),
    "wk_skip": ("Ir ao conteúdo", "Skip to content"),
    "wk_no_agent": ("Este acesso não é de um agente.", "This sign-in is not an agent's."),
    "wk_bad_form": ("Formulário inválido: recarregue a página.", "Invalid form: reload the page."),
    "wk_keys": (
        "Atalhos: Alt+N próximo chamado, Alt+R responder, Alt+K procedimento, Alt+H histórico.",
        "Keys: Alt+N next ticket, Alt+R reply, Alt+K procedure, Alt+H history.",
    ),
}


def _tz(queue_calendar: dict[str, Any]) -> ZoneInfo:
    return ZoneInfo(str(queue_calendar.get("timezone") or "UTC"))


async def _see_other(session: AsyncSession, url: str) -> Redirect:
    # The app's autocommit includes redirects: the request's work commits before the 303 goes out.
    await session.flush()
    return Redirect(url, status_code=303)


def _countdown(due: datetime | None, now: datetime) -> dict[str, Any] | None:
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
    request: Request[Principal, Any, State], session: AsyncSession, *, error: str | None = None, status: int = 200
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
        mine=await views.my_tickets(session, principal=principal, now=now),
        queues=queues,
        # Alt+N pulls from the agent's primary queue (the lowest skill level).
        next_key_queue=min(skilled, key=lambda q: q.skill or 0).queue.code if skilled else None,
        warnings=warnings,
        countdown=_countdown,
        error=error,
    )
    response.status_code = status
    return response


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
    except DomainError as exc:
        return await _home(request, db_session, error=exc.message, status=exc.status_code)
    if ticket is None:
        return await _home(request, db_session, error=request_t(request, "wk_queue_empty"), status=200)
    return await _see_other(db_session, f"/work/tickets/{ticket.id}")


def request_t(request: Request[Any, Any, Any], key: str) -> str:
    return translate(key, pick_language(dict(request.cookies), request.headers.get("accept-language")))


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
            db_session, agents.set_status(db_session, agent_id=principal.agent_id, status=data.get("status", ""))
        )
    except DomainError as exc:
        return await _home(request, db_session, error=exc.message, status=exc.status_code)
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
        request, "work_queue.html", now=now, queue=queue, rows=rows, tz=_tz(queue.calendar), countdown=_countdown
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
    response = page(
        request,
        "work_ticket.html",
        now=now,
        v=view,
        tz=_tz(view.queue.calendar),
        countdown=_countdown,
        error=error,
        problems=problems or [],
        form=form or {},
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
        return await _ticket_page(request, db_session, ticket_id, error=request_t(request, "wk_bad_form"), status=400)
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
            ),
        )
    except DomainError as exc:
        problems = exc.extra if isinstance(exc.extra, list) else []
        return await _ticket_page(
            request, db_session, ticket_id, error=exc.message, problems=problems, status=exc.status_code, form=data
        )
    anchor = {"tick": "#procedure", "fields": "#fields"}.get(action, "")
    return await _see_other(db_session, f"/work/tickets/{ticket_id}{anchor}")


@get("/supervisor", operation_id="SupervisorView", include_in_schema=False, guards=[requires("supervisor", "manager")])
async def supervisor_view(
    request: Request[Principal, Any, State], db_session: NamedDependency[AsyncSession]
) -> Template:
    now = utcnow()
    overview = await views.supervisor_overview(db_session, principal=request.user, now=now)
    tz = await _contract_tz(db_session, request.user)
    return page(request, "work_supervisor.html", now=now, o=overview, tz=tz, countdown=_countdown)


ROUTES: list[Any] = [work_home, work_next, work_status, work_queue, work_ticket, work_ticket_act, supervisor_view]
