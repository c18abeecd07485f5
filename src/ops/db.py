"""Database: declarative Base with a naming convention, engine and session factory."""

from __future__ import annotations

import json
import sqlite3
import time
from collections import deque
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import aiosqlite
import msgspec
from sqlalchemy import JSON, DateTime, FromClause, MetaData, Numeric, String, event, func, make_url, or_, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.ext.asyncio import AsyncSession as AsyncSession
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.pool import NullPool
from sqlalchemy.types import TypeDecorator

# Stable constraint names make Alembic migrations identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

JSONType = JSON().with_variant(JSONB(), "postgresql")


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on every backend (SQLite keeps no offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def bind_processor(self, dialect: Any) -> Any:
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)

        # SQLite stores the text of SQLAlchemy's DATETIME ("YYYY-MM-DD HH:MM:SS.ffffff", microseconds always, so that
        # text order is time order), written here by one C call instead of its Python formatting: every ticket
        # carries half a dozen of these.
        def process(value: datetime | None) -> str | None:
            naive = self.process_bind_param(value, dialect)
            return None if naive is None else naive.isoformat(" ", "microseconds")

        return process

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class ExactDecimal(TypeDecorator[Decimal]):
    """A Decimal kept exactly on every backend: NUMERIC(precision, scale) on PostgreSQL, its text on SQLite (whose
    NUMERIC is a binary float). Money and rates only: a float or a value with more decimals than the column
    keeps is refused, never rounded on the way in."""

    impl = Numeric
    cache_ok = True

    def __init__(self, precision: int = 16, scale: int = 2) -> None:
        super().__init__()
        self.precision, self.scale = precision, scale
        self.quantum = Decimal(1).scaleb(-scale)

    def load_dialect_impl(self, dialect: Any) -> Any:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(self.precision + 2))
        return dialect.type_descriptor(Numeric(self.precision, self.scale, asdecimal=True))

    def process_bind_param(self, value: Decimal | None, dialect: Any) -> Any:
        if value is None:
            return None
        if not isinstance(value, Decimal) or not value.is_finite():
            raise TypeError(f"an exact decimal column takes a finite Decimal, not {value!r}")
        exact = value.quantize(self.quantum)
        if exact != value:
            raise ValueError(f"{value} has more than {self.scale} decimals")
        return str(exact) if dialect.name == "sqlite" else exact

    def process_result_value(self, value: Any, dialect: Any) -> Decimal | None:
        return None if value is None else Decimal(str(value)).quantize(self.quantum)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


async def blocking_references(
    session: AsyncSession, targets: Sequence[tuple[FromClause, Sequence[int]]]
) -> dict[str, int]:
    """Rows of other tables whose foreign keys keep the rows `ids` of each target table from being deleted
    (RESTRICT or NO ACTION), counted once per row and grouped by table: what a refused deletion names.
    Read from the metadata, so the base needs to know no domain's tables."""
    counts: dict[str, int] = {}
    for other in Base.metadata.sorted_tables:
        conditions = [
            key.parent.in_(list(ids))
            for table, ids in targets
            if ids
            for key in other.foreign_keys
            if key.column.table is table and (key.ondelete or "NO ACTION").upper() in ("RESTRICT", "NO ACTION")
        ]
        if conditions:
            found = await session.scalar(select(func.count()).select_from(other).where(or_(*conditions)))
            if found:
                counts[other.name] = int(found)
    return counts


def describe_references(counts: dict[str, int]) -> str:
    """'12 tickets, 96 interval_stats': the rows a deletion would have orphaned, by table."""
    return ", ".join(f"{n} {table}" for table, n in sorted(counts.items()))


def utcnow() -> datetime:
    return datetime.now(UTC)


def rowcount(result: Any) -> int:
    """The rows a conditional UPDATE or DELETE touched (0 when the driver says nothing): who won a race."""
    return int(getattr(result, "rowcount", 0) or 0)


def _json_text(value: Any) -> str:
    return msgspec.json.encode(value).decode()


def _json_value(text: str | bytes) -> Any:
    try:
        return msgspec.json.decode(text)
    except msgspec.DecodeError:
        # A row the standard library wrote before (it wrote NaN and Infinity, which JSON has not): read as it was.
        return json.loads(text)


# JSON columns (a ticket's customer, a queue's routing, an agent's skills, an event's before and after) are written and
# read by msgspec: the standard library's encoder and decoder took about 7% of a bulk delivery and 4% of a next-ticket
# pull. The same JSON; non-ASCII text is stored as UTF-8 rather than as \u escapes, a non-finite float as null (the
# standard library wrote NaN, which PostgreSQL refused), a Decimal or a datetime as its string.
_JSON_CODEC: dict[str, Any] = {"json_serializer": _json_text, "json_deserializer": _json_value}


def make_engine(url: str, *, pool: bool = True) -> AsyncEngine:
    if url.startswith("sqlite"):
        # Every transaction takes SQLite's one writer lock at BEGIN (below), so a process gains nothing from
        # a second connection, and its waiters would poll in SQLite's busy handler (sleeps of up to 100 ms).
        # One connection per process: the pool queues them in arrival order instead; other processes (the
        # CLI, a worker) still meet the busy timeout.
        # Without `pool` (tests, the CLI's short-lived engines) SQLAlchemy's default pool of a few connections, so
        # an engine shared by two event loops (a test's and its test client's portal thread) seldom waits on it.
        database = make_url(url).database
        memory = database in (None, "", ":memory:") or "mode=memory" in url
        sized: dict[str, Any] = {}  # SQLAlchemy's default pool: an in-memory database lives in its connections
        if pool and not memory:
            sized = {"pool_size": 1, "max_overflow": 0, "pool_timeout": 60}
        engine = create_async_engine(url, connect_args={"timeout": 30}, module=_ONE_HOP_SQLITE, **sized, **_JSON_CODEC)
        _tune_sqlite(engine.sync_engine)
        return engine
    if not pool:
        return create_async_engine(url, poolclass=NullPool, **_JSON_CODEC)
    engine = create_async_engine(url, pool_size=20, max_overflow=20, **_JSON_CODEC)
    _ping_when_idle(engine.sync_engine)
    return engine


# A pooled connection is pinged before use only once it has lain idle this long. asyncpg's ping is three round
# trips (BEGIN, an empty query, ROLLBACK), as many as a whole next-ticket pull; a connection handed back a
# moment ago is alive, or its death shows on use, where the disconnect invalidates the whole pool.
PING_AFTER_IDLE_SECONDS = 1.0


def _ping_when_idle(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _connected(_dbapi_connection: Any, record: Any) -> None:
        record.info["ops_idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_connection: Any, record: Any) -> None:
        record.info["ops_idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        if time.monotonic() - record.info.get("ops_idle_since", 0.0) < PING_AFTER_IDLE_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:  # the pool replaces the connection and tries again
            raise DisconnectionError(str(exc)) from exc


def _tune_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # WAL lets readers proceed while one writer commits; foreign keys are off by default in SQLite.
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Take the write lock at BEGIN so two writers queue instead of failing on upgrade.
        conn.exec_driver_sql("BEGIN IMMEDIATE")


# --- SQLite under asyncio, one thread hop a statement ---------------------------------------------------------
# aiosqlite runs each call on the connection's own thread, and SQLAlchemy's adapter makes four calls a statement
# (cursor, execute, fetchall, close): four wake-ups of the event loop, ~0.1 ms each on a busy machine, while the
# one connection (and SQLite's writer lock) is held. The same work as one call on that thread, in the same order.


def _run_statement(
    conn: sqlite3.Connection, operation: str, parameters: Any, many: bool
) -> tuple[Any, list[Any] | None, int | None, int]:
    cursor = conn.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        if cursor.description:
            return cursor.description, cursor.fetchall(), -1, -1
        return None, None, cursor.lastrowid, cursor.rowcount
    finally:
        cursor.close()


class _OneHopCursor(AsyncAdapt_aiosqlite_cursor):
    __slots__ = ()

    def _run(self, operation: Any, parameters: Any, many: bool) -> None:
        try:
            description, rows, lastrowid, rowcount = self.await_(
                self._connection._execute(_run_statement, self._connection._conn, operation, parameters, many)
            )
        except Exception as error:
            self._adapt_connection._handle_exception(error)
        self.description = description
        self.lastrowid, self.rowcount = lastrowid, rowcount
        if rows is not None:
            self._rows = deque(rows)

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        self._run(operation, parameters, False)

    def executemany(self, operation: Any, seq_of_parameters: Any) -> Any:
        self._run(operation, seq_of_parameters, True)


class _OneHopConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()

    def cursor(self, server_side: bool = False) -> AsyncAdapt_aiosqlite_cursor:
        return super().cursor(server_side) if server_side else _OneHopCursor(self)


class _OneHopDBAPI(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *arg: Any, **kw: Any) -> AsyncAdapt_aiosqlite_connection:
        adapted = super().connect(*arg, **kw)
        if type(adapted) is not AsyncAdapt_aiosqlite_connection:
            return adapted  # the sync fallback of tests keeps SQLAlchemy's own
        return _OneHopConnection(self, adapted._connection)


_ONE_HOP_SQLITE = _OneHopDBAPI(aiosqlite, sqlite3)


def make_sessionmaker(
    engine: AsyncEngine, job_queue: object = None, channels: object = None
) -> async_sessionmaker[AsyncSession]:
    """Sessions carry the job queue so that jobs deferred in a transaction are sent after its commit, and the
    channels (ops.channels) on which the news of what it changed is published after it."""
    info = {"ops_job_queue": job_queue, "ops_engine": engine, "ops_channels": channels}
    return async_sessionmaker(engine, expire_on_commit=False, info=info)


async def statements_commit_alone(session: AsyncSession) -> None:
    """On PostgreSQL, run this session's statements in autocommit: for a request whose every write is one statement,
    atomic by itself (the next-ticket claim), it spares the BEGIN and COMMIT round trips. Call it before the session's
    first statement; on SQLite, whose writer lock is taken at BEGIN, the transaction stays."""
    bind = session.get_bind()
    if bind.dialect.name == "postgresql" and not session.in_transaction():
        await session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
