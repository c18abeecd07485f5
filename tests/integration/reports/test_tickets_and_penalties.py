"""Back-office figures from stored tickets, and the reference contract's penalty statement and
regulatory checks on them, against numbers computed by hand."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import pandas as pd

from ops.reports.report import report_json
from ops.reports.services import sla_report
from tests.helpers import load_reference
from tests.integration.queues.factories import make_ticket

TZ = "America/Sao_Paulo"


def at(text: str) -> datetime:
    return pd.Timestamp(text, tz=TZ).tz_convert("UTC").to_pydatetime()


async def seed_march(db: Any) -> None:
    """Five tickets of March 2026; bo_care normal targets are 240 / 1,620 business minutes, bo_helpdesk
    critical 30 / 480."""
    await load_reference(db)
    async with db.begin() as s:
        common = {"sync": False, "status": "resolved"}
        # T1: both clocks met, resolved the next day.
        await make_ticket(
            s,
            created_at=at("2026-03-02 09:00"),
            first_response_at=at("2026-03-02 09:30"),
            first_response_minutes=30.0,
            resolved_at=at("2026-03-03 12:00"),
            resolution_minutes=600.0,
            **common,
        )
        # T2: first response late (300 > 240), resolution met; two days.
        await make_ticket(
            s,
            created_at=at("2026-03-02 10:00"),
            first_response_at=at("2026-03-02 17:00"),
            first_response_minutes=300.0,
            first_response_breached=True,
            resolved_at=at("2026-03-04 12:00"),
            resolution_minutes=900.0,
            **common,
        )
        # T3: first response met, resolution late (2,000 > 1,620); nine calendar days.
        await make_ticket(
            s,
            created_at=at("2026-03-03 09:00"),
            first_response_at=at("2026-03-03 10:00"),
            first_response_minutes=60.0,
            resolved_at=at("2026-03-12 09:00"),
            resolution_minutes=2000.0,
            resolution_breached=True,
            **common,
        )
        # T4: still open at the end of March, both due dates long past.
        await make_ticket(
            s,
            created_at=at("2026-03-20 09:00"),
            sync=False,
            status="open",
            first_response_due=at("2026-03-20 13:00"),
            resolution_due=at("2026-03-24 12:00"),
        )
        # T5: a regulator threat (critical) in bo_helpdesk, answered at once but resolved after 13 days.
        await make_ticket(
            s,
            created_at=at("2026-03-05 09:00"),
            queue="bo_helpdesk",
            reason="regulator_threat",
            priority="critical",
            critical=True,
            first_response_at=at("2026-03-05 09:20"),
            first_response_minutes=20.0,
            resolved_at=at("2026-03-18 09:00"),
            resolution_minutes=5000.0,
            resolution_breached=True,
            **common,
        )


async def test_ticket_metrics_statement_and_regulatory_checks(db: Any, live: Any) -> None:
    await seed_march(db)
    async with db() as session:
        data = await sla_report(
            session,
            code="reference",
            start=pd.Timestamp("2026-03-01").date(),
            end=pd.Timestamp("2026-03-31").date(),
            principal=None,
            cutoff=at("2026-04-02 12:00"),
        )
    body = report_json(data)
    queues = {q["queue"]: q for q in body["queues"]}
    care = queues["bo_care"]
    # First response due on T1-T4 (T4 past due), met on T1 and T3; resolution likewise on T1 and T2.
    assert (care["tickets"], care["first_response_due"], care["first_response_met"]) == (4, 4, 2)
    assert (care["resolution_due"], care["resolution_met"], care["resolution_within"]) == (4, 2, 0.5)
    assert care["backlog"] == 1
    assert care["backlog_ageing"][">=7d"] == 1  # T4, 12 days old at the end of March
    assert queues["bo_helpdesk"]["resolution_within"] == 0.0
    assert queues["care"]["offered"] == 0

    # Points table: bo_care misses 90 % by 40 pp = 40 steps x 25 = 1,000 points; bo_helpdesk by 90 pp =
    # 2,250 points; 3,250 points reach the top band, 4 % of the March fee (4,860,000 / 24 = 202,500).
    statement = body["penalties"]
    points = next(r for r in statement["rules"] if r["kind"] == "points")
    assert Decimal(points["points"]) == 3250
    assert Decimal(points["amount"]) == Decimal("8100.00")
    assert Decimal(statement["fee"]) == Decimal("202500.00")
    # No calls: voice credits charge nothing (no data is not a miss), no bonus.
    credits = next(r for r in statement["rules"] if r["kind"] == "service_credit")
    assert Decimal(credits["amount"]) == 0
    assert Decimal(statement["adjustment"]) == Decimal("-8100.00")

    checks = {c["code"]: c for c in body["regulatory"]}
    # 7 calendar days: T1 and T2 in time; T3 (9 days), T5 (13 days) late; T4 open 12 days: missed.
    assert (checks["consumer_demand_7d"]["checked"], checks["consumer_demand_7d"]["met"]) == (5, 2)
    assert checks["consumer_demand_7d"]["status"] == "missed"
    assert (checks["regulator_complaint_10d"]["checked"], checks["regulator_complaint_10d"]["met"]) == (1, 0)
    assert checks["max_wait_60s"]["status"] == "no data"
    assert checks["protocol_1d"]["status"] == "no data"

    breaches = {(b["queue"], b["what"], b["day"]) for b in body["breaches"]}
    assert ("bo_care", "first_response", "2026-03-02") in breaches
    assert ("bo_care", "resolution", "2026-03-03") in breaches
    assert ("bo_care", "resolution", "2026-03-20") in breaches
    assert ("bo_care", "resolution", "2026-03-02") not in breaches
    # T4, still open: late from each due date to the end of March in the back office's hours (Mon-Fri 08-12 and
    # 13-18), not one minute. Resolution due Tue 24 12:00: 300 + 3 x 540 + 2 x 540; first response due Fri 20 13:00.
    open_late = {b["what"]: b["late_minutes"] for b in body["breaches"] if b["day"] == "2026-03-20"}
    assert open_late == {"first_response": 300 + 5 * 540 + 2 * 540, "resolution": 300 + 3 * 540 + 2 * 540}


async def test_voice_statement_on_the_anonymous_bank_slice(reference: Any) -> None:
    """care at 67.1 % against 80 %: missed by more than 10 pp, so the SL credit doubles:
    20,250 at risk x 0.5 allocation x 0.6 weight x 2 = 12,150.00; abandonment 10.3 % > 5 %:
    20,250 x 0.3 x 0.6 = 3,645.00; ASA 23.1 s <= 60 s met. 15,795.00 stays under the 12 % cap."""
    async with reference() as session:
        data = await sla_report(
            session,
            code="reference",
            start=pd.Timestamp("1999-02-01").date(),
            end=pd.Timestamp("1999-02-28").date(),
            principal=None,
        )
    statement = report_json(data)["penalties"]
    lines = {(x["kpi"], x["queue"]): x for x in statement["lines"] if x["kind"] == "service_credit"}
    assert Decimal(lines[("service_level", "care")]["amount"]) == Decimal("12150.00")
    assert lines[("service_level", "care")]["multiplier"] == "2"
    assert Decimal(lines[("abandon_rate", "care")]["amount"]) == Decimal("3645.00")
    assert lines[("asa", "care")]["met"] is True
    assert lines[("service_level", "helpdesk")]["met"] is None  # no calls: not charged
    assert Decimal(statement["penalties"]) == Decimal("15795.00")
    assert Decimal(statement["penalty_cap"]) == Decimal("24300.00")
