"""The regulatory checks of an SLA report: demands answered within N days, each day's average wait."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from ops.calendars import Calendar
from ops.contracts.schemas import VOICE_KINDS
from ops.reports.inputs import ReportInputs, created_in_period
from ops.reports.sections import RegulatoryRule


def regulatory_checks(
    rules: Sequence[RegulatoryRule], inputs: ReportInputs, daily: pd.DataFrame
) -> list[dict[str, Any]]:
    """One entry per rule: what was checked, how many met it, the share, and ok / missed / no data.
    `daily` is the voice roll-up by queue and local day."""
    out = []
    tickets = created_in_period(inputs)
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
            entry.update(limit=f"{rule.days} days", days=rule.days, checked=due, met=met, share=_share(met, due))
        elif rule.kind == "daily_asa":
            assert rule.seconds is not None
            chosen = daily if not rule.queues else daily[daily["queue"].isin(rule.queues)]
            busy = busy_days(inputs)
            limits = [
                rule.busy_day_seconds if (rule.busy_day_seconds and d in busy) else rule.seconds
                for d in pd.to_datetime(chosen["period"]).dt.date
            ]
            asa = chosen["asa"].to_numpy(dtype="float64")
            known = ~np.isnan(asa)
            ok = known & (asa <= np.asarray(limits, dtype="float64"))
            entry.update(limit=f"{rule.seconds:g} s", seconds=rule.seconds, checked=int(known.sum()), met=int(ok.sum()))
            entry["share"] = _share(entry["met"], entry["checked"])
        else:
            entry.update(limit=f"{rule.days} day(s)", days=rule.days, checked=0, met=0, share=None)
            entry["note"] = "not measured: the data holds no time the protocol was sent"
        share = entry["share"]
        entry["status"] = "no data" if share is None else ("ok" if share >= rule.required_share else "missed")
        out.append(entry)
    return out


def busy_days(inputs: ReportInputs) -> set[date]:
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


def _share(numerator: float, denominator: float) -> float | None:
    return None if not denominator else float(numerator) / float(denominator)
