"""The invoice forms of the managers' /billing besides the payment: a credit note (never above what is left of its
invoice), the NFS-e recorded and checked against the invoice, an invoice voided (never one with a payment); each
refusal in the reader's language at its 4xx with nothing written."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from ops.billing.invoices import services as invoices
from ops.billing.invoices.models import Invoice
from ops.db import utcnow
from ops.l10n import Formats
from tests.helpers import load_reference, sign_in, token
from tests.integration.billing.factories import measurement

Client = AsyncTestClient[Litestar]
OCTOBER = {"contract": "reference", "month": "2026-10"}
PT, EN = {"accept-language": "pt-BR"}, {"accept-language": "en"}
GROSS = Decimal("151043.55")  # the factory's October invoice


async def _invoiced(db: Any) -> None:
    await load_reference(db)
    async with db.begin() as session:
        await measurement(session)
        await invoices.issue_invoice(session, code="reference", month="2026-10", actor="test")


async def _invoice(db: Any) -> Invoice:
    async with db() as session:
        return await invoices.get_invoice(session, code="reference", number=1, principal=None)


async def _credit_notes(db: Any) -> list[Decimal]:
    async with db() as session:
        rows = await session.execute(select(Invoice.gross).where(Invoice.kind == "credit_note").order_by(Invoice.id))
        return list(rows.scalars())


async def test_a_credit_note_from_the_page_never_above_what_is_left(client: Client, db: Any) -> None:
    await _invoiced(db)
    pt = Formats("pt-BR")
    await sign_in(client, await token(db, "manager", name="Marta"))
    form = {**OCTOBER, "form": "credit", "invoice": "1", "reason": "Turno 1 não trabalhado"}
    above = await client.post("/billing/credit-notes", data={**form, "amount": "151.043,56"}, headers=PT)
    assert above.status_code == 409
    assert "A nota de crédito não foi emitida." in above.text
    assert f"A fatura 1 tem {pt.money(GROSS, 'BRL')} a creditar" in above.text
    assert 'value="151.043,56"' in above.text and await _credit_notes(db) == []
    no_reason = await client.post("/billing/credit-notes", data={**form, "amount": "496,00", "reason": " "}, headers=PT)
    assert no_reason.status_code == 422 and "Escreva por que a fatura é creditada." in no_reason.text
    assert await _credit_notes(db) == []

    issued = await client.post(
        "/billing/credit-notes", data={**form, "amount": "496,00"}, headers=PT, follow_redirects=False
    )
    assert issued.status_code == 303 and issued.headers["location"].endswith("#invoices")
    assert await _credit_notes(db) == [Decimal("496.00")]
    page = await client.get("/billing", params=OCTOBER, headers=PT)
    assert 'data-kind="credit_note"' in page.text and "Nota de crédito 1" in page.text
    # What is left is the gross less the first credit note.
    again = await client.post("/billing/credit-notes", data={**form, "amount": "150,548.00"}, headers=EN)
    assert again.status_code == 409
    assert f"Invoice 1 has {Formats('en').money(GROSS - Decimal('496.00'), 'BRL')} left to credit" in again.text
    assert await _credit_notes(db) == [Decimal("496.00")]


async def test_the_nfse_is_recorded_and_a_different_value_flagged(client: Client, db: Any) -> None:
    await _invoiced(db)
    await sign_in(client, await token(db, "manager"))
    form = {**OCTOBER, "form": "nfse", "invoice": "1", "nfse_number": "2026/000123", "value": "151.043,50"}
    no_code = await client.post("/billing/nfse", data=form, headers=PT)
    assert no_code.status_code == 422 and "Informe o código de verificação da NFS-e." in no_code.text
    assert 'value="2026/000123"' in no_code.text
    bad_link = await client.post(
        "/billing/nfse", data={**form, "verification_code": "AB12-CD34", "link": "nfse.example/123"}, headers=PT
    )
    assert bad_link.status_code == 422 and "O link é um endereço web" in bad_link.text
    assert (await _invoice(db)).nfse_number is None

    recorded = await client.post(
        "/billing/nfse", data={**form, "verification_code": "AB12-CD34"}, headers=PT, follow_redirects=False
    )
    assert recorded.status_code == 303
    row = await _invoice(db)
    assert (row.nfse_number, row.nfse_code, row.nfse_value) == ("2026/000123", "AB12-CD34", Decimal("151043.50"))
    page = await client.get("/billing", params=OCTOBER, headers=EN)
    # Five cents short of the invoice's gross: flagged with the difference in Babel's money.
    assert f"NFS-e 2026/000123 differs by {Formats('en').money(Decimal('-0.05'), 'BRL')}" in page.text


async def test_an_invoice_is_voided_from_the_page_unless_it_was_paid(client: Client, db: Any) -> None:
    await _invoiced(db)  # October: invoice 1
    async with db.begin() as session:
        await measurement(session, month="2026-09")
        await invoices.issue_invoice(session, code="reference", month="2026-09", actor="test")  # invoice 2
        await invoices.record_payment(
            session, code="reference", number=2, paid_on=utcnow().date(), amount=Decimal("10.00"), actor="t", note=None
        )
    await sign_in(client, await token(db, "manager", name="Marta"))
    form = {**OCTOBER, "form": "void", "invoice": "1"}
    no_reason = await client.post("/billing/void", data=form, headers=PT)
    assert no_reason.status_code == 422 and "Escreva por que a fatura é cancelada." in no_reason.text
    reason = "emitida em duplicidade"
    paid = await client.post("/billing/void", data={**form, "invoice": "2", "reason": reason}, headers=PT)
    assert paid.status_code == 409 and "A fatura 2 tem pagamentos: corrija-a com uma nota de crédito" in paid.text
    assert 'value="emitida em duplicidade"' in paid.text
    async with db() as session:
        voided_at = select(Invoice.voided_at).where(Invoice.voided_at.is_not(None))
        assert (await session.execute(select(func.count()).select_from(voided_at.subquery()))).scalar_one() == 0

    voided = await client.post("/billing/void", data={**form, "reason": reason}, headers=PT, follow_redirects=False)
    assert voided.status_code == 303
    row = await _invoice(db)
    assert (row.void_reason, row.voided_by) == (reason, "manager:Marta")
    page = await client.get("/billing", params=OCTOBER, headers=PT)
    assert 'data-invoice="1" data-kind="invoice"' in page.text and 'data-state="void"' in page.text
    assert '<option value="1" ' not in page.text.split('id="void-form"')[1].split("</form>")[0]  # no longer offered
    again = await client.post("/billing/void", data={**form, "reason": "de novo"}, headers=PT)
    assert again.status_code == 409 and "A fatura 1 está cancelada." in again.text
