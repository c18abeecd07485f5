"""One scheduler fires the schedule, however many run.

Every scheduler process (`ops scheduler`, or each API process with OPS_SCHEDULER=embedded, which `ops serve
--workers N` starts N of) keeps trying to hold one lease row in the database: it renews it every `renew_seconds`
while it holds it, and takes it only once the holder has let it lapse (`seconds` without a renewal) or released
it on a clean stop. The schedule's jobs go through `LeaderQueue`, which enqueues only while this process holds the
lease; the others stay ready to take over. The database is the one thing every process shares (SQLite's file on
one machine, PostgreSQL across machines), so this needs no Redis.

A holder counts its lease from just before it asked for it, by its own monotonic clock, so it stops firing before
any other process can believe the lease lapsed; the others compare the row's expiry with their wall clock, so
clocks apart by more than `seconds - renew_seconds` could overlap one renewal (the job ids and unique keys absorb
that, as they would a retry).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ops.db import rowcount, utcnow
from ops.jobs.models import SchedulerLease
from ops.jobs.queue import JobQueue

log = logging.getLogger("ops.jobs")

LEASE_SECONDS = 30.0
RENEW_SECONDS = 10.0


def process_name() -> str:
    """This process as a lease names it: host, pid and a random part (a pid is reused after a restart)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Lease:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        name: str = "schedule",
        seconds: float = LEASE_SECONDS,
        renew_seconds: float = RENEW_SECONDS,
        holder: str | None = None,
    ) -> None:
        if not 0 < renew_seconds < seconds:
            raise ValueError("a lease is renewed more often than it lasts")
        self.sessionmaker = sessionmaker
        self.name = name
        self.seconds = seconds
        self.renew_seconds = renew_seconds
        self.holder = holder or process_name()
        self._until = 0.0  # monotonic time until which this process may fire

    @property
    def held(self) -> bool:
        return time.monotonic() < self._until

    async def renew(self) -> bool:
        """Hold the lease for `seconds` more if it is ours or has lapsed; whether this process holds it now. A
        database out of reach keeps what was held until it runs out."""
        asked = time.monotonic()
        now = utcnow()
        expires = now + timedelta(seconds=self.seconds)
        was = self.held
        try:
            async with self.sessionmaker.begin() as session:
                taken = await session.execute(
                    update(SchedulerLease)
                    .where(
                        SchedulerLease.name == self.name,
                        or_(SchedulerLease.holder == self.holder, SchedulerLease.expires_at < now),
                    )
                    .values(holder=self.holder, expires_at=expires)
                    .execution_options(synchronize_session=False)
                )
                got = rowcount(taken) == 1
                if (
                    not got
                    and await session.scalar(select(SchedulerLease.name).where(SchedulerLease.name == self.name))
                    is None
                ):
                    session.add(SchedulerLease(name=self.name, holder=self.holder, expires_at=expires))
                    await session.flush()
                    got = True
        except IntegrityError:  # another process created the row first: it holds the lease
            got = False
        except (SQLAlchemyError, OSError) as exc:
            log.warning("the schedule's lease could not be renewed (%s); held: %s", type(exc).__name__, self.held)
            return self.held
        self._until = asked + self.seconds if got else 0.0
        if got != was:
            log.info("this process %s the schedule (%s)", "now fires" if got else "no longer fires", self.holder)
        return got

    async def release(self) -> None:
        """Give the lease up on a clean stop, so that another scheduler takes over at its next renewal."""
        if not self.held:
            return
        self._until = 0.0
        try:
            async with self.sessionmaker.begin() as session:
                await session.execute(
                    update(SchedulerLease)
                    .where(SchedulerLease.name == self.name, SchedulerLease.holder == self.holder)
                    .values(expires_at=utcnow())
                    .execution_options(synchronize_session=False)
                )
        except (SQLAlchemyError, OSError) as exc:  # it lapses by itself
            log.warning("the schedule's lease could not be released (%s)", type(exc).__name__)


class LeaderQueue:
    """The job queue as the schedule sees it: a job is enqueued only while this process holds the lease."""

    def __init__(self, queue: JobQueue, lease: Lease) -> None:
        self.queue = queue
        self.lease = lease

    async def enqueue(self, name: str, /, *, job_id: str | None = None, **kwargs: Any) -> asyncio.Task[bool] | None:
        if not self.lease.held:
            log.debug("job %s not enqueued: another process fires the schedule", name)
            return None
        return await self.queue.enqueue(name, job_id=job_id, **kwargs)

    async def close(self) -> None:
        await self.queue.close()
