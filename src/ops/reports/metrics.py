"""SLA metrics from counts: service-level formulas, ASA, AHT, abandonment, occupancy, ticket policy shares."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from enum import StrEnum
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from ops.staffing.history.intervals import COUNT_COLUMNS, SUM_COLUMNS, zone

Grain = Literal["interval", "day", "week", "month", "period"]
GRAINS: tuple[Grain, ...] = ("interval", "day", "week", "month", "period")

ALL_QUEUES = "*"  # the key of all queues together in kpi_results
# Optional column of an interval table: seconds agents were staffed on the queue in the interval.
STAFFED = "staffed_seconds"
RATIO_COLUMNS = ("service_level", "asa", "aht", "abandon_rate", "abandon_rate_excl_short", "occupancy")


class ServiceLevelFormula(StrEnum):
    """The service-level formulas in use; a contract names one and its threshold T."""

    OFFERED = "offered"
    OFFERED_MINUS_SHORT = "offered_minus_short"
    OFFERED_MINUS_ABANDONED_WITHIN = "offered_minus_abandoned_within"
    ANSWERED_AND_ABANDONED_WITHIN = "answered_and_abandoned_within"
    ANSWERED = "answered"

    @property
    def expression(self) -> str:
        """The formula over interval-table counts, e.g. `answered_within / (offered - short_abandons)`."""
        terms = _TERMS[self]
        numerator = " + ".join(terms.numerator)
        denominator = " - ".join((terms.denominator, *terms.minus))
        if len(terms.numerator) > 1:
            numerator = f"({numerator})"
        if terms.minus:
            denominator = f"({denominator})"
        return f"{numerator} / {denominator}"

    def describe(self, threshold_seconds: int) -> str:
        """One sentence a report prints to say which service level it shows."""
        return f"{_DESCRIPTIONS[self].format(t=threshold_seconds)} [{self.value}: {self.expression}]"


@dataclass(frozen=True)
class _Terms:
    numerator: tuple[str, ...]
    denominator: str
    minus: tuple[str, ...] = ()


_TERMS = {
    ServiceLevelFormula.OFFERED: _Terms(("answered_within",), "offered"),
    ServiceLevelFormula.OFFERED_MINUS_SHORT: _Terms(("answered_within",), "offered", ("short_abandons",)),
    ServiceLevelFormula.OFFERED_MINUS_ABANDONED_WITHIN: _Terms(("answered_within",), "offered", ("abandoned_within",)),
    ServiceLevelFormula.ANSWERED_AND_ABANDONED_WITHIN: _Terms(("answered_within", "abandoned_within"), "offered"),
    ServiceLevelFormula.ANSWERED: _Terms(("answered_within",), "answered"),
}
_DESCRIPTIONS = {
    ServiceLevelFormula.OFFERED: "Calls answered within {t} s out of all calls offered",
    ServiceLevelFormula.OFFERED_MINUS_SHORT: (
        "Calls answered within {t} s out of calls offered, short abandons excluded"
    ),
    ServiceLevelFormula.OFFERED_MINUS_ABANDONED_WITHIN: (
        "Calls answered within {t} s out of calls offered, calls abandoned within {t} s excluded"
    ),
    ServiceLevelFormula.ANSWERED_AND_ABANDONED_WITHIN: (
        "Calls answered or abandoned within {t} s out of all calls offered"
    ),
    ServiceLevelFormula.ANSWERED: "Calls answered within {t} s out of calls answered",
}


def _ratio(numerator: float, denominator: float) -> float | None:
    return None if denominator == 0 else numerator / denominator


@dataclass(frozen=True)
class KpiCounts:
    """Summed counts of any set of intervals; every KPI is a ratio of two of these sums."""

    offered: int = 0
    answered: int = 0
    answered_within: int = 0
    abandoned: int = 0
    abandoned_within: int = 0
    short_abandons: int = 0
    handle_seconds: float = 0.0
    wait_seconds: float = 0.0
    staffed_seconds: float | None = None

    @classmethod
    def of(cls, intervals: pd.DataFrame) -> KpiCounts:
        """Totals of an interval table (INTERVAL_COLUMNS, optionally staffed_seconds)."""
        sums = intervals[list(COUNT_COLUMNS + SUM_COLUMNS)].sum()
        staffed = float(intervals[STAFFED].sum()) if STAFFED in intervals.columns else None
        counts = {c: int(sums[c]) for c in COUNT_COLUMNS}
        return cls(**counts, handle_seconds=float(sums["handle_seconds"]),
                   wait_seconds=float(sums["wait_seconds"]), staffed_seconds=staffed)  # fmt: skip

    def __add__(self, other: KpiCounts) -> KpiCounts:
        values = {f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self) if f.name != STAFFED}
        staffed = None
        if self.staffed_seconds is not None and other.staffed_seconds is not None:
            staffed = self.staffed_seconds + other.staffed_seconds
        return KpiCounts(**values, staffed_seconds=staffed)

    def service_level(self, formula: ServiceLevelFormula = ServiceLevelFormula.OFFERED) -> float | None:
        terms = _TERMS[formula]
        numerator = sum(getattr(self, c) for c in terms.numerator)
        denominator = getattr(self, terms.denominator) - sum(getattr(self, c) for c in terms.minus)
        return _ratio(numerator, denominator)

    @property
    def asa(self) -> float | None:
        """Average speed of answer: wait of answered calls over answered calls, in seconds."""
        return _ratio(self.wait_seconds, self.answered)

    @property
    def aht(self) -> float | None:
        """Average handle time (talk + hold + wrap-up) per answered call, in seconds."""
        return _ratio(self.handle_seconds, self.answered)

    @property
    def abandon_rate(self) -> float | None:
        """Abandoned over offered, short abandons counted."""
        return _ratio(self.abandoned, self.offered)

    @property
    def abandon_rate_excl_short(self) -> float | None:
        """Abandoned over offered with short abandons taken out of both."""
        return _ratio(self.abandoned - self.short_abandons, self.offered - self.short_abandons)

    @property
    def occupancy(self) -> float | None:
        """Handle time over staffed time, when staffed time is known."""
        return None if self.staffed_seconds is None else _ratio(self.handle_seconds, self.staffed_seconds)

    def kpis(self, formula: ServiceLevelFormula = ServiceLevelFormula.OFFERED) -> dict[str, float | None]:
        """Every voice KPI by its name in RATIO_COLUMNS (None where its denominator is zero)."""
        return {
            "service_level": self.service_level(formula),
            "asa": self.asa,
            "aht": self.aht,
            "abandon_rate": self.abandon_rate,
            "abandon_rate_excl_short": self.abandon_rate_excl_short,
            "occupancy": self.occupancy,
        }


def _divide(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    return numerator / denominator.where(denominator != 0).astype("float64")


def with_ratios(counts: pd.DataFrame, formula: ServiceLevelFormula = ServiceLevelFormula.OFFERED) -> pd.DataFrame:
    """`counts` plus the RATIO_COLUMNS computed row by row (NaN where a denominator is zero)."""
    terms = _TERMS[formula]
    out = counts.copy()
    numerator = sum((counts[c] for c in terms.numerator[1:]), counts[terms.numerator[0]])
    denominator = counts[terms.denominator] - sum((counts[c] for c in terms.minus), 0)
    out["service_level"] = _divide(numerator, denominator)
    out["asa"] = _divide(counts["wait_seconds"], counts["answered"])
    out["aht"] = _divide(counts["handle_seconds"], counts["answered"])
    out["abandon_rate"] = _divide(counts["abandoned"], counts["offered"])
    out["abandon_rate_excl_short"] = _divide(
        counts["abandoned"] - counts["short_abandons"], counts["offered"] - counts["short_abandons"]
    )
    if STAFFED in counts.columns:
        out["occupancy"] = _divide(counts["handle_seconds"], counts[STAFFED])
    else:
        out["occupancy"] = np.nan
    return out


def rollup(
    intervals: pd.DataFrame,
    *,
    grain: Grain,
    timezone: str,
    formula: ServiceLevelFormula = ServiceLevelFormula.OFFERED,
    by_queue: bool = True,
) -> pd.DataFrame:
    """Sum an interval table by queue (optional) and local period, then derive the ratios.

    Columns: `queue` (when by_queue), `period` (label: 1999-02-12T08:30, 1999-02-12, 1999-W06,
    1999-02, or first/last date for the whole period), `period_start` and `period_end` (tz-aware
    in `timezone`, end exclusive), the summed counts, then RATIO_COLUMNS. Days, ISO weeks
    (Monday first) and months are those of the local clock in `timezone`.
    """
    if grain not in GRAINS:
        raise ValueError(f"grain must be one of {', '.join(GRAINS)}, not {grain!r}")
    sums = [c for c in (*COUNT_COLUMNS, *SUM_COLUMNS, STAFFED) if c in intervals.columns]
    starts = pd.DatetimeIndex(intervals["interval_start"]).tz_convert(zone(timezone))
    keys = _period_keys(starts, grain)
    group = ["queue", "_key"] if by_queue else ["_key"]
    frame = intervals[["queue", *sums]].assign(_key=keys)
    summed = frame.groupby(group, sort=True, observed=True)[sums].sum().reset_index()
    start, end, label = _period_bounds(summed["_key"], grain, timezone, starts)
    summed.insert(len(group) - 1, "period", label)
    summed.insert(len(group), "period_start", start)
    summed.insert(len(group) + 1, "period_end", end)
    return with_ratios(summed.drop(columns="_key"), formula)


def _period_keys(local: pd.DatetimeIndex, grain: Grain) -> npt.NDArray[np.datetime64]:
    if grain == "interval":
        return np.asarray(local.tz_convert("UTC").tz_localize(None))
    day = local.tz_localize(None).floor("D")
    if grain == "day":
        return np.asarray(day)
    if grain == "week":
        return np.asarray(day - pd.to_timedelta(day.day_of_week, unit="D"))
    if grain == "month":
        return np.asarray(day.to_period("M").to_timestamp())
    return np.zeros(len(local), dtype="datetime64[ns]")


def _period_bounds(
    keys: pd.Series, grain: Grain, timezone: str, local: pd.DatetimeIndex
) -> tuple[pd.Series, pd.Series, list[str]]:
    tz = zone(timezone)
    naive = pd.DatetimeIndex(keys)
    if grain == "interval":
        start = naive.tz_localize("UTC").tz_convert(tz)
        return (
            _series(start),
            _series(start + pd.Timedelta(minutes=30)),
            [stamp.isoformat(timespec="minutes") for stamp in start],
        )
    if grain == "period":
        first = local.tz_localize(None).floor("D").min() if len(local) else pd.NaT
        last = local.tz_localize(None).floor("D").max() if len(local) else pd.NaT
        begin = pd.DatetimeIndex([first] * len(naive))
        finish = pd.DatetimeIndex([last] * len(naive)) + pd.Timedelta(days=1)
        labels = [f"{first:%Y-%m-%d}/{last:%Y-%m-%d}"] * len(naive)
        return _series(_midnight(begin, tz)), _series(_midnight(finish, tz)), labels
    if grain == "day":
        finish = naive + pd.Timedelta(days=1)
        labels = list(naive.strftime("%Y-%m-%d"))
    elif grain == "week":
        finish = naive + pd.Timedelta(days=7)
        iso = naive.isocalendar()
        labels = [f"{y}-W{w:02d}" for y, w in zip(iso["year"], iso["week"], strict=True)]
    else:
        finish = naive + pd.offsets.MonthBegin(1)
        labels = list(naive.strftime("%Y-%m"))
    return _series(_midnight(naive, tz)), _series(_midnight(finish, tz)), labels


def _midnight(naive: pd.DatetimeIndex, tz: object) -> pd.DatetimeIndex:
    # Where DST starts at midnight the day begins at 01:00.
    return naive.tz_localize(tz, ambiguous=np.ones(len(naive), dtype=bool), nonexistent="shift_forward")


def _series(index: pd.DatetimeIndex) -> pd.Series:
    return pd.Series(index, dtype=index.dtype).reset_index(drop=True)


# --- tickets -------------------------------------------------------------------------------

# A ticket frame. Times are tz-aware. `first_response_minutes` and `resolution_minutes` are
# business minutes of the queue's calendar (pending time excluded) from creation to the event
# or, while it has not happened, to the report's cut-off; targets are business minutes (NaN: no
# policy). `resolved_at` is when the ticket left the queue for good. `status` is one of open,
# pending, resolved, closed, cancelled: a cancelled ticket counts in no within-policy share.
TICKET_COLUMNS = (
    "queue",
    "created_at",
    "first_response_at",
    "resolved_at",
    "first_response_minutes",
    "resolution_minutes",
    "first_response_target",
    "resolution_target",
    "status",
)
TICKET_COUNT_COLUMNS = (
    "tickets",
    "first_response_due",
    "first_response_met",
    "resolution_due",
    "resolution_met",
)
TICKET_RATIO_COLUMNS = ("first_response_within", "resolution_within")
AGE_EDGES_DAYS = (1, 3, 7)


def ticket_rollup(
    tickets: pd.DataFrame, *, grain: Grain = "period", timezone: str, by_queue: bool = True
) -> pd.DataFrame:
    """Within-policy shares of a ticket frame by queue and local period of `created_at`.

    A clock is due once its event happened or its elapsed minutes passed the target (a breach
    stays a breach even while the ticket is open); met when the event happened within target.
    `first_response_within` = first_response_met / first_response_due, likewise resolution.
    """
    missing = [c for c in TICKET_COLUMNS if c not in tickets.columns]
    if missing:
        raise ValueError(f"tickets frame lacks columns {', '.join(missing)}")
    if grain == "interval":
        raise ValueError("tickets roll up by day, week, month or period")
    counted = tickets["status"].astype("str").str.lower() != "cancelled"
    flags = pd.DataFrame({"queue": tickets["queue"], "tickets": np.ones(len(tickets), dtype=np.int64)})
    for clock, event in (("first_response", "first_response_at"), ("resolution", "resolved_at")):
        minutes = tickets[f"{clock}_minutes"].astype("float64")
        target = tickets[f"{clock}_target"].astype("float64")
        happened = tickets[event].notna()
        has_policy = target.notna() & counted
        flags[f"{clock}_due"] = (has_policy & (happened | (minutes > target))).astype(np.int64)
        flags[f"{clock}_met"] = (has_policy & happened & (minutes <= target)).astype(np.int64)
    created = pd.DatetimeIndex(tickets["created_at"]).tz_convert(zone(timezone))
    flags["_key"] = _period_keys(created, grain)
    group = ["queue", "_key"] if by_queue else ["_key"]
    summed = flags.groupby(group, sort=True)[list(TICKET_COUNT_COLUMNS)].sum().reset_index()
    start, end, label = _period_bounds(summed["_key"], grain, timezone, created)
    summed.insert(len(group) - 1, "period", label)
    summed.insert(len(group), "period_start", start)
    summed.insert(len(group) + 1, "period_end", end)
    summed["first_response_within"] = _divide(summed["first_response_met"], summed["first_response_due"])
    summed["resolution_within"] = _divide(summed["resolution_met"], summed["resolution_due"])
    return summed.drop(columns="_key")


def age_labels(edges_days: tuple[int, ...] = AGE_EDGES_DAYS) -> list[str]:
    """Bucket labels for `edges_days`: (1, 3, 7) gives <1d, 1-3d, 3-7d, >=7d."""
    labels = [f"<{edges_days[0]}d"]
    labels += [f"{lo}-{hi}d" for lo, hi in itertools.pairwise(edges_days)]
    return [*labels, f">={edges_days[-1]}d"]


def backlog_ageing(
    tickets: pd.DataFrame,
    *,
    cutoff: datetime,
    edges_days: tuple[int, ...] = AGE_EDGES_DAYS,
    by_queue: bool = True,
) -> pd.DataFrame:
    """Tickets still in the queue at `cutoff` by calendar age, per queue (or one row).

    In the backlog: created at or before the cut-off and not resolved by it. A bucket [lo, hi)
    holds ages of at least lo and under hi days. Columns: `queue` (when by_queue), `backlog`,
    then one count per label of age_labels(edges_days).
    """
    if cutoff.tzinfo is None:
        raise ValueError("cutoff must be timezone-aware")
    if not edges_days or list(edges_days) != sorted(set(edges_days)) or edges_days[0] <= 0:
        raise ValueError("edges_days must be increasing positive numbers of days")
    created = pd.to_datetime(tickets["created_at"], utc=True)
    resolved = pd.to_datetime(tickets["resolved_at"], utc=True)
    stamp = pd.Timestamp(cutoff).tz_convert("UTC")
    open_at_cutoff = (created <= stamp) & (resolved.isna() | (resolved > stamp))
    age_days = (stamp - created[open_at_cutoff]).dt.total_seconds() / 86_400
    labels = age_labels(edges_days)
    bucket = pd.cut(age_days, bins=[0.0, *map(float, edges_days), np.inf], right=False, labels=labels)
    frame = pd.DataFrame({"queue": tickets.loc[open_at_cutoff, "queue"], "bucket": bucket})
    if not by_queue:
        frame["queue"] = ""
    table = pd.crosstab(frame["queue"], frame["bucket"]).reindex(columns=labels, fill_value=0)
    if not by_queue:
        table = table.reindex([""], fill_value=0)
    table.columns = pd.Index(labels)
    table.insert(0, "backlog", table.sum(axis=1))
    out = table.reset_index().astype(dict.fromkeys(("backlog", *labels), "int64"))
    return out if by_queue else out.drop(columns="queue")


def counts_by_queue(intervals: pd.DataFrame) -> Mapping[str, KpiCounts]:
    """KpiCounts of each queue of an interval table."""
    return {str(queue): KpiCounts.of(group) for queue, group in intervals.groupby("queue", sort=True)}


def kpi_results(
    intervals: pd.DataFrame,
    *,
    formula: ServiceLevelFormula = ServiceLevelFormula.OFFERED,
    tickets: pd.DataFrame | None = None,
) -> dict[str, dict[str, float | None]]:
    """KPI values of a period by queue, plus ALL_QUEUES for all of them: what penalty rules read.

    `tickets` is a ticket_rollup(grain="period") frame; its shares join the voice KPIs.
    """
    results = {queue: counts.kpis(formula) for queue, counts in counts_by_queue(intervals).items()}
    results[ALL_QUEUES] = KpiCounts.of(intervals).kpis(formula)
    if tickets is not None and len(tickets):
        per_queue = tickets.groupby("queue")[list(TICKET_COUNT_COLUMNS)].sum()
        per_queue.loc[ALL_QUEUES] = per_queue.sum()
        for queue, row in per_queue.iterrows():
            values = results.setdefault(str(queue), {})
            for clock in ("first_response", "resolution"):
                values[f"{clock}_within"] = _ratio(int(row[f"{clock}_met"]), int(row[f"{clock}_due"]))
    return results
