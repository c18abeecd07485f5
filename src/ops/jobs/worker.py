"""Process entry points: the arq worker and the stand-alone scheduler."""

from __future__ import annotations

import asyncio
import signal
from typing import Any

from ops.config import get_settings
from ops.db import import_models, make_engine, make_sessionmaker
from ops.jobs.queue import ArqQueue
from ops.jobs.registry import load_jobs


def worker_settings(redis_url: str) -> type:
    """arq's WorkerSettings built from the job registry; ctx carries the sessionmaker and settings."""
    from arq.connections import RedisSettings

    settings = get_settings()

    async def startup(ctx: dict[str, Any]) -> None:
        import_models()
        engine = make_engine(settings.database_url)
        ctx["engine"] = engine
        ctx["job_queue"] = ArqQueue(redis_url)
        ctx["sessionmaker"] = make_sessionmaker(engine, ctx["job_queue"])
        ctx["settings"] = settings

    async def shutdown(ctx: dict[str, Any]) -> None:
        await ctx["job_queue"].close()
        await ctx["engine"].dispose()

    class WorkerSettings:
        functions = tuple(load_jobs().values())
        redis_settings = RedisSettings.from_dsn(redis_url)
        on_startup = startup
        on_shutdown = shutdown
        max_tries = 5
        # A job id means "one at a time", as in the in-process queue: arq refuses an id while a
        # result is kept under it, so a kept result would drop a queue's next push or a week's
        # recomputed staffing plan until it expired.
        keep_result = 0

    return WorkerSettings


def run_worker() -> None:
    from arq.worker import run_worker as arq_run

    url = get_settings().redis_url
    assert url is not None
    arq_run(worker_settings(url))


def run_scheduler() -> None:
    from ops.jobs.queue import InProcessQueue, JobQueue
    from ops.jobs.schedule import start_scheduler

    settings = get_settings()

    async def main() -> None:
        import_models()
        engine = make_engine(settings.database_url)
        queue: JobQueue = ArqQueue(settings.redis_url) if settings.redis_url else InProcessQueue({})
        sessionmaker = make_sessionmaker(engine, queue)
        if isinstance(queue, InProcessQueue):
            queue.ctx.update(sessionmaker=sessionmaker, settings=settings)
        scheduler = await start_scheduler(sessionmaker, queue)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        scheduler.shutdown(wait=False)
        await queue.close()
        await engine.dispose()

    asyncio.run(main())
