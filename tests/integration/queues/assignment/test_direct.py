"""A supervisor's assignment to a named agent: skills, status and capacity respected, and two supervisors
assigning at once never give one ticket to two agents nor an agent more than its capacity."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import select

from ops.queues.assignment.direct import assign_to
from ops.queues.assignment.refusals import Refusal
from ops.queues.models import Agent, Ticket, TicketEvent
from tests.conftest import PG_SKIP, PG_URL
from tests.integration.queues.factories import make_agent, make_ticket, sp, supervisor_principal


async def _setup(db: Any, *, agents: int, tickets: int, capacity: int) -> tuple[int, list[int], list[int]]:
    async with db.begin() as session:
        made = [
            (await make_agent(session, name=f"A{i}", skills={"bo_care": 1}, capacity=capacity))[0]
            for i in range(agents)
        ]
        rows = [await make_ticket(session, created_at=sp(2, 9)) for _ in range(tickets)]
        return made[0].contract_id, [a.id for a in made], [t.id for t in rows]


# What a click may meet when others win first; any other refusal in the race is a bug.
RACE_REFUSALS = {
    "Ticket {protocol} is already with {agent}.",
    "Ticket {protocol} changed in the meantime: reload and try again.",
    "{agent} is at capacity ({capacity} open tickets).",
}


async def _try(db: Any, contract_id: int, ticket_id: int, agent_id: int) -> str | None:
    """None when the click won, else the refusal's msgid."""
    try:
        async with db.begin() as session:
            await assign_to(
                session, ticket_id=ticket_id, agent_id=agent_id, principal=supervisor_principal(contract_id)
            )
    except Refusal as refusal:
        return refusal.msgid
    return None


async def race(db: Any, *, agents: int, tickets: int, capacity: int) -> None:
    contract_id, agent_ids, ticket_ids = await _setup(db, agents=agents, tickets=tickets, capacity=capacity)
    # Every supervisor click at once: each ticket to every agent.
    calls = [(t, a) for t in ticket_ids for a in agent_ids]
    outcomes = await asyncio.gather(*(_try(db, contract_id, t, a) for t, a in calls))
    assert {o for o in outcomes if o is not None} <= RACE_REFUSALS
    won = [o is None for o in outcomes]
    async with db() as session:
        assigned = dict(
            (await session.execute(select(Ticket.id, Ticket.assigned_agent_id).where(Ticket.id.in_(ticket_ids))))
            .tuples()
            .all()
        )
        loads = dict((await session.execute(select(Agent.id, Agent.open_count))).tuples().all())
        history = (
            await session.execute(
                select(TicketEvent.ticket_id, TicketEvent.after)
                .where(TicketEvent.action == "assigned", TicketEvent.ticket_id.in_(ticket_ids))
                .order_by(TicketEvent.id)
            )
        ).all()
    holders = Counter(a for a in assigned.values() if a is not None)
    assert all(loads[a] == holders.get(a, 0) <= capacity for a in agent_ids), (loads, holders)
    # A ticket moved between agents counts one assignment event per win; each win is in the history once.
    assert len(history) == sum(won)
    # Each ticket is with the agent its last assignment named, and only an assigned ticket has one. (How many end
    # assigned depends on the order the clicks are served in: a move frees an agent whose other clicks may be past.)
    last = {ticket_id: after["assigned_agent_id"] for ticket_id, after in history}
    assert last == {t: a for t, a in assigned.items() if a is not None}
    assert holders, "the first click served always wins"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_concurrent_assignments_never_double_assign_on_sqlite(wdb: Any, db: Any) -> None:
    from tests.helpers import load_reference

    await load_reference(db)
    await race(db, agents=3, tickets=4, capacity=1)


@pytest.mark.skipif(not PG_URL, reason=PG_SKIP)
@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_concurrent_assignments_never_double_assign_on_postgres(wdb: Any, db: Any) -> None:
    from tests.helpers import load_reference

    await load_reference(db)
    await race(db, agents=6, tickets=10, capacity=1)


async def test_refusals_name_the_agent_and_why(wdb: Any, db: Any) -> None:
    from tests.helpers import load_reference

    await load_reference(db)
    async with db.begin() as session:
        ana, _ = await make_agent(session, name="Ana", skills={"bo_care": 1}, capacity=1)
        off, _ = await make_agent(session, name="Off", skills={"bo_care": 1}, status="offline")
        first = await make_ticket(session, created_at=sp(2, 9))
        second = await make_ticket(session, created_at=sp(2, 9))
        social = await make_ticket(session, created_at=sp(2, 9), queue="bo_helpdesk", reason=None)
        boss = supervisor_principal(ana.contract_id)
        await assign_to(session, ticket_id=first.id, agent_id=ana.id, principal=boss)
        refusals = []
        for ticket, agent in ((second, ana), (second, off), (social, ana), (first, ana)):
            with pytest.raises(Refusal) as refused:
                async with session.begin_nested():
                    await assign_to(session, ticket_id=ticket.id, agent_id=agent.id, principal=boss)
            refusals.append((refused.value.status_code, refused.value.message))
    assert refusals == [
        (409, "Ana is at capacity (1 open tickets)."),
        (409, "Off is offline."),
        (422, "Ana has no skill for the queue Back office - help desk."),
        (409, f"Ticket {first.protocol} is already with Ana."),
    ]
