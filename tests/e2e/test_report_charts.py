"""In a real browser: the offline HTML report draws every chart from its one plotly.js form, with the report's
template and the volume chart's interval times on a date axis, without the network."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ops.reports.rendering.formats import render_html
from tests.unit.reports.rendering.test_charts import sample_report

pytestmark = pytest.mark.browser


def test_the_offline_report_draws_each_chart(browser: Any, tmp_path: Path) -> None:
    page_file = tmp_path / "report.html"
    page_file.write_bytes(render_html(sample_report(), lang="en"))
    page = browser.new_page()
    page.route("http*://**", lambda route: route.abort())  # offline: nothing may be fetched
    page.goto(page_file.as_uri())
    keys = ["service_level", "abandonment", "heatmap", "volume", "aht_asa", "back_office"]
    for key in keys:
        page.wait_for_selector(f"#chart-{key} .main-svg")
    drawn = page.evaluate(
        """keys => keys.map(k => {
            const gd = document.getElementById('chart-' + k);
            return [gd._fullLayout.plot_bgcolor, gd._fullLayout.xaxis.type, gd.data.length];
        })""",
        keys,
    )
    assert [bg for bg, _, _ in drawn] == ["white"] * len(keys)  # plotly_white, as each figure had it
    axes = dict(zip(keys, (axis for _, axis, _ in drawn), strict=True))
    assert axes["volume"] == "date" and axes["service_level"] == "date"
    assert axes["heatmap"] == "category"
    assert all(traces > 0 for _, _, traces in drawn)
