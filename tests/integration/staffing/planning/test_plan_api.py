"""The staffing API: forecast, requirement, plans (now or as a job with progress), what-if, and who may do what."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

import pandas as pd
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import insert, select

from ops.contracts.models import Contract, Queue
from ops.queues.models import Ticket
from ops.staffing.history.services import import_intervals
from tests.helpers import REFERENCE_CONTRACT, bearer, load_reference, token
from tests.integration.staffing.synthetic import interval_csv, interval_rows

WEEK = "2026-03-09"
API = "/api/staffing/reference"


async def settled(client: AsyncTestClient[Litestar], headers: dict[str, str]) -> dict[str, Any]:
    """Poll the week's plan as the page does until its job has finished (the app runs in its own loop)."""
    for _ in range(300):
        plan: dict[str, Any] = (await client.get(f"{API}/plans/{WEEK}", headers=headers)).json()
        if plan["status"] not in ("queued", "running"):
            return plan
        await asyncio.sleep(0.05)
    raise AssertionError("the plan job did not finish in 15 s")


CAPPED = REFERENCE_CONTRACT.read_text(encoding="utf-8").replace("max_per_interval: 30", "max_per_interval: 12")


async def with_history(db: Any, *, code: str = "reference", text: str = CAPPED) -> None:
    """The reference contract with reinforcement capped at 12 per interval (or a variant), and five weeks of
    care and help-desk statistics before WEEK."""
    await load_reference(db, code=code, text=text)
    rows = interval_rows(date(2026, 2, 2), 35, queues={"care": 1.0, "helpdesk": 0.8})
    async with db.begin() as session:
        await import_intervals(session, contract_code=code, text=interval_csv(rows), source="test")


async def test_forecast_puts_actuals_beside_the_forecast_of_a_week_that_happened(
    client: AsyncTestClient[Litestar], db: Any
) -> None:
    await with_history(db)
    manager = await token(db, "manager")
    body = (await client.get(f"{API}/forecast", params={"week": "2026-03-02"}, headers=bearer(manager))).json()
    care = next(q for q in body["queues"] if q["code"] == "care")
    assert len(care["intervals"]) == 7 * 48
    monday_ten = next(r for r in care["intervals"] if r["interval_start"] == "2026-03-02T10:00:00-03:00")
    assert monday_ten["actual_offered"] is not None
    assert abs(monday_ten["offered"] - monday_ten["actual_offered"]) < 0.35 * monday_ten["actual_offered"]
    assert 250 < monday_ten["aht"] < 350  # the history's 300 s
    sunday = [r for r in care["intervals"] if r["interval_start"].startswith("2026-03-08")]
    assert all(r["offered"] == 0 for r in sunday)  # no Sunday calls in the history, none forecast
    assert {s["queue"] for s in body["skipped"]} == {"retention", "bo_care", "bo_helpdesk", "social"}


async def test_requirement_follows_erlang_and_the_what_if_volume(client: AsyncTestClient[Litestar], db: Any) -> None:
    await with_history(db)
    manager = await token(db, "manager")
    plain = (await client.get(f"{API}/requirement", params={"week": WEEK}, headers=bearer(manager))).json()
    more = (
        await client.get(f"{API}/requirement", params={"week": WEEK, "volume_pct": 30}, headers=bearer(manager))
    ).json()
    peak = max(plain["intervals"], key=lambda r: r["required"])
    assert peak["base"] == 15
    assert peak["gap"] == peak["required"] - 15 > 0
    # Scheduled positions carry the contract's 30 % shrinkage: ceil(agents / 0.7).
    assert all(r["required"] * 7 >= r["agents"] * 10 > (r["required"] - 1) * 7 for r in plain["intervals"])
    assert sum(r["required"] for r in more["intervals"]) > sum(r["required"] for r in plain["intervals"])
    bad = await client.get(f"{API}/requirement", params={"week": WEEK, "target": 1.5}, headers=bearer(manager))
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "target"


async def test_plan_is_computed_saved_and_read_back_within_one_percent_of_its_bound(
    client: AsyncTestClient[Litestar], db: Any
) -> None:
    await with_history(db)
    manager = await token(db, "manager")
    assert (await client.get(f"{API}/plans/{WEEK}", headers=bearer(manager))).status_code == 404
    created = await client.post(f"{API}/plans", json={"week": WEEK}, headers=bearer(manager))
    assert created.status_code == 201, created.text
    plan = created.json()
    assert plan["status"] == "optimal"
    result = plan["result"]
    assert result["gap"] <= 0.01
    assert result["lp_bound"] <= result["objective"] * (1 + 1e-9)
    assert float(plan["cost"]) == float(result["cost"]) == sum(float(s["cost"]) for s in result["shifts"])
    # Every interval: what is required beyond the base is planned or reported uncovered, never hidden.
    for row in result["intervals"]:
        assert row["planned"] + row["uncovered"] >= max(row["required"] - row["base"], 0)
    # The contract caps reinforcement at 12 agents per interval: the peaks cannot all be covered.
    assert result["uncovered"], "the capped peaks are reported"
    assert all(u["positions"] > 0 for u in result["uncovered"])
    care = next(q for q in result["queues"] if q["code"] == "care")
    assert care["service_level"] > care["service_level_base"]
    read = await client.get(f"{API}/plans/{WEEK}", headers=bearer(manager))
    assert read.json()["result"] == result


async def test_without_the_cap_every_interval_is_covered(client: AsyncTestClient[Litestar], db: Any) -> None:
    text = CAPPED.replace("  max_per_interval: 12\n", "")
    await with_history(db, text=text)
    manager = await token(db, "manager")
    result = (await client.post(f"{API}/plans", json={"week": WEEK}, headers=bearer(manager))).json()["result"]
    assert result["uncovered"] == []
    assert result["gap"] <= 0.01
    for q in result["queues"]:
        assert q["service_level"] >= 0.8  # Erlang C per interval meets 80/20, so the week does too


async def test_what_if_recomputes_without_saving(client: AsyncTestClient[Litestar], db: Any) -> None:
    await with_history(db)
    manager = await token(db, "manager")
    saved = (await client.post(f"{API}/plans", json={"week": WEEK}, headers=bearer(manager))).json()
    busier = await client.post(
        f"{API}/what-if",
        json={"week": WEEK, "volume_pct": 20, "aht_pct": 10, "target_pct": 90},
        headers=bearer(manager),
    )
    assert busier.status_code == 200, busier.text
    what_if = busier.json()
    assert what_if["scenario"] == {"volume_pct": 20.0, "aht_pct": 10.0, "target": 0.9, "oncall": False}
    assert sum(r["required"] for r in what_if["intervals"]) > sum(r["required"] for r in saved["result"]["intervals"])
    assert {q["target"] for q in what_if["queues"]} == {0.9}
    quieter = (
        await client.post(f"{API}/what-if", json={"week": WEEK, "volume_pct": -60}, headers=bearer(manager))
    ).json()
    assert float(quieter["cost"]) < float(saved["cost"])
    still = (await client.get(f"{API}/plans/{WEEK}", headers=bearer(manager))).json()
    assert still["result"] == saved["result"]


async def test_background_plan_reports_progress_then_the_result(client: AsyncTestClient[Litestar], db: Any) -> None:
    await with_history(db)
    manager = await token(db, "manager")
    queued = await client.post(f"{API}/plans", json={"week": WEEK, "background": True}, headers=bearer(manager))
    assert queued.status_code == 202
    assert queued.json()["status"] == "queued"
    assert queued.json()["progress"]["step"] == "queued"
    assert queued.json()["result"] is None
    again = await client.post(f"{API}/plans", json={"week": WEEK, "background": True}, headers=bearer(manager))
    assert again.status_code == 409  # one computation of a week at a time
    done = await settled(client, bearer(manager))
    assert done["status"] == "optimal"
    assert done["progress"] is None
    assert done["result"]["shifts"]


async def test_a_failed_background_plan_says_why(client: AsyncTestClient[Litestar], db: Any) -> None:
    await load_reference(db)  # no history at all
    manager = await token(db, "manager")
    queued = await client.post(f"{API}/plans", json={"week": WEEK, "background": True}, headers=bearer(manager))
    assert queued.status_code == 202
    failed = await settled(client, bearer(manager))
    assert failed["status"] == "failed"
    assert "import interval statistics first" in failed["error"]


async def test_roles_managers_plan_supervisors_read_clients_and_other_contracts_do_not(
    client: AsyncTestClient[Litestar], db: Any
) -> None:
    await with_history(db)
    await load_reference(db, code="other")
    manager = await token(db, "manager")
    supervisor = await token(db, "supervisor", "reference")
    outsider = await token(db, "supervisor", "other")
    client_token = await token(db, "client", "reference")
    assert (await client.post(f"{API}/plans", json={"week": WEEK}, headers=bearer(manager))).status_code == 201
    assert (await client.get(f"{API}/plans/{WEEK}", headers=bearer(supervisor))).status_code == 200
    assert (await client.post(f"{API}/plans", json={"week": WEEK}, headers=bearer(supervisor))).status_code == 403
    assert (await client.get(f"{API}/plans/{WEEK}", headers=bearer(client_token))).status_code == 403
    assert (await client.get(f"{API}/plans/{WEEK}", headers=bearer(outsider))).status_code == 404
    forecast = await client.get(f"{API}/forecast", params={"week": WEEK}, headers=bearer(outsider))
    assert forecast.status_code == 404
    assert (await client.get(f"{API}/plans/next-week", headers=bearer(manager))).status_code == 422


async def add_tickets(db: Any, *, queue: str, per_hour: int) -> None:
    """Five weeks of CRM tickets arriving evenly in the back office's weekday hours (08-12, 13-18)."""
    async with db.begin() as session:
        contract_id, queue_id = (
            await session.execute(
                select(Contract.id, Queue.id).join(Queue).where(Contract.code == "reference", Queue.code == queue)
            )
        ).one()
        rows = []
        for day in pd.date_range("2026-02-02", "2026-03-08", freq="D"):
            if day.weekday() >= 5:
                continue
            for hour in (*range(8, 12), *range(13, 18)):
                for k in range(per_hour):
                    at = pd.Timestamp(day.date().isoformat() + f" {hour:02d}:00", tz="America/Sao_Paulo")
                    at = (at + pd.Timedelta(minutes=60 * k / per_hour)).tz_convert("UTC").to_pydatetime()
                    n = len(rows)
                    rows.append(
                        {
                            "contract_id": contract_id,
                            "queue_id": queue_id,
                            "source": "crm",
                            "external_id": f"{queue}-{n}",
                            "protocol": f"P{queue_id:03d}{n:09d}",
                            "channel": "email",
                            "customer": {},
                            "created_at": at,
                            "received_at": at,
                            "classification": {},
                            "checklist": [],
                            "fields": {},
                            "raw": {},
                        }
                    )
        await session.execute(insert(Ticket), rows)


async def test_back_office_queues_are_sized_by_workload_in_their_opening_hours(
    client: AsyncTestClient[Litestar], db: Any
) -> None:
    await with_history(db)
    await add_tickets(db, queue="bo_care", per_hour=20)
    manager = await token(db, "manager")
    result = (await client.post(f"{API}/plans", json={"week": WEEK}, headers=bearer(manager))).json()["result"]
    bo_care = next(q for q in result["queues"] if q["code"] == "bo_care")
    assert bo_care["method"] == "workload"
    assert bo_care["service_level"] is None
    rows = {
        r["interval_start"][11:16]: r
        for r in result["intervals"]
        if r["queue"] == "bo_care" and r["interval_start"].startswith("2026-03-10")
    }
    # 20 tickets an hour x 14 minutes = 140 minutes a half hour; 21 productive minutes per position -> 7.
    assert rows["10:00"]["required"] == 7
    assert rows["10:00"]["base"] == 6
    assert rows["12:00"]["required"] == rows["12:00"]["base"] == 0  # lunch
    assert rows["19:00"]["required"] == 0
    assert rows["10:00"]["planned"] + rows["10:00"]["uncovered"] >= 1
    assert {s["queue"] for s in result["skipped"]} == {"retention", "bo_helpdesk", "social"}
