"""Billing rows for the tests: a measurement in a given state with priced lines, as the measurement service leaves
it, so invoices can be tested without drafting from delivered work."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from ops.billing.measurement.lines import line
from ops.billing.measurement.models import Measurement, MeasurementLine
from ops.contracts.models import Contract

LINES = (
    ("positions", "Customer care: 15 positions", Decimal("15"), "position-month", Decimal("9800.00")),
    ("reinforcement", "Reinforcement shift 1", Decimal("8"), "agent-hour", Decimal("62.00")),
    ("sla_credit", "SLA service credits", Decimal("1"), "credit", Decimal("-3645.00")),
)


async def measurement(
    session: Any, *, contract: str = "reference", month: str = "2026-10", state: str = "approved", lines: Any = LINES
) -> Measurement:
    contract_row = (await session.execute(select(Contract).where(Contract.code == contract))).scalar_one()
    year, mon = (int(x) for x in month.split("-"))
    after = date(year + mon // 12, mon % 12 + 1, 1)
    priced = [
        line(kind, text, qty, unit, price, (f"test:{i}",)) for i, (kind, text, qty, unit, price) in enumerate(lines, 1)
    ]
    row = Measurement(
        contract_id=contract_row.id,
        month=month,
        period_start=date(year, mon, 1),
        period_end=date.fromordinal(after.toordinal() - 1),
        version=1,
        state=state,
        total=sum((x.amount for x in priced), Decimal("0.00")),
        currency=contract_row.currency,
        created_by="test",
        lines=[
            MeasurementLine(
                position=i,
                kind=x.kind,
                description=x.description,
                quantity=x.quantity,
                unit=x.unit,
                unit_price=x.unit_price,
                amount=x.amount,
                sources=list(x.sources),
                detail={},
            )
            for i, x in enumerate(priced, 1)
        ],
    )
    session.add(row)
    await session.flush()
    return row
