"""The client portal: a contract's scorecard, trends and delivered reports; a client sees only its own."""

from __future__ import annotations

from datetime import date
from typing import Any

from litestar import Request, get
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from ops.auth import Principal, requires
from ops.contracts.services import get_contract, list_contracts
from ops.errors import InvalidInputError
from ops.reports import services
from ops.reports.report import report_json
from ops.web.render import page

PHRASES: dict[str, tuple[str, str]] = {
    "portal_title": ("Relatórios de SLA", "SLA reports"),
    "period": ("Período", "Period"),
    "month": ("Mês", "Month"),
    "show": ("Mostrar", "Show"),
    "scorecard": ("Indicadores", "Scorecard"),
    "offered": ("Oferecidas", "Offered"),
    "answered": ("Atendidas", "Answered"),
    "abandoned": ("Abandonadas", "Abandoned"),
    "service_level": ("Nível de serviço", "Service level"),
    "target": ("Meta", "Target"),
    "met": ("Cumprida", "Met"),
    "yes": ("sim", "yes"),
    "no": ("não", "no"),
    "abandon_rate": ("Abandono", "Abandonment"),
    "fr_within": ("1ª resposta no prazo", "First response in policy"),
    "res_within": ("Resolvidos no prazo", "Resolved in policy"),
    "backlog": ("Estoque", "Backlog"),
    "trends": ("Tendências", "Trends"),
    "delivered_reports": ("Relatórios entregues", "Delivered reports"),
    "delivery": ("Entrega", "Delivery"),
    "format": ("Formato", "Format"),
    "size": ("Tamanho", "Size"),
    "download": ("Baixar", "Download"),
    "adjustment": ("Ajuste na fatura", "Invoice adjustment"),
    "penalties": ("Penalidades", "Penalties"),
    "bonuses": ("Bônus", "Bonuses"),
    "no_data": ("Sem dados no período.", "No data in the period."),
    "choose_contract": ("Escolha um contrato", "Choose a contract"),
    "formula_used": ("Fórmula", "Formula"),
    "total": ("Total", "Total"),
    "asa_seconds": ("TME s", "ASA s"),
    "aht_seconds": ("TMA s", "AHT s"),
}

PORTAL_CHARTS = ("service_level", "abandonment", "aht_asa", "back_office")


def _month(value: str | None, default: tuple[date, date] | None) -> tuple[date, date]:
    import calendar

    if value:
        try:
            year, month = (int(part) for part in value.split("-"))
            first = date(year, month, 1)
        except ValueError:
            raise InvalidInputError(
                f"month must be YYYY-MM, not {value!r}", extra=[{"field": "month", "problem": "not YYYY-MM"}]
            ) from None
        return first, first.replace(day=calendar.monthrange(year, month)[1])
    if default:
        return default
    today = date.today()
    last = today.replace(day=1).toordinal() - 1
    end = date.fromordinal(last)
    return end.replace(day=1), end


@get(
    "/portal", operation_id="PortalPage", include_in_schema=False, guards=[requires("client", "manager", "supervisor")]
)
async def portal(
    request: Request[Principal, Any, State],
    db_session: NamedDependency[AsyncSession],
    contract: FromQuery[str | None] = None,
    month: FromQuery[str | None] = None,
) -> Template:
    """A client lands on its own contract; provider staff choose one."""
    from ops.reports.rendering.charts import report_charts

    user = request.user
    if contract is None:
        visible = await list_contracts(db_session, principal=user)
        if len(visible) != 1:
            return page(request, "portal_choose.html", contracts=visible)
        contract = visible[0].code
    row = await get_contract(db_session, code=contract, principal=user)
    start, end = _month(month, await services.latest_data_month(db_session, contract=row))
    data = await services.sla_report(db_session, code=row.code, start=start, end=end, principal=user)
    body = report_json(data)
    charts = [
        {
            "key": c.key,
            "title": c.title,
            "html": c.figure.to_html(full_html=False, include_plotlyjs=False, div_id=f"chart-{c.key}"),
        }
        for c in report_charts(data)
        if c.key in PORTAL_CHARTS
    ]
    delivered = await services.list_delivered(db_session, code=row.code, principal=user)
    return page(
        request,
        "portal.html",
        contract=row,
        r=body,
        rows=[_display(q) for q in [*body["queues"], body["total"]]],
        charts=charts,
        delivered=delivered,
        month=f"{start:%Y-%m}",
        start=start,
        end=end,
        has_data=bool(data.intervals["offered"].sum()) or bool(len(data.tickets)),
    )


def _pct(value: Any) -> str:
    return "" if value is None else f"{value:.1%}"


def _num(value: Any, digits: int = 0) -> str:
    return "" if value is None else f"{value:,.{digits}f}"


def _display(q: dict[str, Any]) -> dict[str, Any]:
    """A scorecard row as the page shows it (numbers formatted, None left blank)."""
    return {
        "queue": q["queue"],
        "name": q.get("name") or q["queue"],
        "offered": _num(q.get("offered")),
        "answered": _num(q.get("answered")),
        "abandoned": _num(q.get("abandoned")),
        "service_level": _pct(q.get("service_level")),
        "target": _pct(q.get("target")),
        "met": q.get("met"),
        "asa": _num(q.get("asa"), 1),
        "aht": _num(q.get("aht"), 1),
        "abandon_rate": _pct(q.get("abandon_rate")),
        "first_response_within": _pct(q.get("first_response_within")),
        "resolution_within": _pct(q.get("resolution_within")),
        "backlog": _num(q.get("backlog")),
    }


ROUTES: list[Any] = [portal]
