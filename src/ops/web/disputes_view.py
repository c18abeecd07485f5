"""What the billing pages show of a contract's disputes, in the reader's language: open ones first, each with its
state, amounts in Babel's money, deadline and follow-up, what it came from and what each step recorded; the next
steps a manager may take; the alerts to chase (a disputed invoice falling due among them)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from ops.auth import Principal
from ops.billing.disputes import services as disputes
from ops.billing.disputes import states
from ops.billing.disputes.models import Dispute
from ops.billing.disputes.views import dispute_views
from ops.billing.invoices.models import Invoice
from ops.l10n import NC_
from ops.web.billing_view import N_, Words

# A dispute's state in words ("closed" and "opened" are masculine for a ticket, feminine for a dispute).
DISPUTE_STATES = {
    states.OPENED: NC_("dispute state", "opened"),
    states.SUBMITTED: NC_("dispute state", "submitted"),
    states.RECALCULATION_GRANTED: NC_("dispute state", "recalculation granted"),
    states.CREDITED: NC_("dispute state", "credited"),
    states.CLOSED: NC_("dispute state", "closed"),
    states.REFUSED: NC_("dispute state", "refused"),
}
# The manager's buttons for each next state.
STEPS = {
    states.SUBMITTED: N_("Submit"),
    states.RECALCULATION_GRANTED: N_("Grant the recalculation"),
    states.CREDITED: N_("Record the credit"),
    states.CLOSED: N_("Close"),
    states.REFUSED: N_("Refuse"),
}


def _origin(view: dict[str, Any], w: Words, opened_by: str = "") -> str:
    """What the dispute came from, in words: a measurement line, an undue-charge ticket, an audit difference of an
    invoice, or by hand (on an invoice or not; the client's own from its portal)."""
    _, fmt = w._, w.fmt
    line, ticket, invoice = view["measurement_line"], view["ticket"], view["invoice_number"]
    if line is not None:
        month = fmt.month_named(line["month"])
        return _("Line {line} of the measurement of {month}").format(line=line["position"], month=month)
    if ticket is not None:
        return _("Undue-charge ticket {protocol}").format(protocol=ticket["protocol"])
    if view["audit_code"] is not None:
        return _("Audit of invoice {number}: {code}").format(number=invoice, code=view["audit_code"])
    if invoice is not None and opened_by.startswith("client:"):
        return _("Opened by the client on invoice {number}").format(number=invoice)
    if invoice is not None:
        return _("Opened by hand on invoice {number}").format(number=invoice)
    return _("Opened by hand")


async def disputes_shown(
    session: AsyncSession,
    *,
    code: str,
    principal: Principal | None,
    currency: str,
    zone: str,
    today: date,
    w: Words,
    documents: list[Invoice] | None = None,
) -> list[dict[str, Any]]:
    """The contract's disputes, open ones first (nearest deadline first), then the settled ones newest first. With
    the contract's issued `documents`, each dispute offers the ones its credit may have come on."""
    rows = await disputes.list_disputes(session, code=code, principal=principal)
    views = await dispute_views(session, rows, with_steps=True)
    money = w.fmt.money
    out = []
    for row, view in zip(rows, views, strict=True):
        out.append(
            {
                "id": row.id,
                "state": row.state,
                "state_label": w._(DISPUTE_STATES.get(row.state, row.state)),
                "open": row.state not in disputes.SETTLED,
                "origin": _origin(view, w, row.opened_by),
                "description": row.description,
                "billed": money(row.billed, currency),
                "disputed": money(row.disputed, currency),
                "disputed_input": w.fmt.number(row.disputed, 2),
                "undisputed": money(row.undisputed, currency),
                "opened": w.fmt.datetime(row.opened_at, zone, "short"),
                "opened_by": row.opened_by,
                "deadline": w.fmt.date(row.deadline),
                "late": row.deadline is not None and row.deadline < today,
                "follow_up": w.fmt.date(row.follow_up_on),
                "protocol": row.protocol,
                "recalculation_number": row.recalculation_number,
                "resolution_date": w.fmt.date(row.resolution_date),
                "credited": None if row.credited_amount is None else money(row.credited_amount, currency),
                "credit_reference": _reference(row.credit_reference, w),
                "reason": row.reason,
                "next": [(to, w._(STEPS[to])) for to in states.NEXT_STATES.get(row.state, ())],
                "documents": credit_documents(row, documents or [], w),
                # Every step kept: when (the contract's time), who, and the state it went to.
                "steps": [
                    (
                        w.fmt.datetime(datetime.fromisoformat(step["at"]), zone, "short"),
                        step["by"],
                        w._(DISPUTE_STATES.get(step["to"], step["to"])),
                    )
                    for step in view["steps"]
                ],
            }
        )
    deadlines: dict[Any, date] = {r.id: r.deadline or date.max for r in rows}
    opened = sorted((d for d in out if d["open"]), key=lambda d: deadlines[d["id"]])
    return opened + [d for d in out if not d["open"]]


def _reference(text: str | None, w: Words) -> str | None:
    """credit_note:3 / invoice:12 as the reader says it."""
    if text is None:
        return None
    kind, _, number = text.partition(":")
    label = w._("Credit note") if kind == "credit_note" else w._("Invoice")
    return f"{label} {number}"


def credit_documents(dispute: Dispute, rows: list[Invoice], w: Words) -> list[tuple[str, str]]:
    """The documents the dispute's credit may have come on, as the credit form offers them: the credit notes that
    correct the disputed invoice (any credit note when it names none) and the contract's other invoices; none void."""
    shown = []
    for row in rows:
        if row.voided_at is not None or row.id == dispute.invoice_id:
            continue
        if row.kind == "credit_note" and dispute.invoice_id not in (None, row.corrects_invoice_id):
            continue
        label = w._("Credit note") if row.kind == "credit_note" else w._("Invoice")
        shown.append((f"{row.kind}:{row.number}", f"{label} {row.number}"))
    return shown


async def alerts_shown(
    session: AsyncSession,
    *,
    code: str,
    currency: str,
    today: date,
    w: Words,
    principal: Principal | None = None,
    kinds: tuple[str, ...] = ("invoice_due", "deadline_passed", "follow_up"),
) -> list[dict[str, Any]]:
    """What to chase today, worded: a disputed invoice whose due date is near (the contract's `due_alert_days`)
    with what is payable on it, a dispute past its deadline, one whose follow-up day has come; `kinds` picks
    among them (the client is shown its invoices falling due: the undisputed part is owed on the due date)."""
    _, fmt = w._, w.fmt
    out = []
    for alert in await disputes.alerts(session, code=code, principal=principal, today=today):
        if alert.kind not in kinds:
            continue
        state = _(DISPUTE_STATES.get(alert.state or "", alert.state or ""))
        if alert.kind == "invoice_due":
            said = (
                _("Invoice {number} fell due on {day} with a dispute open: {payable} was payable on it.")
                if alert.on < today
                else _("Invoice {number} falls due on {day} with a dispute open: {payable} is payable on it.")
            )
            text = said.format(
                number=alert.invoice_number, day=fmt.date(alert.on), payable=fmt.money(alert.payable, currency)
            )
        elif alert.kind == "deadline_passed":
            text = _("Dispute {id} ({state}) passed its deadline of {day}.").format(
                id=alert.dispute_id, state=state, day=fmt.date(alert.on)
            )
        else:
            text = _("Dispute {id} ({state}): follow it up today.").format(id=alert.dispute_id, state=state)
        out.append({"kind": alert.kind, "text": text, "dispute_id": alert.dispute_id, "invoice": alert.invoice_number})
    return out
