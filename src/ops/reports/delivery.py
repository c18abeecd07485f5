"""Scheduled report delivery: render and store each report once, e-mail it and post it to a signed webhook,
at most once per (contract, delivery, period, channel), retrying failed sends with backoff."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import os
import re
import smtplib
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ops.config import Settings
from ops.contracts.document import from_document
from ops.contracts.models import Contract
from ops.contracts.schemas import Delivery
from ops.contracts.services import get_contract
from ops.db import utcnow
from ops.errors import ConflictError, InvalidInputError, NotFoundError
from ops.reports.models import ReportSend, SendAttempt, StoredReport
from ops.reports.report import compute, report_json
from ops.reports.services import load_inputs
from ops.staffing.calllog import zone

log = logging.getLogger("ops.reports.delivery")

MAX_ATTEMPTS = 6
BACKOFF_SECONDS = (60, 300, 1500, 7200, 21600)  # after the 1st, 2nd... failure
SIGNATURE_HEADER = "X-Ops-Signature"


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


def _write_immutable(root: Path, relative: str, content: bytes) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        return  # same name = same checksum: already there
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(content)
    os.chmod(tmp, 0o444)
    tmp.replace(path)


def read_stored(settings: Settings, report: StoredReport) -> bytes:
    """The stored file, refused if it no longer matches the checksum recorded when it was delivered."""
    try:
        content = (Path(settings.reports_dir) / report.path).read_bytes()
    except FileNotFoundError as exc:
        raise NotFoundError(f"the file of report {report.id} is missing from the report store") from exc
    if hashlib.sha256(content).hexdigest() != report.checksum:
        raise ConflictError(f"report {report.id} no longer matches its checksum: refusing to serve it")
    return content


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
    from ops.reports.render import MEDIA_TYPES, filename, render

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
        inputs = await load_inputs(session, contract=contract, start=start, end=end, cutoff=cutoff)
        data = await asyncio.to_thread(compute, inputs)
        summary = summary_of(report_json(data))
        for fmt in missing:
            content = await asyncio.to_thread(render, data, fmt)  # type: ignore[arg-type]
            digest = hashlib.sha256(content).hexdigest()
            name = filename(data, fmt, delivery)
            relative = f"{contract.code}/{delivery}/{digest[:16]}-{name}"
            await asyncio.to_thread(_write_immutable, Path(settings.reports_dir), relative, content)
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
    return [s.id for s in existing.values() if s.status in ("pending", "failed")]


# --- sending -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    send_id: int
    channel: str
    status: str
    error: str | None = None


async def send_due(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    *,
    send_ids: Sequence[int] | None = None,
    now: datetime | None = None,
) -> list[Outcome]:
    """Send every send that is pending, or failed and due for its retry (only `send_ids` if given).

    Each send is claimed in its own committed transaction (pending/failed -> sending) before anything
    leaves: of two workers racing, only the one whose update changed the row sends it.
    """
    now = now or utcnow()
    async with sessionmaker() as session:
        query = select(ReportSend.id).where(
            ReportSend.status.in_(("pending", "failed")),
            or_(ReportSend.next_attempt_at.is_(None), ReportSend.next_attempt_at <= now),
        )
        if send_ids is not None:
            query = query.where(ReportSend.id.in_(list(send_ids)))
        due = list((await session.execute(query.order_by(ReportSend.id))).scalars())
    out = []
    for send_id in due:
        outcome = await _send_one(sessionmaker, settings, send_id, now)
        if outcome is not None:
            out.append(outcome)
    return out


async def _send_one(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, send_id: int, now: datetime
) -> Outcome | None:
    async with sessionmaker.begin() as session:
        claimed = await session.execute(
            update(ReportSend)
            .where(ReportSend.id == send_id, ReportSend.status.in_(("pending", "failed")))
            .values(status="sending", claimed_at=now)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            return None  # another worker has it, or it was sent meanwhile
    async with sessionmaker() as session:
        send = await session.get(ReportSend, send_id)
        assert send is not None
        contract = await session.get(Contract, send.contract_id)
        assert contract is not None
        reports = list(
            (await session.execute(select(StoredReport).where(StoredReport.id.in_(send.report_ids)))).scalars()
        )
        channel, target = send.channel, send.target
        start, end, delivery = send.period_start, send.period_end, send.delivery
    began = time.monotonic()
    error: str | None = None
    try:
        if channel == "email":
            message = build_email(settings, contract, delivery, start, end, target, reports)
            await asyncio.to_thread(smtp_send, settings, message)
        elif channel == "webhook":
            await post_webhook(settings, contract, delivery, start, end, target, reports)
        else:
            raise InvalidInputError(f"unknown channel {channel!r}")
    except Exception as exc:  # every failure is recorded and retried, whatever raised it
        error = redact_urls(f"{type(exc).__name__}: {exc}")[:2000]
        log.warning("report send %s (%s) failed: %s", send_id, channel, error)
    seconds = time.monotonic() - began
    async with sessionmaker.begin() as session:
        send = await session.get(ReportSend, send_id)
        assert send is not None
        send.attempts += 1
        session.add(SendAttempt(send_id=send_id, at=utcnow(), ok=error is None, error=error, seconds=seconds))
        if error is None:
            send.status, send.sent_at, send.last_error, send.next_attempt_at = "sent", utcnow(), None, None
        else:
            send.last_error = error
            if send.attempts >= MAX_ATTEMPTS:
                send.status, send.next_attempt_at = "gave_up", None
            else:
                delay = BACKOFF_SECONDS[min(send.attempts, len(BACKOFF_SECONDS)) - 1]
                send.status, send.next_attempt_at = "failed", utcnow() + timedelta(seconds=delay)
        status = send.status
    return Outcome(send_id, channel, status, error)


def build_email(
    settings: Settings,
    contract: Contract,
    delivery: str,
    start: date,
    end: date,
    recipients: str,
    reports: Sequence[StoredReport],
) -> EmailMessage:
    period = f"{start:%Y-%m-%d}" if start == end else f"{start:%Y-%m-%d} to {end:%Y-%m-%d}"
    message = EmailMessage()
    message["Subject"] = f"SLA report {contract.code} ({delivery}) {period}"
    message["From"] = settings.smtp_sender
    message["To"] = recipients
    lines = [f"SLA report of contract {contract.code}, {period} ({contract.timezone}).", ""]
    summary = reports[0].summary if reports else {}
    total = summary.get("total") or {}
    sl = summary.get("service_level") or {}
    if total.get("offered") is not None:
        level = total.get("service_level")
        lines.append(f"Calls offered: {total['offered']:,}")
        lines.append(f"Service level: {level:.1%} ({sl.get('description', '')})" if level is not None else "")
    if summary.get("adjustment") is not None:
        lines.append(f"Invoice adjustment (bonuses - penalties): {contract.currency} {summary['adjustment']}")
    lines += ["", "Attached files and their SHA-256 checksums:"]
    for r in reports:
        lines.append(f"  {r.filename}  {r.checksum}")
    lines += ["", f"Data cut-off: {reports[0].data_cutoff.isoformat()}" if reports else ""]
    message.set_content("\n".join(lines))
    for r in reports:
        content = read_stored(settings, r)
        maintype, _, subtype = r.media_type.split(";")[0].partition("/")
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=r.filename)
    return message


def smtp_send(settings: Settings, message: EmailMessage) -> None:
    """Blocking: call it in a thread. SMTPS on port 465; STARTTLS when a user is set and offered."""
    if settings.smtp_port == 465:
        client: smtplib.SMTP = smtplib.SMTP_SSL(settings.smtp_host, settings.smtp_port, timeout=30)
    else:
        client = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30)
    with client:
        if settings.smtp_user:
            client.ehlo()
            if settings.smtp_port != 465 and client.has_extn("starttls"):
                client.starttls()
                client.ehlo()
            password = settings.smtp_password.get_secret_value() if settings.smtp_password else ""
            client.login(settings.smtp_user, password)
        client.send_message(message)


def webhook_secret(settings: Settings) -> str | None:
    value = settings.report_webhook_secret
    return value.get_secret_value() if value is not None else None


_URL_CREDENTIALS = re.compile(r"(\w+://)[^/\s@]+@")
_URL_QUERY = re.compile(r"(\w+://[^\s?#'\"]+)\?[^\s#'\"]*")


def redact_urls(text: str) -> str:
    """An error about a webhook names its URL; credentials and query tokens in it stay out of logs and the API."""
    return _URL_QUERY.sub(r"\1?***", _URL_CREDENTIALS.sub(r"\1***@", text))


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """`t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>." + body>`: the receiver recomputes it and
    rejects an old timestamp, so a captured call cannot be replayed later."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


async def post_webhook(
    settings: Settings,
    contract: Contract,
    delivery: str,
    start: date,
    end: date,
    url: str,
    reports: Sequence[StoredReport],
) -> None:
    import httpx

    secret = webhook_secret(settings)
    if not secret:
        raise InvalidInputError("no webhook secret configured: set OPS_REPORT_WEBHOOK_SECRET")
    body = json.dumps(
        {
            "contract": contract.code,
            "delivery": delivery,
            "period": {"from": start.isoformat(), "to": end.isoformat()},
            "reports": [
                {
                    "id": r.id,
                    "format": r.format,
                    "filename": r.filename,
                    "size": r.size,
                    "sha256": r.checksum,
                    "data_cutoff": r.data_cutoff.isoformat(),
                    "download": f"/api/reports/{contract.code}/delivered/{r.id}/file",
                }
                for r in reports
            ],
            "summary": reports[0].summary if reports else None,
        },
        sort_keys=True,
    ).encode()
    headers = {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: sign(secret, int(datetime.now(UTC).timestamp()), body),
        "Idempotency-Key": f"{contract.code}:{delivery}:{start}:{end}",
    }
    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.post(url, content=body, headers=headers)
        response.raise_for_status()


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
    async with sessionmaker.begin() as session:
        contract = await get_contract(session, code=contract_code, principal=None)
        spec = find_delivery(contract, delivery)
        if start is None or end is None:
            start, end = period_for(spec.period, today or local_today(contract.timezone))
        send_ids = await prepare_delivery(
            session, contract_code=contract_code, delivery=delivery, start=start, end=end, settings=settings
        )
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


# --- the schedule ---------------------------------------------------------------------------------


async def schedule_deliveries(scheduler: Any, sessionmaker: async_sessionmaker[AsyncSession], queue: Any) -> list[str]:
    """(Re)add one APScheduler cron job per contract delivery; drop those no longer in any contract.

    A firing computes the period in the contract's time zone and enqueues `deliver_report` with a
    job id naming the period, so a double firing is one job (and the unique keys catch the rest).
    """
    from apscheduler.triggers.cron import CronTrigger

    async with sessionmaker() as session:
        contracts = list((await session.execute(select(Contract))).unique().scalars())
    wanted: list[str] = []
    for contract in contracts:
        for d in from_document(contract.document).deliveries:
            job_id = f"delivery:{contract.code}:{d.name}"
            wanted.append(job_id)
            try:
                trigger = CronTrigger.from_crontab(d.cron, timezone=contract.timezone)
            except ValueError:
                log.error("contract %s delivery %s: bad cron %r", contract.code, d.name, d.cron)
                continue
            scheduler.add_job(
                fire_delivery,
                trigger,
                args=[queue, contract.code, d.name, d.period, contract.timezone],
                id=job_id,
                replace_existing=True,
                misfire_grace_time=3600,
                coalesce=True,
            )
    for job in scheduler.get_jobs():
        if job.id.startswith("delivery:") and job.id not in wanted:
            job.remove()
    return wanted


async def fire_delivery(queue: Any, contract_code: str, delivery: str, period: str, timezone: str) -> None:
    start, end = period_for(period, local_today(timezone))
    await queue.enqueue(
        "deliver_report",
        job_id=f"report:{contract_code}:{delivery}:{start}:{end}",
        contract_code=contract_code,
        delivery=delivery,
        start=start.isoformat(),
        end=end.isoformat(),
    )
