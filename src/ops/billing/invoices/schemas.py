"""Request shapes of the invoice API (answers are the invoice view of views.py)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import msgspec


class IssueIn(msgspec.Struct, forbid_unknown_fields=True):
    month: str


class CreditNoteIn(msgspec.Struct, forbid_unknown_fields=True):
    amount: Decimal
    reason: str


class VoidIn(msgspec.Struct, forbid_unknown_fields=True):
    reason: str


class PaymentIn(msgspec.Struct, forbid_unknown_fields=True):
    paid_on: date
    amount: Decimal
    note: str | None = None


class NfseIn(msgspec.Struct, forbid_unknown_fields=True):
    number: str
    verification_code: str
    value: Decimal
    link: str | None = None
