"""Request shapes of the invoice API (answers are the invoice view of views.py)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from ops import bounds


class IssueIn(bounds.Bounded, forbid_unknown_fields=True):
    month: str


class CreditNoteIn(bounds.Bounded, forbid_unknown_fields=True):
    __multiline__ = frozenset({"reason"})

    amount: Decimal
    reason: str


class VoidIn(bounds.Bounded, forbid_unknown_fields=True):
    __multiline__ = frozenset({"reason"})

    reason: str


class PaymentIn(bounds.Bounded, forbid_unknown_fields=True):
    __multiline__ = frozenset({"note"})

    paid_on: date
    amount: Decimal
    note: str | None = None


class NfseIn(bounds.Bounded, forbid_unknown_fields=True):
    number: str
    verification_code: str
    value: Decimal
    link: str | None = None
