"""The APScheduler schedule: jobs kept in code, re-added at every start; they only enqueue.

What runs when comes from the composition root: fixed jobs by name and trigger, and schedule sources
(report deliveries read from the contracts) that add their own jobs and are re-read every few minutes. Every
scheduler process runs the schedule, but only the one holding the lease (ops.jobs.leader) enqueues its jobs."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ops.jobs.leader import LeaderQueue, Lease
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


@dataclass
class Schedule:
    """A running schedule and its lease: stopping it gives the lease up for another scheduler to take."""

    scheduler: AsyncIOScheduler
    lease: Lease

    async def stop(self) -> None:
        self.scheduler.shutdown(wait=False)
        await self.lease.release()


async def start_scheduler(
    sessionmaker: async_sessionmaker[AsyncSession],
    queue: JobQueue,
    *,
    fixed: Sequence[FixedJob],
    sources: Sequence[ScheduleSource] = (),
    lease: Lease | None = None,
) -> Schedule:
    # APScheduler logs every job it adds and runs at INFO: once a minute per job is noise in the server log.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    scheduler = AsyncIOScheduler(timezone="UTC")
    lease = lease or Lease(sessionmaker)
    await lease.renew()
    scheduler.add_job(
        lease.renew,
        "interval",
        seconds=lease.renew_seconds,
        id="lease",
        replace_existing=True,
        max_instances=1,
        coalesce=True,
    )
    fires = LeaderQueue(queue, lease)  # the schedule's jobs, enqueued by the lease's holder alone
    for item in fixed:
        scheduler.add_job(
            fires.enqueue, item.trigger, args=[item.name], id=item.name, replace_existing=True, **item.kwargs
        )
    for source in sources:
        # Contract loads change these schedules: read them now and again every few minutes.
        await source(scheduler, sessionmaker, fires)
        scheduler.add_job(
            source,
            "interval",
            minutes=SOURCE_REFRESH_MINUTES,
            args=[scheduler, sessionmaker, fires],
            id=f"source:{source.__module__}.{source.__qualname__}",
            replace_existing=True,
        )
    # Jobs left in the outbox (a failed enqueue, a process killed after its commit) are sent from here: directly,
    # not through the queue, since the queue may be what failed; by every scheduler (each claims rows SKIP LOCKED).
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
    return Schedule(scheduler, lease)
