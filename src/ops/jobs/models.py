"""The job outbox: a job asked for inside a transaction is a row of that transaction, sent once it commits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ops.db import Base, JSONType, UTCDateTime, utcnow


class OutboxJob(Base):
    """A job not yet handed to the queue: deleted once the queue has it; a failed hand-over stays here and is
    retried by the relay (ops.jobs.outbox.relay_outbox), so a job whose rows were committed is never lost."""

    __tablename__ = "job_outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    job_id: Mapped[str | None] = mapped_column(String(200))
    kwargs: Mapped[dict[str, Any]] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # None: its own transaction's after-commit send has it. Else: when the relay may try it (again).
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)


class SchedulerLease(Base):
    """Which process fires the schedule: one row per schedule, held by the process that last renewed it before it
    lapsed (ops.jobs.leader). However many schedulers run, the one holding it enqueues; the others wait."""

    __tablename__ = "scheduler_leases"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
