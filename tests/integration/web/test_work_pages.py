"""The back-office pages' own answers, in the reader's language."""

from __future__ import annotations

import re
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.helpers import load_reference, sign_in, token


async def test_a_supervisor_without_an_agent_is_told_so_in_portuguese(
    client: AsyncTestClient[Litestar], db: Any
) -> None:
    await load_reference(db)
    await sign_in(client, await token(db, "supervisor", "reference"))
    response = await client.post("/work/next", data={"queue": "care"}, headers={"accept-language": "pt-BR"})
    assert response.status_code == 403
    assert "Este acesso não é de um agente." in response.text


async def test_a_queue_that_does_not_exist_is_named_in_the_readers_words(
    client: AsyncTestClient[Litestar], db: Any
) -> None:
    from tests.integration.queues.factories import make_agent

    await load_reference(db)
    async with db.begin() as session:
        _, secret = await make_agent(session, name="Ana", skills={"bo_care": 1}, status="available")
    await sign_in(client, secret)
    response = await client.post("/work/next", data={"queue": "nope"}, headers={"accept-language": "pt-BR"})
    assert response.status_code == 404 and "não há fila &#39;nope&#39;" in response.text, response.text
    listed = await client.get("/work/queues/nope", headers={"accept-language": "es-AR"})
    assert listed.status_code == 404


async def test_a_failed_page_action_leaves_nothing_behind(client: AsyncTestClient[Litestar], db: Any) -> None:
    """Resolving an undue-charge ticket without its recalculation number fails after the action claimed the
    ticket's version: the page answers 422 with the problem, and the ticket is as it was (same version), so
    the agent's next try does not meet a 409."""
    from ops.queues.models import Ticket
    from tests.integration.queues.factories import make_agent, make_ticket, sp

    await load_reference(db)
    async with db.begin() as session:
        agent, secret = await make_agent(session, name="Ana")
        ticket = await make_ticket(session, created_at=sp(2, 9), assigned_to=agent, status="open")
        ticket_id, version = ticket.id, ticket.version
    await sign_in(client, secret)
    form = {"action": "resolve", "version": str(version), "message": "Resolvido", "override": "Por telefone"}
    failed = await client.post(f"/work/tickets/{ticket_id}", data=form, follow_redirects=False)
    assert failed.status_code == 422
    assert "recalculation_number" in failed.text
    async with db() as session:
        stored = await session.get(Ticket, ticket_id)
        assert stored is not None
        assert (stored.version, stored.status) == (version, "open")
    # The page shown again reads the ticket before the failed action: its forms carry the stored version.
    assert set(re.findall(r'name="version" value="(\d+)"', failed.text)) == {str(version)}
    fields = {"field_recalculation_number": "R-77", "field_resolution_date": "2026-03-03"}
    done = await client.post(f"/work/tickets/{ticket_id}", data={**form, **fields}, follow_redirects=False)
    assert done.status_code == 303, done.text
