"""The dispute forms of the billing pages: a dispute opened (by the manager by hand, by the client on an invoice) and
a manager's step (submit, grant the recalculation, record the credit, close, refuse), read in the reader's
conventions, checked against the dispute as the page showed it, and a refusal worded in the reader's language."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from ops.auth import Principal
from ops.billing.disputes import services as disputes
from ops.billing.disputes import states
from ops.billing.disputes.models import Dispute
from ops.billing.measurement.models import Measurement
from ops.contracts.models import Contract
from ops.db import utcnow
from ops.errors import ConflictError, DomainError, NotFoundError
from ops.web.billing_forms import Refused, actor, amount_in, day_in, field_of
from ops.web.billing_view import Words
from ops.web.disputes_view import DISPUTE_STATES


def _text(data: dict[str, str], name: str) -> str | None:
    return (data.get(name) or "").strip() or None


def _number(data: dict[str, str], name: str, w: Words, problem: str) -> int:
    text = (data.get(name) or "").strip()
    if not text.isdecimal():
        raise Refused(problem, field=name)
    return int(text)


async def open_by_hand(
    session: AsyncSession, row: Contract, data: dict[str, str], w: Words, principal: Principal, *, on_invoice: bool
) -> Dispute:
    """A dispute opened by hand: what and why, the amount disputed, and the invoice it is on (required of a client,
    optional for the manager)."""
    description = _text(data, "description")
    number = _text(data, "invoice")
    if on_invoice and number is None:
        raise Refused(w._("Choose the invoice you dispute."), field="invoice")
    if number is not None and not number.isdecimal():
        raise Refused(w._("Choose the invoice you dispute."), field="invoice")
    if description is None:
        raise Refused(w._("Say what is disputed and why."), field="description")
    disputed = amount_in(data.get("disputed"), w, "disputed")
    now = utcnow()
    return await disputes.open_dispute(
        session,
        code=row.code,
        origin="manual",
        description=description,
        disputed=disputed,
        billed=None,
        invoice_number=None if number is None else int(number),
        month=None,
        line_position=None,
        ticket_id=None,
        audit_code=None,
        actor=actor(principal),
        today=disputes.local_day(row, now),
        now=now,
        principal=principal,
    )


def _step_data(to: str, data: dict[str, str], w: Words, dispute: Dispute, currency: str) -> dict[str, Any]:
    """What the step to `to` carries, read from the form; a required field left empty is named."""
    step: dict[str, Any] = {"note": _text(data, "note")}
    if to == states.SUBMITTED:
        step["protocol"] = _text(data, "protocol")
    elif to == states.RECALCULATION_GRANTED:
        number = _text(data, "recalculation_number")
        if number is None:
            raise Refused(w._("Give the recalculation number."), field="recalculation_number")
        step["recalculation_number"] = number
        step["resolution_date"] = day_in(data.get("resolution_date"), w, "resolution_date")
    elif to == states.CREDITED:
        amount = amount_in(data.get("credited_amount"), w, "credited_amount")
        if amount > dispute.disputed:
            problem = w._("The credit is above the disputed amount, {amount}.")
            raise Refused(problem.format(amount=w.fmt.money(dispute.disputed, currency)), field="credited_amount")
        reference = _text(data, "credit_reference")
        if reference is None:
            raise Refused(w._("Choose the credit note or invoice the credit came on."), field="credit_reference")
        step["credited_amount"], step["credit_reference"] = amount, reference
    elif to == states.REFUSED:
        reason = _text(data, "reason")
        if reason is None:
            raise Refused(w._("Write why the dispute is refused."), field="reason")
        step["reason"] = reason
    return step


async def advance(
    session: AsyncSession,
    row: Contract,
    data: dict[str, str],
    w: Words,
    principal: Principal,
    *,
    only: tuple[str, str] | None = None,
) -> Dispute:
    """A step on a dispute, from the state the page showed: a dispute moved meanwhile is shown again first (409),
    and a step its state does not allow is refused naming the state. `only` (from, to) is the one step the caller
    may take (the client submits its opened dispute; the provider takes the rest): any other is refused (403). An
    optional follow-up day replaces the default (two days before the new state's deadline)."""
    dispute_id = _number(data, "dispute", w, w._("No such dispute of this contract."))
    dispute = await disputes.get_dispute(session, code=row.code, dispute_id=dispute_id, principal=principal)
    label = w._(DISPUTE_STATES.get(dispute.state, dispute.state))
    if data.get("state", dispute.state) != dispute.state:
        problem = w._("Dispute {id} changed since the page was shown: it is {state} now. Check it and try again.")
        raise Refused(problem.format(id=dispute.id, state=label), status=409)
    to = data.get("to", "")
    if only is not None and (dispute.state, to) != only:
        raise Refused(w._("The provider takes that step, not the client."), status=403, field="to")
    if to not in states.NEXT_STATES.get(dispute.state, ()):
        problem = w._("Dispute {id} is {state}: it cannot take that step.")
        raise Refused(problem.format(id=dispute.id, state=label), status=409, field="to")
    step = _step_data(to, data, w, dispute, row.currency)
    follow_up = day_in(data["follow_up"], w, "follow_up") if _text(data, "follow_up") else None
    return await disputes.advance(
        session,
        code=row.code,
        dispute_id=dispute.id,
        to=to,
        data=step,
        actor=actor(principal),
        now=utcnow(),
        follow_up=follow_up,
        principal=principal,
    )


def explain_dispute(exc: DomainError, _current: Measurement | None, _month: str, w: Words) -> str | None:
    """A dispute action the service refused, in the reader's words (the service's own stays below, in English)."""
    field = field_of(exc)
    if field == "follow_up":
        return w._("The follow-up day is in the past.")
    if field == "credit_reference":
        return w._(
            "That document cannot carry this credit: a credit note must correct the disputed invoice, an invoice must"
            " be a later one, and neither may be void."
        )
    if field == "credited_amount":
        return w._("The credit is above what that credit note credits.")
    if field == "disputed":
        return w._("The disputed amount is above what was billed.")
    if field == "resolution_date":
        return w._("The resolution date is before the dispute reached this step.")
    if isinstance(exc, ConflictError) and "void" in exc.message:
        return w._("The invoice is void: nothing to dispute on it.")
    if isinstance(exc, ConflictError):
        return w._("The dispute changed meanwhile: check it and try again.")
    if isinstance(exc, NotFoundError) and "invoice" in exc.message:
        return w._("No such invoice of this contract.")
    if isinstance(exc, NotFoundError):
        return w._("No such dispute of this contract.")
    return None
