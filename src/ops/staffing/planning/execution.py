"""A week's reinforcement plan confirmed as executed: the shifts actually worked, the only ones billing bills."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ops import bounds
from ops.auth import Principal
from ops.contracts.models import Contract
from ops.contracts.services import get_contract
from ops.db import utcnow
from ops.errors import ConflictError, NotFoundError
from ops.staffing.planning.models import ExecutedShift, PlanExecution, StaffingPlan
from ops.staffing.planning.oncall_requests import aware, refuse
from ops.staffing.planning.schemas import ShiftIn
from ops.staffing.planning.services import RUNNING

MAX_AGENTS = 500
MAX_SHIFT = timedelta(hours=24)


@dataclass(frozen=True)
class Execution:
    row: PlanExecution
    shifts: list[ExecutedShift]


def _week_bounds(week: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    begin = datetime.combine(week, time(0), tzinfo=zone)
    return begin, datetime.combine(week + timedelta(days=7), time(0), tzinfo=zone)


async def _execution_row(session: AsyncSession, *, contract_id: int, week: date) -> PlanExecution | None:
    query = select(PlanExecution).where(PlanExecution.contract_id == contract_id, PlanExecution.week_start == week)
    return (await session.execute(query)).scalar_one_or_none()


def _already(row: PlanExecution, zone: ZoneInfo) -> ConflictError:
    when = row.confirmed_at.astimezone(zone)
    return ConflictError(
        f"the week of {row.week_start} was already confirmed on {when:%Y-%m-%d %H:%M} {when.tzname()} "
        f"by {row.confirmed_by}",
        extra=[{"field": "week", "problem": "already confirmed"}],
    )


def _check_week(week: date, today: date | None = None) -> None:
    """A Monday within the input window and, given the contract's `today`, not after it: a week is confirmed as
    worked from its Monday on (a manager may confirm the reinforcement of a week under way)."""
    if (problem := bounds.date_problem(week)) is not None:
        raise refuse("week", problem)
    if week.weekday() != 0:
        raise refuse("week", f"must be a Monday, {week} is a {week:%A}")
    if today is not None and week > today:
        raise refuse("week", f"the week of {week} has not started: it is confirmed as executed once worked")


def _plan_shifts(plan: StaffingPlan | None, week: date) -> list[dict[str, Any]]:
    if plan is None:
        return []
    if plan.status in RUNNING:
        raise ConflictError(f"the plan of the week of {week} is still being computed: confirm it when it is done")
    return list((plan.result or {}).get("shifts") or [])


def _skipped(skip: Sequence[int], shifts: list[dict[str, Any]]) -> set[int]:
    for i in skip:
        if isinstance(i, bool) or not isinstance(i, int) or not 0 <= i < len(shifts):
            span = f"0 to {len(shifts) - 1}" if shifts else "none: the week has no planned shifts"
            raise refuse("skip", f"{i!r} is not a shift of the saved plan (shifts {span})")
    return set(skip)


def _check_added(add: Sequence[ShiftIn], contract: Contract, week: date) -> None:
    codes = {q.code for q in contract.queues}
    begin, end = _week_bounds(week, ZoneInfo(contract.timezone))
    for i, shift in enumerate(add):
        at = f"add[{i}]"
        unknown = [part for part in shift.queue.split("+") if part not in codes]
        if not shift.queue or unknown:
            raise refuse(
                f"{at}.queue", f"{shift.queue!r} is not a queue of {contract.code} ({', '.join(sorted(codes))})"
            )
        aware(shift.start, f"{at}.start")
        aware(shift.end, f"{at}.end")
        if not begin <= shift.start < end:
            raise refuse(f"{at}.start", f"must be inside the week of {week} ({contract.timezone}), got {shift.start}")
        if shift.end <= shift.start:
            raise refuse(f"{at}.end", f"must be after the start, got {shift.end}")
        if shift.end - shift.start > MAX_SHIFT:
            raise refuse(
                f"{at}.end", f"a reinforcement shift lasts at most 24 hours, this one {shift.end - shift.start}"
            )
        if isinstance(shift.agents, bool) or not 1 <= shift.agents <= MAX_AGENTS:
            raise refuse(f"{at}.agents", f"must be a whole number from 1 to {MAX_AGENTS}, got {shift.agents!r}")


def _summary(index: int, shift: dict[str, Any]) -> dict[str, Any]:
    keys = ("kind", "queue", "start", "end", "count")
    return {"index": index, **{k: shift.get(k) for k in keys}}


async def confirm_week(
    session: AsyncSession,
    *,
    contract_code: str,
    week: date,
    skip: Sequence[int] = (),
    add: Sequence[ShiftIn] = (),
    actor: str,
    principal: Principal | None = None,
    now: datetime | None = None,
) -> Execution:
    """Confirm the week starting on Monday `week` as executed (by `now`, the clock's time by default): every
    reinforcement shift of the saved plan was worked but those at the `skip` indexes, plus the `add`ed ones. Writes
    one PlanExecution (the changes: plan, skipped, added) and one ExecutedShift per shift worked. Once per contract
    and week: a second confirmation is a 409 saying when and by whom. A week without a saved plan needs added
    shifts; a week that has not started is refused.

    The plan's on-call shifts are not executed shifts: on-call is billed from the shifts the manager records
    (`oncall_requests.add_oncall`); they are listed in the changes as `oncall_not_executed`."""
    contract = await get_contract(session, code=contract_code, principal=principal)
    zone = ZoneInfo(contract.timezone)
    _check_week(week, (now or utcnow()).astimezone(zone).date())
    existing = await _execution_row(session, contract_id=contract.id, week=week)
    if existing is not None:
        raise _already(existing, zone)
    query = select(StaffingPlan).where(StaffingPlan.contract_id == contract.id, StaffingPlan.week_start == week)
    plan = (await session.execute(query)).scalar_one_or_none()
    shifts = _plan_shifts(plan, week)
    skipped = _skipped(skip, shifts)
    _check_added(add, contract, week)
    if plan is None and not add:
        raise refuse("add", f"the week of {week} has no saved plan: give the shifts worked")
    worked = [(i, s) for i, s in enumerate(shifts) if i not in skipped and s.get("kind", "reinforcement") != "oncall"]
    changes: dict[str, Any] = {
        "plan": None
        if plan is None
        else {"id": plan.id, "computed_at": plan.created_at.isoformat(), "status": plan.status, "shifts": len(shifts)},
        "skipped": [_summary(i, shifts[i]) for i in sorted(skipped)],
        "added": [
            {"queue": s.queue, "start": s.start.isoformat(), "end": s.end.isoformat(), "agents": s.agents} for s in add
        ],
        "oncall_not_executed": [
            _summary(i, s) for i, s in enumerate(shifts) if i not in skipped and s.get("kind") == "oncall"
        ],
    }
    row = PlanExecution(contract_id=contract.id, week_start=week, confirmed_by=actor, changes=changes)
    try:
        async with session.begin_nested():
            session.add(row)
            await session.flush()
    except IntegrityError:
        # Another confirmation of the week committed between the check above and this insert.
        existing = await _execution_row(session, contract_id=contract.id, week=week)
        raise (
            _already(existing, zone) if existing is not None else ConflictError("the week was just confirmed")
        ) from None
    executed = [
        ExecutedShift(
            execution_id=row.id,
            contract_id=contract.id,
            queue=str(s["queue"]),
            start=datetime.fromisoformat(s["start"]).astimezone(UTC),
            end=datetime.fromisoformat(s["end"]).astimezone(UTC),
            agents=int(s["count"]),
            origin="plan",
        )
        for _, s in worked
    ] + [
        ExecutedShift(
            execution_id=row.id,
            contract_id=contract.id,
            queue=s.queue,
            start=s.start.astimezone(UTC),
            end=s.end.astimezone(UTC),
            agents=s.agents,
            origin="added",
        )
        for s in add
    ]
    session.add_all(executed)
    await session.flush()
    return Execution(row, sorted(executed, key=lambda s: (s.start, s.id)))


async def get_execution(
    session: AsyncSession, *, contract_code: str, week: date, principal: Principal | None = None
) -> Execution:
    """The week's confirmed execution and its shifts in order of start; 404 when it was not confirmed."""
    contract = await get_contract(session, code=contract_code, principal=principal)
    row = await _execution_row(session, contract_id=contract.id, week=week)
    if row is None:
        raise NotFoundError(f"the week of {week} of {contract_code!r} has not been confirmed as executed")
    query = (
        select(ExecutedShift)
        .where(ExecutedShift.execution_id == row.id)
        .order_by(ExecutedShift.start, ExecutedShift.id)
    )
    return Execution(row, list((await session.execute(query)).scalars()))


async def executed_shifts(
    session: AsyncSession, *, contract_id: int, start: datetime, end: datetime
) -> list[ExecutedShift]:
    """For billing: the contract's executed reinforcement shifts whose start is in [start, end), in order of
    start (UTC times; `agents` worked each)."""
    aware(start, "start")
    aware(end, "end")
    query = (
        select(ExecutedShift)
        .where(ExecutedShift.contract_id == contract_id, ExecutedShift.start >= start, ExecutedShift.start < end)
        .order_by(ExecutedShift.start, ExecutedShift.id)
    )
    return list((await session.execute(query)).scalars())
