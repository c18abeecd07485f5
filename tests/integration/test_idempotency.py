"""Retries never duplicate: a POST carrying an Idempotency-Key is done once, its retries get the stored answer with
`Idempotent-Replayed: true`; the key reused for another request is a 422; an error is not kept; another token's
key is its own; without a key nothing changes. On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from ops.billing.invoices import services
from ops.billing.invoices.models import Invoice, Payment
from ops.billing.measurement.models import BillingAdjustment
from ops.idempotency.models import IdempotencyKey
from tests.helpers import bearer, load_reference, token
from tests.integration.billing.factories import measurement

PAYMENTS = "/api/contracts/reference/invoices/1/payments"
CREDIT_NOTES = "/api/contracts/reference/invoices/1/credit-notes"
# Paid today on the contract's clock: a payment is never dated before its invoice's issue, nor after tomorrow.
TODAY = datetime.now(ZoneInfo("America/Sao_Paulo")).date()
PAYMENT = {"amount": "100.00", "paid_on": str(TODAY), "note": "TED 123"}


async def _invoiced(db: Any, *months: str) -> None:
    await load_reference(db)
    for month in months or ("2026-10",):
        async with db.begin() as session:
            await measurement(session, month=month)
        async with db.begin() as session:
            await services.issue_invoice(session, code="reference", month=month, actor="test")


async def _count(db: Any, what: Any, *where: Any) -> int:
    async with db() as session:
        return int(await session.scalar(select(func.count()).select_from(what).where(*where)) or 0)


def _keyed(headers: dict[str, str], key: str) -> dict[str, str]:
    return {**headers, "Idempotency-Key": key}


async def test_a_retried_payment_is_recorded_once_and_answered_the_same(
    client: AsyncTestClient[Litestar], db: Any
) -> None:
    await _invoiced(db)
    manager = bearer(await token(db, "manager"))
    first = await client.post(PAYMENTS, json=PAYMENT, headers=_keyed(manager, "pay-2026-12-05-1"))
    again = await client.post(PAYMENTS, json=PAYMENT, headers=_keyed(manager, "pay-2026-12-05-1"))
    assert (first.status_code, again.status_code) == (201, 201), again.text
    assert again.content == first.content
    assert again.headers["content-type"] == first.headers["content-type"]
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert await _count(db, Payment) == 1
    assert [p["amount"] for p in first.json()["payments"]] == ["100.00"]


async def test_a_retried_credit_note_is_issued_once(client: AsyncTestClient[Litestar], db: Any) -> None:
    await _invoiced(db)
    manager = _keyed(bearer(await token(db, "manager")), "credit-7f3a")
    body = {"amount": "500.00", "reason": "Shift 1 not worked"}
    first = await client.post(CREDIT_NOTES, json=body, headers=manager)
    again = await client.post(CREDIT_NOTES, json=body, headers=manager)
    assert (first.status_code, again.status_code) == (201, 201), again.text
    assert (again.content, again.headers["idempotent-replayed"]) == (first.content, "true")
    assert await _count(db, Invoice, Invoice.kind == "credit_note") == 1
    # Another key is another credit note, numbered next.
    other = await client.post(CREDIT_NOTES, json=body, headers={**manager, "Idempotency-Key": "credit-7f3b"})
    assert other.status_code == 201
    assert (first.json()["number"], other.json()["number"]) == (1, 2)


async def test_the_key_sent_with_another_body_or_path_is_refused_naming_the_header(
    client: AsyncTestClient[Litestar], db: Any
) -> None:
    await _invoiced(db, "2026-09", "2026-10")
    manager = _keyed(bearer(await token(db, "manager")), "k-1")
    assert (await client.post(PAYMENTS, json=PAYMENT, headers=manager)).status_code == 201
    other_body = await client.post(PAYMENTS, json={**PAYMENT, "amount": "200.00"}, headers=manager)
    other_path = await client.post(PAYMENTS.replace("/1/", "/2/"), json=PAYMENT, headers=manager)
    for refused in (other_body, other_path):
        assert refused.status_code == 422, refused.text
        assert refused.json()["errors"][0]["field"] == "Idempotency-Key"
        assert "already used for a different request" in refused.json()["detail"]
    assert await _count(db, Payment) == 1


async def test_each_token_has_its_own_keys_and_no_key_changes_nothing(
    client: AsyncTestClient[Litestar], db: Any
) -> None:
    await _invoiced(db)
    one = bearer(await token(db, "manager", name="one"))
    two = bearer(await token(db, "manager", name="two"))
    assert (await client.post(PAYMENTS, json=PAYMENT, headers=_keyed(one, "shared"))).status_code == 201
    theirs = await client.post(PAYMENTS, json=PAYMENT, headers=_keyed(two, "shared"))
    assert theirs.status_code == 201
    assert "idempotent-replayed" not in theirs.headers
    assert await _count(db, Payment) == 2
    # Without a key, a retry is a second payment, as it always was.
    for _ in range(2):
        assert (await client.post(PAYMENTS, json=PAYMENT, headers=one)).status_code == 201
    assert await _count(db, Payment) == 4


async def test_an_error_is_not_kept_and_its_retry_runs_afresh(client: AsyncTestClient[Litestar], db: Any) -> None:
    await _invoiced(db, "2026-09")
    manager = _keyed(bearer(await token(db, "manager")), "pay-invoice-2")
    target = PAYMENTS.replace("/1/", "/2/")
    missing = await client.post(target, json=PAYMENT, headers=manager)
    assert missing.status_code == 404
    async with db.begin() as session:
        await measurement(session, month="2026-10")
    async with db.begin() as session:
        await services.issue_invoice(session, code="reference", month="2026-10", actor="test")
    done = await client.post(target, json=PAYMENT, headers=manager)
    assert done.status_code == 201, done.text
    assert "idempotent-replayed" not in done.headers
    assert await _count(db, Payment) == 1
    assert await _count(db, IdempotencyKey) == 1


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        ("", "visible ASCII"),
        ("x" * 256, "visible ASCII"),
        ("two words", "visible ASCII"),
        ("tab\there", "visible ASCII"),
        ("clé", "visible ASCII"),
    ],
)
async def test_a_malformed_key_is_refused_naming_the_header(
    client: AsyncTestClient[Litestar], db: Any, key: str, problem: str
) -> None:
    await _invoiced(db)
    headers = [*bearer(await token(db, "manager")).items(), ("Idempotency-Key", key)]
    raw = [(name.encode(), value.encode("utf-8")) for name, value in headers]
    refused = await client.post(PAYMENTS, json=PAYMENT, headers=raw)
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"] == [{"field": "Idempotency-Key", "problem": refused.json()["errors"][0]["problem"]}]
    assert problem in refused.json()["detail"]
    assert await _count(db, Payment) == 0


async def test_two_identical_keyed_requests_at_once_make_one_payment(app: Litestar, db: Any) -> None:
    # Both requests run in this event loop, interleaved at every await: both look the key up before either stores
    # it (on PostgreSQL; SQLite's writer lock, taken by the look-up, queues the second behind the first's commit).
    await _invoiced(db)
    manager = bearer(await token(db, "manager"))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as client:
        for round_ in range(3):
            headers = _keyed(manager, f"race-{round_}")
            answers = await asyncio.gather(*(client.post(PAYMENTS, json=PAYMENT, headers=headers) for _ in range(2)))
            statuses = sorted(a.status_code for a in answers)
            # Never a second effect, never a 500: the loser answers the winner's answer (or 409 while it runs).
            assert statuses in ([201, 201], [201, 409]), [a.text for a in answers]
            winners = [a for a in answers if a.status_code == 201]
            assert all(w.content == winners[0].content for w in winners)
            assert [a.headers.get("idempotent-replayed") for a in winners].count("true") == len(winners) - 1
            assert await _count(db, Payment) == round_ + 1


async def test_a_retry_of_a_payment_in_full_sent_while_the_first_runs_gets_its_answer(app: Litestar, db: Any) -> None:
    """The retry waits for the invoice's lock, then finds the invoice paid: it answered its own 409 ("more than the
    0.00 left to pay"), and a client that gave up on the first request took the payment for refused."""
    await _invoiced(db)
    manager = bearer(await token(db, "manager"))
    async with db() as session:
        net = (await session.execute(select(Invoice.net))).scalar_one()
    whole = {**PAYMENT, "amount": str(net)}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as client:
        headers = _keyed(manager, "pay-in-full")
        answers = await asyncio.gather(*(client.post(PAYMENTS, json=whole, headers=headers) for _ in range(2)))
    assert sorted(a.status_code for a in answers) in ([201, 201], [201, 409]), [a.text for a in answers]
    assert all("left to pay" not in a.text for a in answers), [a.text for a in answers]
    assert await _count(db, Payment) == 1


async def test_the_next_ticket_claim_and_unauthenticated_routes_ignore_the_header(
    client: AsyncTestClient[Litestar], db: Any
) -> None:
    # The claim commits statement by statement: no answer can be kept in its transaction, so it takes no key.
    await load_reference(db)
    schema = (await client.get("/schema/openapi.json")).json()

    def takes_key(path: str) -> bool:
        return any(p["name"] == "Idempotency-Key" for p in schema["paths"][path]["post"].get("parameters", []))

    assert takes_key("/api/contracts/{code}/invoices/{number}/payments")
    assert takes_key("/api/contracts/{code}/invoices/{number}/credit-notes")
    assert not takes_key("/api/queues/{queue}/next")
    assert not takes_key("/api/contracts/{code}/recovery")  # stores nothing: a retry computes it again
    assert not takes_key("/api/webhooks/crm")


async def test_a_retried_adjustment_is_added_once(client: AsyncTestClient[Litestar], db: Any) -> None:
    await load_reference(db)
    manager = _keyed(bearer(await token(db, "manager")), "adj-0001")
    body = {"amount": "-250.00", "description": "Outage credit agreed on the call"}
    first = await client.post("/api/contracts/reference/adjustments", json=body, headers=manager)
    again = await client.post("/api/contracts/reference/adjustments", json=body, headers=manager)
    assert (first.status_code, again.status_code) == (201, 201), first.text
    assert (again.content, again.headers["idempotent-replayed"]) == (first.content, "true")
    assert await _count(db, BillingAdjustment) == 1


async def test_the_hourly_job_forgets_the_answers_past_their_day(client: AsyncTestClient[Litestar], db: Any) -> None:
    from datetime import timedelta

    from ops.composition import SCHEDULE
    from ops.idempotency.jobs import forget_idempotency_keys
    from ops.jobs.schedule import FixedJob

    assert FixedJob("forget_idempotency_keys", "cron", {"minute": 17}) in SCHEDULE
    await _invoiced(db)
    manager = bearer(await token(db, "manager"))
    for key in ("old", "new"):
        assert (await client.post(PAYMENTS, json=PAYMENT, headers=_keyed(manager, key))).status_code == 201
    # The second answer stored an hour after the first; the job runs a day and an hour after the first.
    async with db() as session:
        stored = dict((await session.execute(select(IdempotencyKey.key, IdempotencyKey.created_at))).tuples().all())
    later = stored["old"] + timedelta(days=1, hours=1)
    async with db.begin() as session:
        await session.execute(
            IdempotencyKey.__table__.update()
            .where(IdempotencyKey.key == "new")
            .values(created_at=stored["old"] + timedelta(hours=1, minutes=1))
        )
    assert await forget_idempotency_keys({"sessionmaker": db}, now=later.isoformat()) == 1
    assert await _count(db, IdempotencyKey) == 1
    again = await client.post(PAYMENTS, json=PAYMENT, headers=_keyed(manager, "new"))
    assert again.headers["idempotent-replayed"] == "true" and await _count(db, Payment) == 2
