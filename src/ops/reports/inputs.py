"""What an SLA report is computed from: the contract's queues, the period, and its interval and ticket frames."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pandas as pd

from ops.calendars import Calendar, business_minutes_between
from ops.contracts.schemas import VOICE_KINDS, ContractFile
from ops.errors import InvalidInputError
from ops.reports import metrics
from ops.reports.metrics import ServiceLevelFormula
from ops.staffing.history.intervals import COUNT_COLUMNS, SUM_COLUMNS, zone

MAX_PERIOD_DAYS = 400
INTERVAL_FIELDS = ("queue", "interval_start", *COUNT_COLUMNS, *SUM_COLUMNS, "staffed_seconds", "threshold")
TICKET_FIELDS = (
    *metrics.TICKET_COLUMNS,
    "protocol",
    "priority",
    "critical",
    "reason",
    "first_response_due",
    "resolution_due",
    "closed_at",
)


@dataclass(frozen=True)
class QueueInfo:
    """What a report needs to know about one queue of the contract."""

    code: str
    name: str
    kind: str
    channel: str
    base_positions: int
    formula: ServiceLevelFormula | None = None
    threshold: int | None = None
    target: float | None = None
    max_abandon: float | None = None
    max_asa: float | None = None
    ticket_targets: Mapping[str, tuple[int, int]] = field(default_factory=dict)

    @property
    def voice(self) -> bool:
        return self.kind in VOICE_KINDS


@dataclass(frozen=True)
class ReportInputs:
    """Everything read from the database: the report is a pure function of this."""

    contract: ContractFile
    queues: tuple[QueueInfo, ...]
    period_start: date
    period_end: date  # inclusive
    data_cutoff: datetime
    intervals: pd.DataFrame  # INTERVAL_FIELDS
    tickets: pd.DataFrame  # TICKET_FIELDS
    history: pd.DataFrame | None = None  # intervals before the period, for the forecast
    # Intervals of the months before the period (INTERVAL_FIELDS), for the executive summary's trend; None: not read
    earlier: pd.DataFrame | None = None
    # Money of the reports stored for earlier months: "YYYY-MM" -> {"penalties", "bonuses", "adjustment"} as text
    earlier_money: Mapping[str, Mapping[str, str | None]] = field(default_factory=dict)


def queue_info(contract: ContractFile) -> tuple[QueueInfo, ...]:
    out = []
    for q in contract.queues:
        voice = q.sla.voice
        targets: dict[str, tuple[int, int]] = {
            str(p): (t.first_response, t.resolution) for p, t in (q.sla.tickets or {}).items()
        }
        out.append(
            QueueInfo(
                code=q.code,
                name=q.name,
                kind=q.kind,
                channel=q.channel,
                base_positions=q.base_positions,
                formula=ServiceLevelFormula(voice.formula) if voice else None,
                threshold=voice.answer_within_seconds if voice else None,
                target=voice.target if voice else None,
                max_abandon=voice.max_abandon if voice else None,
                max_asa=voice.max_asa_seconds if voice else None,
                ticket_targets=targets,
            )
        )
    return tuple(out)


def local_bounds(timezone: str, start: date, end: date) -> tuple[datetime, datetime]:
    """UTC instants of local midnight of `start` and of the day after `end`."""
    tz = zone(timezone)
    begin = datetime.combine(start, datetime.min.time(), tz).astimezone(UTC)
    finish = datetime.combine(end + timedelta(days=1), datetime.min.time(), tz).astimezone(UTC)
    return begin, finish


def check_period(start: date, end: date) -> None:
    if end < start:
        raise InvalidInputError(
            f"the period ends ({end}) before it starts ({start})", extra=[{"field": "to", "problem": "before from"}]
        )
    if (end - start).days >= MAX_PERIOD_DAYS:
        raise InvalidInputError(
            f"a report covers at most {MAX_PERIOD_DAYS} days",
            extra=[{"field": "to", "problem": f"more than {MAX_PERIOD_DAYS} days after from"}],
        )


def created_in_period(inputs: ReportInputs) -> pd.DataFrame:
    """The tickets created in the period (the others only make up the backlog at its start)."""
    begin, finish = local_bounds(inputs.contract.timezone, inputs.period_start, inputs.period_end)
    created = inputs.tickets["created_at"]
    return inputs.tickets[(created >= pd.Timestamp(begin)) & (created < pd.Timestamp(finish))]


def interval_frame(rows: Sequence[Sequence[Any]]) -> pd.DataFrame:
    """INTERVAL_FIELDS from tuples (queue code, interval start, counts, sums, staffed, threshold)."""
    frame = pd.DataFrame(list(rows), columns=list(INTERVAL_FIELDS))
    frame["queue"] = frame["queue"].astype("str")
    frame["interval_start"] = pd.to_datetime(frame["interval_start"], utc=True).astype("datetime64[ns, UTC]")
    for c in COUNT_COLUMNS:
        frame[c] = frame[c].astype("int64")
    for c in (*SUM_COLUMNS, "staffed_seconds"):
        frame[c] = pd.to_numeric(frame[c]).astype("float64")
    frame["threshold"] = frame["threshold"].astype("int64")
    return frame


def ticket_frame(records: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame(list(records), columns=list(TICKET_FIELDS))
    for c in ("created_at", "first_response_at", "resolved_at", "first_response_due", "resolution_due", "closed_at"):
        frame[c] = pd.to_datetime(frame[c], utc=True).astype("datetime64[ns, UTC]")
    for c in ("first_response_minutes", "resolution_minutes", "first_response_target", "resolution_target"):
        frame[c] = pd.to_numeric(frame[c]).astype("float64")
    frame["queue"] = frame["queue"].astype("str")
    frame["critical"] = frame["critical"].astype("bool")
    return frame


def clock_minutes(
    cal: Calendar,
    created: datetime,
    happened: datetime | None,
    stored: float | None,
    due: datetime | None,
    breached: bool,
    target: int | None,
    cutoff: datetime,
    until: datetime | None = None,
) -> float:
    """Business minutes of one SLA clock. A clock still running past its due date (which already skips pending
    time) counts the target plus the business minutes from the due date to `until` (the report's end, or the
    cut-off if that comes first), so the breach list says how late the ticket is, not one minute late."""
    if happened is not None and happened <= cutoff:
        if stored is not None:
            return float(stored)
        if breached and target is not None:
            return float(target) + 1.0
        return business_minutes_between(cal, created, max(created, happened))
    if target is None:
        return math.nan
    if breached or (due is not None and due <= cutoff):
        return float(target) + late_minutes(cal, due, until or cutoff, cutoff)
    return 0.0


def late_minutes(cal: Calendar, due: datetime | None, until: datetime, cutoff: datetime) -> float:
    """Business minutes a running clock is past its due date at `until` (at the cut-off when it fell due after
    `until`); at least one minute, since it is late."""
    if due is None:
        return 1.0
    end = until if due < until else cutoff
    if end <= due:
        return 1.0
    return max(1.0, business_minutes_between(cal, due, end))
