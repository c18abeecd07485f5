"""One JobQueue interface: an in-process adapter (no Redis) and an arq adapter; jobs deferred to an outbox row of
the transaction and sent after its commit."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Protocol

from sqlalchemy import event, inspect
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import Session

from ops.db import utcnow
from ops.jobs.models import OutboxJob
from ops.jobs.outbox import Entry, send_entries
from ops.jobs.registry import job_named
from ops.jobs.retry import DEFAULT_POLICY, RetryPolicy

log = logging.getLogger("ops.jobs")


class JobQueue(Protocol):
    async def enqueue(self, name: str, /, *, job_id: str | None = None, **kwargs: Any) -> asyncio.Task[bool] | None:
        """Hand the job over; an in-process queue answers the task that runs it (True once the job is finished)."""
        ...

    async def close(self) -> None: ...


class InProcessQueue:
    """Runs jobs as asyncio tasks in this process: the embedded default, with no Redis. A failed job is tried again
    as the arq worker does (bounded tries, growing delay). Each task answers whether the job is finished (run, or
    failed for good): one still waiting for a retry when the process stops answers False, and its outbox row is
    kept for the relay instead of holding the process up for minutes."""

    def __init__(self, ctx: dict[str, Any], policy: RetryPolicy = DEFAULT_POLICY) -> None:
        self.ctx = ctx
        self.policy = policy
        self.tasks: set[asyncio.Task[bool]] = set()
        self.running: set[str] = set()
        self.waiting: set[asyncio.Task[Any]] = set()
        self.stopping = False

    async def enqueue(self, name: str, /, *, job_id: str | None = None, **kwargs: Any) -> asyncio.Task[bool] | None:
        func = job_named(name)
        if job_id is not None and job_id in self.running:
            return None  # same dedup promise as arq: one job id runs once at a time
        if job_id is not None:
            self.running.add(job_id)

        async def run() -> bool:
            try:
                for attempt in range(1, self.policy.max_tries + 1):
                    try:
                        await func({**self.ctx, "job_try": attempt}, **kwargs)
                        return True
                    except Exception as exc:
                        if not self.policy.retries(exc, attempt):
                            log.exception("job %s failed (try %d, not retried)", name, attempt)
                            return True
                        delay = self.policy.delay(attempt)
                        log.warning("job %s failed (try %d), again in %.0f s: %r", name, attempt, delay, exc)
                        if not await self._wait_to_retry(delay):
                            log.warning("job %s left for the outbox's relay: this process is stopping", name)
                            return False
                return True
            finally:
                if job_id is not None:
                    self.running.discard(job_id)

        task = asyncio.create_task(run(), name=f"job:{name}")
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    async def _wait_to_retry(self, delay: float) -> bool:
        """Sleep until the next try; False when the process stops meanwhile (close() cancels the sleep)."""
        if self.stopping:
            return False
        me = asyncio.current_task()
        assert me is not None
        self.waiting.add(me)
        try:
            await asyncio.sleep(delay)
        except asyncio.CancelledError:
            if self.stopping:
                return False
            raise
        finally:
            self.waiting.discard(me)
        return True

    async def drain(self) -> None:
        """Wait for every job started so far (tests, shutdown)."""
        while self.tasks:
            await asyncio.gather(*list(self.tasks), return_exceptions=True)

    async def close(self) -> None:
        """Let the running tries finish; a job waiting to be tried again stops waiting and stays in the outbox."""
        self.stopping = True
        for task in list(self.waiting):
            task.cancel()
        await self.drain()


class ArqQueue:
    """Sends jobs to Redis for `ops worker`; arq's job id makes a re-enqueue a no-op.
    Connects on first use so that building the app never needs Redis to be up."""

    def __init__(self, redis_url: str) -> None:
        self.redis_url = redis_url
        self.pool: Any = None

    async def enqueue(self, name: str, /, *, job_id: str | None = None, **kwargs: Any) -> asyncio.Task[bool] | None:
        if self.pool is None:
            from arq import create_pool
            from arq.connections import RedisSettings

            self.pool = await create_pool(RedisSettings.from_dsn(self.redis_url))
        await self.pool.enqueue_job(name, _job_id=job_id, **kwargs)
        return None

    async def close(self) -> None:
        if self.pool is not None:
            await self.pool.aclose()
            self.pool = None


# Jobs asked for inside a transaction are outbox rows of it (ops.jobs.models.OutboxJob), also listed in the session
# until it commits; then they are sent and their rows deleted. A rollback drops both; a failed send keeps the row
# for the relay. The queue and the engine ride in session.info, set by the sessionmaker (ops.db.make_sessionmaker).
PENDING_KEY = "ops_pending_jobs"
QUEUE_KEY = "ops_job_queue"
ENGINE_KEY = "ops_engine"
_flushes: set[asyncio.Task[Any]] = set()


def defer(session: AsyncSession | Session, name: str, /, *, job_id: str | None = None, **kwargs: Any) -> None:
    """Ask for a job to run once the session's transaction commits (never before, never lost after)."""
    pending: list[OutboxJob] = session.info.setdefault(PENDING_KEY, [])
    if job_id is not None and any(
        row.name == name and row.job_id == job_id and (inspect(row).pending or inspect(row).persistent)
        for row in pending
    ):
        return  # asked twice in one transaction: one job (arq would drop the second anyway)
    row = OutboxJob(name=name, job_id=job_id, kwargs=kwargs, created_at=utcnow(), attempts=0)
    session.add(row)
    pending.append(row)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    pending: list[OutboxJob] | None = session.info.pop(PENDING_KEY, None)
    if not pending:
        return
    # A row added in a savepoint that was rolled back is no longer in the database: its job is not sent.
    entries = [Entry(r.id, r.name, r.job_id, dict(r.kwargs)) for r in pending if inspect(r).persistent]
    queue: JobQueue | None = session.info.get(QUEUE_KEY)
    engine: AsyncEngine | None = session.info.get(ENGINE_KEY)
    if not entries or queue is None or engine is None:
        return  # the rows wait in the outbox for the relay

    async def flush() -> None:
        try:
            await send_entries(engine, queue, entries)
        except Exception:  # the rows stay in the outbox: the relay sends them
            log.exception("could not send %d job(s) after commit; the outbox keeps them", len(entries))

    task = asyncio.get_running_loop().create_task(flush())
    _flushes.add(task)
    task.add_done_callback(_flushes.discard)


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, _previous: Any) -> None:
    session.info.pop(PENDING_KEY, None)


async def wait_for_flushes(other_loops_seconds: float = 10.0) -> None:
    """Wait for the after-commit sends (and the in-process jobs they wait on). Those of another event loop (a test
    client's) cannot be awaited from this one: they are polled for a while."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + other_loops_seconds
    while _flushes:
        mine = [task for task in _flushes if task.get_loop() is loop]
        if mine:
            await asyncio.gather(*mine, return_exceptions=True)
        elif loop.time() < deadline:
            await asyncio.sleep(0.01)
        else:
            return
