"""Disputes of what was billed: a contested line from opened to closed with a real credit note, a refusal, the
origins and their checks, the alerts a manager follows, the invoice shown disputed while one is open; the API's
roles and the command line; on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from ops.billing.disputes import services
from ops.billing.invoices import services as invoices
from ops.db import utcnow
from ops.errors import ConflictError, InvalidInputError
from tests.helpers import REFERENCE_CONTRACT, bearer, load_reference, token
from tests.integration.billing.factories import measurement
from tests.integration.billing.indices.conftest import Ops
from tests.integration.queues.factories import make_ticket

D = Decimal
SP = ZoneInfo("America/Sao_Paulo")
URL = "/api/contracts/reference/disputes"
# A recalculation resolves after the dispute reached its step: two weeks from today on the contract's clock.
RESOLVES = str(datetime.now(SP).date() + timedelta(days=14))
# The factory's October: 15 positions x 9800.00 = 147000.00, reinforcement 8 x 62.00 = 496.00 (line 2), SLA credit
# -3645.00; services 143851.00, gross with ISS 151043.55, withheld 9289.18, net 141754.37.
GROSS, NET = D("151043.55"), D("141754.37")


async def _invoiced(db: Any, now: datetime | None = None) -> None:
    await load_reference(db)
    async with db.begin() as session:
        await measurement(session)
        await invoices.issue_invoice(session, code="reference", month="2026-10", actor="test", now=now)


async def _invoice_state(client: AsyncTestClient[Litestar], headers: dict[str, str]) -> str:
    response = await client.get("/api/contracts/reference/invoices/1", headers=headers)
    assert response.status_code == 200, response.text
    return str(response.json()["standing"]["state"])


async def test_a_contested_line_goes_from_opened_to_closed_with_a_real_credit_note(
    client: AsyncTestClient[Litestar], db: Any
) -> None:
    await _invoiced(db)
    await load_reference(db, code="other")
    mine, manager = bearer(await token(db, "client", "reference")), bearer(await token(db, "manager"))
    theirs = bearer(await token(db, "client", "other"))
    today = utcnow().astimezone(SP).date()
    assert await _invoice_state(client, mine) == "open"

    body = {"origin": "measurement_line", "description": "Shift 1 was not worked", "disputed": "496.00"}
    opened = await client.post(URL, json={**body, "month": "2026-10", "line_position": 2}, headers=mine)
    assert opened.status_code == 201, opened.text
    d = opened.json()
    number = d["id"]
    assert (d["state"], d["billed"], d["disputed"], d["undisputed"]) == ("opened", "496.00", "496.00", "0.00")
    assert (d["invoice_number"], d["measurement_line"]) == (1, {"month": "2026-10", "position": 2, "version": 1})
    # The reference contract gives 10 days in `opened`; the follow-up is two days before.
    assert (d["deadline"], d["follow_up_on"]) == (str(today + timedelta(10)), str(today + timedelta(8)))
    assert await _invoice_state(client, mine) == "disputed"

    def step(to: str, **data: str) -> dict[str, Any]:
        return {"to": to, **data}

    submitted = await client.post(f"{URL}/{number}/advance", json=step("submitted", protocol="CAB-771"), headers=mine)
    assert (submitted.status_code, submitted.json()["state"]) == (200, "submitted"), submitted.text
    assert submitted.json()["deadline"] == str(today + timedelta(30))
    refused = await client.post(f"{URL}/{number}/advance", json=step("refused", reason="no"), headers=mine)
    assert refused.status_code == 403  # the provider answers, not the client

    missing = await client.post(
        f"{URL}/{number}/advance", json=step("recalculation_granted", resolution_date=RESOLVES), headers=manager
    )
    assert missing.status_code == 422
    assert missing.json()["errors"] == [
        {"field": "recalculation_number", "problem": "required to go to recalculation_granted"}
    ]
    unchanged = (await client.get(f"{URL}/{number}", headers=manager)).json()
    assert (unchanged["state"], len(unchanged["steps"])) == ("submitted", 2)

    granted = step("recalculation_granted", recalculation_number="RC-5521", resolution_date=RESOLVES)
    response = await client.post(f"{URL}/{number}/advance", json=granted, headers=manager)
    assert (response.status_code, response.json()["recalculation_number"]) == (200, "RC-5521")
    illegal = await client.post(f"{URL}/{number}/advance", json=step("closed"), headers=manager)
    assert illegal.status_code == 409
    assert "cannot go to closed; allowed next: credited" in illegal.json()["detail"]

    note = await client.post(
        "/api/contracts/reference/invoices/1/credit-notes",
        json={"amount": "496.00", "reason": f"Dispute {number}: shift 1 not worked"},
        headers=manager,
    )
    assert note.status_code == 201, note.text
    credited = step("credited", credited_amount="496.00", credit_reference="credit_note:7")
    nowhere = await client.post(f"{URL}/{number}/advance", json=credited, headers=manager)
    assert (nowhere.status_code, nowhere.json()["errors"][0]["field"]) == (422, "credit_reference")
    assert "no credit note 7 of reference" in nowhere.json()["detail"]
    credited["credit_reference"] = "NC 1"
    response = await client.post(f"{URL}/{number}/advance", json=credited, headers=manager)
    assert response.status_code == 200, response.text
    assert (response.json()["credited_amount"], response.json()["credit_reference"]) == ("496.00", "credit_note:1")
    assert await _invoice_state(client, mine) == "disputed"  # still open until closed; a balance is left

    closed = await client.post(f"{URL}/{number}/advance", json=step("closed", note="credit checked"), headers=manager)
    assert (closed.status_code, closed.json()["deadline"], closed.json()["follow_up_on"]) == (200, None, None)
    assert await _invoice_state(client, mine) == "open"
    shown = (await client.get(f"{URL}/{number}", headers=mine)).json()
    assert [(s["from"], s["to"], s["by"]) for s in shown["steps"]] == [
        (None, "opened", "client:t"),
        ("opened", "submitted", "client:t"),
        ("submitted", "recalculation_granted", "manager:t"),
        ("recalculation_granted", "credited", "manager:t"),
        ("credited", "closed", "manager:t"),
    ]
    assert shown["steps"][2]["data"]["recalculation_number"] == "RC-5521"
    assert shown["steps"][4]["data"]["note"] == "credit checked"

    # Another contract's client sees nothing of it, by either path, and cannot open one on it.
    assert (await client.get(f"{URL}/{number}", headers=theirs)).status_code == 404
    assert (await client.get(f"/api/contracts/other/disputes/{number}", headers=theirs)).status_code == 404
    assert (await client.get(URL, headers=theirs)).status_code == 404
    assert (await client.get("/api/contracts/other/disputes", headers=theirs)).json() == []
    assert (
        await client.post(URL, json={**body, "month": "2026-10", "line_position": 2}, headers=theirs)
    ).status_code == 404
    listed = await client.get(URL, params={"open": "true"}, headers=mine)
    assert (listed.status_code, listed.json()) == (200, [])


async def test_a_refused_dispute_leaves_the_invoice_payable_in_full(client: AsyncTestClient[Litestar], db: Any) -> None:
    await _invoiced(db)
    mine, manager = bearer(await token(db, "client", "reference")), bearer(await token(db, "manager"))
    body = {
        "origin": "audit",
        "description": "Reinforcement billed at 70.00 a hour",
        "disputed": "41.65",
        "invoice_number": 1,
        "audit_code": "price_not_contracted",
    }
    opened = await client.post(URL, json=body, headers=mine)
    assert opened.status_code == 201, opened.text
    d = opened.json()
    # Billed is the invoice's gross: 151043.55 - 41.65 = 151001.90 undisputed.
    assert (d["billed"], d["disputed"], d["undisputed"], d["audit_code"]) == (
        str(GROSS),
        "41.65",
        "151001.90",
        "price_not_contracted",
    )
    again = await client.post(URL, json=body, headers=mine)
    assert again.status_code == 409 and f"dispute {d['id']} is already open" in again.json()["detail"]
    async with db.begin() as session:
        # The client pays the undisputed part of the net: 141754.37 - 41.65 = 141712.72
        await invoices.record_payment(
            session, code="reference", number=1, paid_on=utcnow().date(), amount=NET - D("41.65"), actor="t"
        )
    assert await _invoice_state(client, mine) == "disputed"
    url = f"{URL}/{d['id']}/advance"
    assert (await client.post(url, json={"to": "submitted"}, headers=mine)).status_code == 200
    no_reason = await client.post(url, json={"to": "refused"}, headers=manager)
    assert (no_reason.status_code, no_reason.json()["errors"]) == (
        422,
        [{"field": "reason", "problem": "required to go to refused"}],
    )
    refused = await client.post(url, json={"to": "refused", "reason": "70.00 is the night rate"}, headers=manager)
    assert (refused.status_code, refused.json()["reason"]) == (200, "70.00 is the night rate")
    assert await _invoice_state(client, mine) == "open"  # 41.65 still owed
    assert (await client.post(url, json={"to": "closed"}, headers=manager)).status_code == 200
    async with db.begin() as session:
        await invoices.record_payment(
            session, code="reference", number=1, paid_on=utcnow().date(), amount=D("41.65"), actor="t"
        )
    assert await _invoice_state(client, mine) == "paid"


async def test_each_origin_and_its_checks(client: AsyncTestClient[Litestar], db: Any) -> None:
    await _invoiced(db)
    mine, manager = bearer(await token(db, "client", "reference")), bearer(await token(db, "manager"))
    async with db.begin() as session:
        ticket = await make_ticket(session, created_at=datetime(2026, 11, 2, 12, tzinfo=UTC), sync=False)
        other = await make_ticket(
            session, created_at=datetime(2026, 11, 2, 12, tzinfo=UTC), reason="speed_upgrade", sync=False
        )
    body = {"origin": "ticket", "description": "Customer billed for a service never sold", "disputed": "89.90"}
    by_client = await client.post(URL, json={**body, "ticket_id": ticket.id}, headers=mine)
    assert by_client.status_code == 403
    opened = await client.post(URL, json={**body, "ticket_id": ticket.id}, headers=manager)
    assert opened.status_code == 201, opened.text
    d = opened.json()
    assert d["description"] == f"protocol {ticket.protocol}: Customer billed for a service never sold"
    assert (d["ticket"], d["billed"], d["undisputed"]) == (
        {"id": ticket.id, "protocol": ticket.protocol},
        "89.90",
        "0.00",
    )
    twice = await client.post(URL, json={**body, "ticket_id": ticket.id}, headers=manager)
    assert twice.status_code == 409
    wrong = await client.post(URL, json={**body, "ticket_id": other.id}, headers=manager)
    assert (wrong.status_code, wrong.json()["errors"][0]["field"]) == (422, "ticket_id")
    assert "is not an undue-charge ticket (reason speed_upgrade)" in wrong.json()["detail"]

    bad = await client.post(
        URL,
        json={
            "origin": "measurement_line",
            "description": " ",
            "disputed": "0.001",
            "audit_code": "x",
            "month": "2026-10",
        },
        headers=manager,
    )
    assert bad.status_code == 422
    assert [e["field"] for e in bad.json()["errors"]] == [
        "line_position",
        "audit_code",
        "description",
        "audit_code",
        "disputed",
    ]
    above = await client.post(
        URL, json={"origin": "measurement_line", "description": "x", "disputed": "500.00", "month": "2026-10",
                   "line_position": 2}, headers=manager,
    )  # fmt: skip
    assert above.status_code == 422 and "disputed amount 500.00 is above the billed total 496.00" in above.text
    credit_line = await client.post(
        URL, json={"origin": "measurement_line", "description": "x", "disputed": "1.00", "month": "2026-10",
                   "line_position": 3}, headers=manager,
    )  # fmt: skip
    assert credit_line.status_code == 422 and "a credit, nothing charged to dispute" in credit_line.text
    manual = await client.post(URL, json={"origin": "manual", "description": "x", "disputed": "10.00"}, headers=mine)
    assert manual.status_code == 403  # a client's own dispute names a line or an invoice
    manual = await client.post(URL, json={"origin": "manual", "description": "x", "disputed": "10.00"}, headers=manager)
    assert (manual.status_code, manual.json()["billed"], manual.json()["invoice_number"]) == (201, "10.00", None)


async def test_alerts_for_a_follow_up_due_a_deadline_passed_and_a_disputed_invoice_falling_due(db: Any) -> None:
    # Issued on 3 November 2026 (São Paulo): due 30 days later, on 3 December.
    await _invoiced(db, now=datetime(2026, 11, 3, 12, tzinfo=UTC))
    async with db.begin() as session:
        row = await services.open_dispute(
            session,
            code="reference",
            origin="measurement_line",
            description="Shift 1 was not worked",
            disputed=D("496.00"),
            billed=None,
            invoice_number=None,
            month="2026-10",
            line_position=2,
            ticket_id=None,
            audit_code=None,
            actor="client:portal",
            today=date(2026, 11, 5),
            now=datetime(2026, 11, 5, 13, tzinfo=UTC),
        )
        # opened on 5 November: deadline 15 November (10 days), follow-up 13 November
        assert (row.deadline, row.follow_up_on) == (date(2026, 11, 15), date(2026, 11, 13))
        dispute_id = row.id

    async def kinds(day: date) -> list[tuple[str, date, Any]]:
        async with db() as session:
            found = await services.alerts(session, code="reference", principal=None, today=day)
            return [(a.kind, a.on, a.dispute_id or a.invoice_number) for a in found]

    assert await kinds(date(2026, 11, 12)) == []
    assert await kinds(date(2026, 11, 13)) == [("follow_up", date(2026, 11, 13), dispute_id)]
    assert await kinds(date(2026, 11, 16)) == [("deadline_passed", date(2026, 11, 15), dispute_id)]
    async with db.begin() as session:
        moved = await services.advance(
            session,
            code="reference",
            dispute_id=dispute_id,
            to="submitted",
            data={},
            actor="client:portal",
            now=datetime(2026, 11, 14, 12, tzinfo=UTC),
            follow_up=date(2026, 11, 20),
        )
        assert (moved.deadline, moved.follow_up_on) == (date(2026, 12, 14), date(2026, 11, 20))
    assert await kinds(date(2026, 11, 27)) == [("follow_up", date(2026, 11, 20), dispute_id)]
    # The reference contract's due_alert_days is 5: from 28 November the disputed invoice is flagged, and stays so.
    async with db() as session:
        found = await services.alerts(session, code="reference", principal=None, today=date(2026, 11, 28))
    due = [a for a in found if a.kind == "invoice_due"]
    assert [(a.on, a.invoice_number, a.payable) for a in due] == [(date(2026, 12, 3), 1, NET - D("496.00"))]
    assert await kinds(date(2026, 12, 15)) == [
        ("invoice_due", date(2026, 12, 3), 1),
        ("deadline_passed", date(2026, 12, 14), dispute_id),
    ]
    with pytest.raises(InvalidInputError, match=r"follow_up: 2026-11-01 is in the past \(today is 2026-11-15\)"):
        async with db.begin() as session:
            await services.advance(
                session,
                code="reference",
                dispute_id=dispute_id,
                to="refused",
                data={"reason": "late"},
                actor="manager:m",
                now=datetime(2026, 11, 15, 12, tzinfo=UTC),
                follow_up=date(2026, 11, 1),
            )
    with pytest.raises(ConflictError, match="cannot go to credited; allowed next: recalculation_granted, refused"):
        async with db.begin() as session:
            await services.advance(
                session,
                code="reference",
                dispute_id=dispute_id,
                to="credited",
                data={"credited_amount": "1.00", "credit_reference": "credit_note:1"},
                actor="manager:m",
                now=datetime(2026, 11, 15, 12, tzinfo=UTC),
            )


# --- the command line -------------------------------------------------------------------------------------------


def test_ops_dispute_open_advance_list_show(ops: Ops, tmp_path: Path) -> None:
    ops.load(tmp_path, REFERENCE_CONTRACT.read_text(encoding="utf-8"))

    async def arrange() -> None:
        from ops.config import get_settings
        from ops.runtime import open_runtime

        runtime = open_runtime(get_settings(), pool=False)
        try:
            async with runtime.sessionmaker.begin() as session:
                await measurement(session)
        finally:
            await runtime.close()

    asyncio.run(arrange())
    assert ops("invoice", "issue", "--contract", "reference", "--month", "2026-10").exit_code == 0
    opened = ops(
        "dispute", "open", "--contract", "reference", "--origin", "audit", "--invoice", "1",
        "--audit-code", "duplicate_line", "--description", "Reinforcement shift billed twice", "--disputed", "496,00",
    )  # fmt: skip
    assert opened.exit_code == 0, opened.output + opened.stderr
    assert opened.stdout.startswith("dispute 1 opened on reference: 496.00 disputed, 150547.55 payable; deadline ")
    assert ops("dispute", "advance", "1", "--contract", "reference", "--to", "submitted").stdout.startswith(
        "dispute 1: submitted, deadline "
    )
    refused = ops("dispute", "advance", "1", "--contract", "reference", "--to", "refused")
    assert (refused.exit_code, refused.stderr.strip()) == (2, "error: reason: required to go to refused")
    illegal = ops("dispute", "advance", "1", "--contract", "reference", "--to", "closed")
    assert illegal.exit_code == 2 and "allowed next: recalculation_granted, refused" in illegal.stderr
    listed = ops("dispute", "list", "--contract", "reference", "--open")
    assert listed.exit_code == 0 and '"state": "submitted"' in listed.stdout and listed.stdout.count("\n") == 1
    shown = ops("dispute", "show", "1", "--contract", "reference")
    assert shown.exit_code == 0 and '"from": "opened"' in shown.stdout and '"invoice_number": 1' in shown.stdout
    alerts = ops("dispute", "alerts", "--contract", "reference", "--on", "2030-01-01")
    assert alerts.exit_code == 0 and "deadline_passed" in alerts.stdout and "invoice_due" in alerts.stdout
    missing = ops("dispute", "show", "9", "--contract", "reference")
    assert (missing.exit_code, missing.stderr.strip()) == (2, "error: no dispute 9 of reference")


@pytest.mark.postgres
async def test_the_same_line_opened_four_times_at_once_makes_one_dispute(database_url: str, db: Any) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("the race under test needs concurrent writers (SQLite serializes them)")
    await _invoiced(db)

    async def open_once(n: int) -> int | str:
        try:
            async with db.begin() as session:
                row = await services.open_dispute(
                    session, code="reference", origin="measurement_line", description=f"not worked ({n})",
                    disputed=D("496.00"), billed=None, invoice_number=None, month="2026-10", line_position=2,
                    ticket_id=None, audit_code=None, actor=f"client {n}", today=date(2026, 11, 10),
                )  # fmt: skip
                await asyncio.sleep(0.05)  # hold the transaction open: the others pass the check meanwhile
                return row.id
        except ConflictError as error:
            return str(error)

    outcomes = await asyncio.gather(*(open_once(n) for n in range(4)))
    ids = [o for o in outcomes if isinstance(o, int)]
    assert len(ids) == 1
    assert all(f"dispute {ids[0]} is already open for this measurement line" in o for o in outcomes if o not in ids)
    async with db() as session:
        rows = await services.list_disputes(session, code="reference", principal=None)
    assert [r.id for r in rows] == ids


async def test_a_settled_dispute_frees_its_subject_for_a_new_one(db: Any) -> None:
    await _invoiced(db)
    now = utcnow()
    args: dict[str, Any] = {
        "code": "reference", "origin": "measurement_line", "description": "not worked", "disputed": D("496.00"),
        "billed": None, "invoice_number": None, "month": "2026-10", "line_position": 2, "ticket_id": None,
        "audit_code": None, "actor": "client", "today": now.date(),
    }  # fmt: skip
    async with db.begin() as session:
        first = await services.open_dispute(session, **args)
        with pytest.raises(ConflictError):
            async with session.begin_nested():
                await services.open_dispute(session, **args)
        await services.advance(
            session,
            code="reference",
            dispute_id=first.id,
            to="refused",
            data={"reason": "worked"},
            actor="m",
            now=utcnow(),
        )
        second = await services.open_dispute(session, **{**args, "description": "not worked: new evidence"})
    assert second.id != first.id and second.state == "opened"


async def test_a_number_no_column_holds_is_refused_naming_its_field(client: AsyncTestClient[Litestar], db: Any) -> None:
    """Huge whole numbers were a 500 from the driver (SQLite: "Python int too large"; PostgreSQL past 2**31)."""
    await _invoiced(db)
    manager = bearer(await token(db, "manager"))
    manual = {"origin": "manual", "description": "x", "disputed": "1.00"}
    for field, value in (("invoice_number", 10**20), ("invoice_number", -(10**20)), ("ticket_id", 2**31)):
        answer = await client.post(URL, json={**manual, field: value}, headers=manager)
        assert answer.status_code == 422, (field, value, answer.text)
        assert answer.json()["errors"][0]["field"] == field and "out of range" in answer.text
    adjustment = await client.post(
        "/api/contracts/reference/adjustments",
        json={"amount": "1.00", "description": "x", "invoice": 10**20},
        headers=manager,
    )
    assert (adjustment.status_code, adjustment.json()["errors"][0]["field"]) == (422, "invoice"), adjustment.text
    opened = await client.post(URL, json=manual, headers=manager)
    assert opened.status_code == 201, opened.text
    advance = f"{URL}/{opened.json()['id']}/advance"
    assert (await client.post(advance, json={"to": "submitted"}, headers=manager)).status_code == 200
    granted = {"to": "recalculation_granted", "recalculation_number": "R-1", "resolution_date": RESOLVES}
    assert (await client.post(advance, json=granted, headers=manager)).status_code == 200
    for reference in ("credit_note:99999999999999999999", "invoice:99999999999999999999"):
        credited = await client.post(
            advance, json={"to": "credited", "credited_amount": "1.00", "credit_reference": reference}, headers=manager
        )
        assert credited.status_code == 422, credited.text
        assert credited.json()["errors"][0]["field"] == "credit_reference"
        assert "99999999999999999999 of reference" in credited.json()["errors"][0]["problem"]
