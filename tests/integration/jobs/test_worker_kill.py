"""A real `ops worker` (arq on Redis) killed with SIGKILL in the middle of a report delivery: the job runs again on
another worker once its lease expires, and the report goes out once (one send, one successful attempt, one
delivery at the receiver, which drops the copy of the interrupted post by its idempotency key)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from ops.config import Settings
from ops.jobs.queue import ArqQueue
from ops.reports.models import ReportSend, SendAttempt, StoredReport
from ops.runtime import open_runtime
from tests.conftest import REDIS_SKIP, REDIS_URL
from tests.helpers import REFERENCE_CONTRACT, load_reference
from tests.integration.reports.conftest import slice_intervals, store_intervals

OPS = str(Path(sys.executable).parent / "ops")
DAILY = '{name: daily, cron: "0 8 * * *", period: yesterday, formats: [pdf]}'
FAST_DAILY = '{name: daily, cron: "0 8 * * *", period: yesterday, formats: [csv, xlsx]}'
JOB_TIMEOUT = 15  # arq holds a killed worker's job this long plus 10 s, then another worker runs it


class Receiver:
    """A client's webhook endpoint: the first post arrives and hangs (the sender is killed meanwhile); later posts
    are answered, and a post whose Idempotency-Key was already processed is acknowledged but not processed again."""

    def __init__(self) -> None:
        self.arrived = threading.Event()
        self.release = threading.Event()
        self.keys: list[str] = []
        self.processed: list[str] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                key = self.headers.get("Idempotency-Key", "")
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                receiver.keys.append(key)
                if len(receiver.keys) == 1:
                    receiver.arrived.set()
                    receiver.release.wait(timeout=120)
                    return
                if key not in receiver.processed:
                    receiver.processed.append(key)
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    yield found
    found.close()


def _worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen([OPS, "worker"], env=env, stdout=out, stderr=subprocess.STDOUT)


async def _send_state(sessionmaker: Any) -> tuple[list[ReportSend], list[SendAttempt], list[StoredReport]]:
    async with sessionmaker() as session:
        sends = list((await session.execute(select(ReportSend))).scalars())
        attempts = list((await session.execute(select(SendAttempt).order_by(SendAttempt.id))).scalars())
        reports = list((await session.execute(select(StoredReport).order_by(StoredReport.format))).scalars())
    return sends, attempts, reports


@pytest.mark.redis
async def test_a_worker_killed_mid_send_is_replaced_and_the_report_goes_out_once(
    database_url: str, tmp_path: Path, receiver: Receiver
) -> None:
    if not REDIS_URL:
        pytest.skip(REDIS_SKIP)
    from redis.asyncio import Redis

    redis = Redis.from_url(REDIS_URL)
    await redis.flushdb()  # this test's own Redis db: no job of an earlier run may be picked up
    await redis.aclose()
    settings = Settings(database_url=database_url, reports_dir=tmp_path / "reports", database_pool=False)
    runtime = open_runtime(settings)
    text = REFERENCE_CONTRACT.read_text(encoding="utf-8").replace(DAILY, FAST_DAILY)
    text = text.replace("recipients: [sla-reports@cabonet.example]", f"webhook_url: {receiver.url}")
    await load_reference(runtime.sessionmaker, text=text)
    await store_intervals(runtime.sessionmaker, slice_intervals())

    env = {
        **os.environ,
        "OPS_DATABASE_URL": database_url,
        "OPS_REDIS_URL": REDIS_URL,
        "OPS_REPORTS_DIR": str(tmp_path / "reports"),
        "OPS_REPORT_WEBHOOK_SECRET": "kill-test-secret",
        "OPS_JOB_TIMEOUT_SECONDS": str(JOB_TIMEOUT),
        "OPS_SEND_LEASE_SECONDS": "3",
    }
    queue = ArqQueue(REDIS_URL)
    await queue.enqueue(
        "deliver_report",
        job_id=f"report:reference:daily:1999-02-14:{uuid.uuid4().hex}",
        contract_code="reference",
        delivery="daily",
        start="1999-02-14",
        end="1999-02-14",
    )
    await queue.close()
    first = _worker(env, tmp_path / "worker-1.log")
    second: subprocess.Popen[bytes] | None = None
    try:
        assert receiver.arrived.wait(timeout=90), (tmp_path / "worker-1.log").read_text()
        first.send_signal(signal.SIGKILL)  # mid-send: the post is out, no answer yet, nothing recorded
        assert first.wait(timeout=10) == -signal.SIGKILL
        sends, _, reports = await _send_state(runtime.sessionmaker)
        assert [s.status for s in sends] == ["sending"]
        assert [r.format for r in reports] == ["csv", "xlsx"]

        second = _worker(env, tmp_path / "worker-2.log")
        began = time.monotonic()
        while time.monotonic() - began < JOB_TIMEOUT + 60:
            sends, attempts, reports = await _send_state(runtime.sessionmaker)
            if sends and sends[0].status == "sent":
                break
            await asyncio.sleep(0.5)
        assert sends[0].status == "sent", (tmp_path / "worker-2.log").read_text()
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        await runtime.close()

    assert [r.format for r in reports] == ["csv", "xlsx"]  # stored once, not again by the second run
    assert [(a.ok, a.error is not None) for a in attempts] == [(False, True), (True, False)]
    assert "lease expired" in (attempts[0].error or "")
    assert len(receiver.keys) == 2 and len(set(receiver.keys)) == 1  # the same key both times
    assert receiver.processed == ["reference:daily:1999-02-14:1999-02-14"]
