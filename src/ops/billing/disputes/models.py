"""Tables of disputes: what is disputed (an audit difference, a measurement line, an undue-charge ticket, or by
hand), the disputed and undisputed amounts, the state with its deadline and follow-up, and every step."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ops.db import Base, ExactDecimal, JSONType, UTCDateTime, utcnow


class Dispute(Base):
    __tablename__ = "disputes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id", ondelete="RESTRICT"), index=True)
    origin: Mapped[str] = mapped_column(String(20))  # audit | measurement_line | ticket | manual
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id", ondelete="RESTRICT"), index=True)
    measurement_line_id: Mapped[int | None] = mapped_column(ForeignKey("measurement_lines.id", ondelete="RESTRICT"))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="RESTRICT"))
    audit_code: Mapped[str | None] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(30))
    billed: Mapped[Decimal] = mapped_column(ExactDecimal(16, 2))
    disputed: Mapped[Decimal] = mapped_column(ExactDecimal(16, 2))
    undisputed: Mapped[Decimal] = mapped_column(ExactDecimal(16, 2))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    opened_by: Mapped[str] = mapped_column(String(200))
    state_since: Mapped[date] = mapped_column(Date)
    deadline: Mapped[date | None] = mapped_column(Date)
    follow_up_on: Mapped[date | None] = mapped_column(Date)
    protocol: Mapped[str | None] = mapped_column(String(100))
    recalculation_number: Mapped[str | None] = mapped_column(String(100))
    resolution_date: Mapped[date | None] = mapped_column(Date)
    credited_amount: Mapped[Decimal | None] = mapped_column(ExactDecimal(16, 2))
    credit_reference: Mapped[str | None] = mapped_column(String(200))
    reason: Mapped[str | None] = mapped_column(Text)
    # Its subject (line, ticket, or invoice and audit difference) while open, None once settled: unique, so a
    # subject has one open dispute even when two are opened at the same instant.
    open_key: Mapped[str | None] = mapped_column(String(120))

    __table_args__ = (Index("uq_disputes_open_key", "open_key", unique=True),)


class DisputeEvent(Base):
    __tablename__ = "dispute_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dispute_id: Mapped[int] = mapped_column(ForeignKey("disputes.id", ondelete="RESTRICT"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    by: Mapped[str] = mapped_column(String(200))
    from_state: Mapped[str | None] = mapped_column(String(30))
    to_state: Mapped[str] = mapped_column(String(30))
    data: Mapped[dict[str, Any]] = mapped_column(JSONType)
