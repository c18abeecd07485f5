"""The HTTP seam of idempotent requests. A POST under /api/ with an `Idempotency-Key` header (Stripe's convention,
the IETF draft-ietf-httpapi-idempotency-key-header) is answered normally the first time, and its 2xx answer is
stored with the key in the request's own transaction, just before `ops.faults.commit_at_response` commits it:
the effect and the stored answer commit together or not at all. A retry (same token, key, method, path and body)
gets the stored answer again, with `Idempotent-Replayed: true`, and changes nothing.

The handler's answer is held here until it is whole (the body is what gets stored), and only then let out
towards the commit. Of two requests racing with one key, the second one's insert meets the unique key: its
transaction rolls back, effect included, and it answers the first one's stored answer (or 409 when that cannot
be read yet). Routes outside token auth (the signed CRM webhook) and routes that say `opt={OPT: False}` (the
next-ticket claim, committed statement by statement) ignore the header.

A page form carries its key in a hidden field (`FORM_FIELD`, one fresh key per form shown, from `csrf_field()`):
its success (the 303 to the page to show next) is kept the same way, so a double click or a resent POST is sent
to the same page instead of recording a second payment, dispute or shift. Pages are answered `no-store`
(ops.web.headers): the Back button fetches a page again, with fresh keys."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from advanced_alchemy.extensions.litestar._utils import get_aa_scope_state, set_aa_scope_state
from litestar import Request
from litestar.enums import ScopeType
from litestar.handlers import HTTPRouteHandler
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from litestar.utils.scope.state import ScopeState
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncSession

from ops.auth import Principal
from ops.errors import ConflictError, InvalidInputError, Said
from ops.idempotency.services import HEADER, Answer, Ask, fingerprint, store_answer, stored_answer
from ops.l10n import N_

__all__ = ["FORM_FIELD", "HEADER", "OPT", "REPLAYED", "IdempotencyMiddleware", "honours", "key_problem"]

OPT = "idempotency_key"  # a handler's opt: False when it does not honour the header
FORM_FIELD = "_form_key"  # a page form's key, a hidden field
REPLAYED = "Idempotent-Replayed"
_RAW_HEADER = HEADER.lower().encode()
_VISIBLE_ASCII = re.compile(r"^[\x21-\x7e]{1,255}$")
_FORM_KEY = re.compile(r"[0-9a-f]{32}")  # secrets.token_hex(16), as csrf_field() writes it


def honours(handler: HTTPRouteHandler, path: str) -> bool:
    """Whether the operation takes the header: a POST under /api/ that needs a token and does not opt out."""
    return path.startswith("/api/") and _keyed(handler)


def _keyed(handler: HTTPRouteHandler) -> bool:
    """A POST that needs a token (a page's session included) and does not opt out."""
    return (
        "POST" in handler.http_methods
        and not handler.opt.get("exclude_from_auth")
        and handler.opt.get(OPT, True) is not False
    )


def key_problem(values: list[str]) -> str | None:
    """Why the header's values are not one key of 1-255 visible ASCII characters, else None."""
    if len(values) > 1:
        return "given more than once"
    if not _VISIBLE_ASCII.match(values[0]):
        return "must be 1 to 255 visible ASCII characters (no spaces or control characters)"
    return None


def _refuse(problem: str) -> InvalidInputError:
    return InvalidInputError(f"{HEADER}: {problem}", extra=[{"field": HEADER, "problem": problem}])


class IdempotencyMiddleware:
    """Answers a keyed retry from the stored answer, and stores a keyed request's 2xx answer (a page form's 303) in
    its transaction.
    Placed after the token authentication (it needs the caller) and before the handler; `session_scope_key` is
    where advanced-alchemy keeps the request's session, the one `commit_at_response` commits."""

    def __init__(self, app: ASGIApp, session_scope_key: str) -> None:
        self.app = app
        self.session_scope_key = session_scope_key

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP or scope.get("method") != "POST":
            await self.app(scope, receive, send)
            return
        handler = scope.get("route_handler")
        principal = scope.get("user")
        if not isinstance(principal, Principal) or not isinstance(handler, HTTPRouteHandler) or not _keyed(handler):
            await self.app(scope, receive, send)
            return
        request: Request[Any, Any, Any] = Request(scope, receive)
        page = not scope["path"].startswith("/api/")
        keyed = await (_form_key(request) if page else _header_key(request))
        if keyed is None:
            await self.app(scope, receive, send)
            return
        key, body_print = keyed
        query = scope.get("query_string", b"").decode("latin-1")
        ask = Ask(
            token_id=principal.token_id,
            key=f"form:{key}" if page else key,
            method="POST",
            target=scope["path"] + (f"?{query}" if query else ""),
            fingerprint=body_print,
        )
        session = self._session(scope, request)
        try:
            found = await stored_answer(session, ask)
        except InvalidInputError:
            if not page:
                raise
            # The form was sent, then changed and sent again from the same page shown (the Back button).
            raise ConflictError(Said(N_("This form was sent already: open the page again to send another."))) from None
        if found is not None:
            await _replay(send, found)
            return

        held: list[Message] = []

        async def hold(message: Message) -> None:
            if message["type"] == "http.response.start":
                # Nothing has left yet: an error met while storing can still be answered by the error handlers.
                ScopeState.from_scope(scope).response_started = False
            held.append(message)

        await self.app(scope, receive, hold)
        start = next((m for m in held if m["type"] == "http.response.start"), None)
        status = start["status"] if start is not None else 0
        if status >= 400:
            # Refused, maybe because the same request with this key got in first (a retry sent while the first was
            # still running waits for its locks, then finds the payment made): its answer, once stored, is this one's.
            await session.rollback()
            found = await stored_answer(session, ask)
            if found is not None:
                await _replay(send, found)
                return
        # What a key keeps: an API call's 2xx; a page form's 303 to the next page. A page shown in place (200) is
        # let through unkept: a notice ("no ticket to take"), or a result whose page is only worth once (a bulk
        # action's), so the form sent again runs afresh.
        elif start is not None and (status == 303 if page else 200 <= status < 300):
            answer = Answer(
                status_code=start["status"],
                content_type=_header(start, b"content-type"),
                body=b"".join(m.get("body", b"") for m in held if m["type"] == "http.response.body"),
                location=_header(start, b"location"),
            )
            await session.flush()  # the handler's own writes first: their errors are theirs, not the key's
            try:
                await store_answer(session, ask, answer)
            except sa_exc.IntegrityError:
                # Another request with this key committed first: this one's effect goes, its answer comes back.
                await session.rollback()
                found = await stored_answer(session, ask)
                if found is None:
                    raise ConflictError(f"a request with this {HEADER} is in progress; retry") from None
                await _replay(send, found)
                return
        for message in held:
            await send(message)

    def _session(self, scope: Scope, request: Request[Any, Any, Any]) -> AsyncSession:
        """The request's session (the handler's `db_session`), made now if nothing asked for it yet."""
        session: AsyncSession | None = get_aa_scope_state(scope, self.session_scope_key)
        if session is None:
            session = request.app.state.sessionmaker()
            set_aa_scope_state(scope, self.session_scope_key, session)
        return session


async def _header_key(request: Request[Any, Any, Any]) -> tuple[str, str] | None:
    """An API request's key (its header) and its body's fingerprint; None without the header."""
    values = [v.decode("latin-1") for k, v in request.scope.get("headers", ()) if k == _RAW_HEADER]
    if not values:
        return None
    if (problem := key_problem(values)) is not None:
        raise _refuse(problem)
    return values[0], fingerprint(await request.body())  # the body is kept in the scope: the handler reads it too


async def _form_key(request: Request[Any, Any, Any]) -> tuple[str, str] | None:
    """A page form's key (its hidden field) and its fields' fingerprint; None for a form without one (or no form).
    The parsed form is kept in the scope: the CSRF guard and the handler read it too."""
    if request.content_type[0] != "application/x-www-form-urlencoded":  # no page form uploads a file
        return None
    form = await request.form()
    key = form.get(FORM_FIELD)
    if not isinstance(key, str) or not _FORM_KEY.fullmatch(key):  # only what csrf_field() writes
        return None
    fields = sorted((k, v) for k, v in form.multi_items() if isinstance(v, str))
    return key, hashlib.sha256(json.dumps(fields).encode()).hexdigest()


def _header(start: Message, name: bytes) -> str | None:
    headers: list[tuple[bytes, bytes]] = start.get("headers", [])  # type: ignore[assignment]
    return next((v.decode("latin-1") for k, v in headers if k.lower() == name), None)


async def _replay(send: Send, answer: Answer) -> None:
    headers = [(b"content-length", str(len(answer.body)).encode()), (REPLAYED.lower().encode(), b"true")]
    if answer.content_type is not None:
        headers.append((b"content-type", answer.content_type.encode("latin-1")))
    if answer.location is not None:
        headers.append((b"location", answer.location.encode("latin-1")))
    await send({"type": "http.response.start", "status": answer.status_code, "headers": headers})
    await send({"type": "http.response.body", "body": answer.body, "more_body": False})
