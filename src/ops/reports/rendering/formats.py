"""Render an SLA report as JSON, CSV, XLSX (a sheet per table), offline interactive HTML, or PDF."""

from __future__ import annotations

import atexit
import base64
import csv
import io
import json
import logging
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import plotly.graph_objects as go
from jinja2 import Environment, FileSystemLoader, Undefined, select_autoescape

from ops.reports import metrics
from ops.reports.rendering.charts import Chart, report_charts
from ops.reports.report import FORMULA_VERSION, ReportData, report_json

Format = Literal["json", "csv", "xlsx", "html", "pdf"]
FORMATS: tuple[Format, ...] = ("json", "csv", "xlsx", "html", "pdf")
MEDIA_TYPES: dict[str, str] = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
}
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
APPENDIX_ROWS = 5000  # rows of the interval appendix printed in HTML/PDF; XLSX and CSV hold them all
TEMPLATES = Path(__file__).parent / "templates"
_env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"]))


def render(data: ReportData, fmt: Format) -> bytes:
    if fmt == "json":
        return render_json(data)
    if fmt == "csv":
        return render_csv(data)
    if fmt == "xlsx":
        return render_xlsx(data)
    if fmt == "html":
        return render_html(data)
    if fmt == "pdf":
        return render_pdf(data)
    raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")


def filename(data: ReportData, fmt: str, delivery: str = "sla") -> str:
    start, end = data.inputs.period_start, data.inputs.period_end
    return f"{data.contract.code}-{delivery}-{start:%Y%m%d}-{end:%Y%m%d}.{fmt}"


def render_json(data: ReportData) -> bytes:
    return json.dumps(report_json(data), ensure_ascii=False, indent=2).encode()


def scorecard(data: ReportData) -> pd.DataFrame:
    """One row per queue and a total row: the table of the scorecard, the CSV and the XLSX."""
    rows = [*data.queue_rows, {**data.total, "name": "Total"}]
    return pd.DataFrame([{c: r.get(c) for c in SCORECARD_COLUMNS} for r in rows], columns=list(SCORECARD_COLUMNS))


def render_csv(data: ReportData) -> bytes:
    """The scorecard, one line per queue and the total; a comment-free header so tools read it as is."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(SCORECARD_COLUMNS)
    for row in [*data.queue_rows, {**data.total, "name": "Total"}]:
        writer.writerow(["" if _missing(row.get(c)) else row.get(c) for c in SCORECARD_COLUMNS])
    return buffer.getvalue().encode()


def _missing(value: Any) -> bool:
    return value is None or isinstance(value, Undefined) or (isinstance(value, float) and value != value)


def _local(frame: pd.DataFrame, timezone: str) -> pd.DataFrame:
    """Excel has no time zones: aware times become local wall times of the contract."""
    out = frame.copy()
    for c in out.columns:
        if isinstance(out[c].dtype, pd.DatetimeTZDtype):
            out[c] = out[c].dt.tz_convert(timezone).dt.tz_localize(None)
    return out


def tables(data: ReportData) -> dict[str, pd.DataFrame]:
    """Every table of the report by sheet name."""
    tz = data.contract.timezone
    cover = pd.DataFrame(list(cover_items(data).items()), columns=["item", "value"])
    out = {"Cover": cover, "Scorecard": scorecard(data)}
    if data.statement is not None:
        lines = report_json(data)["penalties"]["lines"]
        out["Penalties"] = pd.DataFrame(lines)
    out["Regulatory"] = pd.DataFrame(data.regulatory)
    out["Daily"] = _local(data.daily, tz)
    out["Tickets by day"] = _local(data.ticket_daily, tz)
    out["Backlog"] = data.backlog
    out["Breaches"] = pd.DataFrame(data.breaches, columns=["queue", "day", "what", "target", "actual", "ref"])
    intervals = data.intervals.drop(columns=["threshold"])
    out["Intervals"] = _local(metrics.with_ratios(intervals, data.voice_formula()[0]), tz)
    out["Tickets"] = _local(data.tickets, tz)
    return out


def render_xlsx(data: ReportData) -> bytes:
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, frame in tables(data).items():
            frame.to_excel(writer, sheet_name=name[:31], index=False)
            sheet = writer.sheets[name[:31]]
            sheet.freeze_panes = "A2"
            for column in sheet.columns:
                width = max(len(str(cell.value or "")) for cell in column[:200])
                sheet.column_dimensions[column[0].column_letter].width = min(max(width + 2, 8), 60)
    return buffer.getvalue()


def cover_items(data: ReportData) -> dict[str, str]:
    c = data.contract
    formula, threshold = data.voice_formula()
    through = data.data_through
    return {
        "Contract": f"{c.code} - {c.client.name}",
        "Period": f"{data.inputs.period_start:%Y-%m-%d} to {data.inputs.period_end:%Y-%m-%d} (inclusive)",
        "Time zone": c.timezone,
        "Service level": formula.describe(threshold),
        "Formula version": FORMULA_VERSION,
        "Data sources": "interval statistics (30-minute counts per queue); tickets of the contract's queues",
        "Data cut-off": _stamp(data.inputs.data_cutoff, c.timezone),
        "Data through": _stamp(through, c.timezone) if through else "no calls in the period",
        "Monthly fee (period share)": f"{c.currency} {data.fee:,.2f}",
    }


def _stamp(value: datetime, timezone: str) -> str:
    return str(pd.Timestamp(value).tz_convert(timezone).strftime("%Y-%m-%d %H:%M %Z"))


# --- HTML and PDF -------------------------------------------------------------------------------


def _pct(value: Any) -> str:
    return "" if _missing(value) else f"{float(value):.1%}"


def _num(value: Any, digits: int = 1) -> str:
    if _missing(value):
        return ""
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer() and digits == 0):
        return f"{int(value):,}"
    return f"{float(value):,.{digits}f}"


_env.filters["pct"] = _pct
_env.filters["num"] = _num


def _context(data: ReportData, charts: list[dict[str, str]], *, interactive: bool) -> dict[str, Any]:
    body = report_json(data)
    appendix = _local(data.intervals.drop(columns=["threshold"]), data.contract.timezone)
    appendix = appendix[appendix["offered"] > 0].head(APPENDIX_ROWS)
    return {
        "r": body,
        "cover": cover_items(data),
        "charts": charts,
        "interactive": interactive,
        "appendix": appendix.to_dict("records"),
        "appendix_columns": list(appendix.columns),
        "appendix_total": int((data.intervals["offered"] > 0).sum()),
        "appendix_limit": APPENDIX_ROWS,
        "generated": _stamp(datetime.now(data.inputs.data_cutoff.tzinfo), data.contract.timezone),
    }


def render_html(data: ReportData, charts: list[Chart] | None = None) -> bytes:
    """A single file that works offline: plotly.js embedded once, then each figure as a div."""
    from plotly.offline import get_plotlyjs

    charts = report_charts(data) if charts is None else charts
    parts = [
        {
            "key": c.key,
            "title": c.title,
            "html": c.figure.to_html(full_html=False, include_plotlyjs=False, div_id=f"chart-{c.key}"),
        }
        for c in charts
    ]
    html = _env.get_template("report.html.j2").render(
        **_context(data, parts, interactive=True), plotlyjs=get_plotlyjs() if parts else ""
    )
    return html.encode()


@dataclass
class _Kaleido:
    started: bool = False
    lock: threading.Lock = threading.Lock()  # noqa: RUF009 - one lock shared by the process on purpose


_kaleido = _Kaleido()
_export_lock = threading.Lock()


def _ensure_kaleido() -> None:
    """One kaleido server (one chromium) per process: 0.1-0.8 s a figure instead of 3-5 s."""
    import kaleido

    with _kaleido.lock:
        if not _kaleido.started:
            # kaleido logs its chromium's comings and goings at INFO, even from its exit thread.
            for name in ("kaleido", "choreographer"):
                logging.getLogger(name).setLevel(logging.WARNING)
            kaleido.start_sync_server(silence_warnings=True)
            _kaleido.started = True
            atexit.register(kaleido.stop_sync_server, silence_warnings=True)


def static_svg(figure: go.Figure, *, width: int = 1000, height: int | None = None) -> bytes:
    import kaleido

    _ensure_kaleido()
    opts = {"format": "svg", "width": width, "height": height or figure.layout.height or 360}
    # One chromium serves the process: reports rendered in parallel threads take turns.
    with _export_lock:
        image: bytes = kaleido.calc_fig_sync(figure, opts=opts)
    return image


def render_pdf(data: ReportData, charts: list[Chart] | None = None) -> bytes:
    """Static SVG charts (kaleido + chromium) laid out by WeasyPrint."""
    from weasyprint import HTML

    charts = report_charts(data) if charts is None else charts
    parts = []
    for c in charts:
        svg = static_svg(c.figure)
        src = "data:image/svg+xml;base64," + base64.b64encode(svg).decode()
        parts.append({"key": c.key, "title": c.title, "html": f'<img class="chart" alt="{c.title}" src="{src}">'})
    html = _env.get_template("report.html.j2").render(**_context(data, parts, interactive=False), plotlyjs="")
    pdf: bytes = HTML(string=html).write_pdf()
    return pdf
