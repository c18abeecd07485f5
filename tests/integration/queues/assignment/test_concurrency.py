"""Many agents pulling from one queue at once: every ticket goes to exactly one agent, within capacity."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import func, select

from ops.errors import ConflictError
from ops.queues.assignment import pull
from ops.queues.intake import services as intake
from ops.queues.models import Agent, Ticket, TicketEvent
from tests.conftest import PG_SKIP, PG_URL
from tests.integration.queues.conftest import delivery, make_agent


async def pull_until_done(sessionmaker: Any, agent_id: int) -> list[int]:
    """One agent pulling in a loop, each claim in its own transaction, until the queue is empty or
    the agent is full."""
    got: list[int] = []
    while True:
        try:
            async with sessionmaker.begin() as session:
                ticket = await pull.claim_next(session, agent_id=agent_id, queue_code="bo_care")
                ticket_id = None if ticket is None else ticket.id
        except ConflictError:  # at capacity
            return got
        if ticket_id is None:
            return got
        got.append(ticket_id)


async def race(sessionmaker: Any, *, agents_count: int, capacity: int, tickets: int) -> None:
    async with sessionmaker.begin() as session:
        results = await intake.create_tickets(
            session,
            contract_code="reference",
            rows=[delivery() for _ in range(tickets)],
            source_kind="bulk",
        )
        assert all(r.status == "created" for r in results)
    # "busy" agents pull but get no pushes: the pulls alone compete for the tickets.
    ids = [(await make_agent(sessionmaker, f"A{i}", {"bo_care": 1}, capacity=capacity, status="busy"))[0]
           for i in range(agents_count)]  # fmt: skip

    pulled = await asyncio.gather(*(pull_until_done(sessionmaker, a) for a in ids))

    claims = Counter(t for got in pulled for t in got)
    assert len(claims) == min(tickets, agents_count * capacity)
    assert max(claims.values()) == 1, "a ticket went to two agents"
    assert max(len(got) for got in pulled) <= capacity
    async with sessionmaker() as session:
        assigned = dict(
            (
                await session.execute(
                    select(Ticket.id, Ticket.assigned_agent_id).where(Ticket.assigned_agent_id.is_not(None))
                )
            )
            .tuples()
            .all()
        )
        events = Counter(
            (await session.execute(select(TicketEvent.ticket_id).where(TicketEvent.action == "assigned"))).scalars()
        )
        open_counts = dict((await session.execute(select(Agent.id, Agent.open_count))).tuples().all())
        waiting = (
            await session.execute(select(func.count()).select_from(Ticket).where(Ticket.assigned_agent_id.is_(None)))
        ).scalar_one()
    # What each agent was told is what the database says, once per ticket.
    assert assigned == {t: a for a, got in zip(ids, pulled, strict=True) for t in got}
    assert set(events.values()) == {1}
    assert open_counts == {a: len(got) for a, got in zip(ids, pulled, strict=True)}
    assert waiting == max(0, tickets - agents_count * capacity)


@pytest.mark.skipif(not PG_URL, reason=PG_SKIP)
@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_fifty_agents_pull_concurrently_on_postgres(qdb: Any) -> None:
    # More capacity than tickets: the agents drain the queue racing each other.
    await race(qdb, agents_count=50, capacity=3, tickets=120)


@pytest.mark.skipif(not PG_URL, reason=PG_SKIP)
@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_capacity_holds_when_agents_outnumber_tickets_on_postgres(qdb: Any) -> None:
    # Less capacity than tickets: every agent fills up and the rest wait.
    await race(qdb, agents_count=50, capacity=2, tickets=130)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_agents_pull_concurrently_on_sqlite(qdb: Any) -> None:
    await race(qdb, agents_count=10, capacity=3, tickets=25)


async def one_pull(sessionmaker: Any, agent_id: int) -> int | str | None:
    try:
        async with sessionmaker.begin() as session:
            ticket = await pull.claim_next(session, agent_id=agent_id, queue_code="bo_care")
            return None if ticket is None else ticket.id
    except pull.AtCapacityError:
        return "at capacity"


@pytest.mark.skipif(not PG_URL, reason=PG_SKIP)
@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_one_agent_pressing_next_twice_at_once_gets_one_ticket_at_its_last_free_place(qdb: Any) -> None:
    # The capacity check lives in the claim's statement: the second pull waits on the agent's row, then sees
    # the first one's count and is refused, though tickets still wait.
    async with qdb.begin() as session:
        await intake.create_tickets(
            session, contract_code="reference", rows=[delivery() for _ in range(4)], source_kind="bulk"
        )
    for attempt in range(3):
        agent_id = (await make_agent(qdb, f"Dup {attempt}", {"bo_care": 1}, capacity=1, status="busy"))[0]
        outcomes = await asyncio.gather(one_pull(qdb, agent_id), one_pull(qdb, agent_id))
        assert "at capacity" in outcomes and sum(isinstance(o, int) for o in outcomes) == 1, outcomes
        async with qdb() as session:
            held = (await session.execute(select(Agent.open_count).where(Agent.id == agent_id))).scalar_one()
            mine = (
                await session.execute(
                    select(func.count()).select_from(Ticket).where(Ticket.assigned_agent_id == agent_id)
                )
            ).scalar_one()
        assert (held, mine) == (1, 1)
