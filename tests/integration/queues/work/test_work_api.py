"""The ticket work API: the work view with history, actions with versions, and who may act."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from ops.db import utcnow
from tests.helpers import bearer, load_reference, token
from tests.integration.queues.factories import make_agent, make_ticket

Client = AsyncTestClient[Litestar]


@pytest.fixture
async def world(client: Client, db: Any) -> dict[str, Any]:
    await load_reference(db)
    await load_reference(db, code="other")
    async with db.begin() as session:
        _, ana = await make_agent(session, name="Ana")
        _, bia = await make_agent(session, name="Bia")
        _, stranger = await make_agent(session, name="Zé", contract="other")
        ticket = await make_ticket(session, created_at=utcnow() - timedelta(hours=1))
    return {
        "ticket": ticket.id,
        "ana": bearer(ana),
        "bia": bearer(bia),
        "stranger": bearer(stranger),
        "client": bearer(await token(db, "client", "reference")),
        "manager": bearer(await token(db, "manager")),
    }


async def test_take_then_work_view_shows_checklist_fields_clocks_and_history(
    client: Client, world: dict[str, Any]
) -> None:
    url = f"/api/tickets/{world['ticket']}"
    taken = await client.post(f"{url}/actions/take", json={"version": 1}, headers=world["ana"])
    assert taken.status_code == 200, taken.text
    body = taken.json()
    assert (body["status"], body["version"], body["assigned_agent"]) == ("open", 2, "Ana")
    assert [c["step"] for c in body["checklist"]][:2] == [
        "Request recalculation and credit",
        "Record the recalculation number and resolution date",
    ]
    assert [(f["code"], f["type"], f["required"]) for f in body["fields"]] == [
        ("recalculation_number", "text", True),
        ("resolution_date", "date", True),
    ]
    assert [d["kind"] for d in body["deadlines"]] == ["first_response", "resolution"]
    assert "take" not in body["allowed_actions"] and "reply" in body["allowed_actions"]
    assert [e["action"] for e in body["history"]] == ["take"]

    ticked = await client.post(f"{url}/actions/tick", json={"version": 2, "item": 0}, headers=world["ana"])
    assert ticked.json()["checklist"][0]["done"] is True
    assert ticked.json()["checklist"][0]["by"].startswith("agent:Ana #")

    view = await client.get(f"{url}/work", headers=world["manager"])
    assert view.status_code == 200
    assert view.json()["allowed_actions"] == []
    assert view.json()["history"][-1]["after"] == {"step": 0, "done": True, "text": "Request recalculation and credit"}


async def test_a_stale_version_gets_409_and_names_the_current_one(client: Client, world: dict[str, Any]) -> None:
    url = f"/api/tickets/{world['ticket']}/actions"
    assert (await client.post(f"{url}/take", json={"version": 1}, headers=world["ana"])).status_code == 200
    stale = await client.post(f"{url}/note", json={"version": 1, "message": "x"}, headers=world["ana"])
    assert stale.status_code == 409
    assert stale.json()["errors"] == [{"field": "version", "problem": "stale; current version is 2"}]


async def test_resolving_without_the_reason_fields_gets_422_naming_them(client: Client, world: dict[str, Any]) -> None:
    url = f"/api/tickets/{world['ticket']}/actions"
    await client.post(f"{url}/take", json={"version": 1}, headers=world["ana"])
    missing = await client.post(f"{url}/resolve", json={"version": 2}, headers=world["ana"])
    assert missing.status_code == 422
    assert [e["field"] for e in missing.json()["errors"]] == ["fields.recalculation_number", "fields.resolution_date"]
    done = await client.post(
        f"{url}/resolve",
        json={
            "version": 2,
            "fields": {"recalculation_number": "RC-7", "resolution_date": "2026-12-01"},
            "override": "Resolvido por telefone",
        },
        headers=world["ana"],
    )
    assert done.status_code == 200 and done.json()["status"] == "resolved"
    assert done.json()["resolution_minutes"] is not None


@pytest.mark.parametrize(
    ("who", "action", "status"),
    [
        ("bia", "reply", 403),  # not assigned to her
        ("bia", "take", 403),  # someone else has it
        ("stranger", "note", 404),  # another contract's ticket does not exist for him
        ("client", "note", 403),  # clients never act on tickets
        ("manager", "note", 403),
        ("ana", "dance", 404),
    ],
)
async def test_who_may_act(client: Client, world: dict[str, Any], who: str, action: str, status: int) -> None:
    url = f"/api/tickets/{world['ticket']}/actions"
    await client.post(f"{url}/take", json={"version": 1}, headers=world["ana"])
    response = await client.post(f"{url}/{action}", json={"version": 2, "message": "oi"}, headers=world[who])
    assert response.status_code == status, response.text


async def test_unknown_body_fields_are_rejected(client: Client, world: dict[str, Any]) -> None:
    url = f"/api/tickets/{world['ticket']}/actions/take"
    response = await client.post(url, json={"version": 1, "agent": 3}, headers=world["ana"])
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "agent", "problem": "unknown field"}]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"version": 2, "message": "nota\x00oculta"}, "message"),
        ({"version": 2, "fields": {"recalculation_number": "R\x00-1"}}, "fields.recalculation_number"),
    ],
)
async def test_a_nul_in_an_action_is_a_422_and_changes_nothing(
    client: Client, world: dict[str, Any], body: dict[str, Any], field: str
) -> None:
    """Issue 13: PostgreSQL refuses NUL in text and JSON; it used to answer 500. Refused at the edge on both."""
    url = f"/api/tickets/{world['ticket']}"
    await client.post(f"{url}/actions/take", json={"version": 1}, headers=world["ana"])
    action = "note" if "message" in body else "fields"
    response = await client.post(f"{url}/actions/{action}", json=body, headers=world["ana"])
    assert response.status_code == 422, response.text
    (error,) = response.json()["errors"]
    assert error["field"] == field
    assert error["problem"].startswith("control character U+0000")
    view = (await client.get(f"{url}/work", headers=world["ana"])).json()
    assert (view["version"], [e["action"] for e in view["history"]]) == (2, ["take"])


async def test_fields_nested_thousands_deep_are_a_4xx_not_a_500(client: Client, world: dict[str, Any]) -> None:
    url = f"/api/tickets/{world['ticket']}"
    await client.post(f"{url}/actions/take", json={"version": 1}, headers=world["ana"])
    for depth, status in ((40, 422), (5000, 400)):
        body = b'{"version": 2, "fields": {"a": ' + b"[" * depth + b"]" * depth + b"}}"
        headers = {**world["ana"], "content-type": "application/json"}
        response = await client.post(f"{url}/actions/fields", content=body, headers=headers)
        assert response.status_code == status, response.text
        assert "nested" in response.json()["errors"][0]["problem"]
    view = (await client.get(f"{url}/work", headers=world["ana"])).json()
    assert view["version"] == 2
