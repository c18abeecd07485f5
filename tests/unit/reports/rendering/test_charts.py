"""Report charts: each figure shows the report's own numbers (a day, an interval, a backlog bucket)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, datetime

import numpy as np
import pandas as pd
import plotly.io as pio
import pytest

from ops.contracts.document import parse_contract
from ops.reports.inputs import ReportInputs, queue_info, ticket_frame
from ops.reports.rendering.charts import (
    Chart,
    abandonment,
    aht_asa_trend,
    back_office,
    charts_for,
    daily_service_level,
    interval_heatmap,
    local_times,
    report_charts,
    volume_and_staffing,
)
from ops.reports.rendering.words import Words, words
from ops.reports.report import ReportData, compute
from ops.staffing.history.calllog import count_call_log
from tests.helpers import ROOT

SLICE = ROOT / "tests" / "fixtures" / "anonymous_bank_1999_02_12-14_calls.csv"
TZ = "America/Sao_Paulo"


def at(text: str) -> datetime:
    return pd.Timestamp(text, tz=TZ).tz_convert("UTC").to_pydatetime()


def sample_tickets() -> pd.DataFrame:
    """Four back-office care tickets of 12 Feb 1999 (normal priority: 240 / 1620 business minutes)."""
    base = {"queue": "bo_care", "first_response_target": 240.0, "resolution_target": 1620.0,
            "priority": "normal", "critical": False, "reason": "speed_upgrade",
            "first_response_due": None, "resolution_due": None, "closed_at": None}  # fmt: skip
    rows = [
        # resolved within both targets
        {**base, "protocol": "P1", "created_at": at("1999-02-12 09:00"), "first_response_at": at("1999-02-12 09:30"),
         "resolved_at": at("1999-02-12 15:00"), "first_response_minutes": 30.0, "resolution_minutes": 360.0,
         "status": "resolved"},
        # first response late, resolved within target
        {**base, "protocol": "P2", "created_at": at("1999-02-12 09:00"), "first_response_at": at("1999-02-12 15:00"),
         "resolved_at": at("1999-02-12 16:00"), "first_response_minutes": 300.0, "resolution_minutes": 360.0,
         "status": "resolved"},
        # still open at the cut-off, past both due dates
        {**base, "protocol": "P3", "created_at": at("1999-02-12 10:00"), "first_response_at": None,
         "resolved_at": None, "first_response_minutes": 241.0, "resolution_minutes": 1621.0, "status": "open"},
        # open, created two hours before the cut-off: nothing due yet
        {**base, "protocol": "P4", "created_at": at("1999-02-28 10:00"), "first_response_at": None,
         "resolved_at": None, "first_response_minutes": 0.0, "resolution_minutes": 0.0, "status": "open"},
    ]  # fmt: skip
    return ticket_frame(rows)


def sample_report(*, staffed: bool = True, tickets: bool = True) -> ReportData:
    contract = parse_contract((ROOT / "examples" / "reference-contract.yaml").read_text(encoding="utf-8"))
    intervals = count_call_log(SLICE, fmt="anonymous-bank", queue="care", timezone=TZ).intervals
    # 12 agents on the queue from 08:00 to 18:00 local, unknown otherwise.
    local = intervals["interval_start"].dt.tz_convert(TZ)
    on = (local.dt.hour >= 8) & (local.dt.hour < 18)
    intervals["staffed_seconds"] = np.where(on, 12 * 1800.0, np.nan) if staffed else np.nan
    intervals["threshold"] = 20
    return compute(
        ReportInputs(
            contract=contract,
            queues=queue_info(contract),
            period_start=date(1999, 2, 1),
            period_end=date(1999, 2, 28),
            data_cutoff=at("1999-02-28 12:00"),
            intervals=intervals,
            tickets=sample_tickets() if tickets else ticket_frame([]),
        )
    )


@pytest.fixture(scope="module")
def report() -> ReportData:
    return sample_report()


def test_daily_service_level_plots_each_day_against_target(report: ReportData) -> None:
    fig = daily_service_level(report)
    care, target = fig.data[0], fig.data[1]
    days = [pd.Timestamp(x).strftime("%Y-%m-%d") for x in care.x]
    assert days == ["1999-02-12", "1999-02-13", "1999-02-14"]
    # 14 Feb: 1,099 answered within 20 s of 1,521 offered (the fixture counted by day).
    assert care.y[2] == pytest.approx(1099 / 1521)
    assert set(target.y) == {0.8}
    assert "answered_within / offered" in fig.layout.title.text


def test_abandonment_bars_and_the_contract_maximum(report: ReportData) -> None:
    fig = abandonment(report)
    assert fig.data[0].y[0] == pytest.approx(77 / 477)
    assert any(shape.y0 == 0.05 for shape in fig.layout.shapes)


def test_heatmap_cell_is_the_service_level_of_that_local_half_hour(report: ReportData) -> None:
    fig = interval_heatmap(report)
    heat = fig.data[0]
    frame = report.intervals
    local = frame["interval_start"].dt.tz_convert(TZ)
    cell = frame[(local.dt.strftime("%Y-%m-%d %H:%M") == "1999-02-14 10:00")]
    expected = cell["answered_within"].sum() / cell["offered"].sum()
    row, col = list(heat.y).index("1999-02-14"), list(heat.x).index("10:00")
    assert heat.z[row][col] == pytest.approx(expected)
    assert heat.customdata[row][col] == cell["offered"].sum()


def test_volume_chart_shows_staffed_positions_against_base(report: ReportData) -> None:
    fig = volume_and_staffing(report, words(report.contract, "en"))
    names = [t.name for t in fig.data]
    assert names == ["Customer care offered", "Customer care staffed", "Customer care base"]
    assert set(fig.data[1].y) == {12.0}
    assert set(fig.data[2].y) == {15}
    assert sum(fig.data[0].y) == 2191


def test_aht_and_asa_are_daily_sums_over_sums(report: ReportData) -> None:
    fig = aht_asa_trend(report)
    aht = fig.data[0].y
    day = report.intervals[report.intervals["interval_start"].dt.tz_convert(TZ).dt.day == 13]
    assert aht[1] == pytest.approx(day["handle_seconds"].sum() / day["answered"].sum())
    # The ASA axis picks its own round ticks (plotly.js would sync them to the AHT axis' grid: 4.86, 9.72...).
    assert fig.layout.yaxis2.tickmode == "auto"


def test_back_office_backlog_buckets_by_age(report: ReportData) -> None:
    fig = back_office(report)
    buckets = {t.name: list(t.y) for t in fig.data if t.type == "bar"}
    # P3 open 16 days at the cut-off, P4 two hours; the buckets in the contract's language (pt-BR), never "<1d".
    assert buckets["7 d ou mais"] == [1]
    assert buckets["menos de 1 d"] == [1]
    english = {t.name for t in back_office(report, words(report.contract, "en")).data if t.type == "bar"}
    assert english == {"under 1 d", "1–3 d", "3–7 d", "7 d or more"}
    names = {q.code: q.name for q in report.inputs.queues}
    assert {t.name for t in fig.data if t.type == "scatter"} <= set(names.values())  # queues by name, not code
    # Each bar's queue by its name, a long one on lines of its own so that no label runs off the chart.
    assert all(x.replace("<br>", " ") in names.values() for t in fig.data if t.type == "bar" for x in t.x)
    assert all(len(line) <= 16 for t in fig.data if t.type == "bar" for x in t.x for line in x.split("<br>"))
    resolution = next(t for t in fig.data if t.type == "scatter")
    # 12 Feb: P1 and P2 resolved within target, P3 past due: 2 of 3.
    assert resolution.y[0] == pytest.approx(2 / 3)


def test_charts_of_empty_sections_are_left_out() -> None:
    keys = [c.key for c in report_charts(sample_report(tickets=False))]
    assert keys == ["service_level", "abandonment", "heatmap", "volume", "aht_asa"]


def test_volume_chart_adds_the_forecast_made_from_the_weeks_before() -> None:
    base = sample_report(staffed=False, tickets=False)
    frame = base.intervals
    history = pd.concat(
        [frame.assign(interval_start=frame["interval_start"] - pd.Timedelta(weeks=k)) for k in (1, 2, 3, 4)],
        ignore_index=True,
    )
    week = replace(base.inputs, history=history, period_start=date(1999, 2, 15), period_end=date(1999, 2, 21))
    fig = volume_and_staffing(compute(week), words(base.contract, "en"))
    forecast = next(t for t in fig.data if t.name == "Customer care forecast")
    # Four identical past weeks: the week after is forecast with about their volume (2,191 calls).
    assert sum(forecast.y) == pytest.approx(2191, rel=0.1)
    assert "against forecast" in fig.layout.title.text


@pytest.mark.parametrize(
    ("zone", "first"),
    [("America/New_York", "2026-03-07 00:00"), ("America/Sao_Paulo", "2018-11-03 00:00"), ("UTC", "2026-02-01")],
)
def test_local_times_read_as_plotly_wrote_the_timestamps(zone: str, first: str) -> None:
    # Three days of half hours across a change of clock (New York's spring forward, Sao Paulo's last summer time).
    instants = pd.Series(pd.date_range(first, periods=144, freq="30min", tz="UTC"))
    expected = [t.isoformat() for t in instants.dt.tz_convert(zone)]
    assert local_times(instants, zone) == expected
    assert len({t[-6:] for t in expected}) == (1 if zone == "UTC" else 2)


def test_each_chart_is_built_once_per_report_and_language(monkeypatch: pytest.MonkeyPatch) -> None:
    from ops.reports.rendering import charts, formats

    report = sample_report()
    built: list[str] = []
    real = charts.report_charts

    def counting(data: ReportData, w: Words | None = None) -> list[Chart]:
        built.append(w.lang if w else "")
        return real(data, w)

    monkeypatch.setattr(charts, "report_charts", counting)
    formats.render_html(report, lang="en")
    formats.render_html(report, lang="en")
    assert charts_for(report, words(report.contract, "en")) is charts_for(report, words(report.contract, "en"))
    formats.render_html(report, lang="pt-BR")
    assert built == ["en", "pt-BR"]  # HTML twice (and the PDF would be a third) from one build per language
    other = replace(report, inputs=replace(report.inputs, period_end=date(1999, 2, 27)))
    assert other.charts == {}  # a changed report draws its own


def test_the_spec_is_the_figure_with_the_reports_template(report: ReportData) -> None:
    chart = report_charts(report)[0]
    assert chart.spec is chart.spec  # made once
    assert chart.spec["layout"]["template"]["layout"]["plot_bgcolor"] == "white"  # plotly_white
    written = json.loads(pio.to_json(chart.spec, validate=False))
    assert written["data"] == json.loads(chart.figure.to_json())["data"]  # the figure's own traces
    html = chart.html("chart-x")
    assert 'id="chart-x"' in html and "Plotly.newPlot" in html and '"plot_bgcolor":"white"' in html
