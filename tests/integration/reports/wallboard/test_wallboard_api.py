"""The wallboard through the HTTP API: the telephony platform posts its queues, staff read the board with today's
service level so far; a client's token is refused, each bad field named, a contract sees only its own queues."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from ops.db import utcnow
from ops.reports.wallboard.models import QueueSnapshot
from tests.helpers import bearer, load_reference, token

Client = AsyncTestClient[Litestar]


def stats(queue: str = "cabonet-care", **changes: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "queue": queue,
        "calls_waiting": 7,
        "longest_wait_seconds": 48,
        "agents_logged_in": 15,
        "agents_available": 2,
        "agents_on_call": 11,
        "agents_paused": 2,
        "answered": 412,
        "abandoned": 38,
        "answered_within": 331,
        "abandoned_within": 12,
        "threshold_seconds": 20,
    }
    return {**values, **changes}


async def arrange(db: Any) -> dict[str, str]:
    await load_reference(db)
    await load_reference(db, code="other")
    return {
        "telephony": await token(db, "telephony", "reference", name="Asterisk"),
        "other_telephony": await token(db, "telephony", "other", name="Other PBX"),
        "client": await token(db, "client", "reference", name="CaboNet"),
        "supervisor": await token(db, "supervisor", "reference", name="Sup"),
        "other_supervisor": await token(db, "supervisor", "other", name="Other sup"),
        "manager": await token(db, "manager", name="Gestora"),
    }


async def snapshots(db: Any) -> int:
    async with db() as session:
        return int((await session.execute(select(func.count()).select_from(QueueSnapshot))).scalar_one())


async def test_posted_statistics_make_the_board(client: Client, db: Any) -> None:
    tokens = await arrange(db)
    posted = await client.post(
        "/api/telephony/queues",
        json={"queues": [stats(), stats("helpdesk", calls_waiting=0, longest_wait_seconds=0, answered=100,
                                        abandoned=0, answered_within=95, abandoned_within=0)]},
        headers=bearer(tokens["telephony"]),
    )  # fmt: skip
    assert posted.status_code == 200, posted.text
    assert [(q["queue"], q["platform_queue"], q["stored"]) for q in posted.json()["queues"]] == [
        ("care", "cabonet-care", True),
        ("helpdesk", "helpdesk", True),
    ]
    board = await client.get("/api/wallboard", headers=bearer(tokens["supervisor"]))
    assert board.status_code == 200, board.text
    queues = {q["queue"]: q for q in board.json()["queues"]}
    assert set(queues) == {"care", "helpdesk"}  # inbound voice only: no retention, no back office
    care = queues["care"]
    assert care["stale"] is False
    assert (care["calls_waiting"], care["longest_wait_seconds"]) == (7, 48)
    assert (care["agents_logged_in"], care["agents_available"], care["agents_on_call"], care["agents_paused"]) == (
        15, 2, 11, 2,
    )  # fmt: skip
    assert care["offered"] == 450
    assert care["service_level"] == 331 / 450  # the reference contract's formula: answered within / offered
    assert care["target"] == 0.8 and care["formula"] == "offered" and care["threshold_seconds"] == 20
    # 73.6 % is under the contract's red line (75 %); 7 waiting is amber (5), 48 s amber (20; red from 60).
    assert care["levels"] == {"service_level": "red", "calls_waiting": "amber", "longest_wait_seconds": "amber"}
    assert care["level"] == "red"
    assert queues["helpdesk"]["service_level"] == 0.95 and queues["helpdesk"]["level"] == "ok"
    # Counted from the contract's local midnight (São Paulo).
    counted_from = datetime.fromisoformat(care["counted_from"])
    assert counted_from.astimezone(UTC).hour == 3 and counted_from.astimezone(UTC).minute == 0


async def test_an_older_reading_never_replaces_a_newer_one(client: Client, db: Any) -> None:
    tokens = await arrange(db)
    now = utcnow()
    for seconds_ago, waiting in ((5, 3), (30, 9)):
        answer = await client.post(
            "/api/telephony/queues",
            json={"observed_at": (now - timedelta(seconds=seconds_ago)).isoformat(),
                  "queues": [stats(calls_waiting=waiting)]},
            headers=bearer(tokens["telephony"]),
        )  # fmt: skip
        assert answer.status_code == 200, answer.text
    assert answer.json()["queues"][0]["stored"] is False
    board = await client.get("/api/wallboard", headers=bearer(tokens["manager"]), params={"contract": "reference"})
    care = next(q for q in board.json()["queues"] if q["queue"] == "care")
    assert care["calls_waiting"] == 3
    assert await snapshots(db) == 1


async def test_a_silent_platform_makes_the_board_stale(client: Client, db: Any) -> None:
    tokens = await arrange(db)
    old = utcnow() - timedelta(minutes=3)  # the reference contract allows 60 s
    await client.post(
        "/api/telephony/queues",
        json={"observed_at": old.isoformat(), "queues": [stats()]},
        headers=bearer(tokens["telephony"]),
    )
    board = await client.get("/api/wallboard", headers=bearer(tokens["supervisor"]))
    queues = {q["queue"]: q for q in board.json()["queues"]}
    assert queues["care"]["stale"] is True
    # The live figures are not coloured when not live; the day's service level still is.
    assert queues["care"]["levels"]["calls_waiting"] is None and queues["care"]["levels"]["service_level"] == "red"
    assert queues["helpdesk"]["stale"] is True and queues["helpdesk"]["observed_at"] is None  # never heard of


async def test_only_the_telephony_token_posts_and_only_staff_read(client: Client, db: Any) -> None:
    tokens = await arrange(db)
    body = {"queues": [stats()]}
    for role in ("client", "supervisor", "manager"):
        refused = await client.post("/api/telephony/queues", json=body, headers=bearer(tokens[role]))
        assert refused.status_code == 403, (role, refused.text)
    assert await snapshots(db) == 0
    for role in ("client", "telephony"):
        assert (await client.get("/api/wallboard", headers=bearer(tokens[role]))).status_code == 403
    # A telephony token opens no page either.
    assert (await client.post("/login", data={"token": tokens["telephony"]})).status_code == 401


async def test_a_contract_sees_and_feeds_only_its_own_queues(client: Client, db: Any) -> None:
    tokens = await arrange(db)
    mine = await client.post("/api/telephony/queues", json={"queues": [stats()]}, headers=bearer(tokens["telephony"]))
    assert mine.status_code == 200
    # The other contract's platform cannot name the reference contract.
    other = await client.post(
        "/api/telephony/queues",
        json={"contract": "reference", "queues": [stats(calls_waiting=99)]},
        headers=bearer(tokens["other_telephony"]),
    )
    assert other.status_code == 404
    board = await client.get("/api/wallboard", headers=bearer(tokens["other_supervisor"]))
    assert {q["contract"] for q in board.json()["queues"]} == {"other"}
    assert all(q["calls_waiting"] is None for q in board.json()["queues"])
    refused = await client.get(
        "/api/wallboard", params={"contract": "reference"}, headers=bearer(tokens["other_supervisor"])
    )
    assert refused.status_code == 404
    provider = await client.get("/api/wallboard", headers=bearer(tokens["manager"]))
    assert {q["contract"] for q in provider.json()["queues"]} == {"reference", "other"}


async def test_bad_input_is_a_422_naming_the_field_and_stores_nothing(client: Client, db: Any) -> None:
    tokens = await arrange(db)
    cases = [
        ({"queues": [stats(), stats("helpdesk", answered_within=500)]}, "queues[1].answered_within"),
        ({"queues": [stats("billing-line")]}, "queues[0].queue"),
        ({"queues": [stats("bo_care")]}, "queues[0].queue"),  # a back-office queue has no calls
        ({"queues": [stats(agents_on_call=40)]}, "queues[0].agents_on_call"),
        ({"queues": [stats(threshold_seconds=30)]}, "queues[0].threshold_seconds"),
        ({"queues": [stats(answered=-1)]}, "answered"),
        ({"queues": [stats(longest_wait_seconds=10**9)]}, "longest_wait_seconds"),
        ({"queues": [stats(queue="care\x00")]}, "queue"),
        ({"queues": [stats(queue="x" * 300)]}, "queues[0].queue"),
        ({"queues": [stats(queue=" ")]}, "queues[0].queue"),
        ({"contract": "y" * 300, "queues": [stats()]}, "contract"),
        ({"queues": []}, "queues"),
        ({"queues": [stats(), stats("care")]}, "queues"),
        ({"observed_at": (utcnow() + timedelta(hours=1)).isoformat(), "queues": [stats()]}, "observed_at"),
    ]
    for body, field in cases:
        answer = await client.post("/api/telephony/queues", json=body, headers=bearer(tokens["telephony"]))
        assert answer.status_code == 422, (field, answer.status_code, answer.text)
        named = [e["field"] for e in answer.json().get("errors", [])]
        assert any(n == field or n.endswith(field) for n in named), (field, answer.json())
    unknown = await client.post(
        "/api/telephony/queues", json={"queues": [stats(colour="red")]}, headers=bearer(tokens["telephony"])
    )
    assert unknown.status_code == 422
    assert unknown.json()["errors"] == [{"field": "queues[0].colour", "problem": "unknown field"}]
    assert await snapshots(db) == 0


async def test_readings_posted_at_once_leave_one_row_the_newest(client: Client, db: Any) -> None:
    """Several API processes (here, concurrent requests on their own connections) writing one queue: no unique-key
    error, one row, and it holds the reading observed last whatever order the writes land in."""
    tokens = await arrange(db)
    now = utcnow()
    ages = [3, 7, 1, 6, 2, 8, 5, 4]  # seconds before now; 1 is the newest

    async def post(age: int) -> int:
        body = {"observed_at": (now - timedelta(seconds=age)).isoformat(), "queues": [stats(calls_waiting=age)]}
        answer = await client.post("/api/telephony/queues", json=body, headers=bearer(tokens["telephony"]))
        return answer.status_code

    assert await asyncio.gather(*(post(age) for age in ages)) == [200] * len(ages)
    assert await snapshots(db) == 1
    board = await client.get("/api/wallboard", headers=bearer(tokens["supervisor"]))
    assert next(q for q in board.json()["queues"] if q["queue"] == "care")["calls_waiting"] == 1


async def test_the_interval_table_covers_what_the_live_counters_did_not_see(client: Client, db: Any) -> None:
    """An AMI poller started at 09:12 counts live from then; the day's intervals imported before it (08:00-09:00)
    make the rest of the day's service level. Without any live feed, the intervals alone make it."""
    from zoneinfo import ZoneInfo

    from ops.auth import Principal
    from ops.contracts.services import get_contract
    from ops.reports.wallboard import board, services
    from ops.staffing.history.models import IntervalStat

    await arrange(db)
    sp = ZoneInfo("America/Sao_Paulo")
    day = utcnow().astimezone(sp).date()

    def local(hour: int, minute: int = 0) -> datetime:
        return datetime(day.year, day.month, day.day, hour, minute, tzinfo=sp).astimezone(UTC)

    async with db.begin() as session:
        contract = await get_contract(session, code="reference", principal=None)
        queues = {q.code: q.id for q in contract.queues}
        for code in ("care", "helpdesk"):
            for start, answered, within in ((local(8), 40, 35), (local(8, 30), 50, 30), (local(9), 60, 58)):
                session.add(IntervalStat(
                    queue_id=queues[code], interval_start=start, offered=answered, answered=answered,
                    answered_within=within, abandoned=0, abandoned_within=0, short_abandons=0, handle_seconds=0.0,
                    wait_seconds=0.0, answer_within_seconds=20, source="test",
                ))  # fmt: skip
        for minute, answered, within in ((12, 1000, 800), (20, 1010, 806)):  # Asterisk's since-reset counters
            reading = board.Reading("cabonet-care", 1, 5, 3, 1, 2, 0, board.Counters(answered, 0, within))
            await services.store_readings(
                session, contract=contract, readings=[reading], observed_at=local(9, minute), source="ami",
                since_reset=True, now=local(9, minute),
            )  # fmt: skip
    async with db() as session:
        manager = Principal(0, "test", "manager", None, None)
        found = await services.wallboard(session, principal=manager, contract_code="reference", now=local(9, 21))
    queues_now = {q.queue: q for q in found}
    care, helpdesk = queues_now["care"], queues_now["helpdesk"]
    # care: 08:00 and 08:30 from the table (90 answered, 65 within), 10 answered live since 09:12 (6 within).
    assert (care.counters.answered, care.counters.answered_within) == (100, 71)
    assert care.intervals_until == local(9) and care.counted_from == local(9, 12)
    # helpdesk: no live feed; the intervals ended by 09:21 (08:00 and 08:30).
    assert (helpdesk.counters.answered, helpdesk.counters.answered_within) == (90, 65)
    assert helpdesk.counted_from is None and helpdesk.intervals_until == local(9)
    assert helpdesk.service_level == 65 / 90


async def test_the_snapshots_go_with_their_contract(client: Client, db: Any) -> None:
    """The latest readings are state, not history: they never keep a contract loaded by mistake from going."""
    from ops.contracts.services import delete_contract

    tokens = await arrange(db)
    assert (
        await client.post("/api/telephony/queues", json={"queues": [stats()]}, headers=bearer(tokens["telephony"]))
    ).status_code == 200
    async with db.begin() as session:
        await delete_contract(session, code="reference")
    assert await snapshots(db) == 0
