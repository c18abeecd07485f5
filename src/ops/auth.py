"""Bearer tokens, roles and guards; who the caller is and which contracts it may see."""

from __future__ import annotations

import hashlib
import random
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from litestar.connection import ASGIConnection
from litestar.exceptions import PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ops.auth_models import ApiToken, PageSession
from ops.config import Settings, get_settings
from ops.db import utcnow
from ops.errors import ConflictError, InvalidInputError, NotFoundError

# People sign in with the first four; `telephony` is an integration's (the telephony platform posting its queues'
# statistics), scoped to one contract like a client's, and opens no page.
Role = Literal["manager", "supervisor", "agent", "client", "telephony"]
ROLES: tuple[Role, ...] = ("manager", "supervisor", "agent", "client", "telephony")
PEOPLE: tuple[Role, ...] = ("manager", "supervisor", "agent", "client")
TOKEN_PREFIX = "ops_"  # noqa: S105 - a marker that makes leaked tokens greppable, not a secret
PREFIX_LENGTH = 12  # the visible start of a token kept in clear (`ops token list`), to name it for revocation
MIN_PREFIX = 8  # "ops_" and four characters of the secret: enough to tell a site's tokens apart


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller. contract_id None means every contract (provider staff only)."""

    token_id: int
    name: str
    role: Role
    contract_id: int | None
    agent_id: int | None

    def may_see(self, contract_id: int) -> bool:
        return self.contract_id is None or self.contract_id == contract_id


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_lifetime(role: Role, settings: Settings) -> timedelta:
    """An agent's token lasts about a shift; every other role's (people and integrations) about a year."""
    if role == "agent":
        return timedelta(hours=settings.agent_token_hours)
    return timedelta(days=settings.token_days)


async def issue_token(
    session: AsyncSession,
    *,
    name: str,
    role: Role,
    contract_id: int | None,
    agent_id: int | None = None,
    expires_in: timedelta | None = None,
) -> str:
    """Create a token and return it in clear: the only time it is ever visible. Without `expires_in` it lasts
    its role's default (`token_lifetime`)."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    if role in ("client", "agent", "telephony") and contract_id is None:
        raise ValueError(f"a {role} token needs a contract")
    lifetime = expires_in if expires_in is not None else token_lifetime(role, get_settings())
    if lifetime <= timedelta(0):
        raise ValueError("a token's lifetime must be positive")
    token = new_token()
    session.add(
        ApiToken(
            name=name,
            role=role,
            contract_id=contract_id,
            agent_id=agent_id,
            token_hash=hash_token(token),
            prefix=token[:PREFIX_LENGTH],
            expires_at=utcnow() + lifetime,
        )
    )
    await session.flush()
    return token


@dataclass(frozen=True, slots=True)
class Grant:
    """Who a credential (a token or a page session) stands for, and until when it may be believed."""

    principal: Principal
    valid_until: datetime


def refusal(row: ApiToken | None, now: datetime) -> str | None:
    """Why a token's row opens nothing (None when it is good)."""
    if row is None or row.revoked_at is not None:
        return "invalid or revoked token"
    if row.expires_at <= now:
        return f"token expired at {row.expires_at:%Y-%m-%d %H:%M} UTC"
    return None


def principal_of(row: ApiToken) -> Principal:
    return Principal(row.id, row.name, row.role, row.contract_id, row.agent_id)  # type: ignore[arg-type]


async def token_grant(session: AsyncSession, token: str, *, now: datetime | None = None) -> Grant | str:
    """The grant of a bearer token, or why it is refused (unknown, revoked, expired)."""
    now = now or utcnow()
    row = (await session.execute(select(ApiToken).where(ApiToken.token_hash == hash_token(token)))).scalar_one_or_none()
    problem = refusal(row, now)
    if problem is not None or row is None:
        return problem or "invalid or revoked token"
    return Grant(principal_of(row), row.expires_at)


async def revoke_token(session: AsyncSession, prefix: str) -> ApiToken:
    """Revoke the token named by its visible prefix (as `ops token list` shows it, or any start of it of 8 characters
    or more) or by the whole token, and every page session signed in with it."""
    # As `ops token list` prints it (with its "…"), a shorter start of it, or the whole token pasted (then its hash
    # names it: another database's token is never taken for one that starts alike here).
    typed = prefix.strip().removesuffix("…").removesuffix("...")
    given = typed[:PREFIX_LENGTH]
    if len(given) < MIN_PREFIX:
        raise InvalidInputError(
            f"prefix: give at least {MIN_PREFIX} characters of the token, as `ops token list` shows them",
            extra=[{"field": "prefix", "problem": f"fewer than {MIN_PREFIX} characters"}],
        )
    if len(typed) > PREFIX_LENGTH:
        found = select(ApiToken).where(ApiToken.token_hash == hash_token(typed))
    else:  # compared as typed: LIKE ignores case on SQLite, and a token differing only in case would be taken
        found = select(ApiToken).where(func.substr(ApiToken.prefix, 1, len(given)) == given)
    rows = list((await session.execute(found)).scalars())
    if not rows:
        raise NotFoundError(f"no token starts with {given!r}: `ops token list` shows each token's prefix")
    if len(rows) > 1:
        raise ConflictError(f"{len(rows)} tokens start with {given!r}: give more of the prefix `ops token list` shows")
    now = utcnow()
    if rows[0].revoked_at is None:
        rows[0].revoked_at = now
    await session.execute(
        update(PageSession)
        .where(PageSession.token_id == rows[0].id, PageSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return rows[0]


class TokenCache:
    """Grants of recently seen tokens and page sessions, for a few seconds: a request pays no database round trip
    for a credential checked a moment ago. One cache per application (so per process): a token revoked by
    `ops token revoke` stops working everywhere within `ttl` seconds, and an entry never outlives the credential's
    own expiry. Unknown credentials are never cached: a wrong one always meets the database.

    Each entry lives a random share of `ttl`, between half and all of it: credentials first seen together (a team
    pressing Next at the start of a shift, a process's first burst) would otherwise all meet the database again in
    the same instant, and the 20 agents of one round then waited for 20 token reads (every fifth second, that
    round was the benchmark's slowest)."""

    def __init__(self, ttl: float = 5.0, size: int = 10_000) -> None:
        self.ttl, self.size = ttl, size
        self.entries: dict[str, tuple[Grant, float]] = {}  # digest -> (grant, monotonic deadline)

    def get(self, digest: str) -> Principal | None:
        found = self.entries.get(digest)
        if found is None:
            return None
        grant, deadline = found
        if time.monotonic() > deadline or grant.valid_until <= utcnow():
            self.entries.pop(digest, None)
            return None
        return grant.principal

    def put(self, digest: str, grant: Grant) -> None:
        if len(self.entries) >= self.size:
            self.entries.clear()  # a burst of many tokens: start over rather than track ages
        lifetime = self.ttl * random.uniform(0.5, 1.0)  # a spread of expiries, not a secret
        self.entries[digest] = (grant, time.monotonic() + lifetime)

    def forget(self, digest: str | None = None) -> None:
        if digest is None:
            self.entries.clear()
        else:
            self.entries.pop(digest, None)


def requires(*roles: Role) -> Any:
    """A guard admitting only the given roles."""
    allowed = frozenset(roles)

    # A coroutine: Litestar runs a plain function guard in a worker thread, a hop per request for a set lookup.
    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        principal = connection.user
        if not isinstance(principal, Principal) or principal.role not in allowed:
            raise PermissionDeniedException(f"this needs one of the roles: {', '.join(sorted(allowed))}")

    return guard


STAFF: tuple[Role, ...] = ("manager", "supervisor")
EVERYONE: tuple[Role, ...] = PEOPLE  # an integration's token reads nothing it was not made for
