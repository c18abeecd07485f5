"""The demo: migrate, load the reference contract and a demo month, and mint one token per role."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from ops.calendars import Calendar
from ops.cli.support import session_scope
from ops.config import get_settings
from ops.contracts.document import parse_contract
from ops.contracts.models import Contract, Queue
from ops.contracts.services import get_contract, load_contract
from ops.demo.billing import seed_billing
from ops.demo.tickets import seed as seed_tickets
from ops.demo.trickle import move_to_today
from ops.demo.voice import VOICE_PROFILE, voice_intervals
from ops.staffing.history.models import IntervalStat

ROOT = Path(__file__).resolve().parents[3]
REFERENCE = ROOT / "examples" / "reference-contract.yaml"
DEMO_SOURCE = "demo"


def demo_span(today: date) -> tuple[date, int]:
    """From the first day of last month up to yesterday: a full month for reports, recent days for pages."""
    first = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    return first, (today - first).days


async def prepare_demo(*, seed: int = 7, now: datetime | None = None) -> dict[str, str]:
    """Idempotent: re-running replaces the demo data and issues fresh tokens."""
    from ops.auth import issue_token

    now = now or datetime.now(UTC)
    contract = await asyncio.to_thread(lambda: parse_contract(REFERENCE.read_bytes(), str(REFERENCE)))
    tokens: dict[str, str] = {}
    async with session_scope() as session:
        await load_contract(session, contract=contract, source=str(REFERENCE), actor="demo")
        row = await get_contract(session, code="reference", principal=None)
        await store_voice_month(session, contract=row, today=now.date(), seed=seed)
        await store_voice_history(session, contract=row, today=now.date(), seed=seed)
        tokens["manager"] = await issue_token(session, name="Demo manager", role="manager", contract_id=None)
        tokens["supervisor"] = await issue_token(session, name="Demo supervisor", role="supervisor", contract_id=row.id)
        tokens["client"] = await issue_token(session, name="CaboNet (client)", role="client", contract_id=row.id)
        tokens["crm"] = await issue_token(session, name="CaboNet CRM (demo trickle)", role="client", contract_id=row.id)
        tokens["telephony"] = await issue_token(
            session, name="CaboNet telephony (demo switchboard)", role="telephony", contract_id=row.id
        )
        tokens.update(await demo_tickets_and_agents(session, contract=row, now=now, seed=seed))
        moved = await move_to_today(session, contract=row, now=now)
        if moved:
            print(f"  moved {moved} open tickets of an earlier day's demo to today")
        for line in await seed_billing(session, contract=row, now=now, files=get_settings().reports_dir):
            print(f"  billing {line}")
    return tokens


async def store_voice_month(session: AsyncSession, *, contract: Contract, today: date, seed: int) -> int:
    """The demo month's voice intervals (the queues' earlier intervals cleared first)."""
    first, days = demo_span(today)
    return await _store_voice(session, contract=contract, first_day=first, days=days, seed=seed, clear=True)


async def store_voice_history(
    session: AsyncSession, *, contract: Contract, today: date, seed: int, months: int = 6
) -> int:
    """The voice intervals of the `months` months before the demo month (after `store_voice_month`, which clears
    the queues' intervals), so the report's summary sets the demo month against the months before it."""
    first, _ = demo_span(today)
    index = first.year * 12 + first.month - 1 - months
    start = date(index // 12, index % 12 + 1, 1)
    return await _store_voice(
        session, contract=contract, first_day=start, days=(first - start).days, seed=seed + 1, clear=False
    )


async def _store_voice(
    session: AsyncSession, *, contract: Contract, first_day: date, days: int, seed: int, clear: bool
) -> int:
    queues = (
        await session.execute(
            select(Queue).where(Queue.contract_id == contract.id, Queue.code.in_(list(VOICE_PROFILE)))
        )
    ).scalars()
    stored = 0
    for queue in queues:
        frame = voice_intervals(
            queue=queue.code,
            calendar=Calendar.from_dict(queue.calendar),
            first_day=first_day,
            days=days,
            seed=seed,
            answer_within=int(queue.sla.get("voice", {}).get("answer_within_seconds", 20)),
        )
        if clear:
            await session.execute(delete(IntervalStat).where(IntervalStat.queue_id == queue.id))
        records: list[dict[str, Any]] = frame.drop(columns=["queue"]).to_dict("records")
        for record in records:
            record["interval_start"] = record["interval_start"].to_pydatetime()
        session.add_all(IntervalStat(queue_id=queue.id, source=DEMO_SOURCE, **r) for r in records)
        stored += len(records)
    await session.flush()
    return stored


async def demo_tickets_and_agents(
    session: AsyncSession, *, contract: Contract, now: datetime, seed: int
) -> dict[str, str]:
    """Tickets through the real intake, and agents with tokens."""
    return await seed_tickets(session, contract=contract, now=now, seed=seed)
