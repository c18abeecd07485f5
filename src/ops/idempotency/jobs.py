"""The idempotency keys' clean-up job."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ops.idempotency.services import forget_expired


async def forget_idempotency_keys(ctx: dict[str, Any], now: str | None = None) -> int:
    """Every hour: the stored answers past their day are deleted (a token that stopped calling leaves its keys)."""
    sessionmaker: async_sessionmaker[AsyncSession] = ctx["sessionmaker"]
    async with sessionmaker.begin() as session:
        return await forget_expired(session, now=datetime.fromisoformat(now) if now else None)
