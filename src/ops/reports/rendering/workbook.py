"""The XLSX form of a report: a sheet per table, in the reader's language, every figure a typed cell (counts and
seconds as numbers, shares in a percent format, money in the contract currency's format, times as Excel dates), so
a client sums, filters and charts it without retyping. The interval appendix is always here, whole."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
from babel.numbers import get_currency_symbol

from ops.reports import metrics
from ops.reports.rendering.spreadsheet import EPOCH, Book, Sheet
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
    """A value written as a typed cell: numpy scalars as Python numbers, NaN / NaT as empty."""
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
    sheet: Sheet,
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
        sheet.put(start, col, w.column(code), bold=True)
    formats = {code: _column_format(code, w) for code in codes}
    stamp, day = date_format(w), day_format(w)
    r = start
    for r, record in enumerate(rows, start + 1):
        for col, code in enumerate(codes, 1):
            value = _cell(record.get(code))
            if value is None:
                continue
            fmt = row_format(code, record) if row_format else None
            sheet.put(r, col, value, fmt or _typed_format(value, formats[code], stamp, day))
    return r + 1


def write_frame(sheet: Sheet, frame: pd.DataFrame, w: Words, timezone: str) -> None:
    """A frame as a table, a column at a time (the interval sheet holds a month of 30-minute rows): aware times as
    local wall times (Excel has no time zones), ISO days as dates, numbers in their column's format."""
    codes = list(frame.columns)
    for col, code in enumerate(codes, 1):
        sheet.put(1, col, w.column(code), bold=True)
    stamp, day = date_format(w), day_format(w)
    for col, code in enumerate(codes, 1):
        values = frame[code]
        if code == "period" or isinstance(values.dtype, pd.DatetimeTZDtype) or values.dtype.kind == "M":
            if code == "period":
                moments = pd.to_datetime(values)
            elif isinstance(values.dtype, pd.DatetimeTZDtype):
                moments = values.dt.tz_convert(timezone).dt.tz_localize(None)
            else:
                moments = values
            serials = ((moments - EPOCH) / pd.Timedelta(days=1)).to_numpy(dtype=float, na_value=np.nan)
            fmt, shown = (day, 10) if code == "period" else (stamp, 19)
            sheet.put_numbers(col, 2, serials.tolist(), fmt, shown=shown)
        elif values.dtype.kind in "iuf":
            sheet.put_numbers(col, 2, values.to_numpy().tolist(), _column_format(code, w))
        else:
            column_format = _column_format(code, w)
            for r, raw in enumerate(values.tolist(), 2):
                value = _cell(raw)
                if value is not None:
                    sheet.put(r, col, value, _typed_format(value, column_format, stamp, day))


def _typed_format(value: Any, column_format: str | None, stamp: str, day: str) -> str | None:
    if isinstance(value, datetime):
        return stamp
    if isinstance(value, date):
        return day
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return column_format
    return None


def _ratio_or_minutes(code: str, record: dict[str, Any]) -> str | None:
    if code in ("target", "actual"):
        return _kpi_format(str(record.get("kpi") or record.get("what") or ""))
    return None


def _autosize(sheet: Sheet) -> None:
    """Each column as wide as its longest value in the first rows, within 9 and 60 characters."""
    for col in range(1, sheet.max_column + 1):
        sheet.widths[col] = min(max(sheet.longest(col) + 2, 9), 60)


def render_xlsx(data: ReportData, w: Words, cover: dict[str, Any]) -> bytes:
    _ = w._
    tz = data.contract.timezone
    book = Book()
    sheet = book.sheet
    ws = sheet(_("Cover"))
    for r, (item, value) in enumerate(cover.items(), 1):
        ws.put(r, 1, item, bold=True)
        ws.put(r, 2, _cell(value), money_format(w) if isinstance(value, Decimal) else None)

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
        ws.put(r, 1, item, bold=True)
        ws.put(r, 2, value, money_format(w))
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
    write_frame(sheet(_("Daily")), daily, w, tz)
    ticket_daily = data.ticket_daily.drop(columns=["period_start", "period_end"], errors="ignore")
    write_frame(sheet(_("Tickets by day")), ticket_daily, w, tz)
    write_frame(sheet(_("Backlog")), data.backlog, w, tz)
    breaches = [{**b, "day": date.fromisoformat(str(b["day"])), "kpi_name": w.kpi(b["what"])} for b in data.breaches]
    breach_codes = ["queue", "day", "what", "target", "actual", "late_minutes", "ref"]
    write_table(sheet(_("Breaches")), breach_codes, [{**b, "what": b["kpi_name"], "kpi": b["what"]} for b in breaches],
                w, row_format=_ratio_or_minutes)  # fmt: skip
    intervals = metrics.with_ratios(data.intervals.drop(columns=["threshold"]), data.voice_formula()[0])
    write_frame(sheet(_("Intervals")), intervals, w, tz)
    write_frame(sheet(_("Tickets")), data.tickets, w, tz)
    for ws in book.sheets[2:]:  # the cover and the summary are not one table
        ws.frozen_header = True
    for ws in book.sheets:
        _autosize(ws)
    return book.save()
