"""An invoice falls due by the client's calendar: at 22:00 in São Paulo it is still that day there."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from ops.billing.invoices import services
from ops.billing.invoices.models import Invoice
from ops.contracts.services import get_contract
from tests.helpers import load_reference


async def test_today_is_the_contracts_day(db: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    await load_reference(db)
    async with db() as session:
        contract = await get_contract(session, code="reference", principal=None)
        invoice = Invoice(contract_id=contract.id)
        # 01:00 UTC on 1 December is 22:00 on 30 November in São Paulo (UTC-3).
        monkeypatch.setattr(services, "utcnow", lambda: datetime(2026, 12, 1, 1, 0, tzinfo=UTC))
        assert await services.contract_today(session, invoice) == date(2026, 11, 30)
        monkeypatch.setattr(services, "utcnow", lambda: datetime(2026, 12, 1, 3, 30, tzinfo=UTC))
        assert await services.contract_today(session, invoice) == date(2026, 12, 1)
