"""Report delivery: the period a run reports, rendering and storing each report once (immutable, with its
SHA-256), and running a delivery (store, then send) at most once per (contract, delivery, period, channel)."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ops.config import Settings
from ops.contracts.document import from_document
from ops.contracts.models import Contract
from ops.contracts.schemas import Delivery
from ops.contracts.services import get_contract
from ops.db import utcnow
from ops.errors import NotFoundError
from ops.reports.delivery.sending import send_due
from ops.reports.delivery.storage import write_immutable
from ops.reports.models import ReportSend, StoredReport
from ops.reports.report import compute, report_json
from ops.reports.services import load_inputs
from ops.staffing.history.intervals import zone

log = logging.getLogger("ops.reports.delivery")

MAX_ATTEMPTS = 6
BACKOFF_SECONDS = (60, 300, 1500, 7200, 21600)  # after the 1st, 2nd... failure
SIGNATURE_HEADER = "X-Ops-Signature"
TREND_MONTHS = 6  # months before the period in the executive summary's trend


# --- periods -----------------------------------------------------------------------------------


def period_for(kind: str, today: date) -> tuple[date, date]:
    """The local dates a delivery run on `today` reports: yesterday, last ISO week, or last month."""
    if kind == "yesterday":
        day = today - timedelta(days=1)
        return day, day
    if kind == "last_week":
        monday = today - timedelta(days=today.weekday() + 7)
        return monday, monday + timedelta(days=6)
    if kind == "last_month":
        last = today.replace(day=1) - timedelta(days=1)
        return last.replace(day=1), last
    raise ValueError(f"unknown delivery period {kind!r}")


def local_today(timezone: str, now: datetime | None = None) -> date:
    return (now or utcnow()).astimezone(zone(timezone)).date()


def find_delivery(contract: Contract, name: str) -> Delivery:
    document = from_document(contract.document)
    for d in document.deliveries:
        if d.name == name:
            return d
    names = ", ".join(d.name for d in document.deliveries) or "none"
    raise NotFoundError(f"contract {contract.code!r} has no delivery {name!r} (it has: {names})")


# --- storing -----------------------------------------------------------------------------------


def summary_of(body: dict[str, Any]) -> dict[str, Any]:
    keys = ("queue", "offered", "service_level", "asa", "aht", "abandon_rate", "resolution_within", "met")
    penalties = body.get("penalties") or {}
    return {
        "total": {k: body["total"].get(k) for k in keys},
        "queues": [{k: q.get(k) for k in keys} for q in body["queues"]],
        "service_level": body["service_level"],
        "adjustment": penalties.get("adjustment"),
        "penalties": penalties.get("penalties"),
        "bonuses": penalties.get("bonuses"),
    }


async def prepare_delivery(
    session: AsyncSession,
    *,
    contract_code: str,
    delivery: str,
    start: date,
    end: date,
    settings: Settings,
    formats: Sequence[str] | None = None,
    cutoff: datetime | None = None,
) -> list[int]:
    """Render and store the delivery's formats for the period (those not stored yet) and make sure a
    send exists per channel. Returns the ids of the sends not sent yet. Never commits."""
    from ops.reports.rendering.formats import MEDIA_TYPES, filename, render

    contract = await get_contract(session, code=contract_code, principal=None)
    spec = find_delivery(contract, delivery) if formats is None else None
    wanted = list(formats if formats is not None else spec.formats if spec else [])
    stored = {
        r.format: r
        for r in (
            await session.execute(
                select(StoredReport).where(
                    StoredReport.contract_id == contract.id,
                    StoredReport.delivery == delivery,
                    StoredReport.period_start == start,
                    StoredReport.period_end == end,
                )
            )
        ).scalars()
    }
    missing = [f for f in wanted if f not in stored]
    if missing:
        inputs = await load_inputs(
            session, contract=contract, start=start, end=end, cutoff=cutoff, trend_months=TREND_MONTHS
        )
        data = await asyncio.to_thread(compute, inputs)
        summary = summary_of(report_json(data))
        for fmt in missing:
            content = await asyncio.to_thread(render, data, fmt)  # type: ignore[arg-type]
            digest = hashlib.sha256(content).hexdigest()
            name = filename(data, fmt, delivery)
            relative = f"{contract.code}/{delivery}/{digest[:16]}-{name}"
            await asyncio.to_thread(write_immutable, Path(settings.reports_dir), relative, content)
            row = StoredReport(
                contract_id=contract.id,
                delivery=delivery,
                period_start=start,
                period_end=end,
                format=fmt,
                media_type=MEDIA_TYPES[fmt],
                filename=name,
                path=relative,
                size=len(content),
                checksum=digest,
                data_cutoff=inputs.data_cutoff,
                summary=summary,
            )
            session.add(row)
            stored[fmt] = row
        await session.flush()
    report_ids = [stored[f].id for f in wanted if f in stored]

    document = from_document(contract.document)
    channels = []
    if document.recipients:
        channels.append(("email", ", ".join(document.recipients)))
    if document.webhook_url:
        channels.append(("webhook", document.webhook_url))
    existing = {
        s.channel: s
        for s in (
            await session.execute(
                select(ReportSend).where(
                    ReportSend.contract_id == contract.id,
                    ReportSend.delivery == delivery,
                    ReportSend.period_start == start,
                    ReportSend.period_end == end,
                )
            )
        ).scalars()
    }
    for channel, target in channels:
        if channel not in existing:
            send = ReportSend(
                contract_id=contract.id,
                delivery=delivery,
                period_start=start,
                period_end=end,
                channel=channel,
                target=target,
                report_ids=report_ids,
                status="pending",
                attempts=0,
            )
            session.add(send)
            existing[channel] = send
    await session.flush()
    # "sending" too: a send left so by a process that died goes again once its lease expires (send_due decides).
    return [s.id for s in existing.values() if s.status in ("pending", "failed", "sending")]


# --- running a delivery -------------------------------------------------------------------------


async def run_delivery(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    *,
    contract_code: str,
    delivery: str,
    start: date | None = None,
    end: date | None = None,
    today: date | None = None,
) -> dict[str, Any]:
    """Store the period's reports (once) and send them (once); the same call again sends nothing."""
    for attempt in (1, 2):
        try:
            async with sessionmaker.begin() as session:
                contract = await get_contract(session, code=contract_code, principal=None)
                spec = find_delivery(contract, delivery)
                if start is None or end is None:
                    start, end = period_for(spec.period, today or local_today(contract.timezone))
                send_ids = await prepare_delivery(
                    session, contract_code=contract_code, delivery=delivery, start=start, end=end, settings=settings
                )
            break
        except IntegrityError:
            # Another run (a worker, the CLI) stored this period's reports or sends first: the next pass reads
            # them back instead of storing its own.
            if attempt == 2:
                raise
    assert start is not None and end is not None  # set by the pass that got through
    outcomes = await send_due(sessionmaker, settings, send_ids=send_ids)
    async with sessionmaker() as session:
        sends = list(
            (
                await session.execute(
                    select(ReportSend).where(
                        ReportSend.contract_id == contract.id,
                        ReportSend.delivery == delivery,
                        ReportSend.period_start == start,
                        ReportSend.period_end == end,
                    )
                )
            ).scalars()
        )
        reports = list(
            (
                await session.execute(
                    select(StoredReport).where(
                        StoredReport.contract_id == contract.id,
                        StoredReport.delivery == delivery,
                        StoredReport.period_start == start,
                        StoredReport.period_end == end,
                    )
                )
            ).scalars()
        )
    return {
        "contract": contract_code,
        "delivery": delivery,
        "period": {"from": start.isoformat(), "to": end.isoformat()},
        "reports": [{"id": r.id, "format": r.format, "sha256": r.checksum, "size": r.size} for r in reports],
        "sent_now": [o.channel for o in outcomes if o.status == "sent"],
        "sends": [
            {"channel": s.channel, "status": s.status, "attempts": s.attempts, "last_error": s.last_error}
            for s in sends
        ],
    }
