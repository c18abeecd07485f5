"""Render an SLA report as JSON, CSV, XLSX (a sheet per table), offline interactive HTML, or PDF, in the contract's
language or the one asked for."""

from __future__ import annotations

import atexit
import base64
import csv
import io
import json
import logging
import threading
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import plotly.graph_objects as go
from jinja2 import Environment, FileSystemBytecodeCache, FileSystemLoader, Undefined, select_autoescape

from ops.reports.metrics import with_ratios
from ops.reports.rendering.charts import Chart, charts_for, figure_spec
from ops.reports.rendering.words import KPI_NAMES, Words, words
from ops.reports.rendering.workbook import SCORECARD_COLUMNS
from ops.reports.report import FORMULA_VERSION, ReportData, report_json
from ops.reports.summary import executive_summary

Format = Literal["json", "csv", "xlsx", "html", "pdf"]
FORMATS: tuple[Format, ...] = ("json", "csv", "xlsx", "html", "pdf")
MEDIA_TYPES: dict[str, str] = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
}
APPENDIX_ROWS = 5000  # rows of the interval appendix printed in HTML/PDF when asked for; the XLSX holds them all
BREACH_ROWS = 60  # tickets of the breach list printed in HTML/PDF, latest first; the XLSX lists them all
TEMPLATES = Path(__file__).parent / "templates"
# The report template compiled once per machine, not once per process: every `ops report` and each new worker would
# otherwise spend about 0.1 s compiling it before its first report (Jinja keeps the code in a private folder of the
# user's temporary directory, keyed by the template's source, so an edited template is compiled anew).
def _bytecode_cache() -> FileSystemBytecodeCache | None:
    try:
        return FileSystemBytecodeCache()
    except (OSError, RuntimeError):  # no private temporary folder here (a read-only file system): compile each time
        return None


_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html", "j2"]),
    bytecode_cache=_bytecode_cache(),
)


def render(data: ReportData, fmt: Format, *, lang: str | None = None, appendix: bool | None = None) -> bytes:
    """The report in a format, in `lang` (pt-BR, es-AR, en; default: the contract's language). The interval
    appendix is always whole in the XLSX; in HTML and PDF only with `appendix=True` (it would be most of the pages)."""
    if fmt == "json":
        return render_json(data, lang=lang)
    if fmt == "csv":
        return render_csv(data)
    if fmt == "xlsx":
        return render_xlsx(data, lang=lang)
    if fmt == "html":
        return render_html(data, lang=lang, appendix=bool(appendix))
    if fmt == "pdf":
        return render_pdf(data, lang=lang, appendix=bool(appendix))
    raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")


def filename(data: ReportData, fmt: str, delivery: str = "sla") -> str:
    start, end = data.inputs.period_start, data.inputs.period_end
    return f"{data.contract.code}-{delivery}-{start:%Y%m%d}-{end:%Y%m%d}.{fmt}"


def render_json(data: ReportData, *, lang: str | None = None) -> bytes:
    """The report's data (codes and plain numbers, for programs), with the language of its words and each KPI's
    name in it."""
    w = words(data.contract, lang)
    body = report_json(data)
    body["language"] = w.lang
    body["kpi_names"] = {code: w.kpi(code) for code in KPI_NAMES}
    return json.dumps(body, ensure_ascii=False, indent=2).encode()


def scorecard(data: ReportData) -> pd.DataFrame:
    """One row per queue and a total row: the table of the scorecard and the CSV."""
    rows = [*data.queue_rows, {**data.total, "name": "Total"}]
    return pd.DataFrame([{c: r.get(c) for c in SCORECARD_COLUMNS} for r in rows], columns=list(SCORECARD_COLUMNS))


def render_csv(data: ReportData) -> bytes:
    """The scorecard, one line per queue and the total, for programs: column codes and plain numbers (a person
    reads the XLSX, which is in the contract's language with typed cells)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(SCORECARD_COLUMNS)
    for row in [*data.queue_rows, {**data.total, "name": "Total"}]:
        writer.writerow(["" if _missing(row.get(c)) else row.get(c) for c in SCORECARD_COLUMNS])
    return buffer.getvalue().encode()


def _missing(value: Any) -> bool:
    return value is None or isinstance(value, Undefined) or (isinstance(value, float) and value != value)


def _local(frame: pd.DataFrame, timezone: str) -> pd.DataFrame:
    """Aware times become local wall times of the contract."""
    out = frame.copy()
    for c in out.columns:
        if isinstance(out[c].dtype, pd.DatetimeTZDtype):
            out[c] = out[c].dt.tz_convert(timezone).dt.tz_localize(None)
    return out


def render_xlsx(data: ReportData, *, lang: str | None = None) -> bytes:
    from ops.reports.rendering.workbook import render_xlsx as workbook  # openpyxl only when asked for

    w = words(data.contract, lang)
    return workbook(data, w, cover_items(data, w))


def whole_month(start: date, end: date) -> bool:
    return start.day == 1 and end.month == start.month and (end + timedelta(days=1)).day == 1


def cover_items(data: ReportData, w: Words) -> dict[str, Any]:
    """The cover's items in the reader's language; the fee stays a Decimal (the XLSX types it, HTML formats it)."""
    _ = w._
    c = data.contract
    formula, threshold = data.voice_formula()
    through = data.data_through
    start, end = data.inputs.period_start, data.inputs.period_end
    period = _("{start} to {end} (inclusive)").format(start=w.date(start), end=w.date(end))
    return {
        _("Contract"): f"{c.code} - {c.client.name}",
        _("Period"): f"{w.month(start)}: {period}" if whole_month(start, end) else period,
        _("Time zone"): c.timezone,
        _("Service level"): w.formula(formula, threshold),
        _("Formula version"): FORMULA_VERSION,
        _("Data sources"): _("interval statistics (30-minute counts per queue); tickets of the contract's queues"),
        _("Data cut-off"): w.fmt.datetime(data.inputs.data_cutoff, c.timezone, "short"),
        _("Data through"): w.fmt.datetime(through, c.timezone, "short") if through else _("no calls in the period"),
        _("Monthly fee (period share)"): data.fee,
    }


@dataclass(frozen=True)
class BreachView:
    """The breach list as a reader takes it in: voice days summed up per queue and KPI (the XLSX lists each day),
    then the tickets, latest first, each with how late it is in business time."""

    days: list[dict[str, Any]]
    tickets: list[dict[str, Any]]
    tickets_total: int


def breach_view(data: ReportData, limit: int = BREACH_ROWS) -> BreachView:
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    tickets = []
    for b in data.breaches:
        if b["ref"]:
            tickets.append(b)
            continue
        key = (b["queue"], b["what"])
        g = groups.setdefault(key, {"queue": b["queue"], "what": b["what"], "target": b["target"], "days": 0})
        g["days"] += 1
        worst = g.get("worst")
        worse = worst is None or (b["actual"] < worst if b["what"] == "service_level" else b["actual"] > worst)
        if worse:
            g["worst"], g["worst_day"] = b["actual"], date.fromisoformat(str(b["day"]))
    tickets.sort(key=lambda b: -(b["late_minutes"] or 0))
    shown = [{**b, "day": date.fromisoformat(str(b["day"]))} for b in tickets[:limit]]
    return BreachView(days=list(groups.values()), tickets=shown, tickets_total=len(tickets))


# --- HTML and PDF -------------------------------------------------------------------------------

APPENDIX_COLUMNS = ("queue", "interval_start", "offered", "answered", "answered_within", "abandoned",
                    "service_level", "asa", "aht", "abandon_rate")  # fmt: skip


def appendix_rows(data: ReportData, w: Words) -> tuple[list[str], list[list[str]]]:
    """The intervals with calls as the printed appendix shows them: local times, counts and their ratios, in the
    reader's formats (the XLSX has every column of every interval)."""
    frame = with_ratios(data.intervals[data.intervals["offered"] > 0].head(APPENDIX_ROWS), data.voice_formula()[0])
    rows = []
    for rec in frame.to_dict("records"):
        stamp = w.fmt.datetime(rec["interval_start"].to_pydatetime(), data.contract.timezone, "short")
        rows.append(
            [
                rec["queue"],
                stamp,
                *(w.num(rec[c]) for c in APPENDIX_COLUMNS[2:6]),
                w.pct(rec["service_level"]),
                w.num(rec["asa"], 1),
                w.num(rec["aht"], 1),
                w.pct(rec["abandon_rate"]),
            ]
        )
    return [w.column(c) for c in APPENDIX_COLUMNS], rows


def _context(
    data: ReportData, w: Words, charts: list[dict[str, str]], *, interactive: bool, appendix: bool
) -> dict[str, Any]:
    body = report_json(data)
    titles, rows = appendix_rows(data, w) if appendix else ([], [])
    cover = {k: w.money(v) if isinstance(v, Decimal) else v for k, v in cover_items(data, w).items()}
    start, end = data.inputs.period_start, data.inputs.period_end
    return {
        "r": body,
        "w": w,
        "_": w._,
        "lang": w.lang,
        "summary": executive_summary(data),
        "notes": data.note_args,
        "queue_names": {q.code: q.name for q in data.inputs.queues},
        "title_period": w.month(start) if whole_month(start, end) else cover[w._("Period")],
        "cover": cover,
        "charts": charts,
        "interactive": interactive,
        "breaches": breach_view(data),
        "appendix": rows,
        "appendix_columns": titles,
        "appendix_shown": appendix,
        "appendix_total": int((data.intervals["offered"] > 0).sum()),
        "appendix_limit": APPENDIX_ROWS,
        "generated": w.fmt.datetime(datetime.now(data.inputs.data_cutoff.tzinfo), data.contract.timezone, "short"),
    }


def render_html(
    data: ReportData, charts: list[Chart] | None = None, *, lang: str | None = None, appendix: bool = False
) -> bytes:
    """A single file that works offline: plotly.js embedded once, then each figure as a div."""
    from plotly.offline import get_plotlyjs

    w = words(data.contract, lang)
    charts = charts_for(data, w) if charts is None else charts
    parts = [{"key": c.key, "title": c.title, "html": c.html(f"chart-{c.key}")} for c in charts]
    html = _env.get_template("report.html.j2").render(
        **_context(data, w, parts, interactive=True, appendix=appendix), plotlyjs=get_plotlyjs() if parts else ""
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


def static_svg(figure: go.Figure | dict[str, Any], *, width: int = 1000, height: int | None = None) -> bytes:
    """A figure (or its plotly.js form, `Chart.spec`) as SVG, with the report's template."""
    import kaleido

    _ensure_kaleido()
    spec = figure_spec(figure) if isinstance(figure, go.Figure) else figure
    opts = {"format": "svg", "width": width, "height": height or spec["layout"].get("height") or 360}
    # One chromium serves the process: reports rendered in parallel threads take turns.
    with _export_lock:
        image: bytes = kaleido.calc_fig_sync(spec, opts=opts)
    return image


def render_pdf(
    data: ReportData, charts: list[Chart] | None = None, *, lang: str | None = None, appendix: bool = False
) -> bytes:
    """Static SVG charts (kaleido + chromium) laid out by WeasyPrint; the heatmap's colour bar is in its SVG."""
    from weasyprint import HTML

    w = words(data.contract, lang)
    charts = charts_for(data, w) if charts is None else charts
    parts = []
    for c in charts:
        svg = static_svg(c.spec)
        src = "data:image/svg+xml;base64," + base64.b64encode(svg).decode()
        parts.append({"key": c.key, "title": c.title, "html": f'<img class="chart" alt="{c.title}" src="{src}">'})
    context = _context(data, w, parts, interactive=False, appendix=appendix)
    html = _env.get_template("report.html.j2").render(**context, plotlyjs="")
    pdf: bytes = HTML(string=html).write_pdf()
    return pdf
