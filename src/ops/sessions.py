"""Page sessions: what a browser's cookie stands for after signing in with a token, and its CSRF token."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ops.auth import Grant, hash_token, principal_of, refusal
from ops.auth_models import ApiToken, PageSession
from ops.db import utcnow

SESSION_COOKIE = "ops_session"
SESSION_PREFIX = "ops_s_"
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"
# An active session's idle deadline moves at most once a minute: one write a minute per browser, not per request.
RENEW_EVERY = timedelta(minutes=1)
FORGET_AFTER = timedelta(days=30)


def csrf_token(secret: str) -> str:
    """The session's CSRF token: derived from its secret id, which only the browser's HttpOnly cookie holds, so a
    page of another site can neither read nor compute it."""
    return hmac.new(secret.encode(), b"ops csrf", hashlib.sha256).hexdigest()


def csrf_matches(secret: str, offered: str | None) -> bool:
    return offered is not None and hmac.compare_digest(csrf_token(secret), offered)


async def open_session(session: AsyncSession, *, token_id: int, idle: timedelta, now: datetime | None = None) -> str:
    """Record a page sign-in for a token and return its secret id, the cookie's value (stored only hashed)."""
    now = now or utcnow()
    token = await session.get(ApiToken, token_id)
    if token is None or refusal(token, now) is not None:
        raise ValueError("a page session needs a valid token")
    # The token's sessions long over are forgotten here: the table holds what could still be shown to someone.
    await session.execute(
        delete(PageSession).where(PageSession.token_id == token_id, PageSession.expires_at < now - FORGET_AFTER)
    )
    secret = SESSION_PREFIX + secrets.token_urlsafe(32)
    session.add(
        PageSession(
            token_id=token_id,
            secret_hash=hash_token(secret),
            created_at=now,
            expires_at=min(now + idle, token.expires_at),
        )
    )
    await session.flush()
    return secret


async def session_grant(
    session: AsyncSession, secret: str, *, idle: timedelta, now: datetime | None = None
) -> Grant | str:
    """The grant of a page session, or why it is refused: unknown, signed out, idle too long, or its token revoked
    or expired. A session in use has its idle deadline moved on (never past its token's expiry)."""
    now = now or utcnow()
    found = (
        await session.execute(
            select(PageSession, ApiToken)
            .join(ApiToken, ApiToken.id == PageSession.token_id)
            .where(PageSession.secret_hash == hash_token(secret))
        )
    ).one_or_none()
    if found is None:
        return "no such session: sign in again"
    page, token = found[0], found[1]
    if page.revoked_at is not None:
        return "signed out: sign in again"
    if page.expires_at <= now:
        return "session expired: sign in again"
    problem = refusal(token, now)
    if problem is not None:
        return problem
    renewed = min(now + idle, token.expires_at)
    if renewed - page.expires_at >= RENEW_EVERY:
        page.expires_at = renewed
    return Grant(principal_of(token), page.expires_at)


async def close_session(session: AsyncSession, secret: str, *, now: datetime | None = None) -> bool:
    """Sign out: the session is revoked (True when there was an open one)."""
    result = await session.execute(
        update(PageSession)
        .where(PageSession.secret_hash == hash_token(secret), PageSession.revoked_at.is_(None))
        .values(revoked_at=now or utcnow())
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
