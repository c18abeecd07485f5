"""How long a ticket's news takes to reach another reader's page: an agent pulls tickets (POST /work/next) on one
API process while a supervisor's page listens to /work/events on another (PostgreSQL and Redis), or on the same
process (SQLite, no Redis). The latency is from sending the pull to the `assigned` event arriving on the stream:
the pull's request, its commit, the publication and the stream's delivery.

Run: uv run python benchmarks/bench_live.py [--pulls 30] [--pg URL --redis URL]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import select

from ops.auth import issue_token
from ops.composition import import_models, wire
from ops.contracts.document import parse_contract
from ops.contracts.models import Queue
from ops.contracts.services import load_contract
from ops.db import make_engine, make_sessionmaker
from ops.migrate import upgrade
from ops.queues.assignment.agents import create_agent, set_status
from ops.queues.models import Ticket
from ops.sessions import CSRF_HEADER, SESSION_COOKIE, csrf_token

ROOT = Path(__file__).resolve().parents[1]
CONTRACT = ROOT / "examples" / "reference-contract.yaml"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def serve(database_url: str, redis_url: str | None, workdir: Path, name: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {**os.environ, "OPS_DATABASE_URL": database_url, "OPS_SCHEDULER": "off", "PYTHONPATH": str(ROOT / "src")}
    env.pop("OPS_REDIS_URL", None)
    if redis_url:
        env["OPS_REDIS_URL"] = redis_url
    log = (workdir / f"{name}.log").open("wb")
    args = [sys.executable, "-m", "uvicorn", "ops.app:create_app", "--factory", "--port", str(port)]
    server = subprocess.Popen(args, env=env, cwd=workdir, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            with urllib.request.urlopen(f"{url}/health/live", timeout=1):  # noqa: S310 - local
                return server, url
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{name} did not start")


async def seed(database_url: str, pulls: int) -> tuple[str, str]:
    engine = make_engine(database_url, pool=False)
    db = make_sessionmaker(engine)
    now = datetime.now(UTC)
    async with db.begin() as session:
        await load_contract(session, contract=parse_contract(CONTRACT.read_bytes()), source="bench", actor="bench")
        agent, agent_token = await create_agent(
            session, contract_code="reference", name="Ana", skills={"bo_care": 1}, capacity=pulls + 1
        )
        await set_status(session, agent_id=agent.id, status="busy")  # pull only: nothing is pushed
        boss = await issue_token(session, name="Carla", role="supervisor", contract_id=agent.contract_id)
    async with db.begin() as session:
        queue = (
            await session.execute(select(Queue).where(Queue.contract_id == agent.contract_id, Queue.code == "bo_care"))
        ).scalar_one()
        for i in range(pulls):
            session.add(
                Ticket(
                    contract_id=agent.contract_id,
                    queue_id=queue.id,
                    source="crm",
                    external_id=f"B-{i}",
                    protocol=f"B{i:011d}",
                    channel="email",
                    subject="Fatura",
                    body="",
                    customer={},
                    created_at=now - timedelta(minutes=5),
                    received_at=now - timedelta(minutes=5),
                    classification={},
                    checklist=[],
                    fields={},
                    raw={},
                )
            )
    await engine.dispose()
    return agent_token, boss


async def signed_in(url: str, secret: str) -> httpx.AsyncClient:
    client = httpx.AsyncClient(base_url=url, timeout=30)
    answer = await client.post("/login", data={"token": secret}, follow_redirects=False)
    client.headers[CSRF_HEADER] = csrf_token(answer.cookies[SESSION_COOKIE])
    return client


async def measure(one: str, two: str, agent_token: str, boss_token: str, pulls: int) -> list[float]:
    boss, agent = await signed_in(one, boss_token), await signed_in(two, agent_token)
    arrived: asyncio.Queue[float] = asyncio.Queue()
    ready = asyncio.Event()

    async def listen() -> None:
        async with boss.stream("GET", "/work/events") as answer:
            kind = ""
            async for line in answer.aiter_lines():
                if line.startswith("event:"):
                    kind = line.partition(":")[2].strip()
                    if kind == "ready":
                        ready.set()
                elif (
                    line.startswith("data:")
                    and kind == "ticket"
                    and json.loads(line.partition(":")[2])["action"] == "assigned"
                ):
                    arrived.put_nowait(time.perf_counter())

    listener = asyncio.create_task(listen())
    await ready.wait()
    latencies = []
    for _ in range(pulls):
        sent = time.perf_counter()
        answer = await agent.post("/work/next", data={"queue": "bo_care"}, follow_redirects=False)
        assert answer.status_code == 303, answer.text
        latencies.append((await asyncio.wait_for(arrived.get(), 10) - sent) * 1000)
    listener.cancel()
    await boss.aclose()
    await agent.aclose()
    return latencies


async def run(args: argparse.Namespace, database_url: str, workdir: Path) -> None:
    agent_token, boss_token = await seed(database_url, args.pulls)
    servers = [serve(database_url, args.redis, workdir, "one")]
    if args.pg and args.redis:
        servers.append(serve(database_url, args.redis, workdir, "two"))
    try:
        one, two = servers[0][1], servers[-1][1]
        latencies = await measure(one, two, agent_token, boss_token, args.pulls)
    finally:
        for server, _ in servers:
            server.terminate()
            server.wait(10)
    where = "PostgreSQL + Redis, two processes" if len(servers) == 2 else "SQLite, one process"
    q = statistics.quantiles(latencies, n=20)
    print(
        f"{where}: {len(latencies)} pulls, pull-to-event p50 {statistics.median(latencies):.0f} ms, "
        f"p95 {q[18]:.0f} ms, max {max(latencies):.0f} ms (load average {os.getloadavg()[0]:.1f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pulls", type=int, default=30)
    parser.add_argument("--pg", help="PostgreSQL URL (with --redis: two API processes)")
    parser.add_argument("--redis", help="Redis URL")
    args = parser.parse_args()
    wire()
    import_models()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        database_url = args.pg or f"sqlite+aiosqlite:///{workdir / 'live.sqlite3'}"
        upgrade(database_url)  # runs its own event loop: before ours
        asyncio.run(run(args, database_url, workdir))


if __name__ == "__main__":
    main()
