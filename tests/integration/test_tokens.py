"""Tokens a manager can list and revoke; a revoked token stops opening anything within the cache's few seconds."""

from __future__ import annotations

import asyncio
from typing import Any

from click.testing import CliRunner
from litestar import Litestar
from litestar.testing import AsyncTestClient

from ops.auth import revoke_token
from ops.cli.main import main
from tests.helpers import bearer, load_reference, token


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
