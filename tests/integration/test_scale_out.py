"""Scaled out as on many machines: `ops scale` runs the API in 2 processes, 2 arq job workers and one scheduler on
PostgreSQL and Redis. Tickets sent while agents pull and the workers push: none lost, none doubled, none assigned
twice, every job handed over."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from ops.config import Settings
from ops.jobs.models import OutboxJob
from ops.queues.models import Agent, Ticket, TicketEvent
from ops.runtime import open_runtime
from tests.conftest import PG_SKIP, PG_URL, REDIS_SKIP, REDIS_URL
from tests.helpers import bearer, load_reference, token
from tests.integration.queues.conftest import delivery, make_agent

TICKETS = 120
CAPACITY = 40  # 4 agents: room for every ticket
SENDERS = 8
BULK = 10


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def scaled_env(request: pytest.FixtureRequest) -> dict[str, str]:
    if not PG_URL:
        pytest.skip(PG_SKIP)
    if not REDIS_URL:
        pytest.skip(REDIS_SKIP)
    pg_migrated: str = request.getfixturevalue("pg_migrated")  # asked for only once PostgreSQL is known to be set
    from redis import Redis

    from tests.conftest import _truncate_pg

    _truncate_pg(pg_migrated)
    redis = Redis.from_url(REDIS_URL)
    redis.flushdb()  # this test's own Redis db
    redis.close()
    return {**os.environ, "OPS_DATABASE_URL": pg_migrated, "OPS_REDIS_URL": REDIS_URL}


def _stop(process: subprocess.Popen[bytes]) -> int:
    process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=45)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)  # the group this test started, by its id
        process.wait()
        raise


async def _ready(base: str, log: Path) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=5) as client:
        for _ in range(240):
            try:
                if (await client.get("/health/ready")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.5)
    raise AssertionError(f"the scaled-out service never became ready: see {log}")


@pytest.mark.postgres
@pytest.mark.redis
async def test_scaled_out_tickets_are_sent_and_pulled_none_lost_or_doubled(
    scaled_env: dict[str, str], tmp_path: Path
) -> None:
    runtime = open_runtime(Settings(database_url=scaled_env["OPS_DATABASE_URL"], database_pool=False))
    await load_reference(runtime.sessionmaker)
    sender = bearer(await token(runtime.sessionmaker, "supervisor", name="crm"))
    pullers = [
        await make_agent(runtime.sessionmaker, f"Puller {n}", {"bo_care": 1}, capacity=CAPACITY, status="busy")
        for n in (1, 2)
    ]
    pushed = [await make_agent(runtime.sessionmaker, f"Pushed {n}", {"bo_care": 1}, capacity=CAPACITY) for n in (1, 2)]
    await runtime.close()

    port = _free_port()
    log = tmp_path / "scale.log"
    with log.open("wb") as out:
        scale = subprocess.Popen(  # noqa: ASYNC220 (started once; the test then only talks HTTP to it)
            [sys.executable, "-c", "from ops.cli.main import entrypoint; entrypoint()", "scale",
             "--api-workers", "2", "--job-workers", "2", "--port", str(port)],
            env=scaled_env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    statuses: list[int] = []
    pulled: dict[int, list[int]] = {agent_id: [] for agent_id, _ in pullers}
    check = open_runtime(Settings(database_url=scaled_env["OPS_DATABASE_URL"], database_pool=False))
    try:
        await _ready(base, log)
        async with httpx.AsyncClient(base_url=base, timeout=60) as client:
            ids = [f"SCALE-{n:05d}" for n in range(TICKETS)]
            sent: dict[str, int] = {}
            work = asyncio.Queue[str]()
            for external_id in ids:
                work.put_nowait(external_id)

            async def send(bulk: bool) -> None:
                # One by one (pushed in the request) or ten at a time (pushed by a job, through the outbox and arq).
                while not work.empty():
                    batch = [work.get_nowait() for _ in range(BULK if bulk else 1) if not work.empty()]
                    if not bulk:
                        response = await client.post(
                            "/api/tickets", json=delivery(external_id=batch[0]), headers=sender
                        )
                        statuses.append(response.status_code)
                        if response.status_code == 201:
                            sent[batch[0]] = response.json()["id"]
                        continue
                    rows = [delivery(external_id=external_id) for external_id in batch]
                    response = await client.post("/api/tickets/bulk", json=rows, headers=sender)
                    statuses.append(response.status_code)
                    for external_id, result in zip(batch, response.json()["results"], strict=True):
                        if result["status"] == "created":
                            sent[external_id] = result["ticket"]["id"]

            async def pull(agent_id: int, secret: str, until: asyncio.Event) -> None:
                while True:
                    response = await client.post("/api/queues/bo_care/next", headers=bearer(secret))
                    statuses.append(response.status_code)
                    if response.status_code == 200:
                        pulled[agent_id].append(response.json()["id"])
                    elif response.status_code == 409 or (until.is_set() and await unassigned() == 0):
                        # Full, or nothing left: a 204 alone is not the end, since a pull skips a ticket whose row
                        # another transaction (a worker's push) holds at that instant (SKIP LOCKED).
                        return
                    else:
                        await asyncio.sleep(0.05)

            async def unassigned() -> int:
                async with check.sessionmaker() as session:
                    found = await session.scalar(
                        select(func.count()).select_from(Ticket).where(Ticket.assigned_agent_id.is_(None))
                    )
                    return int(found or 0)

            done = asyncio.Event()
            pulling = [asyncio.create_task(pull(agent_id, secret, done)) for agent_id, secret in pullers]
            await asyncio.gather(*(send(bulk=n % 2 == 0) for n in range(SENDERS)))
            done.set()
            await asyncio.gather(*pulling)
        # The workers push what the pullers left to the two available agents.
        for _ in range(120):
            async with check.sessionmaker() as session:
                waiting = await session.scalar(
                    select(func.count()).select_from(Ticket).where(Ticket.assigned_agent_id.is_(None))
                )
                outbox = await session.scalar(select(func.count()).select_from(OutboxJob))
            if waiting == 0 and outbox == 0:
                break
            await asyncio.sleep(0.5)
        async with check.sessionmaker() as session:
            tickets = list((await session.execute(select(Ticket))).scalars())
            agents = {a.id: a for a in (await session.execute(select(Agent))).scalars()}
            assigned_events = dict(
                (
                    await session.execute(
                        select(TicketEvent.ticket_id, func.count())
                        .where(TicketEvent.action == "assigned")
                        .group_by(TicketEvent.ticket_id)
                    )
                ).all()
            )
    finally:
        await check.close()
        code = _stop(scale)
    output = log.read_text()
    assert code == 0, output[-4000:]

    assert [s for s in statuses if s >= 500] == [], output[-4000:]
    assert sorted(sent) == ids  # every ticket acknowledged...
    assert sorted(t.external_id for t in tickets) == ids  # ...stored once, none lost
    assert sorted(sent.values()) == sorted(t.id for t in tickets)
    all_pulled = [ticket_id for ids_ in pulled.values() for ticket_id in ids_]
    assert len(all_pulled) == len(set(all_pulled))  # no ticket claimed twice
    by_id = {t.id: t for t in tickets}
    for agent_id, ticket_ids in pulled.items():
        assert all(by_id[t].assigned_agent_id == agent_id for t in ticket_ids)
    assert all(t.assigned_agent_id is not None for t in tickets), "tickets left unassigned"
    assert all(assigned_events.get(t.id) == 1 for t in tickets)  # each assigned exactly once
    for agent_id, agent in agents.items():
        mine = sum(1 for t in tickets if t.assigned_agent_id == agent_id)
        assert agent.open_count == mine <= CAPACITY
    assert sum(1 for t in tickets if t.assigned_agent_id in {a for a, _ in pushed}) > 0  # the workers pushed some
    assert re.search(r"← assign:\d+:assign_waiting_tickets ●", output)  # the bulk intakes' pushes, run by a worker
