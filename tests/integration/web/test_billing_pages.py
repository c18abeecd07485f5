"""The billing pages through their forms: the manager's /billing (draft, submit, a written approval, the invoice, a
payment) and the client's portal tab (approve, or contest lines with reasons); failures shown at their 4xx in the
reader's language with nothing changed; Portuguese and Spanish words and Babel's money."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from ops.billing.invoices.models import DocumentCounter, Invoice, Payment
from ops.billing.measurement import services
from ops.billing.measurement.models import Measurement
from ops.db import utcnow
from ops.l10n import Formats
from tests.helpers import load_reference, sign_in, token

Client = AsyncTestClient[Litestar]
OCTOBER = {"contract": "reference", "month": "2026-10"}
TODAY = utcnow().date().isoformat()  # a payment is not recorded before its invoice was issued (today)
PT, ES, EN = {"accept-language": "pt-BR"}, {"accept-language": "es-AR,es;q=0.9"}, {"accept-language": "en"}


async def _measured(db: Any, month: str = "2026-10", *, submit: bool = False) -> None:
    async with db.begin() as session:
        await services.draft(session, code="reference", month=month, actor="test")
        if submit:
            await services.submit(session, code="reference", month=month, actor="test")


async def _latest(db: Any, month: str = "2026-10") -> Measurement:
    async with db() as session:
        return await services.get_measurement(session, code="reference", month=month, principal=None)


async def _count(db: Any, table: Any) -> int:
    async with db() as session:
        return int((await session.execute(select(func.count()).select_from(table))).scalar_one())


async def test_a_manager_drafts_submits_records_an_approval_and_issues(client: Client, db: Any) -> None:
    await load_reference(db)
    await sign_in(client, await token(db, "manager", name="Marta"))
    empty = await client.get("/billing", params=OCTOBER, headers=EN)
    assert empty.status_code == 200
    assert 'id="no-measurement"' in empty.text and "Draft the measurement" in empty.text

    drafted = await client.post("/billing/measurement/draft", data=OCTOBER, follow_redirects=False)
    assert drafted.status_code == 303
    assert drafted.headers["location"] == "/billing?contract=reference&month=2026-10#measurement"
    page = await client.get("/billing", params=OCTOBER, headers=EN)
    assert 'data-state="draft"' in page.text
    # Customer care: 15 positions all October at 9,800.00 (English money: no space after the symbol).
    assert "15 positions, 10/1/26 to 10/31/26 (31/31 days)" in page.text and "R$147,000.00" in page.text
    assert (await _latest(db)).created_by == "manager:Marta"

    submitted = await client.post("/billing/measurement/submit", data={**OCTOBER, "version": "1"})
    assert submitted.status_code == 200  # followed to the page
    assert (await _latest(db)).state == "submitted"
    approved = await client.post(
        "/billing/measurement/approve",
        data={**OCTOBER, "version": "1", "by": "Maria Souza (CaboNet), e-mail of 5 Nov"},
        follow_redirects=False,
    )
    assert approved.status_code == 303
    row = await _latest(db)
    assert (row.state, row.decided_by) == ("approved", "Maria Souza (CaboNet), e-mail of 5 Nov")

    issued = await client.post("/billing/invoices", data={**OCTOBER, "version": "1"}, follow_redirects=False)
    assert issued.status_code == 303 and issued.headers["location"].endswith("#invoices")
    page = await client.get("/billing", params=OCTOBER, headers=EN)
    assert 'data-invoice="1"' in page.text and 'data-state="open"' in page.text
    listed = page.text.split('id="invoice-list"')[1].split("</table>")[0]
    assert "October 2026" in listed and "2026-10" not in listed  # the invoice's month in words, not a code
    pdf_link = re.search(r'href="(/api/contracts/reference/invoices/1/document\?lang=en)"', page.text)
    assert pdf_link is not None
    pdf = await client.get(pdf_link.group(1).replace("&amp;", "&"))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    measurement_pdf = await client.get("/api/contracts/reference/measurements/2026-10/document?format=pdf&lang=en")
    assert measurement_pdf.content.startswith(b"%PDF") and "/measurements/2026-10/document?format=pdf" in page.text
    # Issuing again changes nothing; the issue button is gone.
    await client.post("/billing/invoices", data={**OCTOBER, "version": "1"})
    assert await _count(db, Invoice) == 1 and 'id="do-issue"' not in page.text

    # A payment typed the Portuguese way.
    client.cookies.set("ops_lang", "pt")
    paid = await client.post(
        "/billing/payments",
        data={**OCTOBER, "invoice": "1", "paid_on": TODAY, "amount": "1.000,50", "note": "TED"},
        follow_redirects=False,
    )
    assert paid.status_code == 303, paid.text
    async with db() as session:
        payment = (await session.execute(select(Payment))).scalar_one()
    assert (payment.amount, payment.note, payment.recorded_by) == (Decimal("1000.50"), "TED", "manager:Marta")
    page = await client.get("/billing", params=OCTOBER)
    assert "R$\xa01.000,50" in page.text and "Registrar um pagamento" in page.text


async def test_a_failed_action_shows_its_error_in_the_page_language_and_changes_nothing(
    client: Client, db: Any
) -> None:
    await load_reference(db)
    await _measured(db)
    await sign_in(client, await token(db, "manager"))
    client.cookies.set("ops_lang", "pt")
    counters = await _count(db, DocumentCounter)

    early = await client.post("/billing/invoices", data={**OCTOBER, "version": "1"})
    assert early.status_code == 409
    assert "A fatura não foi emitida." in early.text
    assert "A medição de outubro de 2026 (versão 1) está na situação: rascunho." in early.text
    assert await _count(db, Invoice) == 0 and await _count(db, DocumentCounter) == counters

    await client.post("/billing/measurement/submit", data={**OCTOBER, "version": "1"})
    nobody = await client.post("/billing/measurement/approve", data={**OCTOBER, "version": "1", "by": "  "})
    assert nobody.status_code == 422
    assert "Escreva quem a aprovou" in nobody.text and 'aria-invalid="true"' in nobody.text
    stale = await client.post("/billing/measurement/approve", data={**OCTOBER, "version": "7", "by": "Maria"})
    assert stale.status_code == 409 and "confira a versão 1" in stale.text
    again = await client.post("/billing/measurement/draft", data={**OCTOBER, "version": "1"})
    assert again.status_code == 409 and "está na situação: enviada" in again.text
    assert (await _latest(db)).state == "submitted"

    await client.post("/billing/measurement/approve", data={**OCTOBER, "version": "1", "by": "Maria"})
    await client.post("/billing/invoices", data={**OCTOBER, "version": "1"})
    bad = {**OCTOBER, "invoice": "1", "paid_on": TODAY, "amount": "1234.56", "note": "typed"}
    refused = await client.post("/billing/payments", data=bad)
    assert refused.status_code == 422
    assert "Escreva o valor com centavos, como 1.234,56." in refused.text
    assert 'value="1234.56"' in refused.text and 'value="typed"' in refused.text  # what was typed stays
    early_payment = await client.post("/billing/payments", data={**bad, "amount": "10,00", "paid_on": "2020-01-01"})
    assert early_payment.status_code == 422 and "anterior à emissão da fatura" in early_payment.text
    for far in ("0001-01-01", "9999-12-31"):  # outside the input window (issue 13)
        refused = await client.post("/billing/payments", data={**bad, "amount": "10,00", "paid_on": far})
        assert refused.status_code == 422 and "Informe uma data." in refused.text
    ahead = str(date.fromisoformat(TODAY) + timedelta(days=2))  # a day of leeway for the clocks
    ahead = await client.post("/billing/payments", data={**bad, "amount": "10,00", "paid_on": ahead})
    assert ahead.status_code == 422 and "A data do pagamento é posterior a hoje" in ahead.text
    # A cent more than the invoice's net is refused, saying what is left.
    async with db() as session:
        net = (await session.execute(select(Invoice.net))).scalar_one()
    over = await client.post("/billing/payments", data={**bad, "amount": str(net + Decimal("0.01")).replace(".", ",")})
    left = Formats("pt-BR").money(net, "BRL")
    assert over.status_code == 409 and f"O valor é maior do que o que falta pagar nesta fatura ({left})." in over.text
    for huge in ("1e30", "1E400"):  # read as numbers, past the money bound: refused, not a 500
        refused = await client.post("/billing/payments", data={**bad, "amount": huge})
        assert refused.status_code == 422 and "Um valor é de no máximo 1.000.000.000.000,00." in refused.text
    assert await _count(db, Payment) == 0
    today = datetime.now(ZoneInfo("America/Sao_Paulo")).date()
    following = (today.replace(day=1) + timedelta(days=31)).replace(day=1)  # next month, still inside the term
    future = await client.post(
        "/billing/measurement/draft", data={"contract": "reference", "month": f"{following:%Y-%m}"}
    )
    said = f"O período de {Formats('pt-BR').month(following)} ainda não começou."
    assert future.status_code == 422 and said in future.text
    term = (
        f"O contrato vigora de {Formats('pt-BR').date(date(2026, 2, 1))} a {Formats('pt-BR').date(date(2028, 1, 31))}"
    )
    for outside in ("2099-01", "1999-02"):
        refused = await client.post("/billing/measurement/draft", data={"contract": "reference", "month": outside})
        assert refused.status_code == 422 and term in refused.text, refused.text
    junk = await client.get("/billing", params={"contract": "reference", "month": "2026-99"})
    assert junk.status_code == 422 and "Um mês se escreve AAAA-MM." in junk.text
    month = f"{datetime.now(ZoneInfo('America/Sao_Paulo')):%Y-%m}"  # the month under way
    current = {"contract": "reference", "month": month}
    assert (await client.post("/billing/measurement/draft", data=current, follow_redirects=False)).status_code == 303
    early = await client.post("/billing/measurement/submit", data={**current, "version": "1"})
    assert early.status_code == 409 and "a medição é enviada depois desse dia." in early.text


async def test_the_pages_speak_portuguese_and_spanish_with_babel_money(client: Client, db: Any) -> None:
    await load_reference(db)
    await _measured(db, submit=True)
    await sign_in(client, await token(db, "manager"))
    pt = await client.get("/billing", params=OCTOBER, headers=PT)
    assert '<html lang="pt">' in pt.text
    for words in ("Medição de outubro de 2026", "Posições de base", "Registrar a aprovação", "Faturamento"):
        assert words in pt.text, words
    assert "R$\xa0147.000,00" in pt.text  # Babel's pt-BR money: a no-break space after the symbol
    es = await client.get("/billing", params=OCTOBER, headers=ES)
    for words in ("Medición de octubre de 2026", "Posiciones base", "Registrar la aprobación", "Facturación"):
        assert words in es.text, words
    assert "BRL\xa0147.000,00" in es.text  # es-AR names the real, kept off the digits by a no-break space
    # The language switch offers Spanish and keeps the page's contract and month.
    assert '<option value="es" ' in pt.text
    switched = await client.post(
        "/lang", data={"lang": "es", "next": "/billing?contract=reference&month=2026-10"}, follow_redirects=False
    )
    assert switched.headers["location"] == "/billing?contract=reference&month=2026-10"
    assert "Medición de octubre de 2026" in (await client.get(switched.headers["location"], headers=PT)).text

    client.cookies.clear()
    await sign_in(client, await token(db, "client", "reference"))
    portal = await client.get("/portal/billing", headers=ES)
    for words in ("Aprobar la medición", "Impugnar los ítems marcados", "Facturas", "Informes de SLA"):
        assert words in portal.text, words
    portal_pt = await client.get("/portal/billing", headers=PT)
    assert "Aprovar a medição" in portal_pt.text and "R$\xa0147.000,00" in portal_pt.text


async def test_the_client_approves_or_contests_lines_in_its_portal(client: Client, db: Any) -> None:
    await load_reference(db)
    await load_reference(db, code="other")
    await _measured(db, submit=True)
    await _measured(db, "2026-11")  # a draft: the provider's until submitted
    stranger = await token(db, "client", "other")
    await sign_in(client, stranger)
    assert (await client.get("/portal/billing", params={"contract": "reference"})).status_code == 404
    intruded = await client.post("/portal/billing/approve", data=OCTOBER)
    assert intruded.status_code == 404 and (await _latest(db)).state == "submitted"
    assert "reference" not in (await client.get("/portal/billing")).text

    await sign_in(client, await token(db, "client", "reference", name="Ana"))
    page = await client.get("/portal/billing", headers=EN)
    assert 'id="measurement-2026-10"' in page.text and 'id="measurement-2026-11"' not in page.text
    unexplained = await client.post("/portal/billing/contest", data={**OCTOBER, "version": "1", "contest_2": "1"})
    assert unexplained.status_code == 422 and "Write why you contest line 2." in unexplained.text
    stray = {**OCTOBER, "version": "1", "contest_2": "1", "reason_2": "x", "reason_3": "kept"}
    refused = await client.post("/portal/billing/contest", data=stray, headers=EN)
    assert refused.status_code == 422 and "Line 3 has a reason but is not ticked" in refused.text
    assert 'value="kept"' in refused.text and (await _latest(db)).state == "submitted"

    reason = "Help desk ran 10 positions from the 16th"
    contested = await client.post(
        "/portal/billing/contest",
        data={**OCTOBER, "version": "1", "contest_2": "1", "reason_2": reason},
        follow_redirects=False,
    )
    assert contested.status_code == 303
    assert contested.headers["location"] == "/portal/billing?contract=reference#measurement-2026-10"
    row = await _latest(db)
    assert row.state == "contested" and row.lines[1].contested_reason == reason
    shown = await client.get("/portal/billing", headers=EN)
    assert reason in shown.text and 'data-state="contested"' in shown.text
    late = await client.post("/portal/billing/approve", data={**OCTOBER, "version": "1"}, headers=EN)
    assert late.status_code == 409 and "is in state: contested" in late.text

    # The manager drafts version 2: to the client it does not exist yet, whatever version its form names.
    await _measured(db)
    for version in ("1", "2"):
        blind = await client.post("/portal/billing/approve", data={**OCTOBER, "version": version}, headers=EN)
        assert blind.status_code == 409 and "version 1" in blind.text, blind.text
        assert "version 2" not in blind.text and "draft" not in blind.text
    # The manager submits it; the client approves that one.
    async with db.begin() as session:
        await services.submit(session, code="reference", month="2026-10", actor="test")
    corrected = await client.get("/portal/billing", headers=EN)
    assert 'data-state="submitted"' in corrected.text
    assert 'data-state="superseded"' in corrected.text and reason in corrected.text  # version 1 kept with its reason
    approved = await client.post("/portal/billing/approve", data={**OCTOBER, "version": "2"}, follow_redirects=False)
    assert approved.status_code == 303
    row = await _latest(db)
    assert (row.version, row.state, row.decided_by) == (2, "approved", "client:Ana")


async def test_provider_staff_read_the_portal_tab_but_only_the_client_decides(client: Client, db: Any) -> None:
    await load_reference(db)
    await _measured(db, submit=True)
    await sign_in(client, await token(db, "manager"))
    page = await client.get("/portal/billing", params={"contract": "reference"}, headers=EN)
    assert page.status_code == 200 and 'data-state="submitted"' in page.text
    assert "Approve the measurement" not in page.text
    assert (await client.post("/portal/billing/approve", data={**OCTOBER, "version": "1"})).status_code == 403
    await sign_in(client, await token(db, "agent", "reference"))
    assert (await client.get("/billing", follow_redirects=False)).status_code == 403


async def test_the_readjustments_show_with_their_notice(client: Client, db: Any) -> None:
    """A contract whose anniversaries fall where the IPCA fixture has data: the first, overdue, is previewed; the
    next waits for it (prices compound); once it is applied both show, each with its notice."""
    from ops.billing.indices.services import apply_readjustment, import_series
    from tests.integration.billing.indices.conftest import SERIES_FILE, dated_contract

    await load_reference(db, text=dated_contract(anniversary="2025-06-01"))
    async with db.begin() as session:
        await import_series(session, text=SERIES_FILE.read_text(encoding="utf-8"), source="test", actor="test")
    await sign_in(client, await token(db, "manager"))
    page = await client.get("/billing", params={"contract": "reference"}, headers=PT)
    assert 'id="readjustment-2025-06-01"' in page.text and 'data-state="preview"' in page.text
    assert "O aniversário chegou e o reajuste ainda não foi aplicado." in page.text
    assert 'data-state="unavailable"' in page.text and "Um reajuste anterior ainda não foi aplicado" in page.text
    assert "R$\xa09.800,00" in page.text  # the position's current price, in the pt-BR money format

    async with db.begin() as session:
        applied = await apply_readjustment(session, contract_code="reference", on=date(2025, 6, 1), actor="test")
    client.cookies.clear()
    await sign_in(client, await token(db, "client", "reference"))
    portal = await client.get("/portal/billing", headers=ES)
    assert 'data-state="applied"' in portal.text and 'id="readjustment-2026-06-01"' in portal.text
    new_price = Formats("es-AR").price(next(p.new for p in applied.prices if p.item == "position_month"), "BRL")
    assert new_price in portal.text
    # The notice speaks pt-BR and English: a Spanish reader is offered both.
    links = re.findall(
        r'href="(/api/contracts/reference/readjustments/2025-06-01/notice\.pdf\?lang=[^"]+)"', portal.text
    )
    assert [link.rsplit("=", 1)[1] for link in links] == ["pt-BR", "en"]
    notice = await client.get(links[0])
    assert notice.status_code == 200 and notice.content.startswith(b"%PDF")


async def test_a_nul_in_a_page_form_is_a_422_naming_the_field_and_records_nothing(client: Client, db: Any) -> None:
    """Issue 13: a NUL typed (or pasted) into a form reached PostgreSQL, which refused it with a 500."""
    await load_reference(db)
    await _measured(db, submit=True)
    await sign_in(client, await token(db, "manager", name="Marta"))
    approved = await client.post(
        "/billing/measurement/approve", data={**OCTOBER, "version": "1", "by": "Maria\x00"}, follow_redirects=False
    )
    assert approved.status_code == 422, approved.text
    assert "control character U+0000 at position 5 is not allowed" in approved.text  # on the error page
    assert (await _latest(db)).state == "submitted"


def _form_key(page: str, action: str) -> str:
    """The key the page gave the form posting to `action` (each form shown gets a fresh one)."""
    form = re.search(rf'<form[^>]*action="{re.escape(action)}".*?</form>', page, re.S)
    assert form is not None, f"no form posts to {action}"
    key = re.search(r'name="_form_key" value="([0-9a-f]{32})"', form.group(0))
    assert key is not None
    return key.group(1)


async def test_a_payment_form_sent_twice_records_one_payment(client: Client, db: Any) -> None:
    """A double click (or a resent POST) on the same form shown acts once and lands on the same page; the form
    changed and sent again from that page is refused; the page shown again takes the next payment."""
    await load_reference(db)
    await _measured(db, submit=True)
    async with db.begin() as session:
        await services.approve(session, code="reference", month="2026-10", actor="test", by="Maria")
    await sign_in(client, await token(db, "manager"))
    client.cookies.set("ops_lang", "pt")
    assert (await client.post("/billing/invoices", data={**OCTOBER, "version": "1"})).status_code == 200
    page = (await client.get("/billing", params=OCTOBER)).text
    keys = re.findall(r'name="_form_key" value="([0-9a-f]{32})"', page)
    assert len(keys) == len(set(keys)) > 1  # one key per form
    assert "1 · outubro de 2026</option>" in page and "· 2026-10</option>" not in page  # the invoice choices
    paid = {
        **OCTOBER,
        "invoice": "1",
        "paid_on": TODAY,
        "amount": "10,00",
        "_form_key": _form_key(page, "/billing/payments"),
    }
    first = await client.post("/billing/payments", data=paid, follow_redirects=False)
    second = await client.post("/billing/payments", data=paid, follow_redirects=False)
    assert first.status_code == second.status_code == 303, second.text
    assert second.headers["location"] == first.headers["location"]
    assert second.headers.get("idempotent-replayed") == "true"
    assert await _count(db, Payment) == 1
    changed = await client.post("/billing/payments", data={**paid, "amount": "20,00"}, follow_redirects=False)
    assert changed.status_code == 409
    assert "Este formulário já foi enviado: abra a página de novo para enviar outro." in changed.text
    assert await _count(db, Payment) == 1
    page = (await client.get("/billing", params=OCTOBER)).text
    again = {**paid, "amount": "20,00", "_form_key": _form_key(page, "/billing/payments")}
    assert (await client.post("/billing/payments", data=again, follow_redirects=False)).status_code == 303
    assert await _count(db, Payment) == 2
    # Only a key as the page writes it is kept: a hand-made one (longer than the column holds) is no key at all.
    forged = {**again, "amount": "1,00", "_form_key": "f" * 255}
    assert (await client.post("/billing/payments", data=forged, follow_redirects=False)).status_code == 303
    assert await _count(db, Payment) == 3
