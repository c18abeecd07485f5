"""The saved plans of the staffing domain: a contract week's reinforcement plan with its progress while computing."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Date, ForeignKey, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ops.db import Base, JSONType, UTCDateTime, utcnow


class StaffingPlan(Base):
    """A saved reinforcement plan for a contract week: inputs, shifts, per-interval result and cost."""

    __tablename__ = "staffing_plans"
    __table_args__ = (UniqueConstraint("contract_id", "week_start"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id", ondelete="RESTRICT"), index=True)
    week_start: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    params: Mapped[dict[str, Any]] = mapped_column(JSONType)
    result: Mapped[dict[str, Any]] = mapped_column(JSONType)
    cost: Mapped[Decimal] = mapped_column(Numeric(16, 2))
    lp_bound: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))
    status: Mapped[str] = mapped_column(String(30))
