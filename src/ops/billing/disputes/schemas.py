"""Request shapes of the dispute API (answers are the dispute views of views.py)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from ops import bounds


class DisputeIn(bounds.Bounded, forbid_unknown_fields=True):
    """A dispute to open. `origin`: audit (invoice_number, audit_code), measurement_line (month, line_position),
    ticket (ticket_id of an undue-charge ticket) or manual. `billed` defaults to the line's amount, else the named
    invoice's gross, else the disputed amount."""

    __multiline__ = frozenset({"description"})

    origin: str
    description: str
    disputed: Decimal
    billed: Decimal | None = None
    invoice_number: int | None = None
    month: str | None = None
    line_position: int | None = None
    ticket_id: int | None = None
    audit_code: str | None = None
    follow_up: date | None = None


class AdvanceIn(bounds.Bounded, forbid_unknown_fields=True):
    """The next step of a dispute and what it carries: recalculation_granted needs recalculation_number and
    resolution_date; credited needs credited_amount and credit_reference (credit_note:N or invoice:N); refused
    needs reason; submitted may carry the protocol; any step a note."""

    __multiline__ = frozenset({"note", "reason"})

    to: str
    recalculation_number: str | None = None
    resolution_date: date | None = None
    credited_amount: Decimal | None = None
    credit_reference: str | None = None
    reason: str | None = None
    protocol: str | None = None
    note: str | None = None
    follow_up: date | None = None
