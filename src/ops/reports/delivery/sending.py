"""Sending stored reports: e-mail over SMTP and a signed webhook post, each send claimed once and retried
with backoff after a failure; a send whose process died mid-send is claimed again once its lease expires, and goes
out under the same idempotency key (the webhook's Idempotency-Key, the e-mail's Message-ID) so the receiver can
drop the copy."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import re
import smtplib
import ssl
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from typing import Literal
from urllib.parse import unquote, urlsplit, urlunsplit

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ops.config import Settings
from ops.contracts.document import from_document
from ops.contracts.models import Contract
from ops.db import utcnow
from ops.errors import InvalidInputError
from ops.reports.delivery.storage import read_stored
from ops.reports.metrics import ServiceLevelFormula
from ops.reports.models import ReportSend, SendAttempt, StoredReport
from ops.reports.rendering.words import words

log = logging.getLogger("ops.reports.delivery")

MAX_ATTEMPTS = 6
BACKOFF_SECONDS = (60, 300, 1500, 7200, 21600)  # after the 1st, 2nd... failure
SIGNATURE_HEADER = "X-Ops-Signature"


def _due(now: datetime) -> ColumnElement[bool]:
    return and_(
        ReportSend.status.in_(("pending", "failed")),
        or_(ReportSend.next_attempt_at.is_(None), ReportSend.next_attempt_at <= now),
    )


def _abandoned(now: datetime, settings: Settings) -> ColumnElement[bool]:
    """Claimed for sending by a process that died: its lease (OPS_SEND_LEASE_SECONDS, longer than a send's
    timeouts) ran out with the send still marked as sending."""
    return and_(
        ReportSend.status == "sending", ReportSend.claimed_at < now - timedelta(seconds=settings.send_lease_seconds)
    )


def period_end_of_month(first: date) -> date:
    following = first.replace(year=first.year + first.month // 12, month=first.month % 12 + 1, day=1)
    return following - timedelta(days=1)


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
        query = select(ReportSend.id).where(or_(_due(now), _abandoned(now, settings)))
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
            update(ReportSend).where(ReportSend.id == send_id, _due(now)).values(status="sending", claimed_at=now)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            # Not due: another worker has it, it was sent meanwhile, or its sender died and its lease expired.
            reclaimed = await session.execute(
                update(ReportSend)
                .where(ReportSend.id == send_id, _abandoned(now, settings))
                .values(status="sending", claimed_at=now, attempts=ReportSend.attempts + 1)
            )
            if reclaimed.rowcount != 1:  # type: ignore[attr-defined]
                return None
            lost = "its sender stopped mid-send (lease expired); sent again under the same idempotency key"
            log.warning("report send %s: %s", send_id, lost)
            session.add(SendAttempt(send_id=send_id, at=now, ok=False, error=lost, seconds=0.0))
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
    """The e-mail of a delivery in the client's language (the contract's): its figures by Babel, its files."""
    w = words(from_document(contract.document))
    _ = w._
    if start == end:
        period = w.date(start)
    elif start.day == 1 and end == period_end_of_month(start):
        period = w.month(start)
    else:
        period = _("{start} to {end} (inclusive)").format(start=w.date(start), end=w.date(end))
    message = EmailMessage()
    message["Subject"] = _("SLA report {contract} ({delivery}): {period}").format(
        contract=contract.code, delivery=delivery, period=period
    )
    message["From"] = settings.smtp_sender
    message["To"] = recipients
    # The same for every attempt of this send: a receiver (or its MTA) drops a copy sent again after a crash.
    domain = settings.smtp_sender.rpartition("@")[2] or "ops.localhost"
    message["Message-ID"] = f"<sla-report.{contract.code}.{delivery}.{start:%Y%m%d}.{end:%Y%m%d}@{domain}>"
    lines = [
        _("SLA report of contract {contract}, {period} ({timezone}).").format(
            contract=contract.code, period=period, timezone=contract.timezone
        ),
        "",
    ]
    summary = reports[0].summary if reports else {}
    total = summary.get("total") or {}
    sl = summary.get("service_level") or {}
    if total.get("offered") is not None:
        level = total.get("service_level")
        lines.append(_("Calls offered: {count}").format(count=w.num(total["offered"])))
        if level is not None:
            formula = ServiceLevelFormula(sl.get("formula", "offered"))
            described = w.formula(formula, int(sl.get("threshold_seconds") or 20))
            lines.append(_("Service level: {value} ({formula})").format(value=w.pct(level), formula=described))
    if summary.get("adjustment") is not None:
        lines.append(
            _("Invoice adjustment (bonuses - penalties): {amount}").format(amount=w.money(summary["adjustment"]))
        )
    lines += ["", _("Attached files and their SHA-256 checksums:")]
    for r in reports:
        lines.append(f"  {r.filename}  {r.checksum}")
    if reports:
        cutoff = w.fmt.datetime(reports[0].data_cutoff, contract.timezone, "short")
        lines += ["", _("Data cut-off: {when}").format(when=cutoff)]
    message.set_content("\n".join(lines))
    for r in reports:
        content = read_stored(settings, r)
        maintype, _, subtype = r.media_type.split(";")[0].partition("/")
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=r.filename)
    return message


class MailSecurityError(RuntimeError):
    """A report that would go to the SMTP server in clear, or a password that would."""


def smtp_security(settings: Settings) -> Literal["implicit", "starttls", "plain"]:
    """How a report goes to the SMTP server: TLS from the first byte, STARTTLS, or in clear, which only the
    trusted local relay named by OPS_SMTP_PLAIN_RELAY may take, and never with a password."""
    if settings.smtp_plain_relay is not None and settings.smtp_host == settings.smtp_plain_relay:
        if settings.smtp_user:
            raise MailSecurityError(
                f"OPS_SMTP_USER is set for the plain relay {settings.smtp_host}: a password never goes in clear "
                "(use TLS, or no user on a trusted local relay)"
            )
        return "plain"
    if settings.smtp_tls == "implicit" or (settings.smtp_tls == "auto" and settings.smtp_port == 465):
        return "implicit"
    return "starttls"


def smtp_send(settings: Settings, message: EmailMessage) -> None:
    """Blocking: call it in a thread. Every send is encrypted (SMTPS, or STARTTLS required before anything else
    is said) unless it goes to the trusted plain relay; a login only ever happens inside TLS."""
    security = smtp_security(settings)
    where = f"{settings.smtp_host}:{settings.smtp_port}"
    context = ssl.create_default_context(cafile=settings.smtp_ca_file)
    if security == "implicit":
        client: smtplib.SMTP = smtplib.SMTP_SSL(settings.smtp_host, settings.smtp_port, timeout=30, context=context)
    else:
        client = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30)
    with client:
        client.ehlo()
        if security == "starttls":
            if not client.has_extn("starttls"):
                raise MailSecurityError(
                    f"the SMTP server {where} offers no STARTTLS: reports are never sent in clear (name a trusted "
                    "local relay in OPS_SMTP_PLAIN_RELAY to allow it there)"
                )
            client.starttls(context=context)
            client.ehlo()
        if settings.smtp_user:
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
    # user:password@ in the URL goes as Basic auth, out of the URL: httpx logs every request's URL.
    parts = urlsplit(url)
    auth = None
    if parts.username is not None or parts.password is not None:
        auth = httpx.BasicAuth(unquote(parts.username or ""), unquote(parts.password or ""))
        url = urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))
    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.post(url, content=body, headers=headers, auth=auth or httpx.USE_CLIENT_DEFAULT)
        response.raise_for_status()
