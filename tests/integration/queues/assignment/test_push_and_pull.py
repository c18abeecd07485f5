"""Getting tickets to agents: pull, push by each strategy, capacity, overflow, give-back, status."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select, update

from ops.queues.assignment.jobs import assign_waiting_tickets, giveback_tickets
from ops.queues.models import Agent, Ticket, TicketEvent
from tests.helpers import bearer, token
from tests.integration.queues.conftest import agent_row, delivery, make_agent, settle, sp


async def post(api: AsyncTestClient[Litestar], **fields: Any) -> dict[str, Any]:
    response = await api.post("/api/tickets", json=delivery(**fields))
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def ticket(sessionmaker: Any, ticket_id: int) -> Ticket:
    async with sessionmaker() as session:
        row = await session.get(Ticket, ticket_id)
        assert row is not None
        return row


def helpdesk(**fields: Any) -> dict[str, Any]:
    return {"reason": "technical_claim", "channel": "crm"} | fields


def social(**fields: Any) -> dict[str, Any]:
    return {"reason": "public_question", "channel": "facebook", "customer": {"handle": "@a"}} | fields


# --- pull ----------------------------------------------------------------------------------------


async def test_pull_gives_the_next_ticket_or_204(api: AsyncTestClient[Litestar], qdb: Any) -> None:
    agent_id, secret = await make_agent(qdb, "Ana", {"bo_care": 1}, capacity=2, status="busy")
    me = bearer(secret)
    assert (await api.post("/api/queues/bo_care/next", headers=me)).status_code == 204
    first = await post(api)
    claimed = await api.post("/api/queues/bo_care/next", headers=me)
    assert claimed.status_code == 200
    body = claimed.json()
    assert (body["id"], body["assigned_agent_id"], body["status"]) == (first["id"], agent_id, "open")
    assert (await api.post("/api/queues/bo_care/next", headers=me)).status_code == 204
    assert (await agent_row(qdb, agent_id)).open_count == 1
    async with qdb() as session:
        events = (await session.execute(select(TicketEvent.action).where(TicketEvent.ticket_id == first["id"]))).all()
    assert [e for (e,) in events] == ["created", "assigned"]


async def test_an_empty_pull_keeps_the_agents_idle_time(api: AsyncTestClient[Litestar], qdb: Any) -> None:
    # Longest-idle push ranks agents by idle_since: polling an empty queue must not reset it.
    agent_id, secret = await make_agent(qdb, "Bia", {"bo_care": 1}, status="busy", idle_since=sp(2, 8))
    before = await agent_row(qdb, agent_id)
    assert (await api.post("/api/queues/bo_care/next", headers=bearer(secret))).status_code == 204
    after = await agent_row(qdb, agent_id)
    assert (after.open_count, after.idle_since, after.last_assigned_at) == (0, sp(2, 8), before.last_assigned_at)


async def test_pull_respects_skills_capacity_and_status(api: AsyncTestClient[Litestar], qdb: Any) -> None:
    _, secret = await make_agent(qdb, "Caio", {"bo_care": 1}, capacity=1, status="busy")
    me = bearer(secret)
    for _ in range(2):
        await post(api)
    assert (await api.post("/api/queues/social/next", headers=me)).status_code == 409  # no skill
    assert (await api.post("/api/queues/nowhere/next", headers=me)).status_code == 404
    assert (await api.post("/api/queues/bo_care/next", headers=me)).status_code == 200
    full = await api.post("/api/queues/bo_care/next", headers=me)
    assert full.status_code == 409
    assert "capacity" in full.json()["detail"]
    rest = {"status": "break", "reason": "rest"}  # the reference contract lists its break reasons
    assert (await api.put("/api/agents/me/status", json=rest, headers=me)).status_code == 200
    on_break = await api.post("/api/queues/bo_care/next", headers=me)
    assert on_break.status_code == 409
    supervisor = bearer(await token(qdb, "supervisor", "reference"))
    assert (await api.post("/api/queues/bo_care/next", headers=supervisor)).status_code == 403


# --- push ----------------------------------------------------------------------------------------


async def test_longest_idle_gets_the_ticket(api: AsyncTestClient[Litestar], qdb: Any) -> None:
    # bo_care routes by longest idle.
    recent, _ = await make_agent(qdb, "Recent", {"bo_care": 1}, idle_since=sp(2, 9))
    longest, _ = await make_agent(qdb, "Longest", {"bo_care": 1}, idle_since=sp(2, 8))
    first = await post(api)
    second = await post(api)
    assert first["assigned_agent_id"] == longest
    assert second["assigned_agent_id"] == recent  # the longest idle just got work


async def test_fewest_open_gets_the_ticket(api: AsyncTestClient[Litestar], qdb: Any) -> None:
    # bo_helpdesk routes by fewest open tickets.
    loaded, _ = await make_agent(qdb, "Loaded", {"bo_helpdesk": 1}, capacity=5)
    fresh, fresh_token = await make_agent(qdb, "Fresh", {"bo_helpdesk": 1}, capacity=5, status="busy")
    assert [(await post(api, **helpdesk()))["assigned_agent_id"] for _ in range(2)] == [loaded, loaded]
    await api.put("/api/agents/me/status", json={"status": "available"}, headers=bearer(fresh_token))
    await settle(qdb)
    got = [(await post(api, **helpdesk()))["assigned_agent_id"] for _ in range(3)]
    assert got == [fresh, fresh, loaded]  # 0 < 2, 1 < 2, then 2 = 2 and ties go to the lower id


async def test_round_robin_takes_turns(api: AsyncTestClient[Litestar], qdb: Any) -> None:
    # social routes round robin.
    ids = [(await make_agent(qdb, name, {"social": 1}, capacity=5))[0] for name in ("A", "B", "C")]
    got = [(await post(api, **social()))["assigned_agent_id"] for _ in range(5)]
    assert got == [ids[0], ids[1], ids[2], ids[0], ids[1]]


async def test_push_never_exceeds_capacity(api: AsyncTestClient[Litestar], qdb: Any) -> None:
    agent_id, _ = await make_agent(qdb, "Solo", {"bo_care": 1}, capacity=2)
    got = [(await post(api))["assigned_agent_id"] for _ in range(3)]
    assert got == [agent_id, agent_id, None]
    assert (await agent_row(qdb, agent_id)).open_count == 2


async def test_overflow_goes_to_the_next_level_after_the_wait(qdb: Any) -> None:
    from ops.queues.assignment import pull
    from ops.queues.intake import services as intake

    # bo_care: overflow after 15 minutes; only a level-2 agent is free.
    backup, _ = await make_agent(qdb, "Backup", {"bo_care": 2, "bo_helpdesk": 1})
    async with qdb.begin() as session:
        created, _, _ = await intake.create_ticket(
            session, contract_code="reference", data=delivery(), source_kind="api"
        )
    assert created.assigned_agent_id is None
    received = created.received_at
    async with qdb.begin() as session:
        assert await pull.claim_next(session, agent_id=backup, queue_code="bo_care", now=received) is None
    ctx = {"sessionmaker": qdb}
    assert await assign_waiting_tickets(ctx, now=(received + timedelta(minutes=14)).isoformat()) == 0
    assert await assign_waiting_tickets(ctx, now=(received + timedelta(minutes=15)).isoformat()) == 1
    assert (await ticket(qdb, created.id)).assigned_agent_id == backup


async def test_primary_agents_come_before_overflow(api: AsyncTestClient[Litestar], qdb: Any) -> None:
    backup, _ = await make_agent(qdb, "Backup", {"bo_care": 2}, status="busy")
    primary, _ = await make_agent(qdb, "Primary", {"bo_care": 1}, status="busy")
    waiting = await post(api)
    async with qdb.begin() as session:
        await session.execute(update(Agent).values(status="available"))
        await session.execute(update(Agent).where(Agent.id == backup).values(idle_since=sp(1, 8)))
    # Long past the overflow wait, and the backup idle for longer: a free primary agent still takes it.
    later = datetime.fromisoformat(waiting["received_at"]) + timedelta(hours=2)
    assert await assign_waiting_tickets({"sessionmaker": qdb}, now=later.isoformat()) == 1
    assert (await ticket(qdb, waiting["id"])).assigned_agent_id == primary


async def test_an_agent_freeing_up_gets_the_waiting_tickets(api: AsyncTestClient[Litestar], qdb: Any) -> None:
    waiting = await post(api)
    assert waiting["assigned_agent_id"] is None
    agent_id, secret = await make_agent(qdb, "Late", {"bo_care": 1}, status="offline")
    me = bearer(secret)
    signed_in = await api.put("/api/agents/me/status", json={"status": "available"}, headers=me)
    assert signed_in.status_code == 200
    await settle(qdb)
    assert (await ticket(qdb, waiting["id"])).assigned_agent_id == agent_id


async def test_idle_tickets_go_back_to_the_pool(api: AsyncTestClient[Litestar], qdb: Any) -> None:
    agent_id, secret = await make_agent(qdb, "Slow", {"bo_care": 1}, status="busy")
    idle = await post(api)
    worked = await post(api)
    for _ in range(2):
        await api.post("/api/queues/bo_care/next", headers=bearer(secret))
    taken = await ticket(qdb, worked["id"])
    assert taken.assigned_at is not None
    async with qdb.begin() as session:  # the agent works on one of them
        row = await session.get(Ticket, worked["id"])
        row.last_activity_at = taken.assigned_at + timedelta(minutes=20)
    ctx = {"sessionmaker": qdb}
    # bo_care gives back after 30 idle minutes.
    assert await giveback_tickets(ctx, now=(taken.assigned_at + timedelta(minutes=29)).isoformat()) == 0
    assert await giveback_tickets(ctx, now=(taken.assigned_at + timedelta(minutes=31)).isoformat()) == 1
    back = await ticket(qdb, idle["id"])
    assert (back.assigned_agent_id, back.status) == (None, "open")
    assert (await ticket(qdb, worked["id"])).assigned_agent_id == agent_id
    assert (await agent_row(qdb, agent_id)).open_count == 1
    # Running it again changes nothing.
    assert await giveback_tickets(ctx, now=(taken.assigned_at + timedelta(minutes=31)).isoformat()) == 0
    async with qdb() as session:
        actions = (await session.execute(select(TicketEvent.action).where(TicketEvent.ticket_id == idle["id"]))).all()
    # The agent was warned a few minutes before (the work page says so), then it went back.
    assert [a for (a,) in actions] == ["created", "assigned", "giveback_warning", "given_back"]


# --- agents ----------------------------------------------------------------------------------------


async def test_agents_see_and_set_their_status(api: AsyncTestClient[Litestar], qdb: Any) -> None:
    agent_id, secret = await make_agent(qdb, "Dora", {"bo_care": 1, "social": 2}, status="busy")
    me = bearer(secret)
    mine = (await api.get("/api/agents/me", headers=me)).json()
    assert (mine["id"], mine["status"], mine["skills"]) == (agent_id, "busy", {"bo_care": 1, "social": 2})
    bad = await api.put("/api/agents/me/status", json={"status": "sleeping"}, headers=me)
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "status"
    unknown = await api.put("/api/agents/me/status", json={"status": "available", "position": "nope"}, headers=me)
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "position"

    await post(api)
    assert (await api.post("/api/queues/bo_care/next", headers=me)).status_code == 200
    offline = await api.put("/api/agents/me/status", json={"status": "offline"}, headers=me)
    assert (offline.json()["status"], offline.json()["open_count"]) == ("offline", 0)  # its ticket went back
    listed = (await api.get("/api/agents")).json()
    assert [(a["name"], a["status"]) for a in listed] == [("Dora", "offline")]
    assert (await api.get("/api/agents", headers=me)).status_code == 403


@pytest.mark.parametrize("skills", ["care,bo_care:2", " care : 1 , bo_care "])
def test_skills_are_queue_codes_with_levels(skills: str) -> None:
    from ops.queues.assignment.agents import parse_skills

    assert parse_skills(skills) == ({"care": 1, "bo_care": 2} if ":2" in skills else {"care": 1, "bo_care": 1})
    for bad in ("", "care:0", "care:x", "two words"):
        with pytest.raises(ValueError, match="skills"):
            parse_skills(bad)
