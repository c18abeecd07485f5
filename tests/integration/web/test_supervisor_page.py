"""The supervisor's page: assign to a named agent (refusals in the reader's language), bulk actions that keep what
was accepted, a status forced with a reason, filters with saved views, and the mass outage extended and resolved."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from ops.queues.models import Agent, AgentEvent, Incident, SavedView, Ticket, TicketEvent
from tests.helpers import load_reference, sign_in, token
from tests.integration.queues.factories import make_agent, make_ticket, sp

PT = {"accept-language": "pt-BR"}
ES = {"accept-language": "es-AR"}


async def _world(db: Any) -> dict[str, int]:
    await load_reference(db)
    async with db.begin() as session:
        ana, _ = await make_agent(session, name="Ana", skills={"bo_care": 1}, capacity=2)
        bia, _ = await make_agent(session, name="Bia", skills={"social": 1}, capacity=2)
        late = await make_ticket(session, created_at=sp(2, 9))  # long past its deadlines: breached
        fresh = await make_ticket(session, created_at=datetime.now(UTC) - timedelta(minutes=1), sync=False)
        return {"ana": ana.id, "bia": bia.id, "late": late.id, "fresh": fresh.id}


async def test_a_supervisor_assigns_a_ticket_to_a_named_agent_and_hears_a_refusal_in_portuguese(
    client: AsyncTestClient[Litestar], db: Any
) -> None:
    ids = await _world(db)
    await sign_in(client, await token(db, "supervisor", "reference", name="Sofia"))
    form = {"action": "assign", "agent": str(ids["bia"]), f"ticket_{ids['late']}": "1"}
    refused = await client.post("/supervisor/tickets", data=form, headers=PT, follow_redirects=False)
    assert refused.status_code == 422
    assert "Bia não tem habilidade para a fila Back office - care." in refused.text, re.findall(
        r"sv-refused.{0,400}", refused.text, re.S
    )
    form["agent"] = str(ids["ana"])
    done = await client.post("/supervisor/tickets", data=form, headers=PT, follow_redirects=False)
    assert done.status_code == 303, done.text
    page = await client.get(done.headers["location"], headers=PT)
    assert "Chamados alterados: 1." in page.text
    async with db() as session:
        ticket = await session.get(Ticket, ids["late"])
        agent = await session.get(Agent, ids["ana"])
        assert ticket is not None and agent is not None
        assert (ticket.assigned_agent_id, agent.open_count) == (ids["ana"], 1)
        event = (await session.execute(select(TicketEvent).where(TicketEvent.action == "assigned"))).scalar_one()
        assert (event.actor, event.after["how"]) == ("supervisor:Sofia", "supervisor")
    again = await client.post("/supervisor/tickets", data=form, headers=ES, follow_redirects=False)
    assert again.status_code == 409
    assert "ya está con Ana" in again.text


async def test_a_bulk_transfer_keeps_the_tickets_it_moved_and_lists_the_others(
    client: AsyncTestClient[Litestar], db: Any
) -> None:
    ids = await _world(db)
    async with db.begin() as session:
        closed = await make_ticket(session, created_at=sp(2, 9), status="closed")
    await sign_in(client, await token(db, "supervisor", "reference"))
    form = {"action": "transfer", "queue": "bo_helpdesk", f"ticket_{ids['late']}": "1", f"ticket_{closed.id}": "1"}
    response = await client.post("/supervisor/tickets", data=form, headers=PT, follow_redirects=False)
    assert response.status_code == 200, response.text
    assert "Chamados alterados: 1." in response.text
    assert 'id="sv-refused"' in response.text
    assert f"O chamado {closed.protocol} não está novo nem aberto: não pode ser transferido." in response.text
    async with db() as session:
        moved = await session.get(Ticket, ids["late"])
        kept = await session.get(Ticket, closed.id)
        assert moved is not None and kept is not None
        assert (moved.queue_id != kept.queue_id, kept.status) == (True, "closed")
    # A ticket number no row can hold is a ticket that does not exist, listed as such (it was a 500).
    huge = {**form, f"ticket_{10**22}": "1"}
    response = await client.post("/supervisor/tickets", data=huge, headers=PT, follow_redirects=False)
    assert response.status_code == 409 and f"não há chamado {10**22}" in response.text, response.status_code
    nothing = await client.post("/supervisor/tickets", data={"action": "assign"}, headers=PT, follow_redirects=False)
    assert nothing.status_code == 422
    assert "Selecione ao menos um chamado." in nothing.text


async def test_a_bulk_action_sent_from_the_page_with_its_form_key_keeps_what_it_did(
    client: AsyncTestClient[Litestar], db: Any
) -> None:
    """A bulk action partly refused answers its result in place (200): the form's key lets it through unkept, and
    what it did stays done."""
    ids = await _world(db)
    async with db.begin() as session:
        closed = await make_ticket(session, created_at=sp(2, 9), status="closed")
    await sign_in(client, await token(db, "supervisor", "reference"))
    page = (await client.get("/supervisor", headers=PT)).text
    key = re.search(r'id="sv-bulk">.*?name="_form_key" value="([0-9a-f]{32})"', page, re.S)
    assert key is not None
    form = {"action": "transfer", "queue": "bo_helpdesk", f"ticket_{ids['late']}": "1", f"ticket_{closed.id}": "1"}
    form["_form_key"] = key.group(1)
    response = await client.post("/supervisor/tickets", data=form, headers=PT, follow_redirects=False)
    assert response.status_code == 200 and "Chamados alterados: 1." in response.text
    async with db() as session:
        events = (
            await session.execute(select(TicketEvent.action).where(TicketEvent.ticket_id == ids["late"]))
        ).scalars()
        assert "transfer" in list(events)  # kept: it had been rolled back with the key's unkept answer


async def test_a_forced_status_needs_a_reason_and_is_recorded_with_who_and_why(
    client: AsyncTestClient[Litestar], db: Any
) -> None:
    ids = await _world(db)
    await sign_in(client, await token(db, "supervisor", "reference", name="Sofia"))
    path = f"/supervisor/agents/{ids['ana']}/status"
    no_why = await client.post(path, data={"status": "break", "reason": "meal"}, headers=ES, follow_redirects=False)
    assert no_why.status_code == 422
    assert "Diga por qué cambia el estado de este agente." in no_why.text
    no_reason = await client.post(path, data={"status": "break", "note": "x"}, headers=PT, follow_redirects=False)
    assert no_reason.status_code == 422
    assert "Diga o motivo: escolha o motivo da pausa." in no_reason.text
    form = {"status": "break", "reason": "meal", "note": "Almoço combinado"}
    done = await client.post(path, data=form, headers=PT, follow_redirects=False)
    assert done.status_code == 303, done.text
    page = await client.get("/supervisor", headers=PT)
    row = page.text.split(f'data-agent="{ids["ana"]}"')[1].split("</tr>")[0]
    assert "pausa" in row and "Refeição" in row and 'class="elapsed"' in row
    async with db() as session:
        agent = await session.get(Agent, ids["ana"])
        assert agent is not None
        assert (agent.status, agent.status_reason, agent.status_since is not None) == ("break", "meal", True)
        event = (
            (
                await session.execute(
                    select(AgentEvent).where(AgentEvent.agent_id == ids["ana"]).order_by(AgentEvent.id.desc())
                )
            )
            .scalars()
            .first()
        )
        assert event is not None
        assert (event.actor, event.after, event.note) == (
            "supervisor:Sofia",
            {"status": "break", "reason": "meal"},
            "Almoço combinado",
        )


async def test_filters_by_breached_and_saved_views_are_the_users_own(
    client: AsyncTestClient[Litestar], db: Any
) -> None:
    ids = await _world(db)
    await sign_in(client, await token(db, "supervisor", "reference", name="Sofia"))
    everything = await client.get("/supervisor", headers=PT)
    assert f'data-ticket="{ids["fresh"]}"' in everything.text
    breached = await client.get("/supervisor", params={"breached": "1"}, headers=PT)
    assert f'data-ticket="{ids["late"]}"' in breached.text
    assert f'data-ticket="{ids["fresh"]}"' not in breached.text
    async with db.begin() as session:
        now = datetime.now(UTC)
        soon = await make_ticket(session, created_at=now, sync=False, first_response_due=now + timedelta(minutes=30))
        later = await make_ticket(session, created_at=now, sync=False, first_response_due=now + timedelta(hours=3))
    within = await client.get("/supervisor", params={"due_within": "60", "queue": "bo_care"}, headers=PT)
    shown = set(re.findall(r'<tr class="[^"]*" data-ticket="(\d+)"', within.text))
    assert shown == {str(soon.id), str(ids["late"])}  # a deadline already past is due within any N
    assert later.id != soon.id
    bad = await client.get("/supervisor", params={"due_within": "soon"}, headers=PT)
    assert bad.status_code == 422 and "due_within" in bad.text
    saved = await client.post(
        "/supervisor/views",
        data={"name": "Atrasados", "back": "breached=1&queue=bo_care&extra=x"},
        headers=PT,
        follow_redirects=False,
    )
    assert saved.status_code == 303
    assert saved.headers["location"] == "/supervisor?queue=bo_care&breached=1&notice=saved"
    page = await client.get(saved.headers["location"], headers=PT)
    assert "Visão salva." in page.text
    assert 'href="/supervisor?queue=bo_care&amp;breached=1"' in page.text and "Atrasados" in page.text
    await sign_in(client, await token(db, "supervisor", "reference", name="Rui"))
    other = await client.get("/supervisor", headers=PT)
    assert "Atrasados" not in other.text
    async with db() as session:
        view = (await session.execute(select(SavedView))).scalar_one()
    refused = await client.post("/supervisor/views/delete", data={"view": str(view.id)}, follow_redirects=False)
    assert refused.status_code == 404


async def test_the_mass_outage_is_extended_and_resolved_from_the_page(
    client: AsyncTestClient[Litestar], db: Any
) -> None:
    ids = await _world(db)
    async with db.begin() as session:
        ticket = await session.get(Ticket, ids["late"])
        assert ticket is not None
        incident = Incident(contract_id=ticket.contract_id, area="Perdizes", status="open", opened_at=sp(2, 8))
        session.add(incident)
        await session.flush()
        ticket.incident_id = incident.id
        incident_id = incident.id
    await sign_in(client, await token(db, "supervisor", "reference"))
    base = f"/supervisor/incidents/{incident_id}"
    bad = await client.post(f"{base}/extend", data={"forecast_end": "amanhã"}, headers=PT, follow_redirects=False)
    assert bad.status_code == 422 and "Escreva o fim previsto como data e hora." in bad.text
    far = await client.post(f"{base}/extend", data={"forecast_end": "9999-12-31T23:59"}, headers=PT)
    assert far.status_code == 422 and "previsão de fim: a data está fora das datas aceitas" in far.text
    ok = await client.post(f"{base}/extend", data={"forecast_end": "2026-03-02T20:30"}, follow_redirects=False)
    assert ok.status_code == 303, ok.text
    resolved = await client.post(f"{base}/resolve", data={"back": "breached=1"}, headers=PT, follow_redirects=False)
    assert resolved.status_code == 303
    assert resolved.headers["location"] == "/supervisor?breached=1&resolved=1"
    shown = await client.get(resolved.headers["location"], headers=PT)
    assert "Queda resolvida; chamados resolvidos com ela: 1." in shown.text
    async with db() as session:
        stored = await session.get(Incident, incident_id)
        linked = await session.get(Ticket, ids["late"])
        assert stored is not None and linked is not None
        assert stored.forecast_end == sp(2, 20, 30)
        assert (stored.status, linked.status) == ("resolved", "resolved")


async def test_a_bulk_canned_reply_fills_each_ticket_and_lists_the_refused_in_spanish(
    client: AsyncTestClient[Litestar], db: Any
) -> None:
    await load_reference(db)
    async with db.begin() as session:
        ready = await make_ticket(session, created_at=sp(2, 9), customer={"name": "Joana"})
        ready.fields = {"recalculation_number": "RC-77"}
        unready = await make_ticket(session, created_at=sp(2, 9))  # no recalculation number yet
        upgrade = await make_ticket(session, created_at=sp(2, 9), reason="speed_upgrade")  # no such reply
        closed = await make_ticket(session, created_at=sp(2, 9), status="closed")
        closed.fields = {"recalculation_number": "RC-78"}
    await sign_in(client, await token(db, "supervisor", "reference", name="Sofia"))
    page = await client.get("/supervisor", headers=ES)
    assert 'id="bulk-reply"' in page.text and "Recálculo solicitado" in page.text
    assert "Enviar la respuesta" in page.text
    form = {"action": "reply", "reply": "Recálculo solicitado", "back": ""}
    form |= {f"ticket_{t.id}": "1" for t in (ready, unready, upgrade, closed)}
    response = await client.post("/supervisor/tickets", data=form, headers=ES, follow_redirects=False)
    assert response.status_code == 200, response.text
    assert "Tickets modificados: 1." in response.text
    assert f"Ticket {unready.protocol}: la respuesta necesita {{recalculation_number}}" in response.text
    assert f"Ticket {upgrade.protocol}: su motivo no tiene la respuesta predefinida “Recálculo solicitado”." in (
        response.text
    )
    assert "Esto no se puede hacer con un ticket en este estado (está cerrado)" in response.text
    async with db() as session:
        replies = (await session.execute(select(TicketEvent).where(TicketEvent.action == "reply"))).scalars().all()
        assert [(e.ticket_id, e.actor) for e in replies] == [(ready.id, "supervisor:Sofia")]
        assert replies[0].note is not None
        assert replies[0].note.startswith("Olá, Joana. Registramos a cobrança indevida no protocolo " + ready.protocol)
        assert "RC-77" in replies[0].note and "{" not in replies[0].note
    missing = await client.post(
        "/supervisor/tickets", data={"action": "reply", f"ticket_{ready.id}": "1"}, headers=PT, follow_redirects=False
    )
    assert missing.status_code == 422
    assert "Escolha a resposta pronta." in missing.text
