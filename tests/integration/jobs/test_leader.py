"""However many schedulers run on one database, one fires the schedule; another takes over when it stops or dies."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import select

from ops.db import make_engine, make_sessionmaker
from ops.jobs.leader import Lease
from ops.jobs.models import SchedulerLease
from ops.jobs.schedule import FixedJob, Schedule, start_scheduler

TICK = (FixedJob("tick", "interval", {"seconds": 0.1}),)


class Recorder:
    """A job queue that keeps what it was asked to run."""

    def __init__(self) -> None:
        self.names: list[str] = []

    async def enqueue(self, name: str, /, *, job_id: str | None = None, **kwargs: Any) -> None:
        self.names.append(name)

    async def close(self) -> None:
        pass


async def scheduler(url: str, holder: str) -> tuple[Schedule, Recorder]:
    # Each as a separate process would have it: its own engine and pool on the shared database.
    sessionmaker = make_sessionmaker(make_engine(url), None)
    queue = Recorder()
    lease = Lease(sessionmaker, seconds=2.0, renew_seconds=0.2, holder=holder)
    return await start_scheduler(sessionmaker, queue, fixed=TICK, lease=lease), queue


async def until(condition: Any, seconds: float = 5.0) -> None:
    for _ in range(int(seconds / 0.05)):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("timed out")


async def lease_holder(schedule: Schedule) -> str | None:
    """Whom the lease row names, read through `schedule`'s own engine (every scheduler sees the same row)."""
    async with schedule.lease.sessionmaker() as session:
        return await session.scalar(select(SchedulerLease.holder))


async def test_three_schedulers_fire_once_and_the_next_takes_over_from_a_stopped_one(database_url: str) -> None:
    first, fired_first = await scheduler(database_url, "api-1")
    second, fired_second = await scheduler(database_url, "api-2")
    third, fired_third = await scheduler(database_url, "api-3")
    try:
        await asyncio.sleep(1.0)
        assert len(fired_first.names) >= 5, "the first to start fires the schedule"
        assert fired_second.names == [] and fired_third.names == [], "the others wait"
        assert await lease_holder(first) == "api-1"

        await first.stop()  # a clean stop gives the lease up: one of the others fires at its next renewal
        await until(lambda: len(fired_second.names) + len(fired_third.names) >= 3, seconds=2.0)
        assert bool(fired_second.names) != bool(fired_third.names), "exactly one took over"
        assert await lease_holder(second) == ("api-2" if fired_second.names else "api-3"), "the one that fires holds it"
    finally:
        for schedule in (first, second, third):
            if schedule.scheduler.running:
                await schedule.stop()
            await schedule.lease.sessionmaker.kw["bind"].dispose()


async def test_a_scheduler_that_dies_is_replaced_once_its_lease_lapses(database_url: str) -> None:
    first, fired_first = await scheduler(database_url, "dies")
    second, fired_second = await scheduler(database_url, "survives")
    try:
        await until(lambda: len(fired_first.names) >= 2)
        first.scheduler.shutdown(wait=False)  # killed: no release, the row still names it until it lapses
        fired = len(fired_first.names)
        await asyncio.sleep(0.5)
        assert fired_second.names == [], "nobody fires while the dead one's lease runs"
        await until(lambda: len(fired_second.names) >= 2, seconds=5.0)
        assert len(fired_first.names) == fired
        assert await lease_holder(second) == "survives"
    finally:
        if second.scheduler.running:
            await second.stop()
        for schedule in (first, second):
            await schedule.lease.sessionmaker.kw["bind"].dispose()
