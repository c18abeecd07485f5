"""Reinforcement shift planning: the minimum-cost integer program that covers the gap over the base.

Model (solved with HiGHS through `scipy.optimize.milp`):
- the horizon is the contiguous run of intervals from the first to the last `interval_start` given, on an
  absolute-time grid, so a daylight-saving day simply has 46 or 50 intervals. Missing rows count as
  nothing required and no base. Shifts start inside the horizon; a shift running past its end covers only
  the intervals inside it but is billed in full; shifts started before the horizon are not seen.
- one integer variable per skill set, start and length: how many agents work that shift. Skill sets are
  every queue alone plus each blend (e.g. care+help desk). A blend is paid the highest rate of its queues.
- a blended agent on duty is allocated to at most one of its queues in each interval (allocation
  variables bounded by the blend's agents on duty), so it never counts twice. The allocation variables
  are continuous: with the shifts fixed, allocating is a transportation problem whose vertices are
  integral, and leaving them to HiGHS as integers made a two-queue week ten times slower. Should the
  solver still hand back a split agent, the allocation is re-solved as an LP with the shifts fixed.
- the break (when `break_after_hours` is set, in shifts of `break_min_shift_hours` or more) removes every
  interval it overlaps from the shift's coverage; the break is paid.
- caps: reinforcement agents working in any interval, and reinforcement shifts starting on any local day.
  On-call shifts do not count against them.
- an uncovered position-interval costs `uncovered_penalty`, so a cap shows up as uncovered intervals
  instead of an infeasible plan. The default, twice the dearest shift, is enough: one more shift costs
  less than the one interval it would cover, so only a cap leaves a coverable interval uncovered (a
  larger penalty only slows HiGHS down on capped weeks).
The LP relaxation is solved as well: its optimum bounds the integer plan from below, and `gap` says how
far the plan can be from optimal.
"""

from __future__ import annotations

import math
import time as clock
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import time
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_matrix

from ops.staffing.planning.oncall import OnCallRules, outside_business_hours, planned_billable_hours

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
ServiceLevel = Callable[[str, pd.Timestamp, int], float]
_CENTS = Decimal("0.01")


class PlanningError(RuntimeError):
    """The solver returned no plan at all (only possible when it stops before finding any)."""


@dataclass(frozen=True)
class ShiftRules:
    """What the contract allows for reinforcement shifts, and how hard the solver works."""

    lengths_hours: tuple[float, ...] = (4.0, 6.0, 8.0)
    start_step_minutes: int = 30
    allowed_starts: tuple[time, ...] | None = None
    break_after_hours: float | None = None
    break_minutes: int = 0
    break_min_shift_hours: float = 6.0
    max_per_interval: int | None = None
    max_per_day: int | None = None
    # Money: a Decimal (per queue, or one for all), never a float; only the solver's objective is a float.
    hourly_cost: Decimal | Mapping[str, Decimal] = Decimal(1)
    uncovered_penalty: float | None = None
    oncall: OnCallRules | None = None
    interval_minutes: int = 30
    time_limit_seconds: float = 10.0
    mip_rel_gap: float = 0.001

    def __post_init__(self) -> None:
        step = self.interval_minutes
        if not self.lengths_hours or any(h <= 0 or (h * 60) % step for h in self.lengths_hours):
            raise ValueError(f"shift lengths must be positive multiples of {step} minutes")
        if self.start_step_minutes <= 0 or self.start_step_minutes % step:
            raise ValueError(f"the start step must be a multiple of {step} minutes")
        if self.oncall is not None and any((h * 60) % step for h in self.oncall.lengths_hours):
            raise ValueError(f"on-call lengths must be multiples of {step} minutes")
        if self.break_after_hours is not None and self.break_minutes > 0:
            end = self.break_after_hours * 60 + self.break_minutes
            if any(h >= self.break_min_shift_hours and end > h * 60 for h in self.lengths_hours):
                raise ValueError("the break must fall inside every shift that takes it")
        if not 0 < self.mip_rel_gap <= 0.01:
            raise ValueError("mip_rel_gap must be in (0, 0.01]")
        costs = self.hourly_cost.values() if isinstance(self.hourly_cost, Mapping) else [self.hourly_cost]
        if any(not isinstance(c, Decimal) or not c.is_finite() or c < 0 for c in costs):
            raise ValueError("hourly_cost must be a finite Decimal >= 0 (money never passes through float)")

    def rate(self, queue: str) -> Decimal:
        if isinstance(self.hourly_cost, Mapping):
            if queue not in self.hourly_cost:
                raise KeyError(f"no hourly cost for queue {queue!r}")
            return self.hourly_cost[queue]
        return self.hourly_cost


@dataclass(frozen=True, eq=False)
class Plan:
    """The chosen shifts, the coverage per queue and interval, and how close the plan is to optimal.

    `shifts`: kind (reinforcement / oncall), queue (a skill set joined by "+"), day, start, end,
    length_hours, billed_hours, hourly_rate, count, cost. `intervals`: queue, interval_start, required,
    base, gap, planned (reinforcement and on-call positions working the queue), oncall, uncovered,
    service_level (NaN without a hook). `objective` is cost plus the penalty for uncovered positions;
    `gap` = (objective - lp_bound) / objective (NaN if the LP relaxation hit the time limit). `status` is
    "optimal" (within `mip_rel_gap`) or "time_limit" (the best plan found in time).
    """

    shifts: pd.DataFrame
    intervals: pd.DataFrame
    cost: Decimal
    objective: float
    lp_bound: float
    gap: float
    status: str
    seconds: float


@dataclass(frozen=True)
class _Grid:
    queues: tuple[str, ...]
    local: pd.DatetimeIndex
    required: FloatArray  # queues x intervals
    base: FloatArray
    gap: FloatArray


@dataclass(frozen=True)
class _Columns:
    skill: IntArray  # index into the skill sets
    start: IntArray  # grid index of the first interval
    hours: FloatArray
    oncall: npt.NDArray[np.bool_]
    cover_col: IntArray  # (column, interval) pairs the column staffs
    cover_t: IntArray


def _grid(requirement: pd.DataFrame, step: pd.Timedelta) -> _Grid:
    missing = {"queue", "interval_start", "required", "base"} - set(requirement.columns)
    if missing:
        raise ValueError(f"requirement lacks columns {sorted(missing)}")
    starts = pd.DatetimeIndex(requirement["interval_start"])
    if starts.tz is None:
        raise ValueError("interval_start must be time-zone aware local time")
    if requirement.duplicated(["queue", "interval_start"]).any():
        raise ValueError("one row per queue and interval")
    utc = starts.tz_convert("UTC")
    offset = (utc - utc.min()) / step
    if not np.allclose(offset, np.round(offset)):
        raise ValueError(f"interval starts must lie on a {step} grid")
    t = np.round(np.asarray(offset)).astype(np.int64)
    queues = tuple(sorted(requirement["queue"].astype(str).unique()))
    q = np.asarray(pd.Categorical(requirement["queue"].astype(str), categories=queues).codes, dtype=np.int64)
    horizon = int(t.max()) + 1
    required = np.zeros((len(queues), horizon))
    base = np.zeros((len(queues), horizon))
    required[q, t] = np.asarray(requirement["required"], dtype=float)
    base[q, t] = np.asarray(requirement["base"], dtype=float)
    if (required < 0).any() or (base < 0).any():
        raise ValueError("required and base positions cannot be negative")
    local = pd.date_range(utc.min(), periods=horizon, freq=step).tz_convert(starts.tz)
    return _Grid(queues, local, required, base, np.maximum(required - base, 0.0))


def _offsets(hours: float, rules: ShiftRules, *, with_break: bool) -> IntArray:
    step = rules.interval_minutes
    offsets = np.arange(round(hours * 60 / step), dtype=np.int64)
    takes_break = with_break and hours >= rules.break_min_shift_hours and rules.break_minutes > 0
    if takes_break and rules.break_after_hours is not None:
        begin = rules.break_after_hours * 60
        first, last = math.floor(begin / step), math.ceil((begin + rules.break_minutes) / step)
        offsets = offsets[(offsets < first) | (offsets >= last)]
    return offsets


def _columns(grid: _Grid, skills: Sequence[tuple[int, ...]], rules: ShiftRules) -> _Columns:
    horizon = len(grid.local)
    minute = np.asarray(grid.local.hour * 60 + grid.local.minute)
    can_start = minute % rules.start_step_minutes == 0
    if rules.allowed_starts is not None:
        can_start &= np.isin(minute, [s.hour * 60 + s.minute for s in rules.allowed_starts])
    closed = None if rules.oncall is None else ~outside_business_hours(grid.local, rules.oncall)
    parts: list[tuple[int, IntArray, float, bool, IntArray, IntArray]] = []
    for k, members in enumerate(skills):
        need: npt.NDArray[np.bool_] = np.asarray((grid.gap[list(members)] > 0).any(axis=0))
        families = [(h, False) for h in rules.lengths_hours]
        if rules.oncall is not None and len(members) == 1:
            families += [(h, True) for h in rules.oncall.lengths_hours]
        for hours, oncall in families:
            offsets = _offsets(hours, rules, with_break=not oncall)
            first = np.flatnonzero(minute % rules.start_step_minutes == 0 if oncall else can_start)
            t = first[:, None] + offsets[None, :]
            col = np.broadcast_to(np.arange(len(first))[:, None], t.shape)
            inside = t < horizon
            col, t = col[inside], t[inside]
            useful = np.bincount(col, weights=need[t], minlength=len(first)) > 0
            if oncall and closed is not None:
                useful &= np.bincount(col, weights=closed[t], minlength=len(first)) == 0
            renumber = np.cumsum(useful) - 1
            keep = useful[col]
            parts.append((k, first[useful], hours, oncall, renumber[col[keep]], t[keep]))
    skill, start, hrs, onc, cover_col, cover_t = [], [], [], [], [], []
    offset = 0
    for k, first, hours, oncall, col, t in parts:
        skill.append(np.full(len(first), k, dtype=np.int64))
        start.append(first)
        hrs.append(np.full(len(first), hours))
        onc.append(np.full(len(first), oncall))
        cover_col.append(col + offset)
        cover_t.append(t)
        offset += len(first)
    return _Columns(
        np.concatenate(skill),
        np.concatenate(start).astype(np.int64),
        np.concatenate(hrs),
        np.concatenate(onc).astype(bool),
        np.concatenate(cover_col).astype(np.int64),
        np.concatenate(cover_t).astype(np.int64),
    )


def _billed(cols: _Columns, grid: _Grid, rules: ShiftRules) -> list[Decimal]:
    billed = [Decimal(str(h)) for h in cols.hours]
    if rules.oncall is not None:
        for j in np.flatnonzero(cols.oncall):
            # Timestamp arithmetic is in real time; datetime + timedelta would add wall-clock hours.
            start = grid.local[cols.start[j]]
            end = start + pd.Timedelta(hours=float(cols.hours[j]))
            billed[j] = planned_billable_hours(start.to_pydatetime(), end.to_pydatetime(), rules.oncall)
    return billed


def _rates(skills: Sequence[tuple[int, ...]], grid: _Grid, rules: ShiftRules) -> list[Decimal]:
    return [max(rules.rate(grid.queues[q]) for q in members) for members in skills]


@dataclass(frozen=True)
class _Model:
    c: FloatArray
    integrality: IntArray
    upper: FloatArray
    matrix: coo_matrix
    row_lower: FloatArray
    row_upper: FloatArray
    y_key: IntArray  # (skill, queue, interval) of each allocation variable
    n_x: int


class _Rows:
    """Sparse entries of the constraint matrix, with their bounds, added row block by row block."""

    def __init__(self) -> None:
        self.rows: list[IntArray] = []
        self.cols: list[IntArray] = []
        self.vals: list[FloatArray] = []
        self.lower: list[FloatArray] = []
        self.upper: list[FloatArray] = []
        self.count = 0

    def block(self, lower: FloatArray, upper: FloatArray) -> int:
        first = self.count
        self.lower.append(lower)
        self.upper.append(upper)
        self.count += len(lower)
        return first

    def add(self, rows: IntArray, cols: IntArray, value: float) -> None:
        self.rows.append(rows)
        self.cols.append(cols)
        self.vals.append(np.full(len(rows), value))


def _model(
    grid: _Grid, skills: Sequence[tuple[int, ...]], cols: _Columns, cost: FloatArray, rules: ShiftRules
) -> _Model:
    n_q, horizon = grid.gap.shape
    n_x = len(cols.skill)
    positive = grid.gap > 0
    need = np.ceil(grid.gap - 1e-9)
    rows = _Rows()
    cover_row = np.full((n_q, horizon), -1, dtype=np.int64)
    cover_row[positive] = rows.block(grid.gap[positive], np.full(int(positive.sum()), np.inf)) + np.arange(
        int(positive.sum())
    )
    x_upper = np.zeros(n_x)
    y_keys: list[IntArray] = []
    n_var = n_x
    for k, members in enumerate(skills):
        mine = cols.skill[cols.cover_col] == k
        c, t = cols.cover_col[mine], cols.cover_t[mine]
        np.maximum.at(x_upper, c, need[list(members)].sum(axis=0)[t])
        if len(members) == 1:
            row = cover_row[members[0], t]
            rows.add(row[row >= 0], c[row >= 0], 1.0)
            continue
        # A blend's agents on duty bound what it hands out to its queues, interval by interval.
        busy: npt.NDArray[np.bool_] = np.asarray(positive[list(members)].any(axis=0))
        capacity = np.full(horizon, -1, dtype=np.int64)
        capacity[busy] = rows.block(np.full(int(busy.sum()), -np.inf), np.zeros(int(busy.sum())))
        capacity[busy] += np.arange(int(busy.sum()))
        rows.add(capacity[t][busy[t]], c[busy[t]], -1.0)
        for q in members:
            ts = np.flatnonzero(positive[q])
            y = n_var + np.arange(len(ts))
            rows.add(cover_row[q, ts], y, 1.0)
            rows.add(capacity[ts], y, 1.0)
            y_keys.append(np.column_stack([np.full(len(ts), k), np.full(len(ts), q), ts]))
            n_var += len(ts)
    y_key = np.concatenate(y_keys) if y_keys else np.zeros((0, 3), dtype=np.int64)
    u = n_var + np.arange(int(positive.sum()))
    rows.add(cover_row[positive], u, 1.0)
    regular = ~cols.oncall[cols.cover_col]
    if rules.max_per_interval is not None:
        first = rows.block(np.full(horizon, -np.inf), np.full(horizon, float(rules.max_per_interval)))
        rows.add(first + cols.cover_t[regular], cols.cover_col[regular], 1.0)
    if rules.max_per_day is not None:
        day, days = pd.factorize(pd.Index(grid.local.date))
        first = rows.block(np.full(len(days), -np.inf), np.full(len(days), float(rules.max_per_day)))
        starting = np.flatnonzero(~cols.oncall)
        rows.add(first + np.asarray(day)[cols.start[starting]], starting, 1.0)
    penalty = rules.uncovered_penalty
    if penalty is None:
        penalty = 2.0 * float(cost.max(initial=1.0))
    n_y, n_u = len(y_key), len(u)
    matrix = coo_matrix(
        (np.concatenate(rows.vals), (np.concatenate(rows.rows), np.concatenate(rows.cols))),
        shape=(rows.count, n_x + n_y + n_u),
    )
    return _Model(
        c=np.concatenate([cost, np.zeros(n_y), np.full(n_u, penalty)]),
        integrality=np.concatenate([np.ones(n_x, dtype=np.int64), np.zeros(n_y + n_u, dtype=np.int64)]),
        upper=np.concatenate([x_upper, need[y_key[:, 1], y_key[:, 2]], grid.gap[positive]]),
        matrix=matrix,
        row_lower=np.concatenate(rows.lower),
        row_upper=np.concatenate(rows.upper),
        y_key=y_key,
        n_x=n_x,
    )


def _solve(
    model: _Model, rules: ShiftRules, *, relax: bool, fixed: IntArray | None = None
) -> tuple[FloatArray, float, str]:
    lower = np.zeros(len(model.c))
    upper = model.upper.copy()
    if fixed is not None:
        lower[: model.n_x] = upper[: model.n_x] = fixed
    result = milp(
        model.c,
        integrality=np.zeros_like(model.integrality) if relax else model.integrality,
        bounds=Bounds(lower, upper),
        constraints=LinearConstraint(model.matrix.tocsr(), model.row_lower, model.row_upper),
        options={"time_limit": rules.time_limit_seconds, "mip_rel_gap": rules.mip_rel_gap, "disp": False},
    )
    if result.x is None:
        raise PlanningError(f"HiGHS found no plan: {result.message}")
    status = {0: "optimal", 1: "time_limit"}.get(int(result.status), "failed")
    return np.asarray(result.x, dtype=float), float(result.fun), status


def _staffing(
    grid: _Grid, skills: Sequence[tuple[int, ...]], cols: _Columns, x: IntArray, y: IntArray, y_key: IntArray
) -> tuple[IntArray, IntArray]:
    planned = np.zeros(grid.gap.shape, dtype=np.int64)
    oncall = np.zeros(grid.gap.shape, dtype=np.int64)
    skill = cols.skill[cols.cover_col]
    single = np.array([len(m) == 1 for m in skills], dtype=bool)[skill]
    queue = np.array([m[0] for m in skills], dtype=np.int64)[skill]
    count = x[cols.cover_col]
    np.add.at(planned, (queue[single], cols.cover_t[single]), count[single])
    on = single & cols.oncall[cols.cover_col]
    np.add.at(oncall, (queue[on], cols.cover_t[on]), count[on])
    np.add.at(planned, (y_key[:, 1], y_key[:, 2]), y)
    for k, blend in enumerate(skills):
        if len(blend) == 1:
            continue
        mine = cols.skill[cols.cover_col] == k
        idle = np.bincount(cols.cover_t[mine], weights=count[mine], minlength=grid.gap.shape[1])
        given = y_key[:, 0] == k
        idle -= np.bincount(y_key[given, 2], weights=y[given], minlength=grid.gap.shape[1])
        # Agents no gap asked for still work somewhere: give each to the queue of the blend furthest behind.
        for t in np.flatnonzero(idle > 0.5):
            for _ in range(round(idle[t])):
                short = [grid.required[q, t] - grid.base[q, t] - planned[q, t] for q in blend]
                planned[blend[int(np.argmax(short))], t] += 1
    return planned, oncall


def _label(grid: _Grid, members: tuple[int, ...]) -> str:
    return "+".join(grid.queues[q] for q in members)


def plan_reinforcement(
    requirement: pd.DataFrame,
    rules: ShiftRules,
    *,
    blends: Sequence[frozenset[str]] = (),
    service_level: ServiceLevel | None = None,
) -> Plan:
    """Choose the cheapest reinforcement (and, if allowed, on-call) shifts covering required - base.

    `requirement` has one row per queue and interval: queue, interval_start (time-zone aware local
    time), required and base positions. `blends` lists the skill sets a blended agent may work.
    `service_level(queue, interval_start, positions)` fills the service_level column (e.g. Erlang C).
    """
    began = clock.perf_counter()
    grid = _grid(requirement, pd.Timedelta(minutes=rules.interval_minutes))
    index = {name: q for q, name in enumerate(grid.queues)}
    skills: list[tuple[int, ...]] = [(q,) for q in range(len(grid.queues))]
    for blend in blends:
        unknown = set(blend) - set(index)
        if unknown:
            raise ValueError(f"blend names queues without requirement: {sorted(unknown)}")
        members = tuple(sorted(index[name] for name in blend))
        if members not in skills:
            skills.append(members)
    cols = _columns(grid, skills, rules)
    rates = _rates(skills, grid, rules)
    oncall_rate = rules.oncall.hourly_rate if rules.oncall is not None else Decimal(0)
    rate = [oncall_rate if on else rates[k] for k, on in zip(cols.skill, cols.oncall, strict=True)]
    billed = _billed(cols, grid, rules)
    cost = np.array([float(b * r) for b, r in zip(billed, rate, strict=True)])
    if grid.gap.any():
        model = _model(grid, skills, cols, cost, rules)
        solution, objective, status = _solve(model, rules, relax=False)
        _, lp_bound, lp_status = _solve(model, rules, relax=True)
        if lp_status != "optimal":
            lp_bound = math.nan  # an unfinished LP bounds nothing
        x = np.rint(solution[: model.n_x]).astype(np.int64)
        shares = solution[model.n_x : model.n_x + len(model.y_key)]
        if np.abs(shares - np.rint(shares)).max(initial=0.0) > 1e-6:
            shares = _solve(model, rules, relax=True, fixed=x)[0][model.n_x : model.n_x + len(model.y_key)]
        y = np.rint(shares).astype(np.int64)
        y_key = model.y_key
    else:
        objective, lp_bound, status = 0.0, 0.0, "optimal"
        x = np.zeros(len(cols.skill), dtype=np.int64)
        y, y_key = np.zeros(0, dtype=np.int64), np.zeros((0, 3), dtype=np.int64)
    planned, oncall = _staffing(grid, skills, cols, x, y, y_key)

    chosen = np.flatnonzero(x > 0)
    starts = grid.local[cols.start[chosen]]
    shifts = pd.DataFrame(
        {
            "kind": np.where(cols.oncall[chosen], "oncall", "reinforcement"),
            "queue": [_label(grid, skills[k]) for k in cols.skill[chosen]],
            "day": starts.date,
            "start": starts,
            "end": starts + pd.to_timedelta(cols.hours[chosen], unit="h"),
            "length_hours": cols.hours[chosen],
            "billed_hours": [billed[j] for j in chosen],
            "hourly_rate": [rate[j] for j in chosen],
            "count": x[chosen],
            "cost": [(billed[j] * rate[j] * int(x[j])).quantize(_CENTS, ROUND_HALF_UP) for j in chosen],
        }
    )
    shifts = shifts.sort_values(["start", "queue", "length_hours"], ignore_index=True)

    n_q, horizon = grid.gap.shape
    intervals = pd.DataFrame(
        {
            "queue": np.repeat(np.array(grid.queues, dtype=object), horizon),
            "interval_start": pd.DatetimeIndex(np.tile(grid.local.tz_convert("UTC").tz_localize(None), n_q))
            .tz_localize("UTC")
            .tz_convert(grid.local.tz),
            "required": grid.required.ravel(),
            "base": grid.base.ravel(),
            "gap": grid.gap.ravel(),
            "planned": planned.ravel(),
            "oncall": oncall.ravel(),
            "uncovered": np.maximum(grid.gap - planned, 0.0).ravel(),
        }
    )
    if service_level is None:
        intervals["service_level"] = np.nan
    else:
        rows = intervals[["queue", "interval_start", "base", "planned"]].itertuples(index=False)
        intervals["service_level"] = [service_level(q, ts, round(b) + int(p)) for q, ts, b, p in rows]
    gap = max(objective - lp_bound, 0.0) / objective if objective > 0 else 0.0
    if math.isnan(lp_bound):
        gap = math.nan
    return Plan(
        shifts=shifts,
        intervals=intervals,
        cost=sum(shifts["cost"], Decimal(0)),
        objective=objective,
        lp_bound=lp_bound,
        gap=gap,
        status=status,
        seconds=clock.perf_counter() - began,
    )
