"""Tables of the staffing domain: interval statistics (the one table voice reports read too) and plans."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Date, Float, ForeignKey, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ops.db import Base, JSONType, UTCDateTime, utcnow


class IntervalStat(Base):
    """Raw counts and sums of one queue in one 30-minute interval; every ratio is derived from them."""

    __tablename__ = "interval_stats"
    __table_args__ = (UniqueConstraint("queue_id", "interval_start"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    queue_id: Mapped[int] = mapped_column(ForeignKey("queues.id", ondelete="CASCADE"), index=True)
    interval_start: Mapped[datetime] = mapped_column(UTCDateTime)
    offered: Mapped[int] = mapped_column(Integer, default=0)
    answered: Mapped[int] = mapped_column(Integer, default=0)
    answered_within: Mapped[int] = mapped_column(Integer, default=0)
    abandoned: Mapped[int] = mapped_column(Integer, default=0)
    abandoned_within: Mapped[int] = mapped_column(Integer, default=0)
    short_abandons: Mapped[int] = mapped_column(Integer, default=0)
    handle_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    wait_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    staffed_seconds: Mapped[float | None] = mapped_column(Float)
    answer_within_seconds: Mapped[int] = mapped_column(Integer, default=20)
    source: Mapped[str] = mapped_column(String(200), default="")


class StaffingPlan(Base):
    """A saved reinforcement plan for a contract week: inputs, shifts, per-interval result and cost."""

    __tablename__ = "staffing_plans"
    __table_args__ = (UniqueConstraint("contract_id", "week_start"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id", ondelete="CASCADE"), index=True)
    week_start: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    params: Mapped[dict[str, Any]] = mapped_column(JSONType)
    result: Mapped[dict[str, Any]] = mapped_column(JSONType)
    cost: Mapped[Decimal] = mapped_column(Numeric(16, 2))
    lp_bound: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))
    status: Mapped[str] = mapped_column(String(30))
