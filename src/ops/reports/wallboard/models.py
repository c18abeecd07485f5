"""The latest telephony reading of each voice queue: one row per queue, replaced by each newer reading, so every
API process and the AMI poller read and write the same board."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ops.db import Base, JSONType, UTCDateTime


class QueueSnapshot(Base):
    """A queue's live figures as the platform last reported them, and today's counters so far (`day` is the
    contract's local date they count; `counted_from` local midnight, or the first reading seen that day)."""

    __tablename__ = "queue_snapshots"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The latest state, not history: it goes with its queue.
    queue_id: Mapped[int] = mapped_column(ForeignKey("queues.id", ondelete="CASCADE"), unique=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(20))  # "api" (counted from midnight) or "ami" (since a reset)
    platform_queue: Mapped[str] = mapped_column(String(128))
    observed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    calls_waiting: Mapped[int] = mapped_column(Integer)
    longest_wait_seconds: Mapped[int] = mapped_column(Integer)
    agents_logged_in: Mapped[int] = mapped_column(Integer)
    agents_available: Mapped[int] = mapped_column(Integer)
    agents_on_call: Mapped[int] = mapped_column(Integer)
    agents_paused: Mapped[int] = mapped_column(Integer)
    day: Mapped[date] = mapped_column(Date)
    counted_from: Mapped[datetime] = mapped_column(UTCDateTime)
    answered: Mapped[int] = mapped_column(Integer)
    abandoned: Mapped[int] = mapped_column(Integer)
    answered_within: Mapped[int] = mapped_column(Integer)
    abandoned_within: Mapped[int] = mapped_column(Integer)
    short_abandons: Mapped[int] = mapped_column(Integer)
    # The platform's own counters since its last reset (AMI), from which the next reading's growth is taken.
    raw: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
