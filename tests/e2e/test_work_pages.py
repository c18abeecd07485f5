"""In a real browser: an agent takes the next ticket, follows the procedure, pends, resumes and
resolves it, while the supervisor view follows along."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from tests.e2e.conftest import LiveServer

pytestmark = pytest.mark.browser


def queue_row(page: Any, code: str) -> dict[str, str]:
    row = page.locator(f"#sup-queues tr[data-queue='{code}']")
    return {col: row.locator(f"td[data-col='{col}']").inner_text().strip() for col in ("waiting", "working", "pending")}


def agent_load(page: Any, agent_id: int) -> str:
    return str(page.locator(f"#sup-agents tr[data-agent='{agent_id}'] td[data-col='load']").inner_text().strip())


def test_agent_works_a_ticket_end_to_end_and_the_supervisor_sees_it(
    live_server: LiveServer, sign_in: Callable[..., Any]
) -> None:
    supervisor = sign_in("supervisor")
    assert supervisor.url.endswith("/supervisor")
    assert queue_row(supervisor, "bo_care") == {"waiting": "3", "working": "0", "pending": "0"}

    agent = sign_in("agent")
    assert agent.url.endswith("/work")
    assert agent.locator("#no-tickets").is_visible()
    # Keyboard only: Tab reaches the "next ticket" button (its shortcut `n` is tested in test_ticket_page.py).
    for _ in range(30):
        agent.keyboard.press("Tab")
        if agent.evaluate("document.activeElement.classList.contains('next-ticket')"):
            break
    else:
        pytest.fail("Tab never reached the next-ticket button")
    agent.keyboard.press("Enter")
    agent.wait_for_url(re.compile(r"/work/tickets/\d+$"))
    assert agent.url.endswith(f"/work/tickets/{live_server.ids['urgent']}")
    assert agent.locator("#assignee").inner_text() == "Ana Souza"
    assert agent.locator(".badge.st-open").count() == 1

    supervisor.reload()
    assert queue_row(supervisor, "bo_care") == {"waiting": "2", "working": "1", "pending": "0"}
    assert agent_load(supervisor, live_server.ids["agent"]) == "1/3"

    for step in range(4):
        agent.click(f"#tick-{step}")
        agent.wait_for_selector(f"#tick-{step}[aria-pressed='true']")
    assert agent.locator("ol.checklist li.done").count() == 4

    agent.fill("#reply-message", "Pode nos enviar a fatura de fevereiro?")
    agent.click("#do-reply")
    agent.wait_for_selector("#thread .msg-reply")
    agent.click("summary:has-text('Pend')")
    agent.fill("#pend-message", "Aguardando a fatura")
    agent.click("#do-pend")
    agent.wait_for_selector(".badge.st-pending")
    assert agent.locator("table.clocks tr[data-kind='resolution']").inner_text().count("stopped") == 1
    supervisor.reload()
    assert queue_row(supervisor, "bo_care") == {"waiting": "2", "working": "0", "pending": "1"}

    agent.click("#do-resume")
    agent.wait_for_selector(".badge.st-open")
    assert agent.locator("table.clocks tr[data-kind='resolution'] time.countdown").count() == 1

    # Resolving an undue charge without its recalculation number and date is refused, named.
    agent.click("summary:has-text('Resolve')")
    agent.click("#do-resolve")
    alert = agent.locator("#act-error")
    assert "fields.recalculation_number" in alert.inner_text()
    assert "fields.resolution_date" in alert.inner_text()
    agent.fill("#resolve-field_recalculation_number", "RC-2026-0042")
    agent.fill("#resolve-field_resolution_date", "2026-12-10")
    agent.fill("#resolve-message", "Crédito lançado na próxima fatura.")
    agent.click("#do-resolve")
    agent.wait_for_selector(".badge.st-resolved")
    history = agent.locator("ol.history").inner_text()
    for said in (
        "Ana Souza resolved the ticket at",
        "Ana Souza resumed the ticket at",
        "Ana Souza put the ticket on hold, waiting on the customer, at",
        "Ana Souza replied to the customer at",
        "Ana Souza ticked the step “Request recalculation and credit” at",
        "Ana Souza filled in Recalculation number: RC-2026-0042",
    ):
        assert said in history, said
    assert agent.locator("#field_recalculation_number").input_value() == "RC-2026-0042"

    supervisor.reload()
    assert queue_row(supervisor, "bo_care") == {"waiting": "2", "working": "0", "pending": "0"}
    assert agent_load(supervisor, live_server.ids["agent"]) == "0/3"

    agent.goto(f"{live_server.url}/work")
    assert agent.locator("#no-tickets").is_visible()


def test_pages_speak_portuguese_and_the_countdowns_tick(live_server: LiveServer, sign_in: Callable[..., Any]) -> None:
    agent = sign_in("agent", lang="pt")
    assert agent.locator("button.next-ticket").inner_text() == "Próximo chamado"
    agent.goto(f"{live_server.url}/work/queues/bo_care")
    first = agent.locator("time.countdown").first
    assert first.get_attribute("datetime")
    # The script re-renders every countdown from its due time each second.
    first.evaluate("el => { el.textContent = 'stale'; }")
    agent.wait_for_timeout(1200)
    assert re.fullmatch(r"(atrasado )?\d+(d \d+h|h \d{2}m|m \d{2}s)", first.inner_text()), first.inner_text()
    headers = agent.locator("table.tickets th").all_inner_texts()
    assert headers[:3] == ["Protocolo", "Assunto", "Prioridade"]


def test_a_spanish_browser_reads_spanish_error_pages_included(
    live_server: LiveServer, sign_in: Callable[..., Any]
) -> None:
    agent = sign_in("agent", lang="es")  # the browser sends Accept-Language: es-AR
    assert agent.locator("h1").first.inner_text() == "Mi trabajo"
    assert agent.locator("button.next-ticket").first.inner_text() == "Próximo ticket"
    assert agent.locator("table.queues th").first.inner_text() == "Cola"
    # The next-ticket form's address opened by hand: a page in Spanish with its status, not the API's JSON.
    answer = agent.goto(f"{live_server.url}/work/next")
    assert answer is not None and answer.status == 405
    assert agent.locator("#error-title").inner_text() == "No disponible de esta forma"
    missing = agent.goto(f"{live_server.url}/work/tickets/999999?from=e2e")
    assert missing is not None and missing.status == 404
    assert agent.locator("#error-title").inner_text() == "No encontrado"
    # Switching language comes back to the same address, its query included, now in Portuguese.
    with agent.expect_navigation():
        agent.select_option("#lang-select", "pt")
    assert agent.url.endswith("/work/tickets/999999?from=e2e")
    assert agent.locator("#error-title").inner_text() == "Não encontrado"
