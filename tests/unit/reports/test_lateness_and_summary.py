"""How late a breached ticket is, in business time, and the executive summary's months: the report's month against
the previous one and the six before, from the intervals stored for them and the money of their stored reports."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from ops.calendars import Calendar, add_business_minutes
from ops.reports.inputs import clock_minutes
from ops.reports.report import compute
from ops.reports.summary import executive_summary
from tests.unit.reports.rendering.test_charts import sample_report

SP = ZoneInfo("America/Sao_Paulo")
OFFICE = Calendar.from_dict(
    {
        "timezone": "America/Sao_Paulo",
        "hours": {day: [["08:00", "12:00"], ["13:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")},
    }
)  # 9 business hours a weekday, no holidays


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SP).astimezone(UTC)


def test_an_open_ticket_is_late_until_the_reports_end_in_business_minutes() -> None:
    created = local("2026-11-02 09:00")  # a Monday
    due = add_business_minutes(OFFICE, created, 540)  # one business day: Tuesday 09:00
    end_of_period = local("2026-11-07 00:00")  # the report covers Monday to Friday
    minutes = clock_minutes(OFFICE, created, None, None, due, True, 540, local("2026-12-06 10:00"), end_of_period)
    # Tuesday 09:00-18:00 (8 h of work) and three whole days of 9 h: 2,100 business minutes late, not 1.
    assert minutes - 540 == pytest.approx(480 + 3 * 540)
    # A report cut off before the period's end counts to its cut-off (Wednesday 10:00: 8 h + 2 h).
    cut = local("2026-11-04 10:00")
    assert clock_minutes(OFFICE, created, None, None, due, True, 540, cut, min(cut, end_of_period)) - 540 == 600


def test_a_clock_that_stopped_keeps_its_measured_minutes() -> None:
    created, answered = local("2026-11-02 09:00"), local("2026-11-03 10:00")
    assert clock_minutes(OFFICE, created, answered, 600.0, None, True, 540, local("2026-12-06 10:00")) == 600.0
    running = clock_minutes(
        OFFICE, created, None, None, local("2026-11-03 09:00"), False, 540, local("2026-11-02 17:00")
    )
    assert running == 0.0  # not due yet at the cut-off: not late


def test_the_summary_sets_the_month_against_the_previous_one_and_the_six_before() -> None:
    base = sample_report()
    january = base.intervals.assign(interval_start=base.intervals["interval_start"] - pd.DateOffset(months=1))
    inputs = replace(
        base.inputs,
        earlier=january,
        earlier_money={"1999-01": {"penalties": "1000.00", "bonuses": "0.00", "adjustment": "-1000.00"}},
    )
    summary = executive_summary(compute(inputs))
    assert [m.month for m in summary.months] == [date(1998, m, 1) for m in range(8, 13)] + [
        date(1999, 1, 1),
        date(1999, 2, 1),
    ]
    previous, current = summary.previous, summary.current
    assert previous is not None and current.current
    assert (previous.offered, current.offered) == (2191, 2191)  # the same calls a month earlier
    assert previous.service_level == pytest.approx(1470 / 2191) == current.service_level
    assert previous.adjustment == Decimal("-1000.00")  # from the report stored for January
    assert base.statement is not None and current.adjustment == base.statement.adjustment
    assert all(m.offered is None and m.adjustment is None for m in summary.months[:5])  # no data: none, not zero
    assert summary.average("service_level") == pytest.approx(1470 / 2191)  # only the months that have data


def test_the_summary_counts_each_contractual_target_met_or_missed() -> None:
    data = sample_report()
    summary = executive_summary(data)
    assert data.statement is not None
    lines = [x for x in data.statement.lines if x.kind != "bonus" and x.met is not None]
    assert (summary.met, summary.missed) == (sum(x.met for x in lines), sum(not x.met for x in lines))
    assert (summary.met, summary.missed) == (1, 3)  # ASA of care met; its service level, abandonment, BO resolution not
    assert summary.penalties == data.statement.penalties == Decimal("23895.00")
    assert summary.fee == Decimal("202500.00")
