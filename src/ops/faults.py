"""Faults at the HTTP edge: a request id on every response, 503 with Retry-After when the database or Redis cannot
be reached, and every other unhandled error logged with its traceback and answered 500 with the request id."""

from __future__ import annotations

import logging
import re
import socket
import uuid
from html import escape
from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException
from litestar.exceptions.responses import create_exception_response
from litestar.types import Message, Scope
from sqlalchemy import exc as sa_exc

from ops.l10n import gettext, language, negotiate

log = logging.getLogger("ops.http")

REQUEST_ID_HEADER = "X-Request-ID"
RETRY_AFTER_SECONDS = 5
# An id taken from the caller goes into logs and headers: short and plain, else a new one is made.
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")
_SCOPE_KEY = "ops_request_id"
LANG_COOKIE = "ops_lang"  # the pages' language switch (ops.web.i18n sets it)


def request_id(scope: Scope) -> str:
    """The request's id: the caller's X-Request-ID when it is a plain token, else a new one; the same all along."""
    holder: dict[str, Any] = scope  # type: ignore[assignment]
    found = holder.get(_SCOPE_KEY)
    if found is None:
        given = next((v for k, v in scope.get("headers", ()) if k == b"x-request-id"), b"").decode("latin-1")
        found = given if _SAFE_ID.match(given) else uuid.uuid4().hex
        holder[_SCOPE_KEY] = found
    return str(found)


async def add_request_id(message: Message, scope: Scope) -> None:
    """A before-send hook: every response, errors included, names its request."""
    if message["type"] == "http.response.start":
        message["headers"] = [*message.get("headers", ()), (b"x-request-id", request_id(scope).encode())]


def _redis_errors() -> tuple[type[BaseException], ...]:
    from redis import exceptions

    return (exceptions.ConnectionError, exceptions.TimeoutError, exceptions.BusyLoadingError)


def unreachable(exc: BaseException | None) -> bool:
    """Whether the error, or one it came from, says the database or Redis cannot be reached right now (refused,
    reset, timed out, locked, out of connections) rather than that the request or the code is wrong."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
            return True
        if isinstance(
            exc,
            (
                sa_exc.OperationalError,
                sa_exc.InterfaceError,
                sa_exc.TimeoutError,
                ConnectionError,
                TimeoutError,
                socket.gaierror,
                *_redis_errors(),
            ),
        ):
            return True
        if type(exc) is OSError and exc.errno is None:  # asyncpg's "Multiple exceptions: [Errno 111] ..."
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def _wants_page(request: Request[Any, Any, Any]) -> bool:
    return not request.url.path.startswith(("/api", "/schema", "/health")) and "text/html" in request.headers.get(
        "accept", ""
    )


def _language(request: Request[Any, Any, Any]) -> str:
    chosen = request.cookies.get(LANG_COOKIE)
    return language(chosen) if chosen else negotiate(request.headers.get("accept-language"))


def _page(request: Request[Any, Any, Any], status: int, title: str, text: str, rid: str) -> Response[str]:
    lang = _language(request)
    _ = gettext(lang)
    body = (
        f'<!doctype html><html lang="{escape(lang)}"><head><meta charset="utf-8"><title>{escape(_(title))}</title>'
        f"</head><body><h1>{escape(_(title))}</h1><p>{escape(_(text))}</p>"
        f"<p><small>{escape(_('Request id'))}: <code>{escape(rid)}</code></small></p></body></html>"
    )
    return Response(body, status_code=status, media_type=MediaType.HTML)


def server_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """What no other handler took: 503 with Retry-After when a backing service is down, else a logged 500."""
    if isinstance(exc, HTTPException) and exc.status_code != 500:
        return create_exception_response(request, exc)
    rid = request_id(request.scope)
    if unreachable(exc):
        log.warning("503 on %s %s (request %s): %s: %s", request.method, request.url.path, rid, type(exc).__name__, exc)
        title, text = "Temporarily unavailable", "The service cannot reach its database right now. Try again shortly."
        response: Response[Any] = (
            _page(request, 503, title, text, rid)
            if _wants_page(request)
            else Response(
                {"status_code": 503, "detail": "the database or Redis cannot be reached: try again", "request_id": rid},
                status_code=503,
            )
        )
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    log.error("500 on %s %s (request %s)", request.method, request.url.path, rid, exc_info=exc)
    if _wants_page(request):
        return _page(request, 500, "Something went wrong", "The error was recorded under this request id.", rid)
    return Response({"status_code": 500, "detail": "Internal Server Error", "request_id": rid}, status_code=500)
