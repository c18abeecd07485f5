"""Load and faults: 50 agents working against the scaled-out service while a CRM sends tickets, with or without a
fault in the middle of the run.

What runs: the deployment of `ops scale` started process by process (so that one of them can be killed): `ops serve
--workers 2` without the schedule, 2 `ops worker` (arq), one `ops scheduler`, on PostgreSQL reached through a TCP
proxy this script can cut, and on a Redis server of the run's own (a free port, append-only file in a temporary
folder), never the machine's. The load, bounded in time and in rate:
- a CRM sends tickets at --rate a second, one in five in a bulk request of 5; a ticket not acknowledged (a 503, a
  timeout, a reset connection) is sent again with its same external id until it is, so a retry must never duplicate;
- 50 agents (status busy: they pull, nothing is pushed to them) each loop: Next ticket, read the ticket, reply,
  resolve, with a think time of 1 to 3 s; an empty queue waits 0.5 s.
Faults (--scenario): `baseline` none; `db-cut` the database unreachable for 10 s (the proxy closes its listener and
every connection); `redis-stop` the Redis server stopped (SIGTERM) for 10 s then started again on its port;
`worker-kill` one job worker SIGKILLed (not restarted).
At the end the senders stop, the agents stop, and the database is read: every acknowledged ticket stored once (lost
and duplicated must be 0), no ticket pulled by two agents nor assigned twice (must be 0), and the job outbox empty.

Run: ./dev python benchmarks/load.py --scenario baseline --seconds 300 [--pg URL] [--write]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
from bench_intake import free_port, payload, prepare, reset_pg
from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from ops.cli.scale import processes  # noqa: E402
from ops.db import make_engine, make_sessionmaker  # noqa: E402
from ops.jobs.models import OutboxJob  # noqa: E402
from ops.queues.models import Ticket, TicketEvent  # noqa: E402
from tests.tcp_proxy import TcpProxy  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "load.md"
DEFAULT_PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/bench_load"
AGENTS = 50
FAULT_SECONDS = 10.0


@dataclass
class Tally:
    acknowledged: dict[str, int] = field(default_factory=dict)  # external id -> ticket id
    intake_latency: list[float] = field(default_factory=list)
    next_latency: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    transport_errors: int = 0
    pulled: dict[int, str] = field(default_factory=dict)  # ticket id -> agent token (first puller)
    pulled_twice: int = 0
    resolved: int = 0
    retried: int = 0
    refused: int = 0
    samples: dict[str, str] = field(default_factory=dict)  # the first body of each refusal, to read


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


class Redis:
    """A redis-server of this run's own: stop and start it without touching the machine's."""

    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.folder = folder
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        argv = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.folder)]
        argv += ["--appendonly", "yes", "--appendfsync", "always", "--save", "", "--protected-mode", "no"]
        self.process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                return
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


def through(url: str, port: int) -> str:
    """The database URL with its host and port replaced by the proxy's."""
    parts = urlsplit(url)
    user = parts.netloc.rsplit("@", 1)[0] + "@" if "@" in parts.netloc else ""
    return urlunsplit(parts._replace(netloc=f"{user}127.0.0.1:{port}"))


def start_service(env: dict[str, str], port: int, logs: Path) -> dict[str, subprocess.Popen[bytes]]:
    children = {}
    for process in processes(api_workers=2, job_workers=2, host="127.0.0.1", port=port):
        out = (logs / f"{process.name}.log").open("wb")
        children[process.name] = subprocess.Popen(
            process.argv, env={**env, **process.env}, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    return children


async def wait_ready(base: str) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=5) as http:
        for _ in range(240):
            with contextlib.suppress(httpx.TransportError):
                if (await http.get("/health/ready")).status_code == 200:
                    return
            await asyncio.sleep(0.5)
    raise RuntimeError("the service never became ready")


async def sender(base: str, staff: str, rate: float, until: float, tally: Tally, created: datetime) -> None:
    """Tickets at `rate` a second; every one is sent until acknowledged (the same external id each time)."""
    numbers = iter(range(10_000_000))
    pending: list[int] = []
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {staff}"}, timeout=30) as http:

        async def send(batch: list[int]) -> list[int]:
            rows = [payload(n, "LOAD", created) for n in batch]
            started = time.perf_counter()
            try:
                if len(batch) == 1:
                    response = await http.post("/api/tickets", json=rows[0])
                else:
                    response = await http.post("/api/tickets/bulk", json=rows)
            except httpx.TransportError:
                tally.transport_errors += 1
                return batch
            tally.statuses[f"intake {response.status_code}"] += 1
            if response.status_code >= 400:
                tally.samples.setdefault(f"intake {response.status_code}", response.text[:300])
            if response.status_code in (200, 201):
                tally.intake_latency.append(time.perf_counter() - started)
                if len(batch) == 1:
                    tally.acknowledged[rows[0]["external_id"]] = response.json()["id"]
                    return []
                left = []
                for n, row, result in zip(batch, rows, response.json()["results"], strict=True):
                    if result["status"] in ("created", "existing", "duplicate"):
                        tally.acknowledged[row["external_id"]] = result["ticket"]["id"]
                    else:
                        left.append(n)
                return left
            if response.status_code in (429, 503):
                return batch  # try again later, the same external ids
            tally.refused += len(batch)  # a refusal is an answer: sending it again would be refused again
            return []

        in_flight: set[asyncio.Task[list[int]]] = set()

        def harvest() -> None:
            for task in [t for t in in_flight if t.done()]:
                in_flight.discard(task)
                again = task.result()
                tally.retried += len(again)
                pending.extend(again)

        tick = 0
        next_at = time.perf_counter()
        while time.perf_counter() < until:
            tick += 1
            batch = [next(numbers) for _ in range(5 if tick % 5 == 0 else 1)]
            in_flight.add(asyncio.create_task(send(batch)))
            harvest()
            if pending:  # unacknowledged ones go again, the same external ids
                retry, pending[:] = pending[:5], pending[5:]
                in_flight.add(asyncio.create_task(send(retry)))
            next_at += len(batch) / rate
            await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
        deadline = until + 120  # bounded: what is still unacknowledged two minutes later is reported as lost
        while (in_flight or pending) and time.perf_counter() < deadline:
            await asyncio.sleep(0.2)
            harvest()
            if pending:
                retry, pending[:] = pending[:5], pending[5:]
                in_flight.add(asyncio.create_task(send(retry)))
        for task in in_flight:
            task.cancel()
        await asyncio.gather(*in_flight, return_exceptions=True)


async def agent(base: str, secret: str, until: float, tally: Tally) -> None:
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {secret}"}, timeout=30) as http:
        while time.perf_counter() < until:
            started = time.perf_counter()
            try:
                response = await http.post("/api/queues/bo_care/next")
            except httpx.TransportError:
                tally.transport_errors += 1
                await asyncio.sleep(1)
                continue
            tally.statuses[f"next {response.status_code}"] += 1
            if response.status_code not in (200, 204):
                await asyncio.sleep(1)
                continue
            tally.next_latency.append(time.perf_counter() - started)
            if response.status_code == 204:
                await asyncio.sleep(0.5)
                continue
            ticket = response.json()["id"]
            if ticket in tally.pulled:
                tally.pulled_twice += 1
            tally.pulled[ticket] = secret
            await asyncio.sleep(random.uniform(1, 3))
            with contextlib.suppress(httpx.TransportError):
                await work(http, ticket, tally)


async def work(http: httpx.AsyncClient, ticket: int, tally: Tally) -> None:
    """Read the ticket, reply, resolve (with the contract's override reason where a step is left unticked)."""
    view = await http.get(f"/api/tickets/{ticket}/work")
    tally.statuses[f"work {view.status_code}"] += 1
    if view.status_code != 200:
        return
    version = view.json()["version"]
    reply = await http.post(
        f"/api/tickets/{ticket}/actions/reply", json={"version": version, "message": "Resolvido, obrigado."}
    )
    tally.statuses[f"reply {reply.status_code}"] += 1
    if reply.status_code != 200:
        return
    body = reply.json()
    version = body["version"]
    done = await http.post(
        f"/api/tickets/{ticket}/actions/resolve",
        json={"version": version, "override": "Load test: resolved after the reply"},
    )
    tally.statuses[f"resolve {done.status_code}"] += 1
    if done.status_code >= 400:
        tally.samples.setdefault(f"resolve {done.status_code}", done.text[:300])
    if done.status_code == 200:
        tally.resolved += 1


async def inject(scenario: str, at: float, proxy: TcpProxy, redis: Redis, children: dict[str, Any]) -> list[str]:
    """The fault at `at` (perf_counter), and what happened when."""
    await asyncio.sleep(max(0.0, at - time.perf_counter()))
    notes: list[str] = []
    if scenario == "db-cut":
        proxy.cut()
        notes.append("database cut")
        await asyncio.sleep(FAULT_SECONDS)
        proxy.start()
        notes.append("database back")
    elif scenario == "redis-stop":
        redis.stop()
        notes.append("Redis stopped")
        await asyncio.sleep(FAULT_SECONDS)
        redis.start()
        notes.append("Redis started")
    elif scenario == "worker-kill":
        os.kill(children["worker-1"].pid, signal.SIGKILL)
        notes.append(f"worker-1 (pid {children['worker-1'].pid}) SIGKILLed")
    return notes


async def check(url: str, tally: Tally) -> dict[str, int]:
    engine = make_engine(url, pool=False)
    sessionmaker = make_sessionmaker(engine)
    try:
        async with sessionmaker() as session:
            stored = dict(
                (
                    await session.execute(
                        select(Ticket.external_id, func.count())
                        .where(Ticket.source == "bench")
                        .group_by(Ticket.external_id)
                    )
                ).all()
            )
            assigned_twice = await session.scalar(
                select(func.count()).select_from(
                    select(TicketEvent.ticket_id)
                    .where(TicketEvent.action == "assigned")
                    .group_by(TicketEvent.ticket_id)
                    .having(func.count() > 1)
                    .subquery()
                )
            )
            outbox = await session.scalar(select(func.count()).select_from(OutboxJob))
    finally:
        await engine.dispose()
    return {
        "stored": len(stored),
        "lost": sum(1 for external_id in tally.acknowledged if external_id not in stored),
        "duplicated": sum(1 for count in stored.values() if count > 1),
        "assigned_twice": int(assigned_twice or 0),
        "outbox_left": int(outbox or 0),
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    await reset_pg(args.pg)
    staff, tokens = await prepare(args.pg, AGENTS)
    folder = Path(tempfile.mkdtemp(prefix="ops_load_"))
    redis = Redis(folder)
    redis.start()
    target = urlsplit(args.pg)
    proxy = TcpProxy(target.hostname or "127.0.0.1", target.port or 5432)
    proxy_port = proxy.start()
    port = free_port()
    env = {**os.environ, "OPS_DATABASE_URL": through(args.pg, proxy_port)}
    env |= {"OPS_REDIS_URL": f"redis://127.0.0.1:{redis.port}/0", "OPS_JOB_TIMEOUT_SECONDS": "30"}
    children = start_service(env, port, folder)
    base = f"http://127.0.0.1:{port}"
    tally = Tally()
    notes: list[str] = []
    try:
        await wait_ready(base)
        started = time.perf_counter()
        until = started + args.seconds
        # A day ago: the ticket numbered n is created n seconds after it, never in the future.
        created = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)
        fault = asyncio.create_task(inject(args.scenario, started + args.seconds / 3, proxy, redis, children))
        await asyncio.gather(
            sender(base, staff, args.rate, until, tally, created), *(agent(base, t, until, tally) for t in tokens)
        )
        notes = await fault
        elapsed = time.perf_counter() - started
        for _ in range(60):  # the jobs the run left (pushes after bulk requests) leave the outbox
            counts = await check(args.pg, tally)
            if counts["outbox_left"] == 0:
                break
            await asyncio.sleep(1)
    finally:
        for child in children.values():
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in children.values():
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                child.kill()
        proxy.close()
        redis.stop()
    return {
        "scenario": args.scenario,
        "seconds": round(elapsed, 1),
        "rate": args.rate,
        "acknowledged": len(tally.acknowledged),
        "intake_per_s": round(len(tally.acknowledged) / args.seconds, 1),
        "intake_p50_ms": round(percentile(tally.intake_latency, 0.5), 1),
        "intake_p99_ms": round(percentile(tally.intake_latency, 0.99), 1),
        "next_calls": len(tally.next_latency),
        "next_p50_ms": round(percentile(tally.next_latency, 0.5), 1),
        "next_p99_ms": round(percentile(tally.next_latency, 0.99), 1),
        "pulled": len(tally.pulled),
        "resolved": tally.resolved,
        "pulled_twice": tally.pulled_twice,
        "5xx": sum(
            n for key, n in tally.statuses.items() if key.split()[1].startswith("5") and key.split()[1] != "503"
        ),
        "503": sum(n for key, n in tally.statuses.items() if key.endswith(" 503")),
        "transport_errors": tally.transport_errors,
        "retried": tally.retried,
        "refused": tally.refused,
        "statuses": dict(sorted(tally.statuses.items())),
        "faults": notes,
        "samples": tally.samples,
        "load_average": round(os.getloadavg()[0], 1),
        **(await check(args.pg, tally)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", choices=["baseline", "db-cut", "redis-stop", "worker-kill"], default="baseline")
    parser.add_argument("--seconds", type=float, default=300.0)
    parser.add_argument("--rate", type=float, default=20.0, help="tickets a second sent by the CRM")
    parser.add_argument("--pg", default=os.environ.get("OPS_BENCH_DATABASE_URL", DEFAULT_PG))
    parser.add_argument("--write", action="store_true", help=f"append the result to {RESULTS.relative_to(ROOT)}")
    args = parser.parse_args()
    result = asyncio.run(run(args))
    print(json.dumps(result, indent=2))
    if args.write:
        with RESULTS.open("a") as out:
            out.write(f"\n<!-- {datetime.now(UTC):%Y-%m-%d %H:%M} -->\n```json\n{json.dumps(result, indent=2)}\n```\n")
    bad = result["lost"] or result["duplicated"] or result["assigned_twice"] or result["pulled_twice"] or result["5xx"]
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
