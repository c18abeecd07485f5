"""A dispute as the API, the pages and the command line show it: amounts, state, deadline and follow-up, what it names
(invoice number, measurement month and line, ticket protocol) and, for one dispute, every step."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ops.billing.disputes.models import Dispute, DisputeEvent
from ops.billing.disputes.services import Alert
from ops.billing.invoices.models import Invoice
from ops.billing.measurement.models import Measurement, MeasurementLine
from ops.queues.models import Ticket


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _iso(value: Any) -> str | None:
    return None if value is None else str(value.isoformat())


async def dispute_views(
    session: AsyncSession, rows: list[Dispute], *, with_steps: bool = False
) -> list[dict[str, Any]]:
    """JSON-safe views of `rows` (amounts as exact text, dates ISO), each with its steps when `with_steps`."""
    invoice_ids = {r.invoice_id for r in rows if r.invoice_id is not None}
    line_ids = {r.measurement_line_id for r in rows if r.measurement_line_id is not None}
    ticket_ids = {r.ticket_id for r in rows if r.ticket_id is not None}
    numbers = select(Invoice.id, Invoice.number).where(Invoice.id.in_(invoice_ids))
    invoices = dict((await session.execute(numbers)).tuples().all())
    placed = (
        select(MeasurementLine.id, Measurement.month, MeasurementLine.position, Measurement.version)
        .join(Measurement, Measurement.id == MeasurementLine.measurement_id)
        .where(MeasurementLine.id.in_(line_ids))
    )
    lines = {i: {"month": m, "position": p, "version": v} for i, m, p, v in (await session.execute(placed)).tuples()}
    protocols = select(Ticket.id, Ticket.protocol).where(Ticket.id.in_(ticket_ids))
    tickets = dict((await session.execute(protocols)).tuples().all())
    # Every row's steps in one query, not one per dispute (the billing pages show them all).
    trail: dict[int, list[DisputeEvent]] = {r.id: [] for r in rows}
    if with_steps and rows:
        events = select(DisputeEvent).where(DisputeEvent.dispute_id.in_(list(trail))).order_by(DisputeEvent.id)
        for event in (await session.execute(events)).scalars():
            trail[event.dispute_id].append(event)
    out = []
    for r in rows:
        view = dispute_view(
            r,
            invoice_number=invoices.get(r.invoice_id) if r.invoice_id is not None else None,
            line=lines.get(r.measurement_line_id) if r.measurement_line_id is not None else None,
            protocol=tickets.get(r.ticket_id) if r.ticket_id is not None else None,
        )
        if with_steps:
            view["steps"] = [step_view(e) for e in trail[r.id]]
        out.append(view)
    return out


def dispute_view(
    row: Dispute, *, invoice_number: int | None, line: dict[str, Any] | None, protocol: str | None
) -> dict[str, Any]:
    return {
        "id": row.id,
        "origin": row.origin,
        "description": row.description,
        "state": row.state,
        "billed": str(row.billed),
        "disputed": str(row.disputed),
        "undisputed": str(row.undisputed),
        "invoice_number": invoice_number,
        "measurement_line": line,
        "ticket": None if row.ticket_id is None else {"id": row.ticket_id, "protocol": protocol},
        "audit_code": row.audit_code,
        "opened_at": _iso(row.opened_at),
        "opened_by": row.opened_by,
        "state_since": _iso(row.state_since),
        "deadline": _iso(row.deadline),
        "follow_up_on": _iso(row.follow_up_on),
        "protocol": row.protocol,
        "recalculation_number": row.recalculation_number,
        "resolution_date": _iso(row.resolution_date),
        "credited_amount": _text(row.credited_amount),
        "credit_reference": row.credit_reference,
        "reason": row.reason,
    }


def step_view(event: DisputeEvent) -> dict[str, Any]:
    return {"at": _iso(event.at), "by": event.by, "from": event.from_state, "to": event.to_state, "data": event.data}


def alert_view(alert: Alert) -> dict[str, Any]:
    return {
        "kind": alert.kind,
        "on": alert.on.isoformat(),
        "message": alert.message,
        "dispute_id": alert.dispute_id,
        "state": alert.state,
        "invoice_number": alert.invoice_number,
        "payable": _text(alert.payable),
    }
