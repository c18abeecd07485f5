"""Staffing inputs held to the bounds (issue 13): a week is a Monday within the input window, volume and AHT
changes are percentages from -100 to 1000, and times lie in the window. Each was a 500 (or 50 s of a busy core,
or a plan saved for a Wednesday); now a 422 naming the field, with nothing stored."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from ops.staffing.planning.models import StaffingPlan
from tests.helpers import bearer, load_reference, token

API = "/api/staffing/reference"
OUTSIDE = "is outside 2000-01-01 to"


async def manager(db: Any) -> dict[str, str]:
    await load_reference(db)
    return bearer(await token(db, "manager"))


async def plans(db: Any) -> int:
    async with db() as session:
        return int((await session.execute(select(func.count()).select_from(StaffingPlan))).scalar_one())


def named(response: Any, field: str, problem: str) -> None:
    assert response.status_code == 422, response.text
    (error,) = response.json()["errors"]
    assert error["field"] == field
    assert problem in error["problem"]


@pytest.mark.parametrize(
    ("week", "problem"),
    [("9999-12-27", OUTSIDE), ("0001-01-01", OUTSIDE), ("2026-03-11", "is a Wednesday: a week starts on a Monday")],
)
async def test_a_week_outside_the_window_or_not_a_monday_is_a_422_everywhere(
    client: AsyncTestClient[Litestar], db: Any, week: str, problem: str
) -> None:
    headers = await manager(db)
    named(await client.get(f"{API}/forecast", params={"week": week}, headers=headers), "week", problem)
    named(await client.get(f"{API}/requirement", params={"week": week}, headers=headers), "week", problem)
    named(await client.post(f"{API}/what-if", json={"week": week}, headers=headers), "week", problem)
    named(await client.post(f"{API}/plans", json={"week": week}, headers=headers), "week", problem)
    named(await client.get(f"{API}/plans/{week}", headers=headers), "week", problem)
    named(await client.get(f"{API}/plans/{week}/execution", headers=headers), "week", problem)
    assert await plans(db) == 0


@pytest.mark.parametrize(("value", "problem"), [("1e12", "is outside -100"), ("5e7", "is outside"), ("nan", "finite")])
async def test_a_volume_change_out_of_range_is_a_422_not_a_busy_core(
    client: AsyncTestClient[Litestar], db: Any, value: str, problem: str
) -> None:
    headers = await manager(db)
    params = {"week": "2026-03-09", "volume_pct": value}
    named(await client.get(f"{API}/requirement", params=params, headers=headers), "volume_pct", problem)
    what_if = await client.post(f"{API}/what-if", json={"week": "2026-03-09", "aht_pct": 1e12}, headers=headers)
    named(what_if, "aht_pct", "<= 1000")


async def test_an_on_call_shift_dated_year_2_is_a_422_naming_start(client: AsyncTestClient[Litestar], db: Any) -> None:
    headers = await manager(db)
    shift = {"start": "0002-01-01T20:00:00-03:00", "end": "2026-03-10T06:00:00-03:00", "note": "a\x00"}
    named(await client.post(f"{API}/oncall", json=shift, headers=headers), "start", OUTSIDE)
    shift = {"start": "2026-03-09T20:00:00-03:00", "end": "2026-03-10T06:00:00-03:00", "note": "ok\x00"}
    named(await client.post(f"{API}/oncall", json=shift, headers=headers), "note", "control character U+0000")
    listed = await client.get(f"{API}/oncall", params={"month": "2026-03"}, headers=headers)
    assert listed.json() == []


@pytest.mark.parametrize("month", ["9999-12", "0001-01"])
async def test_a_month_of_on_call_shifts_past_history_is_a_422(
    client: AsyncTestClient[Litestar], db: Any, month: str
) -> None:
    """9999-12 was a 500: its next month, year 10000, is no date."""
    headers = await manager(db)
    named(await client.get(f"{API}/oncall", params={"month": month}, headers=headers), "month", "is outside 1970-01-01")
