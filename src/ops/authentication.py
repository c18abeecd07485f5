"""Who is calling: the middleware that resolves a bearer token (API) or a page session cookie (pages) to a
Principal and refuses an address past its wrong-token limit; the guard that checks the CSRF token of every write
a cookie authenticates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware.authentication import AbstractAuthenticationMiddleware, AuthenticationResult
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ops.auth import Grant, Principal, TokenCache, hash_token, token_grant
from ops.config import Settings
from ops.errors import Said, StaleFormError
from ops.l10n import N_
from ops.limits import Limiter, address, too_many
from ops.sessions import CSRF_FIELD, CSRF_HEADER, SESSION_COOKIE, csrf_matches, csrf_token, session_grant

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


@dataclass(frozen=True, slots=True)
class PageAuth:
    """`request.auth` of a request signed in by a page session: the pages put its CSRF token in their forms."""

    secret: str

    @property
    def csrf(self) -> str:
        return csrf_token(self.secret)


def bearer_from(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    scheme, _, value = connection.headers.get("authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def session_key(secret: str) -> str:
    """The cache key of a page session: apart from the tokens', so that a session id never passes as a token."""
    return "session:" + hash_token(secret)


def cross_site(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    """Why a write comes from another site (its Origin is not this host, or the browser says cross-site)."""
    origin = connection.headers.get("origin")
    if origin is not None and urlsplit(origin).netloc != connection.headers.get("host", ""):
        return f"a request from another site ({origin}) is refused"
    if connection.headers.get("sec-fetch-site") == "cross-site":
        return "a request from another site is refused"
    return None


async def csrf_guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Every route's guard: a write signed in by the page session cookie must come from this site and carry the
    session's CSRF token (form field or X-CSRF-Token header). Bearer-token calls are no browser's: they pass."""
    auth = connection.scope.get("auth")
    if not isinstance(auth, PageAuth) or connection.scope.get("method") in SAFE_METHODS:
        return
    problem = cross_site(connection)
    if problem is not None:
        raise PermissionDeniedException(problem)
    offered = connection.headers.get(CSRF_HEADER)
    if offered is None and isinstance(connection, Request) and connection.content_type[0] in FORM_TYPES:
        # The body is kept in the scope: the handler reads the same form again.
        value = (await connection.form()).get(CSRF_FIELD)
        offered = value if isinstance(value, str) else None
    if not csrf_matches(auth.secret, offered):
        raise StaleFormError(Said(N_("the form's CSRF token is missing or wrong: open the page again and resend it")))


class TokenAuthMiddleware(AbstractAuthenticationMiddleware):
    """Resolves the bearer token of the Authorization header, or else the page session cookie, to a Principal."""

    async def authenticate_request(self, connection: ASGIConnection[Any, Any, Any, Any]) -> AuthenticationResult:
        token = bearer_from(connection)
        if token is not None:
            return AuthenticationResult(user=await self.resolve(connection, hash_token(token), token, None), auth=token)
        secret = connection.cookies.get(SESSION_COOKIE)
        if not secret:
            raise NotAuthorizedException("missing bearer token")
        principal = await self.resolve(connection, session_key(secret), None, secret)
        return AuthenticationResult(user=principal, auth=PageAuth(secret))

    async def resolve(
        self, connection: ASGIConnection[Any, Any, Any, Any], key: str, token: str | None, secret: str | None
    ) -> Principal:
        state = connection.app.state
        cache: TokenCache = state.tokens
        principal = cache.get(key)
        if principal is not None:
            return principal
        settings: Settings = state.settings
        limiter: Limiter = state.limiter
        counter = f"token:{address(connection)}"
        wait = await limiter.blocked(counter, limit=settings.bad_tokens_per_minute)
        if wait is not None:
            raise too_many(wait, "wrong tokens")
        sessionmaker: async_sessionmaker[AsyncSession] = state.sessionmaker
        async with sessionmaker.begin() as session:
            if token is not None:
                grant = await token_grant(session, token)
            else:
                assert secret is not None
                grant = await session_grant(session, secret, idle=timedelta(hours=settings.session_idle_hours))
        if not isinstance(grant, Grant):
            wait = await limiter.hit(counter, limit=settings.bad_tokens_per_minute)
            if wait is not None:
                raise too_many(wait, "wrong tokens")
            raise NotAuthorizedException(grant)
        cache.put(key, grant)
        return grant.principal
