"""The SLA report computed from its inputs (pure): queue figures, total, penalties, breaches, forecast, JSON form."""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from ops.contracts.schemas import ContractFile
from ops.reports import metrics
from ops.reports.inputs import QueueInfo, ReportInputs, created_in_period, local_bounds
from ops.reports.metrics import KpiCounts, ServiceLevelFormula
from ops.reports.penalties import Statement, evaluate, parse_rules
from ops.reports.regulatory import regulatory_checks
from ops.reports.sections import parse_regulatory
from ops.staffing.history.intervals import COUNT_COLUMNS, SUM_COLUMNS

log = logging.getLogger("ops.reports")
FORMULA_VERSION = "ops.reports.metrics 1 (sum of counts over sum of counts at every roll-up)"


def N_(message: str) -> str:
    """Marks a msgid (the notes below are translated when the report is rendered)."""
    return message


NOTE_THRESHOLD = N_(
    "{queue}: the data counts 'within' at {used} s, the contract at {seconds} s; figures use the data's threshold."
)
NOTE_FORMULAS = N_("Queues use different service-level formulas; the total uses {formula} at {seconds} s.")


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
    notes: list[str]  # in English (the JSON's); the same as (msgid, arguments) in note_args, for other languages
    note_args: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    # The report's charts by language, built once by `rendering.charts.charts_for` and drawn by every format that
    # shows them. Not an argument: `dataclasses.replace` makes a report with its own, empty.
    charts: dict[str, Any] = field(default_factory=dict, init=False, compare=False, repr=False)

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

    note_args: list[tuple[str, dict[str, str]]] = []
    for q in voice:
        used = intervals.loc[intervals["queue"] == q.code, "threshold"].unique()
        if len(used) and any(int(t) != q.threshold for t in used):
            args = {"queue": q.code, "used": ", ".join(str(int(t)) for t in used), "seconds": str(q.threshold)}
            note_args.append((NOTE_THRESHOLD, args))

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
    in_period = created_in_period(inputs)
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
        note_args.append((NOTE_FORMULAS, {"formula": formula.value, "seconds": str(threshold)}))
    notes += [template.format(**args) for template, args in note_args]
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
    regulatory = regulatory_checks(parse_regulatory(c.regulatory), inputs, daily)
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
        note_args=note_args,
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


def _breaches(inputs: ReportInputs, daily: pd.DataFrame) -> list[dict[str, Any]]:
    """Every day a voice queue missed a target and every ticket that breached a clock (with how many business
    minutes late it is)."""
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
                    {
                        "queue": q.code,
                        "day": rec["period"],
                        "what": kpi,
                        "target": target,
                        "actual": actual,
                        "ref": "",
                        "late_minutes": None,
                    }
                )
    tickets = created_in_period(inputs)
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
                    # business minutes past the target: a ticket still open is late until the report's end
                    "late_minutes": float(rec[f"{clock}_minutes"] - rec[f"{clock}_target"]),
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
        from ops.staffing.forecast.model import forecast
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


# --- the JSON form ---------------------------------------------------------------------------------


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
