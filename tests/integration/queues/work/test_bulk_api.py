"""The supervisor's actions through the API: a ticket assigned to a named agent, and one action over many tickets
(a canned reply filled from each ticket, assign, transfer) keeping what was done and listing what was refused."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from ops.contracts.models import Queue
from ops.queues.models import Agent, Ticket, TicketEvent
from tests.helpers import bearer, load_reference, token
from tests.integration.queues.factories import make_agent, make_ticket, sp

Client = AsyncTestClient[Litestar]


async def test_a_supervisor_assigns_a_ticket_to_a_named_agent_through_the_api(client: Client, db: Any) -> None:
    await load_reference(db)
    async with db.begin() as session:
        ana, ana_token = await make_agent(session, name="Ana", skills={"bo_care": 1}, capacity=2)
        bia, _ = await make_agent(session, name="Bia", skills={"social": 1}, capacity=2)
        ticket = await make_ticket(session, created_at=sp(2, 9))
    supervisor = bearer(await token(db, "supervisor", "reference", name="Sofia"))
    url = f"/api/tickets/{ticket.id}/assign"
    unskilled = await client.post(url, json={"agent": bia.id}, headers=supervisor)
    assert unskilled.status_code == 422
    assert unskilled.json()["detail"] == "Bia has no skill for the queue Back office - care."
    done = await client.post(url, json={"agent": ana.id}, headers=supervisor)
    assert done.status_code == 200, done.text
    assert (done.json()["assigned_agent"], done.json()["status"]) == ("Ana", "new")
    again = await client.post(url, json={"agent": ana.id}, headers=supervisor)
    assert again.status_code == 409
    assert again.json()["detail"] == f"Ticket {ticket.protocol} is already with Ana."
    assert (await client.post(url, json={"agent": ana.id}, headers=bearer(ana_token))).status_code == 403
    assert (
        await client.post("/api/tickets/999999/assign", json={"agent": ana.id}, headers=supervisor)
    ).status_code == (404)
    async with db() as session:
        agent = await session.get(Agent, ana.id)
        assert agent is not None and agent.open_count == 1


async def test_a_bulk_canned_reply_through_the_api_sends_the_ready_and_lists_the_refused(
    client: Client, db: Any
) -> None:
    await load_reference(db)
    async with db.begin() as session:
        ready = await make_ticket(session, created_at=sp(2, 9), customer={"name": "Joana"})
        ready.fields = {"recalculation_number": "RC-77"}
        unready = await make_ticket(session, created_at=sp(2, 9))
        upgrade = await make_ticket(session, created_at=sp(2, 9), reason="speed_upgrade")
    supervisor = bearer(await token(db, "supervisor", "reference", name="Sofia"))
    body = {"action": "reply", "reply": "Recálculo solicitado", "tickets": [upgrade.id, 999999, unready.id, ready.id]}
    response = await client.post(
        "/api/tickets/bulk-actions", json=body, headers={**supervisor, "accept-language": "pt-BR"}
    )
    assert response.status_code == 200, response.text
    out = response.json()
    assert out["done"] == [ready.id]
    refused = {r["ticket"]: (r["status_code"], r["detail"]) for r in out["refused"]}
    assert refused == {
        unready.id: (
            422,
            f"Ticket {unready.protocol}: the reply needs {{recalculation_number}}, which the ticket does not have yet.",
        ),
        upgrade.id: (422, f"Ticket {upgrade.protocol}: its reason has no canned reply “Recálculo solicitado”."),
        999999: (404, "no ticket 999999"),
    }
    said = {r["ticket"]: r["message"] for r in out["refused"]}
    assert said[upgrade.id] == (
        f"Chamado {upgrade.protocol}: o motivo dele não tem a resposta pronta “Recálculo solicitado”."
    )
    assert said[999999] == "não há chamado 999999"
    async with db() as session:
        replies = (await session.execute(select(TicketEvent).where(TicketEvent.action == "reply"))).scalars().all()
        assert [(e.ticket_id, e.actor) for e in replies] == [(ready.id, "supervisor:Sofia")]
        assert replies[0].note is not None and "Joana" in replies[0].note and "RC-77" in replies[0].note
        moved = await session.get(Ticket, ready.id)
        assert moved is not None and moved.status == "open"


async def test_a_bulk_transfer_and_assign_through_the_api_and_the_values_each_needs(client: Client, db: Any) -> None:
    await load_reference(db)
    async with db.begin() as session:
        ana, _ = await make_agent(session, name="Ana", skills={"bo_care": 1}, capacity=5)
        one = await make_ticket(session, created_at=sp(2, 9))
        two = await make_ticket(session, created_at=sp(2, 9))
    supervisor = bearer(await token(db, "supervisor", "reference"))
    url = "/api/tickets/bulk-actions"
    assigned = await client.post(
        url, json={"action": "assign", "agent": ana.id, "tickets": [one.id]}, headers=supervisor
    )
    assert assigned.json() == {"done": [one.id], "refused": []}
    english = {**supervisor, "accept-language": "en"}
    twice = await client.post(url, json={"action": "assign", "agent": ana.id, "tickets": [one.id]}, headers=english)
    assert twice.json()["refused"] == [
        {
            "ticket": one.id,
            "protocol": one.protocol,
            "status_code": 409,
            "detail": f"Ticket {one.protocol} is already with Ana.",
            "message": f"Ticket {one.protocol} is already with Ana.",
        }
    ]
    moved = await client.post(
        url, json={"action": "transfer", "queue": "bo_helpdesk", "tickets": [two.id, two.id]}, headers=supervisor
    )
    assert moved.json() == {"done": [two.id], "refused": []}
    async with db() as session:
        ticket = await session.get(Ticket, two.id)
        queue = await session.get(Queue, ticket.queue_id) if ticket is not None else None
        assert queue is not None and queue.code == "bo_helpdesk"
    for bad, field in (
        ({"action": "dance", "tickets": [one.id]}, "action"),
        ({"action": "reply", "tickets": [one.id]}, "reply"),
        ({"action": "assign", "tickets": [one.id]}, "agent"),
        ({"action": "transfer", "queue": " ", "tickets": [one.id]}, "queue"),
        ({"action": "assign", "agent": ana.id, "tickets": []}, "tickets"),
    ):
        refused = await client.post(url, json=bad, headers=supervisor)
        assert refused.status_code == 422, (bad, refused.text)
        assert [e["field"] for e in refused.json()["errors"]] == [field], refused.json()
    zero = await client.post(url, json={"action": "assign", "agent": ana.id, "tickets": [0]}, headers=supervisor)
    assert zero.status_code == 422
