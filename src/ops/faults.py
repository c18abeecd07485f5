"""Faults at the HTTP edge: a request id on every response, 503 with Retry-After when the database or Redis cannot
be reached, 409 when a concurrent request took the same unique key first, and every other unhandled error logged
with its traceback and answered 500 with the request id."""

from __future__ import annotations

import contextlib
import json
import logging
import re
import socket
import uuid
from html import escape
from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException
from litestar.exceptions.responses import create_exception_response
from litestar.types import BeforeMessageSendHookHandler, Message, Scope
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


def unique_violation(exc: BaseException) -> str | None:
    """The key a unique constraint found taken (two requests storing the same thing at the same instant), else None.
    Services look a key up before inserting it; this answers the race they lose."""
    if not isinstance(exc, sa_exc.IntegrityError):
        return None
    orig = exc.orig
    cause = getattr(orig, "__cause__", None)
    if getattr(cause, "sqlstate", None) == "23505" or getattr(orig, "sqlstate", None) == "23505":  # asyncpg
        return str(getattr(cause, "constraint_name", None) or "a unique key")
    text = str(orig)
    if "UNIQUE constraint failed" in text:  # SQLite names the columns
        return text.split("UNIQUE constraint failed:", 1)[1].strip()
    return None


def _error_body(status: int, rid: str) -> bytes:
    detail = "the database or Redis cannot be reached: try again" if status == 503 else "Internal Server Error"
    return json.dumps({"status_code": status, "detail": detail, "request_id": rid}).encode()


def commit_at_response(session_scope_key: str) -> BeforeMessageSendHookHandler:
    """The request's commit, as the response starts (2xx and 3xx commit, the rest roll back). Unlike
    advanced-alchemy's autocommit handler, which logs a failed commit at DEBUG and lets the 2xx go out, a commit
    that fails turns the response into a 503 with Retry-After (database out of reach) or a logged 500: a caller is
    never told that something was stored when it was not."""
    from advanced_alchemy.extensions.litestar._utils import delete_aa_scope_state, get_aa_scope_state

    async def handler(message: Message, scope: Scope) -> None:
        holder: dict[str, Any] = scope  # type: ignore[assignment]
        if message["type"] == "http.response.body" and _FAILED_KEY in holder:
            message["body"] = holder.pop(_FAILED_KEY)
            message["more_body"] = False
            return
        session = get_aa_scope_state(scope, session_scope_key)
        if session is None or message["type"] not in ("http.response.start", "http.disconnect"):
            return
        try:
            if message["type"] == "http.response.start" and 200 <= message["status"] < 400:
                try:
                    await session.commit()
                except Exception as exc:
                    rid = request_id(scope)
                    status = 503 if unreachable(exc) else 500
                    if status == 503:
                        log.warning("503: the commit failed (request %s): %s: %s", rid, type(exc).__name__, exc)
                    else:
                        log.error("500: the commit failed (request %s)", rid, exc_info=exc)
                    request: Request[Any, Any, Any] = Request(scope)
                    page = _wants_page(request)
                    body = _page_html(request, status, rid).encode() if page else _error_body(status, rid)
                    kept = [(k, v) for k, v in message.get("headers", ()) if k.lower() not in _REPLACED_HEADERS]
                    extra = [(b"retry-after", str(RETRY_AFTER_SECONDS).encode())] if status == 503 else []
                    message["status"] = status
                    message["headers"] = [
                        *kept,
                        (b"content-type", b"text/html; charset=utf-8" if page else b"application/json"),
                        (b"content-length", str(len(body)).encode()),
                        *extra,
                    ]
                    holder[_FAILED_KEY] = body
                    with contextlib.suppress(Exception):
                        await session.rollback()
            else:
                with contextlib.suppress(Exception):  # a rollback on a lost connection: nothing to undo
                    await session.rollback()
        finally:
            with contextlib.suppress(Exception):
                await session.close()
            delete_aa_scope_state(scope, session_scope_key)

    return handler


_FAILED_KEY = "ops_failed_commit_body"
_REPLACED_HEADERS = frozenset({b"content-type", b"content-length", b"location", b"set-cookie"})


def _wants_page(request: Request[Any, Any, Any]) -> bool:
    return not request.url.path.startswith(("/api", "/schema", "/health")) and "text/html" in request.headers.get(
        "accept", ""
    )


def _language(request: Request[Any, Any, Any]) -> str:
    chosen = request.cookies.get(LANG_COOKIE)
    return language(chosen) if chosen else negotiate(request.headers.get("accept-language"))


_PAGE_WORDS = {
    503: ("Temporarily unavailable", "The service cannot reach its database right now. Try again shortly."),
    500: ("Something went wrong", "The error was recorded under this request id."),
}


def _page_html(request: Request[Any, Any, Any], status: int, rid: str) -> str:
    lang = _language(request)
    _ = gettext(lang)
    title, text = (_(words) for words in _PAGE_WORDS[status])
    return (
        f'<!doctype html><html lang="{escape(lang)}"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        f"</head><body><h1>{escape(title)}</h1><p>{escape(text)}</p>"
        f"<p><small>{escape(_('Request id'))}: <code>{escape(rid)}</code></small></p></body></html>"
    )


def _page(request: Request[Any, Any, Any], status: int, rid: str) -> Response[str]:
    return Response(_page_html(request, status, rid), status_code=status, media_type=MediaType.HTML)


def server_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """What no other handler took: 503 with Retry-After when a backing service is down, else a logged 500."""
    if isinstance(exc, HTTPException) and exc.status_code != 500:
        return create_exception_response(request, exc)
    rid = request_id(request.scope)
    if unreachable(exc):
        log.warning("503 on %s %s (request %s): %s: %s", request.method, request.url.path, rid, type(exc).__name__, exc)
        response: Response[Any] = (
            _page(request, 503, rid)
            if _wants_page(request)
            else Response(
                {"status_code": 503, "detail": "the database or Redis cannot be reached: try again", "request_id": rid},
                status_code=503,
            )
        )
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    taken = unique_violation(exc)
    if taken is not None:
        log.warning("409 on %s %s (request %s): %s taken meanwhile", request.method, request.url.path, rid, taken)
        detail = f"stored meanwhile by another request ({taken}): send it again to get the stored one"
        return Response({"status_code": 409, "detail": detail, "request_id": rid}, status_code=409)
    log.error("500 on %s %s (request %s)", request.method, request.url.path, rid, exc_info=exc)
    if _wants_page(request):
        return _page(request, 500, rid)
    return Response({"status_code": 500, "detail": "Internal Server Error", "request_id": rid}, status_code=500)
