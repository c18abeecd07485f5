"""The job outbox: a job asked for in a transaction is a row of it; a failed enqueue (Redis down) or a process that
died between its commit and the send leaves the row, and the relay sends it later, once. The in-process queue
tries a failed job again, as the arq worker does."""

from __future__ import annotations

import os
import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from ops.composition import import_models
from ops.config import Settings
from ops.contracts.models import ContractChange
from ops.db import make_engine, make_sessionmaker, utcnow
from ops.errors import InvalidInputError
from ops.jobs.models import OutboxJob
from ops.jobs.outbox import GRACE, relay_outbox
from ops.jobs.queue import ArqQueue, InProcessQueue, defer, wait_for_flushes
from ops.jobs.registry import register_jobs
from ops.jobs.retry import RetryPolicy
from tests.conftest import REDIS_SKIP
from tests.helpers import load_reference
from tests.tcp_proxy import TcpProxy

FAST = RetryPolicy(max_tries=3, first_delay=0.01, max_delay=0.01)
calls: dict[str, int] = {}


async def outbox_note(ctx: dict[str, Any], *, contract_id: int, note: str, failures: int = 0) -> None:
    """Writes a row of the contract's change log; fails its first `failures` tries (a flaky dependency)."""
    calls[note] = calls.get(note, 0) + 1
    if calls[note] <= failures:
        raise ConnectionResetError(f"flaky dependency, try {calls[note]}")
    async with ctx["sessionmaker"].begin() as session:
        session.add(ContractChange(contract_id=contract_id, changed_by="outbox", source=note, changes=[]))


async def outbox_refused(ctx: dict[str, Any], *, note: str) -> None:
    calls[note] = calls.get(note, 0) + 1
    raise InvalidInputError("this job breaks a rule: retrying cannot help")


register_jobs(outbox_note, outbox_refused)


async def _notes(sessionmaker: Any) -> list[str]:
    async with sessionmaker() as session:
        rows = await session.execute(select(ContractChange.source).where(ContractChange.changed_by == "outbox"))
        return sorted(r for (r,) in rows)


async def _outbox(sessionmaker: Any) -> list[OutboxJob]:
    async with sessionmaker() as session:
        return list((await session.execute(select(OutboxJob).order_by(OutboxJob.id))).scalars())


async def _contract_id(sessionmaker: Any) -> int:
    async with sessionmaker() as session:
        found: int = (await session.execute(select(func.min(ContractChange.contract_id)))).scalar_one()
        return found


async def _in_process(url: str) -> tuple[Any, InProcessQueue, int]:
    import_models()
    queue = InProcessQueue({}, FAST)
    sessionmaker = make_sessionmaker(make_engine(url), queue)
    queue.ctx.update(sessionmaker=sessionmaker, settings=Settings(database_url=url))
    await load_reference(sessionmaker)
    return sessionmaker, queue, await _contract_id(sessionmaker)


async def test_a_job_is_a_row_of_its_transaction_deleted_once_it_ran(database_url: str) -> None:
    sessionmaker, queue, contract_id = await _in_process(database_url)
    async with sessionmaker.begin() as session:
        defer(session, "outbox_note", job_id="n1", contract_id=contract_id, note="kept")
        defer(session, "outbox_note", job_id="n1", contract_id=contract_id, note="kept")  # one job per id
        assert [r.name for r in await _outbox(sessionmaker)] == []  # not visible before the commit

    async def failing_request() -> None:
        async with sessionmaker.begin() as session:
            defer(session, "outbox_note", contract_id=contract_id, note="rolled back")
            raise RuntimeError("the request failed")

    with pytest.raises(RuntimeError):
        await failing_request()
    await wait_for_flushes()
    await queue.drain()
    assert await _notes(sessionmaker) == ["kept"]
    assert await _outbox(sessionmaker) == []
    await sessionmaker.kw["bind"].dispose()


async def test_the_rows_of_a_process_killed_after_its_commit_are_relayed_once(database_url: str) -> None:
    sessionmaker, queue, contract_id = await _in_process(database_url)
    # The process that committed died before sending: its sessions had no queue to send to.
    dead = make_sessionmaker(sessionmaker.kw["bind"], None)
    async with dead.begin() as session:
        defer(session, "outbox_note", job_id="orphan", contract_id=contract_id, note="orphan")
    await wait_for_flushes()
    assert [r.job_id for r in await _outbox(sessionmaker)] == ["orphan"]
    assert await relay_outbox(sessionmaker, queue) == 0  # too fresh: its own sender may still be at it
    later = utcnow() + GRACE + timedelta(seconds=1)
    assert await relay_outbox(sessionmaker, queue, now=later) == 1
    assert await relay_outbox(sessionmaker, queue, now=later + timedelta(hours=1)) == 0
    await queue.drain()
    assert await _notes(sessionmaker) == ["orphan"]
    assert await _outbox(sessionmaker) == []
    await sessionmaker.kw["bind"].dispose()


async def test_a_failed_enqueue_stays_in_the_outbox_and_the_relay_sends_it(sqlite_url: str) -> None:
    sessionmaker, queue, contract_id = await _in_process(sqlite_url)
    down = make_sessionmaker(sessionmaker.kw["bind"], ArqQueue("redis://127.0.0.1:1/0"))  # nothing listens there
    async with down.begin() as session:
        defer(session, "outbox_note", job_id="while-down", contract_id=contract_id, note="while down")
    await wait_for_flushes()
    [row] = await _outbox(sessionmaker)
    assert row.attempts == 1 and row.next_attempt_at is not None and "ConnectionError" in (row.last_error or "")
    assert await _notes(sessionmaker) == []
    assert await relay_outbox(sessionmaker, queue) == 0  # not before its next attempt
    assert await relay_outbox(sessionmaker, queue, now=row.next_attempt_at) == 1
    await queue.drain()
    assert await _notes(sessionmaker) == ["while down"]
    assert await _outbox(sessionmaker) == []
    await sessionmaker.kw["bind"].dispose()


async def test_the_in_process_queue_retries_a_failed_job_with_bounded_tries(sqlite_url: str) -> None:
    sessionmaker, queue, contract_id = await _in_process(sqlite_url)
    calls.clear()
    await queue.enqueue("outbox_note", contract_id=contract_id, note="flaky twice", failures=2)
    await queue.enqueue("outbox_note", contract_id=contract_id, note="always failing", failures=99)
    await queue.enqueue("outbox_refused", note="refused")
    await queue.drain()
    assert await _notes(sessionmaker) == ["flaky twice"]
    assert calls == {"flaky twice": 3, "always failing": FAST.max_tries, "refused": 1}
    await sessionmaker.kw["bind"].dispose()


@pytest.mark.redis
async def test_jobs_committed_while_redis_is_down_reach_the_worker_once_it_is_back(sqlite_url: str) -> None:
    redis_url = os.environ.get("OPS_TEST_REDIS_URL")
    if not redis_url:
        pytest.skip(REDIS_SKIP)
    from arq import create_pool
    from arq.connections import RedisSettings
    from arq.worker import Worker

    from ops.jobs.retry import arq_retrying

    real = RedisSettings.from_dsn(redis_url)
    proxy = TcpProxy(real.host if isinstance(real.host, str) else "127.0.0.1", real.port)
    port = proxy.start()
    queue_name = f"ops-test-outbox-{uuid.uuid4().hex}"
    sessionmaker, _, contract_id = await _in_process(sqlite_url)
    arq = ArqQueue(f"redis://127.0.0.1:{port}/{real.database}")
    arq.pool = await create_pool(
        RedisSettings(host="127.0.0.1", port=port, database=real.database, conn_retries=0),
        default_queue_name=queue_name,
    )
    via_arq = make_sessionmaker(sessionmaker.kw["bind"], arq)
    try:
        proxy.cut()  # Redis goes away
        async with via_arq.begin() as session:
            defer(session, "outbox_note", job_id=f"cut-{queue_name}", contract_id=contract_id, note="during the cut")
        await wait_for_flushes()
        [row] = await _outbox(sessionmaker)
        assert row.attempts == 1
        proxy.start()  # Redis is back on the same address
        assert row.next_attempt_at is not None
        assert await relay_outbox(via_arq, arq, now=row.next_attempt_at) == 1
        assert await _outbox(sessionmaker) == []
        calls.clear()
        worker = Worker(
            functions=[arq_retrying(outbox_note, FAST)],
            redis_pool=arq.pool,
            queue_name=queue_name,
            burst=True,
            poll_delay=0.05,
            keep_result=0,
            ctx={"sessionmaker": sessionmaker},
            handle_signals=False,
        )
        await worker.main()
        assert await _notes(sessionmaker) == ["during the cut"]
    finally:
        await arq.close()
        proxy.close()
        await sessionmaker.kw["bind"].dispose()


@pytest.mark.redis
async def test_the_arq_worker_retries_a_failed_job_as_the_in_process_queue_does(sqlite_url: str) -> None:
    redis_url = os.environ.get("OPS_TEST_REDIS_URL")
    if not redis_url:
        pytest.skip(REDIS_SKIP)
    from arq import create_pool
    from arq.connections import RedisSettings
    from arq.worker import Worker

    from ops.jobs.retry import arq_retrying

    queue_name = f"ops-test-retry-{uuid.uuid4().hex}"
    sessionmaker, _, contract_id = await _in_process(sqlite_url)
    pool = await create_pool(RedisSettings.from_dsn(redis_url), default_queue_name=queue_name)
    try:
        calls.clear()
        await pool.enqueue_job("outbox_note", contract_id=contract_id, note="flaky on arq", failures=2)
        await pool.enqueue_job("outbox_note", contract_id=contract_id, note="broken on arq", failures=99)
        worker = Worker(
            functions=[arq_retrying(outbox_note, FAST)],
            redis_pool=pool,
            queue_name=queue_name,
            burst=True,
            poll_delay=0.01,
            max_tries=FAST.max_tries,
            keep_result=0,
            ctx={"sessionmaker": sessionmaker},
            handle_signals=False,
        )
        await worker.main()
        assert await _notes(sessionmaker) == ["flaky on arq"]
        assert calls == {"flaky on arq": 3, "broken on arq": FAST.max_tries}
    finally:
        await pool.aclose()
        await sessionmaker.kw["bind"].dispose()


async def test_the_scheduler_relays_what_a_dead_process_left_in_the_outbox(sqlite_url: str) -> None:
    import asyncio

    from sqlalchemy import update

    from ops.jobs.schedule import start_scheduler

    sessionmaker, queue, contract_id = await _in_process(sqlite_url)
    dead = make_sessionmaker(sessionmaker.kw["bind"], None)
    async with dead.begin() as session:
        defer(session, "outbox_note", job_id="left", contract_id=contract_id, note="relayed by the scheduler")
    async with sessionmaker.begin() as session:  # the process died a while ago
        await session.execute(update(OutboxJob).values(created_at=utcnow() - 2 * GRACE))
    schedule = await start_scheduler(sessionmaker, queue, fixed=())
    try:
        for _ in range(100):
            await queue.drain()
            if await _notes(sessionmaker) and not await _outbox(sessionmaker):
                break
            await asyncio.sleep(0.05)
    finally:
        await schedule.stop()
    assert await _notes(sessionmaker) == ["relayed by the scheduler"]
    assert await _outbox(sessionmaker) == []
    await sessionmaker.kw["bind"].dispose()


async def test_a_job_waiting_for_its_retry_when_the_process_stops_is_left_for_the_relay(sqlite_url: str) -> None:
    import asyncio
    import time

    sessionmaker, fast, contract_id = await _in_process(sqlite_url)
    slow = InProcessQueue(dict(fast.ctx), RetryPolicy(max_tries=5, first_delay=60.0))
    stopping = make_sessionmaker(sessionmaker.kw["bind"], slow)
    calls.clear()
    async with stopping.begin() as session:
        defer(session, "outbox_note", job_id="stopped", contract_id=contract_id, note="after the restart", failures=1)
    for _ in range(200):
        if calls.get("after the restart"):
            break
        await asyncio.sleep(0.01)
    began = time.monotonic()
    await slow.close()  # the process stops: no waiting out the minute before the next try
    await wait_for_flushes()
    assert time.monotonic() - began < 5
    assert calls == {"after the restart": 1}
    assert [r.job_id for r in await _outbox(sessionmaker)] == ["stopped"]
    # The next process's relay runs it.
    assert await relay_outbox(sessionmaker, fast, now=utcnow() + GRACE + timedelta(seconds=1)) == 1
    assert await _notes(sessionmaker) == ["after the restart"]
    assert await _outbox(sessionmaker) == []
    await sessionmaker.kw["bind"].dispose()
