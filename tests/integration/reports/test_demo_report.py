"""The demo month's report as the client receives it: a PDF short enough to forward (under 15 pages, the interval
appendix left to the XLSX unless asked for), in the contract's language."""

from __future__ import annotations

import asyncio
import shutil
from datetime import UTC, date, datetime
from typing import Any

import pytest

from ops.contracts.services import get_contract
from ops.demo.prepare import demo_tickets_and_agents, store_voice_history, store_voice_month
from ops.reports.rendering.formats import render_pdf
from ops.reports.services import sla_report
from ops.reports.summary import executive_summary
from tests.helpers import load_reference
from tests.unit.reports.rendering.pdf import page_count

pytestmark = [
    pytest.mark.browser,  # kaleido draws the charts with Debian's chromium
    pytest.mark.skipif(not shutil.which("chromium"), reason="needs Debian chromium for kaleido"),
]
NOW = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)  # the demo stores November 2026 and December up to yesterday


async def test_the_demo_months_pdf_is_under_15_pages_with_the_appendix_only_on_request(db: Any, live: Any) -> None:
    await load_reference(db)
    async with db.begin() as session:
        contract = await get_contract(session, code="reference", principal=None)
        stored = await store_voice_month(session, contract=contract, today=NOW.date(), seed=7)
        await store_voice_history(session, contract=contract, today=NOW.date(), seed=7)
        await demo_tickets_and_agents(session, contract=contract, now=NOW, seed=7)
    async with db() as session:
        data = await sla_report(
            session, code="reference", start=date(2026, 11, 1), end=date(2026, 11, 30), principal=None, cutoff=NOW
        )
    assert int(data.intervals["offered"].sum()) > 40_000  # a whole month of three voice queues
    assert len(data.breaches) > 0
    months = executive_summary(data).months  # May to October stored before the demo month: each has its figures
    assert [m.month for m in months] == [date(2026, m, 1) for m in range(5, 12)]
    assert all(m.offered and m.offered > 40_000 and m.service_level for m in months)
    pdf = await asyncio.to_thread(render_pdf, data)
    pages = page_count(pdf)
    assert pages < 15, f"{pages} pages"
    with_appendix = page_count(await asyncio.to_thread(render_pdf, data, appendix=True))
    assert with_appendix > pages + 10, (stored, with_appendix)  # the intervals with calls, 40-odd rows a page
