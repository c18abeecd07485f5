"""The process's moving parts, built one way for the API, the CLI, the worker and the scheduler:
the database engine, the session factory, the job queue and the channels between processes."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from ops import bounds
from ops.channels import Channels, make_channels
from ops.config import Settings
from ops.db import make_engine, make_sessionmaker
from ops.jobs.queue import ArqQueue, InProcessQueue, JobQueue, wait_for_flushes


def quiet_http_client_logs() -> None:
    """httpx and httpcore log every request's full address at INFO: a delivery webhook's address may carry a
    secret, and secrets are never logged. Their warnings and errors still show."""
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)


@dataclass
class Runtime:
    settings: Settings
    engine: AsyncEngine
    queue: JobQueue
    sessionmaker: async_sessionmaker[AsyncSession]
    channels: Channels

    async def close(self) -> None:
        """Send the jobs committed so far, finish the in-process ones, close the pools."""
        try:
            await wait_for_flushes()
            await self.queue.close()
            await self.channels.close()
        finally:
            await self.engine.dispose()


def open_runtime(settings: Settings, *, pool: bool | None = None) -> Runtime:
    """Engine, job queue (arq when Redis is configured, else in-process) and sessions that carry the queue,
    so that jobs deferred in a transaction are sent after it commits."""
    bounds.set_window(bounds.Window(settings.input_earliest, settings.input_future_years))
    engine = make_engine(settings.database_url, pool=settings.database_pool if pool is None else pool)
    queue: JobQueue = ArqQueue(settings.redis_url) if settings.redis_url else InProcessQueue({})
    channels = make_channels(settings.redis_url)
    sessionmaker = make_sessionmaker(engine, queue, channels)
    if isinstance(queue, InProcessQueue):
        queue.ctx.update(sessionmaker=sessionmaker, settings=settings)
    return Runtime(settings=settings, engine=engine, queue=queue, sessionmaker=sessionmaker, channels=channels)
