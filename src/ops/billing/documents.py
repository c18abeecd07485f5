"""The billing documents a person reads: the measurement, the invoice (and the credit note) and the recovery of undue
charges as HTML, PDF, XLSX and JSON, in the reader's language (pt-BR, es-AR, en), every amount formatted by the locale
and every line with the sources it came from."""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from ops.l10n import Formats, gettext, language

TEMPLATES = Path(__file__).parent / "templates"
_env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"]))
_env.filters["decimal"] = lambda text: Decimal(str(text))
_env.filters["isodate"] = lambda text: date.fromisoformat(str(text)[:10])
_env.filters["isotime"] = lambda text: datetime.fromisoformat(str(text))

KIND_LABELS = {
    "positions": "Base positions",
    "reinforcement": "Reinforcement",
    "oncall": "On-call",
    "ticket_time": "Time-billed tickets",
    "sla_credit": "SLA service credits",
    "sla_bonus": "SLA bonuses",
    "adjustment": "Adjustments",
}
UNITS = {
    "position-month": "position-month",
    "agent-hour": "agent-hour",
    "specialist-hour": "specialist-hour",
    "minute": "minute",
    "credit": "credit",
    "bonus": "bonus",
    "adjustment": "adjustment",
}
STATES = {
    "draft": "draft",
    "submitted": "submitted to the client",
    "approved": "approved",
    "contested": "contested",
    "superseded": "superseded",
    "open": "open",
    "paid": "paid",
    "overdue": "overdue",
    "disputed": "disputed",
    "void": "void",
    "issued": "issued",
}


def _day(text: str) -> date:
    return date.fromisoformat(text[:10])


def describe(kind: str, detail: Mapping[str, str], fallback: str, _: Callable[[str], str], fmt: Formats) -> str:
    """A line's description in the reader's language, from the parts the measurement kept."""
    d = dict(detail)
    if not d:
        return fallback
    if kind == "positions":
        days = _("{num}/{den} days") if d.get("proration") != "commercial_30" else _("{num}/30 commercial days")
        text = _("{count} positions, {start} to {end}").format(
            count=d["count"], start=fmt.date(_day(d["from"]), "short"), end=fmt.date(_day(d["to"]), "short")
        )
        text += " (" + days.format(num=d["num"], den=d["den"]) + ")"
        return f"{d['queue']}: {text}" if d.get("queue") else text
    if kind == "ticket_time":
        text = _("Ticket {protocol}: {minutes} min logged").format(protocol=d["protocol"], minutes=d["logged"])
        return text + (_(", minimum {minutes}").format(minutes=d["minimum"]) if d.get("minimum") else "")
    if kind in ("oncall", "reinforcement"):
        start, end = datetime.fromisoformat(d["start"]), datetime.fromisoformat(d["end"])
        when = f"{fmt.datetime(start, style='short')} – {fmt.datetime(end, style='short')}"
        if kind == "oncall":
            text = _("On-call shift {id}: {when}, {people} × {hours} h").format(
                id=d["id"], when=when, people=d["specialists"], hours=d["hours"]
            )
            return text + (f" ({d['periods']} / 24 h)" if d.get("periods") else "")
        return _("Reinforcement shift {id}: {when}, {people} × {hours} h").format(
            id=d["id"], when=when, people=d["agents"], hours=d["hours"]
        )
    if kind == "sla_credit":
        return _("SLA service credits (report {report})").format(report=_report(d["report"], fmt))
    if kind == "sla_bonus":
        return _("SLA bonuses (report {report})").format(report=_report(d["report"], fmt))
    if kind == "adjustment":
        return d.get("text", fallback)
    return fallback


_PERIOD = re.compile(r"(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})")


def _report(name: str, fmt: Formats) -> str:
    """A report's name as a measurement line keeps it ('sla 2026-11-01..2026-11-30'), its period in the reader's
    dates (01/11/2026 – 30/11/2026)."""
    return _PERIOD.sub(
        lambda m: (
            f"{fmt.date(date.fromisoformat(m[1]), style='short')} – {fmt.date(date.fromisoformat(m[2]), style='short')}"
        ),
        name,
    )


def _context(lang: str) -> dict[str, Any]:
    lang = language(lang)
    return {
        "_": gettext(lang),
        "fmt": Formats(lang),
        "lang": lang,
        "kinds": KIND_LABELS,
        "units": UNITS,
        "states": STATES,
    }


def measurement_html(view: Mapping[str, Any], lang: str) -> str:
    """`view`: measurement_view() of billing.measurement.views, the same data the API answers."""
    ctx = _context(lang)
    return _env.get_template("measurement.html.j2").render(m=view, describe=describe, **ctx)


def invoice_html(view: Mapping[str, Any], lang: str) -> str:
    ctx = _context(lang)
    return _env.get_template("invoice.html.j2").render(i=view, describe=describe, **ctx)


def recovery_html(view: Mapping[str, Any], lang: str) -> str:
    """`view`: report_view() of billing.indices.recovery_report."""
    return _env.get_template("recovery.html.j2").render(r=view, **_context(lang))


def pdf(html: str) -> bytes:
    from weasyprint import HTML

    content: bytes = HTML(string=html).write_pdf()
    return content


def lines_xlsx(title: str, view: Mapping[str, Any], lang: str) -> bytes:
    """The lines as a typed sheet: numbers as numbers, money in the currency's format, sources in full."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    ctx = _context(lang)
    _, fmt = ctx["_"], ctx["fmt"]
    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    money = f'#,##0.00 "{view["currency"]}";-#,##0.00 "{view["currency"]}"'
    header = [
        _("Line"),
        _("Kind"),
        _("Description"),
        _("Quantity"),
        _("Unit"),
        _("Unit price"),
        _("Amount"),
        _("Sources"),
    ]
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for x in view["lines"]:
        sheet.append(
            [
                x["position"],
                _(KIND_LABELS.get(x["kind"], x["kind"])),
                describe(x["kind"], x.get("detail") or {}, x["description"], _, fmt),
                Decimal(x["quantity"]),
                _(UNITS.get(x["unit"], x["unit"])),
                Decimal(x["unit_price"]),
                Decimal(x["amount"]),
                ", ".join(x["sources"]),
            ]
        )
        row = sheet.max_row
        sheet.cell(row, 4).number_format = "#,##0.######"
        sheet.cell(row, 6).number_format = money
        sheet.cell(row, 7).number_format = money
    sheet.append([None, None, _("Total"), None, None, None, Decimal(view["total"]), None])
    sheet.cell(sheet.max_row, 7).number_format = money
    sheet.cell(sheet.max_row, 3).font = Font(bold=True)
    for column, width in zip("ABCDEFGH", (6, 22, 70, 12, 16, 14, 16, 50), strict=True):
        sheet.column_dimensions[column].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
