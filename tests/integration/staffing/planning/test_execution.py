"""A week's plan confirmed as executed: shifts skipped and added, once per week, what billing reads, and the API,
command line and page that do it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from ops.cli.main import main
from ops.contracts.models import Contract
from ops.l10n import Formats
from ops.staffing.planning.execution import executed_shifts
from ops.staffing.planning.models import ExecutedShift, PlanExecution, StaffingPlan
from tests.helpers import bearer, load_reference, sign_in, token
from tests.integration.staffing.planning.test_plan_api import WEEK, with_history

Client = AsyncTestClient[Litestar]
API = "/api/staffing/reference"
MONDAY = date(2026, 3, 9)


def shift(kind: str, queue: str, start: str, hours: int, count: int) -> dict[str, Any]:
    """A shift as `planning.week` stores it in a saved plan's result."""
    begin = datetime.fromisoformat(start)
    return {
        "kind": kind,
        "queue": queue,
        "day": begin.date().isoformat(),
        "start": begin.isoformat(),
        "end": (begin + timedelta(hours=hours)).isoformat(),
        "length_hours": float(hours),
        "billed_hours": str(hours),
        "hourly_rate": "62.00",
        "count": count,
        "cost": str(62 * hours * count),
    }


SHIFTS = [
    shift("reinforcement", "care", "2026-03-09T09:00:00-03:00", 6, 4),
    shift("reinforcement", "helpdesk", "2026-03-09T10:00:00-03:00", 4, 2),
    shift("oncall", "care", "2026-03-09T21:00:00-03:00", 4, 1),
    shift("reinforcement", "care+helpdesk", "2026-03-10T14:00:00-03:00", 8, 3),
]


async def saved_plan(db: Any, *, shifts: list[dict[str, Any]] = SHIFTS, status: str = "optimal") -> None:
    async with db.begin() as session:
        contract_id = (await session.execute(select(Contract.id).where(Contract.code == "reference"))).scalar_one()
        session.add(
            StaffingPlan(
                contract_id=contract_id,
                week_start=MONDAY,
                params={},
                result={"shifts": shifts},
                cost=Decimal("100.00"),
                lp_bound=None,
                status=status,
            )
        )


async def stored(db: Any) -> tuple[int, int]:
    async with db() as session:
        executions = (await session.execute(select(func.count()).select_from(PlanExecution))).scalar_one()
        shifts = (await session.execute(select(func.count()).select_from(ExecutedShift))).scalar_one()
        return int(executions), int(shifts)


@pytest.fixture
async def manager(client: Client, db: Any) -> dict[str, str]:
    await load_reference(db)
    return bearer(await token(db, "manager"))


async def test_a_computed_plans_week_is_confirmed_with_one_shift_skipped_and_one_added(client: Client, db: Any) -> None:
    """The plan the solver saved (as test_plan_api computes it), confirmed: its shifts but one, plus one."""
    await with_history(db)
    manager = bearer(await token(db, "manager"))
    plan = (await client.post(f"{API}/plans", json={"week": WEEK}, headers=manager)).json()["result"]
    shifts = plan["shifts"]
    assert len(shifts) >= 2 and {s["kind"] for s in shifts} == {"reinforcement"}
    extra = {"queue": "care", "start": "2026-03-14T19:00:00-03:00", "end": "2026-03-14T23:00:00-03:00", "agents": 2}
    confirmed = await client.post(f"{API}/plans/{WEEK}/execution", json={"skip": [1], "add": [extra]}, headers=manager)
    assert confirmed.status_code == 201, confirmed.text
    body = confirmed.json()
    assert body["week"] == WEEK and body["confirmed_by"].startswith("token:")
    assert len(body["shifts"]) == len(shifts)  # one skipped, one added
    assert [s["origin"] for s in body["shifts"]].count("added") == 1
    worked = [s for i, s in enumerate(shifts) if i != 1]
    from_plan = [s for s in body["shifts"] if s["origin"] == "plan"]
    assert sorted((datetime.fromisoformat(s["start"]), s["queue"], s["count"]) for s in worked) == sorted(
        (datetime.fromisoformat(s["start"]), s["queue"], s["agents"]) for s in from_plan
    )
    assert body["changes"]["skipped"] == [
        {"index": 1, **{k: shifts[1][k] for k in ("kind", "queue", "start", "end", "count")}}
    ]
    assert body["changes"]["added"] == [extra]
    assert body["changes"]["plan"]["shifts"] == len(shifts)
    assert (await client.get(f"{API}/plans/{WEEK}/execution", headers=manager)).json() == body

    twice = await client.post(f"{API}/plans/{WEEK}/execution", json={}, headers=manager)
    assert twice.status_code == 409
    assert twice.json()["detail"].startswith(f"the week of {WEEK} was already confirmed on 20")
    assert "by token:" in twice.json()["detail"]
    assert await stored(db) == (1, len(shifts))


async def test_billing_reads_the_executed_shifts_starting_in_its_period(
    client: Client, db: Any, manager: dict[str, str]
) -> None:
    await saved_plan(db)
    confirmed = await client.post(f"{API}/plans/{MONDAY}/execution", json={"skip": [0]}, headers=manager)
    assert confirmed.status_code == 201, confirmed.text
    body = confirmed.json()
    # The planned on-call shift is no reinforcement: billed only as a recorded on-call shift.
    assert [(s["queue"], s["agents"], s["origin"]) for s in body["shifts"]] == [
        ("helpdesk", 2, "plan"),
        ("care+helpdesk", 3, "plan"),
    ]
    assert [s["index"] for s in body["changes"]["oncall_not_executed"]] == [2]
    async with db() as session:
        contract_id = (await session.execute(select(Contract.id).where(Contract.code == "reference"))).scalar_one()
        tuesday = datetime(2026, 3, 10, 3, tzinfo=UTC)  # Tuesday 00:00 in São Paulo
        monday = await executed_shifts(session, contract_id=contract_id, start=tuesday - timedelta(days=1), end=tuesday)
        rest = await executed_shifts(session, contract_id=contract_id, start=tuesday, end=tuesday + timedelta(days=6))
    assert [(s.queue, s.start, s.end, s.agents) for s in monday] == [
        ("helpdesk", datetime(2026, 3, 9, 13, tzinfo=UTC), datetime(2026, 3, 9, 17, tzinfo=UTC), 2)
    ]
    assert [(s.queue, s.start) for s in rest] == [("care+helpdesk", datetime(2026, 3, 10, 17, tzinfo=UTC))]


async def test_a_week_without_a_plan_is_confirmed_with_added_shifts_only(
    client: Client, db: Any, manager: dict[str, str]
) -> None:
    url = f"{API}/plans/{MONDAY}/execution"
    nothing = await client.post(url, json={}, headers=manager)
    assert nothing.status_code == 422
    assert nothing.json()["errors"][0]["field"] == "add"
    assert (await client.get(url, headers=manager)).status_code == 404
    added = {"queue": "helpdesk", "start": "2026-03-11T08:00:00-03:00", "end": "2026-03-11T12:00:00-03:00"}
    confirmed = await client.post(url, json={"add": [added]}, headers=manager)
    assert confirmed.status_code == 201, confirmed.text
    assert [(s["origin"], s["agents"]) for s in confirmed.json()["shifts"]] == [("added", 1)]
    assert confirmed.json()["changes"]["plan"] is None


def added(start: str, end: str, queue: str = "care", **more: Any) -> dict[str, Any]:
    return {"add": [{"queue": queue, "start": start, "end": end, **more}]}


def _monday_after_next() -> str:
    today = datetime.now(ZoneInfo("America/Sao_Paulo")).date()
    return (today + timedelta(days=14 - today.weekday())).isoformat()


@pytest.mark.parametrize(
    ("week", "body", "field"),
    [
        ("2026-03-10", {}, "week"),  # a Tuesday
        (_monday_after_next(), {}, "week"),  # not worked yet
        ("2026-03-09", {"skip": [4]}, "skip"),
        ("2026-03-09", {"skip": [-1]}, "skip"),
        ("2026-03-09", added("2026-03-10T08:00:00-03:00", "2026-03-10T12:00:00-03:00", "nope"), "add[0].queue"),
        ("2026-03-09", added("2026-03-10T08:00:00", "2026-03-10T12:00:00-03:00"), "add[0].start"),  # no offset
        ("2026-03-09", added("2026-03-16T08:00:00-03:00", "2026-03-16T12:00:00-03:00"), "add[0].start"),  # next week
        ("2026-03-09", added("2026-03-10T08:00:00-03:00", "2026-03-10T07:00:00-03:00"), "add[0].end"),
        ("2026-03-09", added("2026-03-10T08:00:00-03:00", "2026-03-11T08:30:00-03:00"), "add[0].end"),  # over 24 h
        ("2026-03-09", added("2026-03-10T08:00:00-03:00", "2026-03-10T12:00:00-03:00", agents=0), "add[0].agents"),
    ],
)
async def test_bad_confirmations_are_refused_naming_the_field_and_change_nothing(
    client: Client, db: Any, manager: dict[str, str], week: str, body: dict[str, Any], field: str
) -> None:
    await saved_plan(db)
    refused = await client.post(f"{API}/plans/{week}/execution", json=body, headers=manager)
    assert refused.status_code == 422, refused.text
    assert [e["field"] for e in refused.json()["errors"]] == [field]
    assert await stored(db) == (0, 0)


async def test_a_plan_still_computing_cannot_be_confirmed(client: Client, db: Any, manager: dict[str, str]) -> None:
    await saved_plan(db, shifts=[], status="running")
    refused = await client.post(f"{API}/plans/{MONDAY}/execution", json={}, headers=manager)
    assert refused.status_code == 409
    assert "still being computed" in refused.json()["detail"]


async def test_only_the_contracts_managers_confirm_and_staff_read(
    client: Client, db: Any, manager: dict[str, str]
) -> None:
    await load_reference(db, code="other")
    await saved_plan(db)
    url = f"{API}/plans/{MONDAY}/execution"
    for role, contract in (("client", "reference"), ("supervisor", "reference"), ("agent", "reference")):
        headers = bearer(await token(db, role, contract))  # type: ignore[arg-type]
        assert (await client.post(url, json={}, headers=headers)).status_code == 403, role
    assert (await client.get(url, headers=bearer(await token(db, "client", "reference")))).status_code == 403
    other = bearer(await token(db, "manager", "other"))
    assert (await client.post(url, json={}, headers=other)).status_code == 404
    assert await stored(db) == (0, 0)
    assert (await client.post(url, json={}, headers=manager)).status_code == 201
    supervisor = bearer(await token(db, "supervisor", "reference"))
    assert (await client.get(url, headers=supervisor)).status_code == 200
    assert (await client.get(url, headers=other)).status_code == 404


async def test_the_staffing_page_confirms_the_week_with_shifts_ticked_as_not_worked(client: Client, db: Any) -> None:
    await load_reference(db)
    await saved_plan(db)
    await sign_in(client, await token(db, "manager"))
    week = {"contract": "reference", "week": MONDAY.isoformat()}
    page = await client.get("/staffing", params=week, headers={"accept-language": "pt-BR"})
    assert 'id="confirm-form"' in page.text and 'name="skip_3"' in page.text
    assert "Sobreavisos do plano só são faturados se registrados abaixo." in page.text
    form = {
        "contract": "reference",
        "week_of": MONDAY.isoformat(),
        "skip_1": "1",
        "add_queue": "care",
        "add_start": "2026-03-12T18:00",
        "add_end": "2026-03-12T22:00",
    }
    for far in ("0001-01-01", "9999-12-27"):  # no week the page can show: refused on next week's page, not a 500
        refused = await client.post("/staffing/execution", data={**form, "week_of": far}, follow_redirects=False)
        assert refused.status_code == 422 and f"{far} is outside 2000-01-01 to" in refused.text
    bad = await client.post("/staffing/execution", data={**form, "add_agents": "muitos"}, follow_redirects=False)
    assert bad.status_code == 422 and "<b>add_agents</b>" in bad.text
    assert await stored(db) == (0, 0)
    done = await client.post("/staffing/execution", data={**form, "add_agents": "2"}, follow_redirects=False)
    assert done.status_code == 303, done.text
    shown = await client.get("/staffing", params=week, headers={"accept-language": "en"})
    assert "Confirmed as executed" in shown.text and 'id="confirm-form"' not in shown.text
    # The added shift as the page writes it: the contract's local time, in the reader's conventions (Babel).
    added = datetime(2026, 3, 12, 18, 0, tzinfo=ZoneInfo("America/Sao_Paulo"))
    assert Formats("en").datetime(added, "America/Sao_Paulo", "short") in shown.text
    async with db() as session:
        rows = list((await session.execute(select(ExecutedShift).order_by(ExecutedShift.start))).scalars())
    assert [(r.queue, r.agents, r.origin) for r in rows] == [
        ("care", 4, "plan"),
        ("care+helpdesk", 3, "plan"),
        ("care", 2, "added"),
    ]
    again = await client.post("/staffing/execution", data=form, follow_redirects=False)
    assert again.status_code == 409 and "already confirmed" in again.text


def test_the_command_line_confirms_a_week_once(reference_cli: CliRunner, history: Path) -> None:
    cli = reference_cli
    assert cli.invoke(main, ["import", "intervals", str(history), "--contract", "reference"]).exit_code == 0
    planned = cli.invoke(main, ["staffing", "plan", "--contract", "reference", "--week", WEEK])
    assert planned.exit_code == 0
    assert (
        "    #  day         start" in planned.stdout and "\n    0  2026-03-" in planned.stdout
    )  # the numbers --skip takes
    confirm = ["staffing", "confirm", "--contract", "reference", "--week", WEEK]
    bad = cli.invoke(main, [*confirm, "--add", "care,2026-03-14T19:00"])
    assert bad.exit_code == 2 and "QUEUE,START,END[,AGENTS]" in bad.stderr
    bad_skip = cli.invoke(main, [*confirm, "--skip", "um"])
    assert bad_skip.exit_code == 2 and "--skip" in bad_skip.stderr
    out_of_range = cli.invoke(main, [*confirm, "--skip", "999"])
    assert out_of_range.exit_code == 2 and "skip: 999 is not a shift of the saved plan" in out_of_range.stderr
    done = cli.invoke(main, [*confirm, "--skip", "0", "--add", "care,2026-03-14T19:00,2026-03-14T23:00,2"])
    assert done.exit_code == 0, done.output
    assert "(1 of the plan skipped, 1 added)" in done.stdout
    assert "2026-03-14 19:00-23:00  care                2 agents  (added)" in done.stdout
    again = cli.invoke(main, confirm)
    assert again.exit_code == 2
    assert f"the week of {WEEK} was already confirmed on" in again.stderr and "by cli" in again.stderr
    assert "Traceback" not in again.output
