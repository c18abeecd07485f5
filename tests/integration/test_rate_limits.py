"""Rate limits per client address: wrong bearer tokens, failed sign-ins and CRM webhook calls get 429 with
Retry-After past their limit; on Redis several processes count as one."""

from __future__ import annotations

import asyncio
import os
import uuid
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from ops.limits import MemoryLimiter, RedisLimiter
from tests.conftest import REDIS_SKIP
from tests.helpers import bearer, load_reference, token

Client = AsyncTestClient[Litestar]


async def test_the_501st_wrong_token_from_one_address_in_a_minute_gets_429(client: Client, db: Any) -> None:
    await load_reference(db)
    good = await token(db, "manager")
    statuses = [(await client.get("/api/contracts", headers=bearer(f"ops_wrong{i}"))).status_code for i in range(500)]
    assert statuses == [401] * 500
    refused = await client.get("/api/contracts", headers=bearer("ops_wrong501"))
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert "too many wrong tokens" in refused.text
    # The address is blocked for the rest of its minute, whatever it sends next; a token seen a moment ago
    # (remembered by the cache) costs the limit nothing, a fresh one meets the block.
    assert (await client.get("/api/contracts", headers=bearer(good))).status_code == 429


async def test_a_remembered_good_token_is_not_slowed_by_the_limit(app: Litestar, client: Client, db: Any) -> None:
    await load_reference(db)
    good = await token(db, "manager")
    assert (await client.get("/api/contracts", headers=bearer(good))).status_code == 200
    app.state.settings.bad_tokens_per_minute = 3
    for _ in range(3):
        assert (await client.get("/api/contracts", headers=bearer("ops_wrong"))).status_code == 401
    assert (await client.get("/api/contracts", headers=bearer("ops_wrong"))).status_code == 429
    assert (await client.get("/api/contracts", headers=bearer(good))).status_code == 200


async def test_failed_sign_ins_are_limited_and_told_in_the_readers_language(
    app: Litestar, client: Client, db: Any
) -> None:
    await load_reference(db)
    good = await token(db, "manager")
    pt = {"accept-language": "pt-BR"}
    for _ in range(app.state.settings.login_failures_per_minute):
        assert (await client.post("/login", data={"token": "ops_guess"}, headers=pt)).status_code == 401
    refused = await client.post("/login", data={"token": good}, headers=pt, follow_redirects=False)
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) >= 1
    assert "Tentativas demais a partir deste endereço" in refused.text
    assert "ops_session" not in refused.headers.get("set-cookie", "")


async def test_the_crm_webhook_is_limited_per_address(app: Litestar, client: Client, db: Any) -> None:
    await load_reference(db)
    app.state.settings.webhook_calls_per_minute = 5
    headers = {"X-Ops-Timestamp": "1", "X-Ops-Signature": "sha256=00", "X-Ops-Contract": "reference"}
    for _ in range(5):
        assert (await client.post("/api/webhooks/crm", content=b"{}", headers=headers)).status_code == 401
    refused = await client.post("/api/webhooks/crm", content=b"{}", headers=headers)
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1


async def test_a_window_ends_and_the_count_starts_again() -> None:
    limiter = MemoryLimiter()
    assert [await limiter.hit("k", limit=2, window=1) for _ in range(3)][:2] == [None, None]
    assert await limiter.blocked("k", limit=2, window=1) is not None
    assert await limiter.blocked("other", limit=2, window=1) is None
    await asyncio.sleep(1.05)
    assert await limiter.blocked("k", limit=2, window=1) is None
    assert await limiter.hit("k", limit=2, window=1) is None


@pytest.mark.redis
async def test_on_redis_two_processes_count_as_one() -> None:
    url = os.environ.get("OPS_TEST_REDIS_URL")
    if not url:
        pytest.skip(REDIS_SKIP)
    prefix = f"ops:test:{uuid.uuid4().hex}:"
    first, second = RedisLimiter(url, prefix), RedisLimiter(url, prefix)
    try:
        waits = []
        for i in range(6):
            waits.append(await (first if i % 2 else second).hit("token:10.0.0.9", limit=5, window=60))
        assert waits[:5] == [None] * 5
        assert waits[5] is not None and 55 <= waits[5] <= 60
        assert await first.blocked("token:10.0.0.9", limit=5) is not None
        assert await second.blocked("token:10.0.0.10", limit=5) is None
    finally:
        await first.redis.delete(f"{prefix}token:10.0.0.9")
        await first.close()
        await second.close()


@pytest.mark.redis
async def test_the_app_counts_wrong_tokens_in_redis_when_it_is_configured(settings: Any, db: Any) -> None:
    url = os.environ.get("OPS_TEST_REDIS_URL")
    if not url:
        pytest.skip(REDIS_SKIP)
    from ops.app import create_app

    apps = [create_app(settings.model_copy(update={"redis_url": url, "bad_tokens_per_minute": 4})) for _ in "ab"]
    for app in apps:
        app.state.limiter.prefix = f"ops:test:{uuid.uuid4().hex[:8]}:"
    apps[1].state.limiter.prefix = apps[0].state.limiter.prefix
    async with AsyncTestClient(app=apps[0]) as one, AsyncTestClient(app=apps[1]) as two:
        codes = [(await c.get("/api/contracts", headers=bearer("ops_x"))).status_code for c in (one, two) * 2]
        assert codes == [401] * 4
        assert (await two.get("/api/contracts", headers=bearer("ops_x"))).status_code == 429
        assert (await one.get("/api/contracts", headers=bearer("ops_x"))).status_code == 429


async def test_while_redis_is_unreachable_the_process_counts_alone() -> None:
    from tests.mailers import free_port

    limiter = RedisLimiter(f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    try:
        waits = [await limiter.hit("login:10.0.0.7", limit=2) for _ in range(3)]
        assert waits[:2] == [None, None] and waits[2] is not None
        assert await limiter.blocked("login:10.0.0.7", limit=2) is not None
    finally:
        await limiter.close()
