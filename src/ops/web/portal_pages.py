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

from ops.auth import Principal, requires
from ops.contracts.services import get_contract, list_contracts
from ops.errors import InvalidInputError
from ops.l10n import N_, Formats, gettext
from ops.reports import services
from ops.reports.report import report_json
from ops.web.i18n import locale_tag, pick_language
from ops.web.render import page

PHRASES: dict[str, str] = {
    "portal_title": N_("SLA reports"),
    "period": N_("Period"),
    "month": N_("Month"),
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
# The charts' titles (and axis / panel titles) in the reader's language; the figures come from the report in English.
CHART_TITLES = {
    "service_level": N_("Daily service level against target"),
    "abandonment": N_("Abandoned calls over offered, by day (short abandons counted)"),
    "aht_asa": N_("Average handle time and average speed of answer, by day (all voice queues)"),
    "back_office": N_("Back office: resolution within policy and backlog ageing"),
}
CHART_TEXTS = {
    "AHT seconds": N_("AHT seconds"),
    "ASA seconds": N_("ASA seconds"),
    "Resolved within policy": N_("Resolved within policy"),
    "Backlog by age": N_("Backlog by age"),
}
# The service-level formulas in words (the report's sentences, ops.reports.metrics), with their threshold {t}.
FORMULAS = {
    "offered": N_("Calls answered within {t} s out of all calls offered"),
    "offered_minus_short": N_("Calls answered within {t} s out of calls offered, short abandons excluded"),
    "offered_minus_abandoned_within": N_(
        "Calls answered within {t} s out of calls offered, calls abandoned within {t} s excluded"
    ),
    "answered_and_abandoned_within": N_("Calls answered or abandoned within {t} s out of all calls offered"),
    "answered": N_("Calls answered within {t} s out of calls answered"),
}
MONTHS_OFFERED = 36  # the month picker: the last three years, and the month shown
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
    # Numbers and money in the reader's conventions (Babel), as the billing tab writes them.
    fmt = Formats(locale_tag(pick_language(dict(request.cookies), request.headers.get("accept-language"))))
    charts = [
        {
            "key": c.key,
            "title": c.title,
            "html": _in_language(c.key, c.figure, fmt).to_html(
                full_html=False, include_plotlyjs=False, div_id=f"chart-{c.key}"
            ),
        }
        for c in report_charts(data)
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
        months=_months(start, fmt),
        formula=_formula(body["service_level"], fmt),
        start=start,
        end=end,
        has_data=bool(data.intervals["offered"].sum()) or bool(len(data.tickets)),
    )


def _formula(service_level: dict[str, Any], fmt: Formats) -> str:
    """The service level's formula in the reader's words, its expression over the counts kept as written."""
    words = FORMULAS.get(service_level["formula"])
    if words is None:
        return str(service_level["description"])
    text = gettext(fmt.lang)(words).format(t=fmt.number(service_level["threshold_seconds"]))
    return f"{text} [{service_level['formula']}: {service_level['expression']}]"


def _months(shown: date, fmt: Formats) -> list[tuple[str, str]]:
    """The month picker's choices, newest first: (YYYY-MM, the month in words in the reader's language)."""
    first = date.today().replace(day=1)
    months = []
    for back in range(MONTHS_OFFERED):
        index = first.year * 12 + first.month - 1 - back
        months.append(date(index // 12, index % 12 + 1, 1))
    if shown.replace(day=1) not in months:
        months = sorted({*months, shown.replace(day=1)}, reverse=True)
    return [(f"{m:%Y-%m}", fmt.month(m)) for m in months]


def _in_language(key: str, figure: Any, fmt: Formats) -> Any:
    """A report chart with its titles in the reader's language and its numbers in the reader's separators."""
    _ = gettext(fmt.lang)
    figure.update_layout(separators=fmt.separators())
    if key in CHART_TITLES:
        figure.update_layout(title_text=_(CHART_TITLES[key]))
    figure.for_each_yaxis(
        lambda axis: axis.update(title_text=_(CHART_TEXTS[axis.title.text])) if axis.title.text in CHART_TEXTS else None
    )
    figure.for_each_annotation(
        lambda note: note.update(text=_(CHART_TEXTS[note.text])) if note.text in CHART_TEXTS else None
    )
    return figure


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
