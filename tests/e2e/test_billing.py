"""In a real browser: the client approves a submitted measurement in its portal, or contests a line with a reason,
in Portuguese and in Spanish; a manager issues the invoice from /billing and the client finds it in the portal with
a PDF link that answers a PDF."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.conftest import LiveServer

pytestmark = pytest.mark.browser

MONTH = "2026-10"
WORDS = {
    "pt": {"tab": "Faturamento", "approved": "aprovada", "contested": "contestada", "invoice": "Fatura"},
    "es": {"tab": "Facturación", "approved": "aprobada", "contested": "impugnada", "invoice": "Factura"},
}


async def _seed_measurement(database_url: str, *, approve: bool) -> dict[str, str]:
    """October's measurement drafted from the reference contract and submitted (and approved in writing), a client
    and a manager token."""
    from ops.auth import issue_token
    from ops.billing.measurement import services
    from ops.composition import import_models
    from ops.contracts.services import get_contract
    from ops.db import make_engine, make_sessionmaker

    import_models()
    engine = make_engine(database_url, pool=False)
    sessionmaker = make_sessionmaker(engine)
    async with sessionmaker.begin() as session:
        await services.draft(session, code="reference", month=MONTH, actor="test")
        await services.submit(session, code="reference", month=MONTH, actor="test")
        if approve:
            await services.approve(session, code="reference", month=MONTH, actor="test", by="Maria (CaboNet)")
        contract = await get_contract(session, code="reference", principal=None)
        client = await issue_token(session, name="Ana Cliente", role="client", contract_id=contract.id)
        manager = await issue_token(session, name="Marta Reis", role="manager", contract_id=None)
    await engine.dispose()
    return {"client": client, "manager": manager}


def _seed(live_server: LiveServer, *, approve: bool = False) -> None:
    # Playwright's sync API keeps an event loop running in this thread: seed from another one.
    with ThreadPoolExecutor(1) as pool:
        tokens = pool.submit(asyncio.run, _seed_measurement(live_server.database_url, approve=approve)).result()
    live_server.tokens.update(tokens)


def _open_billing_tab(page: Any, live_server: LiveServer, lang: str) -> None:
    """From the portal, in `lang` chosen with the language switch, to its billing tab."""
    page.wait_for_url(f"{live_server.url}/portal")
    if lang == "es":
        with page.expect_navigation():
            page.select_option("#lang-select", "es")  # the switch posts itself and comes back
    page.get_by_role("link", name=WORDS[lang]["tab"], exact=True).click()
    page.wait_for_url(f"{live_server.url}/portal/billing?contract=reference")


@pytest.mark.parametrize("lang", ["pt", "es"])
def test_client_approves_a_submitted_measurement(
    live_server: LiveServer, sign_in: Callable[..., Any], lang: str
) -> None:
    _seed(live_server)
    page = sign_in("client", lang="pt")
    _open_billing_tab(page, live_server, lang)
    card = page.locator(f"#measurement-{MONTH}")
    assert card.locator("summary [data-state]").get_attribute("data-state") == "submitted"
    assert "R$\xa0147.000,00" in card.inner_text() or "BRL\xa0147.000,00" in card.inner_text()
    page.click(f"#approve-{MONTH}")
    page.wait_for_url(f"**/portal/billing?contract=reference#measurement-{MONTH}")
    badge = page.locator(f"#measurement-{MONTH} summary [data-state]")
    assert badge.get_attribute("data-state") == "approved"
    assert badge.inner_text() == WORDS[lang]["approved"]
    assert page.locator(f"#approve-{MONTH}").count() == 0  # decided: no forms left


@pytest.mark.parametrize("lang", ["pt", "es"])
def test_client_contests_a_line_with_its_reason(
    live_server: LiveServer, sign_in: Callable[..., Any], lang: str
) -> None:
    _seed(live_server)
    page = sign_in("client", lang="pt")
    _open_billing_tab(page, live_server, lang)
    reason_field = page.locator(f"#reason-{MONTH}-2")
    assert not reason_field.is_visible()  # an empty reason shows once its line is ticked
    page.check(f"#contest-{MONTH}-2")
    reason = "A central de help desk operou com 10 posições a partir do dia 16"
    reason_field.fill(reason)
    page.click(f"#contest-{MONTH}")
    page.wait_for_url(f"**/portal/billing?contract=reference#measurement-{MONTH}")
    badge = page.locator(f"#measurement-{MONTH} summary [data-state]")
    assert badge.get_attribute("data-state") == "contested"
    assert badge.inner_text() == WORDS[lang]["contested"]
    line = page.locator(f"#lines-{MONTH} tr[data-line='2']")
    assert "contested" in (line.get_attribute("class") or "")
    assert reason in line.inner_text()
    assert page.locator(f"#lines-{MONTH} tr.contested").count() == 1


def test_manager_issues_the_invoice_and_the_client_finds_its_pdf(
    live_server: LiveServer, sign_in: Callable[..., Any]
) -> None:
    _seed(live_server, approve=True)
    manager = sign_in("manager")
    manager.wait_for_url(f"{live_server.url}/staffing")
    manager.get_by_role("link", name="Billing", exact=True).click()
    manager.wait_for_url(f"{live_server.url}/billing")
    # The page opens on the last closed month of the contract's time zone.
    today = datetime.now(ZoneInfo("America/Sao_Paulo")).date()
    assert manager.locator("#month-pick").input_value() == f"{today.replace(day=1) - timedelta(days=1):%Y-%m}"
    manager.fill("#month-pick", MONTH)
    manager.get_by_role("button", name="Show").click()
    manager.wait_for_url(f"**/billing?contract=reference&month={MONTH}")
    assert manager.locator("#h-measurement [data-state]").get_attribute("data-state") == "approved"
    manager.click("#do-issue")
    manager.wait_for_url(f"**/billing?contract=reference&month={MONTH}#invoices")
    row = manager.locator("#invoice-list tr[data-kind=invoice]")
    assert row.count() == 1
    assert row.locator("[data-state]").get_attribute("data-state") == "open"
    assert manager.locator("#do-issue").count() == 0

    client = sign_in("client", lang="pt")
    _open_billing_tab(client, live_server, "pt")
    invoice = client.locator("#invoice-list tr[data-kind=invoice]")
    assert invoice.count() == 1
    assert WORDS["pt"]["invoice"] in invoice.inner_text()
    link = invoice.locator("a.pdf")
    href = link.get_attribute("href")
    assert href is not None and "lang=pt-BR" in href
    answer = client.request.get(f"{live_server.url}{href}")
    assert answer.status == 200
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.body().startswith(b"%PDF")
