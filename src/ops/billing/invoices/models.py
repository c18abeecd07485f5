"""Tables of issued documents: invoices and credit notes (immutable once issued, numbered gaplessly, chained by
SHA-256), their payments, and the counters that number them."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, Session, mapped_column

from ops.db import Base, ExactDecimal, JSONType, UTCDateTime, utcnow

DOCUMENT_KINDS = ("invoice", "credit_note")
# What issuing freezes: a change to any of these on an issued row is refused by the session (and a change made
# behind its back breaks the hash chain, which `ops invoice verify` reports).
FROZEN = frozenset(
    {
        "contract_id",
        "kind",
        "number",
        "chain_position",
        "measurement_id",
        "corrects_invoice_id",
        "month",
        "issued_at",
        "due_on",
        "currency",
        "gross",
        "withheld",
        "net",
        "document",
        "sha256",
        "previous_sha256",
        "pdf_sha256",
    }
)


class DocumentCounter(Base):
    """The last number given in a sequence ('invoice', 'credit_note', and 'chain' for the position of every issued
    document): bumped in the issuing transaction, so a rolled-back issue gives its number back and none is skipped."""

    __tablename__ = "document_counters"

    name: Mapped[str] = mapped_column(String(30), primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


class Invoice(Base):
    __tablename__ = "invoices"
    __table_args__ = (UniqueConstraint("kind", "number"), UniqueConstraint("chain_position"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    number: Mapped[int] = mapped_column(Integer)
    chain_position: Mapped[int] = mapped_column(Integer)
    measurement_id: Mapped[int | None] = mapped_column(ForeignKey("measurements.id", ondelete="RESTRICT"), unique=True)
    corrects_invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id", ondelete="RESTRICT"))
    month: Mapped[str] = mapped_column(String(7))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    issued_by: Mapped[str] = mapped_column(String(200))
    due_on: Mapped[date] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3))
    gross: Mapped[Decimal] = mapped_column(ExactDecimal(16, 2))
    withheld: Mapped[Decimal] = mapped_column(ExactDecimal(16, 2))
    net: Mapped[Decimal] = mapped_column(ExactDecimal(16, 2))
    document: Mapped[dict[str, Any]] = mapped_column(JSONType)  # every line, tax and source as issued
    sha256: Mapped[str] = mapped_column(String(64))
    previous_sha256: Mapped[str] = mapped_column(String(64))
    pdf_path: Mapped[str | None] = mapped_column(String(500))
    pdf_sha256: Mapped[str | None] = mapped_column(String(64))
    # What may change after issue: the void (only while unpaid) and the fiscal invoice (NFS-e) recorded against it.
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    voided_by: Mapped[str | None] = mapped_column(String(200))
    void_reason: Mapped[str | None] = mapped_column(Text)
    nfse_number: Mapped[str | None] = mapped_column(String(60))
    nfse_code: Mapped[str | None] = mapped_column(String(100))
    nfse_link: Mapped[str | None] = mapped_column(String(500))
    nfse_value: Mapped[Decimal | None] = mapped_column(ExactDecimal(16, 2))
    nfse_recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Payment(Base):
    __tablename__ = "invoice_payments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id", ondelete="RESTRICT"), index=True)
    paid_on: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(ExactDecimal(16, 2))
    note: Mapped[str | None] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_by: Mapped[str] = mapped_column(String(200))


class IssuedDocumentChanged(Exception):
    """An attempt to change what issuing froze: an issued document is corrected by another that references it."""


@event.listens_for(Session, "before_flush")
def _refuse_edits_of_issued(session: Session, _context: Any, _instances: Any) -> None:
    from sqlalchemy import inspect

    for obj in session.dirty:
        if not isinstance(obj, Invoice):
            continue
        state = inspect(obj)
        changed = sorted(a.key for a in state.attrs if a.key in FROZEN and a.history.has_changes())
        if changed:
            raise IssuedDocumentChanged(
                f"{obj.kind} {obj.number} is issued: {', '.join(changed)} cannot change; "
                "correct it with a credit note or an adjustment on a later measurement"
            )
    for obj in session.deleted:
        if isinstance(obj, Invoice):
            raise IssuedDocumentChanged(f"{obj.kind} {obj.number} is issued and is never deleted: void it instead")
