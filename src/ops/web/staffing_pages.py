"""The operations managers' staffing page: forecast against actual, required / base / planned, plan, what-if."""

from __future__ import annotations

import functools
from datetime import date, timedelta
from typing import Any

import msgspec
from litestar import Request, Response, get
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from ops.auth import Principal, requires
from ops.contracts.services import list_contracts
from ops.errors import DomainError
from ops.staffing.planning import services
from ops.staffing.planning.controllers import plan_out
from ops.web.i18n import pick_language, translate
from ops.web.render import page

PHRASES: dict[str, tuple[str, str]] = {
    "st_title": ("Dimensionamento e reforços", "Staffing and reinforcement"),
    "st_contract": ("Contrato", "Contract"),
    "st_week": ("Semana que começa em", "Week starting"),
    "st_show": ("Mostrar", "Show"),
    "st_prev_week": ("Semana anterior", "Previous week"),
    "st_next_week": ("Próxima semana", "Next week"),
    "st_no_contract": ("Nenhum contrato carregado.", "No contract loaded."),
    "st_forecast_vs_actual": ("Previsão x realizado (chamadas oferecidas)", "Forecast against actual (offered calls)"),
    "st_forecast": ("previsão", "forecast"),
    "st_actual": ("realizado", "actual"),
    "st_no_history": (
        "Sem histórico de intervalos antes desta semana: importe estatísticas primeiro (ops import intervals).",
        "No interval history before this week: import statistics first (ops import intervals).",
    ),
    "st_staffing_chart": (
        "Posições necessárias x base x planejadas por intervalo",
        "Required against base against planned positions per interval",
    ),
    "st_required": ("necessárias", "required"),
    "st_base": ("base", "base"),
    "st_reinforcement": ("reforço", "reinforcement"),
    "st_uncovered": ("descobertas", "uncovered"),
    "st_predicted_sl": ("NS previsto", "predicted SL"),
    "st_plan": ("Plano de reforço", "Reinforcement plan"),
    "st_saved_plan": ("plano salvo", "saved plan"),
    "st_whatif_plan": ("simulação (não salva)", "what-if (not saved)"),
    "st_no_plan": (
        "Ainda não há plano salvo para esta semana.",
        "No saved plan for this week yet.",
    ),
    "st_compute": ("Calcular e salvar o plano", "Compute and save the plan"),
    "st_oncall": ("Permitir sobreaviso", "Allow on-call shifts"),
    "st_computing": ("Calculando…", "Computing…"),
    "st_failed": ("O cálculo falhou", "The computation failed"),
    "st_cost": ("Custo", "Cost"),
    "st_cost_taxes": ("com impostos", "with taxes"),
    "st_lp_bound": ("Limite LP (custo + penalidade)", "LP bound (cost + penalty)"),
    "st_gap": ("Distância ao ótimo", "Gap to optimum"),
    "st_status": ("Situação", "Status"),
    "st_uncovered_intervals": ("Intervalos descobertos", "Uncovered intervals"),
    "st_day": ("Dia", "Day"),
    "st_start": ("Início", "Start"),
    "st_end": ("Fim", "End"),
    "st_length": ("Horas", "Hours"),
    "st_kind": ("Tipo", "Kind"),
    "st_count": ("Qtde", "Count"),
    "st_no_shifts": ("Nenhum reforço necessário.", "No reinforcement needed."),
    "st_whatif": ("E se…", "What if…"),
    "st_volume": ("Volume (%)", "Volume (%)"),
    "st_aht": ("TMA (%)", "AHT (%)"),
    "st_target": ("Meta de NS (0-1, vazio = contrato)", "SL target (0-1, empty = contract)"),
    "st_recompute": ("Recalcular", "Recompute"),
    "st_sl_before_after": ("NS previsto: só base → com plano", "Predicted SL: base only → with plan"),
    "st_interval": ("Intervalo", "Interval"),
    "st_intervals_table": ("Intervalos com necessidade", "Intervals with a requirement"),
    "st_offered": ("Oferecidas", "Offered"),
    "st_planned": ("Planejadas", "Planned"),
    "st_skipped": ("Filas fora do plano", "Queues left out of the plan"),
    "st_step_queued": ("na fila", "queued"),
    "st_step_forecast": ("previsão", "forecast"),
    "st_step_requirement": ("necessidade", "requirement"),
    "st_step_solving": ("otimizando os turnos", "solving"),
    "st_step_service_level": ("nível de serviço", "service level"),
    "st_status_optimal": ("ótimo", "optimal"),
    "st_status_time_limit": ("limite de tempo", "time limit"),
    "st_kind_reinforcement": ("reforço", "reinforcement"),
    "st_kind_oncall": ("sobreaviso", "on-call"),
}

MANAGERS = requires("manager")


@functools.cache
def _plotly_js() -> bytes:
    import plotly.offline

    text: str = plotly.offline.get_plotlyjs()
    return text.encode()


@get("/vendor/plotly.min.js", operation_id="PlotlyJs", exclude_from_auth=True, include_in_schema=False)
async def plotly_js() -> Response[bytes]:
    """plotly.js from the installed plotly package: the pages work with no internet access."""
    return Response(
        _plotly_js(),
        media_type="application/javascript",
        headers={"Cache-Control": "public, max-age=86400"},
    )


def _labels(lang: str) -> dict[str, str]:
    return {key.removeprefix("st_"): translate(key, lang) for key in PHRASES}


@get("/staffing", operation_id="StaffingPage", guards=[MANAGERS], include_in_schema=False)
async def staffing_page(
    request: Request[Principal, str, State],
    db_session: NamedDependency[AsyncSession],
    contract: FromQuery[str | None] = None,
    week: FromQuery[date | None] = None,
) -> Template:
    contracts = await list_contracts(db_session, principal=request.user)
    codes = [c.code for c in contracts]
    context: dict[str, Any] = {"contracts": codes, "contract": None, "week": None, "data": None}
    if not codes:
        return page(request, "staffing.html", **context)
    code = contract if contract in codes else codes[0]
    if week is None:
        latest = await services.latest_history_day(db_session, contract_code=code)
        week = services.week_of(latest or date.today())
    forecast: dict[str, Any] | None = None
    try:
        forecast = await services.forecast_week(db_session, contract_code=code, week=week, principal=request.user)
    except DomainError:
        forecast = None
    plan = None
    try:
        row = await services.get_plan(db_session, contract_code=code, week=week, principal=request.user)
        plan = plan_out(code, row)
    except DomainError:
        plan = None
    lang = pick_language(dict(request.cookies), request.headers.get("accept-language"))
    context.update(
        contract=code,
        week=week,
        prev_week=week - timedelta(days=7),
        next_week=week + timedelta(days=7),
        data={
            "contract": code,
            "week": week.isoformat(),
            "forecast": forecast,
            "plan": None if plan is None else _plan_json(plan),
            "labels": _labels(lang),
        },
    )
    return page(request, "staffing.html", **context)


def _plan_json(plan: Any) -> dict[str, Any]:
    value: dict[str, Any] = msgspec.to_builtins(plan)
    return value


ROUTES: list[Any] = [staffing_page, plotly_js]
