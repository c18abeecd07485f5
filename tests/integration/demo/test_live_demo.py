"""The live demo: a demo prepared days ago has its open tickets today with their clocks running, and the trickle's
deliveries go through the real API into the queues and to an available agent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from ops.auth import issue_token
from ops.contracts.services import get_contract
from ops.demo.tickets import seed as seed_tickets
from ops.demo.trickle import OPEN, move_to_today, trickle
from ops.jobs.queue import wait_for_flushes
from ops.queues.assignment import agents
from ops.queues.models import Ticket, TicketEvent
from tests.helpers import load_reference


async def test_a_demo_prepared_three_days_ago_has_its_open_tickets_today(db: Any) -> None:
    await load_reference(db)
    now = datetime.now(UTC).replace(microsecond=0)
    then = now - timedelta(days=3, hours=2)
    async with db.begin() as session:
        contract = await get_contract(session, code="reference", principal=None)
        await seed_tickets(session, contract=contract, now=then, seed=7)
    async with db() as session:
        before = dict(
            (await session.execute(select(Ticket.id, Ticket.created_at).where(Ticket.status.in_(OPEN)))).tuples().all()
        )
        resolved_before = (await session.execute(select(func.count()).where(Ticket.status == "resolved"))).scalar()
    assert before, "the demo leaves open tickets"
    assert max(before.values()) < now - timedelta(days=3)

    async with db.begin() as session:
        contract = await get_contract(session, code="reference", principal=None)
        moved = await move_to_today(session, contract=contract, now=now)

    async with db() as session:
        after = {t.id: t for t in (await session.execute(select(Ticket).where(Ticket.id.in_(before)))).scalars()}
        latest_event = (
            await session.execute(select(func.max(TicketEvent.at)).where(TicketEvent.ticket_id.in_(before)))
        ).scalar()
        resolved_after = (await session.execute(select(func.count()).where(Ticket.status == "resolved"))).scalar()
    assert moved == len(before)
    assert resolved_after == resolved_before, "history stays where it was"
    shifts = {after[i].created_at - before[i] for i in before}
    assert shifts <= {timedelta(days=3), timedelta(days=2)}, "whole days, so each keeps its time of day"
    assert max(t.created_at for t in after.values()) > now - timedelta(days=1), "today's work is today's"
    assert latest_event is not None and latest_event <= now, "nothing lands in the future"
    running = [t for t in after.values() if t.first_response_at is None and t.first_response_due is not None]
    assert running and all(t.first_response_due > t.created_at for t in running)
    assert any(t.first_response_due > now for t in running), "some first responses are still to come"

    async with db.begin() as session:  # running it again the same day moves nothing more
        assert await move_to_today(session, contract=contract, now=now) == 0


async def test_the_trickle_delivers_through_the_api_to_an_available_agent(db: Any, client: Any, app: Any) -> None:
    await load_reference(db)
    async with db.begin() as session:
        contract = await get_contract(session, code="reference", principal=None)
        crm = await issue_token(session, name="CRM", role="client", contract_id=contract.id)
        agent, _ = await agents.create_agent(
            session,
            contract_code="reference",
            name="Ana",
            skills={"bo_care": 1, "bo_helpdesk": 1, "social": 1},
            capacity=10,
        )
        await agents.set_status(session, agent_id=agent.id, status="available")
    await wait_for_flushes()  # the push the agent's status asked for runs before the deliveries begin
    await app.state.job_queue.drain()
    lines: list[str] = []
    sent = await trickle("", crm, every=0.01, seed=3, limit=6, http=client, echo=lines.append)

    assert sent == 6
    async with db() as session:
        live = (await session.execute(select(Ticket).where(Ticket.external_id.like("%LIVE%")))).scalars().all()
    assert len(live) == 6
    assert all(t.first_response_due is not None and t.first_response_due > t.created_at for t in live)
    assert any(t.assigned_agent_id == agent.id for t in live), "push hands arrivals to the available agent"
    assert all(line.startswith("demo trickle: ") and " into " in line for line in lines), lines


async def test_the_switchboard_feeds_the_wallboard_through_the_api(db: Any, client: Any) -> None:
    from ops.demo.switchboard import switchboard
    from tests.helpers import bearer, token

    await load_reference(db)
    pbx = await token(db, "telephony", "reference", name="demo switchboard")
    assert await switchboard(client, pbx, every=0.01, limit=2) == 2
    board = await client.get("/api/wallboard", headers=bearer(await token(db, "supervisor", "reference")))
    queues = {q["queue"]: q for q in board.json()["queues"]}
    assert set(queues) == {"care", "helpdesk"}
    assert all(q["observed_at"] is not None and q["stale"] is False for q in queues.values())
