"""What the billing pages show of a contract's disputes, in the reader's language: open ones first, each with its
state, amounts in Babel's money, deadline and follow-up, what it came from and what each step recorded; the next
steps a manager may take; the alerts to chase (a disputed invoice falling due among them)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from ops.auth import Principal
from ops.billing.disputes import services as disputes
from ops.billing.disputes import states
from ops.billing.disputes.views import dispute_views
from ops.billing.invoices.models import Invoice
from ops.web.billing_view import N_, Words

DISPUTE_STATES = {
    states.OPENED: N_("opened"),
    states.SUBMITTED: N_("submitted"),
    states.RECALCULATION_GRANTED: N_("recalculation granted"),
    states.CREDITED: N_("credited"),
    states.CLOSED: N_("closed"),
    states.REFUSED: N_("refused"),
}
# The manager's buttons for each next state.
STEPS = {
    states.SUBMITTED: N_("Submit"),
    states.RECALCULATION_GRANTED: N_("Grant the recalculation"),
    states.CREDITED: N_("Record the credit"),
    states.CLOSED: N_("Close"),
    states.REFUSED: N_("Refuse"),
}


def _origin(view: dict[str, Any], w: Words) -> str:
    """What the dispute came from, in words: a measurement line, an undue-charge ticket, an audit difference of an
    invoice, or by hand (on an invoice or not)."""
    _, fmt = w._, w.fmt
    line, ticket, invoice = view["measurement_line"], view["ticket"], view["invoice_number"]
    if line is not None:
        month = fmt.month(date.fromisoformat(f"{line['month']}-01"))
        return _("Line {line} of the measurement of {month}").format(line=line["position"], month=month)
    if ticket is not None:
        return _("Undue-charge ticket {protocol}").format(protocol=ticket["protocol"])
    if view["audit_code"] is not None:
        return _("Audit of invoice {number}: {code}").format(number=invoice, code=view["audit_code"])
    if invoice is not None:
        return _("Opened by hand on invoice {number}").format(number=invoice)
    return _("Opened by hand")


def _day(text: str | None, w: Words) -> str:
    return "" if text is None else w.fmt.date(date.fromisoformat(text))


async def disputes_shown(
    session: AsyncSession,
    *,
    code: str,
    principal: Principal | None,
    currency: str,
    zone: str,
    today: date,
    w: Words,
) -> list[dict[str, Any]]:
    """The contract's disputes, open ones first (oldest deadline first), then the settled ones newest first."""
    rows = await disputes.list_disputes(session, code=code, principal=principal)
    out = []
    for view in await dispute_views(session, rows, with_steps=True):
        state = view["state"]
        deadline = view["deadline"]
        credited = view["credited_amount"]
        out.append(
            {
                "id": view["id"],
                "state": state,
                "state_label": w._(DISPUTE_STATES.get(state, state)),
                "open": state not in disputes.SETTLED,
                "origin": _origin(view, w),
                "description": view["description"],
                "invoice_number": view["invoice_number"],
                "billed": w.fmt.money(_decimal(view["billed"]), currency),
                "disputed": w.fmt.money(_decimal(view["disputed"]), currency),
                "disputed_input": w.fmt.number(_decimal(view["disputed"]), 2),
                "undisputed": w.fmt.money(_decimal(view["undisputed"]), currency),
                "opened": w.fmt.datetime(datetime.fromisoformat(view["opened_at"]), zone, "short"),
                "opened_by": view["opened_by"],
                "deadline": _day(deadline, w),
                "late": deadline is not None and date.fromisoformat(deadline) < today,
                "follow_up": _day(view["follow_up_on"], w),
                "protocol": view["protocol"],
                "recalculation_number": view["recalculation_number"],
                "resolution_date": _day(view["resolution_date"], w),
                "credited": None if credited is None else w.fmt.money(_decimal(credited), currency),
                "credit_reference": _reference(view["credit_reference"], w),
                "reason": view["reason"],
                "next": [(to, w._(STEPS[to])) for to in states.NEXT_STATES.get(state, ())],
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
    deadlines = {r.id: r.deadline or date.max for r in rows}
    opened = sorted((d for d in out if d["open"]), key=lambda d: deadlines[d["id"]])
    return opened + [d for d in out if not d["open"]]


def _decimal(text: str) -> Decimal:
    return Decimal(text)


def _reference(text: str | None, w: Words) -> str | None:
    """credit_note:3 / invoice:12 as the reader says it."""
    if text is None:
        return None
    kind, _, number = text.partition(":")
    label = w._("Credit note") if kind == "credit_note" else w._("Invoice")
    return f"{label} {number}"


def credit_documents(rows: list[Invoice], w: Words) -> list[tuple[str, str]]:
    """The documents a credit may have come on, as the credit form offers them: the contract's credit notes and
    invoices that are not void, newest first (the service checks each against the disputed invoice)."""
    return [
        (
            f"{row.kind}:{row.number}",
            f"{w._('Credit note') if row.kind == 'credit_note' else w._('Invoice')} {row.number}",
        )
        for row in rows
        if row.voided_at is None
    ]


async def alerts_shown(
    session: AsyncSession, *, code: str, currency: str, today: date, w: Words
) -> list[dict[str, Any]]:
    """What the manager chases today, worded: a disputed invoice whose due date is near (the contract's
    `due_alert_days`) with what is payable on it, a dispute past its deadline, one whose follow-up day has come."""
    _, fmt = w._, w.fmt
    out = []
    for alert in await disputes.alerts(session, code=code, principal=None, today=today):
        state = _(DISPUTE_STATES.get(alert.state or "", alert.state or ""))
        if alert.kind == "invoice_due":
            text = _("Invoice {number} falls due on {day} with a dispute open: {payable} is payable on it.").format(
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
