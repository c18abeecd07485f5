"""In a real browser, one agent's working day against one served app, in Portuguese and in Argentine Spanish (issue
14's "done when"): she becomes available and the waiting tickets, then one the CRM sends, come to her page without a
reload; she takes the next ticket, reads the conversation, a supervisor opens the same ticket in a second browser and
each sees the other; the supervisor starts a note while she sends a canned reply, and is told the ticket changed with
the note kept; her resolve is refused while the procedure is unticked, then she ticks it and resolves; the supervisor
filters by breached, assigns the late ticket to her by name and forces her status to a break. At each step the page
speaks the reader's language: no English words, no internal codes, no raw JSON."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import ROOT, LiveServer
from tests.e2e.test_live_work import crm_token, in_database, send_ticket, until, working

pytestmark = pytest.mark.browser

# Each step's screenshot, for a person to look at the day as its users saw it: kept only when asked for.
SHOTS = Path(os.environ["OPS_E2E_SHOTS"]) if os.environ.get("OPS_E2E_SHOTS") else None

WORDS = {
    "pt": {
        "home": "Meu trabalho",
        "pushed": "O chamado {protocol} foi enviado para você.",
        "presence": "Também estão vendo este chamado:",
        "changed": "Este chamado mudou enquanto você o tinha aberto",
        "kept": "O que você digitou foi mantido",
        "replied": "Ana Souza respondeu ao cliente em",
        "refused": "Não resolvido: 4 de 4 passos do procedimento não estão marcados.",
        "resolved": "Ana Souza resolveu o chamado em",
        "status": "resolvido",
        "done": "Chamados alterados: 1.",
        "break": "pausa",
        "meal": "Refeição",
    },
    "es": {
        "home": "Mi trabajo",
        "pushed": "Se te asignó el ticket {protocol}.",
        "presence": "También están viendo este ticket:",
        "changed": "Este ticket cambió mientras lo tenías abierto",
        "kept": "Lo que escribiste se conserva",
        "replied": "Ana Souza respondió al cliente el",
        "refused": "No resuelto: 4 de 4 pasos del procedimiento no están marcados.",
        "resolved": "Ana Souza resolvió el ticket el",
        "status": "resuelto",
        "done": "Tickets modificados: 1.",
        "break": "pausa",
        "meal": "Refeição",  # the contract names its break reasons,
    },
}

# Words a reader would spot as English on a page meant for Portuguese or Spanish (whole words, case-sensitive:
# the names, protocols and customer text in the seed contain none of them).
ENGLISH = re.compile(
    r"\b(the|ticket was|Ticket|Next|Resolve|Reply|Available|Break|Offline|Busy|Queue|Waiting|Status|Priority|"
    r"Subject|Agent|Assign|Save|Filter|Breached|overdue|stopped|left|ago|Note|Send|Cancel|None|null|undefined)\b"
)
# Codes a person was never meant to read: snake_case keys, a bare JSON object.
CODES = re.compile(r"\b[a-z]+_[a-z_]+\b|\{\s*\"")


def contract_words() -> list[str]:
    """The contract file's own names, labels and procedure steps: the client's words, shown as written (the
    reference contract writes them in English), so not the pages' to translate."""
    import yaml

    found: list[str] = []

    def walk(node: Any, key: str = "") -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, k)
        elif isinstance(node, list):
            for v in node:
                walk(v, key)
        elif isinstance(node, str) and key in {"name", "label", "procedure"}:
            found.append(node)

    walk(yaml.safe_load((ROOT / "examples" / "reference-contract.yaml").read_text()))
    return sorted(found, key=len, reverse=True)


def look(page: Any, lang: str, step: str) -> str:
    """Screenshot the step and return the page's visible text after checking it for English and codes."""
    if SHOTS is not None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"day-{lang}-{step}.png"), full_page=True)
    text = str(page.locator("body").inner_text())
    for phrase in contract_words():
        text = text.replace(phrase, "")
    english = sorted(set(ENGLISH.findall(text)))
    codes = sorted(set(CODES.findall(text)))
    if english:
        lines = [line for line in text.splitlines() if ENGLISH.search(line)]
        raise AssertionError(f"{step}: English on a {lang} page: {english} in {lines}")
    assert codes == [], f"{step}: internal codes on a {lang} page: {codes}"
    return text


def pool_ticket(live_server: LiveServer, **columns: Any) -> tuple[int, str]:
    """A ticket put straight into the pool (intake would push it; this one waits for a pull or an assignment)."""
    from ops.db import utcnow
    from tests.integration.queues.factories import make_ticket

    created_at = columns.pop("created_at", utcnow())

    async def work(session: Any) -> tuple[int, str]:
        ticket = await make_ticket(session, created_at=created_at, **columns)
        return ticket.id, ticket.protocol

    result: tuple[int, str] = in_database(live_server, work)
    return result


@pytest.mark.parametrize("lang", ["pt", "es"])
def test_an_agents_working_day(live_server: LiveServer, sign_in: Callable[..., Any], lang: str) -> None:
    from tests.integration.queues.factories import sp

    words = WORDS[lang]
    ana = live_server.ids["agent"]
    secret = crm_token(live_server)  # and room for five tickets
    agent = sign_in("agent", lang=lang)
    assert agent.locator("h1").first.inner_text() == words["home"]
    look(agent, lang, "01-home")

    # Available: the three waiting tickets come to her, then the one the CRM sends, without a reload.
    agent.select_option("#agent-status", "available")
    agent.click(".agent-status button[type=submit]")
    agent.wait_for_selector("#live[data-connected='1']", state="attached")
    until(agent, lambda: agent.locator("#mine tbody tr").count() == 3)
    agent.evaluate("window.sameDocument = true")
    protocol = send_ticket(live_server, secret, "Cobrança em dobro na fatura de fevereiro")["protocol"]
    agent.wait_for_selector(f"#mine >> text={protocol}", timeout=15000)
    assert (
        agent.locator(".live-notice", has_text=protocol)
        .inner_text()
        .startswith(words["pushed"].format(protocol=protocol))
    )
    assert agent.locator("#my-load").inner_text().strip() == "4/5"
    assert agent.evaluate("window.sameDocument") is True
    look(agent, lang, "02-pushed")

    # The next ticket: the one waiting in the pool.
    next_id, next_protocol = pool_ticket(live_server, priority="high", subject="Cobrança indevida: taxa de visita")
    agent.wait_for_load_state("load")  # the shortcuts' script runs deferred
    agent.keyboard.press("n")
    agent.wait_for_url(re.compile(rf"/work/tickets/{next_id}$"))
    agent.wait_for_selector("#live[data-connected='1']", state="attached")
    assert "Fui cobrado por um serviço que não contratei." in agent.locator("#thread").inner_text()
    assert agent.locator("#presence").is_hidden()
    look(agent, lang, "03-ticket")

    # A second browser on the same ticket: each sees the other.
    supervisor = sign_in("supervisor", lang=lang)
    supervisor.goto(f"{live_server.url}/work/tickets/{next_id}")
    assert words["presence"] in supervisor.locator("#presence").inner_text()
    assert "Ana Souza" in supervisor.locator("#presence").inner_text()
    supervisor.wait_for_selector("#live[data-connected='1']", state="attached")
    agent.wait_for_selector("#presence:not([hidden]) >> text=Carla Lima", timeout=15000)
    assert words["presence"] in agent.locator("#presence").inner_text()
    look(supervisor, lang, "04-second-browser")

    # The supervisor starts a note; meanwhile the agent sends a canned reply chosen by typing "/".
    typed = "Conferir com o faturamento antes de responder" if lang == "pt" else "Revisar con facturación primero"
    supervisor.click("details:has(#note-message) summary")
    supervisor.fill("#note-message", typed)
    agent.wait_for_load_state("load")
    agent.keyboard.press("r")
    agent.keyboard.type("/recá")
    agent.locator("#canned-menu").wait_for(state="visible")
    look(agent, lang, "05-canned-menu")
    agent.keyboard.press("Enter")
    text = agent.locator("#reply-message").input_value()
    assert next_protocol in text and "{recalculation_number}" in text
    agent.fill("#reply-message", text.replace("{recalculation_number}", "RC-2026-0042"))
    agent.click("#do-reply")
    agent.wait_for_selector("#thread .msg-reply")
    assert words["replied"] in agent.locator("#history").inner_text()
    look(agent, lang, "06-replied")

    changed = supervisor.locator(".live-notice.changed")
    changed.wait_for(timeout=15000)
    assert words["changed"] in changed.inner_text() and "Ana Souza" in changed.inner_text()
    assert words["kept"] in changed.inner_text()
    assert supervisor.input_value("#note-message") == typed
    look(supervisor, lang, "07-changed-notice")

    # Resolve with the procedure unticked: refused; ticked: resolved.
    agent.wait_for_load_state("load")
    agent.keyboard.press("e")
    agent.fill("#resolve-field_recalculation_number", "RC-2026-0042")
    agent.fill("#resolve-field_resolution_date", "2026-12-10")
    agent.click("#do-resolve")
    assert agent.locator("#act-error").inner_text().strip().startswith(words["refused"])  # no "Not saved:" first
    look(agent, lang, "08-resolve-refused")
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
    look(agent, lang, "09-resolved")

    # The supervisor's page: breached only, the late ticket assigned to her by name, her status forced.
    late_id, late_protocol = pool_ticket(live_server, created_at=sp(2, 9), subject="Cobrança atrasada")
    agent.goto(f"{live_server.url}/work")
    agent.wait_for_selector("#live[data-connected='1']", state="attached")
    supervisor.goto(f"{live_server.url}/supervisor")
    until(supervisor, lambda: working(supervisor, "bo_care") == "4")
    # The late ticket counts as breached at once (not as "due within 1 h"), as the breached filter will say.
    queue = supervisor.locator("#sup-queues tr[data-queue='bo_care']")
    assert queue.locator("td[data-col='breached']").inner_text().strip() == "1"
    assert queue.locator("td[data-col='due_soon']").inner_text().strip() == "0"
    assert supervisor.locator("#breached-count").inner_text().strip() == "1"
    look(supervisor, lang, "10-supervisor")
    supervisor.check("#f-breached")
    supervisor.click("#f-apply")
    supervisor.wait_for_url(re.compile(r"breached=1"))
    shown = supervisor.locator("#sv-ticket-table tbody tr")
    assert shown.count() == 1 and shown.first.get_attribute("data-ticket") == str(late_id)
    look(supervisor, lang, "11-breached")
    supervisor.check(f"#sel-{late_id}")
    supervisor.select_option("#bulk-agent", str(ana))
    supervisor.click("#bulk-assign")
    supervisor.wait_for_selector("#sv-notice")
    assert supervisor.locator("#sv-notice").inner_text().strip() == words["done"]
    assigned = supervisor.locator(f"#sv-ticket-table tr[data-ticket='{late_id}'] td[data-col='agent']")
    assert assigned.inner_text().strip() == "Ana Souza"
    look(supervisor, lang, "12-assigned")
    agent.wait_for_selector(f"#mine >> text={late_protocol}", timeout=15000)
    look(agent, lang, "13-agent-assigned")

    row = supervisor.locator(f"#sup-agents tr[data-agent='{ana}']")
    row.locator("select[name='status']").select_option("break")
    row.locator("select[name='reason']").select_option("meal")
    row.locator("input[name='note']").fill("Pausa combinada")
    row.locator("button[type='submit']").click()
    supervisor.wait_for_load_state()
    row = supervisor.locator(f"#sup-agents tr[data-agent='{ana}']")
    assert row.locator("[data-col='status']").inner_text().strip() == words["break"]
    assert row.locator("td[data-col='reason']").inner_text().strip() == words["meal"]
    look(supervisor, lang, "14-forced-break")
    agent.reload()
    assert agent.locator("#agent-status").input_value() == "break"
    look(agent, lang, "15-agent-on-break")
