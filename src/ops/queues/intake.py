"""Ticket intake: validate a CRM delivery, classify, score, number and store it exactly once.

Every way in (API, bulk API, signed webhook, file import, complaint replay) ends in
`create_ticket` / `create_tickets`. Idempotency rests on the unique constraint on
(contract, source, external_id): the insert runs in a SAVEPOINT and a losing racer reads the
winner's row, so a retried or concurrent delivery returns the existing ticket instead of a copy.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from typing import Any, Literal
from zoneinfo import ZoneInfo

import msgspec
from sqlalchemy import func, insert, select, text, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from ops.auth import Principal
from ops.contracts.document import from_document
from ops.contracts.models import Contract, Queue, Reason
from ops.contracts.schemas import VOICE_KINDS
from ops.db import utcnow
from ops.errors import DomainError, InvalidInputError, NotFoundError
from ops.queues import agents
from ops.queues.calendar import Calendar, add_business_minutes
from ops.queues.clock import Targets
from ops.queues.models import Incident, ProtocolCounter, Ticket, TicketEvent
from ops.queues.outage import OutageIncident, TicketSignal, detect, find_incident, forecast_end, normalize_area
from ops.queues.priority import PriorityPolicy, parse_policy, prioritize, sort_key
from ops.queues.protocol import format_protocol
from ops.queues.routing import ClassificationRule, KeywordMatcher, classify, normalize_text, parse_rules
from ops.queues.schemas import IncidentRef, TicketOut

CHANNELS = frozenset(
    {
        "crm", "email", "web", "fax", "phone", "chat", "whatsapp", "sms", "app",
        "social", "facebook", "instagram", "twitter", "x", "tiktok", "youtube", "linkedin",
        "reclame_aqui", "consumidor_gov", "regulator",
    }
)  # fmt: skip
MAX_BULK_ROWS = 1000
# Clocks of CRMs drift: a creation time a little in the future is the sender's clock, not an error.
FUTURE_TOLERANCE = timedelta(minutes=5)
CLOSED_STATUSES = ("resolved", "closed")


class MalformedBodyError(DomainError):
    """A body that is not UTF-8 JSON at all (as opposed to JSON with bad fields, which is 422)."""

    status_code = 400


# --- validation (pure) --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TicketData:
    """A validated delivery. `created_at` may be naive: it is then the contract's local time."""

    external_id: str
    channel: str
    source: str = "crm"
    contract: str | None = None
    reason: str | None = None
    subject: str = ""
    body: str = ""
    customer: dict[str, Any] = field(default_factory=dict)
    created_at: datetime | None = None
    raw: dict[str, Any] = field(default_factory=dict)
    # History of replayed, already-worked tickets; never read from a delivery.
    status: str | None = None
    first_response_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    fields: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str]:
        return (self.source, self.external_id)


Problems = list[dict[str, str]]


def _problem(problems: Problems, path: str, problem: str) -> None:
    problems.append({"field": path, "problem": problem})


def _text(
    data: Mapping[str, Any], key: str, path: str, problems: Problems, *, max_len: int, required: bool = False
) -> str | None:
    value = data.get(key)
    if value is None or (isinstance(value, str) and not value.strip() and required):
        if required:
            _problem(problems, path, "required")
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        _problem(problems, path, f"expected a string, got {type(value).__name__}")
        return None
    text = str(value).strip() if key != "body" else str(value)
    if len(text) > max_len:
        _problem(problems, path, f"too long: {len(text)} characters (at most {max_len})")
        return None
    return text


def _datetime(value: object, path: str, problems: Problems) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        _problem(problems, path, f"expected an ISO 8601 date-time, got {type(value).__name__}")
        return None
    try:
        return datetime.fromisoformat(value.strip())
    except ValueError:
        _problem(problems, path, f"{value!r} is not an ISO 8601 date-time such as 2026-11-23T10:15:00-03:00")
        return None


def _followers(value: object, path: str, problems: Problems) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    if isinstance(value, float) and value.is_integer() and value >= 0:
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        _problem(problems, path, f"expected a non-negative integer, got {value!r}")
        return None
    return value


_CUSTOMER_TEXT = {"id": 200, "name": 200, "area": 200, "segment": 50, "handle": 100, "state": 2, "region": 10}


def parse_ticket(data: object, *, max_body_chars: int = 20_000) -> TicketData:
    """A delivery checked field by field; InvalidInputError lists every problem as {field, problem}.
    Unknown fields are kept in `raw` but otherwise ignored: CRMs send more than we need."""
    problems: Problems = []
    if not isinstance(data, Mapping):
        raise InvalidInputError(
            "a ticket must be a JSON object",
            extra=[{"field": "", "problem": f"expected an object, got {type(data).__name__}"}],
        )
    contract = _text(data, "contract", "contract", problems, max_len=50)
    source = _text(data, "source", "source", problems, max_len=50) or "crm"
    external_id = _text(data, "external_id", "external_id", problems, max_len=200, required=True)
    channel = _text(data, "channel", "channel", problems, max_len=30, required=True)
    if channel is not None:
        channel = channel.lower()
        if channel not in CHANNELS:
            _problem(problems, "channel", f"unknown channel {channel!r} (known: {', '.join(sorted(CHANNELS))})")
    reason = _text(data, "reason", "reason", problems, max_len=50)
    subject = _text(data, "subject", "subject", problems, max_len=500) or ""
    body = _text(data, "body", "body", problems, max_len=max_body_chars) or ""
    customer: dict[str, Any] = {}
    raw_customer = data.get("customer")
    if raw_customer is not None and not isinstance(raw_customer, Mapping):
        _problem(problems, "customer", f"expected an object, got {type(raw_customer).__name__}")
    elif raw_customer is not None:
        for key, max_len in _CUSTOMER_TEXT.items():
            value = _text(raw_customer, key, f"customer.{key}", problems, max_len=max_len)
            if value:
                customer[key] = value
        followers = _followers(raw_customer.get("followers"), "customer.followers", problems)
        if followers is not None:
            customer["followers"] = followers
    created_at = _datetime(data.get("created_at"), "created_at", problems)
    if problems:
        raise InvalidInputError("; ".join(f"{p['field']}: {p['problem']}" for p in problems), extra=problems)
    assert external_id is not None and channel is not None
    return TicketData(
        external_id=external_id,
        channel=channel,
        source=source,
        contract=contract,
        reason=reason or None,
        subject=subject,
        body=body,
        customer=customer,
        created_at=created_at,
        raw=_jsonable(dict(data)),
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def decode_json(body: bytes) -> Any:
    """The JSON of a request body; MalformedBodyError (400) names where it breaks."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedBodyError(
            f"body: not valid UTF-8 at byte {exc.start}",
            extra=[{"field": "body", "problem": f"not valid UTF-8 at byte {exc.start}"}],
        ) from None
    if not text.strip():
        raise MalformedBodyError("body: empty", extra=[{"field": "body", "problem": "empty, expected JSON"}])
    try:
        return msgspec.json.decode(text)
    except msgspec.DecodeError as exc:
        raise MalformedBodyError(
            f"body: malformed JSON ({exc})", extra=[{"field": "body", "problem": f"malformed JSON: {exc}"}]
        ) from None


# --- signed webhook (pure) ----------------------------------------------------------------------


def sign(secret: bytes, timestamp: str, body: bytes) -> str:
    """The signature header value: HMAC-SHA256 over `<timestamp>.<raw body>`; the timestamp is
    signed so a captured delivery cannot be replayed later with a fresh timestamp."""
    return "sha256=" + hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def signature_problem(
    *, secret: bytes, body: bytes, timestamp: str | None, signature: str | None, now: float, tolerance: int
) -> str | None:
    """Why a webhook delivery must be refused, or None when it is authentic and fresh."""
    if not timestamp or not signature:
        return "missing X-Ops-Timestamp or X-Ops-Signature header"
    try:
        sent = int(timestamp.strip())
    except ValueError:
        return "X-Ops-Timestamp must be Unix seconds"
    if abs(now - sent) > tolerance:
        return f"stale delivery: timestamp is more than {tolerance} s away from the server's clock"
    expected = sign(secret, timestamp.strip(), body)
    given = signature.strip()
    if not given.startswith("sha256="):
        given = "sha256=" + given
    if not hmac.compare_digest(expected.encode(), given.lower().encode()):
        return "bad signature"
    return None


# --- the contract as intake sees it ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QueueRules:
    code: str
    calendar: Calendar
    sla: dict[str, Any]
    aging_per_hour: float


@dataclass(frozen=True, slots=True)
class ContractRules:
    """The pure parts of a contract that intake needs, parsed once per contract version."""

    code: str
    timezone: ZoneInfo
    rules: tuple[ClassificationRule, ...]
    default_queue: str
    policy: PriorityPolicy
    queues: dict[str, QueueRules]
    # reason code -> queue codes holding it, in contract order; and keyword matchers to infer one.
    reason_queues: dict[str, tuple[str, ...]]
    technical_reasons: frozenset[str]
    reason_matchers: tuple[tuple[str, KeywordMatcher], ...]
    outage_threshold: int
    outage_window_minutes: float
    outage_forecast_hours: float
    secret_env: str | None


_RULES_CACHE: dict[str, ContractRules] = {}


def contract_rules(document: Mapping[str, Any], checksum: str) -> ContractRules:
    cached = _RULES_CACHE.get(checksum)
    if cached is not None:
        return cached
    c = from_document(document)
    queues: dict[str, QueueRules] = {}
    reason_queues: dict[str, list[str]] = {}
    technical: set[str] = set()
    matchers: list[tuple[str, KeywordMatcher]] = []
    for q in c.queues:
        cal = c.calendars[q.calendar] if isinstance(q.calendar, str) else q.calendar
        queues[q.code] = QueueRules(
            code=q.code,
            calendar=Calendar.from_dict(cal),
            sla=msgspec.to_builtins(q.sla),
            aging_per_hour=float(q.routing.aging_per_hour),
        )
        for r in q.reasons:
            reason_queues.setdefault(r.code, []).append(q.code)
            if r.technical:
                technical.add(r.code)
            if r.keywords:
                matchers.append((r.code, KeywordMatcher(r.keywords)))
    default = c.default_queue or next((q.code for q in c.queues if q.kind not in VOICE_KINDS), c.queues[0].code)
    rules = ContractRules(
        code=c.code,
        timezone=ZoneInfo(c.timezone),
        rules=tuple(r for r in parse_rules(c.classification) if r.queue in queues),
        default_queue=default,
        policy=parse_policy(c.priority),
        queues=queues,
        reason_queues={k: tuple(v) for k, v in reason_queues.items()},
        technical_reasons=frozenset(technical),
        reason_matchers=tuple(matchers),
        outage_threshold=c.outage.threshold,
        outage_window_minutes=float(c.outage.window_minutes),
        outage_forecast_hours=float(c.outage.forecast_hours),
        secret_env=getattr(c, "crm_webhook_secret_env", None),
    )
    if len(_RULES_CACHE) > 64:
        _RULES_CACHE.clear()
    _RULES_CACHE[checksum] = rules
    return rules


@dataclass(frozen=True, slots=True)
class Intake:
    """A contract's rules plus the row ids of this database (ids never go in the cache)."""

    contract_id: int
    rules: ContractRules
    queue_ids: dict[str, int]
    reason_ids: dict[tuple[str, str], int]

    @property
    def queue_codes(self) -> dict[int, str]:
        return {v: k for k, v in self.queue_ids.items()}


async def load_intake(session: AsyncSession, *, contract_code: str, principal: Principal | None = None) -> Intake:
    contract = (
        await session.execute(
            select(Contract.id, Contract.document, Contract.checksum).where(Contract.code == contract_code)
        )
    ).one_or_none()
    if contract is None or (principal is not None and not principal.may_see(contract.id)):
        raise InvalidInputError(
            f"contract: unknown contract {contract_code!r}",
            extra=[{"field": "contract", "problem": f"unknown contract {contract_code!r}"}],
        )
    rows = (
        await session.execute(
            select(Queue.id, Queue.code, Reason.id, Reason.code)
            .outerjoin(Reason, Reason.queue_id == Queue.id)
            .where(Queue.contract_id == contract.id)
        )
    ).tuples()
    queue_ids: dict[str, int] = {}
    reason_ids: dict[tuple[str, str], int] = {}
    for queue_id, queue_code, reason_id, reason_code in rows:
        queue_ids[queue_code] = queue_id
        if reason_id is not None and reason_code is not None:
            reason_ids[(queue_code, reason_code)] = reason_id
    return Intake(contract.id, contract_rules(contract.document, contract.checksum), queue_ids, reason_ids)


def webhook_secret(rules: ContractRules) -> bytes | None:
    """The contract's CRM webhook secret, read from the environment variable the contract names."""
    if not rules.secret_env:
        return None
    value = os.environ.get(rules.secret_env)
    return value.encode() if value else None


# --- building a ticket (pure) ---------------------------------------------------------------------


def _aware(moment: datetime, tz: ZoneInfo) -> datetime:
    return moment.replace(tzinfo=tz) if moment.tzinfo is None else moment


def _infer_reason(rules: ContractRules, subject: str, body: str) -> tuple[str | None, tuple[str, ...]]:
    text = normalize_text(f"{subject}\n{body}")
    for code, matcher in rules.reason_matchers:
        if matcher.search(text):
            return code, matcher.findall(text)
    return None, ()


def build_ticket(intake: Intake, data: TicketData, *, now: datetime) -> tuple[Ticket, bool]:
    """The ticket for a delivery (not yet numbered nor stored) and whether its reason is technical."""
    row, technical = build_row(intake, data, now=now)
    return Ticket(**row), technical


def build_row(intake: Intake, data: TicketData, *, now: datetime) -> tuple[dict[str, Any], bool]:
    """The column values of the ticket for a delivery (not yet numbered nor stored) and whether its
    reason is technical. InvalidInputError names fields only the contract can judge (reason, time)."""
    rules = intake.rules
    created = _aware(data.created_at or now, rules.timezone).astimezone(UTC)
    if created > now + FUTURE_TOLERANCE and data.status is None:
        raise InvalidInputError(
            "created_at: in the future",
            extra=[{"field": "created_at", "problem": f"{created.isoformat()} is in the future"}],
        )
    reason = data.reason
    inferred: tuple[str, ...] = ()
    if reason is not None and reason not in rules.reason_queues:
        raise InvalidInputError(
            f"reason: unknown reason {reason!r}",
            extra=[{"field": "reason", "problem": f"unknown reason {reason!r} of contract {rules.code}"}],
        )
    if reason is None:
        reason, inferred = _infer_reason(rules, data.subject, data.body)
    found = classify(
        rules.rules, rules.default_queue, channel=data.channel, reason=reason, subject=data.subject, body=data.body
    )
    queue = rules.queues[found.queue]
    customer = data.customer
    result = prioritize(
        subject=data.subject,
        body=data.body,
        segment=customer.get("segment"),
        followers=customer.get("followers"),
        reason=reason,
        policy=rules.policy,
    )
    targets = Targets.from_policy(queue.sla, result.level)
    first_due = resolution_due = None
    if targets is not None:
        first_due = add_business_minutes(queue.calendar, created, targets.first_response).astimezone(UTC)
        resolution_due = add_business_minutes(queue.calendar, created, targets.resolution).astimezone(UTC)
    reason_id = None
    if reason is not None:
        home = queue.code if (queue.code, reason) in intake.reason_ids else rules.reason_queues[reason][0]
        reason_id = intake.reason_ids.get((home, reason))
    classification: dict[str, Any] = {
        "rule": found.rule_index,
        "matched": list(found.matched),
        "priority_reasons": list(result.reasons),
    }
    if inferred:
        classification["reason_inferred"] = {"reason": reason, "keywords": list(inferred)}
    area_key = normalize_area(customer.get("area")) or None
    row: dict[str, Any] = {
        "contract_id": intake.contract_id,
        "queue_id": intake.queue_ids[queue.code],
        "reason_id": reason_id,
        "source": data.source,
        "external_id": data.external_id,
        "protocol": "",
        "channel": data.channel,
        "subject": data.subject,
        "body": data.body,
        "customer": dict(customer),
        "area_key": area_key[:200] if area_key else None,
        "created_at": created,
        "received_at": now,
        "status": data.status or "new",
        "priority": result.level,
        "score": result.score,
        "sort_key": sort_key(result.score, created, queue.aging_per_hour),
        "critical": result.critical,
        "flagged": found.flagged,
        "classification": classification,
        "first_response_due": first_due,
        "next_response_due": None,
        "resolution_due": resolution_due,
        "first_response_at": data.first_response_at,
        "resolved_at": data.resolved_at,
        "closed_at": data.closed_at,
        "first_response_breached": False,
        "resolution_breached": False,
        "checklist": [],
        "fields": dict(data.fields),
        "raw": data.raw,
        "version": 1,
        "incident_id": None,
        "assigned_agent_id": None,
        "assigned_at": None,
    }
    return row, reason is not None and reason in rules.technical_reasons


def protocol_day(created_at: datetime, tz: ZoneInfo, now: datetime) -> date:
    """The day in the protocol: the contract-local day the contact started (never after intake)."""
    return min(created_at, now).astimezone(tz).date()


# --- storing ------------------------------------------------------------------------------------


async def next_protocols(session: AsyncSession, day: date, count: int = 1) -> range:
    """Reserve `count` sequence numbers of `day` with one atomic upsert; the caller's transaction
    holds the counter row until it ends, so numbers are never handed out twice."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = (
        insert(ProtocolCounter)
        .values(day=day, last=count)
        .on_conflict_do_update(index_elements=["day"], set_={"last": ProtocolCounter.last + count})
        .returning(ProtocolCounter.last)
    )
    last = int((await session.execute(stmt)).scalar_one())
    return range(last - count + 1, last + 1)


async def _find_existing(session: AsyncSession, contract_id: int, source: str, external_id: str) -> Ticket | None:
    return (
        await session.execute(
            select(Ticket).where(
                Ticket.contract_id == contract_id, Ticket.source == source, Ticket.external_id == external_id
            )
        )
    ).scalar_one_or_none()


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


def _resolve_contract(contract_code: str | None, data: TicketData, principal: Principal | None) -> str:
    if contract_code and data.contract and data.contract != contract_code:
        raise InvalidInputError(
            "contract: does not match",
            extra=[{"field": "contract", "problem": f"{data.contract!r} differs from {contract_code!r}"}],
        )
    code = contract_code or data.contract
    if code is None:
        raise InvalidInputError("contract: required", extra=[{"field": "contract", "problem": "required"}])
    return code


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
) -> tuple[Ticket, bool]:
    """Store one delivery: (the ticket, True) when new, (the existing ticket, False) when the same
    (contract, source, external_id) was delivered before, also by a concurrent request. A new pool
    ticket is pushed at once to a free agent when the queue's strategy finds one."""
    now = now or utcnow()
    parsed = data if isinstance(data, TicketData) else parse_ticket(data, max_body_chars=max_body_chars)
    intake = await load_intake(
        session, contract_code=_resolve_contract(contract_code, parsed, principal), principal=principal
    )
    existing = await _find_existing(session, intake.contract_id, parsed.source, parsed.external_id)
    if existing is not None:
        return existing, False
    ticket, technical = build_ticket(intake, parsed, now=now)
    day = protocol_day(ticket.created_at, intake.rules.timezone, now)
    try:
        async with session.begin_nested():
            seq = (await next_protocols(session, day)).start
            ticket.protocol = format_protocol(day, seq)
            session.add(ticket)
            await session.flush()
    except IntegrityError:
        existing = await _find_existing(session, intake.contract_id, parsed.source, parsed.external_id)
        if existing is None:
            raise
        return existing, False
    session.add(TicketEvent(**_created_event(ticket, source_kind, intake)))
    if technical and ticket.status == "new":
        await link_outage(session, intake=intake, ticket=_signal_of(ticket), now=now)
    if push and ticket.status == "new":
        queue = await session.get(Queue, ticket.queue_id)
        assert queue is not None
        await agents.push_ticket(session, ticket=ticket, queue=queue, now=now)
    await session.flush()
    return ticket, True


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
) -> list[RowResult]:
    """Store many deliveries: good rows are stored, bad rows come back with their problems, and
    every row gets a result in order (the stored ticket's view for good ones).

    One existence query, one protocol reservation per day and one executemany for the whole
    batch, with no ORM object per row; a conflict from a concurrent delivery drops back to
    row-by-row inserts. Pushing the new tickets to agents is left to a job sent after commit (one
    agent lock per transaction)."""
    now = now or utcnow()
    results = [RowResult(i, "rejected") for i in range(len(rows))]
    intakes: dict[str, Intake] = {}
    todo: list[tuple[int, Intake, TicketData]] = []
    for i, item in enumerate(rows):
        try:
            parsed = item if isinstance(item, TicketData) else parse_ticket(item, max_body_chars=max_body_chars)
            code = _resolve_contract(contract_code, parsed, principal)
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
            results[i].status, results[i].ticket = "created", _row_view(row, intake, incidents)
    views = {t.id: v for t, v in zip(stored.values(), await ticket_views(session, list(stored.values())), strict=True)}
    for key, ticket in stored.items():
        if key in first_of:  # lost a race to a concurrent delivery
            results[first_of[key]].status, results[first_of[key]].ticket = "existing", views[ticket.id]
    for i, key in repeats:
        first = results[first_of[key]].ticket if key in first_of else None
        results[i].status, results[i].ticket = "existing", views[stored[key].id] if key in stored else first
    created = [row for i, _n, row, _t in fresh if results[i].status == "created"]
    _request_pushes(session, {row["queue_id"] for row in created if row["status"] == "new"})
    return results


async def _existing(session: AsyncSession, todo: list[tuple[int, Intake, TicketData]]) -> dict[Key, Ticket]:
    keys_by_contract: dict[int, set[tuple[str, str]]] = {}
    for _i, intake, parsed in todo:
        keys_by_contract.setdefault(intake.contract_id, set()).add(parsed.key)
    found: dict[Key, Ticket] = {}
    for contract_id, key_set in keys_by_contract.items():
        keys = sorted(key_set)
        for start in range(0, len(keys), 400):
            chunk = keys[start : start + 400]
            rows = (
                await session.execute(
                    select(Ticket).where(
                        Ticket.contract_id == contract_id, tuple_(Ticket.source, Ticket.external_id).in_(chunk)
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
            await session.execute(insert(Ticket), [row for _i, _n, row, _x in fresh])
    except IntegrityError:
        # A concurrent delivery of one of these keys won the race: go row by row, each in its own
        # savepoint, so the others still get in and the raced ones return the winner's ticket.
        raced: dict[Key, Ticket] = {}
        created: list[tuple[dict[str, Any], Intake]] = []
        for _i, intake, row, _technical in fresh:
            ticket, stored = await _insert_one(session, intake, Ticket(**{**row, "id": None}), now)
            if stored:
                row["id"], row["protocol"] = ticket.id, ticket.protocol
                created.append((row, intake))
            else:
                row["id"] = None
                raced[(intake.contract_id, row["source"], row["external_id"])] = ticket
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
        incident, linked = await link_outage(session, intake=intake, ticket=_signal_of(row), now=now)
        if incident is not None:
            incidents[incident.id] = incident
            for ticket_id in linked:
                if ticket_id in by_id:
                    by_id[ticket_id]["incident_id"] = incident.id
    return incidents


async def _add_events(session: AsyncSession, events: list[dict[str, Any]]) -> None:
    # Core executemany: the audit rows need no ORM objects.
    if events:
        await session.execute(insert(TicketEvent), events)


async def _insert_one(session: AsyncSession, intake: Intake, ticket: Ticket, now: datetime) -> tuple[Ticket, bool]:
    day = protocol_day(ticket.created_at, intake.rules.timezone, now)
    try:
        async with session.begin_nested():
            ticket.protocol = format_protocol(day, (await next_protocols(session, day)).start)
            session.add(ticket)
            await session.flush()
    except IntegrityError:
        existing = await _find_existing(session, intake.contract_id, ticket.source, ticket.external_id)
        if existing is None:
            raise
        return existing, False
    return ticket, True


def _request_pushes(session: AsyncSession, queue_ids: set[int]) -> None:
    from ops.jobs.queue import defer

    for queue_id in sorted(queue_ids):
        defer(session, "assign_waiting_tickets", job_id=f"assign:{queue_id}", queue_id=queue_id)


# --- mass outages ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Arrival:
    """What outage grouping needs of a stored technical ticket."""

    ticket_id: int
    area_key: str | None
    created_at: datetime
    area_label: str | None


def _columns(ticket: Ticket, names: Sequence[str]) -> dict[str, Any]:
    return {n: getattr(ticket, n) for n in names}


def _signal_of(ticket: Ticket | Mapping[str, Any]) -> Arrival:
    row = ticket if isinstance(ticket, Mapping) else _columns(ticket, ("id", "area_key", "created_at", "customer"))
    return Arrival(row["id"], row["area_key"], row["created_at"], (row["customer"] or {}).get("area"))


async def link_outage(
    session: AsyncSession, *, intake: Intake, ticket: Arrival, now: datetime
) -> tuple[Incident | None, list[int]]:
    """Link a technical ticket to its area's open incident, or open one when it completes a burst
    of `outage.threshold` technical tickets within `outage.window_minutes`: the incident and the
    ids of the tickets linked now."""
    if not ticket.area_key:
        return None, []
    rules = intake.rules
    signal = TicketSignal(ticket.ticket_id, ticket.area_key, ticket.created_at, technical=True)
    incidents = (
        await session.execute(
            select(Incident).where(
                Incident.contract_id == intake.contract_id, Incident.area == ticket.area_key, Incident.status == "open"
            )
        )
    ).scalars()
    by_id = {i.id: i for i in incidents}
    found = find_incident([OutageIncident(i.id, i.area, i.opened_at) for i in by_id.values()], signal)
    if found is not None:
        await _link(session, [ticket.ticket_id], by_id[found], now)
        return by_id[found], [ticket.ticket_id]
    technical_ids = [rid for (_q, code), rid in intake.reason_ids.items() if code in rules.technical_reasons]
    window = timedelta(minutes=rules.outage_window_minutes)
    recent = (
        await session.execute(
            select(Ticket.id, Ticket.area_key, Ticket.created_at).where(
                Ticket.contract_id == intake.contract_id,
                Ticket.area_key == ticket.area_key,
                Ticket.incident_id.is_(None),
                Ticket.reason_id.in_(technical_ids),
                Ticket.status.not_in(CLOSED_STATUSES),
                Ticket.created_at >= ticket.created_at - window,
                Ticket.created_at <= ticket.created_at + window,
                Ticket.id != ticket.ticket_id,
            )
        )
    ).tuples()
    signals = [TicketSignal(i, a, c, technical=True) for i, a, c in recent]
    group = detect(signals, signal, threshold=rules.outage_threshold, window_minutes=rules.outage_window_minutes)
    if not group:
        return None, []
    opened = min([s.created_at for s in signals if s.ticket_id in group] + [ticket.created_at])
    display = ticket.area_label or ticket.area_key
    incident = Incident(
        contract_id=intake.contract_id,
        area=ticket.area_key,
        status="open",
        opened_at=opened,
        forecast_end=forecast_end(opened, rules.outage_forecast_hours),
        note=f"{len(group)} technical tickets from {display} within {rules.outage_window_minutes:g} minutes",
    )
    session.add(incident)
    await session.flush()
    await _link(session, group, incident, now)
    return incident, group


async def _link(session: AsyncSession, ticket_ids: list[int], incident: Incident, now: datetime) -> None:
    await session.execute(
        update(Ticket)
        .where(Ticket.id.in_(ticket_ids), Ticket.incident_id.is_(None))
        .values(incident_id=incident.id, version=Ticket.version + 1)
        .execution_options(synchronize_session=False)
    )
    # Tickets of this transaction already in the session (the new one, a bulk batch) see the link.
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Ticket) and obj.id in ticket_ids and obj.incident_id is None:
            set_committed_value(obj, "incident_id", incident.id)
            set_committed_value(obj, "version", obj.version + 1)
    session.add_all(
        TicketEvent(
            ticket_id=tid,
            at=now,
            actor="intake:outage",
            action="linked_incident",
            before={"incident_id": None},
            after={"incident_id": incident.id, "forecast_end": _iso(incident.forecast_end)},
        )
        for tid in ticket_ids
    )


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


async def list_incidents(
    session: AsyncSession, *, principal: Principal, status: str | None = None
) -> list[tuple[Incident, str, int]]:
    """Incidents the caller may see, newest first, with their contract code and ticket count."""
    count = select(func.count()).where(Ticket.incident_id == Incident.id).correlate(Incident).scalar_subquery()
    query = (
        select(Incident, Contract.code, count)
        .join(Contract, Contract.id == Incident.contract_id)
        .order_by(Incident.opened_at.desc(), Incident.id.desc())
    )
    if principal.contract_id is not None:
        query = query.where(Incident.contract_id == principal.contract_id)
    if status:
        query = query.where(Incident.status == status)
    return [(i, c, int(n)) for i, c, n in (await session.execute(query)).tuples()]


async def get_incident(session: AsyncSession, *, incident_id: int, principal: Principal) -> Incident:
    incident = await session.get(Incident, incident_id)
    if incident is None or not principal.may_see(incident.contract_id):
        raise NotFoundError(f"no incident {incident_id}")
    return incident


async def extend_incident(
    session: AsyncSession, *, incident_id: int, principal: Principal, forecast_end: datetime
) -> Incident:
    """Move the forecast end the customers are told (an outage often lasts longer than hoped)."""
    incident = await get_incident(session, incident_id=incident_id, principal=principal)
    if incident.status != "open":
        raise InvalidInputError(
            "incident is resolved", extra=[{"field": "forecast_end", "problem": "incident resolved"}]
        )
    if forecast_end.tzinfo is None or forecast_end <= incident.opened_at:
        raise InvalidInputError(
            "forecast_end must be an aware time after the opening",
            extra=[{"field": "forecast_end", "problem": "needs a time zone and must be after opened_at"}],
        )
    incident.forecast_end = forecast_end
    await session.flush()
    return incident


async def resolve_incident(
    session: AsyncSession, *, incident_id: int, principal: Principal, actor: str, now: datetime | None = None
) -> tuple[Incident, int]:
    """End an outage: the incident and every ticket linked to it still open are resolved together,
    and their agents freed. Resolving twice changes nothing the second time."""
    now = now or utcnow()
    incident = await get_incident(session, incident_id=incident_id, principal=principal)
    if incident.status != "open":
        return incident, 0
    incident.status, incident.resolved_at = "resolved", now
    tickets = (
        await session.execute(
            select(Ticket).where(Ticket.incident_id == incident.id, Ticket.status.not_in(CLOSED_STATUSES))
        )
    ).scalars()
    count = 0
    for ticket in list(tickets):
        before = {"status": ticket.status}
        ticket.status, ticket.resolved_at, ticket.version = "resolved", now, ticket.version + 1
        ticket.first_response_at = ticket.first_response_at or now
        if ticket.assigned_agent_id is not None:
            await agents.release_agent(session, agent_id=ticket.assigned_agent_id, now=now)
        session.add(
            TicketEvent(
                ticket_id=ticket.id,
                at=now,
                actor=actor,
                action="resolved",
                before=before,
                after={"status": "resolved", "incident_id": incident.id},
                note=f"mass outage {incident.id} ended",
            )
        )
        count += 1
    await session.flush()
    return incident, count


# --- reading ------------------------------------------------------------------------------------


async def get_ticket(session: AsyncSession, *, ticket_id: int, principal: Principal | None) -> Ticket:
    ticket = await session.get(Ticket, ticket_id)
    if ticket is None or (principal is not None and not principal.may_see(ticket.contract_id)):
        raise NotFoundError(f"no ticket {ticket_id}")
    return ticket


async def list_tickets(
    session: AsyncSession,
    *,
    principal: Principal,
    contract_code: str | None = None,
    queue_code: str | None = None,
    status: str | None = None,
    flagged: bool | None = None,
    limit: int = 100,
) -> list[Ticket]:
    """Tickets the caller may see, most urgent first."""
    query = select(Ticket).order_by(Ticket.sort_key.desc(), Ticket.id).limit(max(1, min(limit, 1000)))
    if principal.contract_id is not None:
        query = query.where(Ticket.contract_id == principal.contract_id)
    if contract_code:
        query = query.join(Contract, Contract.id == Ticket.contract_id).where(Contract.code == contract_code)
    if queue_code:
        query = query.join(Queue, Queue.id == Ticket.queue_id).where(Queue.code == queue_code)
    if status:
        query = query.where(Ticket.status == status)
    if flagged is not None:
        query = query.where(Ticket.flagged.is_(flagged))
    return list((await session.execute(query)).scalars())


async def ticket_views(session: AsyncSession, tickets: Sequence[Ticket]) -> list[TicketOut]:
    """API views of tickets, with three lookups for the whole list (queue, reason, incident)."""
    if not tickets:
        return []
    queue_ids = {t.queue_id for t in tickets}
    reason_ids = {t.reason_id for t in tickets if t.reason_id is not None}
    incident_ids = {t.incident_id for t in tickets if t.incident_id is not None}
    queues = {
        qid: (code, contract)
        for qid, code, contract in (
            await session.execute(
                select(Queue.id, Queue.code, Contract.code)
                .join(Contract, Contract.id == Queue.contract_id)
                .where(Queue.id.in_(queue_ids))
            )
        ).tuples()
    }
    reasons: dict[int, str] = {}
    if reason_ids:
        found_reasons = await session.execute(select(Reason.id, Reason.code).where(Reason.id.in_(reason_ids)))
        reasons = dict(found_reasons.tuples().all())
    incidents: dict[int, Incident] = {}
    if incident_ids:
        found = (await session.execute(select(Incident).where(Incident.id.in_(incident_ids)))).scalars()
        incidents = {i.id: i for i in found}
    return [_view(t, queues[t.queue_id], reasons, incidents) for t in tickets]


def _row_view(row: Mapping[str, Any], intake: Intake, incidents: dict[int, Incident]) -> TicketOut:
    """The view of a ticket stored from `row` in this transaction, without reading it back."""
    reasons = {rid: code for (_q, code), rid in intake.reason_ids.items()}
    queue = (intake.queue_codes[row["queue_id"]], intake.rules.code)
    return _view(SimpleNamespace(**row), queue, reasons, incidents)


def _view(t: Any, queue: tuple[str, str], reasons: dict[int, str], incidents: dict[int, Incident]) -> TicketOut:
    incident = incidents.get(t.incident_id) if t.incident_id is not None else None
    return TicketOut(
        id=t.id,
        protocol=t.protocol,
        contract=queue[1],
        source=t.source,
        external_id=t.external_id,
        channel=t.channel,
        queue=queue[0],
        reason=reasons.get(t.reason_id) if t.reason_id is not None else None,
        status=t.status,
        priority=t.priority,
        score=t.score,
        critical=t.critical,
        flagged=t.flagged,
        subject=t.subject,
        customer=t.customer,
        classification=t.classification,
        created_at=t.created_at,
        received_at=t.received_at,
        first_response_due=t.first_response_due,
        next_response_due=t.next_response_due,
        resolution_due=t.resolution_due,
        assigned_agent_id=t.assigned_agent_id,
        assigned_at=t.assigned_at,
        incident=None
        if incident is None
        else IncidentRef(incident.id, incident.area, incident.status, incident.opened_at, incident.forecast_end),
        first_response_at=t.first_response_at,
        resolved_at=t.resolved_at,
        closed_at=t.closed_at,
    )
