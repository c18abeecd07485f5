"""Fixtures of the queues tests: the reference contract, tokens, agents, deliveries, the database from a test."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from ops.jobs import queue as job_queue
from ops.jobs.queue import wait_for_flushes
from ops.queues.assignment.agents import create_agent, set_status
from ops.queues.live import news
from ops.queues.models import Agent
from tests.helpers import bearer, load_reference, token

SP = ZoneInfo("America/Sao_Paulo")
_numbers = itertools.count(1)


def sp(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    """A São Paulo wall time in 2026 (2 March is a Monday; the back office opens 08-12 and 13-18)."""
    return datetime(2026, month, day, hour, minute, tzinfo=SP)


def delivery(**fields: Any) -> dict[str, Any]:
    """A CRM delivery for the reference contract; every call gets a fresh external id."""
    payload: dict[str, Any] = {
        "contract": "reference",
        "source": "crm",
        "external_id": f"CRM-{next(_numbers):06d}",
        "channel": "email",
        "reason": "speed_upgrade",
        "subject": "Upgrade de velocidade",
        "body": "Gostaria de passar o plano de 300 para 600 mega.",
        "customer": {"id": "C1", "name": "Ana Souza", "area": "Perdizes", "segment": "residential"},
        "created_at": sp(2, 10).isoformat(),
    }
    payload.update(fields)
    return {k: v for k, v in payload.items() if v is not None}


@pytest.fixture
async def qdb(app: Litestar) -> AsyncIterator[Any]:
    """The app's sessionmaker with the reference contract loaded. Jobs deferred by services called
    from the test run in the test's loop: wait for them before the engine goes."""
    sessionmaker = app.state.sessionmaker
    await load_reference(sessionmaker)
    yield sessionmaker
    await settle(sessionmaker)
    # Without the test client's lifespan nobody else closes the pooled SQLite connections.
    await sessionmaker.kw["bind"].dispose()


async def settle(sessionmaker: Any) -> None:
    """Wait until every job sent so far has run. Jobs run in the loop that committed them (the
    test's, or the test client's portal): poll rather than gather across loops."""
    queue = sessionmaker.kw["info"]["ops_job_queue"]
    for _ in range(1000):
        await asyncio.sleep(0.005)
        if not queue.tasks and not job_queue._flushes and not news._sends:  # the live news read its tickets too
            return
    raise AssertionError("jobs still running after 5 s")


@pytest.fixture
async def api(client: AsyncTestClient[Litestar], qdb: Any) -> AsyncTestClient[Litestar]:
    """The HTTP client signed in as a provider supervisor (may post tickets for any contract)."""
    client.headers.update(bearer(await token(qdb, "supervisor", name="sup")))
    return client


async def make_agent(
    sessionmaker: Any,
    name: str,
    skills: dict[str, int],
    *,
    capacity: int = 3,
    status: str = "available",
    idle_since: datetime | None = None,
) -> tuple[int, str]:
    async with sessionmaker.begin() as session:
        agent, secret = await create_agent(
            session, contract_code="reference", name=name, skills=skills, capacity=capacity
        )
        if status != "offline":
            await set_status(session, agent_id=agent.id, status=status)
        if idle_since is not None:
            agent.idle_since = idle_since
        result = agent.id, secret
    await settle(sessionmaker)
    return result


async def agent_row(sessionmaker: Any, agent_id: int) -> Agent:
    async with sessionmaker() as session:
        agent = await session.get(Agent, agent_id)
        assert agent is not None
        return agent


@pytest.fixture
async def wdb(app: Litestar) -> AsyncIterator[Any]:
    """The app's sessionmaker for service-level tests. Jobs deferred by the services run in this
    test's event loop, so wait for them and close the engine here rather than in the app's lifespan."""
    sessionmaker = app.state.sessionmaker
    yield sessionmaker
    await wait_for_flushes()
    await app.state.job_queue.drain()
    await sessionmaker.kw["bind"].dispose()
