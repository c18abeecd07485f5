"""Invoices from approved measurements: taxes and withholdings, gapless numbers, the hash chain, immutability,
credit notes, payments, voids and the NFS-e; on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import text, update

from ops.billing.invoices import services
from ops.billing.invoices.models import Invoice, IssuedDocumentChanged
from ops.billing.money import cents
from ops.db import utcnow
from ops.errors import ConflictError, InvalidInputError
from tests.helpers import REFERENCE_CONTRACT, bearer, load_reference, token
from tests.integration.billing.factories import measurement
from tests.integration.billing.indices.conftest import Ops


async def _issue(db: Any, month: str = "2026-10", code: str = "reference") -> Any:
    async with db.begin() as session:
        return (await services.issue_invoice(session, code=code, month=month, actor="test")).invoice


async def test_the_invoice_states_gross_each_withholding_and_net(db: Any) -> None:
    await load_reference(db)
    async with db.begin() as session:
        await measurement(session)
    invoice = await _issue(db)
    # Services 15 x 9,800.00 + 8 x 62.00 - 3,645.00 = 147,000.00 + 496.00 - 3,645.00 = 143,851.00.
    # ISS 5 % on top: 7,192.55; gross 151,043.55. Withheld: IRRF 1.5 % = 2,265.65325 -> 2,265.65;
    # CSRF 4.65 % = 7,023.525075 -> 7,023.53; INSS off. Net = 151,043.55 - 9,289.18 = 141,754.37.
    totals = invoice.document["totals"]
    assert (totals["services"], totals["iss"], totals["gross"]) == ("143851.00", "7192.55", "151043.55")
    assert [(w["code"], w["amount"]) for w in totals["withholdings"]] == [("IRRF", "2265.65"), ("CSRF", "7023.53")]
    assert (invoice.gross, invoice.withheld, invoice.net) == (
        Decimal("151043.55"),
        Decimal("9289.18"),
        Decimal("141754.37"),
    )
    assert (invoice.number, invoice.chain_position, invoice.previous_sha256) == (1, 1, "0" * 64)
    # The issue day is the contract's (America/Sao_Paulo), which is not UTC's for three hours each night.
    issued_on = invoice.issued_at.astimezone(ZoneInfo("America/Sao_Paulo")).date()
    assert invoice.document["issued_on"] == issued_on.isoformat()
    assert invoice.due_on == issued_on + timedelta(days=30)


async def test_issuing_a_month_twice_changes_nothing_and_only_an_approved_measurement_is_invoiced(db: Any) -> None:
    await load_reference(db)
    async with db.begin() as session:
        await measurement(session, month="2026-09")
        await measurement(session, month="2026-10", state="submitted")
    first = await _issue(db, "2026-09")
    async with db.begin() as session:
        again = await services.issue_invoice(session, code="reference", month="2026-09", actor="test")
    assert (again.created, again.invoice.number, again.invoice.sha256) == (False, first.number, first.sha256)
    with pytest.raises(ConflictError, match="submitted: only an approved measurement is invoiced"):
        await _issue(db, "2026-10")
    async with db() as session:
        assert len(await services.list_invoices(session, code="reference", principal=None)) == 1


async def test_an_issued_invoice_refuses_changes_and_an_edit_behind_its_back_breaks_the_chain(
    db: Any, database_url: str
) -> None:
    await load_reference(db)
    async with db.begin() as session:
        await measurement(session, month="2026-09")
        await measurement(session, month="2026-10")
    await _issue(db, "2026-09")
    await _issue(db, "2026-10")
    async with db() as session:
        row = await services.get_invoice(session, code="reference", number=1, principal=None)
        row.net = Decimal("1.00")
        with pytest.raises(IssuedDocumentChanged, match="invoice 1 is issued: net cannot change"):
            await session.flush()
        await session.rollback()
    async with db() as session:
        assert (await services.verify(session)).ok
    # Someone edits the stored row with SQL: the chain check names it.
    money = "'99.99'" if database_url.startswith("sqlite") else "99.99"
    async with db.begin() as session:
        await session.execute(text(f"UPDATE invoices SET net = {money} WHERE number = 1 AND kind = 'invoice'"))
    async with db() as session:
        check = await services.verify(session)
    assert (check.ok, check.first_broken) == (False, 0)
    assert "invoice 1: net differ from its issued document" in check.reason
    # Editing the document itself (and its column) breaks the hash.
    async with db.begin() as session:
        await session.execute(text(f"UPDATE invoices SET net = {money.replace('99.99', '141754.37')} WHERE number = 1"))
        doc = (await services.get_invoice(session, code="reference", number=2, principal=None)).document
    tampered = {**doc, "due_on": "2030-01-01"}
    async with db.begin() as session:
        row = await services.get_invoice(session, code="reference", number=2, principal=None)
        # A bulk UPDATE of the table, as a script would run it: no session guard sees it.
        await session.execute(update(Invoice.__table__).where(Invoice.id == row.id).values(document=tampered))
    async with db() as session:
        check = await services.verify(session)
    assert (check.ok, check.first_broken) == (False, 1)


async def test_credit_notes_never_exceed_the_invoice(db: Any) -> None:
    await load_reference(db)
    async with db.begin() as session:
        await measurement(session)
    invoice = await _issue(db)
    async with db.begin() as session:
        first = await services.issue_credit_note(
            session,
            code="reference",
            invoice_number=1,
            amount=Decimal("150000.00"),
            reason="Shift 1 not worked",
            actor="t",
        )
    assert (first.kind, first.number, first.chain_position) == ("credit_note", 1, 2)
    assert first.previous_sha256 == invoice.sha256
    with pytest.raises(ConflictError, match=r"1043\.55"):
        async with db.begin() as session:
            await services.issue_credit_note(
                session, code="reference", invoice_number=1, amount=Decimal("1043.56"), reason="more", actor="t"
            )
    async with db() as session:
        row = await services.get_invoice(session, code="reference", number=1, principal=None)
        standing = await services.standing(session, row, today=date(2026, 11, 1))
    assert (standing.credited, standing.balance) == (Decimal("150000.00"), Decimal("-8245.63"))


async def test_payments_balance_overdue_void_and_nfse(db: Any) -> None:
    await load_reference(db)
    async with db.begin() as session:
        await measurement(session, month="2026-09")
        await measurement(session, month="2026-10")
    first, second = await _issue(db, "2026-09"), await _issue(db, "2026-10")
    today = utcnow().astimezone(ZoneInfo("America/Sao_Paulo")).date()
    async with db.begin() as session:
        await services.record_payment(
            session, code="reference", number=1, paid_on=today, amount=Decimal("100000.00"), actor="t"
        )
        row = await services.get_invoice(session, code="reference", number=1, principal=None)
        assert (await services.standing(session, row, today=first.due_on)).state == "open"
        late = await services.standing(session, row, today=first.due_on.replace(year=first.due_on.year + 1))
        assert (late.state, late.balance) == ("overdue", Decimal("41754.37"))
    # More than is left to pay is refused (a mistyped amount, or the same payment recorded twice), as is a day
    # after today: a payment is recorded when the money has arrived.
    for amount, paid_on, error in (
        ("41754.38", today, r"41754\.38 is more than the 41754\.37 left to pay on invoice 1"),
        ("10.00", today + timedelta(days=2), "is in the future"),  # a day of leeway for the clocks
    ):
        with pytest.raises((ConflictError, InvalidInputError), match=error):
            async with db.begin() as session:
                await services.record_payment(
                    session, code="reference", number=1, paid_on=paid_on, amount=Decimal(amount), actor="t"
                )
    async with db.begin() as session:
        row = await services.get_invoice(session, code="reference", number=1, principal=None)
        await services.record_payment(
            session, code="reference", number=1, paid_on=today, amount=Decimal("41754.37"), actor="t"
        )
        assert (await services.standing(session, row, today=first.due_on)).state == "paid"
    with pytest.raises(ConflictError, match=r"more than the 0\.00 left to pay on invoice 1 \(it is paid\)"):
        async with db.begin() as session:
            await services.record_payment(
                session, code="reference", number=1, paid_on=today, amount=Decimal("0.01"), actor="t"
            )
    with pytest.raises(ConflictError, match="has payments: correct it with a credit note"):
        async with db.begin() as session:
            await services.void_invoice(session, code="reference", number=1, reason="typo", actor="t")
    async with db.begin() as session:
        voided = await services.void_invoice(session, code="reference", number=2, reason="wrong month", actor="t")
        assert (await services.standing(session, voided, today=second.due_on)).state == "void"
        nfse = await services.record_nfse(
            session,
            code="reference",
            number=1,
            nfse_number="2026/123",
            verification_code="AB12-CD34",
            link=None,
            value=Decimal("151043.50"),
        )
        standing = await services.standing(session, nfse, today=first.due_on)
    assert standing.nfse_mismatch == Decimal("-0.05")
    async with db() as session:
        assert (await services.verify(session)).ok  # payments, voids and the NFS-e are not edits of the document


@pytest.mark.postgres
async def test_two_issues_at_once_on_postgresql_take_consecutive_numbers(database_url: str, db: Any) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("the concurrency under test is PostgreSQL's row locking")
    await load_reference(db)
    async with db.begin() as session:
        for month in ("2026-07", "2026-08", "2026-09", "2026-10"):
            await measurement(session, month=month)
    # A rolled-back issue gives its number back.
    async with db() as session, session.begin():
        await services.issue_invoice(session, code="reference", month="2026-07", actor="t")
        await session.rollback()
    results = await asyncio.gather(*(_issue(db, m) for m in ("2026-07", "2026-08", "2026-09", "2026-10")))
    assert sorted(r.number for r in results) == [1, 2, 3, 4]
    assert sorted(r.chain_position for r in results) == [1, 2, 3, 4]
    async with db() as session:
        assert (await services.verify(session)).ok


async def test_two_payments_at_once_never_pay_more_than_the_invoice(db: Any) -> None:
    """Each of four payments of 40% of the net fits the balance read alone: the invoice's row lock (PostgreSQL) or
    the writer lock (SQLite) makes them meet the balance one after the other, so two get in."""
    await load_reference(db)
    async with db.begin() as session:
        await measurement(session)
    invoice = await _issue(db)
    part, today = cents(invoice.net * Decimal("0.4")), utcnow().astimezone(ZoneInfo("America/Sao_Paulo")).date()

    async def pay() -> str:
        try:
            async with db.begin() as session:
                await services.record_payment(
                    session, code="reference", number=1, paid_on=today, amount=part, actor="t"
                )
        except services.OverpaymentError:
            return "refused"
        return "paid"

    assert sorted(await asyncio.gather(*(pay() for _ in range(4)))) == ["paid", "paid", "refused", "refused"]
    async with db() as session:
        paid = sum(p.amount for p in await services.payments(session, invoice_id=invoice.id))
    assert paid == 2 * part <= invoice.net


async def test_a_void_and_a_payment_at_once_never_both_pass(db: Any) -> None:
    """A voided invoice takes no payment and a paid one is not voided: met at once, one of the two is refused."""
    await load_reference(db)
    async with db.begin() as session:
        await measurement(session)
    await _issue(db)
    today = utcnow().astimezone(ZoneInfo("America/Sao_Paulo")).date()

    async def pay() -> str:
        try:
            async with db.begin() as session:
                await services.record_payment(
                    session, code="reference", number=1, paid_on=today, amount=Decimal("10.00"), actor="t"
                )
        except ConflictError:
            return "refused"
        return "done"

    async def void() -> str:
        try:
            async with db.begin() as session:
                await services.void_invoice(session, code="reference", number=1, reason="wrong month", actor="t")
        except ConflictError:
            return "refused"
        return "done"

    for _ in range(3):
        outcomes = await asyncio.gather(pay(), void())
        assert "refused" in outcomes, outcomes
        async with db() as session:
            row = await services.get_invoice(session, code="reference", number=1, principal=None)
            paid = await services.payments(session, invoice_id=row.id)
        assert not (row.voided_at is not None and paid), (row.voided_at, paid)
        if row.voided_at is not None:
            break


async def test_the_client_sees_its_own_invoices_and_their_pdf_only(client: AsyncTestClient[Litestar], db: Any) -> None:
    await load_reference(db)
    await load_reference(db, code="other")
    async with db.begin() as session:
        await measurement(session)
        await measurement(session, contract="other")
    await _issue(db)
    await _issue(db, code="other")
    mine = bearer(await token(db, "client", "reference"))
    theirs = bearer(await token(db, "client", "other"))
    listed = await client.get("/api/contracts/reference/invoices", headers=mine)
    assert listed.status_code == 200
    assert [(i["kind"], i["number"], i["standing"]["state"]) for i in listed.json()] == [("invoice", 1, "open")]
    assert (await client.get("/api/contracts/reference/invoices/1", headers=theirs)).status_code == 404
    assert (await client.get("/api/contracts/other/invoices/1", headers=mine)).status_code == 404
    pdf = await client.get("/api/contracts/reference/invoices/1/document?lang=pt-BR", headers=mine)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    html = await client.get("/api/contracts/reference/invoices/1/document?format=html&lang=pt-BR", headers=mine)
    assert "Valor líquido a pagar" in html.text and "R$\xa0141.754,37" in html.text  # Babel: a no-break space
    spanish = await client.get("/api/contracts/reference/invoices/1/document?format=html&lang=es-AR", headers=mine)
    assert "Neto a pagar" in spanish.text
    refused = await client.post("/api/contracts/reference/invoices", json={"month": "2026-10"}, headers=mine)
    assert refused.status_code == 403


async def test_the_pdf_is_stored_at_issue_and_served_only_while_it_matches(
    client: AsyncTestClient[Litestar], db: Any, app: Litestar
) -> None:
    await load_reference(db)
    async with db.begin() as session:
        await measurement(session)
    manager = bearer(await token(db, "manager"))
    issued = await client.post("/api/contracts/reference/invoices", json={"month": "2026-10"}, headers=manager)
    assert issued.status_code == 201, issued.text
    assert issued.json()["pdf_sha256"]
    first = await client.get("/api/contracts/reference/invoices/1/document", headers=manager)
    assert first.status_code == 200 and first.content.startswith(b"%PDF")
    assert first.headers["x-content-sha256"] == issued.json()["pdf_sha256"]
    again = await client.post("/api/contracts/reference/invoices", json={"month": "2026-10"}, headers=manager)
    assert again.status_code == 200 and again.json()["number"] == 1
    async with db() as session:
        row = await services.get_invoice(session, code="reference", number=1, principal=None)
    stored = app.state.settings.reports_dir / str(row.pdf_path)
    stored.chmod(0o644)
    stored.write_bytes(first.content.replace(b"%PDF", b"%PDF ", 1))
    tampered = await client.get("/api/contracts/reference/invoices/1/document", headers=manager)
    assert tampered.status_code == 409 and "no longer matches" in tampered.json()["detail"]


def test_ops_invoice_nfse_names_the_empty_option_as_typed(ops: Ops, tmp_path: Path) -> None:
    # The service is shared with the API (which names `number`) and the page (`nfse_number`): each names its own.
    ops.load(tmp_path, REFERENCE_CONTRACT.read_text(encoding="utf-8"))
    ops.query(_measured)
    assert ops("invoice", "issue", "--contract", "reference", "--month", "2026-10").exit_code == 0
    base = ["invoice", "nfse", "--contract", "reference", "1", "--value", "151043.55"]
    number = ops(*base, "--nfse-number", " ", "--code", "AB12")
    assert (number.exit_code, number.stderr.strip()) == (2, "error: --nfse-number: empty")
    code = ops(*base, "--nfse-number", "2026/123", "--code", "")
    assert (code.exit_code, code.stderr.strip()) == (2, "error: --code: empty")
    recorded = ops(*base, "--nfse-number", "2026/123", "--code", "AB12")
    assert recorded.exit_code == 0 and "values match" in recorded.stdout, recorded.output


async def _measured(session: Any) -> None:
    await measurement(session)
    await session.commit()


def test_ops_refuses_numbers_past_their_bounds_in_one_line(ops: Ops, tmp_path: Path) -> None:
    """A number no column holds, an amount of 1e20 or a port past 65535 was a driver's traceback, an adjustment of
    1e20 waiting for the next measurement, or a server on another port."""
    ops.load(tmp_path, REFERENCE_CONTRACT.read_text(encoding="utf-8"))
    ops.query(_measured)
    assert ops("invoice", "issue", "--contract", "reference", "--month", "2026-10").exit_code == 0
    huge = "99999999999999999999"
    for args in (
        ("invoice", "show", huge, "--contract", "reference"),
        ("agent", "token", huge),
        ("dispute", "show", huge, "--contract", "reference"),
        ("serve", "--port", "70000"),
    ):
        refused = ops(*args)
        assert refused.exit_code == 2 and "Traceback" not in refused.output, (args, refused.output)
        assert "is not in the range" in refused.stderr, (args, refused.stderr)
    for args, field in (
        (("billing", "adjust", "--contract", "reference", "--amount", "1e20", "--description", "typo"), "amount"),
        (("billing", "adjust", "--contract", "reference", "--amount", "1", "--description", "a\x07b"), "description"),
        (("invoice", "nfse", "1", "--contract", "reference", "--nfse-number", "1", "--code", "A", "--value", "1e20"),
         "value"),
        (("invoice", "pay", "1", "--contract", "reference", "--amount", "1e20", "--on", "2026-12-01"), "amount"),
    ):  # fmt: skip
        refused = ops(*args)
        assert refused.exit_code == 2 and refused.stderr.startswith(f"error: {field}:"), (args, refused.output)
    # A language no document speaks was printed in pt-BR, with exit status 0.
    for args in (("invoice", "show", "1"), ("billing", "measure", "--month", "2026-10")):
        refused = ops(*args, "--contract", "reference", "--format", "html", "--lang", "fr")
        assert refused.exit_code == 2 and "'fr' is not one of 'pt-BR', 'es-AR', 'en'" in refused.stderr, refused.output


async def test_the_api_names_an_overpayment_and_a_language_no_document_speaks(
    client: AsyncTestClient[Litestar], db: Any
) -> None:
    await load_reference(db)
    async with db.begin() as session:
        await measurement(session)
    invoice = await _issue(db)
    manager = bearer(await token(db, "manager"))
    today = utcnow().astimezone(ZoneInfo("America/Sao_Paulo")).date()
    over = await client.post(
        "/api/contracts/reference/invoices/1/payments",
        json={"amount": str(invoice.net + Decimal("0.01")), "paid_on": str(today)},
        headers=manager,
    )
    assert over.status_code == 409, over.text
    assert over.json()["errors"] == [{"field": "amount", "problem": f"more than the {invoice.net} left to pay"}]
    # A language no document speaks is named, not answered in pt-BR; an alias of one that does is taken.
    for path in ("invoices/1/document", "measurements/2026-10/document"):
        url = f"/api/contracts/reference/{path}"
        french = await client.get(url, params={"format": "html", "lang": "fr"}, headers=manager)
        assert french.status_code == 422, french.text
        assert french.json()["errors"] == [{"field": "lang", "problem": "'fr' is not one of pt-BR, es-AR, en"}]
        spanish = await client.get(url, params={"format": "html", "lang": "es"}, headers=manager)
        assert spanish.status_code == 200 and 'lang="es-AR"' in spanish.text, spanish.text[:300]
