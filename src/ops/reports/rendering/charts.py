"""Plotly figures of an SLA report: service level, abandonment, heatmap, volume, AHT/ASA, back office."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ops.reports import metrics
from ops.reports.report import ReportData

PALETTE = ("#1f5fbf", "#b86e00", "#1e7d3a", "#8e44ad", "#b3261e", "#16a2b8")
TARGET_COLOR = "#b3261e"


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    figure: go.Figure


def _layout(fig: go.Figure, title: str, *, percent: bool = False, height: int = 360) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0.01, "font": {"size": 15}},
        height=height,
        margin={"l": 55, "r": 20, "t": 45, "b": 40},
        template="plotly_white",
        legend={"orientation": "h", "y": -0.18},
        font={"family": "DejaVu Sans, Arial, sans-serif", "size": 11},
    )
    if percent:
        fig.update_yaxes(tickformat=".0%", rangemode="tozero")
    return fig


def _days(frame: pd.DataFrame) -> pd.Series:
    return pd.to_datetime(frame["period"])


def daily_service_level(data: ReportData) -> go.Figure:
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
                name=f"{q.name} target {q.target:.0%}",
                mode="lines",
                line={"color": color, "dash": "dash", "width": 1},
            )
    formula, threshold = data.voice_formula()
    return _layout(fig, f"Daily service level against target ({formula.describe(threshold)})", percent=True)


def abandonment(data: ReportData) -> go.Figure:
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
        fig.add_hline(y=limit, line={"color": TARGET_COLOR, "dash": "dash"}, annotation_text=f"max {limit:.0%}")
    return _layout(fig, "Abandoned calls over offered, by day (short abandons counted)", percent=True)


def interval_heatmap(data: ReportData) -> go.Figure:
    """Service level of every voice queue together, day by 30-minute interval of the local clock."""
    formula, _ = data.voice_formula()
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
        fig.add_heatmap(
            z=grid.to_numpy(),
            x=list(grid.columns),
            y=list(grid.index),
            customdata=offered.to_numpy(),
            colorscale="RdYlGn",
            zmin=0,
            zmax=1,
            colorbar={"tickformat": ".0%", "title": "SL"},
            hovertemplate="%{y} %{x}<br>service level %{z:.1%}<br>offered %{customdata}<extra></extra>",
        )
        fig.update_yaxes(autorange="reversed")
    return _layout(fig, "Service level by day and 30-minute interval (empty: no calls)", height=520)


def volume_and_staffing(data: ReportData) -> go.Figure:
    """Offered calls against the forecast, and staffed positions against the base, per interval."""
    voice = [q for q in data.inputs.queues if q.voice]
    frame = data.intervals[data.intervals["queue"].isin({q.code for q in voice})]
    staffed = frame[frame["staffed_seconds"].notna()]
    fig = make_subplots(rows=2 if len(staffed) else 1, cols=1, shared_xaxes=True, vertical_spacing=0.08)
    for i, q in enumerate(voice):
        own = frame[frame["queue"] == q.code]
        if own.empty:
            continue
        color = PALETTE[i % len(PALETTE)]
        x = own["interval_start"].dt.tz_convert(data.contract.timezone)
        fig.add_scatter(x=x, y=own["offered"], name=f"{q.name} offered", line={"color": color}, row=1, col=1)
        if data.forecast is not None:
            fc = data.forecast[data.forecast["queue"] == q.code]
            if len(fc):
                fig.add_scatter(
                    x=fc["interval_start"].dt.tz_convert(data.contract.timezone),
                    y=fc["forecast"],
                    name=f"{q.name} forecast",
                    line={"color": color, "dash": "dot"},
                    row=1,
                    col=1,
                )
        mine = staffed[staffed["queue"] == q.code]
        if len(mine):
            xs = mine["interval_start"].dt.tz_convert(data.contract.timezone)
            fig.add_scatter(
                x=xs, y=mine["staffed_seconds"] / 1800, name=f"{q.name} staffed", line={"color": color}, row=2, col=1
            )
            fig.add_scatter(
                x=xs,
                y=[q.base_positions] * len(mine),
                name=f"{q.name} base",
                row=2,
                col=1,
                line={"color": color, "dash": "dash", "width": 1},
            )
    title = "Offered calls per 30 minutes" + (" against forecast" if data.forecast is not None else "")
    if len(staffed):
        title += "; staffed positions against the contracted base"
    return _layout(fig, title, height=460 if len(staffed) else 360)


def aht_asa_trend(data: ReportData) -> go.Figure:
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    total = data.daily_total
    if len(total):
        x = _days(total)
        fig.add_scatter(x=x, y=total["aht"], name="AHT (s)", line={"color": PALETTE[0]}, secondary_y=False)
        fig.add_scatter(x=x, y=total["asa"], name="ASA (s)", line={"color": PALETTE[1]}, secondary_y=True)
    fig.update_yaxes(title_text="AHT seconds", secondary_y=False, rangemode="tozero")
    fig.update_yaxes(title_text="ASA seconds", secondary_y=True, rangemode="tozero")
    return _layout(fig, "Average handle time and average speed of answer, by day (all voice queues)")


def back_office(data: ReportData) -> go.Figure:
    """Resolution within policy by day per ticket queue, and the backlog by age at the cut-off."""
    fig = make_subplots(
        rows=1, cols=2, column_widths=[0.62, 0.38], subplot_titles=("Resolved within policy", "Backlog by age")
    )
    daily = data.ticket_daily
    for i, code in enumerate(sorted(set(daily["queue"]))):
        own = daily[daily["queue"] == code]
        fig.add_scatter(
            x=_days(own),
            y=own["resolution_within"],
            name=code,
            mode="lines+markers",
            line={"color": PALETTE[i % len(PALETTE)]},
            row=1,
            col=1,
        )
    labels = metrics.age_labels()
    backlog = data.backlog
    for j, label in enumerate(labels):
        fig.add_bar(
            x=list(backlog["queue"]),
            y=list(backlog[label]),
            name=label,
            row=1,
            col=2,
            marker_color=PALETTE[(j + 2) % len(PALETTE)],
        )
    fig.update_layout(barmode="stack")
    fig.update_yaxes(tickformat=".0%", row=1, col=1)
    return _layout(fig, "Back office: resolution within policy and backlog ageing")


def report_charts(data: ReportData) -> list[Chart]:
    """Every chart of the report, in the order the report shows them; empty sections are left out."""
    voice = bool(len(data.intervals)) and bool(np.any(data.intervals["offered"] > 0))
    tickets = bool(len(data.ticket_daily)) or bool(len(data.backlog))
    out = []
    if voice:
        out += [
            Chart("service_level", "Daily service level", daily_service_level(data)),
            Chart("abandonment", "Abandonment", abandonment(data)),
            Chart("heatmap", "Interval heatmap", interval_heatmap(data)),
            Chart("volume", "Volume and staffing", volume_and_staffing(data)),
            Chart("aht_asa", "AHT and ASA trend", aht_asa_trend(data)),
        ]
    if tickets:
        out.append(Chart("back_office", "Back office", back_office(data)))
    return out
