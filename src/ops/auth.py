"""Bearer tokens, roles and guards; who the caller is and which contracts it may see."""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from typing import Any, Literal

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware.authentication import AbstractAuthenticationMiddleware, AuthenticationResult
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ops.auth_models import ApiToken
from ops.db import utcnow
from ops.errors import ConflictError, NotFoundError

Role = Literal["manager", "supervisor", "agent", "client"]
ROLES: tuple[Role, ...] = ("manager", "supervisor", "agent", "client")
TOKEN_PREFIX = "ops_"  # noqa: S105 - a marker that makes leaked tokens greppable, not a secret
COOKIE_NAME = "ops_token"


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


async def issue_token(
    session: AsyncSession,
    *,
    name: str,
    role: Role,
    contract_id: int | None,
    agent_id: int | None = None,
) -> str:
    """Create a token and return it in clear: the only time it is ever visible."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    if role in ("client", "agent") and contract_id is None:
        raise ValueError(f"a {role} token needs a contract")
    token = new_token()
    session.add(
        ApiToken(
            name=name,
            role=role,
            contract_id=contract_id,
            agent_id=agent_id,
            token_hash=hash_token(token),
            prefix=token[:12],
        )
    )
    await session.flush()
    return token


async def principal_for(session: AsyncSession, token: str) -> Principal | None:
    row = (
        await session.execute(
            select(ApiToken).where(ApiToken.token_hash == hash_token(token), ApiToken.revoked_at.is_(None))
        )
    ).scalar_one_or_none()
    if row is None:
        return None
    return Principal(row.id, row.name, row.role, row.contract_id, row.agent_id)  # type: ignore[arg-type]


async def revoke_token(session: AsyncSession, prefix: str) -> ApiToken:
    """Revoke the token whose visible prefix (its first 12 characters, as `ops token list` shows) is given."""
    rows = list((await session.execute(select(ApiToken).where(ApiToken.prefix == prefix))).scalars())
    if not rows:
        raise NotFoundError(f"no token starts with {prefix!r}: `ops token list` shows each token's prefix")
    if len(rows) > 1:
        raise ConflictError(f"{len(rows)} tokens start with {prefix!r}; revoke them by name in the database")
    if rows[0].revoked_at is None:
        rows[0].revoked_at = utcnow()
    return rows[0]


class TokenCache:
    """Principals of recently seen tokens, for a few seconds: a request pays no database round trip for a token
    checked a moment ago. One cache per application (so per process): a token revoked by `ops token revoke` stops
    working everywhere within `ttl` seconds. Unknown tokens are never cached: a wrong one always meets the database."""

    def __init__(self, ttl: float = 5.0, size: int = 10_000) -> None:
        self.ttl, self.size = ttl, size
        self.entries: dict[str, tuple[Principal, float]] = {}

    def get(self, digest: str) -> Principal | None:
        found = self.entries.get(digest)
        if found is None or time.monotonic() - found[1] > self.ttl:
            return None
        return found[0]

    def put(self, digest: str, principal: Principal) -> None:
        if len(self.entries) >= self.size:
            self.entries.clear()  # a burst of many tokens: start over rather than track ages
        self.entries[digest] = (principal, time.monotonic())

    def forget(self) -> None:
        self.entries.clear()


def token_from(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    header = connection.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return connection.cookies.get(COOKIE_NAME) or None


class TokenAuthMiddleware(AbstractAuthenticationMiddleware):
    """Resolves the bearer token (header, or the web pages' cookie) to a Principal."""

    async def authenticate_request(self, connection: ASGIConnection[Any, Any, Any, Any]) -> AuthenticationResult:
        token = token_from(connection)
        if not token:
            raise NotAuthorizedException("missing bearer token")
        digest = hash_token(token)
        cache: TokenCache = connection.app.state.tokens
        principal = cache.get(digest)
        if principal is None:
            sessionmaker: async_sessionmaker[AsyncSession] = connection.app.state.sessionmaker
            async with sessionmaker() as session:
                principal = await principal_for(session, token)
            if principal is None:
                raise NotAuthorizedException("invalid or revoked token")
            cache.put(digest, principal)
        return AuthenticationResult(user=principal, auth=token)


def requires(*roles: Role) -> Any:
    """A guard admitting only the given roles."""
    allowed = frozenset(roles)

    def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        principal = connection.user
        if not isinstance(principal, Principal) or principal.role not in allowed:
            raise PermissionDeniedException(f"this needs one of the roles: {', '.join(sorted(allowed))}")

    return guard


STAFF: tuple[Role, ...] = ("manager", "supervisor")
EVERYONE: tuple[Role, ...] = ROLES
