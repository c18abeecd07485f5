"""Mass outages: a burst of technical tickets from one area becomes one incident, worked as one."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.helpers import bearer, token
from tests.integration.queues.conftest import agent_row, delivery, make_agent, sp


def no_signal(minute: int, area: str = "Perdizes - São Paulo/SP", **fields: Any) -> dict[str, Any]:
    return delivery(
        channel="crm",
        reason="building_no_signal",
        subject="Prédio sem sinal",
        body="Internet e TV fora do ar.",
        customer={"id": f"C{minute}", "area": area},
        created_at=sp(2, 10, minute).isoformat(),
        **fields,
    )


async def test_a_burst_from_one_area_opens_one_incident(api: AsyncTestClient[Litestar], qdb: Any) -> None:
    # The reference contract: 5 technical tickets of one area within 30 minutes, forecast 4 hours.
    first_four = [(await api.post("/api/tickets", json=no_signal(m))).json() for m in (0, 7, 14, 21)]
    assert all(t["incident"] is None for t in first_four)
    # Same area spelled differently, and a billing question from the area: the first counts, not the second.
    billing = (await api.post("/api/tickets", json=delivery(customer={"area": "PERDIZES são paulo sp"}))).json()
    fifth = (await api.post("/api/tickets", json=no_signal(28, area="perdizes  sao paulo - SP"))).json()
    incident = fifth["incident"]
    assert incident is not None
    assert incident["opened_at"] == "2026-03-02T13:00:00Z"  # the oldest grouped ticket
    assert incident["forecast_end"] == "2026-03-02T17:00:00Z"
    for ticket in first_four:
        linked = (await api.get(f"/api/tickets/{ticket['id']}")).json()
        assert linked["incident"]["id"] == incident["id"]
    assert (await api.get(f"/api/tickets/{billing['id']}")).json()["incident"] is None

    # Later technical tickets of the area join it; other areas do not.
    later = (await api.post("/api/tickets", json=no_signal(50))).json()
    elsewhere = (await api.post("/api/tickets", json=no_signal(51, area="Moema"))).json()
    assert later["incident"]["id"] == incident["id"]
    assert elsewhere["incident"] is None
    listed = (await api.get("/api/incidents")).json()
    assert [(i["id"], i["tickets"], i["status"]) for i in listed] == [(incident["id"], 6, "open")]


async def test_a_slow_trickle_is_not_an_outage(api: AsyncTestClient[Litestar], qdb: Any) -> None:
    for minute in (0, 10, 20, 31, 45, 59):  # never 5 within 30 minutes
        assert (await api.post("/api/tickets", json=no_signal(minute))).json()["incident"] is None
    assert (await api.get("/api/incidents")).json() == []


async def test_bulk_deliveries_group_too(api: AsyncTestClient[Litestar], qdb: Any) -> None:
    body = (await api.post("/api/tickets/bulk", json=[no_signal(m) for m in (0, 5, 10, 15, 20)])).json()
    incidents = {r["ticket"]["incident"]["id"] if r["ticket"]["incident"] else None for r in body["results"]}
    assert body["created"] == 5
    assert None not in incidents and len(incidents) == 1


async def test_ending_the_outage_resolves_its_tickets_and_frees_their_agents(
    api: AsyncTestClient[Litestar], qdb: Any
) -> None:
    agent_id, secret = await make_agent(qdb, "Bia", {"bo_helpdesk": 1}, capacity=10, status="busy")
    tickets = [(await api.post("/api/tickets", json=no_signal(m))).json() for m in (0, 5, 10, 15, 20)]
    incident_id = tickets[-1]["incident"]["id"]
    claimed = await api.post("/api/queues/bo_helpdesk/next", headers=bearer(secret))
    assert claimed.status_code == 200
    assert (await agent_row(qdb, agent_id)).open_count == 1

    extended = await api.patch(f"/api/incidents/{incident_id}", json={"forecast_end": "2026-03-02T20:00:00Z"})
    assert extended.json()["forecast_end"] == "2026-03-02T20:00:00Z"
    assert (await api.get(f"/api/tickets/{tickets[0]['id']}")).json()["incident"]["forecast_end"] == (
        "2026-03-02T20:00:00Z"
    )

    client_token = bearer(await token(qdb, "client", "reference"))
    assert (await api.post(f"/api/incidents/{incident_id}/resolve", headers=client_token)).status_code == 403
    resolved = (await api.post(f"/api/incidents/{incident_id}/resolve")).json()
    assert resolved["tickets_resolved"] == 5
    assert resolved["incident"]["status"] == "resolved"
    statuses = {(await api.get(f"/api/tickets/{t['id']}")).json()["status"] for t in tickets}
    assert statuses == {"resolved"}
    assert (await agent_row(qdb, agent_id)).open_count == 0
    # Ending it again changes nothing; a later ticket of the area starts counting afresh.
    assert (await api.post(f"/api/incidents/{incident_id}/resolve")).json()["tickets_resolved"] == 0
    assert (await api.post("/api/tickets", json=no_signal(40))).json()["incident"] is None


async def test_ending_the_outage_stops_the_sla_clocks_of_its_tickets(qdb: Any) -> None:
    from sqlalchemy import select

    from ops.auth import Principal
    from ops.queues.intake.incidents import resolve_incident
    from ops.queues.intake.services import create_ticket
    from ops.queues.models import Ticket, TicketEvent

    created = []
    async with qdb.begin() as session:
        for minute in (0, 5, 10, 15, 20):
            ticket, _, _ = await create_ticket(
                session, contract_code="reference", data=no_signal(minute), source_kind="api", now=sp(2, 10, minute)
            )
            created.append(ticket.id)
        assert ticket.incident_id is not None
        incident_id = ticket.incident_id
    staff = Principal(token_id=0, name="sup", role="supervisor", contract_id=None, agent_id=None)
    async with qdb.begin() as session:
        # Tuesday 10:00: 9 business hours (10-12, 13-18, 08-10) after the first ticket.
        _, count = await resolve_incident(session, incident_id=incident_id, principal=staff, actor="sup", now=sp(3, 10))
    assert count == 5
    async with qdb() as session:
        tickets = {t.id: t for t in (await session.execute(select(Ticket).where(Ticket.id.in_(created)))).scalars()}
        breaches = (
            await session.execute(
                select(TicketEvent.ticket_id, TicketEvent.after).where(TicketEvent.action == "sla_breach")
            )
        ).tuples()
        breached_kinds = {(tid, after["kind"]) for tid, after in breaches}
    first = tickets[created[0]]
    # The resolution answers the customer and ends the ticket: both clocks stop at the same minute.
    assert first.first_response_minutes == 540
    assert first.resolution_minutes == 540
    assert tickets[created[-1]].resolution_minutes == 520
    # Past the first-response target, within the resolution target; each breach is recorded once.
    assert all(t.first_response_breached and not t.resolution_breached for t in tickets.values())
    assert breached_kinds == {(tid, "first_response") for tid in created}
