"""Sending the job outbox: right after a commit (that transaction's own rows), and by the relay, which the
scheduler runs every few seconds for rows left behind (a failed enqueue, a process killed between its commit
and the send). A row is deleted only once the queue has the job, so a committed job is sent at least once;
jobs are idempotent, so a second send changes nothing."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from ops.db import utcnow
from ops.jobs.models import OutboxJob
from ops.jobs.retry import RetryPolicy

log = logging.getLogger("ops.jobs")

GRACE = timedelta(seconds=30)  # a fresh row belongs to its own commit's sender; after this the relay takes it
LEASE = timedelta(seconds=120)  # the relay's claim on a row: a relay that died lets it go after this
RELAY_SECONDS = 10
RELAY_BATCH = 500
# A failed enqueue is tried again forever (the job's rows are committed): 5 s, 10 s... then every 5 minutes.
ENQUEUE_BACKOFF = RetryPolicy(max_tries=1_000_000, first_delay=5.0, max_delay=300.0)


@dataclass(frozen=True)
class Entry:
    id: int
    name: str
    job_id: str | None
    kwargs: dict[str, Any]
    attempts: int = 0


async def send_entries(engine: AsyncEngine, queue: Any, entries: Sequence[Entry]) -> int:
    """Hand each entry to the queue; delete those it took, keep the others (with their error and next attempt).
    An in-process queue holds nothing across a crash: its rows are deleted only once their job has run."""
    taken: list[int] = []
    failed: list[tuple[Entry, BaseException]] = []
    running: dict[int, asyncio.Task[bool]] = {}
    for entry in entries:
        try:
            handle = await queue.enqueue(entry.name, job_id=entry.job_id, **entry.kwargs)
        except Exception as exc:
            log.warning("could not enqueue job %s (%s), kept in the outbox: %r", entry.name, entry.job_id, exc)
            failed.append((entry, exc))
            continue
        if isinstance(handle, asyncio.Task):
            running[entry.id] = handle
        else:
            taken.append(entry.id)
    if running:
        await asyncio.wait(running.values())
        # A job left waiting for a retry by a stopping process keeps its row (with no next attempt: the relay takes
        # it once the grace period is over).
        taken += [entry_id for entry_id, task in running.items() if not task.cancelled() and task.result()]
    now = utcnow()
    async with engine.begin() as conn:
        if taken:
            await conn.execute(delete(OutboxJob).where(OutboxJob.id.in_(taken)))
        for entry, error in failed:
            await conn.execute(
                update(OutboxJob)
                .where(OutboxJob.id == entry.id)
                .values(
                    attempts=entry.attempts + 1,
                    next_attempt_at=now + timedelta(seconds=ENQUEUE_BACKOFF.delay(entry.attempts + 1)),
                    last_error=f"{type(error).__name__}: {error}"[:2000],
                )
            )
    return len(taken)


async def relay_outbox(
    sessionmaker: async_sessionmaker[AsyncSession], queue: Any, *, now: datetime | None = None
) -> int:
    """Claim the rows due (left by their sender, or due for another try) and send them; how many the queue took.
    Two relays never take the same row: the claim is a conditional update (and SKIP LOCKED on PostgreSQL)."""
    now = now or utcnow()
    async with sessionmaker.begin() as session:
        rows = list(
            (
                await session.execute(
                    select(OutboxJob)
                    .where(
                        or_(
                            (OutboxJob.next_attempt_at.is_(None)) & (OutboxJob.created_at <= now - GRACE),
                            OutboxJob.next_attempt_at <= now,
                        )
                    )
                    .order_by(OutboxJob.id)
                    .limit(RELAY_BATCH)
                    .with_for_update(skip_locked=True)
                )
            ).scalars()
        )
        entries = [Entry(r.id, r.name, r.job_id, dict(r.kwargs), r.attempts) for r in rows]
        if entries:
            await session.execute(
                update(OutboxJob).where(OutboxJob.id.in_([e.id for e in entries])).values(next_attempt_at=now + LEASE)
            )
    if not entries:
        return 0
    log.info("relaying %d job(s) from the outbox", len(entries))
    engine = sessionmaker.kw["bind"]
    return await send_entries(engine, queue, entries)
