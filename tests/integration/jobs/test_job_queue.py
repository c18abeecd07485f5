"""Jobs are sent only after their transaction commits, run in-process without Redis and through arq with it."""

from __future__ import annotations

import asyncio
import os
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from ops.composition import import_models
from ops.config import Settings
from ops.contracts.models import ContractChange
from ops.db import make_engine, make_sessionmaker
from ops.jobs.queue import ArqQueue, InProcessQueue, defer, wait_for_flushes
from ops.jobs.registry import JOBS, register_jobs
from tests.conftest import REDIS_SKIP
from tests.helpers import load_reference


async def record_note(ctx: dict[str, Any], *, contract_id: int, note: str) -> None:
    """A job with a visible effect: a row in the contract's change log."""
    async with ctx["sessionmaker"].begin() as session:
        session.add(ContractChange(contract_id=contract_id, changed_by="job", source=note, changes=[]))


register_jobs(record_note)


async def _notes(sessionmaker: Any) -> list[str]:
    async with sessionmaker() as session:
        rows = await session.execute(select(ContractChange.source).where(ContractChange.changed_by == "job"))
        return [r for (r,) in rows]


async def _setup(sqlite_url: str) -> tuple[Any, InProcessQueue, int]:
    import_models()
    engine = make_engine(sqlite_url)
    queue = InProcessQueue({})
    sessionmaker = make_sessionmaker(engine, queue)
    queue.ctx.update(sessionmaker=sessionmaker, settings=Settings(database_url=sqlite_url))
    await load_reference(sessionmaker)
    async with sessionmaker() as session:
        contract_id = (await session.execute(select(func.min(ContractChange.contract_id)))).scalar_one()
    return sessionmaker, queue, contract_id


async def test_job_runs_after_commit_and_never_after_rollback(sqlite_url: str) -> None:
    sessionmaker, queue, contract_id = await _setup(sqlite_url)

    async with sessionmaker.begin() as session:
        defer(session, "record_note", contract_id=contract_id, note="committed")
        await asyncio.sleep(0.05)
        assert await _notes(sessionmaker) == []  # not before the commit

    async def failing_request() -> None:
        async with sessionmaker.begin() as session:
            defer(session, "record_note", contract_id=contract_id, note="rolled back")
            raise RuntimeError("the request failed")

    with pytest.raises(RuntimeError):
        await failing_request()
    await wait_for_flushes()
    await queue.drain()
    assert await _notes(sessionmaker) == ["committed"]
    await sessionmaker.kw["bind"].dispose()


@pytest.mark.redis
async def test_jobs_go_through_arq_to_the_worker(tmp_path: Path, sqlite_url: str) -> None:
    redis_url = os.environ.get("OPS_TEST_REDIS_URL")
    if not redis_url:
        pytest.skip(REDIS_SKIP)
    from arq.worker import Worker
    from redis.asyncio import Redis

    queue_name = f"ops-test-{os.getpid()}"
    redis = Redis.from_url(redis_url)
    await redis.delete(queue_name)
    import_models()
    engine = make_engine(sqlite_url)
    arq = ArqQueue(redis_url)
    sessionmaker = make_sessionmaker(engine, arq)
    await load_reference(sessionmaker)
    async with sessionmaker() as session:
        contract_id = (await session.execute(select(func.min(ContractChange.contract_id)))).scalar_one()

    from arq import create_pool
    from arq.connections import RedisSettings

    arq.pool = await create_pool(RedisSettings.from_dsn(redis_url), default_queue_name=queue_name)
    job_id = f"note-{uuid.uuid4().hex}"  # arq remembers finished job ids: one per run
    async with sessionmaker.begin() as session:
        defer(session, "record_note", job_id=job_id, contract_id=contract_id, note="via arq")
        defer(session, "record_note", job_id=job_id, contract_id=contract_id, note="via arq, again")
    await wait_for_flushes()
    assert await _notes(sessionmaker) == []  # queued in Redis, not run here

    worker = Worker(
        functions=[JOBS["record_note"]],
        redis_pool=arq.pool,
        queue_name=queue_name,
        burst=True,
        poll_delay=0.05,
        ctx={"sessionmaker": sessionmaker},
        handle_signals=False,
    )
    await worker.main()
    assert await _notes(sessionmaker) == ["via arq"]  # the same job id ran once
    await redis.delete(queue_name)
    await redis.aclose()
    await arq.close()
    await engine.dispose()


@pytest.mark.redis
async def test_a_job_id_runs_again_once_its_last_run_finished(sqlite_url: str) -> None:
    # A job id means "one at a time" (a queue's push, a week's staffing plan): a result kept under
    # it would make arq drop every later enqueue of that id until the result expires.
    redis_url = os.environ.get("OPS_TEST_REDIS_URL")
    if not redis_url:
        pytest.skip(REDIS_SKIP)
    from arq import create_pool
    from arq.connections import RedisSettings
    from arq.worker import Worker
    from redis.asyncio import Redis

    from ops.jobs.worker import worker_settings
    from ops.runtime import open_runtime

    queue_name = f"ops-test-rerun-{os.getpid()}"
    import_models()
    engine = make_engine(sqlite_url)
    arq = ArqQueue(redis_url)
    sessionmaker = make_sessionmaker(engine, arq)
    await load_reference(sessionmaker)
    async with sessionmaker() as session:
        contract_id = (await session.execute(select(func.min(ContractChange.contract_id)))).scalar_one()
    arq.pool = await create_pool(RedisSettings.from_dsn(redis_url), default_queue_name=queue_name)
    job_id = f"note-{uuid.uuid4().hex}"
    for note in ("first run", "second run"):
        async with sessionmaker.begin() as session:
            defer(session, "record_note", job_id=job_id, contract_id=contract_id, note=note)
        await wait_for_flushes()
        worker = Worker(
            functions=[JOBS["record_note"]],
            redis_pool=arq.pool,
            queue_name=queue_name,
            burst=True,
            poll_delay=0.05,
            keep_result=worker_settings(Settings(redis_url=redis_url), JOBS, open_runtime).keep_result,  # type: ignore[attr-defined]
            ctx={"sessionmaker": sessionmaker},
            handle_signals=False,
        )
        await worker.main()
    assert sorted(await _notes(sessionmaker)) == ["first run", "second run"]
    redis = Redis.from_url(redis_url)
    await redis.delete(queue_name)
    await redis.aclose()
    await arq.close()
    await engine.dispose()
