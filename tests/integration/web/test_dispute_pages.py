"""Disputes on the billing pages through their forms: the manager opens one by hand and moves it through its states on
/billing (a bad step refused in the reader's language with nothing changed), the client sees it in the portal and
opens one on an invoice there; a disputed invoice falling due raises an alert on the manager's page."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select, update

from ops.billing.disputes.models import Dispute, DisputeEvent
from ops.billing.invoices import services as invoices
from ops.db import utcnow
from ops.l10n import Formats
from tests.helpers import load_reference, sign_in, token
from tests.integration.billing.factories import measurement

Client = AsyncTestClient[Litestar]
OCTOBER = {"contract": "reference", "month": "2026-10"}
PT, ES, EN = {"accept-language": "pt-BR"}, {"accept-language": "es-AR,es;q=0.9"}, {"accept-language": "en"}
SP = ZoneInfo("America/Sao_Paulo")
# The factory's October invoice: gross 151,043.55 (see tests/integration/billing/disputes/test_disputes.py).
GROSS = Decimal("151043.55")


async def _invoiced(db: Any, *, issued: datetime | None = None) -> None:
    await load_reference(db)
    async with db.begin() as session:
        await measurement(session)
        await invoices.issue_invoice(session, code="reference", month="2026-10", actor="test", now=issued)


async def _dispute(db: Any) -> Dispute:
    async with db() as session:
        return (await session.execute(select(Dispute))).scalar_one()


async def _count(db: Any, table: Any) -> int:
    async with db() as session:
        return int((await session.execute(select(func.count()).select_from(table))).scalar_one())


def _article(page: str, dispute_id: int) -> str:
    found = re.search(rf'<article class="dispute" id="dispute-{dispute_id}".*?</article>', page, re.S)
    assert found is not None, page
    return found.group(0)


async def test_a_manager_moves_a_dispute_through_its_states_and_the_client_follows_it(client: Client, db: Any) -> None:
    await _invoiced(db)
    pt = Formats("pt-BR")
    await sign_in(client, await token(db, "manager", name="Marta"))
    client.cookies.set("ops_lang", "pt")
    opened = await client.post(
        "/billing/disputes",
        data={**OCTOBER, "invoice": "1", "description": "Turno 1 não trabalhado", "disputed": "496,00"},
        follow_redirects=False,
    )
    assert opened.status_code == 303, opened.text
    assert opened.headers["location"] == "/billing?contract=reference&month=2026-10#disputes"
    row = await _dispute(db)
    assert (row.state, row.disputed, row.undisputed, row.opened_by) == (
        "opened",
        Decimal("496.00"),
        GROSS - Decimal("496.00"),
        "manager:Marta",
    )
    page = (await client.get("/billing", params=OCTOBER)).text
    card = _article(page, row.id)
    assert 'data-state="opened"' in card and "aberta" in card
    assert "Aberta manualmente sobre a fatura 1" in card
    assert "R$\xa0496,00" in card and pt.money(GROSS - Decimal("496.00"), "BRL") in card
    today = utcnow().astimezone(SP).date()
    assert pt.date(today + timedelta(days=10)) in card  # opened: 10 days to respond, by the reference contract
    assert pt.date(today + timedelta(days=8)) in card  # followed up two days before
    assert 'data-state="disputed"' in page  # the invoice shows disputed while it is open

    step = {**OCTOBER, "dispute": str(row.id)}
    submitted = await client.post(
        "/billing/disputes/advance", data={**step, "state": "opened", "to": "submitted", "protocol": "CAB-771"}
    )
    assert submitted.status_code == 200 and (await _dispute(db)).protocol == "CAB-771"

    # A grant without its number: refused in Portuguese, what was typed kept, nothing changed.
    resolution = str(today + timedelta(days=14))
    grant = {**step, "state": "submitted", "to": "recalculation_granted", "resolution_date": resolution}
    missing = await client.post("/billing/disputes/advance", data=grant)
    assert missing.status_code == 422
    assert "A disputa não avançou." in missing.text and "Informe o número do recálculo." in missing.text
    assert f'value="{resolution}"' in missing.text
    early = await client.post(
        "/billing/disputes/advance", data={**grant, "recalculation_number": "RC-1", "resolution_date": "2020-01-01"}
    )
    assert early.status_code == 422
    assert "A data de resolução é anterior à chegada da disputa a esta etapa." in early.text
    assert (await _dispute(db)).state == "submitted" and await _count(db, DisputeEvent) == 2
    # A step from a state the page no longer shows: 409, the current state named.
    stale = await client.post("/billing/disputes/advance", data={**grant, "state": "opened"})
    assert stale.status_code == 409 and "agora está protocolada" in stale.text
    granted = await client.post(
        "/billing/disputes/advance", data={**grant, "recalculation_number": "RC-5521"}, follow_redirects=False
    )
    assert granted.status_code == 303
    row = await _dispute(db)
    assert (row.state, row.recalculation_number, str(row.resolution_date)) == (
        "recalculation_granted",
        "RC-5521",
        resolution,
    )

    async with db.begin() as session:
        await invoices.issue_credit_note(
            session, code="reference", invoice_number=1, amount=Decimal("496.00"), reason="turno 1", actor="test"
        )
    # The credit form offers the credit note that corrects the disputed invoice, never that invoice itself.
    form = re.search(
        rf'<form [^>]*id="step-{row.id}-credited">.*?</form>', (await client.get("/billing", params=OCTOBER)).text, re.S
    )
    assert form is not None
    assert re.findall(r'<option value="([^"]*)"', form.group(0)) == ["", "credit_note:1"]
    credit = {**step, "state": "recalculation_granted", "to": "credited", "credit_reference": "credit_note:1"}
    above = await client.post("/billing/disputes/advance", data={**credit, "credited_amount": "500,00"})
    assert above.status_code == 422 and "O crédito é maior que o valor contestado, R$\xa0496,00." in above.text
    credited = await client.post("/billing/disputes/advance", data={**credit, "credited_amount": "496,00"})
    assert credited.status_code == 200
    row = await _dispute(db)
    assert (row.state, row.credited_amount, row.credit_reference) == ("credited", Decimal("496.00"), "credit_note:1")
    closed = await client.post("/billing/disputes/advance", data={**step, "state": "credited", "to": "closed"})
    assert closed.status_code == 200 and (await _dispute(db)).state == "closed"
    assert 'id="no-disputes"' in closed.text  # no open dispute left: the closed one is among the settled
    assert "Nota de crédito 1" in _article(closed.text, row.id)

    client.cookies.clear()
    await sign_in(client, await token(db, "client", "reference"))
    portal = await client.get("/portal/billing", headers=ES)
    card = _article(portal.text, row.id)
    assert 'data-state="closed"' in card and "cerrada" in card
    assert "RC-5521" in card and "BRL\xa0496,00" in card and "Nota de crédito 1" in card
    history = re.findall(r"<tr><td class=\"nowrap\">[^<]*</td><td>([^<]*)</td><td>([^<]*)</td></tr>", card)
    assert history == [
        ("manager:Marta", "abierta"),
        ("manager:Marta", "presentada"),
        ("manager:Marta", "recálculo concedido"),
        ("manager:Marta", "acreditada"),
        ("manager:Marta", "cerrada"),
    ]
    assert "/billing/disputes/advance" not in portal.text  # the client reads it, the provider moves it


async def test_a_refusal_needs_its_reason(client: Client, db: Any) -> None:
    await _invoiced(db)
    await sign_in(client, await token(db, "manager"))
    await client.post("/billing/disputes", data={**OCTOBER, "description": "By hand", "disputed": "10.00"}, headers=EN)
    row = await _dispute(db)
    assert (row.invoice_id, row.billed) == (None, Decimal("10.00"))  # no invoice named: the amount is all it bills
    refuse = {**OCTOBER, "dispute": str(row.id), "state": "opened", "to": "refused", "reason": "  "}
    empty = await client.post("/billing/disputes/advance", data=refuse, headers=ES)
    assert empty.status_code == 422 and "Escriba por qué se rechaza la disputa." in empty.text
    assert (await _dispute(db)).state == "opened"
    done = await client.post("/billing/disputes/advance", data={**refuse, "reason": "Shift was worked"}, headers=EN)
    assert done.status_code == 200
    assert (await _dispute(db)).reason == "Shift was worked" and "Refused because" in done.text
    illegal = await client.post(
        "/billing/disputes/advance", data={**refuse, "state": "refused", "to": "credited"}, headers=EN
    )
    assert illegal.status_code == 409 and "is refused: it cannot take that step" in illegal.text


async def test_the_client_opens_a_dispute_on_an_invoice_from_the_portal(client: Client, db: Any) -> None:
    await _invoiced(db)
    await load_reference(db, code="other")
    await sign_in(client, await token(db, "client", "other"))
    intruded = await client.post(
        "/portal/billing/disputes", data={"contract": "reference", "invoice": "1", "description": "x", "disputed": "1"}
    )
    assert intruded.status_code == 404 and await _count(db, Dispute) == 0

    await sign_in(client, await token(db, "client", "reference", name="Ana"))
    client.cookies.set("ops_lang", "pt")
    form = {"contract": "reference", "invoice": "1", "description": "Reforço não prestado"}
    bad = await client.post("/portal/billing/disputes", data={**form, "disputed": "1234.56"})
    assert bad.status_code == 422 and "Escreva o valor com centavos, como 1.234,56." in bad.text
    assert 'value="Reforço não prestado"' in bad.text and await _count(db, Dispute) == 0
    too_much = await client.post("/portal/billing/disputes", data={**form, "disputed": "200.000,00"})
    assert too_much.status_code == 422 and "O valor contestado é maior que o faturado." in too_much.text
    assert await _count(db, Dispute) == 0
    no_invoice = await client.post("/portal/billing/disputes", data={**form, "invoice": "", "disputed": "10,00"})
    assert no_invoice.status_code == 422 and "Escolha a fatura que você contesta." in no_invoice.text

    opened = await client.post("/portal/billing/disputes", data={**form, "disputed": "496,00"}, follow_redirects=False)
    assert opened.status_code == 303
    assert opened.headers["location"] == "/portal/billing?contract=reference#disputes"
    row = await _dispute(db)
    assert (row.origin, row.opened_by, row.disputed) == ("manual", "client:Ana", Decimal("496.00"))
    page = (await client.get("/portal/billing")).text
    card = _article(page, row.id)
    assert "Reforço não prestado" in card and "R$\xa0496,00" in card and 'data-state="opened"' in card
    assert "Aberta pelo cliente na fatura 1" in card
    assert re.search(r'<tr data-invoice="1" data-kind="invoice">.*?data-state="disputed"', page, re.S)

    # The client submits it with its own protocol; any other step is the provider's, refused with nothing moved.
    step = {"contract": "reference", "dispute": str(row.id), "state": "opened"}
    submitted = await client.post(
        "/portal/billing/disputes/submit", data={**step, "protocol": "CAB-9", "to": "refused"}, follow_redirects=False
    )
    assert submitted.status_code == 303  # the portal's form always submits, whatever `to` says
    row = await _dispute(db)
    assert (row.state, row.protocol) == ("submitted", "CAB-9")
    again = await client.post("/portal/billing/disputes/submit", data={**step, "state": "submitted"})
    assert again.status_code == 403 and "Esse passo é do fornecedor, não do cliente." in again.text
    assert (await _dispute(db)).state == "submitted" and await _count(db, DisputeEvent) == 2


async def _disputed_alert(client: Client, db: Any) -> tuple[Any, str]:
    """Invoice 1 disputed for 1,000.00 by the manager, and the alert the billing page shows of it in Portuguese."""
    await client.post(
        "/billing/disputes", data={**OCTOBER, "invoice": "1", "description": "x", "disputed": "1,000.00"}, headers=EN
    )
    async with db() as session:
        invoice = await invoices.get_invoice(session, code="reference", number=1, principal=None)
    page = await client.get("/billing", params=OCTOBER, headers=PT)
    alert = re.search(r'<div class="card alert-box" role="status" id="dispute-alerts">.*?</div>', page.text, re.S)
    assert alert is not None
    return invoice, alert.group(0)


async def test_a_disputed_invoice_past_its_due_date_is_said_to_have_fallen_due(client: Client, db: Any) -> None:
    await _invoiced(db, issued=utcnow() - timedelta(days=40))  # due ten days ago
    await sign_in(client, await token(db, "manager"))
    invoice, alert = await _disputed_alert(client, db)
    assert f"A fatura 1 venceu em {Formats('pt-BR').date(invoice.due_on)}" in alert and "vence em" not in alert


async def test_a_disputed_invoice_falling_due_raises_an_alert(client: Client, db: Any) -> None:
    # Issued 27 days ago with 30 days to pay: due in 3 days, within the contract's 5-day alert.
    await _invoiced(db, issued=utcnow() - timedelta(days=27))
    await sign_in(client, await token(db, "manager"))
    quiet = await client.get("/billing", params=OCTOBER, headers=EN)
    assert 'id="dispute-alerts"' not in quiet.text  # not disputed: no alert
    invoice, alert = await _disputed_alert(client, db)
    pt = Formats("pt-BR")
    payable = pt.money(invoice.net - Decimal("1000.00"), "BRL")
    assert f"A fatura 1 vence em {pt.date(invoice.due_on)} com uma disputa em aberto: {payable}" in alert
    # The client is shown it too in its portal (the undisputed part is owed on the due date), and nothing else.
    await sign_in(client, await token(db, "client", "reference"))
    portal = await client.get("/portal/billing", headers=PT)
    shown = re.search(r'<div class="card alert-box" role="status" id="dispute-alerts">.*?</div>', portal.text, re.S)
    assert shown is not None and f"A fatura 1 vence em {pt.date(invoice.due_on)}" in shown.group(0)
    assert shown.group(0).count("<li") == 1
    await sign_in(client, await token(db, "manager"))

    # A follow-up day chosen on a step; one in the past is refused. A dispute past its deadline is an alert too.
    row = await _dispute(db)
    step = {**OCTOBER, "dispute": str(row.id), "state": "opened", "to": "submitted"}
    past = await client.post("/billing/disputes/advance", data={**step, "follow_up": "2020-01-01"}, headers=PT)
    assert past.status_code == 422 and "A data de acompanhamento já passou." in past.text
    chosen = (utcnow() + timedelta(days=3)).astimezone(SP).date()
    await client.post("/billing/disputes/advance", data={**step, "follow_up": chosen.isoformat()}, headers=PT)
    assert (await _dispute(db)).follow_up_on == chosen
    async with db.begin() as session:
        await session.execute(update(Dispute).values(deadline=date(2026, 11, 1)))
    late = await client.get("/billing", params=OCTOBER, headers=PT)
    assert f"A disputa {row.id} (protocolada) passou do prazo de {pt.date(date(2026, 11, 1))}." in late.text


async def test_every_form_of_the_billing_pages_carries_one_csrf_token(client: Client, db: Any) -> None:
    """A browser posts each form's fields as they are: a CSRF field given twice reaches the handler as a list and
    the form is refused (422), which tests posting their own data never see."""
    await load_reference(db)
    async with db.begin() as session:
        await measurement(session, month="2026-09")
        await invoices.issue_invoice(session, code="reference", month="2026-09", actor="test")
        await measurement(session)  # October approved, not invoiced: the issue form shows
    await sign_in(client, await token(db, "manager"))
    dispute = {**OCTOBER, "invoice": "1", "description": "x", "disputed": "1,00"}
    assert (await client.post("/billing/disputes", data=dispute, headers=PT, follow_redirects=False)).status_code == 303
    pages = [(await client.get("/billing", params=OCTOBER, headers=PT)).text]
    await sign_in(client, await token(db, "client", "reference"))
    pages.append((await client.get("/portal/billing", headers=PT)).text)
    for page in pages:
        forms = re.findall(r'<form method="post".*?</form>', page, re.S)
        assert len(forms) >= 3
        for form in forms:
            assert form.count('name="csrf"') == 1, form[:200]
