"""Hostile and mistaken deliveries (issue 13): dates outside the window, control characters, deep JSON and
counts that only look like digits get a 4xx naming the field and store nothing; in bulk the good rows stay.
Run on SQLite and PostgreSQL (where a NUL used to be a 500 that sank the whole batch)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from ops.queues.models import Ticket
from tests.integration.queues.conftest import delivery, settle
from tests.integration.queues.intake.test_webhook import SECRET, signed


async def count(sessionmaker: Any) -> int:
    async with sessionmaker() as session:
        return int((await session.execute(select(func.count()).select_from(Ticket))).scalar_one())


@pytest.mark.parametrize("created_at", ["0002-01-01T00:00:00", "0001-01-01T00:00:00-03:00", "9999-12-31T00:00:00"])
async def test_a_creation_time_outside_the_window_is_a_422(
    api: AsyncTestClient[Litestar], qdb: Any, created_at: str
) -> None:
    response = await api.post("/api/tickets", json=delivery(created_at=created_at))
    assert response.status_code == 422, response.text
    (error,) = response.json()["errors"]
    assert error["field"] == "created_at"
    assert "outside 2000-01-01 to" in error["problem"]
    assert await count(qdb) == 0


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"subject": "sem\x00conexão"}, "subject"),
        ({"external_id": "CRM\x00-1"}, "external_id"),
        ({"customer": {"name": "Ana\x00Souza"}}, "customer.name"),
        ({"crm_extra": {"nota": "\x00"}}, "crm_extra.nota"),
        ({"body": "texto\x07"}, "body"),
    ],
)
async def test_a_nul_or_control_character_is_a_422_naming_the_field(
    api: AsyncTestClient[Litestar], qdb: Any, fields: dict[str, Any], field: str
) -> None:
    response = await api.post("/api/tickets", json=delivery(**fields))
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == [field]
    assert await count(qdb) == 0


async def test_one_bad_row_never_sinks_a_bulk_batch(api: AsyncTestClient[Litestar], qdb: Any) -> None:
    rows = [
        delivery(external_id="G-1"),
        delivery(external_id="N-1", subject="nul\x00"),
        delivery(external_id="G-2"),
        delivery(external_id="Y-1", created_at="0002-01-01T00:00:00"),
        delivery(external_id="F-1", customer={"followers": "²"}),
        delivery(external_id="G-3"),
    ]
    response = await api.post("/api/tickets/bulk", json=rows)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["created"], body["existing"], body["rejected"]) == (3, 0, 3)
    assert [r["status"] for r in body["results"]] == ["created", "rejected"] * 2 + ["rejected", "created"]
    assert [r["errors"][0]["field"] for r in body["results"] if r["status"] == "rejected"] == [
        "subject",
        "created_at",
        "customer.followers",
    ]
    await settle(qdb)  # the good rows' push jobs hold the process's one SQLite connection until they end
    assert await count(qdb) == 3


async def test_json_nested_500_deep_is_a_4xx(api: AsyncTestClient[Litestar], qdb: Any) -> None:
    deep: Any = "leaf"
    for _ in range(500):
        deep = {"x": deep}
    response = await api.post("/api/tickets", json=delivery(crm_extra=deep))
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["problem"] == "nested deeper than 32 levels"
    far = b'{"a":' * 5000 + b"1" + b"}" * 5000
    assert (await api.post("/api/tickets", content=far)).status_code == 400
    assert await count(qdb) == 0


async def test_a_superscript_follower_count_on_the_webhook_is_a_422(
    client: AsyncTestClient[Litestar], qdb: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPS_CRM_SECRET_REFERENCE", SECRET)
    body = json.dumps(delivery(customer={"name": "Ana", "followers": "²"})).encode()
    response = await client.post("/api/webhooks/crm", content=body, headers=signed(body))
    assert response.status_code == 422, response.text
    assert response.json()["errors"] == [
        {"field": "customer.followers", "problem": "expected a non-negative integer, got '²'"}
    ]
    assert await count(qdb) == 0


async def test_a_follower_count_past_any_account_is_a_422(api: AsyncTestClient[Litestar], qdb: Any) -> None:
    """The API documents `customer.followers` below 10**18: 1e40 was stored and made the ticket high priority."""
    for followers in (1e40, 10**18):
        response = await api.post("/api/tickets", json=delivery(customer={"name": "Ana", "followers": followers}))
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["field"] == "customer.followers"
        assert "more followers than any account has" in response.json()["errors"][0]["problem"]
    ok = await api.post("/api/tickets", json=delivery(customer={"name": "Ana", "followers": 10**18 - 1}))
    assert ok.status_code == 201, ok.text
