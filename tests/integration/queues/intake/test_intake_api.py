"""Ticket intake through the API: one, many, retries, races, and every kind of bad input."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from ops.queues.intake.services import create_ticket
from ops.queues.models import Ticket, TicketEvent
from tests.helpers import REFERENCE_CONTRACT, bearer, load_reference, token
from tests.integration.queues.conftest import delivery


async def count(sessionmaker: Any) -> int:
    async with sessionmaker() as session:
        return int((await session.execute(select(func.count()).select_from(Ticket))).scalar_one())


async def test_a_ticket_gets_protocol_queue_priority_and_due_times(api: AsyncTestClient[Litestar], qdb: Any) -> None:
    response = await api.post("/api/tickets", json=delivery(external_id="CRM-1"))
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["protocol"] == "2026030200000001"  # the contract-local day the contact started, then the sequence
    assert body["queue"] == "bo_care"
    assert body["reason"] == "speed_upgrade"
    assert body["priority"] == "normal"
    assert body["status"] == "new"
    # bo_care, normal: first response in 240 and resolution in 1,620 business minutes of 08-12 / 13-18
    # from Monday 2 March 10:00 in São Paulo (UTC-3).
    assert body["first_response_due"] == "2026-03-02T18:00:00Z"
    assert body["resolution_due"] == "2026-03-05T13:00:00Z"

    second = await api.post("/api/tickets", json=delivery(external_id="CRM-2"))
    assert second.json()["protocol"] == "2026030200000002"


async def test_a_retried_delivery_returns_the_stored_ticket(api: AsyncTestClient[Litestar], qdb: Any) -> None:
    payload = delivery(external_id="CRM-77", subject="Primeira versão")
    first = await api.post("/api/tickets", json=payload)
    retry = await api.post("/api/tickets", json=payload | {"subject": "Reenvio com outro texto"})
    assert (first.status_code, retry.status_code) == (201, 200)
    assert retry.json()["id"] == first.json()["id"]
    assert retry.json()["protocol"] == first.json()["protocol"]
    assert retry.json()["subject"] == "Primeira versão"
    assert await count(qdb) == 1
    # The same external id from another source is another ticket.
    other = await api.post("/api/tickets", json=payload | {"source": "portal"})
    assert other.status_code == 201
    assert await count(qdb) == 2


async def test_raw_payload_and_creation_are_kept(api: AsyncTestClient[Litestar], qdb: Any) -> None:
    payload = delivery(crm_extra={"agency": "0042"})
    ticket_id = (await api.post("/api/tickets", json=payload)).json()["id"]
    async with qdb() as session:
        ticket = await session.get(Ticket, ticket_id)
        events = (await session.execute(select(TicketEvent).where(TicketEvent.ticket_id == ticket_id))).scalars()
        assert ticket is not None
        assert ticket.raw == payload
        assert [(e.action, e.after["via"]) for e in events] == [("created", "api")]


async def test_concurrent_deliveries_of_one_ticket_store_it_once(database_url: str, qdb: Any) -> None:
    payload = delivery(external_id="RACE-1")

    async def deliver() -> tuple[int, bool]:
        async with qdb.begin() as session:
            ticket, created, _ = await create_ticket(
                session, contract_code="reference", data=payload, source_kind="api"
            )
            return ticket.id, created

    outcomes = await asyncio.gather(*(deliver() for _ in range(8)))
    assert len({ticket_id for ticket_id, _ in outcomes}) == 1
    assert sorted(created for _, created in outcomes) == [False] * 7 + [True]
    assert await count(qdb) == 1


async def test_concurrent_bulk_deliveries_store_each_ticket_once(qdb: Any) -> None:
    from ops.queues.intake.services import create_tickets

    shared = [delivery(external_id=f"DUP-{n}") for n in range(30)]

    def order(batch: int) -> list[int]:
        return list(range(batch % 2, 30, 2)) + list(range(1 - batch % 2, 30, 2))

    async def deliver(batch: int) -> list[tuple[str, int | None]]:
        # The 30 shared tickets in one of two orders, then 5 of its own.
        rows = [shared[n] for n in order(batch)] + [delivery(external_id=f"OWN-{batch}-{n}") for n in range(5)]
        async with qdb.begin() as session:
            results = await create_tickets(session, contract_code="reference", rows=rows, source_kind="bulk")
        return [(r.status, r.ticket.id if r.ticket else None) for r in results]

    outcomes = await asyncio.gather(*(deliver(batch) for batch in range(4)))
    assert await count(qdb) == 30 + 4 * 5
    ids_by_key: dict[int, set[int | None]] = {}
    created = 0
    for batch, results in enumerate(outcomes):
        for n, (status, ticket_id) in zip(order(batch), results, strict=False):
            ids_by_key.setdefault(n, set()).add(ticket_id)
            created += status == "created"
        assert [status for status, _ in results[30:]] == ["created"] * 5
    # Every delivery of a shared ticket got the one stored ticket, created by exactly one of them.
    assert all(len(ids) == 1 and None not in ids for ids in ids_by_key.values())
    assert created == 30


async def test_missing_and_mistyped_fields_are_each_named(api: AsyncTestClient[Litestar], qdb: Any) -> None:
    bad = delivery(
        external_id=None,
        channel=None,
        subject=["not", "text"],
        customer={"name": "Ana", "followers": "many"},
        created_at="yesterday",
    )
    response = await api.post("/api/tickets", json=bad)
    assert response.status_code == 422
    problems = {e["field"]: e["problem"] for e in response.json()["errors"]}
    assert problems == {
        "external_id": "required",
        "channel": "required",
        "subject": "expected a string, got list",
        "customer.followers": "expected a non-negative integer, got 'many'",
        "created_at": "'yesterday' is not an ISO 8601 date-time such as 2026-11-23T10:15:00-03:00",
    }
    assert (await api.post("/api/tickets", json=delivery(channel="pigeon"))).json()["errors"][0]["field"] == "channel"
    assert await count(qdb) == 0


async def test_unknown_contract_reason_and_future_times_are_refused(api: AsyncTestClient[Litestar], qdb: Any) -> None:
    cases = {
        "contract": delivery(contract="nobody"),
        "reason": delivery(reason="teleport"),
        "created_at": delivery(created_at="2099-01-01T00:00:00Z"),
    }
    for field, payload in cases.items():
        response = await api.post("/api/tickets", json=payload)
        assert response.status_code == 422, field
        assert [e["field"] for e in response.json()["errors"]] == [field]
    assert await count(qdb) == 0


async def test_a_lone_surrogate_escape_is_named_not_called_truncated(api: AsyncTestClient[Litestar], qdb: Any) -> None:
    # msgspec refuses half a surrogate pair (it said "Input data was truncated" of a complete body): a 400 naming it.
    headers = {"content-type": "application/json"}
    lone = b'{"external_id": "a", "channel": "email", "subject": "\\ud800"}'
    response = await api.post("/api/tickets", content=lone, headers=headers)
    assert response.status_code == 400, response.text
    problem = "malformed JSON: a lone surrogate escape (\\ud800) is not valid text"
    assert response.json()["errors"] == [{"field": "body", "problem": problem}]
    assert response.json()["detail"] == f"body: {problem}"
    # A whole pair (json.dumps escapes an emoji as one) is a character, and the ticket is taken.
    whole = json.dumps(delivery(subject="Sem sinal \N{GRINNING FACE}")).encode()
    assert b"\\ud83d\\ude00" in whole
    taken = await api.post("/api/tickets", content=whole, headers=headers)
    assert taken.status_code == 201, taken.text
    assert taken.json()["subject"] == "Sem sinal \N{GRINNING FACE}"


async def test_bodies_that_are_not_json_or_too_big_are_refused(
    api: AsyncTestClient[Litestar], qdb: Any, app: Litestar
) -> None:
    headers = {"content-type": "application/json"}
    malformed = await api.post("/api/tickets", content=b'{"external_id": "X", ', headers=headers)
    assert malformed.status_code == 400
    assert malformed.json()["errors"][0]["field"] == "body"
    assert "malformed JSON" in malformed.json()["errors"][0]["problem"]

    latin1 = json.dumps(delivery(subject="Cobrança")).encode().replace(b"\\u00e7", "ç".encode("latin-1"))
    encoding = await api.post("/api/tickets", content=latin1, headers=headers)
    assert encoding.status_code == 400
    assert "not valid UTF-8" in encoding.json()["detail"]

    not_object = await api.post("/api/tickets", json=["a", "list"])
    assert not_object.status_code == 422

    long_text = await api.post("/api/tickets", json=delivery(body="x" * 20_001))
    assert long_text.status_code == 422
    assert long_text.json()["errors"] == [{"field": "body", "problem": "too long: 20001 characters (at most 20000)"}]

    limit = app.state.settings.max_body_bytes
    huge = await api.post("/api/tickets", content=b'{"body": "' + b"x" * limit + b'"}', headers=headers)
    assert huge.status_code == 413
    assert await count(qdb) == 0


async def test_bulk_stores_good_rows_and_reports_bad_ones(api: AsyncTestClient[Litestar], qdb: Any) -> None:
    rows = [
        delivery(external_id="B-1"),
        delivery(external_id="B-2", channel=None),
        delivery(external_id="B-3", reason="teleport"),
        delivery(external_id="B-1"),  # repeated in the same batch
        "not an object",
        delivery(external_id="B-4", channel="facebook", customer={"handle": "@ana", "followers": 1200}),
    ]
    response = await api.post("/api/tickets/bulk", json=rows)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["created"], body["existing"], body["rejected"]) == (2, 1, 3)
    statuses = [(r["index"], r["status"]) for r in body["results"]]
    assert statuses == [
        (0, "created"),
        (1, "rejected"),
        (2, "rejected"),
        (3, "existing"),
        (4, "rejected"),
        (5, "created"),
    ]
    assert body["results"][1]["errors"] == [{"field": "channel", "problem": "required"}]
    assert body["results"][2]["errors"][0]["field"] == "reason"
    assert body["results"][3]["ticket"]["id"] == body["results"][0]["ticket"]["id"]
    assert body["results"][5]["ticket"]["queue"] == "social"
    protocols = [body["results"][i]["ticket"]["protocol"] for i in (0, 5)]
    assert protocols == ["2026030200000001", "2026030200000002"]

    again = (await api.post("/api/tickets/bulk", json={"contract": "reference", "tickets": rows[:1] + rows[5:]})).json()
    assert (again["created"], again["existing"]) == (0, 2)
    assert await count(qdb) == 2


async def test_bulk_rows_may_leave_the_contract_to_the_envelope(api: AsyncTestClient[Litestar], qdb: Any) -> None:
    rows = [delivery(contract=None) for _ in range(3)]
    body = (await api.post("/api/tickets/bulk", json={"contract": "reference", "tickets": rows})).json()
    assert body["created"] == 3
    too_many = await api.post("/api/tickets/bulk", json=[delivery() for _ in range(1001)])
    assert too_many.status_code == 422
    assert too_many.json()["errors"][0]["field"] == "tickets"


async def test_a_client_token_posts_only_to_its_own_contract(client: AsyncTestClient[Litestar], qdb: Any) -> None:
    await load_reference(qdb, code="other")
    own = bearer(await token(qdb, "client", "reference"))
    assert (await client.post("/api/tickets", json=delivery(contract=None), headers=own)).status_code == 201
    refused = await client.post("/api/tickets", json=delivery(contract="other"), headers=own)
    assert refused.status_code == 422
    assert refused.json()["errors"] == [{"field": "contract", "problem": "unknown contract 'other'"}]
    agent = bearer(await token(qdb, "agent", "reference"))
    assert (await client.post("/api/tickets", json=delivery(), headers=agent)).status_code == 403


async def test_tickets_are_read_back_only_by_those_who_may_see_them(
    client: AsyncTestClient[Litestar], qdb: Any
) -> None:
    await load_reference(qdb, code="other")
    staff = bearer(await token(qdb, "supervisor"))
    ticket_id = (await client.post("/api/tickets", json=delivery(), headers=staff)).json()["id"]
    own = bearer(await token(qdb, "client", "reference"))
    other = bearer(await token(qdb, "client", "other"))
    assert (await client.get(f"/api/tickets/{ticket_id}", headers=own)).json()["id"] == ticket_id
    assert (await client.get(f"/api/tickets/{ticket_id}", headers=other)).status_code == 404
    assert (await client.get("/api/tickets", headers=other)).json() == []
    listed = await client.get("/api/tickets", params={"queue": "bo_care"}, headers=own)
    assert [t["id"] for t in listed.json()] == [ticket_id]


async def test_received_time_is_when_it_arrived(api: AsyncTestClient[Litestar], qdb: Any) -> None:
    before = datetime.now(UTC)
    body = (await api.post("/api/tickets", json=delivery(created_at=None))).json()
    received = datetime.fromisoformat(body["received_at"])
    assert before <= received <= datetime.now(UTC)
    assert body["created_at"] == body["received_at"]


async def test_a_retry_takes_no_protocol_number(api: AsyncTestClient[Litestar], qdb: Any) -> None:
    first = await api.post("/api/tickets", json=delivery(external_id="SEQ-1"))
    for _ in range(3):
        assert (await api.post("/api/tickets", json=delivery(external_id="SEQ-1"))).status_code == 200
    second = await api.post("/api/tickets", json=delivery(external_id="SEQ-2"))
    # The day's numbers stay gap-free: the retries found the stored ticket before any number was drawn.
    assert [first.json()["protocol"], second.json()["protocol"]] == ["2026030200000001", "2026030200000002"]
    async with qdb() as session:
        events = (await session.execute(select(TicketEvent.action, TicketEvent.after))).all()
    assert [(a, after["protocol"]) for a, after in events] == [
        ("created", "2026030200000001"),
        ("created", "2026030200000002"),
    ]


async def test_a_reason_added_by_a_reload_is_taken_at_once(api: AsyncTestClient[Litestar], qdb: Any) -> None:
    assert (await api.post("/api/tickets", json=delivery(external_id="R-1"))).status_code == 201  # rules cached
    refused = await api.post("/api/tickets", json=delivery(external_id="R-2", reason="fiber_move"))
    assert refused.status_code == 422 and "fiber_move" in refused.text
    text = REFERENCE_CONTRACT.read_text(encoding="utf-8").replace(
        "      - code: speed_upgrade\n",
        "      - code: fiber_move\n        name: Fiber move\n      - code: speed_upgrade\n",
        1,
    )
    await load_reference(qdb, text=text)
    taken = await api.post("/api/tickets", json=delivery(external_id="R-2", reason="fiber_move"))
    assert taken.status_code == 201, taken.text
    assert taken.json()["reason"] == "fiber_move" and taken.json()["protocol"] == "2026030200000002"
    # A bulk delivery too, though its rows are first built with the rules the process held before the reload.
    bulk = [delivery(external_id="R-3"), delivery(external_id="R-4", reason="fiber_check")]
    assert (await api.post("/api/tickets/bulk", json=bulk)).json()["created"] == 1  # the rules held now
    more = text.replace(
        "      - code: speed_upgrade\n",
        "      - code: fiber_check\n        name: Fiber check\n      - code: speed_upgrade\n",
        1,
    )
    await load_reference(qdb, text=more)
    answer = (await api.post("/api/tickets/bulk", json=bulk)).json()
    assert [r["status"] for r in answer["results"]] == ["existing", "created"], answer
    assert answer["results"][1]["ticket"]["reason"] == "fiber_check"
