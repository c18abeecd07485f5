"""Agents' statuses with break reasons: set by the agent (API and /work, with its timer), forced by a supervisor
with a reason (API), each change an event naming who, when and why."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.helpers import bearer, sign_in, token
from tests.integration.queues.conftest import make_agent


async def test_a_break_names_a_reason_of_the_contract_through_the_api(
    client: AsyncTestClient[Litestar], qdb: Any
) -> None:
    _, secret = await make_agent(qdb, "Ana", {"bo_care": 1}, status="busy")
    me = bearer(secret)
    missing = await client.put("/api/agents/me/status", json={"status": "break"}, headers=me)
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "reason"
    unknown = await client.put("/api/agents/me/status", json={"status": "break", "reason": "nap"}, headers=me)
    assert unknown.status_code == 422
    assert "nap is not a break reason of the contract (rest, meal, restroom, training, feedback)" in unknown.text
    stray = await client.put("/api/agents/me/status", json={"status": "busy", "reason": "meal"}, headers=me)
    assert stray.status_code == 422
    ok = await client.put("/api/agents/me/status", json={"status": "break", "reason": "rest"}, headers=me)
    assert ok.status_code == 200, ok.text
    assert (ok.json()["status"], ok.json()["status_reason"]) == ("break", "rest")
    assert ok.json()["status_since"] is not None


async def test_a_supervisor_forces_a_status_with_a_reason_and_the_events_say_who_and_why(
    client: AsyncTestClient[Litestar], qdb: Any
) -> None:
    agent_id, _ = await make_agent(qdb, "Ana", {"bo_care": 1}, status="available")
    boss = bearer(await token(qdb, "supervisor", "reference", name="Sofia"))
    path = f"/api/agents/{agent_id}/status"
    no_note = await client.put(path, json={"status": "offline", "note": " "}, headers=boss)
    assert no_note.status_code == 422
    assert no_note.json()["errors"] == [{"field": "note", "problem": "Say why you change this agent's status."}]
    forced = await client.put(path, json={"status": "break", "reason": "feedback", "note": "1:1"}, headers=boss)
    assert forced.status_code == 200, forced.text
    assert forced.json()["status_reason"] == "feedback"
    events = (await client.get(f"/api/agents/{agent_id}/events", headers=boss)).json()
    assert (events[0]["actor"], events[0]["after"], events[0]["note"]) == (
        "supervisor:Sofia",
        {"status": "break", "reason": "feedback"},
        "1:1",
    )
    assert events[1]["after"] == {"status": "available", "reason": None}
    manager = bearer(await token(qdb, "manager", "reference"))
    assert (await client.put(path, json={"status": "busy", "note": "x"}, headers=manager)).status_code == 403


async def test_the_agent_takes_a_break_on_the_work_page_and_sees_its_timer(
    client: AsyncTestClient[Litestar], qdb: Any
) -> None:
    _, secret = await make_agent(qdb, "Ana", {"bo_care": 1}, status="busy")
    await sign_in(client, secret)
    page = await client.get("/work", headers={"accept-language": "es-AR"})
    assert 'id="agent-reason"' in page.text and "Refeição" in page.text
    refused = await client.post("/work/status", data={"status": "break"}, headers={"accept-language": "es-AR"})
    assert refused.status_code == 422
    assert "Diga por qué: elija el motivo de la pausa." in refused.text
    done = await client.post(
        "/work/status", data={"status": "break", "reason": "meal"}, headers={"accept-language": "pt-BR"}
    )
    assert done.status_code == 200  # followed to /work
    assert '<option value="meal" selected>' in done.text
    assert 'id="status-timer"' in done.text and 'class="elapsed"' in done.text and "Neste status há" in done.text
