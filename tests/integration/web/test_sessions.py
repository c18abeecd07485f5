"""Page sessions: a sign-in is its own server-side record (the cookie never holds the token), sign-out and a
revoked token end it, and every write a cookie signs in needs the session's CSRF token."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select, update

from ops.auth import revoke_token
from ops.auth_models import ApiToken, PageSession
from ops.db import utcnow
from ops.queues.models import Agent
from ops.sessions import CSRF_HEADER, SESSION_COOKIE
from tests.helpers import bearer, load_reference, sign_in, token
from tests.integration.queues.factories import make_agent

Client = AsyncTestClient[Litestar]
PT = {"accept-language": "pt-BR"}


async def test_the_cookie_holds_a_session_id_stored_only_hashed_never_the_token(client: Client, db: Any) -> None:
    await load_reference(db)
    value = await token(db, "client", "reference", name="Ana")
    signed = await client.post("/login", data={"token": value}, follow_redirects=False)
    assert signed.status_code == 303
    cookie = signed.headers["set-cookie"]
    assert value not in cookie
    secret = signed.cookies[SESSION_COOKIE]
    assert "httponly" in cookie.lower() and "samesite=strict" in cookie.lower()
    async with db() as session:
        stored = (await session.execute(select(PageSession))).scalar_one()
    assert secret not in (stored.secret_hash, str(stored.id)) and len(stored.secret_hash) == 64
    assert (await client.get("/portal")).status_code == 200
    # The session id is no API token: sent as a bearer it opens nothing.
    client.cookies.clear()
    assert (await client.get("/api/contracts", headers=bearer(secret))).status_code == 401


async def test_sign_out_ends_the_session_on_the_server(app: Litestar, client: Client, db: Any) -> None:
    await load_reference(db)
    secret = await sign_in(client, await token(db, "manager", name="Marta"))
    page = await client.get("/staffing")
    assert page.status_code == 200
    csrf = re.search(r'<form method="post" action="/logout"><input type="hidden" name="csrf" value="(\w+)"', page.text)
    assert csrf is not None
    del client.headers[CSRF_HEADER]
    out = await client.post("/logout", data={"csrf": csrf.group(1)}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/login"
    # A copy of the old cookie (kept by an attacker, or a browser that ignored the deletion) opens nothing.
    client.cookies.set(SESSION_COOKIE, secret)
    again = await client.get("/staffing", follow_redirects=False)
    assert again.status_code in (302, 303, 307) and again.headers["location"].startswith("/login")
    refused = await client.get("/api/contracts")
    assert refused.status_code == 401 and "signed out" in refused.text
    async with db() as session:
        assert (await session.execute(select(PageSession.revoked_at))).scalar_one() is not None


async def test_a_forged_sign_out_from_another_site_is_refused(client: Client, db: Any) -> None:
    await load_reference(db)
    await sign_in(client, await token(db, "manager"))
    del client.headers[CSRF_HEADER]
    forged = await client.post("/logout", data={}, headers={"Origin": "https://evil.example"}, follow_redirects=False)
    assert forged.status_code == 403
    assert (await client.get("/api/contracts")).status_code == 200


async def test_revoking_the_token_ends_its_page_sessions(app: Litestar, client: Client, db: Any) -> None:
    await load_reference(db)
    value = await token(db, "manager", name="leaving")
    await sign_in(client, value)
    assert (await client.get("/staffing")).status_code == 200
    async with db.begin() as session:
        await revoke_token(session, value[:12])
        assert (await session.execute(select(PageSession.revoked_at))).scalar_one() is not None
    app.state.tokens.forget()  # another process would forget it within the cache's 5 seconds
    page = await client.get("/staffing", follow_redirects=False)
    assert page.headers["location"].startswith("/login")
    assert (await client.post("/login", data={"token": value}, follow_redirects=False)).status_code == 401


async def test_an_idle_or_expired_session_opens_nothing(app: Litestar, client: Client, db: Any) -> None:
    await load_reference(db)
    value = await token(db, "manager")
    await sign_in(client, value)
    async with db.begin() as session:
        await session.execute(update(PageSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    app.state.tokens.forget()
    refused = await client.get("/api/contracts")
    assert refused.status_code == 401 and "session expired" in refused.text
    # A fresh sign-in works; then the token itself expires: the session ends with it.
    await sign_in(client, value)
    async with db.begin() as session:
        await session.execute(update(ApiToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    app.state.tokens.forget()
    refused = await client.get("/api/contracts")
    assert refused.status_code == 401 and "token expired" in refused.text


async def test_a_session_in_use_moves_its_idle_deadline_never_past_its_token(
    app: Litestar, client: Client, db: Any
) -> None:
    await load_reference(db)
    await sign_in(client, await token(db, "manager"))
    soon = utcnow() + timedelta(minutes=5)
    async with db.begin() as session:
        await session.execute(update(PageSession).values(expires_at=soon))
        await session.execute(update(ApiToken).values(expires_at=utcnow() + timedelta(hours=2)))
    app.state.tokens.forget()
    assert (await client.get("/api/contracts")).status_code == 200
    async with db() as session:
        moved = (await session.execute(select(PageSession.expires_at))).scalar_one()
        until = (await session.execute(select(ApiToken.expires_at))).scalar_one()
    assert soon + timedelta(minutes=30) < moved <= until


async def test_a_forged_cross_site_form_post_changes_nothing(client: Client, db: Any) -> None:
    """A page of another site posting the agent's status form: the browser sends the cookie (were it not
    SameSite) but the page cannot know the CSRF token. Refused, and the agent's status is as it was."""
    await load_reference(db)
    async with db.begin() as session:
        agent, secret = await make_agent(session, name="Ana")
    await sign_in(client, secret)
    del client.headers[CSRF_HEADER]
    forged = [
        ({}, {"status": "offline"}),
        ({"Origin": "https://evil.example"}, {"status": "offline"}),
        ({}, {"status": "offline", "csrf": "0" * 64}),
        ({"Sec-Fetch-Site": "cross-site"}, {"status": "offline"}),
    ]
    for headers, form in forged:
        response = await client.post("/work/status", data=form, headers=headers, follow_redirects=False)
        assert response.status_code == 403, (headers, form, response.text)
        assert "CSRF" in response.text or "another site" in response.text
    # A form shown before the current sign-in is out of date, not a matter of access: said so in the reader's words.
    stale = await client.post("/work/status", data={"status": "offline", "csrf": "0" * 64}, headers=PT)
    assert stale.status_code == 403 and "Formulário desatualizado" in stale.text
    assert "Seu acesso não permite" not in stale.text
    async with db() as session:
        assert (await session.get(Agent, agent.id)).status == "busy"  # type: ignore[union-attr]
    # The page's own form carries the token: the same post goes through.
    home = await client.get("/work")
    field = re.search(r'action="/work/status"[^>]*><input type="hidden" name="csrf" value="(\w+)"', home.text)
    assert field is not None
    done = await client.post("/work/status", data={"status": "offline", "csrf": field.group(1)}, follow_redirects=False)
    assert done.status_code == 303, done.text
    async with db() as session:
        assert (await session.get(Agent, agent.id)).status == "offline"  # type: ignore[union-attr]


async def test_api_writes_signed_in_by_the_cookie_need_the_csrf_header_bearer_ones_do_not(
    client: Client, db: Any
) -> None:
    await load_reference(db)
    async with db.begin() as session:
        _, secret = await make_agent(session, name="Ana")
    await sign_in(client, secret)
    csrf = client.headers.pop(CSRF_HEADER)
    body = {"status": "offline"}
    assert (await client.put("/api/agents/me/status", json=body)).status_code == 403
    assert (await client.put("/api/agents/me/status", json=body, headers={CSRF_HEADER: csrf})).status_code == 200
    client.cookies.clear()
    assert (await client.put("/api/agents/me/status", json=body, headers=bearer(secret))).status_code == 200


async def test_signing_in_again_ends_the_browsers_earlier_session_and_forgets_long_dead_ones(
    client: Client, db: Any
) -> None:
    await load_reference(db)
    value = await token(db, "manager")
    first = await sign_in(client, value)
    async with db.begin() as session:  # a session of this token that ended two months ago
        await session.execute(update(PageSession).values(expires_at=utcnow() - timedelta(days=60)))
    second = await sign_in(client, value)
    assert second != first
    async with db() as session:
        rows = (await session.execute(select(PageSession.revoked_at))).scalars().all()
    assert len(rows) == 1 and rows[0] is None  # the dead one is gone, the new one open
    assert (await client.get("/api/contracts")).status_code == 200
    third = await sign_in(client, value)
    async with db() as session:
        states = (await session.execute(select(PageSession.revoked_at).order_by(PageSession.id))).scalars().all()
    assert [s is None for s in states] == [False, True]  # the second ended by the third sign-in
    assert third != second
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, second)
    assert (await client.get("/api/contracts")).status_code == 401
