"""The live work pages through the app: the ticket page and its stream name who else has it open, a stale or
refused form comes back with every field as typed, and Next ticket at capacity is a notice over the agent's own
tickets, each in the reader's language. (The stream read while open, from real processes: test_live_stream.)"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from ops.config import Settings
from ops.db import utcnow
from tests.helpers import load_reference, sign_in, token
from tests.integration.queues.factories import make_agent, make_ticket

PT = {"accept-language": "pt-BR,pt;q=0.9"}
ES = {"accept-language": "es-AR,es;q=0.9"}


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    # A stream of 3 s: the test client reads an answer whole, so the stream must end for it to be read.
    return Settings(
        database_url=database_url,
        reports_dir=tmp_path / "reports",
        scheduler="off",
        database_pool=False,
        live_stream_seconds=3,
    )


def events(body: str) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for block in body.replace("\r\n", "\n").split("\n\n"):
        kind = re.search(r"^event: ?(.*)$", block, re.M)
        data = re.search(r"^data: ?(.*)$", block, re.M)
        if kind and data:
            found.append((kind.group(1).strip(), json.loads(data.group(1))))
    return found


async def test_the_ticket_page_names_the_others_looking_at_it(
    client: AsyncTestClient[Litestar], app: Litestar, db: Any
) -> None:
    await load_reference(db)
    async with db.begin() as session:
        ana, ana_secret = await make_agent(session, name="Ana Souza", skills={"bo_care": 1})
        ticket = await make_ticket(session, created_at=utcnow() - timedelta(minutes=3), assigned_to=ana, status="open")
        ticket_id = ticket.id
    supervisor = await token(db, "supervisor", "reference", name="Carla Lima")
    await sign_in(client, ana_secret)
    first = await client.get(f"/work/tickets/{ticket_id}", headers=ES)
    assert 'id="presence" class="presence hint" hidden' in first.text  # nobody else yet
    # The supervisor, in another browser, opens it too.
    client.cookies.clear()
    await sign_in(client, supervisor)
    seen = await client.get(f"/work/tickets/{ticket_id}", headers=ES)
    line = re.search(r'<p id="presence"[^>]*>(.*?)</p>', seen.text, re.S)
    assert line and "hidden" not in line.group(0)
    assert "También están viendo este ticket:" in line.group(1) and "Ana Souza" in line.group(1)
    client.cookies.clear()
    await sign_in(client, ana_secret)
    again = await client.get(f"/work/tickets/{ticket_id}", headers=ES)
    line = re.search(r'<p id="presence"[^>]*>(.*?)</p>', again.text, re.S)
    assert line and "Carla Lima" in line.group(1) and "Ana Souza" not in line.group(1)


async def test_the_stream_of_a_ticket_says_who_is_there(
    client: AsyncTestClient[Litestar], app: Litestar, db: Any
) -> None:
    from ops.queues.live import presence

    await load_reference(db)
    async with db.begin() as session:
        ana, secret = await make_agent(session, name="Ana Souza", skills={"bo_care": 1})
        ticket = await make_ticket(session, created_at=utcnow(), assigned_to=ana, status="open")
        ticket_id = ticket.id
    await presence.arrive(app.state.channels, ticket_id=ticket_id, visit="elsewhere", name="Bruno Dias")
    await sign_in(client, secret)
    answer = await client.get(f"/work/events?ticket={ticket_id}")
    assert ("presence", {"names": ["Bruno Dias"]}) in events(answer.text)
    # The stream's own visit is gone with it; the other stays until its time runs out.
    assert await presence.viewers(app.state.channels, ticket_id=ticket_id) == ["Bruno Dias"]
    missing = await client.get("/work/events?ticket=999999", headers=ES)
    assert missing.status_code == 404 and "text/html" in missing.headers["content-type"]


async def test_a_stale_form_comes_back_with_what_was_typed_and_why(client: AsyncTestClient[Litestar], db: Any) -> None:
    from ops.queues.intake.incidents import _link
    from ops.queues.models import Incident

    await load_reference(db)
    async with db.begin() as session:
        ana, secret = await make_agent(session, name="Ana Souza", skills={"bo_care": 1})
        ticket = await make_ticket(session, created_at=utcnow(), assigned_to=ana, status="open")
        ticket_id, version, contract_id = ticket.id, ticket.version, ticket.contract_id
    await sign_in(client, secret)
    # Meanwhile the intake links the open ticket to a mass outage (version + 1).
    async with db.begin() as session:
        incident = Incident(contract_id=contract_id, area="Zona Norte", status="open", opened_at=utcnow())
        session.add(incident)
        await session.flush()
        await _link(session, [ticket_id], incident, utcnow())
    typed = "Cliente pediu retorno amanhã às 10h; aguardando o comprovante"
    form = {"action": "pend", "version": str(version), "message": typed, "minutes": "4"}
    stale = await client.post(f"/work/tickets/{ticket_id}", data=form, headers=PT, follow_redirects=False)
    assert stale.status_code == 409
    assert "Não salvo: este chamado mudou enquanto você o tinha aberto (vinculado a um incidente, pelo sistema)." in (
        stale.text
    )
    assert "O que você digitou foi mantido" in stale.text
    assert f'<textarea id="pend-message" name="message" rows="2">{typed}</textarea>' in stale.text
    assert 'id="pend-minutes" name="minutes"' in stale.text and 'value="4"' in stale.text
    assert "version 1" not in stale.text and "now 2" not in stale.text
    # The forms carry the new version: sending it again works.
    assert set(re.findall(r'name="version" value="(\d+)"', stale.text)) == {str(version + 1)}
    form["version"] = str(version + 1)
    done = await client.post(f"/work/tickets/{ticket_id}", data=form, follow_redirects=False)
    assert done.status_code == 303, done.text


async def test_a_refused_transfer_keeps_the_queue_and_the_text(client: AsyncTestClient[Litestar], db: Any) -> None:
    await load_reference(db)
    async with db.begin() as session:
        ana, secret = await make_agent(session, name="Ana Souza", skills={"bo_care": 1})
        ticket = await make_ticket(session, created_at=utcnow(), assigned_to=ana, status="open")
        ticket_id, version = ticket.id, ticket.version
    await sign_in(client, secret)
    typed = "Cliente é técnico: passar para o suporte"
    form = {"action": "transfer", "version": str(version), "queue": "bo_care", "message": typed}
    refused = await client.post(f"/work/tickets/{ticket_id}", data=form, headers=ES, follow_redirects=False)
    assert refused.status_code == 409
    assert "No se guardó" in refused.text
    assert f'<textarea id="transfer-message" name="message" rows="2">{typed}</textarea>' in refused.text
    assert re.search(r"<details open><summary>[^<]*</summary><form[^>]*act-transfer", refused.text)


async def test_next_ticket_at_capacity_shows_the_tickets_held_and_what_comes_next(
    client: AsyncTestClient[Litestar], db: Any
) -> None:
    from ops.queues.models import Agent

    await load_reference(db)
    async with db.begin() as session:
        ana, secret = await make_agent(session, name="Ana Souza", skills={"bo_care": 1}, capacity=1, status="available")
        held = await make_ticket(session, created_at=utcnow(), assigned_to=ana, status="open", subject="Segunda via")
        await make_ticket(session, created_at=utcnow(), subject="Outro chamado na fila")
        stored = await session.get(Agent, ana.id)
        assert stored is not None
        stored.open_count = 1
        agent_id, protocol = ana.id, held.protocol
    await sign_in(client, secret)
    answer = await client.post("/work/next", data={"queue": "bo_care"}, headers=PT, follow_redirects=False)
    assert answer.status_code == 200
    assert "Você já tem 1 chamados, o seu limite. Conclua um e o próximo será oferecido a você" in answer.text
    assert protocol in answer.text  # the ticket the agent holds is on the page
    assert f"agent {agent_id}" not in answer.text and "capacity" not in answer.text
    assert 'id="work-error"' not in answer.text
    # A notice shown in place is not what a form key keeps: the same form sent again, capacity freed, claims.
    home = (await client.get("/work", headers=PT)).text
    assert home and (await client.get("/work")).headers["cache-control"] == "no-store"  # Back fetches it again
    key = re.search(r'action="/work/next".*?name="_form_key" value="([0-9a-f]{32})"', home, re.S)
    assert key is not None
    keyed = {"queue": "bo_care", "_form_key": key.group(1)}
    assert (await client.post("/work/next", data=keyed, headers=PT, follow_redirects=False)).status_code == 200
    async with db.begin() as session:
        stored = await session.get(Agent, agent_id)
        assert stored is not None
        stored.capacity = 2
    claimed = await client.post("/work/next", data=keyed, headers=PT, follow_redirects=False)
    assert claimed.status_code == 303 and "idempotent-replayed" not in claimed.headers
    again = await client.post("/work/next", data=keyed, headers=PT, follow_redirects=False)
    assert (again.status_code, again.headers["location"]) == (303, claimed.headers["location"])
    assert again.headers["idempotent-replayed"] == "true"  # a double click claims one ticket, not two


async def test_next_ticket_on_a_break_says_what_to_do_in_spanish(client: AsyncTestClient[Litestar], db: Any) -> None:
    await load_reference(db)
    async with db.begin() as session:
        agent, secret = await make_agent(session, name="Ana Souza", skills={"bo_care": 1}, status="break")
        agent_id = agent.id
    await sign_in(client, secret)
    answer = await client.post("/work/next", data={"queue": "bo_care"}, headers=ES, follow_redirects=False)
    assert answer.status_code == 409
    assert "Estás en pausa o desconectado: cambiá tu estado a disponible para tomar tickets." in answer.text
    assert f"agent {agent_id}" not in answer.text


def test_a_giveback_warning_reads_with_the_time_in_the_readers_zone_and_words() -> None:
    from zoneinfo import ZoneInfo

    from ops.auth import Principal
    from ops.queues.live.notices import TicketNews
    from ops.web.live_pages import describe

    news = TicketNews(
        ticket_id=5,
        action="giveback_warning",
        actor="system:giveback",
        at="2026-03-02T15:25:00+00:00",
        contract_id=1,
        queue_code="bo_care",
        protocol="20260302000123",
        version=4,
        assignee=7,
        after={"giveback_at": "2026-03-02T15:30:00+00:00"},
    )
    ana = Principal(token_id=1, name="agent:Ana Souza", role="agent", contract_id=1, agent_id=7)
    told = describe(news, lang="pt", principal=ana, tz=ZoneInfo("America/Sao_Paulo"))
    assert told["notice"] == "giveback_warning" and told["mine"] and not told["by_me"]
    assert told["text"].startswith("O chamado 20260302000123 volta para a fila às ")
    assert "12:30" in told["text"]  # 15:30 UTC in São Paulo
    other = Principal(token_id=2, name="agent:Bruno", role="agent", contract_id=1, agent_id=8)
    assert describe(news, lang="es", principal=other, tz=ZoneInfo("America/Sao_Paulo"))["text"] is None
