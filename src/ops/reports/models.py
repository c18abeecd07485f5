"""Tables of the reports domain: delivered reports (immutable files), their sends and send attempts."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, Date, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ops.db import Base, JSONType, UTCDateTime, utcnow


class StoredReport(Base):
    """One rendered report file, kept as delivered: never rewritten, its SHA-256 checked on download.

    The unique key (contract, delivery, period, format) is what makes a delivery run twice render
    and store nothing new the second time.
    """

    __tablename__ = "stored_reports"
    __table_args__ = (
        UniqueConstraint(
            "contract_id", "delivery", "period_start", "period_end", "format", name="uq_stored_reports_key"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id", ondelete="RESTRICT"), index=True)
    delivery: Mapped[str] = mapped_column(String(100))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)  # inclusive, local dates of the contract
    format: Mapped[str] = mapped_column(String(10))
    media_type: Mapped[str] = mapped_column(String(100))
    filename: Mapped[str] = mapped_column(String(200))
    path: Mapped[str] = mapped_column(String(500))  # relative to Settings.reports_dir
    size: Mapped[int] = mapped_column(Integer)
    checksum: Mapped[str] = mapped_column(String(64))
    data_cutoff: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    summary: Mapped[dict[str, Any]] = mapped_column(JSONType)  # scorecard totals, for listings


class ReportSend(Base):
    """One channel (e-mail or webhook) of one delivery run: sent at most once, retried until then."""

    __tablename__ = "report_sends"
    __table_args__ = (
        UniqueConstraint(
            "contract_id", "delivery", "period_start", "period_end", "channel", name="uq_report_sends_key"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id", ondelete="RESTRICT"), index=True)
    delivery: Mapped[str] = mapped_column(String(100))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    channel: Mapped[str] = mapped_column(String(20))
    target: Mapped[str] = mapped_column(Text)
    report_ids: Mapped[list[Any]] = mapped_column(JSONType)
    # pending -> sending -> sent | failed (retried at next_attempt_at) | gave_up
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    attempt_log: Mapped[list[SendAttempt]] = relationship(
        back_populates="send", order_by="SendAttempt.id", cascade="all, delete-orphan"
    )


class SendAttempt(Base):
    """Each try of a send, so that a failure and its retries stay visible."""

    __tablename__ = "report_send_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    send_id: Mapped[int] = mapped_column(ForeignKey("report_sends.id", ondelete="RESTRICT"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ok: Mapped[bool] = mapped_column(Boolean)
    error: Mapped[str | None] = mapped_column(Text)
    seconds: Mapped[float] = mapped_column(Float, default=0.0)

    send: Mapped[ReportSend] = relationship(back_populates="attempt_log")
