"""Report jobs: render, store and send a delivery; retry failed sends. Thin wrappers over services.py and sending.py."""

from __future__ import annotations

from datetime import date
from typing import Any

from ops.reports.delivery.sending import send_due
from ops.reports.delivery.services import run_delivery


async def deliver_report(ctx: dict[str, Any], *, contract_code: str, delivery: str, start: str, end: str) -> None:
    """Idempotent: the stored reports and the sends are unique per contract, delivery and period."""
    await run_delivery(
        ctx["sessionmaker"],
        ctx["settings"],
        contract_code=contract_code,
        delivery=delivery,
        start=date.fromisoformat(start),
        end=date.fromisoformat(end),
    )


async def retry_report_sends(ctx: dict[str, Any]) -> None:
    """Send what failed before and is due for its next attempt (the schedule runs this every minute)."""
    await send_due(ctx["sessionmaker"], ctx["settings"])
