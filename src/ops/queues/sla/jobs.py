"""The SLA watch job: a thin wrapper that runs `watch.watch_deadlines` in its own transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ops.db import utcnow
from ops.queues.sla.watch import watch_deadlines


async def sla_watch(ctx: dict[str, Any], now: str | None = None) -> dict[str, int]:
    """Every minute (ops.composition.SCHEDULE); the full sweep on the hour."""
    moment = datetime.fromisoformat(now) if now else utcnow()
    async with ctx["sessionmaker"].begin() as session:
        result = await watch_deadlines(session, now=moment, full=moment.minute == 0)
    return {"checked": result.checked, "breaches": result.breaches, "warnings": result.warnings}
