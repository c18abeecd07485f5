"""Intake's pure rules: reading a CRM delivery, webhook signatures, and the ticket a contract makes of it.

No I/O here: `parse_ticket` checks what arrived (`ops.decoding.decode_json` reads its JSON), `sign` /
`signature_problem` judge a webhook delivery, `contract_rules` parses what intake needs of a contract once per
version, and `build_row` turns a delivery into the column values of its ticket (classified, scored, with SLA dues).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

import msgspec

from ops import bounds
from ops.calendars import Calendar, add_business_minutes_each
from ops.contracts.document import from_document
from ops.contracts.schemas import VOICE_KINDS
from ops.errors import InvalidInputError
from ops.queues.intake.classification import ClassificationRule, KeywordMatcher, classify, normalize_text, parse_rules
from ops.queues.intake.outage import normalize_area
from ops.queues.intake.priority import PriorityPolicy, parse_policy, prioritize, sort_key
from ops.queues.sla.clock import Targets

CHANNELS = frozenset(
    {
        "crm", "email", "web", "fax", "phone", "chat", "whatsapp", "sms", "app",
        "social", "facebook", "instagram", "twitter", "x", "tiktok", "youtube", "linkedin",
        "reclame_aqui", "consumidor_gov", "regulator",
    }
)  # fmt: skip
MAX_BULK_ROWS = 1000
MAX_FOLLOWERS = 10**18  # as the API documents `customer.followers` (1e40 was taken, and raised the priority)
# Clocks of CRMs drift: a creation time a little in the future is the sender's clock, not an error.
FUTURE_TOLERANCE = timedelta(minutes=5)


# --- validation ----------------------------------------------------------------------------------


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
    if not isinstance(value, str) and (isinstance(value, bool) or not isinstance(value, int)):
        _problem(problems, path, f"expected a string, got {type(value).__name__}")
        return None
    text = str(value).strip() if key != "body" else str(value)
    if (problem := bounds.text_problem(text, multiline=key in _MULTILINE, max_length=max_len)) is not None:
        _problem(problems, path, problem)
        return None
    if len(text) > max_len:
        _problem(problems, path, f"too long: {len(text)} characters (at most {max_len})")
        return None
    return text


def _datetime(value: object, path: str, problems: Problems) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        if (problem := bounds.date_problem(value)) is not None:
            _problem(problems, path, problem)
            return None
        return value
    if not isinstance(value, str):
        _problem(problems, path, f"expected an ISO 8601 date-time, got {type(value).__name__}")
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        _problem(problems, path, f"{value!r} is not an ISO 8601 date-time such as 2026-11-23T10:15:00-03:00")
        return None
    if (problem := bounds.date_problem(moment)) is not None:
        _problem(problems, path, problem)
        return None
    return moment


def _followers(value: object, path: str, problems: Problems) -> int | None:
    if value is None or value == "":
        return None
    number = bounds.integer_of(value)
    if number is None:
        _problem(problems, path, f"expected a non-negative integer, got {value!r}")
    elif number >= MAX_FOLLOWERS:
        _problem(problems, path, f"{value!r} is more followers than any account has (at most {MAX_FOLLOWERS - 1:,})")
        return None
    return number


# Text that may hold line breaks and tabs; every other field is one line.
_MULTILINE = frozenset({"subject", "body", "name"})
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
    # The whole delivery is stored as the ticket's raw payload: bounded as a tree first (control characters,
    # depth, string lengths, non-finite numbers), whatever field they hide in.
    problems.extend({"field": f, "problem": p} for f, p in bounds.tree_problems(data))
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
        # One problem per field: the tree and the field's own check may both see the same one.
        problems = list({p["field"]: p for p in reversed(problems)}.values())[::-1]
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


_PLAIN = (str, int, float, bool, type(None))


def _jsonable(value: Any) -> Any:
    if type(value) in _PLAIN:  # most of a JSON delivery: no ABC check of Mapping for every string
        return value
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


# --- signed webhook ------------------------------------------------------------------------------


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
class QueueRoute:
    """What pushing a ticket needs of its queue: the queue row's id, code, contract and routing."""

    id: int
    code: str
    contract_id: int
    routing: Mapping[str, Any]


@dataclass(frozen=True)
class Intake:
    """A contract's rules plus the row ids of this database, as of the contract's `checksum`."""

    contract_id: int
    rules: ContractRules
    queue_ids: dict[str, int]
    reason_ids: dict[tuple[str, str], int]
    checksum: str = ""
    routing: Mapping[int, Mapping[str, Any]] = field(default_factory=dict)

    @cached_property
    def queue_codes(self) -> dict[int, str]:
        return {v: k for k, v in self.queue_ids.items()}

    @cached_property
    def reason_codes(self) -> dict[int, str]:
        return {rid: code for (_q, code), rid in self.reason_ids.items()}

    def route(self, queue_id: int) -> QueueRoute:
        return QueueRoute(queue_id, self.queue_codes[queue_id], self.contract_id, self.routing.get(queue_id, {}))


# --- building a ticket ---------------------------------------------------------------------------


def _aware(moment: datetime, tz: ZoneInfo) -> datetime:
    return moment.replace(tzinfo=tz) if moment.tzinfo is None else moment


def _infer_reason(rules: ContractRules, subject: str, body: str) -> tuple[str | None, tuple[str, ...]]:
    text = normalize_text(f"{subject}\n{body}")
    for code, matcher in rules.reason_matchers:
        if matcher.search(text):
            return code, matcher.findall(text)
    return None, ()


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
        first_due, resolution_due = add_business_minutes_each(
            queue.calendar, created, (targets.first_response, targets.resolution), zone=UTC
        )
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
