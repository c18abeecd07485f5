"""The monthly measurement drafted from what was delivered: positions (pro rata at a change), executed
reinforcement, on-call shifts, time-billed tickets, the SLA report's credits, carried adjustments; its states and
versions, the client's approval and contest; on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select, update

from ops import bounds
from ops.billing.measurement import services
from ops.cli.main import main
from ops.contracts.models import ContractChange
from ops.errors import ConflictError, InvalidInputError
from ops.queues.models import TimeEntry
from ops.staffing.planning.execution import confirm_week
from ops.staffing.planning.oncall_requests import add_oncall, end_oncall
from ops.staffing.planning.schemas import ShiftIn
from tests.conftest import FIXTURES
from tests.helpers import REFERENCE_CONTRACT, bearer, load_reference, token
from tests.integration.queues.factories import make_ticket

SP = ZoneInfo("America/Sao_Paulo")
FEB_1999 = FIXTURES / "anonymous_bank_1999_02_care_intervals.csv"


def sp(day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=SP)


async def _november(db: Any) -> None:
    """The reference contract with November's delivered work: helpdesk cut from 15 to 10 positions on the 16th,
    one executed reinforcement shift, two on-call shifts (one ended early), two branch-support tickets billed by
    the minute (one under the 10-minute minimum), and an adjustment carried from October."""
    await load_reference(db)
    text = REFERENCE_CONTRACT.read_text(encoding="utf-8")
    assert text.count("base_positions: 15") == 2
    second = text.index("base_positions: 15", text.index("base_positions: 15") + 1)
    smaller = text[:second] + "base_positions: 10" + text[second + len("base_positions: 15") :]
    await load_reference(db, text=smaller)
    async with db.begin() as session:
        # The cut was loaded on 16 November (local): the change log says when the client changed the dimensioning.
        last = (await session.execute(select(ContractChange).order_by(ContractChange.id.desc()).limit(1))).scalar_one()
        await session.execute(update(ContractChange).where(ContractChange.id == last.id).values(changed_at=sp(16, 9)))
        await confirm_week(
            session,
            contract_code="reference",
            week=sp(9).date(),
            add=[ShiftIn(queue="care", start=sp(10, 9), end=sp(10, 15), agents=3)],
            actor="test",
        )
        saturday = await add_oncall(session, contract_code="reference", start=sp(14, 8), end=sp(14, 18), actor="test")
        await end_oncall(session, shift_id=saturday.id, at=sp(14, 13), actor="test")
        await add_oncall(
            session, contract_code="reference", start=sp(17, 20), end=sp(17, 23), specialists=2, actor="test"
        )
        for minutes, day in ((Decimal("3"), 18), (Decimal("27.5"), 19)):
            ticket = await make_ticket(
                session,
                created_at=sp(day, 9),
                queue="bo_helpdesk",
                reason="branch_support",
                status="resolved",
                resolved_at=sp(day, 11),
                sync=False,
            )
            session.add(
                TimeEntry(ticket_id=ticket.id, at=sp(day, 10), actor="agent:Ana", action="log_time", minutes=minutes)
            )
        await services.add_adjustment(
            session,
            code="reference",
            description="Late readjustment of October",
            amount=Decimal("-120.50"),
            actor="test",
        )


async def test_november_is_measured_line_by_line_from_what_was_delivered(db: Any) -> None:
    await _november(db)
    async with db.begin() as session:
        m = await services.draft(session, code="reference", month="2026-11", actor="test")
    lines = [(x.kind, x.quantity, x.unit_price, x.amount) for x in m.lines]
    # Care: 15 positions all month at 9,800.00 = 147,000.00. Helpdesk: 15 for 15 of 30 days (7.5 position-months,
    # 73,500.00) and 10 for the other 15 (5, 49,000.00).
    assert lines[:3] == [
        ("positions", Decimal("15.000000"), Decimal("9800.0000"), Decimal("147000.00")),
        ("positions", Decimal("7.500000"), Decimal("9800.0000"), Decimal("73500.00")),
        ("positions", Decimal("5.000000"), Decimal("9800.0000"), Decimal("49000.00")),
    ]
    # Reinforcement: 3 agents x 6 h at 62.00 = 1,116.00.
    assert ("reinforcement", Decimal("18.0000"), Decimal("62.0000"), Decimal("1116.00")) in lines
    # On-call at 240.00: Saturday 08:00 ended at 13:00 bills 5 h (over Saturday's 4 h minimum) = 1,200.00; Tuesday
    # 20:00-23:00 bills 3 h (over the 2 h minimum) x 2 specialists = 6 h = 1,440.00.
    assert [(q, a) for k, q, _, a in lines if k == "oncall"] == [
        (Decimal("5.0000"), Decimal("1200.00")),
        (Decimal("6.0000"), Decimal("1440.00")),
    ]
    # Time-billed tickets at 4.00 a minute: 3 minutes bill the 10-minute minimum (40.00), 27.5 minutes 110.00.
    assert [(q, a) for k, q, _, a in lines if k == "ticket_time"] == [
        (Decimal("10"), Decimal("40.00")),
        (Decimal("27.5"), Decimal("110.00")),
    ]
    assert [a for k, _, _, a in lines if k == "adjustment"] == [Decimal("-120.50")]
    assert m.total == sum((x.amount for x in m.lines), Decimal("0.00"))
    assert all(x.sources for x in m.lines)
    tickets = [x for x in m.lines if x.kind == "ticket_time"]
    assert tickets[0].sources[0].startswith("ticket:") and tickets[0].detail["minimum"] == "10"
    # Drafting again recomputes the draft in place, and the carried adjustment is not taken twice.
    async with db.begin() as session:
        again = await services.draft(session, code="reference", month="2026-11", actor="test")
    assert (again.version, again.total) == (1, m.total)


async def test_february_1999_credits_equal_the_reports_adjustment_to_the_cent(
    cli: CliRunner, client: AsyncTestClient[Litestar], db: Any, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The README's worked example: the care queue's February 1999 costs 12,150.00 + 3,645.00 in service credits,
    measured under the reference contract as if it had been in force then (OPS_INPUT_EARLIEST lets 1999 in)."""
    monkeypatch.setattr(bounds, "_window", bounds.Window(earliest=date(1990, 1, 1)))
    # The same 24 months (so the same monthly fee of 202,500.00), 27 years earlier.
    text = (
        REFERENCE_CONTRACT.read_text(encoding="utf-8")
        .replace("signed_on: 2026-01-15", "signed_on: 1999-01-15")
        .replace("starts_on: 2026-02-01", "starts_on: 1999-02-01")
        .replace("ends_on: 2028-01-31", "ends_on: 2001-01-31")
        .replace("anniversary: 2027-02-01", "anniversary: 2000-02-01")
    )
    await load_reference(db, text=text)
    manager = bearer(await token(db, "manager"))
    async with db.begin() as session:
        from ops.staffing.history.services import import_intervals

        await import_intervals(
            session, contract_code="reference", text=FEB_1999.read_text(encoding="utf-8"), source="test"
        )
    report = await client.get(
        "/api/reports/reference/sla", params={"from": "1999-02-01", "to": "1999-02-28"}, headers=manager
    )
    assert report.json()["penalties"]["adjustment"] == "-15795.00"
    drafted = await client.post("/api/contracts/reference/measurements/1999-02", headers=manager)
    assert drafted.status_code == 200, drafted.text
    body = drafted.json()
    credit = next(x for x in body["lines"] if x["kind"] == "sla_credit")
    assert credit["amount"] == "-15795.00"
    assert body["report_sha256"] and f"sha256:{body['report_sha256']}" in credit["sources"]


async def test_a_month_outside_the_contracts_term_is_not_measured(client: AsyncTestClient[Litestar], db: Any) -> None:
    """The reference contract runs 2026-02-01..2028-01-31: February 1999 and March 2028 are no month of it, while
    its first month is measured."""
    await load_reference(db)
    manager = bearer(await token(db, "manager"))
    for month, said in (("1999-02", "ends before the contract starts"), ("2028-02", "starts after the contract ends")):
        refused = await client.post(f"/api/contracts/reference/measurements/{month}", headers=manager)
        assert refused.status_code == 422, refused.text
        assert said in refused.json()["detail"], refused.text
    first = await client.post("/api/contracts/reference/measurements/2026-02", headers=manager)
    assert first.status_code == 200, first.text


async def test_submitted_contested_corrected_approved(client: AsyncTestClient[Litestar], db: Any) -> None:
    await _november(db)
    await load_reference(db, code="other")
    manager = bearer(await token(db, "manager"))
    customer = bearer(await token(db, "client", "reference"))
    stranger = bearer(await token(db, "client", "other"))
    url = "/api/contracts/reference/measurements/2026-11"
    assert (await client.post(url, headers=manager)).status_code == 200
    # A draft is the provider's working copy: the client's token neither reads it, approves it nor disputes its lines.
    early = await client.post(f"{url}/approve", json={}, headers=customer)
    assert early.status_code == 404 and "no measurement of reference for 2026-11" in early.json()["detail"]
    assert (await client.get(url, headers=manager)).json()["state"] == "draft"
    assert (await client.get(url, headers=customer)).status_code == 404
    assert (await client.get(f"{url}/document", params={"format": "json"}, headers=customer)).status_code == 404
    listed = await client.get("/api/contracts/reference/measurements", headers=customer)
    assert listed.status_code == 200 and "2026-11" not in [m["month"] for m in listed.json()]
    dispute = {"origin": "measurement_line", "description": "x", "disputed": "1.00", "month": "2026-11"}
    on_draft = await client.post(
        "/api/contracts/reference/disputes", json={**dispute, "line_position": 1}, headers=customer
    )
    assert on_draft.status_code == 404 and "no measurement of reference for 2026-11" in on_draft.json()["detail"]
    on_draft = await client.post(
        "/api/contracts/reference/disputes", json={**dispute, "line_position": 1}, headers=manager
    )
    assert on_draft.status_code == 409 and "is a draft" in on_draft.json()["detail"]
    assert (await client.post(f"{url}/submit", headers=manager)).json()["state"] == "submitted"
    assert (await client.get(url, headers=stranger)).status_code == 404
    assert (
        await client.post(f"{url}/contest", json={"lines": {"4": "not worked"}}, headers=stranger)
    ).status_code == 404
    empty = await client.post(f"{url}/contest", json={"lines": {"4": "  "}}, headers=customer)
    assert empty.status_code == 422 and empty.json()["errors"][0]["field"] == "lines.4"
    contested = await client.post(
        f"{url}/contest", json={"lines": {"4": "The shift of the 10th was not worked"}}, headers=customer
    )
    assert contested.status_code == 200
    body = contested.json()
    assert body["state"] == "contested"
    assert body["lines"][3]["contested_reason"] == "The shift of the 10th was not worked"
    # The manager corrects the data and drafts again: a new version, the contested one kept as superseded.
    redrafted = await client.post(url, headers=manager)
    assert (redrafted.json()["version"], redrafted.json()["state"]) == (2, "draft")
    first = await client.get(url, params={"version": 1}, headers=customer)
    assert first.json()["state"] == "superseded"
    assert (await client.get(url, headers=customer)).json()["version"] == 1  # the new draft is not the client's yet
    assert (await client.get(url, params={"version": 2}, headers=customer)).status_code == 404
    assert (await client.post(f"{url}/submit", headers=manager)).status_code == 200
    approved = await client.post(f"{url}/approve", json={}, headers=customer)
    assert (approved.json()["state"], approved.json()["decided_by"]) == ("approved", "client:t")
    assert [e["action"] for e in approved.json()["events"]] == ["drafted", "submitted", "approved"]
    again = await client.post(url, headers=manager)
    assert again.status_code == 409 and "approved: issue its invoice" in again.json()["detail"]
    pdf = await client.get(f"{url}/document", params={"lang": "es-AR"}, headers=customer)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    xlsx = await client.get(f"{url}/document", params={"format": "xlsx"}, headers=customer)
    assert xlsx.status_code == 200 and xlsx.content.startswith(b"PK")


async def test_bad_periods_are_refused_naming_the_month(db: Any) -> None:
    await load_reference(db)
    next_month = (datetime.now(SP).date().replace(day=1) + timedelta(days=31)).replace(day=1)
    for month, problem in (
        ("2026-13", "month"),
        ("november", "month"),
        (f"{next_month:%Y-%m}", "has not started"),
        ("2099-01", "starts after the contract ends"),
        ("1999-02", "ends before the contract starts"),
    ):
        with pytest.raises(InvalidInputError, match=problem):
            async with db.begin() as session:
                await services.draft(session, code="reference", month=month, actor="test")
    async with db.begin() as session:
        await services.draft(session, code="reference", month="2026-10", actor="test")
    async with db() as session:
        with pytest.raises(ConflictError, match="draft: it cannot be approved"):
            await services.approve(session, code="reference", month="2026-10", actor="test", by="Maria")
    # A month is measured as it goes (a draft), but submitted to the client only once it is over.
    today = datetime.now(SP).date()
    month = f"{today:%Y-%m}"
    async with db.begin() as session:
        drafted = await services.draft(session, code="reference", month=month, actor="test")
    with pytest.raises(ConflictError, match=f"the period of {month} ends on {drafted.period_end}: submit its"):
        async with db.begin() as session:
            await services.submit(session, code="reference", month=month, actor="test")
    async with db.begin() as session:  # the day after its last
        after = datetime.combine(drafted.period_end + timedelta(days=1), datetime.min.time(), SP)
        assert (
            await services.submit(session, code="reference", month=month, actor="t", now=after)
        ).state == "submitted"


def test_the_cli_measures_and_records_a_written_approval(reference_cli: CliRunner, tmp_path: Any) -> None:
    out = tmp_path / "m.pdf"
    drafted = reference_cli.invoke(
        main,
        ["billing", "measure", "--contract", "reference", "--month", "2026-10", "--format", "pdf", "--out", str(out)],
    )
    assert drafted.exit_code == 0, drafted.output
    assert out.read_bytes().startswith(b"%PDF")
    refused = reference_cli.invoke(
        main, ["billing", "approve", "--contract", "reference", "--month", "2026-10", "--by", "Maria (CaboNet)"]
    )
    assert refused.exit_code == 2 and "draft: it cannot be approved" in refused.stderr
    assert (
        reference_cli.invoke(main, ["billing", "submit", "--contract", "reference", "--month", "2026-10"]).exit_code
        == 0
    )
    approved = reference_cli.invoke(
        main, ["billing", "approve", "--contract", "reference", "--month", "2026-10", "--by", "Maria (CaboNet)"]
    )
    assert approved.exit_code == 0 and "approved by Maria (CaboNet)" in approved.output
    issued = reference_cli.invoke(main, ["invoice", "issue", "--contract", "reference", "--month", "2026-10"])
    assert issued.exit_code == 0 and issued.output.startswith("invoice 1 issued")
    twice = reference_cli.invoke(main, ["invoice", "issue", "--contract", "reference", "--month", "2026-10"])
    assert twice.exit_code == 0 and "was already invoiced: invoice 1" in twice.output
    bad = reference_cli.invoke(
        main,
        [
            "billing",
            "measure",
            "--contract",
            "reference",
            "--month",
            "2026-10",
            "--out",
            str(tmp_path / "no" / "x.json"),
        ],
    )
    assert bad.exit_code == 2 and "does not exist" in bad.stderr and "Traceback" not in bad.output
    late = (datetime.now(SP) + timedelta(days=40)).strftime("%Y-%m")
    future = reference_cli.invoke(main, ["billing", "measure", "--contract", "reference", "--month", late])
    assert future.exit_code == 2 and "has not started" in future.stderr
