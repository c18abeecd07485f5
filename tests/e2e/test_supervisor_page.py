"""In a real browser, in Portuguese and in Spanish: the supervisor forces an agent's status with a break reason and
sees the time in it, filters by breached, assigns the late ticket to a named agent and saves the view."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.e2e.conftest import LiveServer

pytestmark = pytest.mark.browser

WORDS = {
    "pt": {"break": "pausa", "done": "Chamados alterados: 1.", "saved": "Visão salva.", "view": "Vencidos"},
    "es": {"break": "pausa", "done": "Tickets modificados: 1.", "saved": "Vista guardada.", "view": "Vencidos"},
}


async def _late_ticket(database_url: str) -> tuple[int, str]:
    """A ticket that arrived in March: long past its deadlines."""
    from ops.db import make_engine, make_sessionmaker
    from tests.integration.queues.factories import make_ticket, sp

    engine = make_engine(database_url, pool=False)
    try:
        async with make_sessionmaker(engine).begin() as session:
            ticket = await make_ticket(session, created_at=sp(2, 9), subject="Cobrança atrasada")
            return ticket.id, ticket.protocol
    finally:
        await engine.dispose()


@pytest.mark.parametrize("lang", ["pt", "es"])
def test_a_supervisor_forces_a_break_filters_breached_assigns_and_saves_the_view(
    live_server: LiveServer, sign_in: Callable[..., Any], lang: str
) -> None:
    words = WORDS[lang]
    with ThreadPoolExecutor(1) as pool:
        late_id, protocol = pool.submit(asyncio.run, _late_ticket(live_server.database_url)).result()
    ana = live_server.ids["agent"]
    page = sign_in("supervisor", lang=lang)
    assert page.url.endswith("/supervisor")
    assert page.locator("html").get_attribute("lang") == lang

    # An agent's status forced with a break reason and why; its time in it shows and ticks.
    row = page.locator(f"#sup-agents tr[data-agent='{ana}']")
    row.locator("select[name='status']").select_option("break")
    row.locator("select[name='reason']").select_option("meal")
    row.locator("input[name='note']").fill("Pausa combinada")
    row.locator("button[type='submit']").click()
    page.wait_for_load_state()
    row = page.locator(f"#sup-agents tr[data-agent='{ana}']")
    assert row.locator("[data-col='status']").inner_text().strip() == words["break"]
    assert row.locator("td[data-col='reason']").inner_text().strip() == "Refeição"
    first = row.locator("time.elapsed").inner_text()
    page.wait_for_timeout(1500)
    assert row.locator("time.elapsed").inner_text() != first  # the timer runs in the page

    # Breached only: the late ticket, none of the fresh ones.
    page.check("#f-breached")
    page.click("#f-apply")
    page.wait_for_url(re.compile(r"breached=1"))
    shown = page.locator("#sv-ticket-table tbody tr")
    assert shown.count() == 1
    assert shown.first.get_attribute("data-ticket") == str(late_id)

    # Assign it to a named agent.
    page.check(f"#sel-{late_id}")
    page.select_option("#bulk-agent", str(ana))
    page.click("#bulk-assign")
    page.wait_for_selector("#sv-notice")
    assert page.locator("#sv-notice").inner_text().strip() == words["done"]
    assert "breached=1" in page.url
    assigned = page.locator(f"#sv-ticket-table tr[data-ticket='{late_id}'] td[data-col='agent']")
    assert assigned.inner_text().strip() == "Ana Souza"

    # Save the view, then open it from its link.
    page.fill("#view-name", words["view"])
    page.click("#sv-save-view button[type='submit']")
    page.wait_for_selector("#sv-notice")
    assert page.locator("#sv-notice").inner_text().strip() == words["saved"]
    link = page.locator("a.view-link", has_text=words["view"])
    assert link.get_attribute("href") == "/supervisor?breached=1"
    page.goto(f"{live_server.url}/supervisor")
    page.locator("a.view-link", has_text=words["view"]).click()
    page.wait_for_url(re.compile(r"/supervisor\?breached=1$"))
    assert page.locator("#f-breached").is_checked()
    assert protocol in page.locator("#sv-ticket-table").inner_text()
