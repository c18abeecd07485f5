"""Scheduled delivery: reports stored once with their checksum, e-mailed over real SMTP, posted to a
signed webhook, never sent twice, and a failed send retried with backoff and kept visible."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import threading
import uuid
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from ops.config import Settings
from ops.jobs.queue import InProcessQueue
from ops.reports.delivery.schedule import fire_delivery, schedule_deliveries
from ops.reports.delivery.sending import send_due
from ops.reports.delivery.services import local_today, run_delivery
from ops.reports.models import ReportSend, SendAttempt, StoredReport
from tests.conftest import REDIS_SKIP
from tests.helpers import REFERENCE_CONTRACT, load_reference
from tests.integration.reports.conftest import Inbox, free_port, slice_intervals, store_intervals

# Small formats keep the test fast; the PDF path is covered by the render tests.
DAILY = '{name: daily, cron: "0 8 * * *", period: yesterday, formats: [pdf]}'
FAST_DAILY = '{name: daily, cron: "0 8 * * *", period: yesterday, formats: [csv, xlsx]}'


def with_smtp(settings: Settings, port: int) -> Settings:
    # The test's SMTP server speaks in clear: it stands for the trusted local relay.
    update = {"smtp_host": "127.0.0.1", "smtp_port": port, "smtp_sender": "ops@bpo.example"}
    return settings.model_copy(update={**update, "smtp_plain_relay": "127.0.0.1"})


async def contract_with(db: Any, *, webhook: str | None = None) -> None:
    text = REFERENCE_CONTRACT.read_text(encoding="utf-8").replace(DAILY, FAST_DAILY)
    if webhook:
        text = text.replace("recipients:", f"webhook_url: {webhook}\nrecipients:", 1)
    await load_reference(db, text=text)
    await store_intervals(db, slice_intervals())


async def test_delivery_stores_checksummed_reports_and_emails_them_once(
    db: Any, live: Any, settings: Settings, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    settings = with_smtp(settings, port)
    await contract_with(db)

    first = await run_delivery(db, settings, contract_code="reference", delivery="daily", today=date(1999, 2, 15))

    assert first["period"] == {"from": "1999-02-14", "to": "1999-02-14"}
    assert first["sent_now"] == ["email"]
    assert len(inbox.messages) == 1
    rcpts, message = inbox.messages[0]
    assert rcpts == ["sla-reports@cabonet.example"]
    # In the contract's language (the reference client is Brazilian), its date and figures by Babel.
    assert message["Subject"] == "Relatório de SLA reference (daily): 14 de fev. de 1999"
    text = message.get_body(("plain",)).get_content()
    assert "Chamadas oferecidas: 1.521" in text and "Nível de serviço: 72,3%" in text
    attachments = {part.get_filename(): part.get_payload(decode=True) for part in message.iter_attachments()}
    assert sorted(attachments) == ["reference-daily-19990214-19990214.csv", "reference-daily-19990214-19990214.xlsx"]
    csv_text = attachments["reference-daily-19990214-19990214.csv"].decode()
    assert "care,Customer care,care,1521,1394,1099,127" in csv_text  # 14 Feb of the real log
    async with db() as session:
        stored = list((await session.execute(select(StoredReport).order_by(StoredReport.format))).scalars())
    assert [r.format for r in stored] == ["csv", "xlsx"]
    for r in stored:
        on_disk = (Path(settings.reports_dir) / r.path).read_bytes()
        assert hashlib.sha256(on_disk).hexdigest() == r.checksum == hashlib.sha256(attachments[r.filename]).hexdigest()
        assert r.data_cutoff is not None

    second = await run_delivery(db, settings, contract_code="reference", delivery="daily", today=date(1999, 2, 15))

    assert second["sent_now"] == []
    assert len(inbox.messages) == 1  # never the same report twice
    assert [r["sha256"] for r in second["reports"]] == [r["sha256"] for r in first["reports"]]
    async with db() as session:
        assert len((await session.execute(select(StoredReport))).all()) == 2


async def test_concurrent_runs_send_one_email(db: Any, live: Any, settings: Settings, smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    settings = with_smtp(settings, port)
    await contract_with(db)
    await run_delivery(
        db,
        settings.model_copy(update={"smtp_port": free_port()}),
        contract_code="reference",
        delivery="daily",
        today=date(1999, 2, 13),
    )
    async with db() as session:
        send = (await session.execute(select(ReportSend))).scalar_one()
    later = send.next_attempt_at + timedelta(seconds=1)  # type: ignore[operator]
    await asyncio.gather(*(send_due(db, settings, now=later) for _ in range(3)))
    assert len(inbox.messages) == 1


async def test_failed_send_is_retried_with_backoff_and_visible(
    db: Any, live: Any, settings: Settings, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    await contract_with(db)
    down = with_smtp(settings, free_port())  # nothing listens there

    result = await run_delivery(db, down, contract_code="reference", delivery="daily", today=date(1999, 2, 13))

    assert result["sends"][0]["status"] == "failed"
    assert result["sends"][0]["attempts"] == 1
    assert "Connection refused" in result["sends"][0]["last_error"]
    async with db() as session:
        send = (await session.execute(select(ReportSend))).scalar_one()
        first_try = send.next_attempt_at
        assert first_try is not None
        assert first_try - send.created_at >= timedelta(seconds=55)
    # Not yet due: nothing happens, even with the server up.
    assert await send_due(db, with_smtp(settings, port)) == []
    # Due, still down: a longer wait next time.
    await send_due(db, down, now=first_try + timedelta(seconds=1))
    async with db() as session:
        send = (await session.execute(select(ReportSend))).scalar_one()
        second_try = send.next_attempt_at
        assert second_try is not None
        assert second_try - first_try >= timedelta(seconds=200)
    # Due, server up: sent, and every attempt is on record.
    outcomes = await send_due(db, with_smtp(settings, port), now=second_try + timedelta(seconds=1))
    assert [o.status for o in outcomes] == ["sent"]
    assert len(inbox.messages) == 1
    async with db() as session:
        attempts = list((await session.execute(select(SendAttempt).order_by(SendAttempt.id))).scalars())
    assert [a.ok for a in attempts] == [False, False, True]


async def test_schedule_runs_each_contract_delivery_in_its_time_zone(
    db: Any, live: Any, settings: Settings, smtp: tuple[Inbox, int]
) -> None:
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    inbox, port = smtp
    settings = with_smtp(settings, port)
    await contract_with(db)
    queue = InProcessQueue({"sessionmaker": db, "settings": settings})
    scheduler = AsyncIOScheduler(timezone="UTC")
    ids = await schedule_deliveries(scheduler, db, queue)
    assert sorted(ids) == ["delivery:reference:daily", "delivery:reference:monthly"]
    scheduler.start(paused=True)
    try:
        daily = scheduler.get_job("delivery:reference:daily")
        fire = daily.next_run_time.astimezone(ZoneInfo("America/Sao_Paulo"))
        assert (fire.hour, fire.minute) == (8, 0)
        monthly = scheduler.get_job("delivery:reference:monthly")
        assert monthly.next_run_time.astimezone(ZoneInfo("America/Sao_Paulo")).day == 1
        # What APScheduler runs at 08:00: the period is computed then, the rendering goes to the queue.
        await daily.func(*daily.args)
        await queue.drain()
    finally:
        scheduler.shutdown(wait=False)
    assert len(inbox.messages) == 1
    async with db() as session:
        stored = list((await session.execute(select(StoredReport))).scalars())
    assert {r.delivery for r in stored} == {"daily"}
    assert all(r.period_start == r.period_end for r in stored)


class Hook(BaseHTTPRequestHandler):
    received: list[tuple[dict[str, str], bytes]] = []  # noqa: RUF012 - shared with the test on purpose

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Hook.received.append((dict(self.headers), body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


async def test_webhook_is_signed_with_hmac(
    db: Any, live: Any, settings: Settings, smtp: tuple[Inbox, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, port = smtp
    server = HTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Hook.received.clear()
    signed = with_smtp(settings, port).model_copy(update={"report_webhook_secret": SecretStr("s3cret")})
    try:
        await contract_with(db, webhook=f"http://127.0.0.1:{server.server_port}/hook")
        result = await run_delivery(db, signed, contract_code="reference", delivery="daily", today=date(1999, 2, 14))
    finally:
        server.shutdown()
        server.server_close()
    assert sorted(result["sent_now"]) == ["email", "webhook"]
    headers, body = Hook.received[0]
    stamp, mac = (part.split("=", 1)[1] for part in headers["X-Ops-Signature"].split(","))
    expected = hmac.new(b"s3cret", f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(mac, expected)
    payload = json.loads(body)
    assert payload["period"] == {"from": "1999-02-13", "to": "1999-02-13"}
    assert {r["format"] for r in payload["reports"]} == {"csv", "xlsx"}


@pytest.mark.redis
async def test_scheduled_delivery_renders_in_the_arq_worker(
    db: Any, live: Any, settings: Settings, smtp: tuple[Inbox, int]
) -> None:
    redis_url = os.environ.get("OPS_TEST_REDIS_URL")
    if not redis_url:
        pytest.skip(REDIS_SKIP)
    from arq import create_pool
    from arq.connections import RedisSettings
    from arq.worker import Worker
    from redis.asyncio import Redis

    from ops.jobs.queue import ArqQueue
    from ops.jobs.registry import JOBS

    inbox, port = smtp
    settings = with_smtp(settings, port)
    await contract_with(db)
    queue_name = f"ops-test-reports-{uuid.uuid4().hex}"
    arq = ArqQueue(redis_url)
    arq.pool = await create_pool(RedisSettings.from_dsn(redis_url), default_queue_name=queue_name)
    # arq remembers a finished job id for an hour: forget the one an earlier run of this test left.
    yesterday = local_today("America/Sao_Paulo") - timedelta(days=1)
    job_id = f"report:reference:daily:{yesterday}:{yesterday}"
    await arq.pool.delete(f"arq:job:{job_id}", f"arq:result:{job_id}", f"arq:retry:{job_id}")
    try:
        # Two firings of the same schedule (a restart, a second scheduler): one job for the period.
        for _ in range(2):
            await fire_delivery(arq, "reference", "daily", "yesterday", "America/Sao_Paulo")
        jobs = JOBS
        worker = Worker(
            functions=[jobs["deliver_report"]],
            redis_pool=arq.pool,
            queue_name=queue_name,
            burst=True,
            poll_delay=0.05,
            ctx={"sessionmaker": db, "settings": settings},
            handle_signals=False,
        )
        await worker.main()
        assert worker.jobs_complete == 1
        assert worker.jobs_failed == 0
    finally:
        redis = Redis.from_url(redis_url)
        await redis.delete(queue_name)
        await redis.aclose()
        await arq.close()
    assert len(inbox.messages) == 1
    async with db() as session:
        assert {r.format for r in (await session.execute(select(StoredReport))).scalars()} == {"csv", "xlsx"}
