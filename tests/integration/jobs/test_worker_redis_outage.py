"""A real `ops worker` outlives a Redis outage: arq stops for good when Redis goes away, so the worker starts it
again until Redis is back, and runs the jobs sent after (no restart by hand, no `ops scale` brought down)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from ops.jobs.queue import ArqQueue
from tests.conftest import REDIS_SKIP, REDIS_URL
from tests.tcp_proxy import TcpProxy

OPS = [sys.executable, "-c", "from ops.cli.main import entrypoint; entrypoint()"]


def _seen(log: Path, text: str) -> int:
    return log.read_text().count(text) if log.exists() else 0


async def _wait_for(log: Path, text: str, *, seconds: float, count: int = 1) -> None:
    for _ in range(int(seconds * 10)):
        if _seen(log, text) >= count:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{text!r} never appeared {count} time(s) in the worker's log: see {log}")


@pytest.mark.redis
async def test_the_worker_survives_a_redis_outage_and_runs_the_jobs_sent_after(sqlite_url: str, tmp_path: Path) -> None:
    if not REDIS_URL:
        pytest.skip(REDIS_SKIP)
    from arq.connections import RedisSettings

    real = RedisSettings.from_dsn(REDIS_URL)
    proxy = TcpProxy(real.host if isinstance(real.host, str) else "127.0.0.1", real.port)
    port = proxy.start()
    via_proxy = f"redis://127.0.0.1:{port}/{real.database}"
    log = tmp_path / "worker.log"
    env = {**os.environ, "OPS_DATABASE_URL": sqlite_url, "OPS_REDIS_URL": via_proxy}
    with log.open("wb") as out:
        worker = subprocess.Popen([*OPS, "worker"], env=env, stdout=out, stderr=subprocess.STDOUT)  # noqa: ASYNC220
    try:
        await _wait_for(log, "Starting worker", seconds=60)
        proxy.cut()
        await _wait_for(log, "Redis cannot be reached", seconds=30)
        assert worker.poll() is None  # before: arq's ConnectionError ended the process
        proxy.start()
        await _wait_for(log, "Starting worker", seconds=60, count=2)
        queue = ArqQueue(via_proxy)
        await queue.enqueue("sla_watch", job_id=f"after-outage-{uuid.uuid4().hex}")
        await queue.close()
        await _wait_for(log, "sla_watch ●", seconds=30)
        assert worker.poll() is None
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
        proxy.close()
