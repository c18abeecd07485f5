"""Plotly figures of an SLA report: service level, abandonment, heatmap, volume, AHT/ASA, back office."""

from __future__ import annotations

import itertools
import textwrap
from dataclasses import dataclass
from datetime import date
from functools import cache, cached_property
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from babel.numbers import get_decimal_symbol, get_group_symbol
from plotly.subplots import make_subplots

from ops.reports import metrics
from ops.reports.rendering.words import Words, words
from ops.reports.report import ReportData

PALETTE = ("#1f5fbf", "#b86e00", "#1e7d3a", "#8e44ad", "#b3261e", "#16a2b8")
TARGET_COLOR = "#b3261e"
TEMPLATE = "plotly_white"


@cache
def _template() -> dict[str, Any]:
    """The report's plotly template as plotly.js reads it, made once per process: assigning it to each figure would
    have plotly copy and validate its hundreds of properties every time (a fifth of a chart's cost)."""
    spec: dict[str, Any] = pio.templates[TEMPLATE].to_plotly_json()
    return spec


def figure_spec(figure: go.Figure) -> dict[str, Any]:
    """A figure as plotly.js draws it: its data and layout, with the report's template."""
    spec: dict[str, Any] = figure.to_plotly_json()
    spec["layout"] = {**spec["layout"], "template": _template()}
    return spec


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    figure: go.Figure

    @cached_property
    def spec(self) -> dict[str, Any]:
        """The figure as plotly.js takes it, made once: the HTML draws it, the PDF exports it."""
        return figure_spec(self.figure)

    def html(self, div_id: str) -> str:
        """The figure as a div and its script (plotly.js itself is embedded once by the page)."""
        html: str = pio.to_html(self.spec, validate=False, full_html=False, include_plotlyjs=False, div_id=div_id)
        return html


def _layout(fig: go.Figure, title: str, w: Words, *, percent: bool = False, height: int = 360) -> go.Figure:
    """Title, size and the reader's number conventions (the template comes with `figure_spec`): plotly's separators
    (decimal, then thousands) from Babel, days on date axes as the locale writes them (12/02 in pt-BR and es-AR,
    Feb 12 in English)."""
    fig.update_layout(
        title={"text": title, "x": 0.01, "font": {"size": 15}},
        height=height,
        margin={"l": 55, "r": 20, "t": 45, "b": 40},
        legend={"orientation": "h", "y": -0.18},
        font={"family": "DejaVu Sans, Arial, sans-serif", "size": 11},
        separators=get_decimal_symbol(w.fmt.locale) + get_group_symbol(w.fmt.locale),
    )
    fig.update_xaxes(tickformat=_DAY_FORMAT.get(w.lang, "%b %d"))  # no effect on a category axis (queues, times)
    if percent:
        fig.update_yaxes(tickformat=".0%", rangemode="tozero")
    return fig


_DAY_FORMAT = {"pt-BR": "%d/%m", "es-AR": "%d/%m"}


def _days(frame: pd.DataFrame) -> pd.Series:
    return pd.to_datetime(frame["period"])


def local_times(instants: pd.Series, timezone: str) -> list[str]:
    """Aware instants as the ISO text of their local time and offset (`Timestamp.isoformat()`, what plotly writes for
    them), made a column at a time: plotly would hold a month's intervals as Timestamp objects, copy them and
    encode them one by one."""
    utc = instants.dt.tz_convert("UTC").dt.tz_localize(None)
    wall = instants.dt.tz_convert(timezone).dt.tz_localize(None)
    minutes = ((wall - utc) // pd.Timedelta(minutes=1)).to_numpy()
    zones = {m: f"{'-' if m < 0 else '+'}{abs(m) // 60:02d}:{abs(m) % 60:02d}" for m in np.unique(minutes).tolist()}
    stamps = np.datetime_as_string(wall.to_numpy(dtype="datetime64[s]"), unit="s")
    return [f"{stamp}{zones[m]}" for stamp, m in zip(stamps.tolist(), minutes.tolist(), strict=True)]


def daily_service_level(data: ReportData, w: Words | None = None) -> go.Figure:
    w = w or words(data.contract)
    _ = w._
    fig = go.Figure()
    for i, q in enumerate(q for q in data.inputs.queues if q.voice):
        own = data.daily[data.daily["queue"] == q.code]
        if own.empty:
            continue
        color = PALETTE[i % len(PALETTE)]
        fig.add_scatter(x=_days(own), y=own["service_level"], name=q.name, mode="lines+markers", line={"color": color})
        if q.target is not None:
            fig.add_scatter(
                x=_days(own),
                y=[q.target] * len(own),
                name=_("{queue} target {target}").format(queue=q.name, target=w.pct(q.target, 0)),
                mode="lines",
                line={"color": color, "dash": "dash", "width": 1},
            )
    formula, threshold = data.voice_formula()
    fig.update_yaxes(title_text=_("Service level"))
    title = _("Daily service level against target") + f"<br><sup>{w.formula(formula, threshold)}</sup>"
    return _layout(fig, title, w, percent=True, height=380)


def abandonment(data: ReportData, w: Words | None = None) -> go.Figure:
    w = w or words(data.contract)
    _ = w._
    fig = go.Figure()
    limits: set[float] = set()
    for i, q in enumerate(q for q in data.inputs.queues if q.voice):
        own = data.daily[data.daily["queue"] == q.code]
        if own.empty:
            continue
        fig.add_bar(x=_days(own), y=own["abandon_rate"], name=q.name, marker_color=PALETTE[i % len(PALETTE)])
        if q.max_abandon is not None:
            limits.add(q.max_abandon)
    for limit in sorted(limits):
        fig.add_hline(
            y=limit,
            line={"color": TARGET_COLOR, "dash": "dash"},
            annotation_text=_("maximum {limit}").format(limit=w.pct(limit, 0)),
            annotation_position="top left",  # inside the plot: on the right it ran past the edge
        )
    fig.update_yaxes(title_text=_("Abandonment rate"))
    return _layout(fig, _("Abandoned calls over offered, by day (short abandons counted)"), w, percent=True)


def heat_scale(target: float) -> list[list[float | str]]:
    """A diverging scale centred on the target: red below it, white at it, green above it (0 to 100 %)."""
    t = min(max(target, 0.02), 0.98)
    return [[0.0, "#8e1b14"], [t / 2, "#e8877f"], [t, "#f7f7f7"], [t + (1 - t) / 2, "#7fbf8f"], [1.0, "#1e6b34"]]


def heat_target(data: ReportData) -> float:
    """The target the heatmap is anchored on: the voice queues' (the first one with a target)."""
    for q in data.inputs.queues:
        if q.voice and q.target is not None:
            return float(q.target)
    return 0.8


def interval_heatmap(data: ReportData, w: Words | None = None) -> go.Figure:
    """Service level of every voice queue together, day by 30-minute interval of the local clock, on a scale
    that diverges at the contract's target (its colour bar names the target)."""
    w = w or words(data.contract)
    _ = w._
    formula, __ = data.voice_formula()
    voice = {q.code for q in data.inputs.queues if q.voice}
    frame = data.intervals[data.intervals["queue"].isin(voice)]
    fig = go.Figure()
    if not frame.empty:
        local = frame["interval_start"].dt.tz_convert(data.contract.timezone)
        cells = frame.assign(day=local.dt.strftime("%Y-%m-%d"), time=local.dt.strftime("%H:%M"))
        sums = cells.groupby(["day", "time"])[
            [
                "offered",
                "answered",
                "answered_within",
                "abandoned",
                "abandoned_within",
                "short_abandons",
                "handle_seconds",
                "wait_seconds",
            ]
        ].sum()
        rated = metrics.with_ratios(sums.reset_index(), formula)
        grid = rated.pivot(index="day", columns="time", values="service_level")
        offered = rated.pivot(index="day", columns="time", values="offered")
        target = heat_target(data)
        ticks = sorted({0.0, 0.25, 0.5, 0.75, 1.0, target} - {v for v in (0.25, 0.5, 0.75) if abs(v - target) < 0.08})
        labels = [_("{value} target").format(value=w.pct(v, 0)) if v == target else w.pct(v, 0) for v in ticks]
        fig.add_heatmap(
            z=grid.to_numpy(),
            x=list(grid.columns),
            y=list(grid.index),
            customdata=offered.to_numpy(),
            colorscale=heat_scale(target),
            zmin=0,
            zmax=1,
            colorbar={"title": {"text": _("Service level")}, "tickvals": ticks, "ticktext": labels, "len": 0.9},
            hovertemplate="%{y} %{x}<br>"
            + _("service level")
            + " %{z:.1%}<br>"
            + _("offered")
            + " %{customdata}<extra></extra>",
        )
        # Days stay ISO in the data and read in the reader's short form on the axis: a category axis, one tick a day.
        days = [date.fromisoformat(str(d)) for d in grid.index]
        fig.update_yaxes(
            type="category",
            autorange="reversed",
            tickvals=list(grid.index),
            ticktext=[w.fmt.date(d, "dd/MM" if w.lang != "en" else "MMM d") for d in days],
            title_text=_("Day"),
        )
        fig.update_xaxes(title_text=_("Interval (local time)"))
    title = _("Service level by day and 30-minute interval (empty: no calls)")
    fig = _layout(fig, title, w, height=520)
    fig.update_layout(margin={"r": 110})
    return fig


def volume_and_staffing(data: ReportData, w: Words | None = None) -> go.Figure:
    """Offered calls against the forecast, and staffed positions against the base, per interval."""
    w = w or words(data.contract)
    _ = w._
    voice = [q for q in data.inputs.queues if q.voice]
    frame = data.intervals[data.intervals["queue"].isin({q.code for q in voice})]
    staffed = frame[frame["staffed_seconds"].notna()]
    fig = make_subplots(rows=2 if len(staffed) else 1, cols=1, shared_xaxes=True, vertical_spacing=0.08)
    for i, q in enumerate(voice):
        own = frame[frame["queue"] == q.code]
        if own.empty:
            continue
        color = PALETTE[i % len(PALETTE)]
        x = local_times(own["interval_start"], data.contract.timezone)
        fig.add_scatter(
            x=x, y=own["offered"], name=_("{queue} offered").format(queue=q.name), line={"color": color}, row=1, col=1
        )
        if data.forecast is not None:
            fc = data.forecast[data.forecast["queue"] == q.code]
            if len(fc):
                fig.add_scatter(
                    x=local_times(fc["interval_start"], data.contract.timezone),
                    y=fc["forecast"],
                    name=_("{queue} forecast").format(queue=q.name),
                    line={"color": color, "dash": "dot"},
                    row=1,
                    col=1,
                )
        mine = staffed[staffed["queue"] == q.code]
        if len(mine):
            xs = local_times(mine["interval_start"], data.contract.timezone)
            fig.add_scatter(
                x=xs,
                y=mine["staffed_seconds"] / 1800,
                name=_("{queue} staffed").format(queue=q.name),
                line={"color": color},
                row=2,
                col=1,
            )
            fig.add_scatter(
                x=xs,
                y=[q.base_positions] * len(mine),
                name=_("{queue} base").format(queue=q.name),
                row=2,
                col=1,
                line={"color": color, "dash": "dash", "width": 1},
            )
    forecast = data.forecast is not None
    if len(staffed):
        title = (
            _("Offered calls per 30 minutes against forecast; staffed positions against the contracted base")
            if forecast
            else _("Offered calls per 30 minutes; staffed positions against the contracted base")
        )
    else:
        title = _("Offered calls per 30 minutes against forecast") if forecast else _("Offered calls per 30 minutes")
    fig.update_yaxes(title_text=_("Calls"), row=1, col=1)
    if len(staffed):
        fig.update_yaxes(title_text=_("Positions"), row=2, col=1)
    return _layout(fig, title, w, height=460 if len(staffed) else 360)


def aht_asa_trend(data: ReportData, w: Words | None = None) -> go.Figure:
    w = w or words(data.contract)
    _ = w._
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    total = data.daily_total
    if len(total):
        x = _days(total)
        fig.add_scatter(x=x, y=total["aht"], name=_("AHT (s)"), line={"color": PALETTE[0]}, secondary_y=False)
        fig.add_scatter(x=x, y=total["asa"], name=_("ASA (s)"), line={"color": PALETTE[1]}, secondary_y=True)
    fig.update_yaxes(title_text=_("AHT seconds"), secondary_y=False, rangemode="tozero")
    # Its own round ticks, written by the locale's separators: plotly.js syncs an overlaying axis to the first one's
    # grid by default, which gave ticks such as 4.86 / 9.72 / 14.58 in English digits on a Portuguese page.
    fig.update_yaxes(title_text=_("ASA seconds"), secondary_y=True, rangemode="tozero", tickmode="auto", showgrid=False)
    return _layout(fig, _("Average handle time and average speed of answer, by day (all voice queues)"), w)


def back_office(data: ReportData, w: Words | None = None) -> go.Figure:
    """Resolution within policy by day per ticket queue, and the backlog by age at the cut-off."""
    w = w or words(data.contract)
    _ = w._
    fig = make_subplots(
        rows=1,
        cols=2,
        column_widths=[0.62, 0.38],
        subplot_titles=(_("Resolved within policy"), _("Backlog by age")),
    )
    # The queues by their names and the age buckets in words: a reader of the legend meets no code such as bo_care.
    names = {q.code: q.name for q in data.inputs.queues}
    daily = data.ticket_daily
    for i, code in enumerate(sorted(set(daily["queue"]))):
        own = daily[daily["queue"] == code]
        fig.add_scatter(
            x=_days(own),
            y=own["resolution_within"],
            name=names.get(code, code),
            mode="lines+markers",
            line={"color": PALETTE[i % len(PALETTE)]},
            row=1,
            col=1,
        )
    labels = metrics.age_labels()
    backlog = data.backlog
    for j, (label, days) in enumerate(zip(labels, _age_words(metrics.AGE_EDGES_DAYS, w), strict=True)):
        fig.add_bar(
            x=[_wrapped(names.get(code, code)) for code in backlog["queue"]],
            y=list(backlog[label]),
            name=days,
            row=1,
            col=2,
            marker_color=PALETTE[(j + 2) % len(PALETTE)],
        )
    fig.update_layout(barmode="stack")
    fig.update_yaxes(tickformat=".0%", row=1, col=1)
    fig.update_yaxes(title_text=_("Tickets"), row=1, col=2)
    fig.update_xaxes(tickangle=0, row=1, col=2)
    _layout(fig, _("Back office: resolution within policy and backlog ageing"), w)
    return fig.update_layout(margin={"t": 75})  # the subplots' titles under the figure's, not on it


def _wrapped(name: str, width: int = 16) -> str:
    """A queue's name on lines of about `width` characters: a category axis' long names, slanted, ran off its edge."""
    return "<br>".join(textwrap.wrap(name, width)) or name


def _age_words(edges_days: tuple[int, ...], w: Words) -> list[str]:
    """The age buckets of `metrics.age_labels` as a reader says them: under 1 d, 1–3 d, 7 d or more."""
    _ = w._
    said = [_("under {days} d").format(days=edges_days[0])]
    said += [_("{low}–{high} d").format(low=lo, high=hi) for lo, hi in itertools.pairwise(edges_days)]
    return [*said, _("{days} d or more").format(days=edges_days[-1])]


def charts_for(data: ReportData, w: Words) -> list[Chart]:
    """The report's charts in the reader's language, built on the first call and the same objects after: a delivery
    renders HTML and PDF from one report, and each figure is built and turned into plotly.js's form once."""
    found: list[Chart] | None = data.charts.get(w.lang)
    if found is None:
        found = data.charts[w.lang] = report_charts(data, w)
    return found


def report_charts(data: ReportData, w: Words | None = None) -> list[Chart]:
    """Every chart of the report, in the order the report shows them; empty sections are left out."""
    w = w or words(data.contract)
    _ = w._
    voice = bool(len(data.intervals)) and bool(np.any(data.intervals["offered"] > 0))
    tickets = bool(len(data.ticket_daily)) or bool(len(data.backlog))
    out = []
    if voice:
        out += [
            Chart("service_level", _("Daily service level"), daily_service_level(data, w)),
            Chart("abandonment", _("Abandonment"), abandonment(data, w)),
            Chart("heatmap", _("Interval heatmap"), interval_heatmap(data, w)),
            Chart("volume", _("Volume and staffing"), volume_and_staffing(data, w)),
            Chart("aht_asa", _("AHT and ASA trend"), aht_asa_trend(data, w)),
        ]
    if tickets:
        out.append(Chart("back_office", _("Back office"), back_office(data, w)))
    return out
