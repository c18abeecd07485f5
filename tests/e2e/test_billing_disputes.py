"""In a real browser: a manager opens a dispute on October's invoice by hand and moves it through its states on
/billing (submitted, recalculation granted, credited on a credit note, closed) and the client follows it in its
portal, in Portuguese and in Spanish; the client disputes part of an invoice from the portal (a badly typed amount
refused first with nothing opened) and submits it to the provider."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.conftest import LiveServer

pytestmark = pytest.mark.browser

MONTH = "2026-10"
BILLING = f"/billing?contract=reference&month={MONTH}"
WORDS = {
    "pt": {
        "tab": "Faturamento",
        "opened": "aberta",
        "submitted": "protocolada",
        "recalculation_granted": "recálculo concedido",
        "credited": "creditada",
        "closed": "encerrada",
        "by_hand": "Aberta manualmente sobre a fatura 1",
        "open": "Abrir uma disputa manualmente",
        "required": "Informe o número do recálculo.",
        "amount": "Escreva o valor com centavos, como 1.234,56.",
        "disputed": "em disputa",
    },
    "es": {
        "tab": "Facturación",
        "opened": "abierta",
        "submitted": "presentada",
        "recalculation_granted": "recálculo concedido",
        "credited": "acreditada",
        "closed": "cerrada",
        "by_hand": "Abierta a mano sobre la factura 1",
        "open": "Abrir una disputa a mano",
        "required": "Indique el número del recálculo.",
        "amount": "Escriba el importe con centavos, como 1.234,56.",
        "disputed": "en disputa",
    },
}


async def _seed_invoice(database_url: str, *, credit_note: bool) -> dict[str, str]:
    """October approved and invoiced (invoice 1), optionally a credit note of 496.00 against it; a client and a
    manager token."""
    from ops.auth import issue_token
    from ops.billing.invoices import services as invoices
    from ops.composition import import_models
    from ops.contracts.services import get_contract
    from ops.db import make_engine, make_sessionmaker
    from tests.integration.billing.factories import measurement

    import_models()
    engine = make_engine(database_url, pool=False)
    sessionmaker = make_sessionmaker(engine)
    async with sessionmaker.begin() as session:
        await measurement(session, month=MONTH)
        await invoices.issue_invoice(session, code="reference", month=MONTH, actor="test")
        if credit_note:
            await invoices.issue_credit_note(
                session, code="reference", invoice_number=1, amount=Decimal("496.00"), reason="turno 1", actor="test"
            )
        contract = await get_contract(session, code="reference", principal=None)
        client = await issue_token(session, name="Ana Cliente", role="client", contract_id=contract.id)
        manager = await issue_token(session, name="Marta Reis", role="manager", contract_id=None)
    await engine.dispose()
    return {"client": client, "manager": manager}


def _seed(live_server: LiveServer, *, credit_note: bool = False) -> None:
    # Playwright's sync API keeps an event loop running in this thread: seed from another one.
    with ThreadPoolExecutor(1) as pool:
        tokens = pool.submit(asyncio.run, _seed_invoice(live_server.database_url, credit_note=credit_note)).result()
    live_server.tokens.update(tokens)


def _speak(page: Any, lang: str) -> None:
    if lang == "es":
        with page.expect_navigation():
            page.select_option("#lang-select", "es")  # the switch posts itself and comes back


def _state(page: Any, dispute: str) -> tuple[str | None, str]:
    badge = page.locator(f"#{dispute} h3 [data-state]")
    return badge.get_attribute("data-state"), badge.inner_text()


@pytest.mark.parametrize("lang", ["pt", "es"])
def test_a_manager_moves_a_dispute_through_its_states_and_the_client_follows_it(
    live_server: LiveServer, sign_in: Callable[..., Any], lang: str
) -> None:
    _seed(live_server, credit_note=True)
    words = WORDS[lang]
    manager = sign_in("manager", lang="pt")
    manager.wait_for_url(f"{live_server.url}/staffing")
    manager.goto(f"{live_server.url}{BILLING}")
    _speak(manager, lang)
    manager.get_by_text(words["open"], exact=True).click()
    manager.select_option("#dispute-invoice", "1")
    manager.fill("#dispute-description", "Turno de reforço 1 não trabalhado")
    manager.fill("#dispute-amount", "496,00")
    manager.click("#do-open-dispute")
    manager.wait_for_url(f"**{BILLING}#disputes")
    article = manager.locator("article.dispute")
    assert article.count() == 1
    dispute = article.get_attribute("id")
    assert dispute is not None
    number = dispute.removeprefix("dispute-")
    assert _state(manager, dispute) == ("opened", words["opened"])
    text = article.inner_text()
    assert words["by_hand"] in text and "496,00" in text and "150.547,55" in text  # disputed, and the rest payable
    assert manager.locator("#invoice-list tr[data-kind=invoice] [data-state]").get_attribute("data-state") == (
        "disputed"
    )

    manager.fill(f"#step-{number}-submitted input[name=protocol]", "CAB-771")
    manager.click(f"#do-submitted-{number}")
    manager.wait_for_url(f"**{BILLING}#disputes")
    assert _state(manager, dispute) == ("submitted", words["submitted"])

    # The recalculation without its number: refused in the page's language, the date kept, nothing moved.
    resolves = str(datetime.now(ZoneInfo("America/Sao_Paulo")).date() + timedelta(days=14))  # after the step
    manager.fill(f"#dispute-{number}-resolution", resolves)
    manager.click(f"#do-recalculation_granted-{number}")
    error = manager.locator("#page-error")
    assert words["required"] in error.inner_text()
    assert manager.locator(f"#dispute-{number}-resolution").input_value() == resolves
    assert _state(manager, dispute)[0] == "submitted"
    manager.fill(f"#dispute-{number}-recalculation", "RC-5521")
    manager.click(f"#do-recalculation_granted-{number}")
    manager.wait_for_url(f"**{BILLING}#disputes")
    assert _state(manager, dispute) == ("recalculation_granted", words["recalculation_granted"])

    assert manager.locator(f"#dispute-{number}-credited").input_value() == "496,00"  # the disputed amount offered
    manager.select_option(f"#dispute-{number}-reference", "credit_note:1")
    manager.click(f"#do-credited-{number}")
    manager.wait_for_url(f"**{BILLING}#disputes")
    assert _state(manager, dispute) == ("credited", words["credited"])
    manager.click(f"#do-closed-{number}")
    manager.wait_for_url(f"**{BILLING}#disputes")
    assert manager.locator("#no-disputes").is_visible()  # the closed one went to the settled ones

    client = sign_in("client", lang="pt")
    client.wait_for_url(f"{live_server.url}/portal")
    _speak(client, lang)
    client.get_by_role("link", name=words["tab"], exact=True).click()
    client.wait_for_url(f"{live_server.url}/portal/billing?contract=reference")
    assert _state(client, dispute) == ("closed", words["closed"])
    shown = client.locator(f"#{dispute}").inner_text()
    assert "RC-5521" in shown and "496,00" in shown and "CAB-771" in shown
    assert client.locator(f"#do-closed-{number}").count() == 0  # the client reads it; the provider moves it


def test_the_client_disputes_part_of_an_invoice_from_the_portal(
    live_server: LiveServer, sign_in: Callable[..., Any]
) -> None:
    _seed(live_server)
    words = WORDS["pt"]
    client = sign_in("client", lang="pt")
    client.wait_for_url(f"{live_server.url}/portal")
    client.get_by_role("link", name=words["tab"], exact=True).click()
    client.wait_for_url(f"{live_server.url}/portal/billing?contract=reference")
    assert client.locator("#no-disputes").is_visible()
    client.get_by_text("Contestar uma fatura", exact=True).click()
    client.fill("#dispute-description", "Horas de plantão cobradas sem acionamento")
    client.fill("#dispute-amount", "1000.00")  # the English way: refused, not read as 100000
    client.click("#do-open-dispute")
    assert words["amount"] in client.locator("#page-error").inner_text()
    assert client.locator("#dispute-description").input_value() == "Horas de plantão cobradas sem acionamento"
    assert client.locator("article.dispute").count() == 0

    client.fill("#dispute-amount", "1.000,00")
    client.click("#do-open-dispute")
    client.wait_for_url("**/portal/billing?contract=reference#disputes")
    article = client.locator("article.dispute")
    assert article.count() == 1
    assert article.locator("h3 [data-state]").get_attribute("data-state") == "opened"
    assert "R$\xa01.000,00" in article.inner_text() and "Horas de plantão" in article.inner_text()
    invoice = client.locator("#invoice-list tr[data-kind=invoice] [data-state]")
    assert (invoice.get_attribute("data-state"), invoice.inner_text()) == ("disputed", words["disputed"])

    # The client submits it to the provider with its own protocol.
    dispute = article.get_attribute("id")
    assert dispute is not None
    number = dispute.removeprefix("dispute-")
    client.fill(f"#step-{number}-submitted input[name=protocol]", "CAB-2026-0042")
    client.click(f"#do-submitted-{number}")
    client.wait_for_url("**/portal/billing?contract=reference#disputes")
    assert _state(client, dispute) == ("submitted", words["submitted"])
    assert "CAB-2026-0042" in client.locator(f"#{dispute}").inner_text()
    assert client.locator(f"#do-submitted-{number}").count() == 0  # the provider answers now
