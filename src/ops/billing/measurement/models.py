"""Tables of the monthly measurement: each version with its lines and their sources, what the client contested,
every state change, and adjustments carried from earlier periods."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ops.db import Base, ExactDecimal, JSONType, UTCDateTime, utcnow

# draft -> submitted -> approved, or contested -> (corrected into a new draft version: this one superseded)
MEASUREMENT_STATES = ("draft", "submitted", "approved", "contested", "superseded")


class Measurement(Base):
    __tablename__ = "measurements"
    __table_args__ = (UniqueConstraint("contract_id", "month", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id", ondelete="RESTRICT"), index=True)
    month: Mapped[str] = mapped_column(String(7))  # the period's name, YYYY-MM, whatever its cut-off day
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer, default=1)
    state: Mapped[str] = mapped_column(String(20), default="draft")
    total: Mapped[Decimal] = mapped_column(ExactDecimal(16, 2))
    currency: Mapped[str] = mapped_column(String(3))
    report_sha256: Mapped[str | None] = mapped_column(String(64))  # the SLA report its credits came from
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(200))

    lines: Mapped[list[MeasurementLine]] = relationship(
        back_populates="measurement", order_by="MeasurementLine.position", cascade="all"
    )


class MeasurementLine(Base):
    __tablename__ = "measurement_lines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    measurement_id: Mapped[int] = mapped_column(ForeignKey("measurements.id", ondelete="RESTRICT"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(Text)
    quantity: Mapped[Decimal] = mapped_column(ExactDecimal(18, 6))
    unit: Mapped[str] = mapped_column(String(30))
    unit_price: Mapped[Decimal] = mapped_column(ExactDecimal(16, 4))
    amount: Mapped[Decimal] = mapped_column(ExactDecimal(16, 2))
    sources: Mapped[list[Any]] = mapped_column(JSONType)
    detail: Mapped[dict[str, Any]] = mapped_column(JSONType)  # the description's parts, to word it per language
    contested_reason: Mapped[str | None] = mapped_column(Text)
    contested_by: Mapped[str | None] = mapped_column(String(200))
    contested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    measurement: Mapped[Measurement] = relationship(back_populates="lines")


class MeasurementEvent(Base):
    """Every state change of a measurement: who, when, from which state to which, and why."""

    __tablename__ = "measurement_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    measurement_id: Mapped[int] = mapped_column(ForeignKey("measurements.id", ondelete="RESTRICT"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(30))
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str] = mapped_column(String(20))
    detail: Mapped[dict[str, Any]] = mapped_column(JSONType)


class BillingAdjustment(Base):
    """An amount carried into a later measurement (a late readjustment, a ticket resolved late, a credit owed),
    naming the invoice it corrects; taken by the first measurement of its contract drafted after it."""

    __tablename__ = "billing_adjustments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id", ondelete="RESTRICT"), index=True)
    description: Mapped[str] = mapped_column(Text)
    amount: Mapped[Decimal] = mapped_column(ExactDecimal(16, 2))
    corrects_invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))
    measurement_id: Mapped[int | None] = mapped_column(ForeignKey("measurements.id", ondelete="RESTRICT"))
