"""In a real browser, the live work pages: an available agent sees a ticket pushed to them appear without a
reload (and the supervisor's page follows, without reloading either), in Portuguese; and in Argentine Spanish two
people on one ticket see each other, and the one whose ticket changed under them is told so with what they typed
kept, through the refused save too."""

from __future__ import annotations

import asyncio
import json
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.e2e.conftest import LiveServer

pytestmark = pytest.mark.browser


def in_database(live_server: LiveServer, work: Callable[[Any], Any]) -> Any:
    """Run `work(session)` on the server's database, in a thread of its own (Playwright runs a loop here)."""
    from ops.db import make_engine, make_sessionmaker

    async def go() -> Any:
        engine = make_engine(live_server.database_url, pool=False)
        try:
            async with make_sessionmaker(engine).begin() as session:
                return await work(session)
        finally:
            await engine.dispose()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, go()).result()


def crm_token(live_server: LiveServer) -> str:
    from ops.auth import issue_token
    from ops.queues.models import Agent

    async def work(session: Any) -> str:
        agent = await session.get(Agent, live_server.ids["agent"])
        agent.capacity = 5  # room for the three waiting tickets and the one the CRM sends
        return await issue_token(session, name="CaboNet CRM", role="client", contract_id=agent.contract_id)

    return str(in_database(live_server, work))


def send_ticket(live_server: LiveServer, secret: str, subject: str) -> dict[str, Any]:
    body = {
        "external_id": "crm-live-1",
        "channel": "email",
        "subject": subject,
        "body": "Fui cobrado duas vezes na fatura de fevereiro.",
        "customer": {"id": "c-77", "name": "Marta Reis"},
    }
    request = urllib.request.Request(  # noqa: S310 - the local test server
        f"{live_server.url}/api/tickets",
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {secret}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=15) as answer:  # noqa: S310
        created: dict[str, Any] = json.loads(answer.read())
        return created


def working(page: Any, queue: str) -> str:
    return str(page.locator(f"#sup-queues tr[data-queue='{queue}'] td[data-col='working']").inner_text().strip())


def until(page: Any, check: Callable[[], bool], seconds: float = 30) -> None:
    """Poll from here: the pages' policy runs no script string Playwright's wait_for_function would evaluate."""
    for _ in range(int(seconds * 10)):
        if check():
            return
        page.wait_for_timeout(100)
    raise AssertionError("the page never got there")


def test_a_pushed_ticket_appears_without_a_reload_in_portuguese(
    live_server: LiveServer, sign_in: Callable[..., Any]
) -> None:
    secret = crm_token(live_server)
    supervisor = sign_in("supervisor", lang="pt")
    agent = sign_in("agent", lang="pt")
    agent.select_option("#agent-status", "available")
    agent.click(".agent-status button[type=submit]")
    agent.wait_for_selector("#live[data-connected='1']", state="attached")
    # Available means "give me work": the three waiting tickets come to her.
    until(agent, lambda: agent.locator("#mine tbody tr").count() == 3)
    until(supervisor, lambda: working(supervisor, "bo_care") == "3")
    supervisor.wait_for_selector("#live[data-connected='1']", state="attached")
    for page in (agent, supervisor):
        page.evaluate("window.sameDocument = true")

    created = send_ticket(live_server, secret, "Cobrança em dobro na fatura de fevereiro")
    protocol = created["protocol"]
    agent.wait_for_selector(f"#mine >> text={protocol}", timeout=15000)
    notice = agent.locator(".live-notice", has_text=protocol)
    assert notice.inner_text().startswith(f"O chamado {protocol} foi enviado para você.")
    assert agent.locator("#my-load").inner_text().strip() == "4/5"
    until(supervisor, lambda: working(supervisor, "bo_care") == "4")
    # Neither page was reloaded: what the test left in them is still there.
    assert agent.evaluate("window.sameDocument") is True
    assert supervisor.evaluate("window.sameDocument") is True


def test_two_people_on_one_ticket_in_argentine_spanish(live_server: LiveServer, sign_in: Callable[..., Any]) -> None:
    ticket = f"{live_server.url}/work/tickets/{live_server.ids['urgent']}"
    agent = sign_in("agent", lang="es")
    agent.goto(ticket)
    agent.click("#do-take")
    agent.wait_for_selector("#live[data-connected='1']", state="attached")
    assert agent.locator("#presence").is_hidden()

    supervisor = sign_in("supervisor", lang="es")
    supervisor.goto(ticket)
    presence = supervisor.locator("#presence")
    assert presence.is_visible()
    assert "También están viendo este ticket:" in presence.inner_text() and "Ana Souza" in presence.inner_text()
    supervisor.wait_for_selector("#live[data-connected='1']", state="attached")
    # The agent's page hears the supervisor arrive, without a reload.
    agent.wait_for_selector("#presence:not([hidden]) >> text=Carla Lima", timeout=15000)

    # The supervisor starts a note; meanwhile the agent writes one of her own.
    typed = "Revisar con el área de facturación antes de responder"
    supervisor.click("details:has(#note-message) summary")
    supervisor.fill("#note-message", typed)
    agent.click("details:has(#note-message) summary")
    agent.fill("#note-message", "Cliente confirma cobro duplicado")
    agent.click("#do-note")
    agent.wait_for_load_state()

    changed = supervisor.locator(".live-notice.changed")
    changed.wait_for(timeout=15000)
    text = changed.inner_text()
    assert "Este ticket cambió mientras lo tenías abierto" in text and "por Ana Souza" in text
    assert "Lo que escribiste se conserva" in text
    assert changed.locator("button").get_attribute("aria-label") == "Cerrar"  # its close button, said in Spanish
    assert supervisor.input_value("#note-message") == typed

    # Sending it anyway: refused, and the page comes back with the note as typed and why, in Spanish.
    supervisor.click("#do-note")
    supervisor.wait_for_selector("#act-error")
    assert "No se guardó: este ticket cambió mientras lo tenías abierto" in supervisor.inner_text("#act-error")
    assert supervisor.input_value("#note-message") == typed
    supervisor.click("#do-note")
    supervisor.wait_for_selector("#act-error", state="detached")
    assert supervisor.locator(".thread", has_text=typed).count() == 1  # the note, in the conversation
