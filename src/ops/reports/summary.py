"""The executive summary of an SLA report (pure): each contractual KPI met or missed, the money at stake, and the
month against the months before it.

The months before come from the interval table (voice: offered calls, service level, abandonment and ASA, summed
counts over summed counts as everywhere) and, for their money, from the reports stored for those months; a month
with neither shows as having no data, never as zero."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pandas as pd

from ops.reports.metrics import KpiCounts
from ops.reports.report import ReportData

PENALTY_KINDS = ("service_credit", "points")


@dataclass(frozen=True)
class KpiOutcome:
    """One contractual KPI of one queue (or of all queues, `*`) against its target, and what it costs."""

    kpi: str
    queue: str
    rule: str
    kind: str  # service_credit, points, bonus; "target" when the contract has no penalty rules
    target: float
    actual: float | None
    met: bool | None  # None: no data
    amount: Decimal | None  # a penalty (credits, points) or a bonus paid; None without penalty rules


@dataclass(frozen=True)
class MonthFigures:
    month: date  # its first day
    offered: int | None  # None: no interval data for that month
    service_level: float | None
    abandon_rate: float | None
    asa: float | None
    penalties: Decimal | None  # None: no report stored for that month
    bonuses: Decimal | None
    adjustment: Decimal | None
    current: bool = False


@dataclass(frozen=True)
class Summary:
    kpis: tuple[KpiOutcome, ...]
    met: int
    missed: int
    fee: Decimal
    penalty_cap: Decimal | None
    penalties: Decimal | None
    bonuses: Decimal | None
    adjustment: Decimal | None
    months: tuple[MonthFigures, ...]  # oldest first, the report's month last

    @property
    def previous(self) -> MonthFigures | None:
        return self.months[-2] if len(self.months) > 1 else None

    @property
    def current(self) -> MonthFigures:
        return self.months[-1]

    def average(self, field: str) -> float | None:
        """The mean of a figure over the earlier months that have it (the 6-month line of the summary)."""
        values = [getattr(m, field) for m in self.months[:-1] if getattr(m, field) is not None]
        return sum(values) / len(values) if values else None


def executive_summary(data: ReportData, months: int = 6) -> Summary:
    kpis = _outcomes(data)
    judged = [k for k in kpis if k.kind != "bonus" and k.met is not None]
    s = data.statement
    return Summary(
        kpis=tuple(kpis),
        met=sum(1 for k in judged if k.met),
        missed=sum(1 for k in judged if not k.met),
        fee=data.fee,
        penalty_cap=s.penalty_cap if s else None,
        penalties=s.penalties if s else None,
        bonuses=s.bonuses if s else None,
        adjustment=s.adjustment if s else None,
        months=tuple(month_figures(data, months)),
    )


def _outcomes(data: ReportData) -> list[KpiOutcome]:
    if data.statement is not None:
        return [
            KpiOutcome(
                kpi=x.kpi,
                queue=x.queue,
                rule=x.rule,
                kind=x.kind,
                target=float(x.target),
                actual=x.actual,
                met=x.met,
                amount=x.amount,
            )
            for x in data.statement.lines
        ]
    # No penalty rules: each voice queue's service level against its own target.
    return [
        KpiOutcome(
            kpi="service_level",
            queue=row["queue"],
            rule="",
            kind="target",
            target=float(row["target"]),
            actual=row.get("service_level"),
            met=row.get("met"),
            amount=None,
        )
        for row in data.queue_rows
        if row.get("target") is not None
    ]


def _first_of(index: int) -> date:
    return date(index // 12, index % 12 + 1, 1)


def month_figures(data: ReportData, months: int = 6) -> list[MonthFigures]:
    """The `months` months before the report's and the report's own, oldest first."""
    start = data.inputs.period_start
    current_index = start.year * 12 + start.month - 1
    formula, _ = data.voice_formula()
    voice = {q.code for q in data.inputs.queues if q.voice}
    counts: dict[str, KpiCounts] = {}
    earlier = data.inputs.earlier
    if earlier is not None and len(earlier):
        own = earlier[earlier["queue"].isin(voice)]
        local = own["interval_start"].dt.tz_convert(data.contract.timezone)
        for key, frame in own.groupby(local.dt.strftime("%Y-%m")):
            if int(frame["offered"].sum()):
                counts[str(key)] = KpiCounts.of(frame)
    out = []
    for index in range(current_index - months, current_index):
        first = _first_of(index)
        c = counts.get(f"{first:%Y-%m}")
        money = data.inputs.earlier_money.get(f"{first:%Y-%m}", {})
        out.append(
            MonthFigures(
                month=first,
                offered=c.offered if c else None,
                service_level=c.service_level(formula) if c else None,
                abandon_rate=c.abandon_rate if c else None,
                asa=c.asa if c else None,
                penalties=_decimal(money.get("penalties")),
                bonuses=_decimal(money.get("bonuses")),
                adjustment=_decimal(money.get("adjustment")),
            )
        )
    total = data.total
    s = data.statement
    out.append(
        MonthFigures(
            month=_first_of(current_index),
            offered=int(total["offered"]) if total.get("offered") else None,
            service_level=_number(total.get("service_level")),
            abandon_rate=_number(total.get("abandon_rate")),
            asa=_number(total.get("asa")),
            penalties=s.penalties if s else None,
            bonuses=s.bonuses if s else None,
            adjustment=s.adjustment if s else None,
            current=True,
        )
    )
    return out


def _decimal(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def _number(value: object) -> float | None:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    return float(value)  # type: ignore[arg-type]
