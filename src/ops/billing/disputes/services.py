"""Disputes in the database: opened from an audit difference, a contested measurement line, an undue-charge ticket or
by hand; moved through the state machine (billing.disputes.states) with every step kept; listed, shown, and the
alerts a manager follows. Services never commit."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ops import bounds
from ops.auth import Principal
from ops.billing.disputes import states
from ops.billing.disputes.models import Dispute, DisputeEvent
from ops.billing.disputes.states import CLOSED, DisputeError, DisputeState
from ops.billing.invoices.audit import parse_decimal
from ops.billing.invoices.auditing import AUDIT_CODES
from ops.billing.invoices.models import Invoice
from ops.billing.invoices.services import get_invoice, standing
from ops.billing.measurement.models import MeasurementLine
from ops.billing.measurement.services import latest
from ops.billing.money import cents, to_decimal
from ops.billing.terms import BillingTerms, terms_of
from ops.contracts.document import from_document
from ops.contracts.models import Contract, Reason
from ops.contracts.services import get_contract
from ops.db import utcnow
from ops.errors import ConflictError, InvalidInputError, NotFoundError
from ops.queues.models import Ticket

ORIGINS = ("audit", "measurement_line", "ticket", "manual")
# What each origin needs, and what it may name besides (an invoice may be named by any).
_NEEDS: Mapping[str, tuple[str, ...]] = {
    "audit": ("invoice_number", "audit_code"),
    "measurement_line": ("month", "line_position"),
    "ticket": ("ticket_id",),
    "manual": (),
}
_ORIGIN_FIELDS = ("month", "line_position", "ticket_id", "audit_code")
# Refused disputes leave the invoice payable in full, as invoices.services.is_disputed reads it.
SETTLED = ("closed", "refused")
UNDUE_CHARGE = "undue_charge"
FOLLOW_UP_DAYS_BEFORE = 2  # the default follow-up: two days before the state's deadline, never in the past
_REFERENCE = re.compile(r"^\s*(credit[ _-]?note|nc|cn|invoice|fatura|factura)\s*[:#nº°.-]*\s*(\d+)\s*$", re.IGNORECASE)


def _invalid(problems: list[dict[str, str]]) -> InvalidInputError:
    return InvalidInputError("; ".join(f"{p['field']}: {p['problem']}" for p in problems), extra=problems)


async def _terms(session: AsyncSession, code: str, principal: Principal | None) -> tuple[Contract, BillingTerms]:
    contract = await get_contract(session, code=code, principal=principal)
    return contract, terms_of(from_document(contract.document))


def local_day(contract: Contract, moment: datetime) -> date:
    return moment.astimezone(ZoneInfo(contract.timezone)).date()


def follow_up_date(deadline: date | None, today: date, given: date | None = None) -> date | None:
    """The day to chase the other side: `given`, else two days before the deadline, never before today."""
    if given is not None:
        if given < today:
            raise _invalid([{"field": "follow_up", "problem": f"{given} is in the past (today is {today})"}])
        return given
    if deadline is None:
        return None
    return max(deadline - timedelta(days=FOLLOW_UP_DAYS_BEFORE), today)


# --- opening ------------------------------------------------------------------------------------------------------


async def open_dispute(
    session: AsyncSession,
    *,
    code: str,
    origin: str,
    description: str,
    disputed: Decimal,
    billed: Decimal | None,
    invoice_number: int | None,
    month: str | None,
    line_position: int | None,
    ticket_id: int | None,
    audit_code: str | None,
    actor: str,
    today: date,
    now: datetime | None = None,
    follow_up: date | None = None,
    principal: Principal | None = None,
) -> Dispute:
    """A new dispute in `opened`: disputed and undisputed kept apart (states.split_amounts over `billed`: the line's
    amount for a measurement line, else the invoice's gross when one is named, else the disputed amount itself),
    the state's deadline by the contract's `billing.dispute_deadlines_days`, and its first step."""
    now = now or utcnow()
    contract, terms = await _terms(session, code, principal)
    given = {"month": month, "line_position": line_position, "ticket_id": ticket_id, "audit_code": audit_code}
    problems: list[dict[str, str]] = []
    if origin not in ORIGINS:
        problems.append({"field": "origin", "problem": f"{origin!r} is not one of {', '.join(ORIGINS)}"})
    else:
        named = {**given, "invoice_number": invoice_number}
        problems += [{"field": f, "problem": f"required for a dispute from {origin}"} for f in _NEEDS[origin]
                     if named[f] in (None, "")]  # fmt: skip
        problems += [{"field": f, "problem": f"not taken by a dispute from {origin}"} for f in _ORIGIN_FIELDS
                     if f not in _NEEDS[origin] and given[f] is not None]  # fmt: skip
    if not description.strip():
        problems.append({"field": "description", "problem": "empty: say what is disputed and why"})
    elif (wrong := bounds.text_problem(description, multiline=True)) is not None:
        problems.append({"field": "description", "problem": wrong})
    if audit_code is not None and audit_code not in AUDIT_CODES:
        problems.append({"field": "audit_code", "problem": f"{audit_code!r} is not a code of the invoice audit"})
    for field, value in (("disputed", disputed), ("billed", billed)):
        if value is not None and (not value.is_finite() or value <= 0 or cents(value) != value):
            problems.append({"field": field, "problem": f"{value} is not a positive amount in cents"})
    if problems:
        raise _invalid(problems)

    row = Dispute(contract_id=contract.id, origin=origin, audit_code=audit_code, description=description.strip())
    invoice = None
    if invoice_number is not None:
        invoice = await get_invoice(session, code=code, number=invoice_number, principal=principal)
        if invoice.voided_at is not None:
            raise ConflictError(f"invoice {invoice_number} is void: nothing to dispute on it")
    if origin == "measurement_line":
        assert month is not None and line_position is not None
        line, line_invoice = await _line(session, contract, month, line_position, principal)
        if billed is not None and billed != line.amount:
            raise _invalid([{"field": "billed", "problem": f"line {line_position} of {month} bills {line.amount}"}])
        if invoice is not None and line_invoice is not None and invoice.id != line_invoice.id:
            problem = f"line {line_position} of {month} was invoiced on invoice {line_invoice.number}"
            raise _invalid([{"field": "invoice_number", "problem": problem}])
        invoice = invoice or line_invoice
        billed, row.measurement_line_id = line.amount, line.id
    elif origin == "ticket":
        assert ticket_id is not None
        ticket = await _undue_charge_ticket(session, contract, ticket_id)
        row.ticket_id, row.description = ticket.id, f"protocol {ticket.protocol}: {row.description}"
    if billed is None:
        billed = invoice.gross if invoice is not None else disputed
    row.invoice_id = None if invoice is None else invoice.id
    await _refuse_twice(session, row)
    try:
        state, entry = states.open_dispute(billed, disputed, at=now, by=actor)
    except ValueError as error:  # DisputeError included: a disputed amount above what was billed
        raise _invalid([{"field": "disputed", "problem": str(error)}]) from None
    deadline = states.deadline(state.state, today, terms.dispute_deadlines_days)
    row.state, row.billed, row.disputed, row.undisputed = state.state, billed, state.disputed, state.undisputed
    row.opened_at, row.opened_by, row.state_since = now, actor, today
    row.deadline, row.follow_up_on = deadline, follow_up_date(deadline, today, follow_up)
    try:
        async with session.begin_nested():
            session.add(row)
    except IntegrityError:
        await _refuse_twice(session, row)  # the racer is committed and visible now
        raise
    data = {**entry.data, "origin": origin, "billed": str(billed), **_dates(row)}
    session.add(DisputeEvent(dispute_id=row.id, at=now, by=actor, from_state=None, to_state=state.state, data=data))
    await session.flush()
    return row


async def _line(
    session: AsyncSession, contract: Contract, month: str, position: int, principal: Principal | None
) -> tuple[MeasurementLine, Invoice | None]:
    """The line at `position` of the month's latest measurement (of those the `principal` may see), and the invoice
    it was billed on (if any)."""
    measurement = await latest(session, contract_id=contract.id, month=month, principal=principal)
    if measurement is None:
        raise NotFoundError(f"no measurement of {contract.code} for {month}")
    if measurement.state == "draft":  # the provider's working copy: nothing on it is billed or shown to the client
        raise ConflictError(f"the measurement of {contract.code} for {month} is a draft: nothing on it is billed yet")
    line = next((x for x in measurement.lines if x.position == position), None)
    if line is None:
        problem = f"no line {position} in version {measurement.version} of {month} ({len(measurement.lines)} lines)"
        raise _invalid([{"field": "line_position", "problem": problem}])
    if line.amount <= 0:
        problem = f"line {position} of {month} bills {line.amount}: a credit, nothing charged to dispute"
        raise _invalid([{"field": "line_position", "problem": problem}])
    invoice = (
        await session.execute(
            select(Invoice).where(Invoice.measurement_id == measurement.id, Invoice.kind == "invoice")
        )
    ).scalar_one_or_none()
    return line, invoice


async def _undue_charge_ticket(session: AsyncSession, contract: Contract, ticket_id: int) -> Ticket:
    ticket = await session.get(Ticket, ticket_id)
    if ticket is None or ticket.contract_id != contract.id:
        raise NotFoundError(f"no ticket {ticket_id} of {contract.code}")
    reason = None if ticket.reason_id is None else await session.get(Reason, ticket.reason_id)
    if reason is None or reason.code != UNDUE_CHARGE:
        problem = f"ticket {ticket_id} ({ticket.protocol}) is not an undue-charge ticket"
        raise _invalid([{"field": "ticket_id", "problem": problem + f" (reason {reason.code if reason else 'none'})"}])
    return ticket


def _subject(row: Dispute) -> tuple[str, str] | None:
    """The open key of a dispute's subject and how to name it: one open dispute per contested line, ticket, or
    audit difference of an invoice; a manual dispute has no such subject."""
    if row.measurement_line_id is not None:
        return f"line:{row.measurement_line_id}", "this measurement line"
    if row.ticket_id is not None:
        return f"ticket:{row.ticket_id}", "this ticket"
    if row.audit_code is not None:
        return f"audit:{row.invoice_id}:{row.audit_code}", f"{row.audit_code} on this invoice"
    return None


async def _refuse_twice(session: AsyncSession, row: Dispute) -> None:
    """A 409 naming the open dispute of the same subject. The unique open key settles a race between two
    openings that both passed this check: the second one's insert fails, and `open_dispute` says the same."""
    subject = _subject(row)
    if subject is None:
        return
    row.open_key, what = subject
    found = (await session.execute(select(Dispute.id).where(Dispute.open_key == row.open_key))).scalar_one_or_none()
    if found is not None:
        raise ConflictError(f"dispute {found} is already open for {what}: advance it instead of opening another")


def _dates(row: Dispute) -> dict[str, str | None]:
    return {
        "deadline": None if row.deadline is None else row.deadline.isoformat(),
        "follow_up_on": None if row.follow_up_on is None else row.follow_up_on.isoformat(),
    }


# --- the steps ----------------------------------------------------------------------------------------------------


async def advance(
    session: AsyncSession,
    *,
    code: str,
    dispute_id: int,
    to: str,
    data: Mapping[str, Any],
    actor: str,
    now: datetime,
    follow_up: date | None = None,
    principal: Principal | None = None,
) -> Dispute:
    """Move a dispute to `to` through states.transition: an illegal move is a 409 naming the allowed next states,
    a missing or wrong field a 422 naming it (nothing changed); each step is written as a DisputeEvent."""
    contract, terms = await _terms(session, code, principal)
    row = await get_dispute(session, code=code, dispute_id=dispute_id, principal=principal)
    if to not in states.NEXT_STATES:
        raise _invalid([{"field": "to", "problem": f"{to!r} is not a state ({', '.join(states.NEXT_STATES)})"}])
    allowed = states.NEXT_STATES[row.state]
    if to not in allowed:
        options = ", ".join(allowed) if allowed else f"none ({row.state} is final)"
        raise ConflictError(
            f"dispute {row.id} is {row.state}: it cannot go to {to}; allowed next: {options}",
            extra=[{"field": "to", "problem": f"allowed next: {options}"}],
        )
    given = {key: value for key, value in data.items() if value is not None}
    known = (*states.REQUIRED.get(to, ()), *states.OPTIONAL.get(to, ()), "note")
    unknown = sorted(set(given) - set(known))
    if unknown:
        raise _invalid([{"field": name, "problem": f"not taken by a step to {to} (it takes {', '.join(known)})"}
                        for name in unknown])  # fmt: skip
    missing = [name for name in states.REQUIRED.get(to, ()) if given.get(name) in (None, "")]
    if missing:
        raise _invalid([{"field": name, "problem": f"required to go to {to}"} for name in missing])
    if isinstance(given.get("resolution_date"), str):
        given["resolution_date"] = _day(given["resolution_date"], "resolution_date")
    if "credited_amount" in given and not isinstance(given["credited_amount"], float):
        given["credited_amount"] = _amount(given["credited_amount"])
    if to == states.CREDITED:
        given["credit_reference"] = await _credit_reference(session, contract, row, given)
    try:
        state, entry = states.transition(_state(row, await _entered_at(session, row)), to, at=now, by=actor, data=given)
    except DisputeError as error:
        text = str(error)
        field = next((name for name in known if name in text), "data")
        raise _invalid([{"field": field, "problem": text}]) from None
    today = local_day(contract, now)
    deadline = states.deadline(to, today, terms.dispute_deadlines_days)
    values = {
        "state": to,
        "state_since": today,
        "deadline": deadline,
        "follow_up_on": follow_up_date(deadline, today, follow_up),
        "protocol": state.protocol,
        "recalculation_number": state.recalculation_number,
        "resolution_date": state.resolution_date,
        "credited_amount": state.credited_amount,
        "credit_reference": state.credit_reference,
        "reason": state.reason,
        "open_key": None if to in SETTLED else row.open_key,
    }
    # Only from the state read: a step taken meanwhile by someone else makes this one fail, not both succeed.
    before = row.state
    moved = await session.execute(update(Dispute).where(Dispute.id == row.id, Dispute.state == before).values(**values))
    if getattr(moved, "rowcount", 1) != 1:
        raise ConflictError(f"dispute {row.id} changed while this step was taken: read it again")
    await session.refresh(row)
    data_out = {**entry.data, **_dates(row)}
    session.add(DisputeEvent(dispute_id=row.id, at=now, by=actor, from_state=before, to_state=to, data=data_out))
    await session.flush()
    return row


def _state(row: Dispute, entered_at: datetime | None) -> DisputeState:
    return DisputeState(
        row.state,
        row.disputed,
        row.undisputed,
        entered_at=entered_at,
        protocol=row.protocol,
        recalculation_number=row.recalculation_number,
        resolution_date=row.resolution_date,
        credited_amount=row.credited_amount,
        credit_reference=row.credit_reference,
        reason=row.reason,
    )


async def _entered_at(session: AsyncSession, row: Dispute) -> datetime | None:
    query = select(DisputeEvent.at).where(DisputeEvent.dispute_id == row.id).order_by(DisputeEvent.id.desc())
    return (await session.execute(query.limit(1))).scalar_one_or_none()


def _day(text: str, field: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise _invalid([{"field": field, "problem": f"{text!r} is not a date YYYY-MM-DD"}]) from None


def _amount(value: object) -> Decimal:
    if isinstance(value, str):
        try:
            return parse_decimal(value)
        except ValueError as error:
            raise _invalid([{"field": "credited_amount", "problem": str(error)}]) from None
    try:
        return to_decimal(value, "credited_amount")
    except ValueError as error:
        raise _invalid([{"field": "credited_amount", "problem": str(error)}]) from None


async def _credit_reference(session: AsyncSession, contract: Contract, row: Dispute, given: dict[str, Any]) -> str:
    """The credit's document, checked to exist: `credit_note:N` (a credit note of the contract, correcting the
    disputed invoice when the dispute names one) or `invoice:N` (a later invoice of the contract carrying it)."""
    text = str(given.get("credit_reference", ""))
    match = _REFERENCE.match(text)
    if match is None:
        problem = f"{text!r} names no document: give credit_note:N (a credit note) or invoice:N (a later invoice)"
        raise _invalid([{"field": "credit_reference", "problem": problem}])
    kind = "invoice" if match[1].lower() in ("invoice", "fatura", "factura") else "credit_note"
    number = int(match[2])
    try:
        document = await get_invoice(session, code=contract.code, number=number, principal=None, kind=kind)
    except NotFoundError:
        problem = f"no {kind.replace('_', ' ')} {number} of {contract.code}"
        raise _invalid([{"field": "credit_reference", "problem": problem}]) from None
    problems = []
    if document.voided_at is not None:
        problems.append(f"{kind.replace('_', ' ')} {number} is void")
    if kind == "credit_note" and row.invoice_id is not None and document.corrects_invoice_id != row.invoice_id:
        problems.append(f"credit note {number} corrects another invoice than the disputed one")
    if kind == "invoice" and document.id == row.invoice_id:
        problems.append(f"invoice {number} is the disputed invoice itself")
    if problems:
        raise _invalid([{"field": "credit_reference", "problem": "; ".join(problems)}])
    amount = given.get("credited_amount")
    if kind == "credit_note" and isinstance(amount, Decimal) and amount > document.gross:
        problem = f"{amount} is above credit note {number}'s {document.gross}"
        raise _invalid([{"field": "credited_amount", "problem": problem}])
    return f"{kind}:{number}"


# --- reading ------------------------------------------------------------------------------------------------------


async def get_dispute(session: AsyncSession, *, code: str, dispute_id: int, principal: Principal | None) -> Dispute:
    contract = await get_contract(session, code=code, principal=principal)
    row = await session.get(Dispute, dispute_id)
    if row is None or row.contract_id != contract.id:
        raise NotFoundError(f"no dispute {dispute_id} of {code}")
    return row


async def list_disputes(
    session: AsyncSession, *, code: str, principal: Principal | None, open_only: bool = False
) -> list[Dispute]:
    """The contract's disputes, newest first; `open_only` leaves out the closed and refused ones."""
    contract = await get_contract(session, code=code, principal=principal)
    query = select(Dispute).where(Dispute.contract_id == contract.id)
    if open_only:
        query = query.where(Dispute.state.not_in(SETTLED))
    return list((await session.execute(query.order_by(Dispute.id.desc()))).scalars())


async def steps(session: AsyncSession, *, dispute_id: int) -> list[DisputeEvent]:
    query = select(DisputeEvent).where(DisputeEvent.dispute_id == dispute_id).order_by(DisputeEvent.id)
    return list((await session.execute(query)).scalars())


# --- alerts -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Alert:
    kind: str  # deadline_passed | follow_up | invoice_due
    on: date  # the date that raised it: the deadline, the follow-up day or the invoice's due date
    message: str
    dispute_id: int | None = None
    state: str | None = None
    invoice_number: int | None = None
    payable: Decimal | None = None  # invoice_due: the balance less what is disputed, payable on the due date


async def alerts(session: AsyncSession, *, code: str, principal: Principal | None, today: date) -> list[Alert]:
    """What to chase on `today`: disputes past their deadline, disputes whose follow-up day has come, and invoices
    with an open dispute whose due date is within the contract's `due_alert_days` (the undisputed part is owed on
    it). Oldest date first."""
    _, terms = await _terms(session, code, principal)
    rows = await list_disputes(session, code=code, principal=principal)
    found: list[Alert] = []
    for row in rows:
        if row.state == CLOSED:
            continue
        if row.deadline is not None and row.deadline < today:
            text = f"dispute {row.id} ({row.state}) passed its deadline of {row.deadline}"
            found.append(Alert("deadline_passed", row.deadline, text, row.id, row.state))
        elif row.follow_up_on is not None and row.follow_up_on <= today:
            text = f"dispute {row.id} ({row.state}): follow it up, the deadline is {row.deadline}"
            found.append(Alert("follow_up", row.follow_up_on, text, row.id, row.state))
    disputed: dict[int, Decimal] = {}
    for row in rows:
        if row.invoice_id is not None and row.state not in SETTLED:
            disputed[row.invoice_id] = disputed.get(row.invoice_id, Decimal("0.00")) + row.disputed
    for invoice_id, amount in sorted(disputed.items()):
        invoice = await session.get(Invoice, invoice_id)
        if invoice is None or invoice.voided_at is not None:
            continue
        where = await standing(session, invoice, today=today, disputed=True)
        if where.balance <= 0 or not states.due_date_alert(invoice.due_on, today, terms.due_alert_days):
            continue
        payable = max(where.balance - amount, Decimal("0.00"))
        text = f"invoice {invoice.number} falls due on {invoice.due_on}, {amount} disputed: pay the rest, {payable}"
        found.append(Alert("invoice_due", invoice.due_on, text, invoice_number=invoice.number, payable=payable))
    return sorted(found, key=lambda a: (a.on, a.dispute_id or 0))
