"""The APScheduler schedule: jobs kept in code, re-added at every start; they only enqueue.

What runs when comes from the composition root: fixed jobs by name and trigger, and schedule sources
(report deliveries read from the contracts) that add their own jobs and are re-read every few minutes."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ops.jobs.outbox import RELAY_SECONDS, relay_outbox
from ops.jobs.queue import JobQueue

# A source of per-contract schedules: (scheduler, sessionmaker, queue) -> adds or replaces its jobs.
ScheduleSource = Callable[[AsyncIOScheduler, async_sessionmaker[AsyncSession], JobQueue], Awaitable[Any]]
SOURCE_REFRESH_MINUTES = 5


@dataclass(frozen=True)
class FixedJob:
    name: str
    trigger: str  # APScheduler's "interval" or "cron"
    kwargs: dict[str, Any] = field(default_factory=dict)


async def start_scheduler(
    sessionmaker: async_sessionmaker[AsyncSession],
    queue: JobQueue,
    *,
    fixed: Sequence[FixedJob],
    sources: Sequence[ScheduleSource] = (),
) -> AsyncIOScheduler:
    # APScheduler logs every job it adds and runs at INFO: once a minute per job is noise in the server log.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    scheduler = AsyncIOScheduler(timezone="UTC")
    for item in fixed:
        scheduler.add_job(
            queue.enqueue, item.trigger, args=[item.name], id=item.name, replace_existing=True, **item.kwargs
        )
    for source in sources:
        # Contract loads change these schedules: read them now and again every few minutes.
        await source(scheduler, sessionmaker, queue)
        scheduler.add_job(
            source,
            "interval",
            minutes=SOURCE_REFRESH_MINUTES,
            args=[scheduler, sessionmaker, queue],
            id=f"source:{source.__module__}.{source.__qualname__}",
            replace_existing=True,
        )
    # Jobs left in the outbox (a failed enqueue, a process killed after its commit) are sent from here: directly,
    # not through the queue, since the queue may be what failed.
    scheduler.add_job(
        relay_outbox,
        "interval",
        seconds=RELAY_SECONDS,
        args=[sessionmaker, queue],
        id="relay_outbox",
        replace_existing=True,
        max_instances=1,
        coalesce=True,
        next_run_time=datetime.now(UTC),
    )
    scheduler.start()
    return scheduler
