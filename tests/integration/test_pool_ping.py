"""PostgreSQL's pooled connections are pinged before use only after lying idle: a connection the server dropped
meanwhile is replaced without the caller seeing it, and a busy pool pays no ping per request."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from ops import db
from tests.conftest import PG_SKIP, PG_URL

pytestmark = [pytest.mark.skipif(not PG_URL, reason=PG_SKIP), pytest.mark.postgres]


async def backend(engine: db.AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int((await conn.exec_driver_sql("SELECT pg_backend_pid()")).scalar_one())


async def kill(pid: int) -> None:
    assert PG_URL
    killer = create_async_engine(PG_URL, poolclass=NullPool)
    async with killer.connect() as conn:
        await conn.exec_driver_sql(f"SELECT pg_terminate_backend({pid})")
    await killer.dispose()


async def test_a_connection_dropped_while_idle_is_replaced_before_use(monkeypatch: pytest.MonkeyPatch) -> None:
    assert PG_URL
    monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 0.0)  # every checkout counts as idle
    engine = db.make_engine(PG_URL)
    try:
        first = await backend(engine)
        await kill(first)
        assert await backend(engine) != first  # no error: the ping found it dead, the pool connected anew
    finally:
        await engine.dispose()


async def test_a_connection_used_a_moment_ago_goes_out_unpinged(monkeypatch: pytest.MonkeyPatch) -> None:
    assert PG_URL
    monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 3600.0)
    engine = db.make_engine(PG_URL)
    pings: list[object] = []
    monkeypatch.setattr(engine.dialect, "do_ping", lambda connection: pings.append(connection) or True)
    try:
        first = await backend(engine)
        assert await backend(engine) == first
        assert pings == []
    finally:
        await engine.dispose()
