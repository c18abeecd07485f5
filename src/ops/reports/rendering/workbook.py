"""The XLSX form of a report: a sheet per table, in the reader's language, every figure a typed cell (counts and
seconds as numbers, shares in a percent format, money in the contract currency's format, times as Excel dates), so
a client sums, filters and charts it without retyping. The interval appendix is always here, whole."""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
from babel.numbers import get_currency_symbol
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from ops.reports import metrics
from ops.reports.rendering.words import SECONDS_KPIS, Words
from ops.reports.report import ReportData
from ops.reports.summary import executive_summary
from ops.staffing.history.intervals import COUNT_COLUMNS

SCORECARD_COLUMNS = (
    "queue",
    "name",
    "kind",
    "offered",
    "answered",
    "answered_within",
    "abandoned",
    "short_abandons",
    "service_level",
    "target",
    "met",
    "asa",
    "aht",
    "abandon_rate",
    "abandon_rate_excl_short",
    "occupancy",
    "formula",
    "threshold_seconds",
    "tickets",
    "first_response_within",
    "resolution_within",
    "backlog",
)
PERCENT = "0.0%"
COUNT = "#,##0"
DECIMAL = "#,##0.0"
SHARE_COLUMNS = frozenset(
    {
        "service_level",
        "abandon_rate",
        "abandon_rate_excl_short",
        "occupancy",
        "first_response_within",
        "resolution_within",
        "share",
        "weight",  # a statement line's share of its rule
    }
)
DECIMAL_COLUMNS = frozenset({"asa", "aht", "handle_seconds", "wait_seconds", "staffed_seconds", "late_minutes"})
DECIMAL_COLUMNS |= {
    "multiplier",
    "points",
    "first_response_minutes",
    "resolution_minutes",
    "first_response_target",
    "resolution_target",
}
MONEY_COLUMNS = frozenset({"amount", "amount_before_cap", "fee", "penalties", "bonuses", "adjustment"})
TICKET_CLOCKS = ("first_response", "resolution")
# A cell's format by its row: the target and actual of a KPI are a share or seconds, of a ticket clock minutes.
RowFormat = Callable[[str, dict[str, Any]], str | None]


def money_format(w: Words) -> str:
    symbol = get_currency_symbol(w.currency, w.fmt.locale).replace('"', "")
    return f'"{symbol}" #,##0.00;-"{symbol}" #,##0.00'


def date_format(w: Words) -> str:
    return "yyyy-mm-dd hh:mm" if w.lang == "en" else "dd/mm/yyyy hh:mm"


def day_format(w: Words) -> str:
    return "yyyy-mm-dd" if w.lang == "en" else "dd/mm/yyyy"


def _kpi_format(kpi: str) -> str:
    return DECIMAL if kpi in SECONDS_KPIS else COUNT if kpi in TICKET_CLOCKS else PERCENT


def _cell(value: Any) -> Any:
    """A value openpyxl writes as a typed cell: numpy scalars as Python numbers, NaN / NaT as empty."""
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return None if math.isnan(value) else float(value)
    return value


def _column_format(code: str, w: Words) -> str | None:
    if code in SHARE_COLUMNS:
        return PERCENT
    if code in MONEY_COLUMNS:
        return money_format(w)
    if code in DECIMAL_COLUMNS:
        return DECIMAL
    if code in COUNT_COLUMNS or code in metrics.TICKET_COUNT_COLUMNS or code in ("tickets", "backlog"):
        return COUNT
    return None


def write_table(
    sheet: Worksheet,
    codes: Sequence[str],
    rows: Iterable[dict[str, Any]],
    w: Words,
    *,
    start: int = 1,
    row_format: RowFormat | None = None,
) -> int:
    """A header of column titles in the reader's language, then one typed row per record; returns the next free
    row. Dates and times get an Excel date format; each column its number format."""
    for col, code in enumerate(codes, 1):
        sheet.cell(start, col, w.column(code)).font = Font(bold=True)
    formats = {code: _column_format(code, w) for code in codes}
    r = start
    for r, record in enumerate(rows, start + 1):
        for col, code in enumerate(codes, 1):
            value = _cell(record.get(code))
            cell = sheet.cell(r, col, value)
            if value is None:
                continue
            fmt = row_format(code, record) if row_format else None
            if fmt is None and isinstance(value, datetime):
                fmt = date_format(w)
            elif fmt is None and isinstance(value, date):
                fmt = day_format(w)
            elif fmt is None and isinstance(value, int | float | Decimal) and not isinstance(value, bool):
                fmt = formats[code]
            if fmt:
                cell.number_format = fmt
    return r + 1


def _records(frame: pd.DataFrame, timezone: str) -> list[dict[str, Any]]:
    """Rows of a frame with aware times as local wall times (Excel has no time zones) and ISO days as dates."""
    out = frame.copy()
    for c in out.columns:
        if isinstance(out[c].dtype, pd.DatetimeTZDtype):
            out[c] = out[c].dt.tz_convert(timezone).dt.tz_localize(None)
    if "period" in out.columns and len(out):
        out["period"] = pd.to_datetime(out["period"]).dt.date
    records: list[dict[str, Any]] = out.to_dict("records")
    return records


def _ratio_or_minutes(code: str, record: dict[str, Any]) -> str | None:
    if code in ("target", "actual"):
        return _kpi_format(str(record.get("kpi") or record.get("what") or ""))
    return None


def _autosize(sheet: Worksheet) -> None:
    for column in sheet.columns:
        width = max(len(str(cell.value or "")) for cell in column[:200])
        sheet.column_dimensions[column[0].column_letter].width = min(max(width + 2, 9), 60)


def render_xlsx(data: ReportData, w: Words, cover: dict[str, Any]) -> bytes:
    _ = w._
    tz = data.contract.timezone
    book = Workbook()
    sheets: list[Worksheet] = []

    def sheet(title: str) -> Worksheet:
        ws = book.create_sheet(title[:31])
        sheets.append(ws)
        return ws

    if book.active is not None:
        book.remove(book.active)
    ws = sheet(_("Cover"))
    for r, (item, value) in enumerate(cover.items(), 1):
        ws.cell(r, 1, item).font = Font(bold=True)
        cell = ws.cell(r, 2, _cell(value))
        if isinstance(value, Decimal):
            cell.number_format = money_format(w)

    summary = executive_summary(data)
    names = {q.code: q.name for q in data.inputs.queues}
    ws = sheet(_("Summary"))
    kpis = [
        {
            "kpi": k.kpi,
            "queue": _("all queues") if k.queue == "*" else names.get(k.queue, k.queue),
            "rule": k.rule,
            "target": k.target,
            "actual": k.actual,
            "met": k.met,
            "amount": k.amount,
            "name": w.kpi(k.kpi),
        }
        for k in summary.kpis
    ]
    nxt = write_table(ws, ["name", "queue", "rule", "target", "actual", "met", "amount"], kpis, w,
                      row_format=_ratio_or_minutes)  # fmt: skip
    money = [
        (_("Fee of the period"), summary.fee),
        (_("Maximum penalties (cap)"), summary.penalty_cap),
        (_("Penalties"), summary.penalties),
        (_("Bonuses"), summary.bonuses),
        (_("Invoice adjustment"), summary.adjustment),
    ]
    for r, (item, value) in enumerate(money, nxt + 1):
        ws.cell(r, 1, item).font = Font(bold=True)
        cell = ws.cell(r, 2, value)
        cell.number_format = money_format(w)
    months = [
        {
            "month": m.month,
            "offered": m.offered,
            "service_level": m.service_level,
            "abandon_rate": m.abandon_rate,
            "asa": m.asa,
            "penalties": m.penalties,
            "bonuses": m.bonuses,
            "adjustment": m.adjustment,
        }
        for m in summary.months
    ]
    codes = ["month", "offered", "service_level", "abandon_rate", "asa", "penalties", "bonuses", "adjustment"]
    write_table(ws, codes, months, w, start=nxt + len(money) + 2,
                row_format=lambda c, r: "mm/yyyy" if c == "month" else None)  # fmt: skip

    write_table(sheet(_("Scorecard")), SCORECARD_COLUMNS, [*data.queue_rows, {**data.total, "name": _("Total")}], w,
                row_format=lambda c, r: PERCENT if c == "target" else None)  # fmt: skip
    if data.statement is not None:
        lines = [
            {**{f: getattr(x, f) for f in x.__dataclass_fields__}, "kpi_code": x.kpi, "name": w.kpi(x.kpi)}
            for x in data.statement.lines
        ]
        codes = ["rule", "name", "queue", "target", "actual", "met", "weight", "multiplier", "points", "amount"]
        write_table(sheet(_("Penalties")), codes, lines, w, row_format=_ratio_or_minutes)
    reg_codes = ["code", "name", "limit", "checked", "met", "share", "status", "note"]
    regulatory = [
        {**g, "limit": w.limit(g), "status": w.status(g["status"]), "note": _(g["note"]) if g.get("note") else None}
        for g in data.regulatory
    ]
    write_table(sheet(_("Regulatory")), reg_codes, regulatory, w)
    daily = data.daily.drop(columns=["period_start", "period_end"], errors="ignore")
    write_table(sheet(_("Daily")), list(daily.columns), _records(daily, tz), w)
    ticket_daily = data.ticket_daily.drop(columns=["period_start", "period_end"], errors="ignore")
    write_table(sheet(_("Tickets by day")), list(ticket_daily.columns), _records(ticket_daily, tz), w)
    write_table(sheet(_("Backlog")), list(data.backlog.columns), _records(data.backlog, tz), w)
    breaches = [{**b, "day": date.fromisoformat(str(b["day"])), "kpi_name": w.kpi(b["what"])} for b in data.breaches]
    breach_codes = ["queue", "day", "what", "target", "actual", "late_minutes", "ref"]
    write_table(sheet(_("Breaches")), breach_codes, [{**b, "what": b["kpi_name"], "kpi": b["what"]} for b in breaches],
                w, row_format=_ratio_or_minutes)  # fmt: skip
    intervals = metrics.with_ratios(data.intervals.drop(columns=["threshold"]), data.voice_formula()[0])
    write_table(sheet(_("Intervals")), list(intervals.columns), _records(intervals, tz), w)
    write_table(sheet(_("Tickets")), list(data.tickets.columns), _records(data.tickets, tz), w)
    for ws in sheets[2:]:  # the cover and the summary are not one table
        ws.freeze_panes = "A2"
    for ws in sheets:
        _autosize(ws)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
