"""UTC datetime columns on SQLite: ops writes the very text SQLAlchemy's DATETIME writes (microseconds always), so
rows written before and after compare, sort and read back alike; a naive datetime is refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, insert, select, text
from sqlalchemy.dialects import sqlite
from sqlalchemy.exc import StatementError

from ops.db import UTCDateTime, make_engine

metadata = MetaData()
moments = Table("moments", metadata, Column("id", Integer, primary_key=True), Column("at", UTCDateTime()))
BRT = timezone(timedelta(hours=-3))


async def test_utc_datetimes_store_sqlalchemys_text_and_read_back_in_utc(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'at.sqlite3'}", pool=False)
    written = {
        1: datetime(2026, 3, 2, 8, 0, tzinfo=BRT),  # 11:00 UTC, no microseconds
        2: datetime(2026, 3, 2, 11, 0, 0, 5, tzinfo=UTC),
        3: datetime(999, 1, 2, 3, 4, 5, 123456, tzinfo=UTC),
        4: None,
    }
    formatter = sqlite.DATETIME().bind_processor(sqlite.dialect())
    try:
        async with engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
            await conn.execute(insert(moments), [{"id": i, "at": at} for i, at in written.items()])
            # A row as SQLAlchemy's own DATETIME wrote it (the text every older row holds).
            old = formatter(datetime(2026, 3, 2, 10, 59, 59, 999999))
            await conn.execute(text("INSERT INTO moments (id, at) VALUES (5, :at)"), {"at": old})
        async with engine.connect() as conn:
            stored = dict((await conn.execute(text("SELECT id, at FROM moments"))).tuples().all())
            back = dict((await conn.execute(select(moments.c.id, moments.c.at))).tuples().all())
            since = (
                await conn.execute(
                    select(moments.c.id)
                    .where(moments.c.at >= datetime(2026, 3, 2, 11, tzinfo=UTC))
                    .order_by(moments.c.at)
                )
            ).scalars()
            in_order = list(since)
    finally:
        await engine.dispose()
    for i, at in written.items():
        expected = None if at is None else formatter(at.astimezone(UTC).replace(tzinfo=None))
        assert stored[i] == expected, f"row {i}: {stored[i]!r}"
    assert stored[1] == "2026-03-02 11:00:00.000000"
    assert back[1] == datetime(2026, 3, 2, 11, tzinfo=UTC) and back[1].tzinfo is UTC
    assert back[3] == written[3] and back[4] is None
    assert back[5] == datetime(2026, 3, 2, 10, 59, 59, 999999, tzinfo=UTC)
    assert in_order == [1, 2], "text order is time order: the older row written by SQLAlchemy sorts before"


async def test_a_naive_datetime_is_refused(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'naive.sqlite3'}", pool=False)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
            with pytest.raises(StatementError, match="naive datetime given to a UTC column"):
                await conn.execute(insert(moments), {"id": 1, "at": datetime(2026, 3, 2, 11)})
    finally:
        await engine.dispose()
