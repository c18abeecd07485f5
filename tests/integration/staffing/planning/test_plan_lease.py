"""A plan computation holds its week by a lease that each progress note renews: one whose process died frees the
week after a few silent minutes (no longer a quarter of an hour after it started), one still reporting keeps it."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from ops.db import make_sessionmaker, utcnow
from ops.errors import ConflictError
from ops.staffing.planning.models import StaffingPlan
from ops.staffing.planning.services import PLAN_LEASE, set_progress, start_plan
from ops.staffing.planning.week import Scenario
from tests.helpers import load_reference

WEEK = date(2026, 3, 9)


async def _age(sessionmaker: Any, *, started: timedelta, noted: timedelta | None) -> None:
    """Make the week's computation look started `started` ago, with its last progress note `noted` ago."""
    async with sessionmaker.begin() as session:
        if noted is not None:
            await set_progress(session, contract_code="reference", week=WEEK, step="forecast", done=1, total=4)
        row = (await session.execute(select(StaffingPlan))).scalar_one()
        row.created_at = utcnow() - started
        if noted is not None:
            row.result = {"progress": {**row.result["progress"], "at": (utcnow() - noted).isoformat()}}


async def _start(sessionmaker: Any) -> str:
    async with sessionmaker.begin() as session:
        return (await start_plan(session, contract_code="reference", week=WEEK, scenario=Scenario())).status


async def test_a_silent_computation_frees_its_week_after_the_lease(db: Any) -> None:
    await load_reference(db)
    plans = make_sessionmaker(db.kw["bind"], None)  # the job is not run: its process "dies" at once
    assert await _start(plans) == "queued"
    with pytest.raises(ConflictError):
        await _start(plans)  # one computation of a week at a time

    await _age(plans, started=PLAN_LEASE * 5, noted=PLAN_LEASE / 3)  # long-running, still reporting
    with pytest.raises(ConflictError):
        await _start(plans)

    await _age(plans, started=PLAN_LEASE * 5, noted=PLAN_LEASE + timedelta(seconds=5))  # silent: died
    assert await _start(plans) == "queued"

    await _age(plans, started=PLAN_LEASE + timedelta(seconds=5), noted=None)  # died before its first note
    assert await _start(plans) == "queued"
