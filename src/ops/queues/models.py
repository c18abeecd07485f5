"""Tables of the queues domain: positions, agents, tickets, their history, incidents, protocol counters."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from ops.db import Base, ExactDecimal, JSONType, UTCDateTime, utcnow


class Position(Base):
    """A workstation of the contract with its skills (queue code -> level, 1 = primary)."""

    __tablename__ = "positions"
    __table_args__ = (UniqueConstraint("contract_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(50))
    skills: Mapped[dict[str, int]] = mapped_column(JSONType)


class Agent(Base):
    """A person working a position. open_count is kept in the row so that a capacity check and the
    claim that uses it happen in one conditional UPDATE (no double assignment under concurrency)."""

    __tablename__ = "agents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    position_id: Mapped[int | None] = mapped_column(ForeignKey("positions.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(20), default="offline")
    # The break reason (a code of the contract's `break_reasons`) while on a break, and when the status began.
    status_reason: Mapped[str | None] = mapped_column(String(50))
    status_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    capacity: Mapped[int] = mapped_column(Integer, default=3)
    open_count: Mapped[int] = mapped_column(Integer, default=0)
    idle_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    supervisor: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AgentEvent(Base):
    """An agent's status change: who changed it (the agent, a supervisor forcing it), when, from what to what, why."""

    __tablename__ = "agent_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id", ondelete="RESTRICT"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(200))
    before: Mapped[dict[str, Any]] = mapped_column(JSONType)
    after: Mapped[dict[str, Any]] = mapped_column(JSONType)
    note: Mapped[str | None] = mapped_column(Text)


class SavedView(Base):
    """A named set of ticket filters a user keeps (the filters as the page's query string)."""

    __tablename__ = "saved_views"
    __table_args__ = (UniqueConstraint("owner", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner: Mapped[str] = mapped_column(String(200), index=True)
    contract_id: Mapped[int | None] = mapped_column(ForeignKey("contracts.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    query: Mapped[str] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Incident(Base):
    """A mass outage: many technical tickets from one area in a short window, worked as one."""

    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id", ondelete="RESTRICT"), index=True)
    area: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="open")
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    forecast_end: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    note: Mapped[str | None] = mapped_column(Text)


# A ticket's statuses; the active ones still run SLA clocks and may be worked.
STATUSES = ("new", "open", "pending", "resolved", "closed")
ACTIVE = ("new", "open", "pending")

POOL_WHERE = text("assigned_agent_id IS NULL AND status IN ('new', 'open')")


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__ = (
        UniqueConstraint("contract_id", "source", "external_id"),
        UniqueConstraint("protocol"),
        Index("ix_tickets_queue_status_sort", "queue_id", "status", "sort_key"),
        Index("ix_tickets_area_received", "contract_id", "area_key", "received_at"),
        # The pool only (unassigned, claimable): picking the next ticket reads its first entry instead
        # of sorting every waiting ticket of the queue. Queries must spell POOL_WHERE literally. On
        # PostgreSQL it holds the pick's whole order (migration 0015); SQLite cannot index NULLS LAST.
        Index("ix_tickets_pool", "queue_id", "sort_key", sqlite_where=POOL_WHERE).ddl_if(dialect="sqlite"),
        Index(
            "ix_tickets_pool_order",
            "queue_id",
            text("sort_key DESC"),
            text("first_response_due ASC NULLS LAST"),
            "id",
            postgresql_where=POOL_WHERE,
        ).ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id", ondelete="RESTRICT"), index=True)
    queue_id: Mapped[int] = mapped_column(ForeignKey("queues.id", ondelete="RESTRICT"), index=True)
    reason_id: Mapped[int | None] = mapped_column(ForeignKey("reasons.id", ondelete="RESTRICT"))
    source: Mapped[str] = mapped_column(String(50))
    external_id: Mapped[str] = mapped_column(String(200))
    protocol: Mapped[str] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(30))
    subject: Mapped[str] = mapped_column(String(500), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    customer: Mapped[dict[str, Any]] = mapped_column(JSONType)
    area_key: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(20), default="new")
    priority: Mapped[str] = mapped_column(String(20), default="normal")
    score: Mapped[float] = mapped_column(Float, default=0.0)
    sort_key: Mapped[float] = mapped_column(Float, default=0.0)
    critical: Mapped[bool] = mapped_column(Boolean, default=False)
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    classification: Mapped[dict[str, Any]] = mapped_column(JSONType)
    assigned_agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"), index=True)
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_activity_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    awaiting_reply_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_response_due: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_response_due: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolution_due: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_response_breached: Mapped[bool] = mapped_column(Boolean, default=False)
    resolution_breached: Mapped[bool] = mapped_column(Boolean, default=False)
    first_response_minutes: Mapped[float | None] = mapped_column(Float)
    resolution_minutes: Mapped[float | None] = mapped_column(Float)
    warned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id", ondelete="SET NULL"), index=True)
    checklist: Mapped[list[Any]] = mapped_column(JSONType)
    fields: Mapped[dict[str, Any]] = mapped_column(JSONType)
    raw: Mapped[dict[str, Any]] = mapped_column(JSONType)
    version: Mapped[int] = mapped_column(Integer, default=1)


class TicketEvent(Base):
    """The audit history of a ticket: who, when, what, before and after."""

    __tablename__ = "ticket_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="RESTRICT"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(30))
    before: Mapped[dict[str, Any]] = mapped_column(JSONType)
    after: Mapped[dict[str, Any]] = mapped_column(JSONType)
    note: Mapped[str | None] = mapped_column(Text)


class ProtocolCounter(Base):
    """The last protocol sequence of a day (one row per day, bumped in the intake transaction)."""

    __tablename__ = "protocol_counters"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


class TimeEntry(Base):
    """Minutes an agent spent on a ticket, logged with a work action: the time-billed queues bill them."""

    __tablename__ = "time_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="RESTRICT"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(30))
    minutes: Mapped[Decimal] = mapped_column(ExactDecimal(10, 2))
    note: Mapped[str | None] = mapped_column(Text)
