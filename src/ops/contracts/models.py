"""Tables of the contract domain: clients, contracts, queues, reasons and the change log."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Date, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ops.db import Base, JSONType, UTCDateTime, utcnow


class Client(Base):
    __tablename__ = "clients"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(50), unique=True)
    name: Mapped[str] = mapped_column(String(200))


class Contract(Base):
    """A contract annex. `document` keeps the whole validated contract file, the source of truth
    for export; the columns and child rows are what queries, tickets and reports join on."""

    __tablename__ = "contracts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(50), unique=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"))
    object: Mapped[str] = mapped_column(Text)
    value: Mapped[Decimal] = mapped_column(Numeric(16, 2))
    currency: Mapped[str] = mapped_column(String(3))
    signed_on: Mapped[date] = mapped_column(Date)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    readjustment_index: Mapped[str] = mapped_column(String(20))
    anniversary: Mapped[date] = mapped_column(Date)
    timezone: Mapped[str] = mapped_column(String(64))
    document: Mapped[dict[str, Any]] = mapped_column(JSONType)
    checksum: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    client: Mapped[Client] = relationship(lazy="joined")
    queues: Mapped[list[Queue]] = relationship(
        back_populates="contract", order_by="Queue.position", cascade="all, delete-orphan"
    )


class Queue(Base):
    __tablename__ = "queues"
    __table_args__ = (UniqueConstraint("contract_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(50))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(20))
    position: Mapped[int] = mapped_column(Integer, default=0)
    base_positions: Mapped[int] = mapped_column(Integer, default=0)
    calendar: Mapped[dict[str, Any]] = mapped_column(JSONType)
    sla: Mapped[dict[str, Any]] = mapped_column(JSONType)
    routing: Mapped[dict[str, Any]] = mapped_column(JSONType)

    contract: Mapped[Contract] = relationship(back_populates="queues")
    reasons: Mapped[list[Reason]] = relationship(
        back_populates="queue", order_by="Reason.position", cascade="all, delete-orphan"
    )


class Reason(Base):
    """A reason (motivo) of a queue with its procedure: the ordered checklist the agent ticks."""

    __tablename__ = "reasons"
    __table_args__ = (UniqueConstraint("queue_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    queue_id: Mapped[int] = mapped_column(ForeignKey("queues.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(50))
    name: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer, default=0)
    technical: Mapped[bool] = mapped_column(default=False)
    procedure: Mapped[list[Any]] = mapped_column(JSONType)
    fields: Mapped[list[Any]] = mapped_column(JSONType)

    queue: Mapped[Queue] = relationship(back_populates="reasons")


class ContractChange(Base):
    """What a contract load changed, when and by whom (the file is the contract: keep its history)."""

    __tablename__ = "contract_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id", ondelete="CASCADE"), index=True)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    changed_by: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(500))
    changes: Mapped[list[Any]] = mapped_column(JSONType)
