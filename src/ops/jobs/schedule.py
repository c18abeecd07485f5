"""The APScheduler schedule: jobs kept in code, re-added at every start; they only enqueue."""

from __future__ import annotations

import logging
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ops.jobs.queue import JobQueue

# (job name, trigger kwargs for APScheduler's cron/interval) of the fixed platform jobs; each domain
# adds its own here. Per-contract schedules (report deliveries) are read from the contracts at start.
FIXED_JOBS: list[tuple[str, str, dict[str, Any]]] = [
    ("retry_report_sends", "interval", {"minutes": 1}),
    ("giveback_tickets", "interval", {"minutes": 1}),
    ("assign_waiting_tickets", "interval", {"minutes": 1}),
    ("sla_watch", "cron", {"minute": "*"}),
]


async def start_scheduler(sessionmaker: async_sessionmaker[AsyncSession], queue: JobQueue) -> AsyncIOScheduler:
    # APScheduler logs every job it adds and runs at INFO: once a minute per job is noise in the server log.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    scheduler = AsyncIOScheduler(timezone="UTC")
    for name, trigger, kwargs in FIXED_JOBS:
        scheduler.add_job(queue.enqueue, trigger, args=[name], id=name, replace_existing=True, **kwargs)
    from ops.reports.delivery import schedule_deliveries

    # Report deliveries come from the contract files; re-read every few minutes to follow contract loads.
    await schedule_deliveries(scheduler, sessionmaker, queue)
    scheduler.add_job(
        schedule_deliveries,
        "interval",
        minutes=5,
        args=[scheduler, sessionmaker, queue],
        id="schedule_deliveries",
        replace_existing=True,
    )
    scheduler.start()
    return scheduler
