"""The executive summary's months read from the database: the intervals stored for the month before the report's,
and the money of the report delivered for it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pandas as pd

from ops.config import Settings
from ops.reports.delivery.services import prepare_delivery
from ops.reports.services import sla_report
from ops.reports.summary import executive_summary
from tests.integration.reports.conftest import slice_intervals, store_intervals


async def test_the_month_before_comes_from_its_intervals_and_its_delivered_report(
    reference: Any, settings: Settings
) -> None:
    # February 1999 holds the Anonymous Bank slice (the `reference` fixture); March gets the same calls a month on.
    march = slice_intervals()
    march["interval_start"] = march["interval_start"] + pd.DateOffset(months=1)
    await store_intervals(reference, march, source="march")
    async with reference.begin() as session:
        await prepare_delivery(session, contract_code="reference", delivery="monthly", start=date(1999, 2, 1),
                               end=date(1999, 2, 28), settings=settings, formats=["csv"])  # fmt: skip
    async with reference() as session:
        data = await sla_report(
            session, code="reference", start=date(1999, 3, 1), end=date(1999, 3, 31), principal=None
        )
    summary = executive_summary(data)
    february, current = summary.previous, summary.current
    assert february is not None and february.month == date(1999, 2, 1)
    assert (february.offered, current.offered) == (2191, 2191)
    assert february.service_level == current.service_level == 1470 / 2191
    # February's statement: 12,150.00 + 3,645.00 of voice credits (test_tickets_and_penalties), as delivered.
    assert february.adjustment == Decimal("-15795.00") and february.penalties == Decimal("15795.00")
    assert [m.offered for m in summary.months[:5]] == [None] * 5  # September 1998 to January 1999: no data
