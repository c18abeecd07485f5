"""Working a ticket through the service: actions, audit history, stored clocks, rules and conflicts."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import select

from ops.contracts.models import Contract
from ops.errors import ConflictError, InvalidInputError, NotFoundError
from ops.queues.assignment.pull import claim_next
from ops.queues.models import Agent, Ticket, TicketEvent
from ops.queues.sla.sync import BREACH, refresh_clocks
from ops.queues.work.actions import ForbiddenError, act
from ops.queues.work.views import queue_summaries, supervisor_overview, ticket_work
from tests.helpers import REFERENCE_CONTRACT, load_reference
from tests.integration.queues.factories import as_principal, make_agent, make_ticket, sp, supervisor_principal


async def events_of(db: Any, ticket_id: int) -> list[TicketEvent]:
    async with db() as session:
        query = select(TicketEvent).where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.id)
        return list((await session.execute(query)).scalars())


async def fresh(db: Any, ticket_id: int) -> Ticket:
    async with db() as session:
        ticket: Ticket | None = await session.get(Ticket, ticket_id)
        assert ticket is not None
        return ticket


async def open_count(db: Any, agent_id: int) -> int:
    async with db() as session:
        agent: Agent | None = await session.get(Agent, agent_id)
        assert agent is not None
        return agent.open_count


@pytest.fixture
async def setup(wdb: Any) -> dict[str, Any]:
    db = wdb
    await load_reference(db)
    async with db.begin() as session:
        ana, _ = await make_agent(session, name="Ana")
        bia, _ = await make_agent(session, name="Bia")
        ticket = await make_ticket(session, created_at=sp(2, 9))
        return {"ana": ana, "bia": bia, "ticket": ticket.id, "contract": ana.contract_id}


async def do(db: Any, ticket_id: int, action: str, principal: Any, **kwargs: Any) -> Ticket:
    async with db.begin() as session:
        current = await session.get(Ticket, ticket_id)
        assert current is not None
        return await act(
            session, ticket_id=ticket_id, action=action, principal=principal, version=current.version, **kwargs
        )


async def test_take_tick_pend_resume_resolve_records_everything_and_the_clocks(wdb: Any, setup: dict[str, Any]) -> None:
    db = wdb
    ana, tid = as_principal(setup["ana"]), setup["ticket"]
    await do(db, tid, "take", ana, now=sp(2, 9, 10))
    assert (await fresh(db, tid)).status == "open"
    assert await open_count(db, setup["ana"].id) == 1
    for step in range(4):
        await do(db, tid, "tick", ana, item=step, now=sp(2, 9, 20))
    await do(db, tid, "reply", ana, message="Pode enviar a fatura de fevereiro?", now=sp(2, 10))
    # The text typed with the pend is the agent's note on the pend, not a reply to the customer.
    await do(db, tid, "pend", ana, message="Aguardando a fatura", now=sp(2, 10))
    waiting = await fresh(db, tid)
    assert waiting.status == "pending"
    assert waiting.first_response_at == sp(2, 10) and waiting.first_response_minutes == 60
    assert waiting.resolution_due is None  # stopped while waiting on the customer
    await do(db, tid, "resume", ana, now=sp(3, 10))
    resumed = await fresh(db, tid)
    # 60 minutes used on Monday, 1560 left from Tuesday 10:00: Tue 420, Wed 540, Thu 540, Fri 60.
    assert resumed.resolution_due == sp(6, 9)
    await do(
        db,
        tid,
        "resolve",
        ana,
        fields={"recalculation_number": "RC-2026-0042", "resolution_date": "2026-03-10"},
        message="Crédito lançado na próxima fatura.",
        now=sp(3, 11),
    )
    done = await fresh(db, tid)
    assert (done.status, done.resolved_at, done.resolution_minutes) == ("resolved", sp(3, 11), 120)
    assert done.fields == {"recalculation_number": "RC-2026-0042", "resolution_date": "2026-03-10"}
    assert not done.first_response_breached and not done.resolution_breached
    assert await open_count(db, setup["ana"].id) == 0

    history = await events_of(db, tid)
    assert [e.action for e in history] == [
        "take",
        "tick",
        "tick",
        "tick",
        "tick",
        "reply",
        "pend",
        "resume",
        "fields",
        "resolve",
    ]
    take, tick = history[0], history[1]
    assert take.before == {"assigned_agent_id": None, "status": "new"}
    assert take.after == {"assigned_agent_id": setup["ana"].id, "status": "open"}
    assert take.actor.startswith("agent:Ana") and take.at == sp(2, 9, 10)
    assert tick.after == {"step": 0, "done": True, "text": "Request recalculation and credit"}
    assert history[5].note == "Pode enviar a fatura de fevereiro?"
    assert (history[6].action, history[6].note) == ("pend", "Aguardando a fatura")
    assert history[-2].after == {"recalculation_number": "RC-2026-0042", "resolution_date": "2026-03-10"}
    assert "steps_not_ticked" not in history[-1].after
    async with db() as session:
        work = await ticket_work(session, ticket_id=tid, principal=ana, now=sp(3, 12))
    assert all(row["done"] for row in work.checklist)
    assert work.allowed == ("note", "customer_message", "reopen", "close", "log_time")


async def test_an_undue_charge_needs_its_recalculation_number_and_date(wdb: Any, setup: dict[str, Any]) -> None:
    db = wdb
    ana, tid = as_principal(setup["ana"]), setup["ticket"]
    await do(db, tid, "take", ana, now=sp(2, 9, 10))
    with pytest.raises(InvalidInputError) as missing:
        await do(db, tid, "resolve", ana, now=sp(2, 10))
    assert [e["field"] for e in missing.value.extra] == ["fields.recalculation_number", "fields.resolution_date"]
    with pytest.raises(InvalidInputError) as blank:  # what an empty form sends
        await do(db, tid, "resolve", ana, fields={"recalculation_number": " ", "resolution_date": ""})
    assert len(blank.value.extra) == 2
    with pytest.raises(InvalidInputError) as bad:
        await do(db, tid, "resolve", ana, fields={"recalculation_number": "RC-1", "resolution_date": "10/03/2026"})
    assert bad.value.extra == [{"field": "fields.resolution_date", "problem": "'10/03/2026' is not a date YYYY-MM-DD"}]
    with pytest.raises(InvalidInputError, match="not a field of this reason"):
        await do(db, tid, "fields", ana, fields={"protocolo": "x"})
    # Filled in earlier, they count at the resolve.
    await do(db, tid, "fields", ana, fields={"recalculation_number": "RC-1", "resolution_date": "2026-03-10"})
    await do(db, tid, "resolve", ana, now=sp(2, 11), override="Resolvido por telefone")
    resolved = await fresh(db, tid)
    assert resolved.status == "resolved"
    assert (await events_of(db, tid))[-1].after["steps_not_ticked"][0] == "Request recalculation and credit"


async def test_a_stale_version_is_a_conflict_and_changes_nothing(wdb: Any, setup: dict[str, Any]) -> None:
    db = wdb
    ana, tid = as_principal(setup["ana"]), setup["ticket"]
    async with db.begin() as session:
        version = (await session.get(Ticket, tid)).version
        await act(session, ticket_id=tid, action="take", principal=ana, version=version, now=sp(2, 9, 10))
    with pytest.raises(ConflictError, match="changed since you loaded it"):
        async with db.begin() as session:
            await act(session, ticket_id=tid, action="note", principal=ana, version=version, message="x")
    assert [e.action for e in await events_of(db, tid)] == ["take"]


async def test_two_agents_taking_the_same_ticket_at_once_one_wins(wdb: Any, setup: dict[str, Any]) -> None:
    db = wdb
    tid = setup["ticket"]

    async def take(agent: Agent) -> str:
        try:
            async with db.begin() as session:
                await act(session, ticket_id=tid, action="take", principal=as_principal(agent), version=1)
        except (ConflictError, ForbiddenError) as exc:
            return type(exc).__name__
        return "won"

    outcomes = await asyncio.gather(take(setup["ana"]), take(setup["bia"]))
    assert sorted(outcomes)[-1] == "won" and outcomes.count("won") == 1
    assert await open_count(db, setup["ana"].id) + await open_count(db, setup["bia"].id) == 1


async def test_agents_act_only_on_their_own_tickets_of_their_contract(wdb: Any, setup: dict[str, Any]) -> None:
    db = wdb
    ana, bia, tid = as_principal(setup["ana"]), as_principal(setup["bia"]), setup["ticket"]
    await do(db, tid, "take", ana, now=sp(2, 9, 10))
    with pytest.raises(ForbiddenError, match="assigned to someone else"):
        await do(db, tid, "take", bia)
    with pytest.raises(ForbiddenError, match="only on tickets assigned to them"):
        await do(db, tid, "reply", bia, message="oi")
    await do(db, tid, "note", bia, message="Vi que o cliente ligou também no 0800.")
    await load_reference(db, code="other")
    async with db.begin() as session:
        stranger, _ = await make_agent(session, name="Zé", contract="other")
    with pytest.raises(NotFoundError):
        await do(db, tid, "note", as_principal(stranger), message="x")
    manager = supervisor_principal(setup["contract"])
    manager = type(manager)(0, "boss", "manager", None, None)
    with pytest.raises(ForbiddenError, match="manager token cannot"):
        await do(db, tid, "note", manager, message="x")


async def test_a_supervisor_can_take_over_and_the_load_moves(wdb: Any, setup: dict[str, Any]) -> None:
    db = wdb
    ana, tid = as_principal(setup["ana"]), setup["ticket"]
    await do(db, tid, "take", ana)
    async with db.begin() as session:
        boss, _ = await make_agent(session, name="Carla", supervisor=True)
    await do(db, tid, "take", supervisor_principal(setup["contract"], boss.id))
    assert (await fresh(db, tid)).assigned_agent_id == boss.id
    assert (await open_count(db, setup["ana"].id), await open_count(db, boss.id)) == (0, 1)


async def test_transfer_sends_it_to_the_other_queue_pool_with_that_queue_clock(wdb: Any, setup: dict[str, Any]) -> None:
    db = wdb
    ana, tid = as_principal(setup["ana"]), setup["ticket"]
    await do(db, tid, "take", ana, now=sp(2, 9, 10))
    with pytest.raises(InvalidInputError, match="not a ticket queue"):
        await do(db, tid, "transfer", ana, queue="care")
    await do(
        db, tid, "transfer", ana, queue="bo_helpdesk", reason="technical_claim", message="É técnico", now=sp(2, 10)
    )
    moved = await fresh(db, tid)
    assert moved.assigned_agent_id is None and moved.status == "open"
    assert moved.checklist[0] == {"step": "Read the claim", "done": False, "by": None, "at": None}
    # bo_helpdesk gives 2160 minutes instead of 1620: one more business day.
    assert moved.resolution_due == sp(6, 9)
    assert await open_count(db, setup["ana"].id) == 0
    event = (await events_of(db, tid))[-1]
    assert (event.before["queue"], event.after["queue"], event.after["reason"]) == (
        "bo_care",
        "bo_helpdesk",
        "technical_claim",
    )
    async with db.begin() as session:
        claimed = await claim_next(session, agent_id=setup["bia"].id, queue_code="bo_helpdesk", now=sp(2, 10, 5))
    assert claimed is not None and claimed.id == tid


async def test_escalate_flags_it_for_supervision(wdb: Any, setup: dict[str, Any]) -> None:
    db = wdb
    ana, tid = as_principal(setup["ana"]), setup["ticket"]
    await do(db, tid, "take", ana)
    with pytest.raises(InvalidInputError, match="reason for escalating"):
        await do(db, tid, "escalate", ana)
    await do(db, tid, "escalate", ana, message="Cliente ameaça a Anatel")
    assert (await fresh(db, tid)).flagged
    with pytest.raises(ConflictError, match="already escalated"):
        await do(db, tid, "escalate", ana, message="de novo")


async def test_reopen_continues_the_resolution_clock_and_gives_the_ticket_back(wdb: Any, setup: dict[str, Any]) -> None:
    db = wdb
    ana, tid = as_principal(setup["ana"]), setup["ticket"]
    fields = {"recalculation_number": "RC-9", "resolution_date": "2026-03-09"}
    await do(db, tid, "take", ana, now=sp(2, 9))
    await do(db, tid, "reply", ana, message="Olá", now=sp(2, 9, 30))
    await do(db, tid, "resolve", ana, fields=fields, now=sp(2, 10), override="Resolvido por telefone")
    assert (await fresh(db, tid)).resolution_minutes == 60
    await do(db, tid, "customer_message", ana, message="Não veio o crédito", now=sp(4, 10))
    reopened = await fresh(db, tid)
    assert (reopened.status, reopened.resolved_at, reopened.resolution_minutes) == ("open", None, None)
    assert reopened.next_response_due == sp(4, 15)
    assert await open_count(db, setup["ana"].id) == 1
    await do(db, tid, "resolve", ana, now=sp(4, 11), override="Crédito confirmado")
    again = await fresh(db, tid)
    assert (again.resolution_minutes, again.next_response_due) == (120, None)
    await do(db, tid, "close", ana, now=sp(5, 9))
    closed = await fresh(db, tid)
    assert (closed.status, closed.closed_at) == ("closed", sp(5, 9))
    with pytest.raises(ConflictError, match="it is closed"):
        await do(db, tid, "reopen", ana)


async def test_a_breach_is_recorded_once_and_survives_a_calendar_change(wdb: Any, setup: dict[str, Any]) -> None:
    db = wdb
    ana, tid = as_principal(setup["ana"]), setup["ticket"]
    await do(db, tid, "take", ana, now=sp(2, 9))
    # First response was due at 14:00 (09-12 and 13-14).
    await do(db, tid, "reply", ana, message="Olá", now=sp(2, 15))
    late = await fresh(db, tid)
    assert late.first_response_due == sp(2, 14) and late.first_response_breached
    assert late.first_response_minutes == 300
    await do(db, tid, "note", ana, message="anotado", now=sp(2, 16))
    breaches = [e for e in await events_of(db, tid) if e.action == BREACH]
    assert len(breaches) == 1 and breaches[0].after["kind"] == "first_response"

    # The contract now closes Monday afternoons: the recomputed due moves past the reply, but the
    # breach the customer already suffered stays.
    text = REFERENCE_CONTRACT.read_text(encoding="utf-8").replace(
        'mon: [["08:00", "12:00"], ["13:00", "18:00"]]', 'mon: [["08:00", "12:00"]]'
    )
    await load_reference(db, text=text)
    async with db.begin() as session:
        ticket = await session.get(Ticket, tid)
        assert ticket is not None
        await refresh_clocks(session, ticket=ticket, now=sp(2, 17))
    changed = await fresh(db, tid)
    assert changed.first_response_due == sp(3, 9)
    assert changed.first_response_breached
    assert changed.first_response_minutes == 180


async def test_unknown_action_and_unknown_ticket(wdb: Any, setup: dict[str, Any]) -> None:
    db = wdb
    ana = as_principal(setup["ana"])
    with pytest.raises(NotFoundError, match="no action 'dance'"):
        await do(db, setup["ticket"], "dance", ana)
    async with db.begin() as session:
        with pytest.raises(NotFoundError, match="no ticket 999"):
            await act(session, ticket_id=999, action="note", principal=ana, version=1, message="x")
        contract_id = (await session.execute(select(Contract.id))).scalar_one()
    assert contract_id == setup["contract"]


async def test_a_replayed_ticket_keeps_the_answer_it_brought_from_the_crm(wdb: Any) -> None:
    db = wdb
    await load_reference(db)
    async with db.begin() as session:
        ana, _ = await make_agent(session, name="Ana")
        ticket = await make_ticket(session, created_at=sp(2, 9), sync=False, first_response_at=sp(2, 10))
    await do(db, ticket.id, "take", as_principal(ana), now=sp(3, 9))
    await do(db, ticket.id, "pend", as_principal(ana), now=sp(3, 10))
    stored = await fresh(db, ticket.id)
    assert (stored.first_response_at, stored.first_response_minutes) == (sp(2, 10), 60)
    assert not stored.first_response_breached
    imported = [e for e in await events_of(db, ticket.id) if e.actor == "imported"]
    assert [(e.action, e.at) for e in imported] == [("reply", sp(2, 10))]


async def test_tickets_resolved_with_their_mass_outage_stop_the_resolution_clock(wdb: Any) -> None:
    db = wdb
    await load_reference(db)
    async with db.begin() as session:
        ticket = await make_ticket(session, created_at=sp(2, 9))
        ticket.status = "resolved"
        session.add(TicketEvent(ticket_id=ticket.id, at=sp(2, 11), actor="t", action="resolved", before={}, after={}))
        await session.flush()
        await refresh_clocks(session, ticket=ticket, now=sp(3, 9))
    stored = await fresh(db, ticket.id)
    assert (stored.resolved_at, stored.resolution_minutes, stored.first_response_at) == (sp(2, 11), 120, sp(2, 11))


async def test_a_late_ticket_the_watch_has_not_flagged_yet_counts_as_breached(wdb: Any, setup: dict[str, Any]) -> None:
    """Between the SLA watch's passes (or with it stopped), the supervisor's queue counts and breached list say
    what the breached filter says: a ticket past its deadline is breached, never "due within the hour"."""
    supervisor = supervisor_principal(setup["contract"])
    async with wdb() as session:
        ticket = await session.get(Ticket, setup["ticket"])
        assert ticket is not None and not ticket.first_response_breached and not ticket.resolution_breached
        care = next(q for q in await queue_summaries(session, principal=supervisor) if q.queue.code == "bo_care")
        overview = await supervisor_overview(session, principal=supervisor)
    assert (care.breached, care.due_soon) == (1, 0)
    assert [r.ticket.id for r in overview.breached] == [setup["ticket"]]
