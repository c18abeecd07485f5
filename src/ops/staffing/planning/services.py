"""Staffing services: load a week's inputs, forecast and requirement views, plans (saved, queued, what-if).

The computation itself is in `ops.staffing.planning.week`; here is only what touches the database.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ops.auth import Principal
from ops.calendars import Calendar
from ops.contracts.document import from_document
from ops.contracts.models import Queue
from ops.contracts.schemas import ContractFile
from ops.contracts.services import get_contract
from ops.db import utcnow
from ops.errors import ConflictError, NotFoundError
from ops.queues.models import Ticket
from ops.staffing.forecast.model import ForecastConfig
from ops.staffing.history.models import IntervalStat
from ops.staffing.history.services import load_history, queue_zone, voice_sla
from ops.staffing.planning.models import StaffingPlan
from ops.staffing.planning.overview import accuracy_json, accuracy_of, unplanned, workload_of
from ops.staffing.planning.week import (
    Computed,
    PlanInputs,
    QueueInputs,
    Scenario,
    compute,
    forecast_queue,
    iso,
    num,
    requirements,
)

__all__ = ["Computed", "PlanInputs", "QueueInputs", "Scenario"]

RUNNING = ("queued", "running")
# A computation's lease: each progress note renews it; one silent this long died with its process (its job is run
# again by the queue), and the week may be asked for again.
PLAN_LEASE = timedelta(minutes=3)


# --- loading --------------------------------------------------------------------------------------


def _local_midnight(day: date, tz: str) -> datetime:
    stamp: pd.Timestamp = pd.Timestamp(day).tz_localize(tz, nonexistent="shift_forward", ambiguous=True)
    moment: datetime = stamp.tz_convert("UTC").to_pydatetime()
    return moment


def _method(queue: Queue) -> str | None:
    if queue.channel == "inbound_voice":
        return "erlang_c"
    if queue.channel in ("back_office", "social"):
        return "workload"
    return None


async def _ticket_counts(session: AsyncSession, *, queue_id: int, start: datetime, end: datetime) -> pd.DataFrame:
    query = select(Ticket.received_at).where(
        Ticket.queue_id == queue_id, Ticket.received_at >= start, Ticket.received_at < end
    )
    stamps = pd.to_datetime(pd.Series(list((await session.execute(query)).scalars()), dtype=object), utc=True)
    if stamps.empty:
        return pd.DataFrame({"offered": pd.Series(dtype=float)}, index=pd.DatetimeIndex([], tz="UTC"))
    counts = stamps.dt.floor("30min").value_counts().sort_index()
    # Days with any ticket are observed: their quiet half hours are zeros, not gaps.
    days = pd.date_range(counts.index.min().floor("D"), counts.index.max().ceil("D"), freq="30min", inclusive="left")
    return pd.DataFrame({"offered": counts.reindex(days, fill_value=0).astype(float)})


async def load_inputs(
    session: AsyncSession, *, contract_code: str, week: date, principal: Principal | None = None
) -> PlanInputs:
    """Everything a plan for `week` needs: the contract's rules, each sized queue's history and actuals."""
    contract = await get_contract(session, code=contract_code, principal=principal)
    document: ContractFile = from_document(contract.document)
    config = ForecastConfig()
    lookback = timedelta(days=7 * max(config.history_weeks, config.profile_weeks))
    queues: list[QueueInputs] = []
    skipped: list[dict[str, str]] = []
    by_code = {q.code: q for q in document.queues}
    for queue in contract.queues:
        method = _method(queue)
        if method is None:
            skipped.append(unplanned(queue.code, "no_arrivals", channel=queue.channel))
            continue
        tz = queue_zone(queue, contract)
        begin, end = _local_midnight(week, tz), _local_midnight(week + timedelta(days=7), tz)
        since = _local_midnight(week - lookback, tz)
        if method == "erlang_c":
            history = await load_history(session, queue_id=queue.id, start=since, end=begin)
            actual = await load_history(session, queue_id=queue.id, start=begin, end=end)
        else:
            history = await _ticket_counts(session, queue_id=queue.id, start=since, end=begin)
            actual = await _ticket_counts(session, queue_id=queue.id, start=begin, end=end)
        if history.empty or float(history["offered"].sum()) <= 0:
            skipped.append(unplanned(queue.code, "no_history"))
            continue
        sla = voice_sla(queue)
        spec = by_code[queue.code]
        tickets = spec.sla.tickets or {}
        targets = tickets.get("normal") or next(iter(tickets.values()), None)
        if method == "workload":  # work is sized by handle time and spread up to its due date: both are needed
            if not spec.routing.handle_minutes > 0:
                skipped.append(unplanned(queue.code, "no_handle_time"))
                continue
            if targets is None or not targets.resolution > 0:
                skipped.append(unplanned(queue.code, "no_due_date"))
                continue
        queues.append(
            QueueInputs(
                code=queue.code,
                name=queue.name,
                method=method,
                base_positions=queue.base_positions,
                calendar=Calendar.from_dict(queue.calendar),
                tz=tz,
                history=history,
                actual=actual,
                answer_within=int(sla.get("answer_within_seconds", 20)),
                target=float(sla.get("target", 0.8)),
                handle_seconds=float(spec.routing.handle_minutes) * 60,
                sla_minutes=float(targets.resolution) if targets else 0.0,
            )
        )
    return PlanInputs(
        contract_id=contract.id,
        contract_code=contract.code,
        currency=contract.currency,
        week=week,
        tz=contract.timezone,
        queues=queues,
        skipped=skipped,
        shifts=document.shifts,
        prices=document.prices,
    )


# --- forecast and requirement views -----------------------------------------------------------------


async def forecast_week(
    session: AsyncSession, *, contract_code: str, week: date, principal: Principal | None = None
) -> dict[str, Any]:
    """Forecast offered and AHT per queue and interval of the week, beside what actually happened (if known); each
    queue with its forecast's accuracy over the last four weeks before, and a back-office queue with its workload."""
    inputs = await load_inputs(session, contract_code=contract_code, week=week, principal=principal)
    queues = []
    for queue in inputs.queues:
        fc = await asyncio.to_thread(forecast_queue, queue, week)
        accuracy = await asyncio.to_thread(accuracy_of, queue)
        workload = (
            await asyncio.to_thread(workload_of, queue, fc, inputs.shifts) if queue.method == "workload" else None
        )
        actual = queue.actual.reindex(pd.DatetimeIndex(fc.index).tz_convert("UTC"))
        actual_aht = (
            actual["handle_seconds"] / actual["answered"].where(actual["answered"] > 0)
            if queue.method == "erlang_c"
            else pd.Series(np.nan, index=actual.index)
        )
        queues.append(
            {
                "code": queue.code,
                "name": queue.name,
                "method": queue.method,
                "accuracy": accuracy_json(accuracy),
                "workload": workload,
                "intervals": [
                    {
                        "interval_start": iso(ts),
                        "offered": num(off, 2),
                        "aht": num(aht, 1),
                        "actual_offered": num(act, 2),
                        "actual_aht": num(act_aht, 1),
                    }
                    for ts, off, aht, act, act_aht in zip(
                        fc.index, fc["offered"], fc["aht"], actual["offered"], actual_aht, strict=True
                    )
                ],
            }
        )
    return {"contract": contract_code, "week": week.isoformat(), "queues": queues, "skipped": inputs.skipped}


async def requirement_week(
    session: AsyncSession,
    *,
    contract_code: str,
    week: date,
    scenario: Scenario = Scenario(),
    principal: Principal | None = None,
) -> dict[str, Any]:
    """Required positions against the base per queue and interval, before any reinforcement."""
    inputs = await load_inputs(session, contract_code=contract_code, week=week, principal=principal)
    forecasts = {q.code: await asyncio.to_thread(forecast_queue, q, week, scenario) for q in inputs.queues}
    table = await asyncio.to_thread(requirements, inputs, forecasts, scenario)
    return {
        "contract": contract_code,
        "week": week.isoformat(),
        "scenario": scenario.as_dict(),
        "skipped": inputs.skipped,
        "intervals": [
            {
                "queue": r.queue,
                "interval_start": iso(r.interval_start),
                "offered": num(r.offered, 2),
                "aht": num(r.aht, 1),
                "agents": int(r.agents),
                "required": int(r.required),
                "base": round(float(r.base)),
                "gap": int(max(r.required - r.base, 0)),
            }
            for r in table.itertuples(index=False)
        ],
    }


# --- saved plans ---------------------------------------------------------------------------------------


async def _plan_row(session: AsyncSession, *, contract_id: int, week: date) -> StaffingPlan | None:
    query = select(StaffingPlan).where(StaffingPlan.contract_id == contract_id, StaffingPlan.week_start == week)
    return (await session.execute(query)).scalar_one_or_none()


async def save_plan(session: AsyncSession, *, contract_id: int, week: date, computed: Computed) -> StaffingPlan:
    """Store the plan of a contract week, replacing the previous one."""
    row = await _plan_row(session, contract_id=contract_id, week=week)
    if row is None:
        row = StaffingPlan(contract_id=contract_id, week_start=week)
        session.add(row)
    row.created_at = utcnow()
    row.params = computed.params
    row.result = computed.result
    row.cost = computed.cost
    row.lp_bound = computed.lp_bound
    row.status = computed.status
    await session.flush()
    return row


async def plan_week(
    session: AsyncSession,
    *,
    contract_code: str,
    week: date,
    scenario: Scenario = Scenario(),
    save: bool = True,
    principal: Principal | None = None,
) -> Computed:
    """Compute the plan of a contract week and (unless `save` is False: a what-if) store it."""
    inputs = await load_inputs(session, contract_code=contract_code, week=week, principal=principal)
    computed = await compute(inputs, scenario)
    if save:
        await save_plan(session, contract_id=inputs.contract_id, week=week, computed=computed)
    return computed


async def what_if(
    session: AsyncSession, *, contract_code: str, week: date, scenario: Scenario, principal: Principal | None = None
) -> dict[str, Any]:
    """The plan under changed volume, AHT or target, computed on the spot and not saved."""
    computed = await plan_week(
        session, contract_code=contract_code, week=week, scenario=scenario, save=False, principal=principal
    )
    return computed.result


async def get_plan(
    session: AsyncSession, *, contract_code: str, week: date, principal: Principal | None = None
) -> StaffingPlan:
    contract = await get_contract(session, code=contract_code, principal=principal)
    row = await _plan_row(session, contract_id=contract.id, week=week)
    if row is None:
        raise NotFoundError(f"no plan for {contract_code!r} in the week of {week}")
    return row


async def start_plan(
    session: AsyncSession, *, contract_code: str, week: date, scenario: Scenario, principal: Principal | None = None
) -> StaffingPlan:
    """Mark the week's plan as queued and ask for the job that computes it (sent after the commit)."""
    from ops.jobs.queue import defer

    contract = await get_contract(session, code=contract_code, principal=principal)
    row = await _plan_row(session, contract_id=contract.id, week=week)
    if row is not None and row.status in RUNNING and utcnow() - last_heartbeat(row) < PLAN_LEASE:
        raise ConflictError(f"the plan of the week of {week} is already being computed")
    if row is None:
        row = StaffingPlan(contract_id=contract.id, week_start=week)
        session.add(row)
    row.created_at = utcnow()
    row.params = scenario.as_dict()
    row.result = {"progress": {"step": "queued", "done": 0, "total": 1}}
    row.cost = Decimal(0)
    row.lp_bound = None
    row.status = "queued"
    await session.flush()
    defer(
        session,
        "compute_staffing_plan",
        job_id=f"staffing-plan:{contract.id}:{week.isoformat()}",
        contract_code=contract_code,
        week=week.isoformat(),
        scenario=scenario.as_dict(),
    )
    return row


def last_heartbeat(row: StaffingPlan) -> datetime:
    """When the computation of a queued or running plan last said how far it got (its start, before any note)."""
    at = ((row.result or {}).get("progress") or {}).get("at")
    return max(row.created_at, datetime.fromisoformat(at)) if isinstance(at, str) else row.created_at


async def set_progress(
    session: AsyncSession,
    *,
    contract_code: str,
    week: date,
    step: str,
    done: int,
    total: int,
    error: str | None = None,
) -> None:
    """Record how far a background computation got (or that it failed), for the page that polls it."""
    contract = await get_contract(session, code=contract_code, principal=None)
    row = await _plan_row(session, contract_id=contract.id, week=week)
    if row is None:
        return
    row.status = "failed" if error else "running"
    progress = {"step": step, "done": done, "total": total, "at": utcnow().isoformat()}
    row.result = {"progress": progress, **({"error": error} if error else {})}
    await session.flush()


async def latest_history_day(session: AsyncSession, *, contract_code: str) -> date | None:
    """The last UTC day with interval statistics in any queue of the contract."""
    contract = await get_contract(session, code=contract_code, principal=None)
    ids = [q.id for q in contract.queues]
    if not ids:
        return None
    last = (
        await session.execute(select(func.max(IntervalStat.interval_start)).where(IntervalStat.queue_id.in_(ids)))
    ).scalar()
    if last is None:
        return None
    stamp: datetime = last if last.tzinfo else last.replace(tzinfo=UTC)
    return stamp.date()


def week_of(day: date) -> date:
    """The Monday of `day`'s week."""
    return day - timedelta(days=day.weekday())


def next_week(now: datetime, tz: str) -> date:
    """The Monday after `now`'s week, `now` read on the wall clock of `tz` (the contract's zone): the week a
    planner plans. Late on a Sunday in São Paulo it is already Monday in UTC, and the next week is still the
    one starting tomorrow."""
    return week_of(now.astimezone(ZoneInfo(tz)).date()) + timedelta(days=7)
