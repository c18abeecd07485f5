"""The plan of the demo week (the demo's month of voice statistics) and the on-call option of the plan."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from ops.contracts.services import get_contract
from ops.demo.prepare import store_voice_month
from ops.staffing.history.services import import_intervals
from ops.staffing.planning import services
from tests.helpers import REFERENCE_CONTRACT, load_reference
from tests.integration.staffing.synthetic import interval_csv, interval_rows

TODAY = date(2026, 11, 23)  # the demo stores the month before and this month up to yesterday


CONTRACT_CAP = "max_per_interval: 30"


async def test_the_demo_week_plan_is_within_one_percent_of_its_lp_bound(sdb: Any) -> None:
    await load_reference(sdb)
    async with sdb.begin() as session:
        contract = await get_contract(session, code="reference", principal=None)
        await store_voice_month(session, contract=contract, today=TODAY, seed=7)
    async with sdb.begin() as session:
        computed = await services.plan_week(session, contract_code="reference", week=date(2026, 11, 16))
    result = computed.result
    assert result["gap"] <= 0.01
    assert result["lp_bound"] <= result["objective"] * (1 + 1e-9)
    assert result["shifts"], "the demo's peaks need reinforcement over the 15 + 15 base"
    assert result["uncovered"] == [], "the contract's cap of 30 leaves nothing uncovered in the demo week"


async def test_the_demo_week_plan_reports_the_peaks_a_tighter_cap_leaves_uncovered(sdb: Any) -> None:
    text = REFERENCE_CONTRACT.read_text(encoding="utf-8")
    assert CONTRACT_CAP in text
    await load_reference(sdb, text=text.replace(CONTRACT_CAP, "max_per_interval: 12"))
    async with sdb.begin() as session:
        contract = await get_contract(session, code="reference", principal=None)
        await store_voice_month(session, contract=contract, today=TODAY, seed=7)
        week = services.week_of(await services.latest_history_day(session, contract_code="reference") or TODAY)
    assert week == date(2026, 11, 16)  # the page's default week

    async with sdb.begin() as session:
        computed = await services.plan_week(session, contract_code="reference", week=week)
    result = computed.result
    assert computed.status == "optimal" or result["gap"] <= 0.01
    assert result["gap"] <= 0.01
    assert result["lp_bound"] <= result["objective"] * (1 + 1e-9)
    # The demo's peaks need more than 12 reinforcement agents per interval.
    assert len(result["uncovered"]) > 0
    reinforcement_on_duty: dict[str, int] = {}
    for row in result["intervals"]:
        reinforcement_on_duty[row["interval_start"]] = (
            reinforcement_on_duty.get(row["interval_start"], 0) + row["planned"]
        )
    assert max(reinforcement_on_duty.values()) <= 12
    for u in result["uncovered"]:
        assert reinforcement_on_duty[u["interval_start"]] == 12, "only a binding cap leaves a position uncovered"

    async with sdb() as session:
        saved = await services.get_plan(session, contract_code="reference", week=week)
    assert saved.cost == Decimal(result["cost"])
    assert saved.status == computed.status


async def test_on_call_covers_the_evening_when_reinforcement_is_not_allowed(sdb: Any) -> None:
    text = REFERENCE_CONTRACT.read_text(encoding="utf-8").replace(CONTRACT_CAP, "max_per_interval: 0")
    await load_reference(sdb, text=text)
    rows = interval_rows(date(2026, 2, 2), 35, queues={"care": 1.0})
    for row in rows:  # calls after the 21:00 closing on weekdays, which only on-call may take
        stamp = str(row["interval_start"])
        if stamp[11:16] in ("21:00", "21:30") and date.fromisoformat(stamp[:10]).weekday() < 5:
            row.update(offered=12, answered=12, answered_within=10, handle_seconds=12 * 300.0)
    async with sdb.begin() as session:
        await import_intervals(session, contract_code="reference", text=interval_csv(rows), source="test")

    week = date(2026, 3, 9)
    async with sdb() as session:
        without = await services.plan_week(session, contract_code="reference", week=week, save=False)
        with_oncall = await services.plan_week(
            session, contract_code="reference", week=week, scenario=services.Scenario(oncall=True), save=False
        )
    assert without.result["shifts"] == []
    late = [u for u in without.result["uncovered"] if u["interval_start"][11:16] in ("21:00", "21:30")]
    assert len(late) == 10  # five weekdays, two intervals each

    shifts = with_oncall.result["shifts"]
    assert shifts
    assert {s["kind"] for s in shifts} == {"oncall"}
    assert all(s["start"][11:16] >= "21:00" for s in shifts)
    # Billed at the on-call rate, never under the day's minimum (2 h Monday to Thursday, 4 h on Friday).
    for s in shifts:
        minimum = Decimal(4) if date.fromisoformat(s["day"]).weekday() == 4 else Decimal(2)
        assert Decimal(s["billed_hours"]) >= minimum
        assert Decimal(s["hourly_rate"]) == Decimal("240")
    late_after = [u for u in with_oncall.result["uncovered"] if u["interval_start"][11:16] in ("21:00", "21:30")]
    assert late_after == []


async def test_the_demo_back_office_forecast_follows_when_its_tickets_arrived(sdb: Any) -> None:
    """The demo's two weeks of tickets arrive as they were opened: next week's back-office forecast is spread over
    the days, not one spike at the moment the demo was prepared."""
    from datetime import UTC, datetime

    from ops.demo.prepare import demo_tickets_and_agents

    await load_reference(sdb)
    now = datetime(2026, 11, 22, 21, 30, tzinfo=UTC)  # a Sunday evening
    async with sdb.begin() as session:
        contract = await get_contract(session, code="reference", principal=None)
        await demo_tickets_and_agents(session, contract=contract, now=now, seed=7)
    async with sdb.begin() as session:
        forecast = await services.forecast_week(session, contract_code="reference", week=date(2026, 11, 23))
    care = next(q for q in forecast["queues"] if q["code"] == "bo_care")
    offered = [float(i["offered"] or 0) for i in care["intervals"]]
    days = {i["interval_start"][:10] for i, o in zip(care["intervals"], offered, strict=True) if o > 0}
    assert sum(offered) > 0 and max(offered) < 0.2 * sum(offered), max(offered)
    assert len(days) >= 5, days
