"""Tokens a manager can list and revoke; a revoked token stops opening anything within the cache's few seconds."""

from __future__ import annotations

import asyncio
import re
import time
from datetime import datetime, timedelta
from typing import Any

from click.testing import CliRunner
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from ops.auth import issue_token, revoke_token
from ops.auth_models import ApiToken
from ops.cli.main import main
from ops.db import utcnow
from tests.helpers import bearer, load_reference, sign_in, token


def test_list_shows_prefixes_never_secrets_and_revoke_takes_a_prefix(reference_cli: CliRunner) -> None:
    created = reference_cli.invoke(
        main, ["token", "create", "--role", "client", "--contract", "reference", "--name", "Ana"]
    )
    assert created.exit_code == 0, created.output
    secret = created.output.strip()
    listed = reference_cli.invoke(main, ["token", "list"])
    assert secret[:12] in listed.output and "Ana" in listed.output
    assert secret not in listed.output
    revoked = reference_cli.invoke(main, ["token", "revoke", secret[:12]])
    assert revoked.exit_code == 0 and "Ana" in revoked.output
    assert "revoked 20" in reference_cli.invoke(main, ["token", "list"]).output
    unknown = reference_cli.invoke(main, ["token", "revoke", "ops_nothere"])
    assert unknown.exit_code == 2
    assert "no token starts with 'ops_nothere'" in unknown.output
    again = reference_cli.invoke(main, ["token", "revoke", secret[:12]])
    assert again.exit_code == 0 and "Ana (already revoked 20" in again.stdout, again.output
    # As the list prints it (with its "…"), a shorter start of it, or the whole token: each names the one token.
    for given in (lambda s: s[:12] + "…", lambda s: s[:9], lambda s: s):
        other = reference_cli.invoke(
            main, ["token", "create", "--role", "client", "--contract", "reference", "--name", "Bia"]
        )
        token = other.output.strip()
        result = reference_cli.invoke(main, ["token", "revoke", given(token)])
        assert result.stdout.strip() == "revoked: Bia", result.output
        assert "(already" not in result.stdout
    # Case counts (SQLite's LIKE ignores it), and a whole token of another database names no token here.
    last = reference_cli.invoke(
        main, ["token", "create", "--role", "client", "--contract", "reference", "--name", "Cai"]
    )
    token = last.output.strip()
    for wrong in (token[:4] + token[4:12].swapcase(), token[:12] + "not-this-one"):
        if wrong[:12] == token[:12] and len(wrong) == 12:
            continue  # no letter to swap (digits and symbols only)
        missed = reference_cli.invoke(main, ["token", "revoke", wrong])
        assert missed.exit_code == 2 and "no token starts with" in missed.stderr, (wrong, missed.output)
    short = reference_cli.invoke(main, ["token", "revoke", "ops_"])
    assert short.exit_code == 2 and "give at least 8 characters of the token" in short.stderr


async def test_a_revoked_token_is_refused_once_the_cache_forgets_it(
    app: Litestar, client: AsyncTestClient[Litestar], db: Any
) -> None:
    await load_reference(db)
    value = await token(db, "manager", name="leaving")
    app.state.tokens.ttl = 0.2
    assert (await client.get("/api/contracts", headers=bearer(value))).status_code == 200
    async with db.begin() as session:
        await revoke_token(session, value[:12])
    await asyncio.sleep(0.25)
    refused = await client.get("/api/contracts", headers=bearer(value))
    assert refused.status_code == 401
    assert "revoked" in refused.text


async def test_a_wrong_token_is_never_remembered(app: Litestar, client: AsyncTestClient[Litestar], db: Any) -> None:
    for _ in range(2):
        assert (await client.get("/api/contracts", headers=bearer("ops_wrong"))).status_code == 401
    assert app.state.tokens.entries == {}


async def test_an_expired_token_is_refused_on_the_api_and_the_pages_even_while_remembered(
    app: Litestar, client: AsyncTestClient[Litestar], db: Any
) -> None:
    """The cache keeps a token a few seconds, but never past its expiry."""
    await load_reference(db)
    app.state.tokens.ttl = 60  # the cache alone would keep it well past its expiry
    async with db.begin() as session:
        value = await issue_token(
            session, name="brief", role="manager", contract_id=None, expires_in=timedelta(seconds=5)
        )
    issued = time.monotonic()  # 5 s: room for the sign-in and two requests on a loaded machine
    await sign_in(client, value)
    assert (await client.get("/staffing")).status_code == 200
    assert (await client.get("/api/contracts", headers=bearer(value))).status_code == 200
    assert app.state.tokens.entries  # remembered
    await asyncio.sleep(max(0.0, issued + 5.2 - time.monotonic()))
    refused = await client.get("/api/contracts", headers=bearer(value))
    assert refused.status_code == 401 and "token expired at" in refused.text
    page = await client.get("/staffing", follow_redirects=False)
    assert page.headers["location"].startswith("/login")
    again = await client.post("/login", data={"token": value}, follow_redirects=False)
    assert again.status_code == 401


async def test_tokens_last_their_roles_default(db: Any) -> None:
    await load_reference(db)
    agent = await token(db, "agent", "reference", name="agent")
    client = await token(db, "client", "reference", name="client")
    async with db() as session:
        until = dict((await session.execute(select(ApiToken.prefix, ApiToken.expires_at))).tuples().all())
    now = utcnow()
    assert timedelta(hours=11, minutes=59) < until[agent[:12]] - now <= timedelta(hours=12)
    assert timedelta(days=364, hours=23) < until[client[:12]] - now <= timedelta(days=365)


def test_the_command_line_issues_a_token_with_its_own_lifetime(reference_cli: CliRunner) -> None:
    created = reference_cli.invoke(
        main, ["token", "create", "--role", "manager", "--name", "Bia", "--expires-in", "2h"]
    )
    assert created.exit_code == 0, created.output
    line = next(x for x in reference_cli.invoke(main, ["token", "list"]).output.splitlines() if "Bia" in x)
    found = re.search(r"expires (\d{4}-\d\d-\d\d \d\d:\d\d)", line)
    assert found is not None
    expires = datetime.strptime(found.group(1), "%Y-%m-%d %H:%M").replace(tzinfo=utcnow().tzinfo)
    assert timedelta(hours=1, minutes=58) < expires - utcnow() <= timedelta(hours=2)
    for bad in ("forever", "0h", "-3d", "nanh", "99999d"):
        refused = reference_cli.invoke(
            main, ["token", "create", "--role", "manager", "--name", "X", "--expires-in", bad]
        )
        assert refused.exit_code == 2, (bad, refused.output)
        assert "is not a duration such as 30m, 12h or 90d" in refused.output
