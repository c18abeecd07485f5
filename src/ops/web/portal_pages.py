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
from ops.l10n import N_, Formats
from ops.reports import services
from ops.reports.delivery.services import local_today, period_for
from ops.reports.rendering.words import Words, words
from ops.reports.report import report_json
from ops.reports.summary import Summary, executive_summary
from ops.web.headers import csp_nonce
from ops.web.i18n import locale_tag, pick_language
from ops.web.render import page

PHRASES: dict[str, str] = {
    "portal_title": N_("SLA reports"),
    "period": N_("Period"),
    "month": N_("Month"),
    "no_deliveries": N_(
        "No report has been delivered for this contract yet: they appear here as the schedule sends them."
    ),
    "show": N_("Show"),
    "scorecard": N_("Scorecard"),
    "offered": N_("Offered"),
    "answered": N_("Answered"),
    "abandoned": N_("Abandoned"),
    "service_level": N_("Service level"),
    "target": N_("Target"),
    "met": N_("Met"),
    "yes": N_("yes"),
    "no": N_("no"),
    "abandon_rate": N_("Abandonment"),
    "fr_within": N_("First response in policy"),
    "res_within": N_("Resolved in policy"),
    "backlog": N_("Backlog"),
    "trends": N_("Trends"),
    "delivered_reports": N_("Delivered reports"),
    "delivery": N_("Delivery"),
    "format": N_("Format"),
    "size": N_("Size"),
    "download": N_("Download"),
    "adjustment": N_("Invoice adjustment"),
    "penalties": N_("Penalties"),
    "bonuses": N_("Bonuses"),
    "no_data": N_("No data in the period."),
    "choose_contract": N_("Choose a contract"),
    "formula_used": N_("Formula"),
    "total": N_("Total"),
    "asa_seconds": N_("ASA s"),
    "aht_seconds": N_("AHT s"),
    "tab_billing": N_("Billing"),
}

PORTAL_CHARTS = ("service_level", "abandonment", "aht_asa", "back_office")
MONEY = ("penalties", "bonuses", "adjustment")


def _month(value: str | None, default: tuple[date, date]) -> tuple[date, date]:
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
    return default


def month_options(first: date, today: date, shown: date, fmt: Formats) -> list[tuple[str, str]]:
    """The months a reader may pick, newest first and named in its language (novembro de 2026): from the
    contract's first month to the current one, and the one shown if it lies outside them."""
    months = []
    index = today.year * 12 + today.month - 1
    while index >= first.year * 12 + first.month - 1:
        months.append(date(index // 12, index % 12 + 1, 1))
        index -= 1
    if shown.replace(day=1) not in months:
        months.insert(0, shown.replace(day=1))
    return [(f"{m:%Y-%m}", fmt.month(m)) for m in months]


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
    # The page opens on the last closed month of the contract's calendar: the one its monthly report is about.
    today = local_today(row.timezone)
    start, end = _month(month, period_for("last_month", today))
    data = await services.sla_report(db_session, code=row.code, start=start, end=end, principal=user)
    body = report_json(data)
    # Numbers and money in the reader's conventions (Babel), as the billing tab writes them; the charts too.
    fmt = Formats(locale_tag(pick_language(dict(request.cookies), request.headers.get("accept-language"))))
    reader = words(data.contract, fmt.lang)
    nonce = csp_nonce(request)
    charts = [
        {
            "key": c.key,
            "title": c.title,
            # plotly's inline script runs under the page's Content-Security-Policy only with its nonce.
            "html": c.html(f"chart-{c.key}").replace("<script>", f'<script nonce="{nonce}">'),
        }
        for c in report_charts(data, reader)
        if c.key in PORTAL_CHARTS
    ]
    delivered = await services.list_delivered(db_session, code=row.code, principal=user)
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
        months=month_options(data.contract.starts_on, today, start, fmt),
        formula=reader.formula_sentence(*data.voice_formula()),
        start=start,
        end=end,
        has_data=bool(data.intervals["offered"].sum()) or bool(len(data.tickets)),
        headline=_headline(executive_summary(data), reader),
    )


def _headline(summary: Summary, reader: Words) -> str:
    """The summary's first line, as the report's: how many contractual targets the month met and missed."""
    if not summary.met + summary.missed:
        return ""
    return reader._("{met} of {total} contractual targets met; {missed} missed.").format(
        met=reader.num(summary.met), total=reader.num(summary.met + summary.missed), missed=reader.num(summary.missed)
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
