"""The client portal: a contract's scorecard, trends and delivered reports; a client sees only its own."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from litestar import Request, get
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from ops import bounds
from ops.auth import Principal, requires
from ops.contracts.services import get_contract, list_contracts
from ops.errors import InvalidInputError
from ops.l10n import Formats
from ops.reports import services
from ops.reports.report import report_json
from ops.web.i18n import Phrase, locale_tag, pick_language
from ops.web.render import page

PHRASES: dict[str, Phrase] = {
    "portal_title": ("Relatórios de SLA", "SLA reports", "Informes de SLA"),
    "period": ("Período", "Period", "Período"),
    "month": ("Mês", "Month", "Mes"),
    "show": ("Mostrar", "Show", "Mostrar"),
    "scorecard": ("Indicadores", "Scorecard", "Indicadores"),
    "offered": ("Oferecidas", "Offered", "Ofrecidas"),
    "answered": ("Atendidas", "Answered", "Atendidas"),
    "abandoned": ("Abandonadas", "Abandoned", "Abandonadas"),
    "service_level": ("Nível de serviço", "Service level", "Nivel de servicio"),
    "target": ("Meta", "Target", "Meta"),
    "met": ("Cumprida", "Met", "Cumplida"),
    "yes": ("sim", "yes", "sí"),
    "no": ("não", "no", "no"),
    "abandon_rate": ("Abandono", "Abandonment", "Abandono"),
    "fr_within": ("1ª resposta no prazo", "First response in policy", "1.ª respuesta en plazo"),
    "res_within": ("Resolvidos no prazo", "Resolved in policy", "Resueltos en plazo"),
    "backlog": ("Estoque", "Backlog", "Pendientes"),
    "trends": ("Tendências", "Trends", "Tendencias"),
    "delivered_reports": ("Relatórios entregues", "Delivered reports", "Informes entregados"),
    "delivery": ("Entrega", "Delivery", "Entrega"),
    "format": ("Formato", "Format", "Formato"),
    "size": ("Tamanho", "Size", "Tamaño"),
    "download": ("Baixar", "Download", "Descargar"),
    "adjustment": ("Ajuste na fatura", "Invoice adjustment", "Ajuste en la factura"),
    "penalties": ("Penalidades", "Penalties", "Penalidades"),
    "bonuses": ("Bônus", "Bonuses", "Bonificaciones"),
    "no_data": ("Sem dados no período.", "No data in the period.", "Sin datos en el período."),
    "choose_contract": ("Escolha um contrato", "Choose a contract", "Elija un contrato"),
    "formula_used": ("Fórmula", "Formula", "Fórmula"),
    "total": ("Total", "Total", "Total"),
    "asa_seconds": ("TME s", "ASA s", "TME s"),
    "aht_seconds": ("TMA s", "AHT s", "TMO s"),
    "tab_billing": ("Faturamento", "Billing", "Facturación"),
}

PORTAL_CHARTS = ("service_level", "abandonment", "aht_asa", "back_office")
MONEY = ("penalties", "bonuses", "adjustment")


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
        # The portal reads history (which may predate any input), never year 1 nor 9999, where reports fail.
        if (problem := bounds.history_problem(first)) is not None:
            raise InvalidInputError(f"month: {problem}", extra=[{"field": "month", "problem": problem}])
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
    # Numbers and money in the reader's conventions (Babel), as the billing tab writes them.
    fmt = Formats(locale_tag(pick_language(dict(request.cookies), request.headers.get("accept-language"))))
    penalties = body.get("penalties") or {}
    return page(
        request,
        "portal.html",
        contract=row,
        r=body,
        rows=[_display(q, fmt) for q in [*body["queues"], body["total"]]],
        money={
            k: fmt.money(Decimal(str(v)), row.currency) for k, v in penalties.items() if k in MONEY and v is not None
        },
        fmt=fmt,
        charts=charts,
        delivered=delivered,
        month=f"{start:%Y-%m}",
        start=start,
        end=end,
        has_data=bool(data.intervals["offered"].sum()) or bool(len(data.tickets)),
    )


def _display(q: dict[str, Any], fmt: Formats) -> dict[str, Any]:
    """A scorecard row as the page shows it (numbers formatted in the reader's conventions, None left blank)."""
    return {
        "queue": q["queue"],
        "name": q.get("name") or q["queue"],
        "offered": fmt.number(q.get("offered")),
        "answered": fmt.number(q.get("answered")),
        "abandoned": fmt.number(q.get("abandoned")),
        "service_level": fmt.percent(q.get("service_level")),
        "target": fmt.percent(q.get("target")),
        "met": q.get("met"),
        "asa": fmt.number(q.get("asa"), 1),
        "aht": fmt.number(q.get("aht"), 1),
        "abandon_rate": fmt.percent(q.get("abandon_rate")),
        "first_response_within": fmt.percent(q.get("first_response_within")),
        "resolution_within": fmt.percent(q.get("resolution_within")),
        "backlog": fmt.number(q.get("backlog")),
    }


ROUTES: list[Any] = [portal]
