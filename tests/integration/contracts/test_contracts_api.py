"""The contract API: loading, reading, and who may see what."""

from __future__ import annotations

import re
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.helpers import REFERENCE_CONTRACT, bearer, load_reference, token


async def test_every_api_route_needs_a_token(client: AsyncTestClient[Litestar], app: Litestar) -> None:
    api_paths = sorted({r.path for r in app.routes if r.path.startswith("/api")})
    assert api_paths, "the app exposes API routes"
    for path in api_paths:
        # Any value fits a parameter: the token is checked before the path's objects are looked up.
        concrete = re.sub(r"\{\w+:int\}", "1", re.sub(r"\{\w+:str\}", "reference", path))
        for method in ("GET", "POST"):
            response = await client.request(method, concrete)
            assert response.status_code in (401, 405), (method, concrete, response.status_code)
    bad = await client.get("/api/contracts", headers=bearer("ops_not-a-token"))
    assert bad.status_code == 401


async def test_health_is_public(client: AsyncTestClient[Litestar]) -> None:
    assert (await client.get("/health/live")).json() == {"status": "ok"}
    ready = await client.get("/health/ready")
    assert ready.status_code == 200
    assert ready.json()["checks"]["database"] == "ok"


async def test_client_sees_only_its_own_contract(client: AsyncTestClient[Litestar], db: Any) -> None:
    await load_reference(db)
    await load_reference(db, code="other")
    own = await token(db, "client", "reference")
    other = await token(db, "client", "other")

    listed = await client.get("/api/contracts", headers=bearer(own))
    assert [c["code"] for c in listed.json()] == ["reference"]
    assert (await client.get("/api/contracts/reference", headers=bearer(own))).status_code == 200
    assert (await client.get("/api/contracts/other", headers=bearer(own))).status_code == 404
    assert (await client.get("/api/contracts/reference", headers=bearer(other))).status_code == 404

    manager = await token(db, "manager")
    listed = await client.get("/api/contracts", headers=bearer(manager))
    assert [c["code"] for c in listed.json()] == ["other", "reference"]


async def test_reference_contract_has_the_annex_queues(client: AsyncTestClient[Litestar], db: Any) -> None:
    await load_reference(db)
    body = (await client.get("/api/contracts/reference", headers=bearer(await token(db, "manager")))).json()
    queues = {q["code"]: q for q in body["queues"]}
    assert list(queues) == ["care", "helpdesk", "retention", "bo_care", "bo_helpdesk", "social"]
    assert queues["care"]["base_positions"] == 15
    assert queues["helpdesk"]["base_positions"] == 15
    assert queues["care"]["sla"]["voice"]["answer_within_seconds"] == 20
    assert queues["care"]["sla"]["voice"]["target"] == 0.8
    assert queues["bo_care"]["calendar"]["country"] == "BR"
    no_internet = next(r for r in queues["helpdesk"]["reasons"] if r["code"] == "no_internet")
    assert no_internet["procedure"][0] == "Check the customer's block status"


async def test_load_over_api_is_idempotent_and_logs_changes(client: AsyncTestClient[Litestar], db: Any) -> None:
    manager = bearer(await token(db, "manager"))
    text = REFERENCE_CONTRACT.read_text(encoding="utf-8")
    first = await client.post("/api/contracts", content=text, headers=manager)
    assert first.json()["status"] == "created"
    again = await client.post("/api/contracts", content=text, headers=manager)
    assert again.json() == {"code": "reference", "status": "unchanged", "changes": []}
    changed = await client.post(
        "/api/contracts", content=text.replace("base_positions: 15", "base_positions: 18", 1), headers=manager
    )
    assert changed.json()["status"] == "updated"
    assert changed.json()["changes"] == [{"path": "queues.care.base_positions", "before": 15, "after": 18}]
    log = (await client.get("/api/contracts/reference/changes", headers=manager)).json()
    assert len(log) == 2
    assert log[1]["changes"][0]["after"] == 18


async def test_bad_contract_over_api_names_the_field(client: AsyncTestClient[Litestar], db: Any) -> None:
    manager = bearer(await token(db, "manager"))
    text = REFERENCE_CONTRACT.read_text(encoding="utf-8").replace("target: 0.80", "target: high", 1)
    response = await client.post("/api/contracts", content=text, headers=manager)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "queues[0].sla.voice.target"
    assert (await client.get("/api/contracts", headers=manager)).json() == []


async def test_roles_are_enforced(client: AsyncTestClient[Litestar], db: Any) -> None:
    await load_reference(db)
    client_token = bearer(await token(db, "client", "reference"))
    text = REFERENCE_CONTRACT.read_text(encoding="utf-8")
    assert (await client.post("/api/contracts", content=text, headers=client_token)).status_code == 403
    assert (await client.get("/api/contracts/reference/changes", headers=client_token)).status_code == 403


async def test_ready_checks_redis_when_configured(settings: Any) -> None:
    import os

    import pytest

    from ops.app import create_app
    from tests.conftest import REDIS_SKIP

    redis_url = os.environ.get("OPS_TEST_REDIS_URL")
    if not redis_url:
        pytest.skip(REDIS_SKIP)
    for url, status, check in ((redis_url, 200, "ok"), ("redis://127.0.0.1:1/0", 503, "error: ConnectionError")):
        app = create_app(settings.model_copy(update={"redis_url": url}))
        async with AsyncTestClient(app=app) as c:
            response = await c.get("/health/ready")
        assert response.status_code == status
        assert response.json()["checks"]["redis"] == check


async def test_a_queue_or_reason_in_use_cannot_leave_the_contract(client: AsyncTestClient[Litestar], db: Any) -> None:
    import yaml

    from ops.queues.intake.services import create_ticket

    manager = bearer(await token(db, "manager"))
    text = REFERENCE_CONTRACT.read_text(encoding="utf-8")
    await client.post("/api/contracts", content=text, headers=manager)
    async with db.begin() as session:
        await create_ticket(
            session,
            contract_code="reference",
            data={
                "source": "crm",
                "external_id": "T-1",
                "channel": "email",
                "reason": "speed_upgrade",
                "subject": "Upgrade",
                "body": "Quero 600 mega",
                "created_at": "2026-11-20T10:00:00-03:00",
            },
            source_kind="api",
            push=False,
        )
    document = yaml.safe_load(text)
    # Without the canned replies, which name bo_care's reasons: the file would be refused before the tickets count.
    document.pop("work")
    without_queue = {**document, "queues": [q for q in document["queues"] if q["code"] != "bo_care"]}
    without_queue["default_queue"] = "bo_helpdesk"
    without_queue["classification"] = [r for r in document["classification"] if r["queue"] != "bo_care"]
    refused = await client.post("/api/contracts", content=yaml.safe_dump(without_queue), headers=manager)
    assert refused.status_code == 409
    assert refused.json()["errors"][0]["field"] == "queues.bo_care"
    assert "1 tickets" in refused.json()["errors"][0]["problem"]

    bo_care = next(q for q in document["queues"] if q["code"] == "bo_care")
    fewer_reasons = {**bo_care, "reasons": [r for r in bo_care["reasons"] if r["code"] != "speed_upgrade"]}
    without_reason = {**document, "queues": [fewer_reasons if q is bo_care else q for q in document["queues"]]}
    refused = await client.post("/api/contracts", content=yaml.safe_dump(without_reason), headers=manager)
    assert refused.status_code == 409
    assert refused.json()["errors"][0]["field"] == "queues.bo_care.reasons.speed_upgrade"

    unused = {**document, "queues": [q for q in document["queues"] if q["code"] != "retention"]}
    assert (await client.post("/api/contracts", content=yaml.safe_dump(unused), headers=manager)).json()[
        "status"
    ] == "updated"
    body = (await client.get("/api/contracts/reference", headers=manager)).json()
    assert "bo_care" in [q["code"] for q in body["queues"]]
    assert "retention" not in [q["code"] for q in body["queues"]]
