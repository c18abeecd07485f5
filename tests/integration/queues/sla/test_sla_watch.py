"""The SLA watch job: breaches marked once, warnings before deadlines only in business hours."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ops.composition import SCHEDULE
from ops.jobs.registry import JOBS
from ops.jobs.schedule import FixedJob
from ops.queues.models import Ticket, TicketEvent
from ops.queues.sla.jobs import sla_watch, watch_deadlines
from ops.queues.sla.sync import BREACH, WARNING
from tests.helpers import load_reference
from tests.integration.queues.factories import make_agent, make_ticket, sp


async def sla_events(db: Any, ticket_id: int) -> list[TicketEvent]:
    async with db() as session:
        query = (
            select(TicketEvent)
            .where(TicketEvent.ticket_id == ticket_id, TicketEvent.action.in_([BREACH, WARNING]))
            .order_by(TicketEvent.id)
        )
        return list((await session.execute(query)).scalars())


async def watch(db: Any, now: Any) -> tuple[int, int]:
    async with db.begin() as session:
        result = await watch_deadlines(session, now=now)
    return result.breaches, result.warnings


async def test_warns_once_before_the_deadline_and_marks_the_breach_once(wdb: Any) -> None:
    await load_reference(wdb)
    async with wdb.begin() as session:
        ana, _ = await make_agent(session, name="Ana")
        await make_agent(session, name="Carla", supervisor=True)
        # Due at 13:05: 08:05-12:00 gives 235 minutes, the lunch break none, 13:00-13:05 the rest.
        ticket = await make_ticket(session, created_at=sp(2, 8, 5), assigned_to=ana, status="open")
    assert ticket.first_response_due == sp(2, 13, 5)

    assert await watch(wdb, sp(2, 12, 40)) == (0, 0)  # 25 business minutes left
    assert await watch(wdb, sp(2, 12, 55)) == (0, 0)  # 5 left, but the queue is at lunch
    assert await watch(wdb, sp(2, 13)) == (0, 1)
    assert await watch(wdb, sp(2, 13, 1)) == (0, 0)
    (warning,) = await sla_events(wdb, ticket.id)
    assert warning.after == {
        "kind": "first_response",
        "due": sp(2, 13, 5).isoformat(),
        "minutes_left": 5.0,
        "notify": ["agent:Ana", "supervisor:Carla"],
    }

    assert await watch(wdb, sp(2, 13, 6)) == (1, 0)
    assert await watch(wdb, sp(2, 13, 7)) == (0, 0)
    async with wdb() as session:
        stored = await session.get(Ticket, ticket.id)
        assert stored is not None
        assert stored.first_response_breached and not stored.resolution_breached
        assert stored.warned_at == sp(2, 13)
    breach = (await sla_events(wdb, ticket.id))[-1]
    assert (breach.action, breach.actor, breach.after["kind"]) == (BREACH, "system:sla", "first_response")


async def test_the_job_runs_the_watch_and_is_scheduled_every_minute(wdb: Any) -> None:
    await load_reference(wdb)
    async with wdb.begin() as session:
        ticket = await make_ticket(session, created_at=sp(2, 9), priority="critical")
    # Critical: first response in 30 minutes, resolution in 480.
    result = await sla_watch({"sessionmaker": wdb}, now=sp(2, 9, 45).isoformat())
    assert result == {"checked": 1, "breaches": 1, "warnings": 0}
    assert await sla_watch({"sessionmaker": wdb}, now=sp(2, 9, 46).isoformat()) == {
        "checked": 0,
        "breaches": 0,
        "warnings": 0,
    }
    assert [e.after["kind"] for e in await sla_events(wdb, ticket.id)] == ["first_response"]
    assert "sla_watch" in JOBS
    assert FixedJob("sla_watch", "cron", {"minute": "*"}) in SCHEDULE
