"""The answers stored under an Idempotency-Key: what a retry of the same request gets back."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ops.db import Base, UTCDateTime, utcnow


class IdempotencyKey(Base):
    """One key of one token: the request it was first sent with (method, path and query, the body's SHA-256) and
    the 2xx answer it got, written in that request's own transaction. Unique per (token, key): of two requests
    racing with one key, the second insert fails and its transaction, effect included, rolls back."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("token_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_id: Mapped[int] = mapped_column(ForeignKey("api_tokens.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(255))
    method: Mapped[str] = mapped_column(String(10))
    target: Mapped[str] = mapped_column(Text)  # the path and its query, as sent
    fingerprint: Mapped[str] = mapped_column(String(64))  # SHA-256 of the body, hex
    status_code: Mapped[int] = mapped_column(Integer)
    content_type: Mapped[str | None] = mapped_column(String(200))
    body: Mapped[bytes] = mapped_column(LargeBinary)
    location: Mapped[str | None] = mapped_column(Text)  # a page form's 303: where it sent the reader
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
