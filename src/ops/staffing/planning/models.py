"""The saved plans of the staffing domain: a contract week's reinforcement plan with its progress while computing."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Date, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
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


class OnCallShift(Base):
    """An on-call shift the manager requested: billed per specialist whether called or not, from its start to the
    scheduled end or the early end, never under the day's minimum (staffing.planning.oncall)."""

    __tablename__ = "oncall_shifts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id", ondelete="RESTRICT"), index=True)
    start: Mapped[datetime] = mapped_column(UTCDateTime)
    scheduled_end: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    specialists: Mapped[int] = mapped_column(Integer, default=1)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))
    ended_by: Mapped[str | None] = mapped_column(String(200))


class PlanExecution(Base):
    """A week's plan confirmed as executed by the manager, with the changes made to it."""

    __tablename__ = "plan_executions"
    __table_args__ = (UniqueConstraint("contract_id", "week_start"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id", ondelete="RESTRICT"), index=True)
    week_start: Mapped[date] = mapped_column(Date)
    confirmed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_by: Mapped[str] = mapped_column(String(200))
    changes: Mapped[dict[str, Any]] = mapped_column(JSONType)  # shifts not worked, shifts added


class ExecutedShift(Base):
    """A reinforcement shift actually worked, from the confirmed plan or added on confirming: only these are billed."""

    __tablename__ = "executed_shifts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    execution_id: Mapped[int] = mapped_column(ForeignKey("plan_executions.id", ondelete="RESTRICT"), index=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id", ondelete="RESTRICT"), index=True)
    queue: Mapped[str] = mapped_column(String(50))
    start: Mapped[datetime] = mapped_column(UTCDateTime)
    end: Mapped[datetime] = mapped_column(UTCDateTime)
    agents: Mapped[int] = mapped_column(Integer, default=1)
    origin: Mapped[str] = mapped_column(String(10))  # plan | added
