"""The live stream as a browser reads it, from real API processes: an agent who sets themself available hears
the ticket pushed to them while the stream is open (SQLite, one process); on PostgreSQL with Redis, news made on
one process and presence counted on one reach the pages of another."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from ops.db import make_engine, make_sessionmaker, utcnow
from ops.sessions import CSRF_HEADER, SESSION_COOKIE, csrf_token
from tests.conftest import PG_SKIP, PG_URL, REDIS_SKIP, _truncate_pg
from tests.helpers import load_reference, token
from tests.integration.queues.factories import make_agent, make_ticket
from tests.integration.web.live_servers import served

PT = {"accept-language": "pt-BR"}


async def signed_in(url: str, secret: str) -> httpx.AsyncClient:
    client = httpx.AsyncClient(base_url=url, timeout=15)
    answer = await client.post("/login", data={"token": secret}, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    client.headers[CSRF_HEADER] = csrf_token(answer.cookies[SESSION_COOKIE])
    return client


async def stream_events(client: httpx.AsyncClient, path: str, **headers: str) -> AsyncIterator[tuple[str, Any]]:
    """(event, data) as they arrive on the open stream."""
    async with client.stream("GET", path, headers=headers) as answer:
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("text/event-stream")
        kind = ""
        async for line in answer.aiter_lines():
            if line.startswith("event:"):
                kind = line.partition(":")[2].strip()
            elif line.startswith("data:"):
                yield kind, json.loads(line.partition(":")[2].strip())


async def first(events: AsyncIterator[tuple[str, Any]], wanted: Any, seconds: float = 20) -> tuple[str, Any]:
    async def look() -> tuple[str, Any]:
        async for kind, data in events:
            if wanted(kind, data):
                return kind, data
        raise AssertionError("the stream ended first")

    return await asyncio.wait_for(look(), seconds)


async def seed(database_url: str) -> dict[str, Any]:
    engine = make_engine(database_url, pool=False)
    db = make_sessionmaker(engine)
    try:
        await load_reference(db)
        async with db.begin() as session:
            ana, ana_secret = await make_agent(session, name="Ana Souza", skills={"bo_care": 1}, status="busy")
            ticket = await make_ticket(session, created_at=utcnow() - timedelta(minutes=5), subject="Fatura em dobro")
            ids = {"agent": ana.id, "ticket": ticket.id, "protocol": ticket.protocol}
        return {**ids, "ana": ana_secret, "boss": await token(db, "supervisor", "reference", name="Carla Lima")}
    finally:
        await engine.dispose()


async def test_an_agent_hears_the_ticket_pushed_to_them_while_the_stream_is_open(
    sqlite_url: str, tmp_path: Path
) -> None:
    world = await seed(sqlite_url)
    with served(sqlite_url, tmp_path) as url:
        client = await signed_in(url, world["ana"])
        try:
            events = stream_events(client, "/work/events", **PT)
            await first(events, lambda kind, _: kind == "ready")
            answer = await client.post("/work/status", data={"status": "available"}, follow_redirects=False)
            assert answer.status_code == 303
            _, news = await first(events, lambda kind, data: kind == "ticket" and data["action"] == "assigned")
            assert news["ticket"] == world["ticket"] and news["mine"] and news["notice"] == "pushed"
            assert news["text"] == f"O chamado {world['protocol']} foi enviado para você."
            await events.aclose()  # type: ignore[attr-defined]
        finally:
            await client.aclose()


@pytest.fixture
def pg_and_redis(request: pytest.FixtureRequest) -> tuple[str, str]:
    redis_url = os.environ.get("OPS_TEST_REDIS_URL")
    if not PG_URL:
        pytest.skip(PG_SKIP)
    if not redis_url:
        pytest.skip(REDIS_SKIP)
    database_url: str = request.getfixturevalue("pg_migrated")
    _truncate_pg(database_url)
    return database_url, redis_url


@pytest.mark.postgres
@pytest.mark.redis
async def test_two_processes_on_redis_share_news_and_presence(pg_and_redis: tuple[str, str], tmp_path: Path) -> None:
    database_url, redis_url = pg_and_redis
    world = await seed(database_url)
    with (
        served(database_url, tmp_path, redis_url=redis_url, name="one") as one,
        served(database_url, tmp_path, redis_url=redis_url, name="two") as two,
    ):
        boss = await signed_in(one, world["boss"])
        ana = await signed_in(two, world["ana"])
        try:
            # The supervisor's page listens on process one; the agent pulls the ticket on process two.
            events = stream_events(boss, "/work/events")
            await first(events, lambda kind, _: kind == "ready")
            pulled = await ana.post("/work/next", data={"queue": "bo_care"}, follow_redirects=False)
            assert pulled.status_code == 303, pulled.text
            _, news = await first(events, lambda kind, data: kind == "ticket" and data["action"] == "assigned")
            assert news["ticket"] == world["ticket"] and not news["mine"] and not news["by_me"]
            await events.aclose()  # type: ignore[attr-defined]
            # The agent has the ticket open on process two (its stream keeps the visit): process one names her.
            ticket = f"/work/tickets/{world['ticket']}"
            visit = stream_events(ana, f"/work/events?ticket={world['ticket']}")
            await first(visit, lambda kind, _: kind == "ready")
            page = await boss.get(ticket, headers={"accept-language": "es-AR"})
            assert "También están viendo este ticket:" in page.text and "Ana Souza" in page.text
            # ... and the agent's stream on process two hears the supervisor arrive from process one.
            _, there = await first(visit, lambda kind, data: kind == "presence" and data["names"])
            assert there == {"names": ["Carla Lima"]}
            await visit.aclose()  # type: ignore[attr-defined]
        finally:
            await boss.aclose()
            await ana.aclose()
