"""In a real browser, in Portuguese and in Spanish: the next ticket by its shortcut, the conversation, a canned reply
chosen by typing "/" (its missing placeholder stopped before sending), resolve refused while the procedure is
unticked, then ticked and resolved; "?" opens the shortcuts' cheat sheet."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from tests.e2e.conftest import LiveServer

pytestmark = pytest.mark.browser

WORDS = {
    "pt": {
        "placeholder": "Substitua os campos a preencher antes de enviar: {recalculation_number}",
        "refused": "Não resolvido: 4 de 4 passos do procedimento não estão marcados.",
        "shortcuts": "Atalhos de teclado",
        "replied": "Ana Souza respondeu ao cliente em",
        "resolved": "Ana Souza resolveu o chamado em",
        "status": "resolvido",
        "business": r"-?\d{1,3}(\.\d{3})* min úteis",
    },
    "es": {
        "placeholder": "Reemplazá los campos a completar antes de enviar: {recalculation_number}",
        "refused": "No resuelto: 4 de 4 pasos del procedimiento no están marcados.",
        "shortcuts": "Atajos de teclado",
        "replied": "Ana Souza respondió al cliente el",
        "resolved": "Ana Souza resolvió el ticket el",
        "status": "resuelto",
        "business": r"-?\d{1,3}(\.\d{3})* min hábiles",
    },
}


@pytest.mark.parametrize("lang", ["pt", "es"])
def test_next_ticket_thread_canned_reply_resolve_refused_then_resolved(
    live_server: LiveServer, sign_in: Callable[..., Any], lang: str
) -> None:
    words = WORDS[lang]
    agent = sign_in("agent", lang=lang)
    agent.wait_for_load_state("load")  # the shortcuts' script runs deferred
    # "?" opens the cheat sheet; Escape closes it.
    agent.keyboard.press("?")
    assert agent.locator("#shortcuts").is_visible()
    assert agent.locator("#h-shortcuts").inner_text() == words["shortcuts"]
    agent.keyboard.press("Escape")
    assert not agent.locator("#shortcuts").is_visible()
    # "n" takes the next ticket of the agent's primary queue.
    agent.keyboard.press("n")
    agent.wait_for_url(re.compile(r"/work/tickets/\d+$"))
    assert agent.url.endswith(f"/work/tickets/{live_server.ids['urgent']}")
    assert "Fui cobrado por um serviço que não contratei." in agent.locator("#thread").inner_text()
    # Beside the wall-clock countdown, the business minutes left, kept by the script over the calendar's open hours.
    left = agent.locator("table.clocks tr[data-kind='resolution'] .business-left")
    assert re.fullmatch(words["business"], left.inner_text()), left.inner_text()
    if left.get_attribute("data-windows"):  # the calendar opens within a day: the script keeps the figure
        left.evaluate("el => { el.textContent = 'stale'; }")
        agent.wait_for_timeout(1200)
        assert re.fullmatch(words["business"], left.inner_text()), left.inner_text()

    # "r" goes to the reply box; "/" offers the reason's canned replies; Enter inserts the first one.
    agent.keyboard.press("r")
    assert agent.evaluate("document.activeElement.id") == "reply-message"
    agent.keyboard.type("/recá")
    menu = agent.locator("#canned-menu")
    menu.wait_for(state="visible")
    assert menu.locator("[role=option]:visible").first.inner_text() == "Recálculo solicitado"
    agent.keyboard.press("Enter")
    text = agent.locator("#reply-message").input_value()
    assert text.startswith("Olá, Cliente ") and "protocolo 2026" in text and "{recalculation_number}" in text
    # Sending with the placeholder left is stopped in the page, naming it.
    agent.click("#do-reply")
    assert agent.locator("#reply-placeholders").inner_text() == words["placeholder"]
    assert agent.url.endswith(f"/work/tickets/{live_server.ids['urgent']}")
    # The placeholder is selected after the insertion: typing replaces it.
    agent.fill("#reply-message", text.replace("{recalculation_number}", "RC-2026-0042"))
    agent.click("#do-reply")
    agent.wait_for_selector("#thread .msg-reply")
    assert "RC-2026-0042" in agent.locator("#thread .msg-reply").inner_text()
    assert words["replied"] in agent.locator("#history").inner_text()

    # Resolve with the procedure unticked: refused, in the page's language, with the override offered.
    agent.wait_for_load_state("load")
    agent.keyboard.press("e")
    agent.fill("#resolve-field_recalculation_number", "RC-2026-0042")
    agent.fill("#resolve-field_resolution_date", "2026-12-10")
    agent.click("#do-resolve")
    assert words["refused"] in agent.locator("#act-error").inner_text()
    assert agent.locator("#resolve-override").is_visible()
    for step in range(4):
        agent.click(f"#tick-{step}")
        agent.wait_for_selector(f"#tick-{step}[aria-pressed='true']")
    agent.wait_for_load_state("load")
    agent.keyboard.press("e")
    agent.fill("#resolve-field_recalculation_number", "RC-2026-0042")
    agent.fill("#resolve-field_resolution_date", "2026-12-10")
    agent.click("#do-resolve")
    agent.wait_for_selector(".badge.st-resolved")
    assert agent.locator(".badge.st-resolved").inner_text() == words["status"]
    assert words["resolved"] in agent.locator("#history").inner_text()
