"""The APScheduler schedule: jobs kept in code, re-added at every start; they only enqueue."""

from __future__ import annotations

from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ops.jobs.queue import JobQueue

# (job name, trigger kwargs for APScheduler's cron/interval) of the fixed platform jobs; each domain
# adds its own here. Per-contract schedules (report deliveries) are read from the contracts at start.
FIXED_JOBS: list[tuple[str, str, dict[str, Any]]] = [
    ("sla_watch", "cron", {"minute": "*"}),
    ("giveback_tickets", "interval", {"minutes": 1}),
    ("assign_waiting_tickets", "interval", {"minutes": 1}),
]


async def start_scheduler(
    sessionmaker: async_sessionmaker[AsyncSession], queue: JobQueue
) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone="UTC")
    for name, trigger, kwargs in FIXED_JOBS:
        scheduler.add_job(queue.enqueue, trigger, args=[name], id=name, replace_existing=True, **kwargs)
    scheduler.start()
    return scheduler
