"""Rendering a report: JSON, CSV, XLSX with a sheet per table, offline HTML, and PDF with static charts."""

from __future__ import annotations

import csv
import io
import json
import shutil

import openpyxl
import pytest

from ops.reports.rendering.charts import daily_service_level, interval_heatmap
from ops.reports.rendering.formats import render, render_html, render_pdf, static_svg
from ops.reports.report import ReportData
from tests.unit.reports.rendering.test_charts import sample_report


@pytest.fixture(scope="module")
def report() -> ReportData:
    return sample_report()


def test_json_states_queues_total_formula_and_threshold(report: ReportData) -> None:
    body = json.loads(render(report, "json"))
    care = next(q for q in body["queues"] if q["queue"] == "care")
    assert {k: care[k] for k in ("offered", "answered", "answered_within", "abandoned")} == {
        "offered": 2191, "answered": 1966, "answered_within": 1470, "abandoned": 225,
    }  # fmt: skip
    assert body["service_level"] == {
        "formula": "offered",
        "threshold_seconds": 20,
        "expression": "answered_within / offered",
        "description": "Calls answered within 20 s out of all calls offered [offered: answered_within / offered]",
    }
    bo = next(q for q in body["queues"] if q["queue"] == "bo_care")
    assert (bo["tickets"], bo["resolution_due"], bo["resolution_met"]) == (4, 3, 2)
    assert bo["backlog"] == 2
    assert body["total"]["offered"] == 2191


def test_csv_is_the_scorecard_with_a_total_line(report: ReportData) -> None:
    rows = list(csv.DictReader(io.StringIO(render(report, "csv").decode())))
    assert [r["queue"] for r in rows] == ["care", "helpdesk", "retention", "bo_care", "bo_helpdesk", "social", "total"]
    care = rows[0]
    assert care["offered"] == "2191"
    assert float(care["service_level"]) == pytest.approx(1470 / 2191)
    assert rows[1]["service_level"] == ""  # no calls: no ratio, not 0 %


def test_xlsx_has_a_sheet_per_table_with_every_row(report: ReportData) -> None:
    book = openpyxl.load_workbook(io.BytesIO(render(report, "xlsx", lang="en")), read_only=True)
    assert book.sheetnames == [
        "Cover", "Summary", "Scorecard", "Penalties", "Regulatory", "Daily", "Tickets by day", "Backlog", "Breaches",
        "Intervals", "Tickets",
    ]  # fmt: skip
    intervals = list(book["Intervals"].iter_rows(values_only=True))
    assert len(intervals) - 1 == len(report.intervals)  # header + every interval, quiet ones too
    header = intervals[0]
    offered = sum(row[header.index("Offered")] for row in intervals[1:])
    assert offered == 2191
    statement = list(book["Penalties"].iter_rows(values_only=True))
    assert any("Voice service credits" in str(row[0]) for row in statement[1:])


def test_html_works_offline_with_plotly_embedded_once(report: ReportData) -> None:
    html = render_html(report, lang="en", appendix=True).decode()
    assert html.count("Plotly.newPlot") == 6  # five voice charts and the back office
    assert "<script src=" not in html  # nothing fetched from a CDN
    assert html.count('<script type="text/javascript">/**') == 1  # the library, once
    assert len(html) > 3_000_000  # the library itself is inside
    for section in ("Scorecard", "Penalty and bonus statement", "Regulatory checks", "Breaches", "Appendix"):
        assert section in html
    assert "Calls answered within 20 s out of all calls offered" in html


@pytest.mark.browser
@pytest.mark.skipif(not shutil.which("chromium"), reason="needs Debian chromium for kaleido")
def test_pdf_has_the_static_charts(report: ReportData) -> None:
    svg = static_svg(daily_service_level(report))
    assert svg.lstrip().startswith(b"<svg")
    heat = static_svg(interval_heatmap(report)).decode()
    assert "colorbar" in heat and "80% meta" in heat  # the PDF's heatmap keeps its scale, named at the target
    pdf = render_pdf(report)
    assert pdf.startswith(b"%PDF-")
    assert pdf.rstrip().endswith(b"%%EOF")
    assert len(pdf) > 50_000  # charts drawn as vectors, not an empty layout
