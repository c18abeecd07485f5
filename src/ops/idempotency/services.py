"""Reading and writing the stored answers of idempotent requests; never committing (the request does)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from ops.db import utcnow
from ops.errors import InvalidInputError
from ops.idempotency.models import IdempotencyKey

HEADER = "Idempotency-Key"
# How long a key answers its retries: a day, as Stripe keeps them. Older rows are as good as absent.
KEEP = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class Ask:
    """A keyed request as the key remembers it: whose, which key, and what was asked."""

    token_id: int
    key: str
    method: str
    target: str
    fingerprint: str


@dataclass(frozen=True, slots=True)
class Answer:
    status_code: int
    content_type: str | None
    body: bytes
    location: str | None = None


def fingerprint(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


async def stored_answer(session: AsyncSession, ask: Ask, *, now: datetime | None = None) -> Answer | None:
    """The answer stored under the caller's key, if a 2xx was stored in the last day; a 422 naming the header when
    the key was first sent with another request (another path or body)."""
    since = (now or utcnow()) - KEEP
    row = (
        await session.execute(
            select(IdempotencyKey).where(
                IdempotencyKey.token_id == ask.token_id,
                IdempotencyKey.key == ask.key,
                IdempotencyKey.created_at > since,
            )
        )
    ).scalar_one_or_none()
    if row is None:
        return None
    if (row.method, row.target, row.fingerprint) != (ask.method, ask.target, ask.fingerprint):
        problem = "already used for a different request (another path or body): use a new key for a new request"
        raise InvalidInputError(f"{HEADER}: {problem}", extra=[{"field": HEADER, "problem": problem}])
    return Answer(row.status_code, row.content_type, row.body, row.location)


async def store_answer(session: AsyncSession, ask: Ask, answer: Answer, *, now: datetime | None = None) -> None:
    """Store the answer under the key, in the session's transaction (the request's, with its effect). The token's
    keys past their day are forgotten first, so an expired key can be used again. Raises IntegrityError when
    another request stored the same key meanwhile."""
    now = now or utcnow()
    await session.execute(
        delete(IdempotencyKey).where(IdempotencyKey.token_id == ask.token_id, IdempotencyKey.created_at <= now - KEEP)
    )
    await session.execute(
        insert(IdempotencyKey).values(
            token_id=ask.token_id,
            key=ask.key,
            method=ask.method,
            target=ask.target,
            fingerprint=ask.fingerprint,
            status_code=answer.status_code,
            content_type=answer.content_type,
            body=answer.body,
            location=answer.location,
            created_at=now,
        )
    )


async def forget_expired(session: AsyncSession, *, now: datetime | None = None) -> int:
    """Delete every token's keys past their day (for a periodic clean-up); the number deleted."""
    result = await session.execute(delete(IdempotencyKey).where(IdempotencyKey.created_at <= (now or utcnow()) - KEEP))
    return int(getattr(result, "rowcount", 0) or 0)
