"""One JobQueue interface: an in-process adapter (no Redis) and an arq adapter; after-commit buffering."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Protocol

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from ops.jobs.registry import job_named

log = logging.getLogger("ops.jobs")


class JobQueue(Protocol):
    async def enqueue(self, name: str, /, *, job_id: str | None = None, **kwargs: Any) -> None: ...

    async def close(self) -> None: ...


class InProcessQueue:
    """Runs jobs as asyncio tasks in this process: the embedded default, with no Redis."""

    def __init__(self, ctx: dict[str, Any]) -> None:
        self.ctx = ctx
        self.tasks: set[asyncio.Task[Any]] = set()
        self.running: set[str] = set()

    async def enqueue(self, name: str, /, *, job_id: str | None = None, **kwargs: Any) -> None:
        func = job_named(name)
        if job_id is not None and job_id in self.running:
            return  # same dedup promise as arq: one job id runs once at a time
        if job_id is not None:
            self.running.add(job_id)

        async def run() -> None:
            try:
                await func(self.ctx, **kwargs)
            except Exception:
                log.exception("job %s failed", name)
            finally:
                if job_id is not None:
                    self.running.discard(job_id)

        task = asyncio.create_task(run(), name=f"job:{name}")
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def drain(self) -> None:
        """Wait for every job started so far (tests, shutdown)."""
        while self.tasks:
            await asyncio.gather(*list(self.tasks), return_exceptions=True)

    async def close(self) -> None:
        await self.drain()


class ArqQueue:
    """Sends jobs to Redis for `ops worker`; arq's job id makes a re-enqueue a no-op.
    Connects on first use so that building the app never needs Redis to be up."""

    def __init__(self, redis_url: str) -> None:
        self.redis_url = redis_url
        self.pool: Any = None

    async def enqueue(self, name: str, /, *, job_id: str | None = None, **kwargs: Any) -> None:
        if self.pool is None:
            from arq import create_pool
            from arq.connections import RedisSettings

            self.pool = await create_pool(RedisSettings.from_dsn(self.redis_url))
        await self.pool.enqueue_job(name, _job_id=job_id, **kwargs)

    async def close(self) -> None:
        if self.pool is not None:
            await self.pool.aclose()
            self.pool = None


# Jobs asked for inside a transaction wait in the session until it commits; a rollback drops them.
# The queue itself rides in session.info, set by the sessionmaker (see ops.db.make_sessionmaker).
PENDING_KEY = "ops_pending_jobs"
QUEUE_KEY = "ops_job_queue"
_flushes: set[asyncio.Task[None]] = set()


def defer(session: AsyncSession | Session, name: str, /, *, job_id: str | None = None, **kwargs: Any) -> None:
    """Ask for a job to run once the session's transaction commits (never before)."""
    session.info.setdefault(PENDING_KEY, []).append((name, job_id, kwargs))


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    pending = session.info.pop(PENDING_KEY, None)
    queue: JobQueue | None = session.info.get(QUEUE_KEY)
    if not pending:
        return
    if queue is None:
        log.warning("no job queue on this session: %d job(s) not sent", len(pending))
        return

    async def flush() -> None:
        for name, job_id, kwargs in pending:
            try:
                await queue.enqueue(name, job_id=job_id, **kwargs)
            except Exception:
                log.exception("could not enqueue job %s", name)

    task = asyncio.get_running_loop().create_task(flush())
    _flushes.add(task)
    task.add_done_callback(_flushes.discard)


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, _previous: Any) -> None:
    session.info.pop(PENDING_KEY, None)


async def wait_for_flushes() -> None:
    while _flushes:
        await asyncio.gather(*list(_flushes), return_exceptions=True)
