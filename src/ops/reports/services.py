"""SLA report services: load a contract's interval stats and tickets for a period and compute the report."""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from ops.auth import Principal
from ops.contracts.document import from_document
from ops.contracts.models import Contract, Queue
from ops.contracts.schemas import VOICE_KINDS, ContractFile
from ops.contracts.services import get_contract
from ops.db import utcnow
from ops.errors import InvalidInputError, NotFoundError
from ops.queues.calendar import Calendar, business_minutes_between
from ops.queues.models import Ticket
from ops.reports import metrics
from ops.reports.metrics import KpiCounts, ServiceLevelFormula
from ops.reports.models import ReportSend, StoredReport
from ops.reports.penalties import Statement, evaluate, parse_rules
from ops.reports.penalties_section import RegulatoryRule, parse_regulatory
from ops.staffing.calllog import COUNT_COLUMNS, SUM_COLUMNS, zone
from ops.staffing.models import IntervalStat

log = logging.getLogger("ops.reports")
FORMULA_VERSION = "ops.reports.metrics 1 (sum of counts over sum of counts at every roll-up)"
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


@dataclass(frozen=True)
class ReportData:
    inputs: ReportInputs
    queue_rows: list[dict[str, Any]]
    total: dict[str, Any]
    daily: pd.DataFrame  # voice, by queue and local day, with ratios
    daily_total: pd.DataFrame
    ticket_daily: pd.DataFrame
    backlog: pd.DataFrame
    statement: Statement | None
    fee: Decimal
    regulatory: list[dict[str, Any]]
    breaches: list[dict[str, Any]]
    forecast: pd.DataFrame | None  # queue, interval_start, forecast
    notes: list[str]

    @property
    def contract(self) -> ContractFile:
        return self.inputs.contract

    @property
    def intervals(self) -> pd.DataFrame:
        return self.inputs.intervals

    @property
    def tickets(self) -> pd.DataFrame:
        return self.inputs.tickets

    @property
    def data_through(self) -> datetime | None:
        frame = self.intervals[self.intervals["offered"] > 0]
        if frame.empty:
            return None
        last = pd.Timestamp(frame["interval_start"].max()) + pd.Timedelta(minutes=30)
        stamp: datetime = last.to_pydatetime()
        return stamp

    def voice_formula(self) -> tuple[ServiceLevelFormula, int]:
        """The formula and threshold of the contract's total (the first voice queue's)."""
        return _total_formula([q for q in self.inputs.queues if q.voice])


# --- loading --------------------------------------------------------------------------------


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


async def load_inputs(
    session: AsyncSession,
    *,
    contract: Contract,
    start: date,
    end: date,
    cutoff: datetime | None = None,
    history_weeks: int = 8,
) -> ReportInputs:
    """Read the interval stats and tickets of `contract` for local dates start..end (inclusive)."""
    check_period(start, end)
    cutoff = cutoff or utcnow()
    document = from_document(contract.document)
    begin, finish = local_bounds(contract.timezone, start, end)
    queues = {q.id: q for q in contract.queues}
    intervals = await _intervals(session, queues, begin, finish)
    history = None
    if history_weeks:
        history = await _intervals(session, queues, begin - timedelta(weeks=history_weeks), begin)
    tickets = await _tickets(session, contract, queues, document, begin, finish, cutoff)
    return ReportInputs(
        contract=document,
        queues=queue_info(document),
        period_start=start,
        period_end=end,
        data_cutoff=cutoff,
        intervals=intervals,
        tickets=tickets,
        history=history,
    )


async def _intervals(
    session: AsyncSession, queues: Mapping[int, Queue], begin: datetime, finish: datetime
) -> pd.DataFrame:
    cols = [getattr(IntervalStat, c) for c in (*COUNT_COLUMNS, *SUM_COLUMNS)]
    query = (
        select(
            IntervalStat.queue_id,
            IntervalStat.interval_start,
            *cols,
            IntervalStat.staffed_seconds,
            IntervalStat.answer_within_seconds,
        )
        .where(
            IntervalStat.queue_id.in_(list(queues)),
            IntervalStat.interval_start >= begin,
            IntervalStat.interval_start < finish,
        )
        .order_by(IntervalStat.queue_id, IntervalStat.interval_start)
    )
    rows = (await session.execute(query)).all()
    return interval_frame(
        [(queues[r[0]].code, *r[1:]) for r in rows],
    )


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


async def _tickets(
    session: AsyncSession,
    contract: Contract,
    queues: Mapping[int, Queue],
    document: ContractFile,
    begin: datetime,
    finish: datetime,
    cutoff: datetime,
) -> pd.DataFrame:
    """Tickets created in the period, plus those created before it and still open at its start
    (they make up the backlog), as the ticket frame of ops.reports.metrics."""
    from ops.contracts.models import Reason

    query = (
        select(Ticket, Reason.code)
        .outerjoin(Reason, Reason.id == Ticket.reason_id)
        .where(
            Ticket.contract_id == contract.id,
            Ticket.created_at < finish,
            (Ticket.created_at >= begin) | Ticket.resolved_at.is_(None) | (Ticket.resolved_at >= begin),
        )
        .order_by(Ticket.id)
    )
    infos = {q.code: q for q in queue_info(document)}
    calendars = {qid: Calendar.from_dict(q.calendar) for qid, q in queues.items()}
    records = []
    for ticket, reason in (await session.execute(query)).all():
        queue = queues.get(ticket.queue_id)
        if queue is None:
            continue
        info = infos.get(queue.code)
        targets = info.ticket_targets.get(ticket.priority) if info else None
        cal = calendars[ticket.queue_id]
        records.append(
            {
                "queue": queue.code,
                "created_at": ticket.created_at,
                "first_response_at": ticket.first_response_at,
                "resolved_at": ticket.resolved_at,
                "first_response_minutes": _clock_minutes(
                    cal,
                    ticket.created_at,
                    ticket.first_response_at,
                    ticket.first_response_minutes,
                    ticket.first_response_due,
                    ticket.first_response_breached,
                    targets[0] if targets else None,
                    cutoff,
                ),
                "resolution_minutes": _clock_minutes(
                    cal,
                    ticket.created_at,
                    ticket.resolved_at,
                    ticket.resolution_minutes,
                    ticket.resolution_due,
                    ticket.resolution_breached,
                    targets[1] if targets else None,
                    cutoff,
                ),
                "first_response_target": float(targets[0]) if targets else np.nan,
                "resolution_target": float(targets[1]) if targets else np.nan,
                "status": ticket.status,
                "protocol": ticket.protocol,
                "priority": ticket.priority,
                "critical": bool(ticket.critical),
                "reason": reason or "",
                "first_response_due": ticket.first_response_due,
                "resolution_due": ticket.resolution_due,
                "closed_at": ticket.closed_at,
            }
        )
    return ticket_frame(records)


def ticket_frame(records: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame(list(records), columns=list(TICKET_FIELDS))
    for c in ("created_at", "first_response_at", "resolved_at", "first_response_due", "resolution_due", "closed_at"):
        frame[c] = pd.to_datetime(frame[c], utc=True).astype("datetime64[ns, UTC]")
    for c in ("first_response_minutes", "resolution_minutes", "first_response_target", "resolution_target"):
        frame[c] = pd.to_numeric(frame[c]).astype("float64")
    frame["queue"] = frame["queue"].astype("str")
    frame["critical"] = frame["critical"].astype("bool")
    return frame


def _clock_minutes(
    cal: Calendar,
    created: datetime,
    happened: datetime | None,
    stored: float | None,
    due: datetime | None,
    breached: bool,
    target: int | None,
    cutoff: datetime,
) -> float:
    """Business minutes of one SLA clock; for a clock still running, only whether it is past due
    matters to the report, and the due date (which already skips pending time) tells that."""
    if happened is not None and happened <= cutoff:
        if stored is not None:
            return float(stored)
        if breached and target is not None:
            return float(target) + 1.0
        return business_minutes_between(cal, created, max(created, happened))
    if target is None:
        return math.nan
    if breached or (due is not None and due <= cutoff):
        return float(target) + 1.0
    return 0.0


# --- computing --------------------------------------------------------------------------------


def monthly_fee(contract: ContractFile) -> Decimal:
    """Contract value over its months (a 24-month contract of 4.86 M has a fee of 202,500.00)."""
    months = (contract.ends_on.year - contract.starts_on.year) * 12 + contract.ends_on.month - contract.starts_on.month
    if contract.ends_on.day >= contract.starts_on.day - 1:
        months += 1
    return (contract.value / max(months, 1)).quantize(Decimal("0.01"))


def period_fee(contract: ContractFile, start: date, end: date) -> Decimal:
    """The fee at stake in the period: each month's fee pro rata of its days in the period."""
    import calendar as cal

    fee = monthly_fee(contract)
    total = Decimal(0)
    day = start
    while day <= end:
        days_in_month = cal.monthrange(day.year, day.month)[1]
        last = min(end, day.replace(day=days_in_month))
        total += fee * Decimal((last - day).days + 1) / Decimal(days_in_month)
        day = last + timedelta(days=1)
    return total.quantize(Decimal("0.01"))


def _clean(value: Any) -> Any:
    if isinstance(value, float | np.floating):
        return None if math.isnan(value) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    return value


def _voice_row(q: QueueInfo | None, code: str, counts: KpiCounts, formula: ServiceLevelFormula) -> dict[str, Any]:
    row: dict[str, Any] = {"queue": code}
    for name in (*COUNT_COLUMNS, *SUM_COLUMNS):
        row[name] = getattr(counts, name)
    row.update({k: _clean(v) for k, v in counts.kpis(formula).items()})
    row["formula"] = formula.value
    row["threshold_seconds"] = q.threshold if q else None
    return row


def compute(inputs: ReportInputs) -> ReportData:
    """The report data from its inputs (pure: no database)."""
    c = inputs.contract
    tz = c.timezone
    notes: list[str] = []
    intervals = inputs.intervals
    by_code = {q.code: q for q in inputs.queues}
    voice = [q for q in inputs.queues if q.voice]

    for q in voice:
        used = intervals.loc[intervals["queue"] == q.code, "threshold"].unique()
        if len(used) and any(int(t) != q.threshold for t in used):
            notes.append(
                f"{q.code}: the data counts 'within' at {', '.join(f'{int(t)} s' for t in used)}, "
                f"the contract at {q.threshold} s; figures use the data's threshold."
            )

    daily_parts = []
    for q in voice:
        assert q.formula is not None
        own = intervals[intervals["queue"] == q.code]
        if not own.empty:
            daily_parts.append(metrics.rollup(own, grain="day", timezone=tz, formula=q.formula))
    daily = pd.concat(daily_parts, ignore_index=True) if daily_parts else _empty_daily(tz)

    rows: list[dict[str, Any]] = []
    results: dict[str, dict[str, float | None]] = {}
    total_counts = KpiCounts()
    voice_codes = {q.code for q in voice}
    for q in inputs.queues:
        if q.voice:
            assert q.formula is not None
            own = intervals[intervals["queue"] == q.code]
            counts = KpiCounts.of(own) if not own.empty else KpiCounts()
            total_counts = total_counts + counts
            row = _voice_row(q, q.code, counts, q.formula)
            row.update(name=q.name, kind=q.kind, channel=q.channel, target=q.target)
            row["met"] = _met(row["service_level"], q.target, "at_least")
            rows.append(row)
            results[q.code] = {k: row[k] for k in metrics.RATIO_COLUMNS}
        else:
            rows.append({"queue": q.code, "name": q.name, "kind": q.kind, "channel": q.channel})
            rows[-1].update(dict.fromkeys(("offered", "answered", "answered_within", "abandoned")))
            rows[-1].update(dict.fromkeys(("service_level", "asa", "aht", "abandon_rate")))

    tickets = inputs.tickets
    in_period = _created_in(tickets, inputs)
    ticket_period = metrics.ticket_rollup(in_period, grain="period", timezone=tz) if len(in_period) else None
    ticket_daily = (
        metrics.ticket_rollup(in_period, grain="day", timezone=tz) if len(in_period) else _empty_ticket_daily()
    )
    backlog_at = min(inputs.data_cutoff, local_bounds(tz, inputs.period_start, inputs.period_end)[1])
    backlog = metrics.backlog_ageing(tickets, cutoff=backlog_at) if len(tickets) else _empty_backlog()
    for row in rows:
        q = by_code[row["queue"]]
        if q.voice:
            continue
        stats = _ticket_stats(ticket_period, backlog, q.code)
        row.update(stats)
        row["met"] = None
        results[q.code] = {
            "first_response_within": stats["first_response_within"],
            "resolution_within": stats["resolution_within"],
        }

    formula, threshold = _total_formula(voice)
    total = _voice_row(None, "total", total_counts, formula)
    total["threshold_seconds"] = threshold
    if len({(q.formula, q.threshold) for q in voice}) > 1:
        notes.append(f"Queues use different service-level formulas; the total uses {formula.value} at {threshold} s.")
    if ticket_period is not None:
        sums = ticket_period[list(metrics.TICKET_COUNT_COLUMNS)].sum()
        total.update({k: int(v) for k, v in sums.items()})
        total["first_response_within"] = _share(sums["first_response_met"], sums["first_response_due"])
        total["resolution_within"] = _share(sums["resolution_met"], sums["resolution_due"])
    total["backlog"] = int(backlog["backlog"].sum()) if len(backlog) else 0
    results["*"] = {k: total.get(k) for k in (*metrics.RATIO_COLUMNS, "first_response_within", "resolution_within")}

    fee = period_fee(c, inputs.period_start, inputs.period_end)
    rules = parse_rules(c.penalties) if c.penalties else []
    statement = evaluate(rules, results, monthly_fee=fee) if rules else None

    daily_total = (
        metrics.rollup(
            intervals[intervals["queue"].isin(voice_codes)], grain="day", timezone=tz, formula=formula, by_queue=False
        )
        if len(intervals)
        else _empty_daily(tz)
    )
    regulatory = _regulatory(parse_regulatory(c.regulatory), inputs, daily)
    breaches = _breaches(inputs, daily)
    forecast = _forecast(inputs)
    return ReportData(
        inputs=inputs,
        queue_rows=rows,
        total=total,
        daily=daily,
        daily_total=daily_total,
        ticket_daily=ticket_daily,
        backlog=backlog,
        statement=statement,
        fee=fee,
        regulatory=regulatory,
        breaches=breaches,
        forecast=forecast,
        notes=notes,
    )


def _total_formula(voice: Sequence[QueueInfo]) -> tuple[ServiceLevelFormula, int]:
    for q in voice:
        if q.formula is not None and q.threshold is not None:
            return q.formula, q.threshold
    return ServiceLevelFormula.OFFERED, 20


def _met(actual: float | None, target: float | None, direction: str) -> bool | None:
    if actual is None or target is None:
        return None
    return actual >= target if direction == "at_least" else actual <= target


def _share(numerator: float, denominator: float) -> float | None:
    return None if not denominator else float(numerator) / float(denominator)


def _created_in(tickets: pd.DataFrame, inputs: ReportInputs) -> pd.DataFrame:
    begin, finish = local_bounds(inputs.contract.timezone, inputs.period_start, inputs.period_end)
    created = tickets["created_at"]
    return tickets[(created >= pd.Timestamp(begin)) & (created < pd.Timestamp(finish))]


def _ticket_stats(period: pd.DataFrame | None, backlog: pd.DataFrame, code: str) -> dict[str, Any]:
    out: dict[str, Any] = dict.fromkeys(metrics.TICKET_COUNT_COLUMNS, 0)
    out["first_response_within"] = out["resolution_within"] = None
    if period is not None:
        own = period[period["queue"] == code]
        if len(own):
            for k in metrics.TICKET_COUNT_COLUMNS:
                out[k] = int(own[k].sum())
            out["first_response_within"] = _share(out["first_response_met"], out["first_response_due"])
            out["resolution_within"] = _share(out["resolution_met"], out["resolution_due"])
    labels = metrics.age_labels()
    mine = backlog[backlog["queue"] == code] if len(backlog) else backlog
    out["backlog"] = int(mine["backlog"].sum()) if len(mine) else 0
    out["backlog_ageing"] = {label: int(mine[label].sum()) if len(mine) else 0 for label in labels}
    return out


def _empty_daily(tz: str) -> pd.DataFrame:
    empty = pd.DataFrame({c: pd.Series(dtype="float64") for c in (*COUNT_COLUMNS, *SUM_COLUMNS)})
    empty.insert(0, "queue", pd.Series(dtype="str"))
    empty.insert(1, "interval_start", pd.Series(dtype="datetime64[ns, UTC]"))
    return metrics.rollup(empty, grain="day", timezone=tz)


def _empty_ticket_daily() -> pd.DataFrame:
    cols = [
        "queue",
        "period",
        "period_start",
        "period_end",
        *metrics.TICKET_COUNT_COLUMNS,
        *metrics.TICKET_RATIO_COLUMNS,
    ]
    return pd.DataFrame(columns=cols)


def _empty_backlog() -> pd.DataFrame:
    return pd.DataFrame(columns=["queue", "backlog", *metrics.age_labels()])


def _regulatory(rules: Sequence[RegulatoryRule], inputs: ReportInputs, daily: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    tickets = _created_in(inputs.tickets, inputs)
    for rule in rules:
        entry: dict[str, Any] = {"code": rule.code, "name": rule.name, "kind": rule.kind}
        if rule.kind == "ticket_days":
            assert rule.days is not None
            chosen = tickets
            if rule.queues:
                chosen = chosen[chosen["queue"].isin(rule.queues)]
            if rule.reasons:
                chosen = chosen[chosen["reason"].isin(rule.reasons)]
            if rule.critical_only:
                chosen = chosen[chosen["critical"]]
            limit = pd.Timedelta(days=rule.days)
            done = chosen["resolved_at"].fillna(chosen["closed_at"])
            age = done - chosen["created_at"]
            late_open = done.isna() & (pd.Timestamp(inputs.data_cutoff) - chosen["created_at"] > limit)
            due = int((done.notna() | late_open).sum())
            met = int((done.notna() & (age <= limit)).sum())
            entry.update(limit=f"{rule.days} days", checked=due, met=met, share=_share(met, due))
        elif rule.kind == "daily_asa":
            assert rule.seconds is not None
            chosen = daily if not rule.queues else daily[daily["queue"].isin(rule.queues)]
            busy = _busy_days(inputs)
            limits = [
                rule.busy_day_seconds if (rule.busy_day_seconds and d in busy) else rule.seconds
                for d in pd.to_datetime(chosen["period"]).dt.date
            ]
            asa = chosen["asa"].to_numpy(dtype="float64")
            known = ~np.isnan(asa)
            ok = known & (asa <= np.asarray(limits, dtype="float64"))
            entry.update(limit=f"{rule.seconds:g} s", checked=int(known.sum()), met=int(ok.sum()))
            entry["share"] = _share(entry["met"], entry["checked"])
        else:
            entry.update(limit=f"{rule.days} day(s)", checked=0, met=0, share=None)
            entry["note"] = "not measured: the data holds no time the protocol was sent"
        share = entry["share"]
        entry["status"] = "no data" if share is None else ("ok" if share >= rule.required_share else "missed")
        out.append(entry)
    return out


def _busy_days(inputs: ReportInputs) -> set[date]:
    """Mondays and the days before and after a holiday of the voice calendar."""
    days = set()
    holidays: set[date] = set()
    for q in inputs.contract.queues:
        if q.kind in VOICE_KINDS:
            spec = inputs.contract.calendars.get(q.calendar) if isinstance(q.calendar, str) else q.calendar
            if spec:
                cal = Calendar.from_dict(spec)
                day = inputs.period_start - timedelta(days=1)
                while day <= inputs.period_end + timedelta(days=1):
                    if cal.is_holiday(day):
                        holidays.add(day)
                    day += timedelta(days=1)
            break
    day = inputs.period_start
    while day <= inputs.period_end:
        near = {day - timedelta(days=1), day, day + timedelta(days=1)}
        if day.weekday() == 0 or near & holidays:
            days.add(day)
        day += timedelta(days=1)
    return days


def _breaches(inputs: ReportInputs, daily: pd.DataFrame) -> list[dict[str, Any]]:
    """Every day a voice queue missed a target and every ticket that breached a clock."""
    out: list[dict[str, Any]] = []
    by_code = {q.code: q for q in inputs.queues}
    for rec in daily.to_dict("records"):
        q = by_code.get(rec["queue"])
        if q is None:
            continue
        checks = (
            ("service_level", q.target, "at_least"),
            ("abandon_rate", q.max_abandon, "at_most"),
            ("asa", q.max_asa, "at_most"),
        )
        for kpi, target, direction in checks:
            actual = _clean(rec[kpi])
            if _met(actual, target, direction) is False:
                out.append(
                    {"queue": q.code, "day": rec["period"], "what": kpi, "target": target, "actual": actual, "ref": ""}
                )
    tickets = _created_in(inputs.tickets, inputs)
    for clock in ("first_response", "resolution"):
        late = tickets[tickets[f"{clock}_minutes"] > tickets[f"{clock}_target"]]
        for rec in late.to_dict("records"):
            local = rec["created_at"].tz_convert(inputs.contract.timezone)
            out.append(
                {
                    "queue": rec["queue"],
                    "day": local.strftime("%Y-%m-%d"),
                    "what": clock,
                    "target": rec[f"{clock}_target"],
                    "actual": rec[f"{clock}_minutes"],
                    "ref": rec["protocol"],
                }
            )
    return out


def _forecast(inputs: ReportInputs) -> pd.DataFrame | None:
    """Offered calls forecast per voice interval from the weeks before the period, when there are
    at least two weeks of them; None otherwise."""
    history = inputs.history
    if history is None or history.empty:
        return None
    try:
        from ops.staffing.forecast import forecast
    except ImportError:  # the forecast module ships with the staffing domain
        return None
    tz = inputs.contract.timezone
    weeks = (inputs.period_end - inputs.period_start).days // 7 + 1
    parts = []
    for code, own in history.groupby("queue"):
        span = own["interval_start"].max() - own["interval_start"].min()
        if span < pd.Timedelta(days=14):
            continue
        series = own.set_index("interval_start")[["offered", "answered", "handle_seconds"]].astype("float64")
        try:
            result = forecast(series, holidays=(), start=inputs.period_start, weeks=weeks, tz=tz)
        except Exception:  # the forecast is a comparison line: never let it stop the report
            log.warning("no forecast for queue %s", code, exc_info=True)
            continue
        result = result.rename(columns={"offered": "forecast"}).reset_index(names="interval_start")
        result.insert(0, "queue", str(code))
        begin, finish = local_bounds(tz, inputs.period_start, inputs.period_end)
        stamps = pd.to_datetime(result["interval_start"], utc=True)
        parts.append(result[(stamps >= pd.Timestamp(begin)) & (stamps < pd.Timestamp(finish))])
    if not parts:
        return None
    out = pd.concat(parts, ignore_index=True)
    out["interval_start"] = pd.to_datetime(out["interval_start"], utc=True)
    return out


# --- the services others call ------------------------------------------------------------------


async def sla_report(
    session: AsyncSession,
    *,
    code: str,
    start: date,
    end: date,
    principal: Principal | None,
    cutoff: datetime | None = None,
) -> ReportData:
    """The SLA report of contract `code` for local dates start..end (inclusive)."""
    contract = await get_contract(session, code=code, principal=principal)
    inputs = await load_inputs(session, contract=contract, start=start, end=end, cutoff=cutoff)
    return compute(inputs)


def report_json(data: ReportData) -> dict[str, Any]:
    """The JSON form of a report: `queues`, `total`, the formula and threshold used, and the rest."""
    c = data.contract
    formula, threshold = _total_formula([q for q in data.inputs.queues if q.voice])
    through = data.data_through
    statement = data.statement
    return {
        "contract": {"code": c.code, "client": c.client.name, "timezone": c.timezone, "currency": c.currency},
        "period": {"from": data.inputs.period_start.isoformat(), "to": data.inputs.period_end.isoformat()},
        "data_cutoff": data.inputs.data_cutoff.isoformat(),
        "data_through": through.isoformat() if through else None,
        "formula_version": FORMULA_VERSION,
        "service_level": {
            "formula": formula.value,
            "threshold_seconds": threshold,
            "expression": formula.expression,
            "description": formula.describe(threshold),
        },
        "queues": [_json_safe(r) for r in data.queue_rows],
        "total": _json_safe(data.total),
        "penalties": statement_json(statement, data.fee) if statement else None,
        "regulatory": [_json_safe(r) for r in data.regulatory],
        "breaches": [_json_safe(r) for r in data.breaches],
        "notes": data.notes,
    }


def statement_json(statement: Statement, fee: Decimal) -> dict[str, Any]:
    def money(value: Decimal | None) -> str | None:
        return None if value is None else str(value)

    return {
        "fee": money(fee),
        "penalties_before_cap": money(statement.penalties_before_cap),
        "penalty_cap": money(statement.penalty_cap),
        "penalties": money(statement.penalties),
        "bonuses": money(statement.bonuses),
        "adjustment": money(statement.adjustment),
        "rules": [
            {
                "rule": o.rule,
                "kind": o.kind,
                "amount_before_cap": money(o.amount_before_cap),
                "amount": money(o.amount),
                "points": money(o.points),
                "band_share": money(o.band_share),
            }
            for o in statement.rules
        ],
        "lines": [
            {
                "rule": x.rule,
                "kind": x.kind,
                "kpi": x.kpi,
                "queue": x.queue,
                "direction": x.direction,
                "target": money(x.target),
                "actual": x.actual,
                "met": x.met,
                "weight": money(x.weight),
                "multiplier": money(x.multiplier),
                "points": money(x.points),
                "amount": money(x.amount),
            }
            for x in statement.lines
        ],
    }


def _json_safe(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, pd.Timestamp | datetime | date):
        return value.isoformat()
    return _clean(value)


# --- delivered reports ----------------------------------------------------------------------------


async def list_delivered(session: AsyncSession, *, code: str, principal: Principal | None) -> list[StoredReport]:
    """The contract's stored reports, newest period first."""
    contract = await get_contract(session, code=code, principal=principal)
    query = (
        select(StoredReport)
        .where(StoredReport.contract_id == contract.id)
        .order_by(StoredReport.period_end.desc(), StoredReport.delivery, StoredReport.format)
    )
    return list((await session.execute(query)).scalars())


async def get_delivered(
    session: AsyncSession, *, code: str, report_id: int, principal: Principal | None
) -> StoredReport:
    contract = await get_contract(session, code=code, principal=principal)
    row = await session.get(StoredReport, report_id)
    if row is None or row.contract_id != contract.id:
        raise NotFoundError(f"no report {report_id} for contract {code!r}")
    return row


async def list_sends(session: AsyncSession, *, code: str, principal: Principal | None) -> list[ReportSend]:
    """Every send of the contract's deliveries with its attempts, newest first."""
    contract = await get_contract(session, code=code, principal=principal)
    query = (
        select(ReportSend)
        .where(ReportSend.contract_id == contract.id)
        .options(selectinload(ReportSend.attempt_log))
        .order_by(ReportSend.id.desc())
    )
    return list((await session.execute(query)).scalars())


async def latest_data_month(session: AsyncSession, *, contract: Contract) -> tuple[date, date] | None:
    """First and last local date of the latest month holding interval stats or tickets of the contract."""
    ids = [q.id for q in contract.queues]
    last_interval = (
        await session.execute(select(func.max(IntervalStat.interval_start)).where(IntervalStat.queue_id.in_(ids)))
    ).scalar_one_or_none()
    last_ticket = (
        await session.execute(select(func.max(Ticket.created_at)).where(Ticket.contract_id == contract.id))
    ).scalar_one_or_none()
    stamps = [s for s in (last_interval, last_ticket) if s is not None]
    if not stamps:
        return None
    last = max(s if s.tzinfo else s.replace(tzinfo=UTC) for s in stamps)
    day = last.astimezone(zone(contract.timezone)).date()
    first = day.replace(day=1)
    import calendar as cal

    return first, first.replace(day=cal.monthrange(first.year, first.month)[1])
