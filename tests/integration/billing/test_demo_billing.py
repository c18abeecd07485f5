"""The demo's money on the reference contract: three months measured and invoiced, the oldest paid, and one open
dispute on last month's reinforcement line (submitted, four agent-hours disputed, the rest of the invoice payable)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from ops.billing.disputes import services as disputes
from ops.billing.invoices import services as invoices
from ops.contracts.services import get_contract
from ops.db import utcnow
from ops.demo.billing import seed_billing
from tests.helpers import load_reference


async def test_the_demo_bills_three_months_and_leaves_one_open_dispute(db: Any, tmp_path: Path) -> None:
    await load_reference(db)
    now = utcnow()
    async with db.begin() as session:
        contract = await get_contract(session, code="reference", principal=None)
        done = await seed_billing(session, contract=contract, now=now, files=tmp_path)
    assert len(done) == 4 and "paid" in done[0] and "submitted" in done[3]
    async with db() as session:
        rows = await invoices.list_invoices(session, code="reference", principal=None)
        assert len(rows) == 3
        today = disputes.local_day(contract, now)
        newest, _, oldest = rows
        assert (await invoices.standing(session, oldest, today=today)).state == "paid"
        open_ones = await disputes.list_disputes(session, code="reference", principal=None, open_only=True)
        assert len(open_ones) == 1
        dispute = open_ones[0]
        assert (dispute.state, dispute.origin, dispute.disputed) == ("submitted", "measurement_line", Decimal("248.00"))
        assert dispute.invoice_id == newest.id and dispute.undisputed == dispute.billed - Decimal("248.00")
        assert await invoices.is_disputed(session, invoice_id=newest.id)
    async with db.begin() as session:  # run again: a contract with invoices is left as it is
        assert await seed_billing(session, contract=contract, now=now, files=tmp_path) == []
