"""Shared fixtures: a migrated database per test on SQLite, and on PostgreSQL / Redis when CI sets them."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from litestar import Litestar
from litestar.testing import AsyncTestClient

from ops.config import Settings

FIXTURES = Path(__file__).parent / "fixtures"


def pytest_configure(config: pytest.Config) -> None:
    # What every process does at start: the composition root fills the registries (contract checks, jobs).
    from ops.composition import wire

    wire()


PG_URL = os.environ.get("OPS_TEST_DATABASE_URL")
REDIS_URL = os.environ.get("OPS_TEST_REDIS_URL")
PG_SKIP = "PostgreSQL not configured: set OPS_TEST_DATABASE_URL (CI does) to run this against it"
REDIS_SKIP = "Redis not configured: set OPS_TEST_REDIS_URL (CI does) to run this against it"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrate once, copy the file for each test: real migrations without paying for them every time."""
    from ops.migrate import upgrade

    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_migrated() -> str:
    """A clean public schema, then the real migrations (whatever an earlier run left behind)."""
    import asyncio

    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    from ops.migrate import upgrade

    assert PG_URL

    async def reset() -> None:
        engine = create_async_engine(PG_URL)
        async with engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
        await engine.dispose()

    asyncio.run(reset())
    upgrade(PG_URL)
    return PG_URL


def _truncate_pg(url: str) -> None:
    import asyncio

    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    from ops.composition import import_models
    from ops.db import Base

    import_models()

    async def go() -> None:
        engine = create_async_engine(url)
        async with engine.begin() as conn:
            names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
            await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        await engine.dispose()

    asyncio.run(go())


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "ops.sqlite3"
        shutil.copy(template, path)
        yield f"sqlite+aiosqlite:///{path}"
    else:
        if not PG_URL:
            pytest.skip(PG_SKIP)
        url: str = request.getfixturevalue("pg_migrated")
        _truncate_pg(url)
        yield url


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    """An SQLite-only database, for tests whose subject is not the backend (CLI, pages)."""
    path = tmp_path / "ops.sqlite3"
    shutil.copy(sqlite_template, path)
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture
def cli(sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    """The `ops` command line (invoke `ops.cli.main.main`) on its own SQLite database and report store."""
    from ops.config import get_settings

    monkeypatch.setenv("OPS_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("OPS_REPORTS_DIR", str(tmp_path / "reports"))
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


@pytest.fixture
def reference_cli(cli: CliRunner) -> CliRunner:
    """The command line with the reference contract loaded."""
    from ops.cli.main import main
    from tests.helpers import REFERENCE_CONTRACT

    assert cli.invoke(main, ["contract", "load", str(REFERENCE_CONTRACT)]).exit_code == 0
    return cli


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(database_url=database_url, reports_dir=tmp_path / "reports", scheduler="off", database_pool=False)


@pytest.fixture
def app(settings: Settings) -> Litestar:
    from ops.app import create_app

    return create_app(settings)


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(app=app) as c:
        yield c


@pytest.fixture
async def db(app: Litestar) -> AsyncIterator[Any]:
    """The app's sessionmaker, for arranging data and checking what was stored. Its pool is closed at the end
    (a test without the HTTP client runs no lifespan to do it)."""
    from ops.jobs.queue import wait_for_flushes
    from ops.queues.live.news import wait_for_news

    sessionmaker = app.state.sessionmaker
    yield sessionmaker
    await wait_for_flushes()
    await wait_for_news()  # a ticket's news still being read after its commit
    await sessionmaker.kw["bind"].dispose()
