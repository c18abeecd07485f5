"""History is never deleted by a cascade: a contract or queue that tickets or interval statistics refer to
cannot be deleted, the refusal names what uses it, and nothing is removed; on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import yaml
from click.testing import CliRunner
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select, text

from ops.cli.main import main
from ops.contracts.models import Contract, Queue
from ops.migrate import downgrade, upgrade
from ops.queues.intake.services import create_ticket
from ops.queues.models import Ticket, TicketEvent
from ops.staffing.history.models import IntervalStat
from tests.helpers import REFERENCE_CONTRACT, bearer, load_reference, token


async def _with_history(db: Any) -> None:
    await load_reference(db)
    async with db.begin() as session:
        await create_ticket(
            session,
            contract_code="reference",
            data={
                "source": "crm",
                "external_id": "T-1",
                "channel": "email",
                "reason": "speed_upgrade",
                "subject": "Upgrade",
                "body": "Quero 600 mega",
                "created_at": "2026-11-20T10:00:00-03:00",
            },
            source_kind="api",
            push=False,
        )
        care = (await session.execute(select(Queue).where(Queue.code == "care"))).scalar_one()
        session.add(IntervalStat(queue_id=care.id, interval_start=datetime(2026, 11, 20, 13, tzinfo=UTC), offered=5))


async def _counts(db: Any) -> dict[str, int]:
    async with db() as session:
        return {
            model.__tablename__: int(await session.scalar(select(func.count()).select_from(model)) or 0)
            for model in (Contract, Queue, Ticket, TicketEvent, IntervalStat)
        }


async def test_a_contract_with_history_is_not_deleted(client: AsyncTestClient[Litestar], db: Any) -> None:
    await _with_history(db)
    before = await _counts(db)
    manager = bearer(await token(db, "manager"))
    refused = await client.delete("/api/contracts/reference", headers=manager)
    assert refused.status_code == 409, refused.text
    problem = refused.json()["errors"][0]["problem"]
    assert "1 tickets" in problem and "1 interval_stats" in problem and "1 ticket_events" not in problem
    assert await _counts(db) == before


async def test_a_queue_with_call_history_cannot_leave_the_file(client: AsyncTestClient[Litestar], db: Any) -> None:
    await _with_history(db)
    before = await _counts(db)
    manager = bearer(await token(db, "manager"))
    document = yaml.safe_load(REFERENCE_CONTRACT.read_text(encoding="utf-8"))
    without_care = {**document, "queues": [q for q in document["queues"] if q["code"] != "care"]}
    without_care["classification"] = [r for r in document["classification"] if r["queue"] != "care"]
    names = document["wallboard"]["queues"]
    without_care["wallboard"] = {**document["wallboard"], "queues": {k: v for k, v in names.items() if v != "care"}}
    refused = await client.post("/api/contracts", content=yaml.safe_dump(without_care), headers=manager)
    assert refused.status_code == 409, refused.text
    assert refused.json()["errors"] == [
        {
            "field": "queues.care",
            "problem": "removed, but 1 interval_stats use it: keep it in the file (base_positions: 0 retires it)",
        }
    ]
    assert await _counts(db) == before


async def test_a_contract_loaded_by_mistake_is_deleted_with_its_configuration(
    client: AsyncTestClient[Litestar], db: Any
) -> None:
    await load_reference(db)
    await load_reference(db, code="mistake")
    manager = bearer(await token(db, "manager"))
    gone = await client.delete("/api/contracts/mistake", headers=manager)
    assert gone.status_code == 204, gone.text
    assert (await client.get("/api/contracts/mistake", headers=manager)).status_code == 404
    assert (await client.get("/api/contracts/reference", headers=manager)).status_code == 200
    scoped = bearer(await token(db, "manager", contract="reference"))
    assert (await client.delete("/api/contracts/reference", headers=scoped)).status_code == 403


def test_the_cli_refuses_with_a_clear_error(cli: CliRunner, sqlite_url: str) -> None:
    from ops.config import get_settings
    from ops.runtime import open_runtime

    async def arrange() -> None:
        runtime = open_runtime(get_settings(), pool=False)
        try:
            await _with_history(runtime.sessionmaker)
        finally:
            await runtime.close()

    asyncio.run(arrange())
    result = cli.invoke(main, ["contract", "delete", "reference"])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: contract 'reference' has history (1 interval_stats, 1 tickets)")
    assert "nothing was removed" in result.stderr
    assert "Traceback" not in result.output


async def test_the_migration_keeps_every_row_and_restricts_deletion(database_url: str, db: Any) -> None:
    """Down to the cascading keys with history in the tables, and up again: the same rows, now protected."""
    await _with_history(db)
    before = await _counts(db)
    try:
        await asyncio.to_thread(downgrade, database_url, "0004")
        async with db() as session:
            assert await _restrict_on_tickets(session) is False
        await asyncio.to_thread(upgrade, database_url)
    finally:
        await asyncio.to_thread(upgrade, database_url)
    assert await _counts(db) == before
    async with db() as session:
        assert await _restrict_on_tickets(session) is True
    await db.kw["bind"].dispose()  # no test client ran the app's lifespan to close its pool


async def _restrict_on_tickets(session: Any) -> bool:
    """Whether the tickets' key to their contract restricts deletion, read from the database itself."""
    if session.bind.dialect.name == "sqlite":
        sql = (await session.execute(text("SELECT sql FROM sqlite_master WHERE name = 'tickets'"))).scalar_one()
        clause = next(line for line in sql.splitlines() if "fk_tickets_contract_id_contracts" in line)
        return "ON DELETE RESTRICT" in clause
    kind = await session.scalar(
        text("SELECT confdeltype::text FROM pg_constraint WHERE conname = 'fk_tickets_contract_id_contracts'")
    )
    return bool(kind == "r")
