"""A measurement as the API, the pages and the documents show it: every amount as exact decimal text."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ops.billing.measurement.models import Measurement, MeasurementEvent
from ops.contracts.models import Contract


def measurement_view(
    row: Measurement, contract: Contract, events: list[MeasurementEvent] | None = None
) -> dict[str, Any]:
    subtotals: dict[str, Decimal] = {}
    for line in row.lines:
        subtotals[line.kind] = subtotals.get(line.kind, Decimal("0.00")) + line.amount
    return {
        "contract": {
            "code": contract.code,
            "client": contract.client.name,
            "object": contract.object,
            "currency": contract.currency,
            "timezone": contract.timezone,
        },
        "currency": contract.currency,
        "month": row.month,
        "period": {"from": row.period_start.isoformat(), "to": row.period_end.isoformat()},
        "version": row.version,
        "state": row.state,
        "total": str(row.total),
        "report_sha256": row.report_sha256,
        "created_at": row.created_at.isoformat(),
        "created_by": row.created_by,
        "submitted_at": row.submitted_at.isoformat() if row.submitted_at else None,
        "decided_at": row.decided_at.isoformat() if row.decided_at else None,
        "decided_by": row.decided_by,
        "subtotals": {kind: str(amount) for kind, amount in subtotals.items()},
        "lines": [
            {
                "position": x.position,
                "kind": x.kind,
                "description": x.description,
                "detail": x.detail,
                "quantity": str(x.quantity),
                "unit": x.unit,
                "unit_price": str(x.unit_price),
                "amount": str(x.amount),
                "sources": list(x.sources),
                "contested_reason": x.contested_reason,
                "contested_by": x.contested_by,
            }
            for x in row.lines
        ],
        "events": [
            {
                "at": e.at.isoformat(),
                "actor": e.actor,
                "action": e.action,
                "from": e.from_state,
                "to": e.to_state,
                "detail": e.detail,
            }
            for e in events or []
        ],
    }
