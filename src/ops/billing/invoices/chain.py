"""Issued documents (invoices, credit notes) as a hash chain that exposes any edit, and the credit-note ceiling."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from ops.billing.money import cents

GENESIS = "0" * 64  # the "previous hash" of the first document of a chain
_HASH = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class ChainCheck:
    ok: bool
    first_broken: int | None  # index of the first document whose stored hash does not match
    reason: str


class CreditAboveInvoice(ValueError):
    """A credit note that would take the credits of an invoice above its total."""

    def __init__(self, message: str, remaining: Decimal) -> None:
        super().__init__(message)
        self.remaining = remaining


def canonical(document: Mapping[str, Any]) -> bytes:
    """The document as stable JSON bytes: sorted keys, no whitespace, UTF-8.

    Decimals are written as bare JSON numbers by value (10.5 and 10.50 hash alike, so a row read back
    from a NUMERIC(12,2) column verifies); dates are ISO; an aware datetime is written in UTC so the
    zone it comes back in does not matter. A float, a set or any other type raises TypeError naming
    where it is: a float has already lost the exact amount, and a set has no order."""
    return _encode(document, "document").encode("utf-8")


def document_hash(previous_hash: str | None, document: Mapping[str, Any]) -> str:
    """sha256 hex of the previous document's hash (64 zeros for the first) followed by the canonical bytes."""
    previous = GENESIS if previous_hash is None else previous_hash
    if not _HASH.fullmatch(previous):
        raise ValueError(f"previous hash {previous!r} is not 64 lowercase hex digits")
    return hashlib.sha256(previous.encode("ascii") + canonical(document)).hexdigest()


def verify_chain(documents: Sequence[tuple[str, Mapping[str, Any]]], *, head: str | None = None) -> ChainCheck:
    """Recompute every hash in issue order; the first mismatch is where the chain was altered.

    An edited row breaks at itself; a removed or moved row breaks where it was, since the next row's
    hash was built on a different predecessor. Removing the *last* rows leaves a valid shorter chain:
    pass `head`, the last hash kept elsewhere (another table, a published digest), to catch that."""
    previous: str | None = None
    for i, (stored, document) in enumerate(documents):
        expected = document_hash(previous, document)
        if stored != expected:
            return ChainCheck(
                ok=False,
                first_broken=i,
                reason=(
                    f"document {i}: stored hash {stored[:16]!r} does not match the recomputed {expected[:16]!r}: "
                    "this row was altered, or one before it was removed or reordered"
                ),
            )
        previous = stored
    if head is not None and previous != head:
        at = len(documents)
        return ChainCheck(
            ok=False,
            first_broken=at,
            reason=f"the chain ends at {str(previous)[:16]!r} but its head is {head[:16]!r}: documents were removed",
        )
    return ChainCheck(ok=True, first_broken=None, reason=f"{len(documents)} documents verified")


def check_credit_note(invoice_total: Decimal, earlier_credits: Sequence[Decimal], amount: Decimal) -> None:
    """Refuse a credit note that is not a positive amount in cents, or that would take the invoice's credits
    above its total (raising CreditAboveInvoice with what is still creditable)."""
    if amount <= 0:
        raise ValueError(f"a credit note must be a positive amount, got {amount}")
    if cents(amount) != amount:
        raise ValueError(f"a credit note is issued in cents, got {amount}")
    if any(credit <= 0 for credit in earlier_credits):
        raise ValueError("earlier credit notes must all be positive amounts")
    credited = sum(earlier_credits, Decimal(0))
    remaining = max(invoice_total - credited, Decimal(0))
    if credited + amount > invoice_total:
        raise CreditAboveInvoice(
            f"a credit of {amount} exceeds what is left to credit on this invoice: {remaining} "
            f"(total {invoice_total}, already credited {credited})",
            remaining,
        )


def _encode(value: object, where: str) -> str:
    # bool before int (bool is an int), datetime before date (datetime is a date)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        raise TypeError(f"{where}: float {value!r} is not allowed in an issued document; use Decimal")
    if isinstance(value, Decimal):
        return _decimal_text(value, where)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, datetime):
        moment = value.astimezone(UTC) if value.tzinfo is not None else value
        return json.dumps(moment.isoformat())
    if isinstance(value, date):
        return json.dumps(value.isoformat())
    if isinstance(value, Mapping):
        items = []
        for key in value:
            if not isinstance(key, str):
                raise TypeError(f"{where}: key {key!r} is not text")
            items.append((key, value[key]))
        items.sort(key=lambda item: item[0])
        return (
            "{" + ",".join(f"{json.dumps(k, ensure_ascii=False)}:{_encode(v, f'{where}.{k}')}" for k, v in items) + "}"
        )
    if isinstance(value, list | tuple):
        return "[" + ",".join(_encode(v, f"{where}[{i}]") for i, v in enumerate(value)) + "]"
    raise TypeError(f"{where}: {type(value).__name__} cannot go into an issued document")


def _decimal_text(value: Decimal, where: str) -> str:
    if not value.is_finite():
        raise TypeError(f"{where}: {value} is not a finite amount")
    if value.is_zero():
        return "0"  # -0 and 0E-2 are all zero
    return format(value.normalize(), "f")
