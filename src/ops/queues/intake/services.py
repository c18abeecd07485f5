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

from sqlalchemy import Date, String, Table, TextClause, and_, bindparam, func, insert, select, text, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ops.auth import Principal
from ops.contracts.models import Contract, Queue, Reason
from ops.db import utcnow
from ops.errors import ConflictError, InvalidInputError
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
from ops.queues.live import news
from ops.queues.models import Agent, Incident, ProtocolCounter, Ticket, TicketEvent
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
# The tables themselves, for Core statements on the hot paths (the ORM costs ~10x per row and per statement).
_TICKETS = cast(Table, Ticket.__table__)
_EVENTS = cast(Table, TicketEvent.__table__)
_CONTRACTS = cast(Table, Contract.__table__)
_AGENTS = cast(Table, Agent.__table__)
# Whether any agent of the contract could take a ticket now: when none can, a new ticket's push has nothing to try
# (an agent freed later asks for the waiting tickets itself, `push.request_push`).
_FREE_AGENT = (
    select(_AGENTS.c.id)
    .where(
        _AGENTS.c.contract_id == _CONTRACTS.c.id,
        _AGENTS.c.status == "available",
        _AGENTS.c.open_count < _AGENTS.c.capacity,
    )
    .exists()
    .label("agents_free")
)
# A single delivery's first read: the contract's id and checksum, the ticket already stored under its key, and
# whether an agent is free.
_HEAD_AND_TICKET = (
    select(_CONTRACTS.c.id, _CONTRACTS.c.checksum, _TICKETS.c.id.label("ticket_id"), _FREE_AGENT)
    .select_from(
        _CONTRACTS.outerjoin(
            _TICKETS,
            and_(
                _TICKETS.c.contract_id == _CONTRACTS.c.id,
                _TICKETS.c.source == bindparam("s"),
                _TICKETS.c.external_id == bindparam("e"),
            ),
        )
    )
    .where(_CONTRACTS.c.code == bindparam("code"))
)


async def load_intake(session: AsyncSession, *, contract_code: str, principal: Principal | None = None) -> Intake:
    head = (await session.execute(_HEAD, {"code": contract_code})).one_or_none()
    return await _intake_of(session, contract_code, head, principal)


def _unknown_contract(contract_code: str) -> InvalidInputError:
    return InvalidInputError(
        f"contract: unknown contract {contract_code!r}",
        extra=[{"field": "contract", "problem": f"unknown contract {contract_code!r}"}],
    )


async def _intake_of(session: AsyncSession, contract_code: str, head: Any, principal: Principal | None) -> Intake:
    """The intake of the contract whose (id, checksum) `head` this transaction read: from the cache while the
    contract is the one cached, else read afresh."""
    if head is None or (principal is not None and not principal.may_see(head.id)):
        raise _unknown_contract(contract_code)
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


class Delivered(NamedTuple):
    """A delivery's outcome without the ORM object: the ticket's id, whether this delivery created it, its view."""

    ticket_id: int
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
    """`receive_ticket`, with the stored ticket as an ORM object of the session (one read by its key)."""
    delivered = await receive_ticket(
        session,
        contract_code=contract_code,
        data=data,
        source_kind=source_kind,
        principal=principal,
        now=now,
        max_body_chars=max_body_chars,
        push=push,
    )
    ticket = await session.get(Ticket, delivered.ticket_id)
    assert ticket is not None, "stored in this transaction or before it"
    return Received(ticket, delivered.created, delivered.view)


async def receive_ticket(
    session: AsyncSession,
    *,
    contract_code: str | None,
    data: Mapping[str, Any] | TicketData,
    source_kind: str,
    principal: Principal | None = None,
    now: datetime | None = None,
    max_body_chars: int = 20_000,
    push: bool = True,
) -> Delivered:
    """Store one delivery: created when new; the existing ticket when the same (contract, source,
    external_id) was delivered before, also by a concurrent request. A new pool ticket is pushed at
    once to a free agent when the queue's strategy finds one.

    On PostgreSQL, once this process holds the contract's rules, a delivery is one statement (the contract's
    checksum checked, the key looked up, the day's counter, the ticket and its `created` event); else, and on
    SQLite, the contract and the key are read together first, then the number, the ticket and its event
    (one statement on PostgreSQL, three on SQLite). Then the push's. The view is built from the values
    stored, with no read back."""
    now = now or utcnow()
    parsed = data if isinstance(data, TicketData) else parse_ticket(data, max_body_chars=max_body_chars)
    code = _resolve_contract(contract_code, parsed)
    conn = await session.connection()
    cached = _INTAKES.get((str(conn.engine.url), code))
    if (
        conn.dialect.name == "postgresql"
        and cached is not None
        and (principal is None or principal.may_see(cached.contract_id))
    ):
        delivered = await _receive_as_cached(session, cached, parsed, source_kind, push=push, now=now)
        if delivered is not None:
            return delivered
    found = (await conn.execute(_HEAD_AND_TICKET, {"code": code, "s": parsed.source, "e": parsed.external_id})).first()
    intake = await _intake_of(session, code, found, principal)
    existing_id = found.ticket_id if found is not None else None
    free = found is not None and bool(found.agents_free)
    if existing_id is None:
        row, technical = build_row(intake, parsed, now=now)
        stored = await _insert_new(session, intake, row, source_kind, now)
        if stored is not None:
            row["id"], row["protocol"] = stored
            return await _settle_new(session, intake, row, technical, push=push and free, now=now)
    return await _stored_before(session, intake, parsed, existing_id)


async def _stored_before(session: AsyncSession, intake: Intake, parsed: TicketData, ticket_id: int | None) -> Delivered:
    """The answer to a delivery of a key stored before: by an earlier delivery (`ticket_id`), or by a concurrent
    one whose insert beat ours (None: read by the key now that it has committed)."""
    if ticket_id is None:
        existing = await _find_existing(session, intake.contract_id, parsed.source, parsed.external_id)
        assert existing is not None, "the insert met a conflict, so the winner's row is there"
        ticket_id = existing.id
    ticket = await session.get(Ticket, ticket_id)
    assert ticket is not None
    (view,) = await ticket_views(session, [ticket])
    return Delivered(ticket.id, False, view)


async def _receive_as_cached(
    session: AsyncSession, intake: Intake, parsed: TicketData, source_kind: str, *, push: bool, now: datetime
) -> Delivered | None:
    """PostgreSQL, with the contract's rules cached: the row built first, then checked, looked up and stored in
    one statement. None when the contract is not the one cached (nothing was stored): judge it afresh."""
    try:
        row, technical = build_row(intake, parsed, now=now)
    except InvalidInputError:
        return None  # judged by rules that may be stale: the general path says it with the contract's own
    found = await _pg_store(session, intake, row, source_kind, now)
    if found is None or (found.id, found.checksum) != (intake.contract_id, intake.checksum):
        return None
    if found.ticket_id is not None:
        return await _settle_new(session, intake, row, technical, push=push and bool(found.agents_free), now=now)
    return await _stored_before(session, intake, parsed, found.existing_id)


def _place(intake: Intake, row: Mapping[str, Any]) -> news.Place:
    return (intake.contract_id, intake.queue_codes[row["queue_id"]], row["protocol"], row["version"], None)


class _Waiting(NamedTuple):
    """What a push reads of a ticket just stored."""

    id: int
    received_at: datetime


async def _settle_new(
    session: AsyncSession, intake: Intake, row: dict[str, Any], technical: bool, *, push: bool, now: datetime
) -> Delivered:
    """A ticket just inserted: grouped into its area's outage, pushed to a free agent, and answered."""
    incidents: dict[int, Incident] = {}
    if technical and row["status"] == "new":
        incident, linked = await link_outage(session, intake=intake, ticket=arrival_of(row), now=now)
        if incident is not None and row["id"] in linked:
            incidents = {incident.id: incident}
            row["incident_id"], row["version"] = incident.id, row["version"] + 1
    pushed = None
    if push and row["status"] == "new":
        route = intake.route(row["queue_id"])
        pushed = await push_ticket(session, ticket=_Waiting(row["id"], row["received_at"]), queue=route, now=now)
    if pushed is not None:
        ticket = await session.get(Ticket, row["id"])  # read by the push as it left it
        assert ticket is not None
        return Delivered(row["id"], True, view_of(ticket, intake, incidents))
    if row["incident_id"] is None:  # else the link's own event has the news read the ticket as it stands
        news.placed(session, {row["id"]: _place(intake, row)})
    return Delivered(row["id"], True, view_of(row, intake, incidents))


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
    delivered: list[tuple[int, str, TicketData]] = []
    for i, item in enumerate(rows):
        try:
            parsed = item if isinstance(item, TicketData) else parse_ticket(item, max_body_chars=max_body_chars)
            delivered.append((i, _resolve_contract(contract_code, parsed), parsed))
        except InvalidInputError as exc:
            results[i].errors = list(exc.extra or [{"field": "", "problem": exc.message}])
    prebuilt = _build_with_held_rules(session, delivered, now)
    intakes: dict[str, Intake] = {}
    todo: list[tuple[int, Intake, TicketData]] = []
    for i, code, parsed in delivered:
        try:
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
        early = prebuilt.get(i)
        try:
            if early is None or early[0] is not intake:  # no rules held, or the contract changed since
                row, technical = build_row(intake, parsed, now=now)
            elif isinstance(early[1], InvalidInputError):
                raise early[1]
            else:
                row, technical = early[1]
        except InvalidInputError as exc:
            results[i].errors = list(exc.extra or [{"field": "", "problem": exc.message}])
            continue
        first_of[key] = i
        fresh.append((i, intake, row, technical))
    stored.update(await _insert_rows(session, fresh, source_kind, now))
    incidents = await _link_batch(session, fresh, now) if detect_outages else {}
    places: dict[int, news.Place] = {}
    for i, intake, row, _technical in fresh:
        key = (intake.contract_id, row["source"], row["external_id"])
        if key not in stored:
            results[i].status, results[i].ticket = "created", view_of(row, intake, incidents)
            if row["incident_id"] is None:
                places[row["id"]] = _place(intake, row)
    news.placed(session, places)  # pushes come later, from a job: the news need not read the tickets back
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


Built = tuple[Intake, tuple[dict[str, Any], bool] | InvalidInputError]


def _build_with_held_rules(
    session: AsyncSession, delivered: list[tuple[int, str, TicketData]], now: datetime
) -> dict[int, Built]:
    """The rows of a batch built by the contract rules this process holds, before the batch's first statement:
    a transaction holds SQLite's one connection (and its writer lock) from that statement to its commit, so the
    work done before it overlaps another request's writes. Each row keeps the intake it was built by: one whose
    contract changed meanwhile is built again."""
    url = str(session.get_bind().engine.url)
    built: dict[int, Built] = {}
    for i, code, parsed in delivered:
        held = _INTAKES.get((url, code))
        if held is not None:
            try:
                built[i] = (held, build_row(held, parsed, now=now))
            except InvalidInputError as exc:
                built[i] = (held, exc)
    return built


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
        for _i, intake, row, _technical in fresh:
            stored = await _insert_new(session, intake, row, source_kind, now)
            if stored is not None:
                row["id"], row["protocol"] = stored
                continue
            row["id"] = None
            existing = await _find_existing(session, intake.contract_id, row["source"], row["external_id"])
            assert existing is not None, "the insert met a conflict, so the winner's row is there"
            raced[(intake.contract_id, row["source"], row["external_id"])] = existing
        return raced
    await _add_created_events(session, [row["id"] for _i, _n, row, _x in fresh], source_kind)
    news.written(session, [_created_event(row, source_kind, n) for _i, n, row, _x in fresh])
    return {}


def _created_events_sql(after: str) -> TextClause:
    return text(
        "INSERT INTO ticket_events (ticket_id, at, actor, action, before, after) "
        f"SELECT t.id, t.received_at, :actor, 'created', {after} "
        "FROM tickets AS t JOIN queues AS q ON q.id = t.queue_id WHERE t.id IN :ids ORDER BY t.id"
    ).bindparams(bindparam("actor", type_=String), bindparam("via", type_=String), bindparam("ids", expanding=True))


# A batch's `created` events written from its tickets by the database, in one statement: no JSON encoded per row.
_CREATED_EVENTS = {
    "postgresql": _created_events_sql(
        "CAST('{}' AS jsonb), jsonb_build_object('protocol', t.protocol, 'queue', q.code, "
        "'priority', t.priority, 'via', :via)"
    ),
    "sqlite": _created_events_sql(
        "'{}', json_object('protocol', t.protocol, 'queue', q.code, 'priority', t.priority, 'via', :via)"
    ),
}


async def _add_created_events(session: AsyncSession, ticket_ids: list[int], source_kind: str) -> None:
    conn = await session.connection()
    params = {"actor": f"intake:{source_kind}", "via": source_kind, "ids": ticket_ids}
    await conn.execute(_CREATED_EVENTS[conn.dialect.name], params)


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


def _counter_sql(table: str) -> str:
    return (
        "INSERT INTO protocol_counters (day, last) VALUES (:day, 1) "
        f"ON CONFLICT (day) DO UPDATE SET last = {table}.last + 1 RETURNING last"
    )


# The day's counter bumped, or its row created with the day's first number, in one statement (text: the
# dialects' ON CONFLICT constructs are never in SQLAlchemy's compiled cache).
_SQLITE_COUNTER = text(_counter_sql("protocol_counters")).bindparams(bindparam("day", type_=Date))
_SQLITE_TICKET = insert(_TICKETS).returning(_TICKETS.c.id)
_PG_RECEIVE: dict[tuple[str, ...], TextClause] = {}


def _pg_receive(columns: tuple[str, ...]) -> TextClause:
    """One PostgreSQL statement for a delivery whose row was built from a contract's rules: the contract checked
    to be the one those rules came from (id and checksum) and the key looked up; when the contract is and the key
    is not stored, the day's counter bumped, the ticket inserted with its protocol unless its key was stored
    meanwhile (a concurrent delivery's), and its `created` event. It answers the contract's id and checksum, the
    stored ticket's id, the new ticket's id and its number of the day, and whether an agent is free; no row for an
    unknown contract."""
    statement = _PG_RECEIVE.get(columns)
    if statement is None:
        statement = text(
            "WITH head AS (SELECT id, checksum FROM contracts WHERE code = :code), "
            "existing AS (SELECT id FROM tickets "
            "WHERE contract_id = :contract_id AND source = :source AND external_id = :external_id), "
            "counter AS (INSERT INTO protocol_counters (day, last) SELECT :day, 1 FROM head "
            "WHERE head.id = :contract_id AND head.checksum = :checksum AND NOT EXISTS (SELECT FROM existing) "
            "ON CONFLICT (day) DO UPDATE SET last = protocol_counters.last + 1 RETURNING last), "
            f"ticket AS (INSERT INTO tickets ({', '.join(columns)}, protocol) "
            f"SELECT {', '.join(f':{c}' for c in columns)}, :day_digits || lpad(CAST(last AS text), 8, '0') "
            "FROM counter ON CONFLICT (contract_id, source, external_id) DO NOTHING RETURNING id, protocol), "
            "event AS (INSERT INTO ticket_events (ticket_id, at, actor, action, before, after) "
            "SELECT id, :received_at, :actor, 'created', CAST('{}' AS jsonb), "
            "jsonb_build_object('protocol', protocol) || :after FROM ticket) "
            "SELECT head.id, head.checksum, (SELECT id FROM existing) AS existing_id, "
            "(SELECT id FROM ticket) AS ticket_id, (SELECT last FROM counter) AS seq, "
            "EXISTS (SELECT FROM agents WHERE contract_id = head.id AND status = 'available' "
            "AND open_count < capacity) AS agents_free FROM head"
        ).bindparams(
            *(bindparam(c, type_=_TICKETS.c[c].type) for c in columns),
            bindparam("code", type_=String),
            bindparam("checksum", type_=String),
            bindparam("day", type_=Date),
            bindparam("day_digits", type_=String),
            bindparam("actor", type_=String),
            bindparam("after", type_=JSONB),
        )
        _PG_RECEIVE[columns] = statement
    return statement


async def _pg_store(session: AsyncSession, intake: Intake, row: dict[str, Any], source_kind: str, now: datetime) -> Any:
    """Run `_pg_receive` for a row built from `intake`: its answer row (None for an unknown contract)."""
    day = protocol_day(row["created_at"], intake.rules.timezone, now)
    values = {k: v for k, v in row.items() if k not in ("id", "protocol")}
    event = _created_event({**row, "id": 0}, source_kind, intake)
    params = {
        **values,
        "code": intake.rules.code,
        "checksum": intake.checksum,
        "day": day,
        "day_digits": f"{day:%Y%m%d}",
        "actor": event["actor"],
        "after": {k: v for k, v in event["after"].items() if k != "protocol"},
    }
    found = (await (await session.connection()).execute(_pg_receive(tuple(values)), params)).first()
    if found is not None and found.ticket_id is not None:
        protocol = format_protocol(day, int(found.seq))
        row["id"], row["protocol"] = int(found.ticket_id), protocol
        news.written(session, [{**event, "ticket_id": row["id"], "after": {**event["after"], "protocol": protocol}}])
    return found


async def _insert_new(
    session: AsyncSession, intake: Intake, row: dict[str, Any], source_kind: str, now: datetime
) -> tuple[int, str] | None:
    """Number and insert one ticket with its `created` event: its id and protocol, or None when a concurrent
    delivery of the same key got in first (its protocol number stays unused: numbers are unique, and gapless
    but for such a race). On SQLite the transaction holds the writer lock from its BEGIN, so the caller's
    existence check cannot be raced; on PostgreSQL the insert gives way to the winner's row."""
    conn = await session.connection()
    if conn.dialect.name == "postgresql":
        found = await _pg_store(session, intake, row, source_kind, now)
        if found is None or (found.id, found.checksum) != (intake.contract_id, intake.checksum):
            raise ConflictError("contract: changed while this delivery was stored: send it again")
        return (row["id"], row["protocol"]) if found.ticket_id is not None else None
    day = protocol_day(row["created_at"], intake.rules.timezone, now)
    seq = (await conn.execute(_SQLITE_COUNTER, {"day": day})).scalar_one()
    protocol = format_protocol(day, int(seq))
    values = {k: v for k, v in row.items() if k not in ("id", "protocol")}
    ticket_id = (await conn.execute(_SQLITE_TICKET, {**values, "protocol": protocol})).scalar_one()
    event = _created_event({**row, "id": ticket_id, "protocol": protocol}, source_kind, intake)
    await conn.execute(insert(_EVENTS), event)
    news.written(session, [event])
    return ticket_id, protocol


def _request_pushes(session: AsyncSession, queue_ids: set[int]) -> None:
    from ops.jobs.queue import defer

    for queue_id in sorted(queue_ids):
        defer(session, "assign_waiting_tickets", job_id=f"assign:{queue_id}", queue_id=queue_id)
