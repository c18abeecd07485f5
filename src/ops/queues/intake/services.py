"""Ticket intake: validate a CRM delivery, classify, score, number and store it exactly once.

Every way in (API, bulk API, signed webhook, file import, complaint replay) ends in
`create_ticket` / `create_tickets`. Idempotency rests on the unique constraint on
(contract, source, external_id): the insert runs in a SAVEPOINT and a losing racer reads the
winner's row, so a retried or concurrent delivery returns the existing ticket instead of a copy.

What a delivery must hold and the ticket a contract makes of it are pure rules in `rules.py`;
grouping mass outages is `incidents`; the views it answers with come from `tickets`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal, NamedTuple, cast

from sqlalchemy import Table, bindparam, func, insert, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ops.auth import Principal
from ops.contracts.models import Contract, Queue, Reason
from ops.db import utcnow
from ops.errors import InvalidInputError
from ops.queues.assignment.push import push_ticket
from ops.queues.intake.incidents import arrival_of, link_outage
from ops.queues.intake.protocol import format_protocol
from ops.queues.intake.rules import (
    ContractRules,
    Intake,
    Problems,
    TicketData,
    build_row,
    contract_rules,
    parse_ticket,
    protocol_day,
)
from ops.queues.models import Incident, ProtocolCounter, Ticket, TicketEvent
from ops.queues.schemas import TicketOut
from ops.queues.tickets import ticket_views, view_of

# --- the contract as this database holds it -------------------------------------------------------


# Intakes by (database, contract code). Each use first reads the contract's id and checksum (one small
# query): a reloaded or re-created contract changes one of them and is read afresh, so every process stays
# true to the database while a steady contract costs no document parsing and no queue query per ticket.
_INTAKES: dict[tuple[str, str], Intake] = {}
# Statements of every delivery built once: their cache keys are computed once, their values bound per call.
_HEAD = select(Contract.id, Contract.checksum).where(Contract.code == bindparam("code"))
_EXISTING = select(Ticket).where(
    Ticket.contract_id == bindparam("c"), Ticket.source == bindparam("s"), Ticket.external_id == bindparam("e")
)
_INSERT_TICKET = insert(Ticket).returning(Ticket)
# The tables themselves, for Core executemany of a batch (the ORM bulk path costs ~10x per row).
_TICKETS = cast(Table, Ticket.__table__)
_EVENTS = cast(Table, TicketEvent.__table__)


async def load_intake(session: AsyncSession, *, contract_code: str, principal: Principal | None = None) -> Intake:
    head = (await session.execute(_HEAD, {"code": contract_code})).one_or_none()
    if head is None or (principal is not None and not principal.may_see(head.id)):
        raise InvalidInputError(
            f"contract: unknown contract {contract_code!r}",
            extra=[{"field": "contract", "problem": f"unknown contract {contract_code!r}"}],
        )
    key = (str(session.get_bind().engine.url), contract_code)
    cached = _INTAKES.get(key)
    if cached is not None and cached.contract_id == head.id and cached.checksum == head.checksum:
        return cached
    document = (await session.execute(select(Contract.document).where(Contract.id == head.id))).scalar_one()
    rows = (
        await session.execute(
            select(Queue.id, Queue.code, Queue.routing, Reason.id, Reason.code)
            .outerjoin(Reason, Reason.queue_id == Queue.id)
            .where(Queue.contract_id == head.id)
        )
    ).tuples()
    queue_ids: dict[str, int] = {}
    routing: dict[int, Mapping[str, Any]] = {}
    reason_ids: dict[tuple[str, str], int] = {}
    for queue_id, queue_code, queue_routing, reason_id, reason_code in rows:
        queue_ids[queue_code] = queue_id
        routing[queue_id] = dict(queue_routing or {})
        if reason_id is not None and reason_code is not None:
            reason_ids[(queue_code, reason_code)] = reason_id
    intake = Intake(head.id, contract_rules(document, head.checksum), queue_ids, reason_ids, head.checksum, routing)
    if len(_INTAKES) > 256:
        _INTAKES.clear()
    _INTAKES[key] = intake
    return intake


def webhook_secret(rules: ContractRules) -> bytes | None:
    """The contract's CRM webhook secret, read from the environment variable the contract names."""
    if not rules.secret_env:
        return None
    value = os.environ.get(rules.secret_env)
    return value.encode() if value else None


# --- storing ------------------------------------------------------------------------------------


# The dialects' ON CONFLICT statements are never in SQLAlchemy's compiled cache (each use compiles anew,
# about a millisecond), so the common cases go through plain statements, which are: the day's counter row
# is bumped by an UPDATE, and the upsert runs only for a day's first number.
_BUMP = (
    update(ProtocolCounter)
    .where(ProtocolCounter.day == bindparam("d"))
    .values(last=ProtocolCounter.last + bindparam("n"))
    .returning(ProtocolCounter.last)
)


async def next_protocols(session: AsyncSession, day: date, count: int = 1) -> range:
    """Reserve `count` sequence numbers of `day` in one atomic statement; the caller's transaction
    holds the counter row until it ends, so numbers are never handed out twice."""
    last = (await session.execute(_BUMP, {"d": day, "n": count})).scalar_one_or_none()
    if last is None:  # the day's first number: create the row, or bump the one a concurrent writer created
        dialect_insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        stmt = (
            dialect_insert(ProtocolCounter)
            .values(day=day, last=count)
            .on_conflict_do_update(index_elements=["day"], set_={"last": ProtocolCounter.last + count})
            .returning(ProtocolCounter.last)
        )
        last = (await session.execute(stmt)).scalar_one()
    return range(int(last) - count + 1, int(last) + 1)


async def _find_existing(session: AsyncSession, contract_id: int, source: str, external_id: str) -> Ticket | None:
    found = await session.execute(_EXISTING, {"c": contract_id, "s": source, "e": external_id})
    return found.scalar_one_or_none()


def _columns(ticket: Ticket, names: Sequence[str]) -> dict[str, Any]:
    return {n: getattr(ticket, n) for n in names}


def _created_event(ticket: Ticket | Mapping[str, Any], source_kind: str, intake: Intake) -> dict[str, Any]:
    row = (
        ticket
        if isinstance(ticket, Mapping)
        else _columns(ticket, ("id", "received_at", "protocol", "queue_id", "priority"))
    )
    return {
        "ticket_id": row["id"],
        "at": row["received_at"],
        "actor": f"intake:{source_kind}",
        "action": "created",
        "before": {},
        "after": {
            "protocol": row["protocol"],
            "queue": intake.queue_codes[row["queue_id"]],
            "priority": row["priority"],
            "via": source_kind,
        },
        "note": None,
    }


def _resolve_contract(contract_code: str | None, data: TicketData) -> str:
    if contract_code and data.contract and data.contract != contract_code:
        raise InvalidInputError(
            "contract: does not match",
            extra=[{"field": "contract", "problem": f"{data.contract!r} differs from {contract_code!r}"}],
        )
    code = contract_code or data.contract
    if code is None:
        raise InvalidInputError("contract: required", extra=[{"field": "contract", "problem": "required"}])
    return code


class Received(NamedTuple):
    """A delivery's outcome: the stored ticket, whether this delivery created it, and its API view."""

    ticket: Ticket
    created: bool
    view: TicketOut


async def create_ticket(
    session: AsyncSession,
    *,
    contract_code: str | None,
    data: Mapping[str, Any] | TicketData,
    source_kind: str,
    principal: Principal | None = None,
    now: datetime | None = None,
    max_body_chars: int = 20_000,
    push: bool = True,
) -> Received:
    """Store one delivery: created when new; the existing ticket when the same (contract, source,
    external_id) was delivered before, also by a concurrent request. A new pool ticket is pushed at
    once to a free agent when the queue's strategy finds one."""
    now = now or utcnow()
    parsed = data if isinstance(data, TicketData) else parse_ticket(data, max_body_chars=max_body_chars)
    intake = await load_intake(session, contract_code=_resolve_contract(contract_code, parsed), principal=principal)
    existing = await _find_existing(session, intake.contract_id, parsed.source, parsed.external_id)
    if existing is None:
        row, technical = build_row(intake, parsed, now=now)
        ticket = await _insert_one(session, intake, row, now)
        if ticket is not None:
            await _add_events(session, [_created_event(ticket, source_kind, intake)])
            if technical and ticket.status == "new":
                await link_outage(session, intake=intake, ticket=arrival_of(ticket), now=now)
            if push and ticket.status == "new":
                await push_ticket(session, ticket=ticket, queue=intake.route(ticket.queue_id), now=now)
            await session.flush()
            incident = await session.get(Incident, ticket.incident_id) if ticket.incident_id else None
            incidents = {incident.id: incident} if incident is not None else {}
            return Received(ticket, True, view_of(ticket, intake, incidents))
        existing = await _find_existing(session, intake.contract_id, parsed.source, parsed.external_id)
        assert existing is not None, "the insert met a conflict, so the winner's row is there"
    (view,) = await ticket_views(session, [existing])
    return Received(existing, False, view)


@dataclass(slots=True)
class RowResult:
    index: int
    status: Literal["created", "existing", "rejected"]
    ticket: TicketOut | None = None
    errors: Problems = field(default_factory=list)


Key = tuple[int, str, str]


async def create_tickets(
    session: AsyncSession,
    *,
    contract_code: str | None,
    rows: Sequence[Mapping[str, Any] | TicketData],
    source_kind: str,
    principal: Principal | None = None,
    now: datetime | None = None,
    max_body_chars: int = 20_000,
    detect_outages: bool = True,
    push: bool = True,
) -> list[RowResult]:
    """Store many deliveries: good rows are stored, bad rows come back with their problems, and
    every row gets a result in order (the stored ticket's view for good ones).

    One existence query, one protocol reservation per day and one executemany for the whole
    batch, with no ORM object per row; a conflict from a concurrent delivery drops back to
    row-by-row inserts. Pushing the new tickets to agents is left to a job sent after commit (one
    agent lock per transaction); a caller storing many batches passes `push=False` and calls
    `request_pushes` once at its end, so assignment does not compete with every batch for the writer lock."""
    now = now or utcnow()
    results = [RowResult(i, "rejected") for i in range(len(rows))]
    intakes: dict[str, Intake] = {}
    todo: list[tuple[int, Intake, TicketData]] = []
    for i, item in enumerate(rows):
        try:
            parsed = item if isinstance(item, TicketData) else parse_ticket(item, max_body_chars=max_body_chars)
            code = _resolve_contract(contract_code, parsed)
            if code not in intakes:
                intakes[code] = await load_intake(session, contract_code=code, principal=principal)
            todo.append((i, intakes[code], parsed))
        except InvalidInputError as exc:
            results[i].errors = list(exc.extra or [{"field": "", "problem": exc.message}])
    stored = await _existing(session, todo)
    fresh: list[tuple[int, Intake, dict[str, Any], bool]] = []
    first_of: dict[Key, int] = {}
    repeats: list[tuple[int, Key]] = []
    for i, intake, parsed in todo:
        key = (intake.contract_id, *parsed.key)
        if key in stored or key in first_of:
            repeats.append((i, key))
            continue
        try:
            row, technical = build_row(intake, parsed, now=now)
        except InvalidInputError as exc:
            results[i].errors = list(exc.extra or [{"field": "", "problem": exc.message}])
            continue
        first_of[key] = i
        fresh.append((i, intake, row, technical))
    stored.update(await _insert_rows(session, fresh, source_kind, now))
    incidents = await _link_batch(session, fresh, now) if detect_outages else {}
    for i, intake, row, _technical in fresh:
        key = (intake.contract_id, row["source"], row["external_id"])
        if key not in stored:
            results[i].status, results[i].ticket = "created", view_of(row, intake, incidents)
    views = {t.id: v for t, v in zip(stored.values(), await ticket_views(session, list(stored.values())), strict=True)}
    for key, ticket in stored.items():
        if key in first_of:  # lost a race to a concurrent delivery
            results[first_of[key]].status, results[first_of[key]].ticket = "existing", views[ticket.id]
    for i, key in repeats:
        first = results[first_of[key]].ticket if key in first_of else None
        results[i].status, results[i].ticket = "existing", views[stored[key].id] if key in stored else first
    if push:
        created = [row for i, _n, row, _t in fresh if results[i].status == "created"]
        _request_pushes(session, {row["queue_id"] for row in created if row["status"] == "new"})
    return results


async def request_pushes(session: AsyncSession, *, contract_code: str) -> None:
    """Ask for the waiting tickets of every queue of the contract to be pushed to agents (after the commit)."""
    intake = await load_intake(session, contract_code=contract_code)
    _request_pushes(session, set(intake.queue_ids.values()))


async def _existing(session: AsyncSession, todo: list[tuple[int, Intake, TicketData]]) -> dict[Key, Ticket]:
    # One query per (contract, source) with `external_id IN (...)`: it searches the unique index, where a
    # row-value `(source, external_id) IN (...)` scanned every ticket of the contract on SQLite (a batch's cost
    # grew with the table: 1 M rows imported in batches would read the table a thousand times).
    ids_by_origin: dict[tuple[int, str], set[str]] = {}
    for _i, intake, parsed in todo:
        ids_by_origin.setdefault((intake.contract_id, parsed.source), set()).add(parsed.external_id)
    found: dict[Key, Ticket] = {}
    for (contract_id, source), id_set in ids_by_origin.items():
        ids = sorted(id_set)
        for start in range(0, len(ids), 400):
            rows = (
                await session.execute(
                    select(Ticket).where(
                        Ticket.contract_id == contract_id,
                        Ticket.source == source,
                        Ticket.external_id.in_(ids[start : start + 400]),
                    )
                )
            ).scalars()
            found.update({(contract_id, t.source, t.external_id): t for t in rows})
    return found


async def reserve_ids(session: AsyncSession, count: int) -> list[int]:
    """`count` fresh ticket ids. Given up front, they let the batch go in with one executemany
    instead of one INSERT ... RETURNING per row (SQLite cannot order RETURNING rows). PostgreSQL
    draws them from the column's sequence; SQLite's writer lock, taken at BEGIN, keeps max(id) ours
    until commit."""
    if session.get_bind().dialect.name == "postgresql":
        rows = await session.execute(
            text("SELECT nextval(pg_get_serial_sequence('tickets', 'id')) FROM generate_series(1, :n)"), {"n": count}
        )
        return [int(i) for i in rows.scalars()]
    top = int((await session.execute(select(func.coalesce(func.max(Ticket.id), 0)))).scalar_one())
    return list(range(top + 1, top + count + 1))


async def _insert_rows(
    session: AsyncSession, fresh: list[tuple[int, Intake, dict[str, Any], bool]], source_kind: str, now: datetime
) -> dict[Key, Ticket]:
    """Number and insert the new rows (ids and protocols set in them); the tickets that concurrent
    deliveries stored first, by key."""
    if not fresh:
        return {}
    by_day: dict[date, list[dict[str, Any]]] = {}
    for _i, intake, row, _t in fresh:
        by_day.setdefault(protocol_day(row["created_at"], intake.rules.timezone, now), []).append(row)
    try:
        async with session.begin_nested():
            for day, day_rows in sorted(by_day.items()):
                for row, seq in zip(day_rows, await next_protocols(session, day, len(day_rows)), strict=True):
                    row["protocol"] = format_protocol(day, seq)
            for (_i, _n, row, _x), ticket_id in zip(fresh, await reserve_ids(session, len(fresh)), strict=True):
                row["id"] = ticket_id
            # Core, not the ORM bulk path (which went row by row here: ~1 ms a ticket against ~0.1 ms).
            await session.execute(insert(_TICKETS), [row for _i, _n, row, _x in fresh])
    except IntegrityError:
        # A concurrent delivery of one of these keys won the race: go row by row, so the others
        # still get in and the raced ones return the winner's ticket.
        raced: dict[Key, Ticket] = {}
        created: list[tuple[dict[str, Any], Intake]] = []
        for _i, intake, row, _technical in fresh:
            values = {k: v for k, v in row.items() if k not in ("id", "protocol")}
            ticket = await _insert_one(session, intake, values, now)
            if ticket is not None:
                row["id"], row["protocol"] = ticket.id, ticket.protocol
                created.append((row, intake))
                continue
            row["id"] = None
            existing = await _find_existing(session, intake.contract_id, row["source"], row["external_id"])
            assert existing is not None, "the insert met a conflict, so the winner's row is there"
            raced[(intake.contract_id, row["source"], row["external_id"])] = existing
        await _add_events(session, [_created_event(row, source_kind, n) for row, n in created])
        return raced
    await _add_events(session, [_created_event(row, source_kind, n) for _i, n, row, _x in fresh])
    return {}


async def _link_batch(
    session: AsyncSession, fresh: list[tuple[int, Intake, dict[str, Any], bool]], now: datetime
) -> dict[int, Incident]:
    """Outage grouping of a batch, oldest first; the rows of linked tickets get their incident."""
    by_id = {row["id"]: row for _i, _n, row, _t in fresh if row.get("id")}
    incidents: dict[int, Incident] = {}
    candidates = [(n, row) for _i, n, row, technical in fresh if technical and row.get("id") and row["status"] == "new"]
    for intake, row in sorted(candidates, key=lambda c: c[1]["created_at"]):
        if row["incident_id"] is not None:
            continue
        incident, linked = await link_outage(session, intake=intake, ticket=arrival_of(row), now=now)
        if incident is not None:
            incidents[incident.id] = incident
            for ticket_id in linked:
                if ticket_id in by_id:
                    by_id[ticket_id]["incident_id"] = incident.id
    return incidents


async def _add_events(session: AsyncSession, events: list[dict[str, Any]]) -> None:
    # Core executemany: the audit rows need no ORM objects.
    if events:
        await session.execute(insert(_EVENTS), events)


async def _insert_one(session: AsyncSession, intake: Intake, row: dict[str, Any], now: datetime) -> Ticket | None:
    """Number and insert one ticket (INSERT ... RETURNING: the stored row, ids and defaults included), or None
    when a concurrent delivery of the same key got in first (its protocol number stays unused: numbers are
    unique, not gapless). On SQLite the transaction holds the writer lock from its BEGIN, so the caller's
    existence check cannot be raced; on PostgreSQL the insert runs in a savepoint that a conflict rolls back."""
    day = protocol_day(row["created_at"], intake.rules.timezone, now)
    row = {**row, "protocol": format_protocol(day, (await next_protocols(session, day)).start)}
    if session.get_bind().dialect.name != "postgresql":
        return (await session.scalars(_INSERT_TICKET, [row])).one()
    try:
        async with session.begin_nested():
            return (await session.scalars(_INSERT_TICKET, [row])).one()
    except IntegrityError:
        return None


def _request_pushes(session: AsyncSession, queue_ids: set[int]) -> None:
    from ops.jobs.queue import defer

    for queue_id in sorted(queue_ids):
        defer(session, "assign_waiting_tickets", job_id=f"assign:{queue_id}", queue_id=queue_id)
