"""The wallboard's database work: readings stored as each queue's latest snapshot (an upsert that never lets an
older reading replace a newer one, so any number of API processes and pollers agree), and the board read back
with today's service level so far. Services never commit."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from ops import bounds
from ops.auth import Principal
from ops.contracts.document import from_document
from ops.contracts.models import Contract, Queue
from ops.contracts.schemas import ContractFile, QueueIn, VoiceSla
from ops.contracts.services import get_contract, list_contracts
from ops.db import utcnow
from ops.errors import InvalidInputError, NotFoundError
from ops.reports.metrics import ServiceLevelFormula
from ops.reports.wallboard import board
from ops.reports.wallboard.models import QueueSnapshot
from ops.reports.wallboard.sections import WallboardTerms, board_queues, parse_wallboard
from ops.staffing.history.models import IntervalStat

# A reading stamped this far in the future is a wrong clock, not a reading.
MAX_CLOCK_AHEAD = timedelta(minutes=2)
MAX_QUEUES = 200  # queues in one post


@dataclass(frozen=True)
class Stored:
    queue: str
    platform_queue: str
    stored: bool


def _voice_sla(queue: QueueIn) -> VoiceSla:
    return queue.sla.voice or VoiceSla()


def contract_terms(contract: Contract) -> tuple[ContractFile, WallboardTerms]:
    document = from_document(contract.document)
    return document, parse_wallboard(document.wallboard, document)


async def store_readings(
    session: AsyncSession,
    *,
    contract: Contract,
    readings: Sequence[board.Reading],
    observed_at: datetime,
    source: str,
    since_reset: bool,
    now: datetime | None = None,
) -> list[Stored]:
    """Store each reading as its queue's latest. `since_reset`: the platform's counters run since its own last
    reset (AMI), and today's are carried from the previous reading; otherwise they run from local midnight.
    Every problem is refused at once, naming `queues[i].field`; nothing is stored then."""
    now = now or utcnow()
    document, terms = contract_terms(contract)
    if observed_at - now > MAX_CLOCK_AHEAD:
        bounds.refuse([("observed_at", f"{observed_at.isoformat()} is in the future: check the platform's clock")])
    if not readings and source == "api":
        bounds.refuse([("queues", "at least one queue")])
    if len(readings) > MAX_QUEUES:
        bounds.refuse([("queues", f"{len(readings)} queues, at most {MAX_QUEUES} in one post")])
    voice = {q.code: q for q in board_queues(document)}
    rows = {q.code: q for q in contract.queues}
    problems: list[tuple[str, str]] = []
    targets: list[QueueIn] = []
    for i, reading in enumerate(readings):
        code = terms.queue_code(reading.queue)
        queue = voice.get(code)
        if queue is None:
            known = ", ".join(sorted({*terms.names, *voice})) or "none"
            problems.append((f"queues[{i}].queue", f"{reading.queue!r} is no inbound voice queue of {contract.code} "
                             f"(known: {known})"))  # fmt: skip
            continue
        problems += [(f"queues[{i}].{f}", p) for f, p in reading.problems(_voice_sla(queue).answer_within_seconds)]
        targets.append(queue)
    if len({q.code for q in targets}) < len(targets):
        problems.append(("queues", "a queue is given twice"))
    bounds.refuse(problems)
    tz = ZoneInfo(contract.timezone)
    stored = []
    for reading, queue in zip(readings, targets, strict=True):
        row_id = rows[queue.code].id
        if since_reset:
            previous = await _snapshot(session, row_id)
            today = board.carried_today(reading.counters, observed_at, tz, _today_of(previous))
        else:
            today = board.posted_today(reading.counters, observed_at, tz)
        done = await _upsert(session, contract.id, row_id, reading, today, source=source, received_at=now)
        stored.append(Stored(queue.code, reading.queue, done))
    return stored


async def post_readings(
    session: AsyncSession,
    *,
    principal: Principal,
    contract_code: str | None,
    readings: Sequence[board.Reading],
    observed_at: datetime | None,
    now: datetime | None = None,
) -> tuple[Contract, datetime, list[Stored]]:
    """A telephony platform's post, for the token's own contract (a contract named in the body must be it)."""
    now = now or utcnow()
    if contract_code is None:
        if principal.contract_id is None:
            raise InvalidInputError(
                "contract: name the contract", extra=[{"field": "contract", "problem": "name the contract"}]
            )
        found = await session.get(Contract, principal.contract_id)
        if found is None:
            raise NotFoundError("the token's contract is gone")
        contract_code = found.code
    contract = await get_contract(session, code=contract_code, principal=principal)
    when = observed_at or now
    stored = await store_readings(
        session, contract=contract, readings=readings, observed_at=when, source="api", since_reset=False, now=now
    )
    return contract, when, stored


async def _snapshot(session: AsyncSession, queue_id: int) -> QueueSnapshot | None:
    found = await session.execute(select(QueueSnapshot).where(QueueSnapshot.queue_id == queue_id))
    return found.scalar_one_or_none()


COUNTERS = tuple(f.name for f in fields(board.Counters))


def _counters(values: Mapping[str, Any]) -> board.Counters:
    return board.Counters(**{name: int(values.get(name) or 0) for name in COUNTERS})


def _today_of(row: QueueSnapshot | None) -> board.Today | None:
    if row is None:
        return None
    raw = _counters(row.raw) if row.raw is not None else None
    today = _counters({name: getattr(row, name) for name in COUNTERS})
    return board.Today(row.day, row.counted_from, today, raw, row.observed_at)


async def _upsert(
    session: AsyncSession,
    contract_id: int,
    queue_id: int,
    reading: board.Reading,
    today: board.Today,
    *,
    source: str,
    received_at: datetime,
) -> bool:
    """Insert or replace the queue's snapshot in one statement, unless the stored one was observed later: two
    processes posting at once leave the newer reading, never a unique-key error."""
    values: dict[str, Any] = {
        "queue_id": queue_id,
        "contract_id": contract_id,
        "source": source,
        "platform_queue": reading.queue,
        "observed_at": today.observed_at,
        "received_at": received_at,
        "calls_waiting": reading.calls_waiting,
        "longest_wait_seconds": reading.longest_wait_seconds,
        "agents_logged_in": reading.agents_logged_in,
        "agents_available": reading.agents_available,
        "agents_on_call": reading.agents_on_call,
        "agents_paused": reading.agents_paused,
        "day": today.day,
        "counted_from": today.counted_from,
        **{name: getattr(today.counters, name) for name in COUNTERS},
        "raw": _raw(today.raw),
    }
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(QueueSnapshot).values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=[QueueSnapshot.queue_id],
        set_={k: statement.excluded[k] for k in values if k != "queue_id"},
        where=statement.excluded.observed_at >= QueueSnapshot.observed_at,
    ).returning(QueueSnapshot.id)
    written = (await session.execute(statement)).scalar_one_or_none()
    return written is not None


def _raw(counters: board.Counters | None) -> dict[str, int] | None:
    return None if counters is None else {name: getattr(counters, name) for name in COUNTERS}


# --- the board ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueBoard:
    """One queue on the wallboard: the live figures (None before any reading), today's counters and service
    level so far, its target, and the level of each figure."""

    contract: str
    queue: str
    name: str
    timezone: str
    day: date
    snapshot: QueueSnapshot | None
    stale: bool
    counters: board.Counters
    counted_from: datetime | None  # live counting began (local midnight, or the first reading seen today)
    intervals_until: datetime | None  # the interval table's part of today ends here (None: it adds nothing)
    service_level: float | None
    target: float
    formula: ServiceLevelFormula
    threshold_seconds: int
    levels: dict[str, board.Level | None]

    @property
    def level(self) -> board.Level | None:
        return board.worst(*self.levels.values())


def queue_board(
    contract: Contract, document: ContractFile, terms: WallboardTerms, queue: QueueIn,
    row: QueueSnapshot | None, intervals: list[tuple[datetime, board.Counters, int]], now: datetime,
) -> QueueBoard:  # fmt: skip
    tz = ZoneInfo(contract.timezone)
    day = now.astimezone(tz).date()
    sla = _voice_sla(queue)
    formula = ServiceLevelFormula(sla.formula)
    thresholds = terms.thresholds(sla.target, sla.answer_within_seconds)
    today = _today_of(row)
    live_counters = board.counters_on(today, day)
    counted_from = today.counted_from if today is not None and today.day == day else None
    # The interval table covers the part of today the live counters did not see (a poller started late, or no
    # live feed at all), in intervals counted against the same T.
    earlier, intervals_until = board.before_live(
        [(start, c) for start, c, t in intervals if t == sla.answer_within_seconds],
        midnight=board.local_midnight(day, tz),
        live_from=counted_from,
        now=now,
    )
    counters = live_counters + earlier
    level = board.service_level(counters, formula)
    stale = board.is_stale(row.observed_at if row else None, now, terms.stale_after)
    live = row is not None and not stale
    levels = {
        "service_level": thresholds.service_level.level(level),
        "calls_waiting": thresholds.calls_waiting.level(row.calls_waiting) if live and row else None,
        "longest_wait_seconds": (
            thresholds.longest_wait_seconds.level(row.longest_wait_seconds) if live and row else None
        ),
    }
    return QueueBoard(
        contract.code, queue.code, queue.name, contract.timezone, day, row, stale, counters, counted_from,
        intervals_until, level, sla.target, formula, sla.answer_within_seconds, levels,
    )  # fmt: skip


async def wallboard(
    session: AsyncSession, *, principal: Principal, contract_code: str | None = None, now: datetime | None = None
) -> list[QueueBoard]:
    """Every inbound voice queue the caller may see (of one contract when named), in the contract file's order."""
    now = now or utcnow()
    if contract_code is not None:
        contracts = [await get_contract(session, code=contract_code, principal=principal)]
    else:
        contracts = await list_contracts(session, principal=principal)
    ids = [c.id for c in contracts]
    found = await session.execute(select(QueueSnapshot).where(QueueSnapshot.contract_id.in_(ids)))
    snapshots = {s.queue_id: s for s in found.scalars()}
    out = []
    for contract in contracts:
        document, terms = contract_terms(contract)
        rows = {q.code: q.id for q in await _queues(session, contract)}
        midnight = board.local_midnight(now.astimezone(ZoneInfo(contract.timezone)).date(), ZoneInfo(contract.timezone))
        today = await _intervals_since(session, list(rows.values()), midnight)
        for queue in board_queues(document):
            row_id = rows.get(queue.code)
            row = snapshots.get(row_id) if row_id is not None else None
            intervals = today.get(row_id, []) if row_id is not None else []
            out.append(queue_board(contract, document, terms, queue, row, intervals, now))
    return out


async def _intervals_since(
    session: AsyncSession, queue_ids: list[int], since: datetime
) -> dict[int, list[tuple[datetime, board.Counters, int]]]:
    """Each queue's interval-table rows from `since` on: start, counts, and the T they were counted against."""
    found = await session.execute(
        select(IntervalStat).where(IntervalStat.queue_id.in_(queue_ids), IntervalStat.interval_start >= since)
    )
    out: dict[int, list[tuple[datetime, board.Counters, int]]] = {}
    for r in found.scalars():
        counters = board.Counters(r.answered, r.abandoned, r.answered_within, r.abandoned_within, r.short_abandons)
        out.setdefault(r.queue_id, []).append((r.interval_start, counters, r.answer_within_seconds))
    return out


async def _queues(session: AsyncSession, contract: Contract) -> list[Queue]:
    return list((await session.execute(select(Queue).where(Queue.contract_id == contract.id))).scalars())
