"""The invoice forms of the managers' billing page besides the payment: a credit note against an invoice, the
municipality's NFS-e recorded against it, and an invoice voided; read in the reader's conventions and refused in
the reader's language before the service is asked whenever the page can tell (a credit above what is left)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from ops.auth import Principal
from ops.billing.invoices import services as invoices
from ops.billing.invoices.models import Invoice
from ops.billing.measurement.models import Measurement
from ops.contracts.models import Contract
from ops.errors import ConflictError, DomainError, NotFoundError
from ops.web.billing_forms import Refused, actor, amount_in
from ops.web.billing_view import Words


def _text(data: dict[str, str], name: str) -> str | None:
    return (data.get(name) or "").strip() or None


async def _invoice(session: AsyncSession, row: Contract, data: dict[str, str], w: Words) -> Invoice:
    """The invoice the form chose, of this contract and not void."""
    number = (data.get("invoice") or "").strip()
    if not number.isdecimal():
        raise Refused(w._("Choose the invoice."), field="invoice")
    try:
        invoice = await invoices.get_invoice(session, code=row.code, number=int(number), principal=None)
    except NotFoundError:
        raise Refused(w._("No such invoice of this contract."), status=404, field="invoice") from None
    if invoice.voided_at is not None:
        raise Refused(w._("Invoice {number} is void.").format(number=invoice.number), status=409, field="invoice")
    return invoice


async def credit_note(
    session: AsyncSession, row: Contract, data: dict[str, str], w: Words, principal: Principal
) -> Invoice:
    """A credit note against the chosen invoice: the amount (never above what its earlier credit notes left) and
    the reason."""
    invoice = await _invoice(session, row, data, w)
    amount = amount_in(data.get("amount"), w, "amount")
    credited = sum((c.gross for c in await invoices.credit_notes(session, invoice_id=invoice.id)), Decimal("0.00"))
    left = invoice.gross - credited
    if amount > left:
        problem = w._("Invoice {number} has {left} left to credit: a credit note cannot go above it.")
        raise Refused(
            problem.format(number=invoice.number, left=w.fmt.money(left, invoice.currency)), status=409, field="amount"
        )
    reason = _text(data, "reason")
    if reason is None:
        raise Refused(w._("Write why the invoice is credited."), field="reason")
    return await invoices.issue_credit_note(
        session, code=row.code, invoice_number=invoice.number, amount=amount, reason=reason, actor=actor(principal)
    )


async def nfse(session: AsyncSession, row: Contract, data: dict[str, str], w: Words) -> Invoice:
    """The NFS-e the municipality issued for the chosen invoice: its number, verification code, value and link."""
    invoice = await _invoice(session, row, data, w)
    number, code = _text(data, "nfse_number"), _text(data, "verification_code")
    if number is None:
        raise Refused(w._("Give the NFS-e number."), field="nfse_number")
    if code is None:
        raise Refused(w._("Give the NFS-e verification code."), field="verification_code")
    link = _text(data, "link")
    if link is not None and not link.startswith(("https://", "http://")):
        raise Refused(w._("The link is a web address starting with https://."), field="link")
    value = amount_in(data.get("value"), w, "value")
    return await invoices.record_nfse(
        session,
        code=row.code,
        number=invoice.number,
        nfse_number=number,
        verification_code=code,
        link=link,
        value=value,
    )


async def void(session: AsyncSession, row: Contract, data: dict[str, str], w: Words, principal: Principal) -> Invoice:
    """Void the chosen invoice, with a reason; one with payments is corrected by a credit note instead."""
    invoice = await _invoice(session, row, data, w)
    reason = _text(data, "reason")
    if reason is None:
        raise Refused(w._("Write why the invoice is voided."), field="reason")
    if await invoices.payments(session, invoice_id=invoice.id):
        problem = w._("Invoice {number} has payments: correct it with a credit note instead of voiding it.")
        raise Refused(problem.format(number=invoice.number), status=409, field="invoice")
    return await invoices.void_invoice(
        session, code=row.code, number=invoice.number, reason=reason, actor=actor(principal)
    )


def explain_invoice(exc: DomainError, _current: Measurement | None, _month: str, w: Words) -> str | None:
    """What the invoice services refused that the page did not foresee (a race), in the reader's words."""
    if isinstance(exc, ConflictError):
        return w._("The invoice changed meanwhile: check it and try again.")
    if isinstance(exc, NotFoundError):
        return w._("No such invoice of this contract.")
    return None
