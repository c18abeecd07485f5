"""Process entry points of the job side: the arq worker and the stand-alone scheduler."""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ops.config import Settings
from ops.jobs.registry import JobFunc
from ops.jobs.retry import DEFAULT_POLICY, arq_retrying
from ops.jobs.schedule import FixedJob, ScheduleSource, start_scheduler
from ops.runtime import Runtime, quiet_http_client_logs

log = logging.getLogger("ops.jobs")


def worker_settings(
    settings: Settings, jobs: Mapping[str, JobFunc], open_runtime: Callable[[Settings], Runtime]
) -> type:
    """arq's WorkerSettings for these jobs; ctx carries the sessionmaker and settings, like the in-process queue's."""
    from arq.connections import RedisSettings

    if settings.redis_url is None:
        raise ValueError("the arq worker needs OPS_REDIS_URL")
    redis_url: str = settings.redis_url

    async def startup(ctx: dict[str, Any]) -> None:
        runtime = open_runtime(settings)
        ctx.update(runtime=runtime, sessionmaker=runtime.sessionmaker, settings=settings, job_queue=runtime.queue)

    async def shutdown(ctx: dict[str, Any]) -> None:
        await ctx["runtime"].close()

    class WorkerSettings:
        # arq retries only on its Retry: each job's exception becomes one, with the in-process queue's policy.
        functions = tuple(arq_retrying(func, DEFAULT_POLICY) for func in jobs.values())
        redis_settings = RedisSettings.from_dsn(redis_url)
        on_startup = startup
        on_shutdown = shutdown
        max_tries = DEFAULT_POLICY.max_tries
        # A job's lease: a worker killed mid-job holds its in-progress key this long plus 10 s, then another
        # worker runs the job again (jobs are idempotent).
        job_timeout = settings.job_timeout_seconds
        # A job id means "one at a time", as in the in-process queue: arq refuses an id while a
        # result is kept under it, so a kept result would drop a queue's next push or a week's
        # recomputed staffing plan until it expired.
        keep_result = 0

    return WorkerSettings


LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


REDIS_BACKOFF_SECONDS = (1, 2, 5, 10, 30)


def run_worker(settings_class: type) -> None:
    """Run arq's worker until SIGINT or SIGTERM. arq stops for good when Redis goes away: it is started again
    (after 1, 2, 5, 10, then every 30 s) so that a Redis restart does not need every worker restarted by hand;
    a job it was running is run again by arq once its lease expires."""
    from arq.worker import run_worker as arq_run
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    # Every job started, finished, retried or failed (with its traceback) goes to the worker's output.
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    quiet_http_client_logs()
    failures = 0
    while True:
        began = time.monotonic()
        try:
            arq_run(settings_class)
            return  # stopped by a signal
        except (RedisConnectionError, RedisTimeoutError, ConnectionError) as exc:
            failures = 0 if time.monotonic() - began > 60 else failures + 1
            delay = REDIS_BACKOFF_SECONDS[min(failures, len(REDIS_BACKOFF_SECONDS) - 1)]
            log.warning("Redis cannot be reached (%s): the worker starts again in %d s", exc, delay)
            time.sleep(delay)


def run_scheduler(runtime: Runtime, *, fixed: Sequence[FixedJob], sources: Sequence[ScheduleSource]) -> None:
    """Run the schedule until SIGINT or SIGTERM (scaled-out mode: one of these runs; a second one would wait for
    the lease, ops.jobs.leader)."""

    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    quiet_http_client_logs()

    async def main() -> None:
        schedule = await start_scheduler(runtime.sessionmaker, runtime.queue, fixed=fixed, sources=sources)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        await schedule.stop()
        await runtime.close()

    asyncio.run(main())
