"""The interval history table: raw counts of one queue per 30-minute interval (voice reports read it too)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ops.db import Base, UTCDateTime


class IntervalStat(Base):
    """Raw counts and sums of one queue in one 30-minute interval; every ratio is derived from them."""

    __tablename__ = "interval_stats"
    __table_args__ = (UniqueConstraint("queue_id", "interval_start"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    queue_id: Mapped[int] = mapped_column(ForeignKey("queues.id", ondelete="RESTRICT"), index=True)
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
