"""Tables of index series and prices: published monthly values with their revisions, each contract readjustment,
and the history of every price (the contract file's base price until a readjustment is applied)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ops.db import Base, ExactDecimal, JSONType, UTCDateTime, utcnow


class IndexValue(Base):
    """One month of one index series (% in the month), as last published."""

    __tablename__ = "index_values"
    __table_args__ = (UniqueConstraint("index", "month"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    index: Mapped[str] = mapped_column(String(40))
    month: Mapped[date] = mapped_column(Date)
    pct: Mapped[Decimal] = mapped_column(ExactDecimal(12, 4))
    source: Mapped[str] = mapped_column(String(300))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_by: Mapped[str] = mapped_column(String(200))


class IndexRevision(Base):
    """A published value that changed: the old and the new, never silently overwritten."""

    __tablename__ = "index_revisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    index: Mapped[str] = mapped_column(String(40))
    month: Mapped[date] = mapped_column(Date)
    old_pct: Mapped[Decimal] = mapped_column(ExactDecimal(12, 4))
    new_pct: Mapped[Decimal] = mapped_column(ExactDecimal(12, 4))
    source: Mapped[str] = mapped_column(String(300))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_by: Mapped[str] = mapped_column(String(200))


class Readjustment(Base):
    """A contract's readjustment on one anniversary: the factor, the index and months it came from."""

    __tablename__ = "readjustments"
    __table_args__ = (UniqueConstraint("contract_id", "anniversary"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id", ondelete="RESTRICT"), index=True)
    anniversary: Mapped[date] = mapped_column(Date)
    index: Mapped[str] = mapped_column(String(40))
    factor: Mapped[Decimal] = mapped_column(ExactDecimal(18, 8))
    raw_factor: Mapped[Decimal] = mapped_column(ExactDecimal(18, 8))
    floored: Mapped[bool] = mapped_column(Boolean, default=False)
    detail: Mapped[dict[str, Any]] = mapped_column(JSONType)  # months, components, fallback note
    applied_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    applied_by: Mapped[str] = mapped_column(String(200))


class ContractPrice(Base):
    """A unit price of a contract valid from a date: the base price (the contract's start) and each readjusted one."""

    __tablename__ = "contract_prices"
    __table_args__ = (UniqueConstraint("contract_id", "item", "valid_from"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id", ondelete="RESTRICT"), index=True)
    item: Mapped[str] = mapped_column(String(40))
    valid_from: Mapped[date] = mapped_column(Date)
    unit_price: Mapped[Decimal] = mapped_column(ExactDecimal(16, 4))
    readjustment_id: Mapped[int | None] = mapped_column(ForeignKey("readjustments.id", ondelete="RESTRICT"))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
