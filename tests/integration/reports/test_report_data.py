"""The SLA report computed from the database: the Anonymous Bank worked example."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from ops.reports.report import report_json
from ops.reports.services import sla_report


async def test_anonymous_bank_slice_gives_the_counts_and_ratios_of_the_log(reference: Any) -> None:
    async with reference() as session:
        data = await sla_report(
            session,
            code="reference",
            start=date(1999, 2, 1),
            end=date(1999, 2, 28),
            principal=None,
            cutoff=datetime(1999, 3, 1, 12, tzinfo=UTC),
        )
    body = report_json(data)
    care = next(q for q in body["queues"] if q["queue"] == "care")
    # 12-14 Feb 1999 of the real log, counted by hand from the CSV (see tests/fixtures/README.md).
    assert (care["offered"], care["answered"], care["answered_within"], care["abandoned"]) == (2191, 1966, 1470, 225)
    assert care["service_level"] == pytest.approx(1470 / 2191)
    assert care["asa"] == pytest.approx(45335 / 1966)
    assert care["aht"] == pytest.approx(303506 / 1966)
    assert care["abandon_rate"] == pytest.approx(225 / 2191)
    assert body["service_level"]["formula"] == "offered"
    assert body["service_level"]["threshold_seconds"] == 20
    assert body["total"]["offered"] == 2191
