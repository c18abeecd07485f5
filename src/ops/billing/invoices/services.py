"""Issuing invoices and credit notes: from an approved measurement, with the contract's taxes and withholdings, the
next number of a gapless sequence taken in the issuing transaction, a frozen document chained by SHA-256 to the
one issued before; then payments, voids, the fiscal NFS-e recorded against it, its balance and state."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from ops import bounds
from ops.auth import Principal
from ops.billing.invoices.chain import (
    GENESIS,
    ChainCheck,
    CreditAboveInvoice,
    check_credit_note,
    document_hash,
    verify_chain,
)
from ops.billing.invoices.models import DocumentCounter, Invoice, Payment
from ops.billing.invoices.taxes import invoice_totals
from ops.billing.invoices.views import Standing, invoice_view
from ops.billing.measurement.services import get_measurement
from ops.billing.money import cents
from ops.billing.terms import terms_of
from ops.contracts.document import from_document
from ops.contracts.models import Contract
from ops.contracts.services import get_contract
from ops.db import utcnow
from ops.errors import ConflictError, InvalidInputError, NotFoundError

ZERO = Decimal("0.00")


async def _next(session: AsyncSession, name: str) -> int:
    """The next number of a sequence, taken by one UPDATE in this transaction: concurrent issuers wait on the
    counter row, and a rolled-back issue gives the number back, so no number is skipped or given twice."""
    bump = update(DocumentCounter).where(DocumentCounter.name == name).values(last=DocumentCounter.last + 1)
    number = (await session.execute(bump.returning(DocumentCounter.last))).scalar_one_or_none()
    if number is None:
        # The migration seeds the counters; a database that lost them starts the sequence again at 1, and two
        # first issuers meet on the same new row.
        dialect = session.bind.dialect.name
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        await session.execute(insert(DocumentCounter).values(name=name, last=0).on_conflict_do_nothing())
        number = (await session.execute(bump.returning(DocumentCounter.last))).scalar_one()
    return int(number)


async def _chain_link(session: AsyncSession) -> tuple[int, str]:
    """This document's place in the chain of every issued document, and the hash of the one before it."""
    position = await _next(session, "chain")
    previous = (
        await session.execute(select(Invoice.sha256).where(Invoice.chain_position == position - 1))
    ).scalar_one_or_none()
    return position, previous or GENESIS


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _local_day(moment: datetime, zone: str) -> date:
    return moment.astimezone(ZoneInfo(zone)).date()


def _store_pdf(row: Invoice, contract_code: str, language: str, files: Path) -> None:
    """The document as issued, as a PDF in the client's language, written once and read-only; its SHA-256 is
    frozen with the row (the file is served only while it matches)."""
    from ops.billing import documents
    from ops.reports.delivery.storage import write_immutable

    issued = Standing(ZERO, ZERO, row.net, "open" if row.kind == "invoice" else "issued", None)
    content = documents.pdf(documents.invoice_html(invoice_view(row, issued, [], []), language))
    digest = hashlib.sha256(content).hexdigest()
    relative = f"invoices/{contract_code}/{row.kind}-{row.number:06d}-{digest[:16]}.pdf"
    write_immutable(files, relative, content)
    row.pdf_path, row.pdf_sha256 = relative, digest


def read_pdf(files: Path, row: Invoice) -> bytes | None:
    """The PDF stored at issue, or None when none was stored; refused when it no longer matches its SHA-256."""
    if row.pdf_path is None or row.pdf_sha256 is None:
        return None
    content = (files / row.pdf_path).read_bytes()
    if hashlib.sha256(content).hexdigest() != row.pdf_sha256:
        raise ConflictError(f"the stored PDF of {row.kind} {row.number} no longer matches its SHA-256")
    return content


@dataclass(frozen=True)
class Issued:
    invoice: Invoice
    created: bool  # False: the month was already issued, and nothing changed


async def issue_invoice(
    session: AsyncSession, *, code: str, month: str, actor: str, now: datetime | None = None, files: Path | None = None
) -> Issued:
    """Issue the invoice of the month's approved measurement. Issuing a month already issued changes nothing.
    With `files` (the document store), its PDF is written there and its SHA-256 frozen with it."""
    now = now or utcnow()
    measurement = await get_measurement(session, code=code, month=month, principal=None)
    contract = await get_contract(session, code=code, principal=None)
    existing = (
        await session.execute(select(Invoice).where(Invoice.measurement_id == measurement.id))
    ).scalar_one_or_none()
    if existing is not None:
        return Issued(existing, created=False)
    if measurement.state != "approved":
        raise ConflictError(
            f"the measurement of {code} for {month} (version {measurement.version}) is {measurement.state}: "
            "only an approved measurement is invoiced",
            extra=[{"field": "month", "problem": f"measurement {measurement.state}, not approved"}],
        )
    if measurement.total <= 0:
        raise ConflictError(
            f"the measurement of {code} for {month} totals {measurement.total}: nothing to invoice "
            "(carry the amount to the next measurement with an adjustment)"
        )
    document = from_document(contract.document)
    terms = terms_of(document)
    totals = invoice_totals(measurement.total, terms.taxes)
    number = await _next(session, "invoice")
    position, previous = await _chain_link(session)
    issued_on = _local_day(now, contract.timezone)
    due_on = issued_on + timedelta(days=terms.payment_days)
    body: dict[str, Any] = {
        "kind": "invoice",
        "number": number,
        "chain_position": position,
        "contract": {"code": contract.code, "client": contract.client.name, "object": contract.object},
        "month": month,
        "period": {"from": measurement.period_start.isoformat(), "to": measurement.period_end.isoformat()},
        "measurement": {
            "id": measurement.id,
            "version": measurement.version,
            "report_sha256": measurement.report_sha256,
        },
        "issued_at": now.isoformat(),
        "issued_on": issued_on.isoformat(),
        "due_on": due_on.isoformat(),
        "currency": contract.currency,
        "lines": [
            {
                "position": x.position,
                "kind": x.kind,
                "description": x.description,
                "quantity": str(x.quantity),
                "unit": x.unit,
                "unit_price": str(x.unit_price),
                "amount": str(x.amount),
                "sources": list(x.sources),
                "detail": dict(x.detail or {}),
            }
            for x in measurement.lines
        ],
        "totals": {
            "services": str(totals.services),
            "iss_rate": str(terms.taxes.iss_rate),
            "iss": str(totals.iss),
            "iss_included": totals.iss_included,
            "gross": str(totals.gross),
            "withholdings": [
                {"code": w.code, "rate": str(w.rate), "amount": str(w.amount)} for w in totals.withholdings
            ],
            "withheld": str(totals.withheld),
            "net": str(totals.net),
        },
    }
    row = Invoice(
        contract_id=contract.id,
        kind="invoice",
        number=number,
        chain_position=position,
        measurement_id=measurement.id,
        month=month,
        issued_at=now,
        issued_by=actor,
        due_on=due_on,
        currency=contract.currency,
        gross=totals.gross,
        withheld=totals.withheld,
        net=totals.net,
        document=body,
        sha256=document_hash(previous, body),
        previous_sha256=previous,
    )
    if files is not None:
        _store_pdf(row, contract.code, document.language, files)
    session.add(row)
    await session.flush()
    return Issued(row, created=True)


async def issue_credit_note(
    session: AsyncSession,
    *,
    code: str,
    invoice_number: int,
    amount: Decimal,
    reason: str,
    actor: str,
    now: datetime | None = None,
    files: Path | None = None,
) -> Invoice:
    """A credit note against an issued invoice (its own gapless sequence and a link of the chain); the credits of
    an invoice never add up to more than its gross total."""
    now = now or utcnow()
    invoice = await get_invoice(session, code=code, number=invoice_number, principal=None)
    if invoice.voided_at is not None:
        raise ConflictError(f"invoice {invoice.number} is void: nothing to credit")
    if not reason.strip():
        raise InvalidInputError("reason: required", extra=[{"field": "reason", "problem": "empty"}])
    earlier = [c.gross for c in await credit_notes(session, invoice_id=invoice.id)]
    try:
        check_credit_note(invoice.gross, earlier, amount)
    except CreditAboveInvoice as exc:
        raise ConflictError(str(exc), extra=[{"field": "amount", "problem": f"at most {exc.remaining}"}]) from None
    except ValueError as exc:
        raise InvalidInputError(str(exc), extra=[{"field": "amount", "problem": str(exc)}]) from None
    contract = await get_contract(session, code=code, principal=None)
    number = await _next(session, "credit_note")
    position, previous = await _chain_link(session)
    issued_on = _local_day(now, contract.timezone)
    body: dict[str, Any] = {
        "kind": "credit_note",
        "number": number,
        "chain_position": position,
        "contract": {"code": contract.code, "client": contract.client.name, "object": contract.object},
        "month": invoice.month,
        "corrects": {"kind": "invoice", "number": invoice.number, "sha256": invoice.sha256},
        "issued_at": now.isoformat(),
        "issued_on": issued_on.isoformat(),
        "currency": invoice.currency,
        "reason": reason.strip(),
        "totals": {"gross": str(amount), "withheld": "0.00", "net": str(amount)},
    }
    row = Invoice(
        contract_id=contract.id,
        kind="credit_note",
        number=number,
        chain_position=position,
        corrects_invoice_id=invoice.id,
        month=invoice.month,
        issued_at=now,
        issued_by=actor,
        due_on=issued_on,
        currency=invoice.currency,
        gross=amount,
        withheld=ZERO,
        net=amount,
        document=body,
        sha256=document_hash(previous, body),
        previous_sha256=previous,
    )
    if files is not None:
        _store_pdf(row, contract.code, from_document(contract.document).language, files)
    session.add(row)
    await session.flush()
    return row


async def credit_notes(session: AsyncSession, *, invoice_id: int) -> list[Invoice]:
    rows = await session.execute(
        select(Invoice)
        .where(Invoice.kind == "credit_note", Invoice.corrects_invoice_id == invoice_id)
        .order_by(Invoice.number)
    )
    return list(rows.scalars())


async def get_invoice(
    session: AsyncSession, *, code: str, number: int, principal: Principal | None, kind: str = "invoice"
) -> Invoice:
    contract = await get_contract(session, code=code, principal=principal)
    row = None
    if bounds.id_problem(number) is None:  # a number no column holds names no document (and is no 500)
        row = (
            await session.execute(
                select(Invoice).where(
                    Invoice.contract_id == contract.id, Invoice.kind == kind, Invoice.number == number
                )
            )
        ).scalar_one_or_none()
    if row is None:
        raise NotFoundError(f"no {kind.replace('_', ' ')} {number} of {code}")
    return row


async def list_invoices(session: AsyncSession, *, code: str, principal: Principal | None) -> list[Invoice]:
    contract = await get_contract(session, code=code, principal=principal)
    rows = await session.execute(
        select(Invoice).where(Invoice.contract_id == contract.id).order_by(Invoice.issued_at.desc(), Invoice.id.desc())
    )
    return list(rows.scalars())


# --- after issue: payments, void, NFS-e -----------------------------------------------------------------


async def payments(session: AsyncSession, *, invoice_id: int) -> list[Payment]:
    rows = await session.execute(
        select(Payment).where(Payment.invoice_id == invoice_id).order_by(Payment.paid_on, Payment.id)
    )
    return list(rows.scalars())


def _money_problem(value: Decimal, *, positive: bool = False) -> str | None:
    """Why an amount typed by a person is no amount: not finite, past the money bound (a trillion is a typo), or,
    when it must be, not above zero."""
    if positive and value.is_finite() and value <= 0:
        return f"{value} is not above zero"
    return bounds.number_problem(value, low=-bounds.MAX_MONEY, high=bounds.MAX_MONEY)


async def _locked(session: AsyncSession, invoice: Invoice) -> Invoice:
    """The invoice's row locked and read again (PostgreSQL; SQLite's writer lock is taken at BEGIN): payments and a
    void met at once are judged one after the other, each seeing what the other did (two payments could both fit
    a balance read before either, and a void and a payment could both pass)."""
    query = select(Invoice).where(Invoice.id == invoice.id).with_for_update()
    return (await session.execute(query.execution_options(populate_existing=True))).scalar_one()


class OverpaymentError(ConflictError):
    """A payment above what is left to pay: a mistyped amount, or the same payment recorded twice."""

    def __init__(self, number: int, amount: Decimal, left: Decimal, currency: str) -> None:
        paid = "" if left > 0 else " (it is paid)"
        super().__init__(
            f"amount: {amount} is more than the {left} left to pay on invoice {number}{paid}",
            extra=[{"field": "amount", "problem": f"more than the {left} left to pay{paid}"}],
        )
        self.left, self.currency = left, currency


class PaidAfterTodayError(InvalidInputError):
    """A payment dated after today: it is recorded once the money has arrived."""

    def __init__(self, paid_on: date, today: date) -> None:
        super().__init__(
            f"paid_on: {paid_on} is in the future (today is {today} on the contract's clock)",
            extra=[{"field": "paid_on", "problem": f"after today, {today}"}],
        )


async def record_payment(
    session: AsyncSession,
    *,
    code: str,
    number: int,
    paid_on: date,
    amount: Decimal,
    actor: str,
    note: str | None = None,
) -> Payment:
    invoice = await _locked(session, await get_invoice(session, code=code, number=number, principal=None))
    if invoice.voided_at is not None:
        raise ConflictError(f"invoice {number} is void: it takes no payment")
    if _money_problem(amount, positive=True) is not None or cents(amount) != amount:
        raise InvalidInputError(
            f"amount: {amount} must be a positive amount in cents (at most {bounds.MAX_MONEY:,.0f})",
            extra=[{"field": "amount", "problem": "not > 0 in cents"}],
        )
    if paid_on < _local_day(invoice.issued_at, "UTC") - timedelta(days=1):
        raise InvalidInputError(
            f"paid_on: {paid_on} is before the invoice was issued",
            extra=[{"field": "paid_on", "problem": "before issue"}],
        )
    today = await contract_today(session, invoice)
    # A payment is recorded when the money arrived, not when it is expected; a day of leeway for a clock ahead of the
    # contract's (as for the issue day above).
    if paid_on > today + timedelta(days=1):
        raise PaidAfterTodayError(paid_on, today)
    left = max((await standing(session, invoice, today=today)).balance, ZERO)
    if amount > left:
        raise OverpaymentError(number, amount, left, invoice.currency)
    row = Payment(invoice_id=invoice.id, paid_on=paid_on, amount=amount, note=note, recorded_by=actor)
    session.add(row)
    await session.flush()
    return row


async def void_invoice(session: AsyncSession, *, code: str, number: int, reason: str, actor: str) -> Invoice:
    """Void an invoice that nothing was paid on (its number stays used and its document in the chain)."""
    invoice = await _locked(session, await get_invoice(session, code=code, number=number, principal=None))
    if invoice.voided_at is not None:
        raise ConflictError(f"invoice {number} was voided on {invoice.voided_at:%Y-%m-%d} by {invoice.voided_by}")
    if await payments(session, invoice_id=invoice.id):
        raise ConflictError(f"invoice {number} has payments: correct it with a credit note instead of voiding it")
    if not reason.strip():
        raise InvalidInputError("reason: required to void an invoice", extra=[{"field": "reason", "problem": "empty"}])
    invoice.voided_at, invoice.voided_by, invoice.void_reason = utcnow(), actor, reason.strip()
    await session.flush()
    return invoice


async def record_nfse(
    session: AsyncSession,
    *,
    code: str,
    number: int,
    nfse_number: str,
    verification_code: str,
    link: str | None,
    value: Decimal,
    names: tuple[str, str] = ("nfse_number", "verification_code"),
) -> Invoice:
    """The fiscal service invoice the municipality's system issued for this invoice; its value is compared with
    the invoice's gross (the approved measurement with its taxes). `names` are what the caller calls the number and
    the verification code (the API's `number`, the command line's `--nfse-number`): a refusal names the empty one
    as its sender knows it."""
    invoice = await get_invoice(session, code=code, number=number, principal=None)
    bounds.refuse(
        [
            (name, "empty")
            for name, text in zip(names, (nfse_number, verification_code), strict=True)
            if not text.strip()
        ]
        + ([("value", wrong)] if (wrong := _money_problem(value, positive=True)) is not None else [])
    )
    invoice.nfse_number, invoice.nfse_code, invoice.nfse_link = nfse_number.strip(), verification_code.strip(), link
    invoice.nfse_value, invoice.nfse_recorded_at = value, utcnow()
    await session.flush()
    return invoice


async def contract_today(session: AsyncSession, invoice: Invoice) -> date:
    """Today on the contract's clock: an invoice falls overdue by the client's calendar, not the server's UTC day."""

    zone = (await session.execute(select(Contract.timezone).where(Contract.id == invoice.contract_id))).scalar_one()
    return utcnow().astimezone(ZoneInfo(zone)).date()


async def standing(session: AsyncSession, invoice: Invoice, *, today: date, disputed: bool = False) -> Standing:
    if invoice.kind != "invoice":
        return Standing(ZERO, ZERO, ZERO, "void" if invoice.voided_at else "issued", None)
    paid = sum((p.amount for p in await payments(session, invoice_id=invoice.id)), ZERO)
    credited = sum((c.gross for c in await credit_notes(session, invoice_id=invoice.id)), ZERO)
    balance = invoice.net - paid - credited
    if invoice.voided_at is not None:
        state = "void"
    elif balance <= 0:
        state = "paid"
    elif disputed:
        state = "disputed"
    elif today > invoice.due_on:
        state = "overdue"
    else:
        state = "open"
    mismatch = None
    if invoice.nfse_value is not None and invoice.nfse_value != invoice.gross:
        mismatch = invoice.nfse_value - invoice.gross
    return Standing(paid, credited, balance, state, mismatch)


async def is_disputed(session: AsyncSession, *, invoice_id: int) -> bool:
    """Whether an open dispute (not closed, not refused) names the invoice."""
    from ops.billing.disputes.models import Dispute

    found = await session.execute(
        select(Dispute.id).where(Dispute.invoice_id == invoice_id, Dispute.state.not_in(("closed", "refused"))).limit(1)
    )
    return found.first() is not None


# --- the chain ------------------------------------------------------------------------------------------


HEADER = ("number", "kind", "gross", "withheld", "net", "chain_position")


async def verify(session: AsyncSession) -> ChainCheck:
    """Recompute the hash of every issued document in chain order, and check that each row's columns say what
    its hashed document says: any later edit of a stored row breaks here."""
    rows = list((await session.execute(select(Invoice).order_by(Invoice.chain_position))).scalars())
    for i, row in enumerate(rows):
        expected = i + 1
        if row.chain_position != expected:
            return ChainCheck(False, i, f"document {expected} of the chain is missing")
        totals = row.document.get("totals", {})
        said = {
            "number": row.document.get("number"),
            "kind": row.document.get("kind"),
            "gross": totals.get("gross"),
            "withheld": totals.get("withheld"),
            "net": totals.get("net"),
            "chain_position": row.document.get("chain_position"),
        }
        actual = {
            "number": row.number,
            "kind": row.kind,
            "gross": str(row.gross),
            "withheld": str(row.withheld),
            "net": str(row.net),
            "chain_position": row.chain_position,
        }
        different = [k for k in HEADER if said[k] != actual[k]]
        if different:
            return ChainCheck(
                False, i, f"{row.kind} {row.number}: {', '.join(different)} differ from its issued document"
            )
        if row.previous_sha256 != (rows[i - 1].sha256 if i else GENESIS):
            return ChainCheck(False, i, f"{row.kind} {row.number}: its link to the document before was changed")
    return verify_chain([(row.sha256, row.document) for row in rows])
