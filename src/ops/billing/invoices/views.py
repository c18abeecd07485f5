"""An issued document (invoice or credit note) as the API, the pages and the PDF show it: its frozen document,
and where it stands now (payments, credits, balance, state, the NFS-e recorded against it)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ops.billing.invoices.models import Invoice, Payment


@dataclass(frozen=True)
class Standing:
    """Where an invoice stands: paid, credited, the balance, and its state for the manager and the client."""

    paid: Decimal
    credited: Decimal
    balance: Decimal
    state: str  # open | paid | overdue | disputed | void
    nfse_mismatch: Decimal | None  # NFS-e value - gross, when an NFS-e was recorded with another value


def invoice_view(row: Invoice, standing: Standing, payments: list[Payment], credits: list[Invoice]) -> dict[str, Any]:
    return {
        **row.document,
        "currency": row.currency,
        "total": row.document.get("totals", {}).get("services", str(row.gross)),
        "sha256": row.sha256,
        "previous_sha256": row.previous_sha256,
        "pdf_sha256": row.pdf_sha256,
        "void": None
        if row.voided_at is None
        else {"at": row.voided_at.isoformat(), "by": row.voided_by, "reason": row.void_reason},
        "nfse": None
        if row.nfse_number is None
        else {
            "number": row.nfse_number,
            "verification_code": row.nfse_code,
            "link": row.nfse_link,
            "value": str(row.nfse_value),
            "differs_by": None if standing.nfse_mismatch is None else str(standing.nfse_mismatch),
        },
        "standing": {
            "state": standing.state,
            "paid": str(standing.paid),
            "credited": str(standing.credited),
            "balance": str(standing.balance),
        },
        "payments": [{"paid_on": p.paid_on.isoformat(), "amount": str(p.amount), "note": p.note} for p in payments],
        "credit_notes": [
            {
                "number": c.number,
                "issued_on": c.document.get("issued_on"),
                "amount": str(c.gross),
                "reason": c.document.get("reason"),
            }
            for c in credits
        ],
    }
