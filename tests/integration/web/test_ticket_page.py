"""The ticket page and its API twin: the resolve rule, canned replies and their placeholders, the thread apart from
a history told in sentences, the customer's other tickets, and service messages in the reader's language."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from ops.contracts.document import ContractFileError, parse_contract
from ops.db import utcnow
from ops.queues.models import Ticket, TicketEvent
from tests.helpers import REFERENCE_CONTRACT, bearer, load_reference, sign_in, token
from tests.integration.queues.factories import make_agent, make_ticket

Client = AsyncTestClient[Litestar]
PT = {"accept-language": "pt-BR"}
ES = {"accept-language": "es-AR"}
MARIA = {"id": "C-100", "name": "Maria Souza"}


@pytest.fixture
async def desk(client: Client, db: Any) -> dict[str, Any]:
    await load_reference(db)
    await load_reference(db, code="other")
    async with db.begin() as session:
        agent, secret = await make_agent(session, name="Ana")
        _, stranger = await make_agent(session, name="Zé", contract="other")
        now = utcnow()
        ticket = await make_ticket(
            session, created_at=now - timedelta(hours=1), assigned_to=agent, status="open", customer=MARIA
        )
        older = await make_ticket(session, created_at=now - timedelta(days=3), customer=MARIA, subject="Fatura antiga")
        # Same customer id, another contract: never shown here.
        await make_ticket(session, created_at=now - timedelta(days=2), contract="other", customer=MARIA)
        await make_ticket(session, created_at=now - timedelta(days=1), customer={"id": "C-999", "name": "Outro"})
    await sign_in(client, secret)
    return {"ticket": ticket.id, "older": older.id, "protocol": ticket.protocol, "ana": secret, "zé": stranger}


async def _act(client: Client, db: Any, tid: int, action: str, headers: dict[str, str] = PT, **form: str) -> Any:
    async with db() as session:
        ticket = await session.get(Ticket, tid)
        version = ticket.version
    data = {"action": action, "version": str(version), **form}
    return await client.post(f"/work/tickets/{tid}", data=data, headers=headers, follow_redirects=False)


FIELDS = {"field_recalculation_number": "RC-77", "field_resolution_date": "2026-03-03"}


async def test_resolve_is_refused_until_steps_are_ticked_and_a_reply_sent(client: Client, db: Any, desk: Any) -> None:
    tid = desk["ticket"]
    refused = await _act(client, db, tid, "resolve", **FIELDS)
    assert refused.status_code == 422
    assert (
        "Não resolvido: 4 de 4 passos do procedimento não estão marcados e nenhuma resposta foi enviada. "
        "Marque-os e responda, ou informe o motivo para resolver mesmo assim." in refused.text
    )
    assert 'name="override"' in refused.text
    refused_es = await _act(client, db, tid, "resolve", headers=ES, **FIELDS)
    assert "No resuelto: 4 de 4 pasos del procedimiento no están marcados" in refused_es.text
    for step in range(4):
        assert (await _act(client, db, tid, "tick", item=str(step))).status_code == 303
    still = await _act(client, db, tid, "resolve", **FIELDS)
    assert "Não resolvido: nenhuma resposta foi enviada ao cliente." in still.text
    assert (await _act(client, db, tid, "reply", message="Pedimos o recálculo.")).status_code == 303
    assert (await _act(client, db, tid, "resolve", **FIELDS)).status_code == 303
    async with db() as session:
        assert (await session.get(Ticket, tid)).status == "resolved"  # type: ignore[union-attr]


async def test_an_override_reason_is_recorded_and_told_in_the_history(client: Client, db: Any, desk: Any) -> None:
    tid = desk["ticket"]
    done = await _act(client, db, tid, "resolve", override="Resolvido por telefone", **FIELDS)
    assert done.status_code == 303
    async with db() as session:
        event = (
            await session.execute(
                select(TicketEvent).where(TicketEvent.ticket_id == tid, TicketEvent.action == "resolve")
            )
        ).scalar_one()
    assert event.after["override"] == "Resolvido por telefone"
    assert event.after["no_reply"] is True and len(event.after["steps_not_ticked"]) == 4
    page = await client.get(f"/work/tickets/{tid}", headers=PT)
    assert "Ana resolveu o chamado mesmo assim em" in page.text
    assert "com o motivo: Resolvido por telefone" in page.text
    assert "Passos não marcados: Request recalculation and credit;" in page.text
    assert "assigned_agent_id" not in page.text and "steps_not_ticked" not in page.text


async def test_the_contract_can_forbid_resolving_anyway(client: Client, db: Any) -> None:
    text = REFERENCE_CONTRACT.read_text(encoding="utf-8").replace("resolve_override: true", "resolve_override: false")
    await load_reference(db, text=text)
    async with db.begin() as session:
        agent, secret = await make_agent(session, name="Ana")
        ticket = await make_ticket(session, created_at=utcnow() - timedelta(hours=1), assigned_to=agent, status="open")
    url = f"/api/tickets/{ticket.id}/actions/resolve"
    body = {
        "version": ticket.version,
        "override": "por telefone",
        "fields": {"recalculation_number": "R", "resolution_date": "2026-03-03"},
    }
    refused = await client.post(url, json=body, headers={**bearer(secret), **ES})
    assert refused.status_code == 422
    assert refused.json()["detail"].endswith("The contract does not allow resolving anyway.")
    assert refused.json()["message"].endswith("El contrato no permite resolver de todos modos.")
    assert {"field": "override", "problem": "the contract does not allow resolving anyway"} in refused.json()["errors"]


async def test_canned_replies_are_filled_and_a_placeholder_left_is_refused(client: Client, db: Any, desk: Any) -> None:
    tid = desk["ticket"]
    page = await client.get(f"/work/tickets/{tid}", headers=PT)
    assert 'id="canned-menu"' in page.text
    assert f"Olá, Maria Souza. Registramos a cobrança indevida no protocolo {desk['protocol']}" in page.text
    assert "recálculo {recalculation_number}" in page.text  # not known yet: left for the agent
    assert "Digite / na caixa de resposta para inserir uma resposta pronta." in page.text
    refused = await _act(client, db, tid, "reply", message="Olá, Maria. Recálculo {recalculation_number}.")
    assert refused.status_code == 422
    assert "mensagem: substitua {recalculation_number} antes de enviar a resposta" in refused.text
    # What the agent typed comes back to be corrected, and nothing was sent.
    assert "Olá, Maria. Recálculo {recalculation_number}." in refused.text
    async with db() as session:
        assert (await session.execute(select(TicketEvent).where(TicketEvent.action == "reply"))).first() is None
    api = await client.post(
        f"/api/tickets/{tid}/actions/reply",
        json={"version": 1, "message": "Oi {customer_name}"},
        headers={**bearer(desk["ana"]), **ES},
    )
    assert api.status_code == 422
    assert api.json()["errors"] == [{"field": "message", "problem": "unresolved placeholder {customer_name}"}]


async def test_the_thread_is_apart_from_the_history_and_pends_note_is_a_note(
    client: Client, db: Any, desk: Any
) -> None:
    tid = desk["ticket"]
    await _act(client, db, tid, "reply", message="Pode enviar a fatura?")
    await _act(client, db, tid, "pend", message="Aguardando a fatura de fevereiro")
    page = (await client.get(f"/work/tickets/{tid}", headers=PT)).text
    thread = page[page.index('id="thread"') : page.index('id="procedure"')]
    assert thread.index("Fui cobrado por um serviço") < thread.index("Pode enviar a fatura?")
    assert thread.index("Pode enviar a fatura?") < thread.index("Aguardando a fatura de fevereiro")
    assert "msg-note" in thread and "Nota interna" in thread
    history = page[page.index('id="history"') :]
    assert "Ana respondeu ao cliente em" in history
    assert "Ana deixou o chamado pendente, aguardando o cliente, em" in history
    assert "Aguardando a fatura de fevereiro" not in history  # its text is in the thread
    async with db() as session:
        actions = (await session.execute(select(TicketEvent.action).where(TicketEvent.ticket_id == tid))).scalars()
        assert list(actions) == ["reply", "pend"]


async def test_the_customers_other_tickets_of_this_contract_are_listed(client: Client, db: Any, desk: Any) -> None:
    page = (await client.get(f"/work/tickets/{desk['ticket']}", headers=PT)).text
    others = page[page.index('id="other-tickets"') : page.index("</section>", page.index('id="other-tickets"'))]
    assert f'href="/work/tickets/{desk["older"]}"' in others and "Fatura antiga" in others
    assert others.count('href="/work/tickets/') == 1  # not the other contract's, not another customer's
    # The API's work view carries the same: the other tickets, the filled canned replies, the resolve rule's state.
    work = (await client.get(f"/api/tickets/{desk['ticket']}/work", headers=bearer(desk["ana"]))).json()
    assert [t["id"] for t in work["other_tickets"]] == [desk["older"]]
    assert work["canned_replies"][0]["text"].startswith("Olá, Maria Souza.")
    assert (work["resolve_blocked"], work["resolve_override_allowed"]) == (True, True)


async def test_service_messages_are_localized_without_internal_ids(client: Client, db: Any, desk: Any) -> None:
    tid = desk["ticket"]
    stale = await client.post(
        f"/work/tickets/{tid}", data={"action": "note", "version": "99", "message": "x"}, headers=ES
    )
    assert stale.status_code == 409
    assert "No se guardó: este ticket cambió mientras lo tenías abierto" in stale.text
    assert "version 99" not in stale.text
    bad_date = await _act(client, db, tid, "fields", headers=ES, field_resolution_date="3 de marzo")
    assert bad_date.status_code == 422
    assert "No se guardó: fields.resolution_date: '3 de marzo' no es una fecha AAAA-MM-DD" in html.unescape(
        bad_date.text
    )
    transfer = await _act(client, db, tid, "transfer", headers=ES, queue="bo_care")
    assert transfer.status_code == 409
    assert "No se guardó: el ticket ya está en bo_care" in transfer.text
    api = await client.post(
        f"/api/tickets/{tid}/actions/transfer", json={"version": 1, "queue": "bo_care"}, headers=bearer(desk["ana"])
    )
    assert api.json()["detail"] == "the ticket is already in bo_care"  # the API's detail stays English


async def test_countdowns_show_business_minutes_beside_them(client: Client, db: Any, desk: Any) -> None:
    page = (await client.get(f"/work/tickets/{desk['ticket']}", headers=PT)).text
    assert "min úteis" in page and 'class="business-left' in page
    home = (await client.get("/work", headers=PT)).text
    assert "min úteis" in home
    # A clock past its deadline reads "N min úteis de atraso", never a negative count.
    for shown in (page, home):
        assert not re.search(r'class="business-left[^>]*>\s*-', shown)


def test_a_bad_work_section_is_refused_at_load_naming_the_field() -> None:
    text = REFERENCE_CONTRACT.read_text(encoding="utf-8").replace("{customer_name}. Seu upgrade", "{nome}. Seu upgrade")
    from ops.composition import wire

    wire()
    with pytest.raises(ContractFileError) as refused:
        parse_contract(text, "test")
    assert refused.value.path == "work.canned_replies.speed_upgrade[0].text"
    assert "unknown placeholder {nome}" in refused.value.problem


async def test_the_customer_fields_are_named_in_the_readers_language(client: Client, db: Any, desk: Any) -> None:
    async with db.begin() as session:
        ticket = await session.get(Ticket, desk["ticket"])
        assert ticket is not None
        ticket.customer = {**MARIA, "area": "Lapa", "handle": "@maria", "followers": 12500, "loyalty": "gold"}
    page = await client.get(f"/work/tickets/{desk['ticket']}", headers=ES)
    fields = html.unescape(re.search(r'id="customer-fields">(.*?)</p>', page.text, re.S).group(1))  # type: ignore[union-attr]
    assert set(fields.split(" · ")) == {  # in the order the database keeps them (PostgreSQL's JSONB sorts keys)
        "Código de cliente: C-100",
        "Zona: Lapa",
        "Usuario en redes sociales: @maria",
        "Seguidores: 12.500",
        "loyalty: gold",  # a field the CRM added on its own keeps its name
    }
    page = await client.get(f"/work/tickets/{desk['ticket']}", headers=PT)
    assert "Seguidores: 12.500" in page.text and "Código do cliente: C-100" in page.text


async def test_back_leads_each_reader_to_a_page_of_their_own(client: Client, db: Any, desk: Any) -> None:
    """An agent goes back to /work; a manager, who reads tickets from /supervisor and may not open /work, there."""
    page = (await client.get(f"/work/tickets/{desk['ticket']}", headers=PT)).text
    assert '<a href="/work" id="back-link">' in page
    await sign_in(client, await token(db, "manager"))
    for url in (f"/work/tickets/{desk['ticket']}", "/work/queues/bo_care"):
        page = (await client.get(url, headers=PT)).text
        assert '<a href="/supervisor" id="back-link">' in page, url
    assert (await client.get("/supervisor", headers=PT)).status_code == 200
    assert (await client.get("/work", headers=PT, follow_redirects=False)).status_code == 403
