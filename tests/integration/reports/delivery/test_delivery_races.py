"""Two runs of one delivery at the same instant (the scheduled job and `ops report deliver`, two workers): one set of
stored reports, one send, the report e-mailed once, and neither run fails on the unique keys."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

from sqlalchemy import select

from ops.config import Settings
from ops.reports.delivery.services import run_delivery
from ops.reports.models import ReportSend, StoredReport
from tests.helpers import REFERENCE_CONTRACT, load_reference
from tests.integration.reports.conftest import Inbox, slice_intervals, store_intervals

DAILY = '{name: daily, cron: "0 8 * * *", period: yesterday, formats: [pdf]}'
FAST_DAILY = '{name: daily, cron: "0 8 * * *", period: yesterday, formats: [csv, xlsx]}'


async def test_two_simultaneous_runs_of_a_delivery_store_and_send_it_once(
    db: Any, live: Any, settings: Settings, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    # The test's SMTP server speaks in clear: it stands for the trusted local relay.
    settings = settings.model_copy(
        update={"smtp_host": "127.0.0.1", "smtp_port": port, "smtp_plain_relay": "127.0.0.1"}
    )
    await load_reference(db, text=REFERENCE_CONTRACT.read_text(encoding="utf-8").replace(DAILY, FAST_DAILY))
    await store_intervals(db, slice_intervals())

    runs = await asyncio.gather(
        *(
            run_delivery(db, settings, contract_code="reference", delivery="daily", today=date(1999, 2, 15))
            for _ in range(3)
        )
    )

    assert sorted(channel for run in runs for channel in run["sent_now"]) == ["email"]
    assert len(inbox.messages) == 1
    async with db() as session:
        stored = list((await session.execute(select(StoredReport.format).order_by(StoredReport.format))).scalars())
        sends = list((await session.execute(select(ReportSend.status))).scalars())
    assert stored == ["csv", "xlsx"]
    assert sends == ["sent"]
