"""Planning a contract week over loaded inputs: forecast per queue, required positions, the shift plan, SL.

No database here: `ops.staffing.planning.services` loads the inputs and stores the outcome, so a long plan can
report progress between its steps without holding a transaction open. CPU steps run in a thread.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd

from ops.calendars import Calendar, is_open
from ops.contracts.schemas import Prices, ShiftRulesIn
from ops.errors import InvalidInputError
from ops.staffing.forecast.model import ForecastConfig, forecast
from ops.staffing.planning.erlang import erlang_c, required_agents_array, scheduled_positions_array
from ops.staffing.planning.oncall import OnCallRules
from ops.staffing.planning.shifts import Plan, ShiftRules, plan_reinforcement
from ops.staffing.planning.workload import workload_positions

INTERVAL_SECONDS = 1800
DEFAULT_AHT_SECONDS = 300.0
_CENTS = Decimal("0.01")
WORKLOAD_WARMUP = pd.Timedelta(days=14)

Progress = Callable[[str, int, int], Awaitable[None]]


@dataclass(frozen=True)
class Scenario:
    """What-if knobs: volume and AHT changes in percent, an override of every queue's SL target."""

    volume_pct: float = 0.0
    aht_pct: float = 0.0
    target: float | None = None
    oncall: bool = False

    def __post_init__(self) -> None:
        problems = []
        if not (math.isfinite(self.volume_pct) and self.volume_pct > -100):
            problems.append({"field": "volume_pct", "problem": "must be a percentage above -100"})
        if not (math.isfinite(self.aht_pct) and self.aht_pct > -100):
            problems.append({"field": "aht_pct", "problem": "must be a percentage above -100"})
        if self.target is not None and not 0 < self.target < 1:
            problems.append({"field": "target", "problem": "must be a share between 0 and 1, e.g. 0.8"})
        if problems:
            raise InvalidInputError(
                "bad what-if: " + "; ".join(f"{p['field']} {p['problem']}" for p in problems), extra=problems
            )

    def as_dict(self) -> dict[str, Any]:
        return {"volume_pct": self.volume_pct, "aht_pct": self.aht_pct, "target": self.target, "oncall": self.oncall}


@dataclass(frozen=True)
class QueueInputs:
    """One queue's rules and history, enough to forecast and size it without the database."""

    code: str
    name: str
    method: str  # "erlang_c" (inbound voice) or "workload" (back office, social)
    base_positions: int
    calendar: Calendar
    tz: str
    history: pd.DataFrame  # offered (and handle_seconds for voice) per UTC interval_start, before the week
    actual: pd.DataFrame  # the same columns inside the week, when the week already happened
    answer_within: int = 20
    target: float = 0.8
    handle_seconds: float = 0.0  # back office: handle time of one ticket
    sla_minutes: float = 0.0  # back office: resolution target in business minutes


@dataclass(frozen=True)
class PlanInputs:
    contract_id: int
    contract_code: str
    currency: str
    week: date
    tz: str
    queues: list[QueueInputs]
    skipped: list[dict[str, str]]
    shifts: ShiftRulesIn
    prices: Prices | None


@dataclass(frozen=True)
class Computed:
    """A computed plan: the JSON-safe result and the figures the StaffingPlan row keeps in columns."""

    result: dict[str, Any]
    status: str
    cost: Decimal
    lp_bound: Decimal | None
    params: dict[str, Any] = field(default_factory=dict)


# --- forecast and requirement ---------------------------------------------------------------------------


def holidays_between(calendar: Calendar, first: date, last: date) -> set[date]:
    """The calendar's holidays from `first` to `last`, both included."""
    return {
        first + timedelta(days=i)
        for i in range((last - first).days + 1)
        if calendar.is_holiday(first + timedelta(days=i))
    }


def _mean_aht(stats: pd.DataFrame) -> float:
    answered = float(stats["answered"].sum()) if "answered" in stats else 0.0
    return float(stats["handle_seconds"].sum()) / answered if answered > 0 else DEFAULT_AHT_SECONDS


def forecast_queue(queue: QueueInputs, week: date, scenario: Scenario = Scenario()) -> pd.DataFrame:
    """Offered contacts and AHT per local 30-minute interval of the week (the scenario applied)."""
    lookback = ForecastConfig().history_weeks * 7
    holidays = holidays_between(queue.calendar, week - timedelta(days=lookback), week + timedelta(days=7))
    if queue.method == "erlang_c":
        history = queue.history[["offered", "handle_seconds", "answered"]]
        result = forecast(history, holidays=holidays, start=week, weeks=1, tz=queue.tz)
        aht = result["aht"].fillna(_mean_aht(queue.history)).to_numpy(dtype=float)
    else:
        result = forecast(queue.history["offered"], holidays=holidays, start=week, weeks=1, tz=queue.tz)
        aht = np.full(len(result), queue.handle_seconds)
    aht = np.where(aht > 0, aht, DEFAULT_AHT_SECONDS)
    return pd.DataFrame(
        {
            "offered": result["offered"].to_numpy(dtype=float) * (1 + scenario.volume_pct / 100),
            "aht": aht * (1 + scenario.aht_pct / 100),
        },
        index=result.index,
    )


def _open_mask(calendar: Calendar, index: pd.DatetimeIndex) -> np.ndarray:
    """Intervals whose start the calendar counts as business time (holidays closed): the SLA clock runs."""
    return np.array([is_open(calendar, ts.to_pydatetime()) for ts in index], dtype=bool)


def _weekly_hours(calendar: Calendar, index: pd.DatetimeIndex) -> np.ndarray:
    """Intervals inside the weekly opening hours, holidays included: when the base positions are on duty.

    A holiday stops ticket SLA clocks, but a voice queue that takes calls on it (its history says) still
    has its base on duty; a holiday without calls needs no one, base or not.
    """
    local = index.tz_convert(calendar.timezone)
    minute = np.asarray(local.hour * 60 + local.minute)
    weekday = np.asarray(local.day_of_week)
    inside = np.zeros(len(index), dtype=bool)
    for day, windows in enumerate(calendar.hours):
        for start, end in windows:
            inside |= (weekday == day) & (minute >= start) & (minute < end)
    return inside


def requirement_queue(
    queue: QueueInputs, fc: pd.DataFrame, rules: ShiftRulesIn, scenario: Scenario = Scenario()
) -> pd.DataFrame:
    """Agents on the phones and scheduled positions per interval, and the base on duty (while open)."""
    index = pd.DatetimeIndex(fc.index)
    shrinkage = Fraction(str(rules.shrinkage))
    if queue.method == "erlang_c":
        target = scenario.target if scenario.target is not None else queue.target
        agents = required_agents_array(
            fc["offered"].to_numpy(dtype=float),
            INTERVAL_SECONDS,
            fc["aht"].to_numpy(dtype=float),
            queue.answer_within,
            target=target,
            max_occupancy=rules.max_occupancy,
        )
        required = scheduled_positions_array(agents, shrinkage).astype(float)
    else:
        positions = _workload(queue, fc, float(1 - shrinkage))
        required = np.ceil(positions - 1e-9)
        agents = np.asarray(np.ceil(positions * float(1 - shrinkage) - 1e-9), dtype=np.int64)
    return pd.DataFrame(
        {
            "queue": queue.code,
            "interval_start": index,
            "offered": fc["offered"].to_numpy(dtype=float),
            "aht": fc["aht"].to_numpy(dtype=float),
            "agents": np.asarray(agents, dtype=np.int64),
            "required": required,
            "base": np.where(_weekly_hours(queue.calendar, index), float(queue.base_positions), 0.0),
        }
    )


def _workload(queue: QueueInputs, fc: pd.DataFrame, keep: float) -> np.ndarray:
    """Fractional positions per interval for back-office work: tickets times handle time within the SLA.

    Tickets of the two weeks before the horizon (from history) still fill the SLA windows of its first
    days, so a Monday is sized as a steady week, not as if the backlog were empty. A ticket arriving
    while the queue is closed waits for the next opening: it joins that business period.
    """
    index = pd.DatetimeIndex(fc.index)
    before = pd.date_range(index[0] - WORKLOAD_WARMUP, index[0], freq="30min", inclusive="left")
    past = queue.history["offered"].reindex(before.tz_convert("UTC")).fillna(0.0).to_numpy(dtype=float)
    arrivals = np.concatenate([past, fc["offered"].to_numpy(dtype=float)])
    handle = np.concatenate([np.full(len(before), float(fc["aht"].iloc[0])), fc["aht"].to_numpy(dtype=float)])
    open_now = _open_mask(queue.calendar, before.append(index))
    carried = np.zeros(int(open_now.sum()))
    slot = np.cumsum(open_now) - 1
    waiting = 0.0
    for i, value in enumerate(arrivals):
        waiting += value
        if open_now[i]:
            carried[slot[i]] += waiting
            waiting = 0.0
    positions = np.zeros(len(arrivals))
    if carried.size and queue.sla_minutes > 0:
        productive = INTERVAL_SECONDS / 60 * keep
        positions[open_now] = workload_positions(carried, handle[open_now], queue.sla_minutes, productive)
    return positions[len(before) :]


def service_levels(queue: QueueInputs, rows: pd.DataFrame, positions: np.ndarray, rules: ShiftRulesIn) -> np.ndarray:
    """Predicted share answered within T (Erlang C) with `positions` scheduled; NaN for back office."""
    if queue.method != "erlang_c":
        return np.full(len(rows), np.nan)
    keep = 1 - Fraction(str(rules.shrinkage))
    on_phones = np.array([math.floor(Fraction(int(p)) * keep) for p in positions], dtype=np.int64)
    offered = rows["offered"].to_numpy(dtype=float)
    metrics = erlang_c(
        offered, INTERVAL_SECONDS, rows["aht"].to_numpy(dtype=float), np.maximum(on_phones, 1), queue.answer_within
    )
    sl = np.where((on_phones == 0) & (offered > 0), 0.0, metrics.service_level)
    return np.asarray(sl, dtype=float)


# --- the plan -------------------------------------------------------------------------------------


def _time(value: int) -> time:
    return time(value // 60, value % 60) if value < 1440 else time(23, 59)


def oncall_rules(inputs: PlanInputs, queues: list[QueueInputs]) -> OnCallRules | None:
    """On-call from the contract's price, outside the earliest opening and latest closing of the voice queues."""
    if inputs.prices is None or inputs.prices.oncall is None:
        return None
    calendars = [q.calendar for q in queues if q.method == "erlang_c"] or [q.calendar for q in queues]
    windows = [(w, d) for cal in calendars for d, day in enumerate(cal.hours) for w in day]
    if not windows:
        return None
    holidays = set()
    for cal in calendars:
        holidays |= holidays_between(cal, inputs.week - timedelta(days=1), inputs.week + timedelta(days=8))
    price = inputs.prices.oncall
    return OnCallRules(
        hourly_rate=price.hourly,
        minimum_hours_mon_thu=price.minimum_hours_mon_thu,
        minimum_hours_fri_sun_holiday=price.minimum_hours_fri_sun_holiday,
        opens=_time(min(w[0] for w, _ in windows)),
        closes=_time(max(w[1] for w, _ in windows)),
        business_weekdays=frozenset(d for _, d in windows),
        holidays=frozenset(holidays),
    )


def shift_rules(inputs: PlanInputs, queues: list[QueueInputs], scenario: Scenario) -> ShiftRules:
    spec = inputs.shifts
    return ShiftRules(
        lengths_hours=tuple(float(h) for h in spec.lengths_hours),
        start_step_minutes=spec.start_step_minutes,
        break_after_hours=spec.break_after_hours,
        break_minutes=spec.break_minutes,
        max_per_interval=spec.max_per_interval,
        max_per_day=spec.max_per_day,
        hourly_cost=inputs.prices.reinforcement_hour if inputs.prices else Decimal(1),
        oncall=oncall_rules(inputs, queues) if scenario.oncall else None,
    )


def iso(ts: Any) -> str:
    return str(pd.Timestamp(ts).isoformat())


def num(value: float, digits: int = 4) -> float | None:
    return None if value is None or not math.isfinite(value) else round(float(value), digits)


async def _step(progress: Progress | None, name: str, done: int, total: int) -> None:
    if progress is not None:
        await progress(name, done, total)


async def compute(inputs: PlanInputs, scenario: Scenario = Scenario(), *, progress: Progress | None = None) -> Computed:
    """Forecast, size and plan every queue of `inputs` for its week; CPU steps run in a thread."""
    total = len(inputs.queues) + 3
    forecasts: dict[str, pd.DataFrame] = {}
    for i, queue in enumerate(inputs.queues):
        await _step(progress, f"forecast {queue.code}", i, total)
        forecasts[queue.code] = await asyncio.to_thread(forecast_queue, queue, inputs.week, scenario)
    await _step(progress, "requirement", len(inputs.queues), total)
    requirement = await asyncio.to_thread(requirements, inputs, forecasts, scenario)
    if requirement.empty:
        raise InvalidInputError(
            f"no queue of {inputs.contract_code!r} has history before {inputs.week}: import interval statistics first",
            extra=[{"field": "week", "problem": "no history to forecast from"}],
        )
    await _step(progress, "solving", len(inputs.queues) + 1, total)
    rules = shift_rules(inputs, inputs.queues, scenario)
    blends = [frozenset(b) for b in inputs.shifts.blends if set(b) <= set(forecasts) and len(set(b)) > 1]
    plan = await asyncio.to_thread(
        plan_reinforcement, requirement[["queue", "interval_start", "required", "base"]], rules, blends=blends
    )
    await _step(progress, "service level", len(inputs.queues) + 2, total)
    result = await asyncio.to_thread(_result, inputs, scenario, requirement, plan, forecasts)
    lp = None if math.isnan(plan.lp_bound) else Decimal(str(plan.lp_bound)).quantize(_CENTS, ROUND_HALF_UP)
    return Computed(result=result, status=plan.status, cost=plan.cost, lp_bound=lp, params=scenario.as_dict())


def requirements(inputs: PlanInputs, forecasts: dict[str, pd.DataFrame], scenario: Scenario) -> pd.DataFrame:
    frames = [requirement_queue(q, forecasts[q.code], inputs.shifts, scenario) for q in inputs.queues]
    if not frames:
        return pd.DataFrame(columns=["queue", "interval_start", "offered", "aht", "agents", "required", "base"])
    table = pd.concat(frames, ignore_index=True)
    # One clock for the planner: every queue's intervals in the contract's zone.
    table["interval_start"] = pd.DatetimeIndex(pd.to_datetime(table["interval_start"], utc=True)).tz_convert(inputs.tz)
    return table


def _result(
    inputs: PlanInputs,
    scenario: Scenario,
    requirement: pd.DataFrame,
    plan: Plan,
    forecasts: dict[str, pd.DataFrame],
) -> dict[str, Any]:
    merged = requirement.merge(
        plan.intervals[["queue", "interval_start", "planned", "oncall", "uncovered"]],
        on=["queue", "interval_start"],
        how="left",
    ).fillna({"planned": 0, "oncall": 0, "uncovered": 0.0})
    rows: list[dict[str, Any]] = []
    summaries: list[dict[str, Any]] = []
    for queue in inputs.queues:
        part = merged[merged["queue"] == queue.code]
        planned = part["planned"].to_numpy(dtype=np.int64)
        base = part["base"].to_numpy(dtype=float).round().astype(np.int64)
        sl = service_levels(queue, part, base + planned, inputs.shifts)
        sl_base = service_levels(queue, part, base, inputs.shifts)
        offered = part["offered"].to_numpy(dtype=float)
        weight = offered.sum()
        summaries.append(
            {
                "code": queue.code,
                "name": queue.name,
                "method": queue.method,
                "base_positions": queue.base_positions,
                "target": (scenario.target if scenario.target is not None else queue.target)
                if queue.method == "erlang_c"
                else None,
                "answer_within_seconds": queue.answer_within if queue.method == "erlang_c" else None,
                "offered": num(weight, 1),
                "service_level": num(float(np.nansum(sl * offered) / weight))
                if weight > 0 and queue.method == "erlang_c"
                else None,
                "service_level_base": num(float(np.nansum(sl_base * offered) / weight))
                if weight > 0 and queue.method == "erlang_c"
                else None,
                "peak_required": int(part["required"].max()),
                "uncovered_intervals": int((part["uncovered"] > 0).sum()),
                "uncovered_position_hours": num(float(part["uncovered"].sum()) / 2, 1),
            }
        )
        for r, level, level_base in zip(part.itertuples(index=False), sl, sl_base, strict=True):
            rows.append(
                {
                    "queue": r.queue,
                    "interval_start": iso(r.interval_start),
                    "offered": num(r.offered, 2),
                    "aht": num(r.aht, 1),
                    "agents": int(r.agents),
                    "required": int(r.required),
                    "base": round(float(r.base)),
                    "planned": int(r.planned),
                    "oncall": int(r.oncall),
                    "uncovered": round(float(r.uncovered)),
                    "service_level": num(level),
                    "service_level_base": num(level_base),
                }
            )
    shifts = [
        {
            "kind": s.kind,
            "queue": s.queue,
            "day": s.day.isoformat(),
            "start": iso(s.start),
            "end": iso(s.end),
            "length_hours": float(s.length_hours),
            "billed_hours": str(s.billed_hours),
            "hourly_rate": str(s.hourly_rate),
            "count": int(s.count),
            "cost": str(s.cost),
        }
        for s in plan.shifts.itertuples(index=False)
    ]
    taxes = inputs.prices.taxes if inputs.prices else Decimal(0)
    return {
        "contract": inputs.contract_code,
        "week": inputs.week.isoformat(),
        "timezone": inputs.tz,
        "currency": inputs.currency,
        "status": plan.status,
        "cost": str(plan.cost),
        "cost_with_taxes": str((plan.cost * (1 + taxes)).quantize(_CENTS, ROUND_HALF_UP)),
        "objective": num(plan.objective, 2),
        "lp_bound": num(plan.lp_bound, 2),
        "gap": num(plan.gap, 6),
        "solve_seconds": num(plan.seconds, 3),
        "scenario": scenario.as_dict(),
        "queues": summaries,
        "skipped": inputs.skipped,
        "shifts": shifts,
        "intervals": rows,
        "uncovered": [
            {"queue": r["queue"], "interval_start": r["interval_start"], "positions": r["uncovered"]}
            for r in rows
            if r["uncovered"] > 0
        ],
    }
