"""HTTP endpoints of the staffing domain: forecast, requirement, plans and what-if of a contract week."""

from __future__ import annotations

from datetime import date
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from ops.auth import Principal, requires
from ops.http import parse_day, to_struct
from ops.staffing.planning import services
from ops.staffing.planning.models import StaffingPlan
from ops.staffing.planning.schemas import PlanOut, PlanRequest, WhatIfRequest

READERS = requires("manager", "supervisor")
PLANNERS = requires("manager")


def plan_out(code: str, row: StaffingPlan) -> PlanOut:
    result = row.result or {}
    done = row.status not in (*services.RUNNING, "failed")
    return to_struct(
        PlanOut,
        row,
        contract=code,
        week=row.week_start,
        progress=None if done else result.get("progress"),
        error=result.get("error"),
        result=result if done else None,
    )


class StaffingController(Controller):
    path = "/api/staffing/{code:str}"
    tags = ("staffing",)

    @get("/forecast", operation_id="GetStaffingForecast", guards=[READERS])
    async def forecast(
        self,
        request: Request[Principal, str, State],
        db_session: NamedDependency[AsyncSession],
        code: FromPath[str],
        week: FromQuery[date],
    ) -> dict[str, Any]:
        """Offered contacts and AHT forecast per queue and 30-minute interval, beside the actuals when known."""
        return await services.forecast_week(db_session, contract_code=code, week=week, principal=request.user)

    @get("/requirement", operation_id="GetStaffingRequirement", guards=[READERS])
    async def requirement(
        self,
        request: Request[Principal, str, State],
        db_session: NamedDependency[AsyncSession],
        code: FromPath[str],
        week: FromQuery[date],
        volume_pct: FromQuery[float] = 0.0,
        aht_pct: FromQuery[float] = 0.0,
        target: FromQuery[float | None] = None,
    ) -> dict[str, Any]:
        """Agents and scheduled positions required per queue and interval against the contracted base."""
        scenario = services.Scenario(volume_pct=volume_pct, aht_pct=aht_pct, target=target)
        return await services.requirement_week(
            db_session, contract_code=code, week=week, scenario=scenario, principal=request.user
        )

    @post("/plans", operation_id="ComputeStaffingPlan", guards=[PLANNERS])
    async def compute_plan(
        self,
        request: Request[Principal, str, State],
        db_session: NamedDependency[AsyncSession],
        code: FromPath[str],
        data: JSONBody[PlanRequest],
    ) -> Response[PlanOut]:
        """Compute and save the week's plan (201), or with `background` queue it and answer 202 at once."""
        scenario = services.Scenario(oncall=data.oncall)
        if data.background:
            row = await services.start_plan(
                db_session, contract_code=code, week=data.week, scenario=scenario, principal=request.user
            )
            return Response(plan_out(code, row), status_code=202)
        await services.plan_week(
            db_session, contract_code=code, week=data.week, scenario=scenario, principal=request.user
        )
        row = await services.get_plan(db_session, contract_code=code, week=data.week, principal=request.user)
        return Response(plan_out(code, row), status_code=201)

    @get("/plans/{week:str}", operation_id="GetStaffingPlan", guards=[READERS])
    async def get_plan(
        self,
        request: Request[Principal, str, State],
        db_session: NamedDependency[AsyncSession],
        code: FromPath[str],
        week: FromPath[str],
    ) -> PlanOut:
        """The saved plan of the week (YYYY-MM-DD), or how far its computation got."""
        row = await services.get_plan(
            db_session, contract_code=code, week=parse_day(week, "week"), principal=request.user
        )
        return plan_out(code, row)

    @post("/what-if", operation_id="StaffingWhatIf", guards=[READERS], status_code=200)
    async def what_if(
        self,
        request: Request[Principal, str, State],
        db_session: NamedDependency[AsyncSession],
        code: FromPath[str],
        data: JSONBody[WhatIfRequest],
    ) -> dict[str, Any]:
        """The week's plan with volume, AHT or target changed, computed now and not saved."""
        scenario = services.Scenario(
            volume_pct=data.volume_pct, aht_pct=data.aht_pct, target=data.target, oncall=data.oncall
        )
        return await services.what_if(
            db_session, contract_code=code, week=data.week, scenario=scenario, principal=request.user
        )
