"""Request shapes of the measurement API (answers are the measurement view of views.py)."""

from __future__ import annotations

from decimal import Decimal

from ops import bounds


class ApprovalIn(bounds.Bounded, forbid_unknown_fields=True):
    """A manager recording an approval received in writing names who gave it; a client approving in the portal
    sends nothing."""

    by: str | None = None


class ContestIn(bounds.Bounded, forbid_unknown_fields=True):
    """The lines contested, by their number, each with the reason: {"lines": {"3": "this shift was not worked"}}."""

    lines: dict[str, str]


class AdjustmentIn(bounds.Bounded, forbid_unknown_fields=True):
    __multiline__ = frozenset({"description"})

    amount: Decimal
    description: str
    invoice: int | None = None
