"""HTTP endpoints of the staffing domain: forecast, requirement, plans and what-if of a contract week, the week
confirmed as executed, and the on-call shifts the manager records."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from ops import bounds, openapi
from ops.auth import Principal, requires
from ops.http import parse_day, parse_month_span, to_struct
from ops.staffing.planning import execution, oncall_requests, services
from ops.staffing.planning.models import StaffingPlan
from ops.staffing.planning.schemas import (
    ExecutedShiftOut,
    ExecutionIn,
    ExecutionOut,
    OnCallEndIn,
    OnCallIn,
    OnCallOut,
    PlanOut,
    PlanRequest,
    WhatIfRequest,
)

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


def execution_out(code: str, done: execution.Execution) -> ExecutionOut:
    return to_struct(
        ExecutionOut,
        done.row,
        contract=code,
        week=done.row.week_start,
        shifts=[to_struct(ExecutedShiftOut, s) for s in done.shifts],
    )


def oncall_out(code: str, listed: oncall_requests.ListedOnCall) -> OnCallOut:
    return to_struct(
        OnCallOut,
        listed.shift,
        contract=code,
        start=listed.start,
        scheduled_end=listed.scheduled_end,
        ended_at=listed.ended_at,
        periods=listed.periods,
        hours=listed.hours,
        specialist_hours=listed.specialist_hours,
    )


async def _listed(session: AsyncSession, code: str, shift_id: int, principal: Principal) -> OnCallOut:
    """One shift as the month's list shows it (its hours by the same rules)."""
    row, _ = await oncall_requests.get_oncall(session, shift_id=shift_id, contract_code=code, principal=principal)
    zone = await oncall_requests.contract_zone(session, contract_code=code, principal=principal)
    day = row.start.astimezone(zone).date()
    shifts = await oncall_requests.list_oncall(
        session, contract_code=code, start=day, end=day + timedelta(days=1), principal=principal
    )
    return oncall_out(code, next(s for s in shifts if s.shift.id == shift_id))


def _week(value: str) -> date:
    """A week in the path: a Monday within the input window, or a 422 naming `week`."""
    week = parse_day(value, "week")
    bounds.check_week(week)
    return week


def _actor(request: Request[Principal, str, State]) -> str:
    return f"token:{request.user.name}"


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
        bounds.check_week(week)
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
        """Agents and scheduled positions required per queue and interval against the contracted base. `volume_pct`
        and `aht_pct` change volume and AHT in percent (-100 to 1000), `target` is a share in (0, 1]."""
        bounds.refuse(
            [
                (field, problem)
                for field, problem in (
                    ("week", bounds.week_problem(week)),
                    ("volume_pct", bounds.percent_problem(volume_pct)),
                    ("aht_pct", bounds.percent_problem(aht_pct)),
                    ("target", None if target is None else bounds.share_problem(target)),
                )
                if problem is not None
            ]
        )
        scenario = services.Scenario(volume_pct=volume_pct, aht_pct=aht_pct, target=target)
        return await services.requirement_week(
            db_session, contract_code=code, week=week, scenario=scenario, principal=request.user
        )

    @post(
        "/plans",
        operation_id="ComputeStaffingPlan",
        guards=[PLANNERS],
        opt=openapi.succeeds(s201="Computed and saved.", s202="Queued (`background`): the plan as it starts."),
    )
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
        row = await services.get_plan(db_session, contract_code=code, week=_week(week), principal=request.user)
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

    @post("/plans/{week:str}/execution", operation_id="ConfirmPlanExecution", guards=[PLANNERS])
    async def confirm_execution(
        self,
        request: Request[Principal, str, State],
        db_session: NamedDependency[AsyncSession],
        code: FromPath[str],
        week: FromPath[str],
        data: JSONBody[ExecutionIn],
    ) -> Response[ExecutionOut]:
        """Confirm the week (a Monday, YYYY-MM-DD) as executed: the saved plan's shifts but those at the `skip`
        indexes, plus the `add`ed ones (201). Once per week: again is a 409 saying when and by whom."""
        done = await execution.confirm_week(
            db_session,
            contract_code=code,
            week=_week(week),
            skip=data.skip,
            add=data.add,
            actor=_actor(request),
            principal=request.user,
        )
        return Response(execution_out(code, done), status_code=201)

    @get("/plans/{week:str}/execution", operation_id="GetPlanExecution", guards=[READERS])
    async def get_execution(
        self,
        request: Request[Principal, str, State],
        db_session: NamedDependency[AsyncSession],
        code: FromPath[str],
        week: FromPath[str],
    ) -> ExecutionOut:
        """The week as confirmed executed (404 until it is): who, when, the changes and the shifts billed."""
        done = await execution.get_execution(db_session, contract_code=code, week=_week(week), principal=request.user)
        return execution_out(code, done)

    @post("/oncall", operation_id="AddOnCallShift", guards=[PLANNERS])
    async def add_oncall(
        self,
        request: Request[Principal, str, State],
        db_session: NamedDependency[AsyncSession],
        code: FromPath[str],
        data: JSONBody[OnCallIn],
    ) -> Response[OnCallOut]:
        """Record an on-call shift (201): times with their UTC offset, at most 14 days, 1 to 50 specialists.
        It bills whether or not anyone is called, never under its day's minimum."""
        row = await oncall_requests.add_oncall(
            db_session,
            contract_code=code,
            start=data.start,
            end=data.end,
            specialists=data.specialists,
            note=data.note,
            actor=_actor(request),
            principal=request.user,
        )
        return Response(await _listed(db_session, code, row.id, request.user), status_code=201)

    @post("/oncall/{id:int}/end", operation_id="EndOnCallShift", guards=[PLANNERS], status_code=200)
    async def end_oncall(
        self,
        request: Request[Principal, str, State],
        db_session: NamedDependency[AsyncSession],
        code: FromPath[str],
        id: FromPath[int],
        data: JSONBody[OnCallEndIn],
    ) -> OnCallOut:
        """End the shift early at `at` (after its start, not after its scheduled end); it still bills at least
        its day's minimum. Ending it twice is a 409."""
        await oncall_requests.end_oncall(
            db_session,
            shift_id=id,
            at=data.at,
            actor=_actor(request),
            contract_code=code,
            principal=request.user,
        )
        return await _listed(db_session, code, id, request.user)

    @get("/oncall", operation_id="ListOnCallShifts", guards=[READERS])
    async def list_oncall(
        self,
        request: Request[Principal, str, State],
        db_session: NamedDependency[AsyncSession],
        code: FromPath[str],
        month: FromQuery[str],
    ) -> list[OnCallOut]:
        """The on-call shifts starting in the month (YYYY-MM, the contract's local days), each with the hours
        it bills per specialist: per 24 hours from its start, never under that day's minimum."""
        start, end = parse_month_span(month)
        shifts = await oncall_requests.list_oncall(
            db_session, contract_code=code, start=start, end=end, principal=request.user
        )
        return [oncall_out(code, s) for s in shifts]
