"""Time logged on tickets: minutes with any action or alone (log_time), through the API and the page, the work
view's entries and total, and what billing reads (minutes per ticket, time-billed tickets resolved in a period)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from ops.contracts.models import Contract
from ops.db import utcnow
from ops.queues.models import Ticket, TicketEvent, TimeEntry
from ops.queues.work.time import TimeBilledTicket, minutes_by_ticket, resolved_time_billed
from tests.helpers import bearer, load_reference, sign_in, token
from tests.integration.queues.factories import make_agent, make_ticket, sp

Client = AsyncTestClient[Litestar]
RESOLVE_FIELDS = {"recalculation_number": "RC-7", "resolution_date": "2026-12-01"}


@pytest.fixture
async def world(client: Client, db: Any) -> dict[str, Any]:
    await load_reference(db)
    async with db.begin() as session:
        ana, ana_token = await make_agent(session, name="Ana")
        _, bia_token = await make_agent(session, name="Bia")
        ticket = await make_ticket(session, created_at=utcnow() - timedelta(hours=1), assigned_to=ana, status="open")
    return {
        "ticket": ticket.id,
        "ana": bearer(ana_token),
        "ana_token": ana_token,
        "bia": bearer(bia_token),
        "supervisor": bearer(await token(db, "supervisor", "reference")),
    }


async def stored(db: Any, ticket_id: int) -> tuple[int, list[TimeEntry]]:
    async with db() as session:
        ticket = await session.get(Ticket, ticket_id)
        assert ticket is not None
        query = select(TimeEntry).where(TimeEntry.ticket_id == ticket_id).order_by(TimeEntry.id)
        return ticket.version, list((await session.execute(query)).scalars())


async def test_minutes_logged_with_actions_and_alone_show_in_the_work_view(
    client: Client, db: Any, world: dict[str, Any]
) -> None:
    url = f"/api/tickets/{world['ticket']}"
    replied = await client.post(
        f"{url}/actions/reply",
        json={"version": 1, "message": "Pedi o recálculo.", "minutes": 12.5},
        headers=world["ana"],
    )
    assert replied.status_code == 200, replied.text
    assert "log_time" in replied.json()["allowed_actions"]
    logged = await client.post(
        f"{url}/actions/log_time",
        json={"version": 2, "minutes": "7.25", "message": "Ligação com a filial"},
        headers=world["ana"],
    )
    assert logged.status_code == 200, logged.text
    resolved = await client.post(
        f"{url}/actions/resolve",
        json={"version": 3, "fields": RESOLVE_FIELDS, "minutes": 3, "override": "Resolvido por telefone"},
        headers=world["ana"],
    )
    assert resolved.status_code == 200, resolved.text
    # A resolved ticket still takes time (the follow-up call); a supervisor logs it too.
    late = await client.post(
        f"{url}/actions/log_time", json={"version": 4, "minutes": "0.25"}, headers=world["supervisor"]
    )
    assert late.status_code == 200, late.text

    body = (await client.get(f"{url}/work", headers=world["supervisor"])).json()
    assert [(e["action"], e["minutes"], e["note"]) for e in body["time_entries"]] == [
        ("reply", "12.50", "Pedi o recálculo."),
        ("log_time", "7.25", "Ligação com a filial"),
        ("resolve", "3.00", None),
        ("log_time", "0.25", None),
    ]
    assert body["time_entries"][0]["actor"].startswith("agent:Ana #")
    assert body["time_entries"][3]["actor"].startswith("supervisor:")
    assert Decimal(body["minutes_logged"]) == Decimal("23.00")
    # log_time is in the history too; the actions' own events are untouched.
    assert [e["action"] for e in body["history"]] == ["reply", "log_time", "fields", "resolve", "log_time"]
    assert body["history"][1]["after"] == {"minutes": "7.25"}
    async with db() as session:
        totals = await minutes_by_ticket(session, ticket_ids=[world["ticket"], 999_999])
    assert totals == {world["ticket"]: Decimal("23.00"), 999_999: Decimal(0)}


@pytest.mark.parametrize("minutes", [0, -3, 1441, "1440.5", 12.345, "doze", "NaN", "12,5"])
async def test_bad_minutes_are_refused_naming_the_field_and_nothing_is_stored(
    client: Client, db: Any, world: dict[str, Any], minutes: Any
) -> None:
    url = f"/api/tickets/{world['ticket']}/actions"
    for action in ("reply", "log_time"):
        response = await client.post(
            f"{url}/{action}", json={"version": 1, "message": "oi", "minutes": minutes}, headers=world["ana"]
        )
        assert response.status_code == 422, (action, response.text)
        assert [e["field"] for e in response.json()["errors"]] == ["minutes"]
    version, entries = await stored(db, world["ticket"])
    assert (version, entries) == (1, [])
    async with db() as session:
        events = select(func.count()).select_from(TicketEvent).where(TicketEvent.ticket_id == world["ticket"])
        assert (await session.execute(events)).scalar_one() == 0


async def test_who_and_when_time_may_be_logged(client: Client, db: Any, world: dict[str, Any]) -> None:
    url = f"/api/tickets/{world['ticket']}/actions"
    missing = await client.post(f"{url}/log_time", json={"version": 1}, headers=world["ana"])
    assert missing.status_code == 422
    assert missing.json()["errors"] == [{"field": "minutes", "problem": "missing"}]
    # A note on a colleague's ticket is allowed, billed time on it is not.
    colleague = await client.post(
        f"{url}/note", json={"version": 1, "message": "vi", "minutes": 5}, headers=world["bia"]
    )
    assert colleague.status_code == 403
    assert (
        await client.post(f"{url}/log_time", json={"version": 1, "minutes": 5}, headers=world["bia"])
    ).status_code == 403
    await client.post(
        f"{url}/resolve",
        json={"version": 1, "fields": RESOLVE_FIELDS, "override": "Resolvido por telefone"},
        headers=world["ana"],
    )
    await client.post(f"{url}/close", json={"version": 2}, headers=world["ana"])
    closed = await client.post(f"{url}/note", json={"version": 3, "message": "x", "minutes": 5}, headers=world["ana"])
    assert closed.status_code == 409
    assert closed.json()["errors"] == [{"field": "minutes", "problem": "the ticket is closed"}]
    assert (
        await client.post(f"{url}/log_time", json={"version": 3, "minutes": 5}, headers=world["ana"])
    ).status_code == 409
    assert (await stored(db, world["ticket"]))[1] == []


async def test_the_ticket_page_logs_minutes_and_shows_them_in_both_languages(
    client: Client, db: Any, world: dict[str, Any]
) -> None:
    await sign_in(client, world["ana_token"])
    page_url = f"/work/tickets/{world['ticket']}"
    shown = await client.get(page_url, headers={"accept-language": "pt-BR"})
    assert 'id="log_time-minutes"' in shown.text and 'id="reply-minutes"' in shown.text
    assert "Minutos gastos" in shown.text and "Nenhum tempo registrado." in shown.text

    form = {"action": "reply", "version": "1", "message": "Retorno ao cliente", "minutes": "15"}
    assert (await client.post(page_url, data=form, follow_redirects=False)).status_code == 303
    form = {"action": "log_time", "version": "2", "message": "Conferência da fatura", "minutes": "4.5"}
    assert (await client.post(page_url, data=form, follow_redirects=False)).status_code == 303

    page = await client.get(page_url, headers={"accept-language": "en"})
    assert "Time logged" in page.text and "Log time" in page.text
    assert re.search(r'id="minutes-logged">19\.5 min<', page.text)
    assert "Conferência da fatura" in page.text
    _, entries = await stored(db, world["ticket"])
    assert [(e.action, e.minutes) for e in entries] == [("reply", Decimal("15.00")), ("log_time", Decimal("4.50"))]


async def test_bad_minutes_on_the_page_are_shown_and_nothing_is_stored(
    client: Client, db: Any, world: dict[str, Any]
) -> None:
    await sign_in(client, world["ana_token"])
    page_url = f"/work/tickets/{world['ticket']}"
    form = {"action": "log_time", "version": "1", "message": "Ligação", "minutes": "1500"}
    refused = await client.post(page_url, data=form, headers={"accept-language": "pt-BR"}, follow_redirects=False)
    assert refused.status_code == 422
    # Said in the reader's language (the API's detail keeps the English "minutes: must be at most 1440 ...").
    assert "Não salvo: minutes: deve ser no máximo 1440 (24 h), veio 1500" in refused.text, re.findall(
        r'id="act-error".{0,300}', refused.text, re.S
    )
    assert 'value="1500"' in refused.text  # the form keeps what was typed
    empty = await client.post(page_url, data={**form, "minutes": ""}, follow_redirects=False)
    assert empty.status_code == 422
    assert await stored(db, world["ticket"]) == (1, [])


async def test_resolved_time_billed_picks_exactly_the_tickets_resolved_in_the_window(wdb: Any) -> None:
    """Branch support (bo_helpdesk / branch_support) is the reference contract's time-billed reason."""
    db = wdb  # no HTTP client here: wdb closes the engine the app would have closed
    await load_reference(db)
    await load_reference(db, code="other")
    start, end = datetime(2026, 3, 1, 3, tzinfo=UTC), datetime(2026, 4, 1, 3, tzinfo=UTC)  # March in São Paulo

    async def ticket(
        session: Any, resolved_at: datetime | None, *, reason: str = "branch_support", contract: str = "reference"
    ) -> int:
        row = await make_ticket(
            session,
            created_at=sp(2, 9),
            queue="bo_helpdesk",
            reason=reason,
            contract=contract,
            status="resolved" if resolved_at else "open",
            resolved_at=resolved_at,
            sync=False,
        )
        return row.id

    async with db.begin() as session:
        first = await ticket(session, start)  # the window's first instant is in it
        nothing_logged = await ticket(session, sp(15, 10))
        last = await ticket(session, end - timedelta(microseconds=1))
        after = await ticket(session, end)  # the end is not
        before = await ticket(session, start - timedelta(seconds=1))
        still_open = await ticket(session, None)
        other_reason = await ticket(session, sp(10, 10), reason="noc_claim")
        other_contract = await ticket(session, sp(10, 10), contract="other")
        for ticket_id, minutes in ((first, "12.5"), (first, "3"), (last, "40"), (after, "9"), (other_reason, "8")):
            session.add(
                TimeEntry(
                    ticket_id=ticket_id,
                    actor="t",
                    action="log_time",
                    minutes=Decimal(minutes).quantize(Decimal("0.01")),
                )
            )
        contract_id = (await session.execute(select(Contract.id).where(Contract.code == "reference"))).scalar_one()

    async with db() as session:
        billed = await resolved_time_billed(
            session, contract_id=contract_id, start=start, end=end, queues=[("bo_helpdesk", "branch_support")]
        )
        assert billed == [
            TimeBilledTicket(first, billed[0].protocol, start, "bo_helpdesk", "branch_support", Decimal("15.50")),
            TimeBilledTicket(
                nothing_logged,
                billed[1].protocol,
                sp(15, 10).astimezone(UTC),
                "bo_helpdesk",
                "branch_support",
                Decimal(0),
            ),
            TimeBilledTicket(
                last, billed[2].protocol, end - timedelta(microseconds=1), "bo_helpdesk", "branch_support", Decimal(40)
            ),
        ]
        assert all(t.protocol.startswith("2026") for t in billed)
        # A queue without a reason bills every reason of it.
        whole_queue = await resolved_time_billed(
            session, contract_id=contract_id, start=start, end=end, queues=[("bo_helpdesk", None)]
        )
        assert [t.ticket_id for t in whole_queue] == [first, other_reason, nothing_logged, last]
        assert await resolved_time_billed(session, contract_id=contract_id, start=start, end=end, queues=[]) == []
        assert (
            await resolved_time_billed(
                session, contract_id=contract_id, start=start, end=end, queues=[("bo_care", None)]
            )
            == []
        )
        with pytest.raises(ValueError, match="time zone"):
            await resolved_time_billed(
                session, contract_id=contract_id, start=datetime(2026, 3, 1), end=end, queues=[("bo_helpdesk", None)]
            )
    assert {before, still_open, other_contract, after}.isdisjoint(t.ticket_id for t in whole_queue)
