"""SQLite shared by two processes (the server's jobs and a CLI command): WAL and a busy timeout make each wait
for the other's write instead of failing with "database is locked"."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from sqlalchemy import make_url, text

from ops.config import Settings
from ops.queues.sla.jobs import sla_watch
from ops.runtime import open_runtime
from tests.helpers import load_reference

HOLD_SECONDS = 2.0

# Another process writing: it takes the write lock, says so, holds it, then commits.
HOLDER = f"""
import asyncio, sys
from sqlalchemy import text
from ops.db import make_engine

async def main():
    engine = make_engine(sys.argv[1])
    async with engine.begin() as conn:
        await conn.execute(text("UPDATE contracts SET code = code"))
        print("locked", flush=True)
        await asyncio.sleep({HOLD_SECONDS})
    await engine.dispose()

asyncio.run(main())
"""


def _env(url: str, tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "OPS_DATABASE_URL": url, "OPS_REPORTS_DIR": str(tmp_path / "reports")}


def _hold_write_lock(url: str, tmp_path: Path) -> subprocess.Popen[str]:
    """Another process that holds the write lock for HOLD_SECONDS, once it has it."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, url], stdout=subprocess.PIPE, text=True, env=_env(url, tmp_path)
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    return holder


async def test_the_sla_job_waits_for_another_process_write_instead_of_failing(sqlite_url: str, tmp_path: Path) -> None:
    runtime = open_runtime(Settings(database_url=sqlite_url, reports_dir=tmp_path / "reports"))
    try:
        await load_reference(runtime.sessionmaker)
        async with runtime.sessionmaker() as session:
            mode = (await session.execute(text("PRAGMA journal_mode"))).scalar()
        assert mode == "wal"
        holder = _hold_write_lock(sqlite_url, tmp_path)
        try:
            began = time.monotonic()
            result: dict[str, Any] = await sla_watch({"sessionmaker": runtime.sessionmaker})
            waited = time.monotonic() - began
            assert holder.wait(timeout=30) == 0
        finally:
            holder.kill()
            holder.communicate()
        assert "checked" in result
        assert waited >= HOLD_SECONDS / 2  # it did meet the lock, and waited it out
    finally:
        await runtime.close()


def test_a_cli_command_waits_for_the_server_write_instead_of_failing(
    cli: CliRunner, sqlite_url: str, tmp_path: Path
) -> None:
    from ops.cli.main import main

    holder = _hold_write_lock(sqlite_url, tmp_path)  # the server's job, in its own process
    try:
        began = time.monotonic()
        result = cli.invoke(main, ["token", "create", "--role", "manager", "--name", "cli-while-locked"])
        waited = time.monotonic() - began
        assert result.exit_code == 0, result.output
        assert holder.wait(timeout=30) == 0
    finally:
        holder.kill()
        holder.communicate()
    assert waited >= HOLD_SECONDS / 2
    with sqlite3.connect(make_url(sqlite_url).database or "") as conn:
        assert conn.execute("SELECT name FROM api_tokens").fetchall() == [("cli-while-locked",)]
