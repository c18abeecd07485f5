"""The contract file (YAML) as typed structs, and the API shapes of the contract domain."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, Literal

import msgspec

from ops.bounds import Count

QueueKind = Literal["care", "helpdesk", "retention", "bo_care", "bo_helpdesk", "social"]
Channel = Literal["inbound_voice", "outbound_voice", "back_office", "social"]
Priority = Literal["critical", "high", "normal", "low"]
SLFormula = Literal[
    "offered",
    "offered_minus_short",
    "offered_minus_abandoned_within",
    "answered_and_abandoned_within",
    "answered",
]
Strategy = Literal["longest_idle", "fewest_open", "round_robin"]
VOICE_KINDS = frozenset({"care", "helpdesk", "retention"})


class Strict(msgspec.Struct, forbid_unknown_fields=True):
    """Unknown keys are typos in a contract: reject them instead of silently ignoring them."""


class ClientIn(Strict):
    code: str
    name: str


class Readjustment(Strict):
    """The yearly price readjustment; the rules beyond index and anniversary are checked by billing."""

    index: Literal["IPCA", "IGP-M", "INPC", "none", "formula"]
    anniversary: date
    lag_months: Count | None = None  # months between the window's end and the anniversary; default by index
    floor_zero: bool = False  # a negative year leaves prices unchanged
    fallback: Literal["IPCA", "IGP-M", "INPC"] | None = None  # when the index has a gap or is extinct
    formula: list[dict[str, Any]] = []  # weighted: [{agreement: CODE, weight: 0.7}, {index: IPCA, weight: 0.3}]


class OnCallPrice(Strict):
    hourly: Decimal
    minimum_hours_mon_thu: Decimal = Decimal(2)
    minimum_hours_fri_sun_holiday: Decimal = Decimal(4)


class Prices(Strict):
    position_month: Decimal
    reinforcement_hour: Decimal
    ticket_minute: Decimal
    ticket_minimum_minutes: Count = 10
    taxes: Decimal = Decimal(0)
    oncall: OnCallPrice | None = None


class VoiceSla(Strict):
    formula: SLFormula = "offered"
    answer_within_seconds: Count = 20
    target: float = 0.8
    max_abandon: float | None = None
    max_asa_seconds: float | None = None
    short_abandon_seconds: Count = 5


class TicketTargets(Strict):
    """Targets in business minutes of the queue's calendar."""

    first_response: Count
    resolution: Count
    next_response: Count | None = None


class Sla(Strict):
    voice: VoiceSla | None = None
    tickets: dict[Priority, TicketTargets] | None = None


class Routing(Strict):
    strategy: Strategy = "longest_idle"
    overflow_after_minutes: Count = 10
    giveback_minutes: Count = 30
    aging_per_hour: float = 1.0
    handle_minutes: float = 12.0


class Field(Strict):
    code: str
    label: str
    type: Literal["text", "date", "number"] = "text"
    required: bool = False


class ReasonIn(Strict):
    code: str
    name: str
    procedure: list[str] = []
    technical: bool = False
    fields: list[Field] = []
    keywords: list[str] = []


class QueueIn(Strict):
    code: str
    name: str
    kind: QueueKind
    channel: Channel
    calendar: str | dict[str, Any]
    sla: Sla
    base_positions: Count = 0
    routing: Routing = msgspec.field(default_factory=Routing)
    reasons: list[ReasonIn] = []


class Outage(Strict):
    threshold: Count = 5
    window_minutes: Count = 30
    forecast_hours: float = 4.0


class BreakReason(Strict):
    """A reason an agent may be on a break (rest, meal, training...), with its usual length if the contract
    states one (checked by queues.assignment.sections)."""

    code: str
    name: str
    max_minutes: int | None = None


class ShiftRulesIn(Strict):
    lengths_hours: list[float] = msgspec.field(default_factory=lambda: [4.0, 6.0, 8.0])
    start_step_minutes: Count = 30
    break_after_hours: float | None = None
    break_minutes: Count = 0
    max_per_interval: Count | None = None
    max_per_day: Count | None = None
    shrinkage: float = 0.3
    max_occupancy: float | None = 0.85
    blends: list[list[str]] = []


class Delivery(Strict):
    name: str
    cron: str
    period: Literal["yesterday", "last_week", "last_month"]
    formats: list[Literal["html", "pdf", "xlsx", "csv", "json"]] = msgspec.field(default_factory=lambda: ["pdf"])


class ContractFile(Strict):
    code: str
    client: ClientIn
    object: str
    value: Decimal
    signed_on: date
    starts_on: date
    ends_on: date
    readjustment: Readjustment
    timezone: str
    queues: list[QueueIn]
    currency: str = "BRL"
    language: Literal["pt-BR", "es-AR", "en"] = "pt-BR"  # the client's: its reports, invoices and e-mails
    rfp: str | None = None
    default_queue: str | None = None
    prices: Prices | None = None
    calendars: dict[str, dict[str, Any]] = {}
    classification: list[dict[str, Any]] = []
    priority: dict[str, Any] = {}
    outage: Outage = msgspec.field(default_factory=Outage)
    shifts: ShiftRulesIn = msgspec.field(default_factory=ShiftRulesIn)
    # The reasons an agent's break may give; a break needs one of them when the contract lists any.
    break_reasons: list[BreakReason] = []
    penalties: dict[str, Any] = {}
    regulatory: dict[str, Any] = {}
    # Money terms: measurement period and proration, taxes and withholdings, time-billed queues, payment and
    # dispute deadlines, recovery of undue charges (checked by billing.terms).
    billing: dict[str, Any] = {}
    # The agents' work: canned replies per reason, whether resolving past the procedure may be overridden
    # (checked by queues.work.sections).
    work: dict[str, Any] = {}
    # The voice wallboard: amber and red levels, staleness, the telephony platform's queue names (reports.wallboard).
    wallboard: dict[str, Any] = {}
    recipients: list[str] = []
    deliveries: list[Delivery] = []
    webhook_url: str | None = None
    # The environment variable holding the CRM webhook's HMAC secret (the secret never sits in the file).
    crm_webhook_secret_env: str | None = None


# --- API shapes -------------------------------------------------------------------------------


class QueueOut(msgspec.Struct):
    code: str
    name: str
    kind: str
    channel: str
    base_positions: int
    calendar: dict[str, Any]
    sla: dict[str, Any]
    reasons: list[dict[str, Any]]


class ContractOut(msgspec.Struct):
    code: str
    client: str
    object: str
    value: Decimal
    currency: str
    signed_on: date
    starts_on: date
    ends_on: date
    readjustment_index: str
    anniversary: date
    timezone: str
    queues: list[QueueOut]


class ContractSummary(msgspec.Struct):
    code: str
    client: str
    object: str
    starts_on: date
    ends_on: date


class LoadResult(msgspec.Struct):
    code: str
    status: Literal["created", "updated", "unchanged"]
    changes: list[dict[str, Any]]


class ChangeOut(msgspec.Struct):
    changed_at: str
    changed_by: str
    source: str
    changes: list[dict[str, Any]]
