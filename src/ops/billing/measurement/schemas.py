"""Request shapes of the measurement API (answers are the measurement view of views.py)."""

from __future__ import annotations

from decimal import Decimal

import msgspec


class ApprovalIn(msgspec.Struct, forbid_unknown_fields=True):
    """A manager recording an approval received in writing names who gave it; a client approving in the portal
    sends nothing."""

    by: str | None = None


class ContestIn(msgspec.Struct, forbid_unknown_fields=True):
    """The lines contested, by their number, each with the reason: {"lines": {"3": "this shift was not worked"}}."""

    lines: dict[str, str]


class AdjustmentIn(msgspec.Struct, forbid_unknown_fields=True):
    amount: Decimal
    description: str
    invoice: int | None = None
