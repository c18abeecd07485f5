"""The contract file's `billing:` section as typed terms: the measurement period and its proration, taxes and
withholdings, which queues and reasons are billed by the minute, payment and dispute deadlines, and the recovery
of undue charges. Pure: a mapping in, frozen terms out, every error naming its field."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from ops.billing.disputes.states import DEFAULT_DEADLINE_DAYS, NEXT_STATES
from ops.billing.indices.readjustment import ReadjustmentRule, parse_rule
from ops.billing.indices.recovery import RecoveryTerms
from ops.billing.invoices.taxes import TaxTerms, parse_tax_terms
from ops.billing.measurement.periods import MAX_CUTOFF_DAY
from ops.billing.money import to_decimal
from ops.contracts.schemas import ContractFile

Proration = Literal["actual_days", "commercial_30"]
_KEYS = frozenset(
    {
        "cutoff_day",
        "proration",
        "payment_days",
        "taxes",
        "withholdings",
        "time_billed",
        "dispute_deadlines_days",
        "due_alert_days",
        "recovery",
    }
)
_RECOVERY_KEYS = frozenset(
    {"index", "interest_monthly_pct", "window_years_administrative", "window_years_judicial", "double"}
)


@dataclass(frozen=True)
class TimeBilled:
    """A queue, or one reason of it, whose tickets are billed by the minute logged on them."""

    queue: str
    reason: str | None = None


@dataclass(frozen=True)
class BillingTerms:
    taxes: TaxTerms
    cutoff_day: int | None = None  # None: the calendar month
    proration: Proration = "actual_days"
    payment_days: int = 30
    time_billed: tuple[TimeBilled, ...] = ()
    dispute_deadlines_days: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_DEADLINE_DAYS))
    due_alert_days: int = 5  # a disputed invoice's due date is flagged this many days before it passes
    recovery: RecoveryTerms | None = None

    def bills_time(self, queue: str, reason: str | None) -> bool:
        return any(t.queue == queue and (t.reason is None or t.reason == reason) for t in self.time_billed)


def parse_billing(
    data: Mapping[str, Any], *, queues: Mapping[str, Sequence[str]], readjustment_index: str
) -> BillingTerms:
    """Terms from a `billing:` section; `queues` maps each queue code of the contract to its reason codes.
    An empty section gives no ISS and the default withholdings (the contract should state its municipality's
    ISS); the recovery index defaults to the contract's readjustment index (IPCA when it has none)."""
    if not isinstance(data, Mapping):
        raise ValueError("billing: must be a mapping of fields")
    extra = sorted(set(data) - _KEYS)
    if extra:
        raise ValueError(f"billing.{extra[0]}: unknown field (expected one of {', '.join(sorted(_KEYS))})")
    taxes = parse_tax_terms(data) if "taxes" in data else parse_tax_terms({**data, "taxes": {"iss_rate": 0}})
    cutoff = data.get("cutoff_day")
    if cutoff is not None and (
        isinstance(cutoff, bool) or not isinstance(cutoff, int) or not 1 <= cutoff <= MAX_CUTOFF_DAY
    ):
        raise ValueError(f"billing.cutoff_day: must be a day from 1 to {MAX_CUTOFF_DAY}, got {cutoff!r}")
    proration = data.get("proration", "actual_days")
    if proration not in ("actual_days", "commercial_30"):
        raise ValueError(f"billing.proration: must be actual_days or commercial_30, not {proration!r}")
    return BillingTerms(
        taxes=taxes,
        cutoff_day=cutoff,
        proration=proration,
        payment_days=_whole(data, "payment_days", 30, low=0),
        time_billed=_time_billed(data.get("time_billed", []), queues),
        dispute_deadlines_days=_deadlines(data.get("dispute_deadlines_days", {})),
        due_alert_days=_whole(data, "due_alert_days", 5, low=0),
        recovery=_recovery(data.get("recovery", {}), readjustment_index),
    )


def _whole(data: Mapping[str, Any], key: str, default: int, *, low: int) -> int:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ValueError(f"billing.{key}: must be a whole number, {low} or more, got {value!r}")
    return value


def _time_billed(value: object, queues: Mapping[str, Sequence[str]]) -> tuple[TimeBilled, ...]:
    if not isinstance(value, list):
        raise ValueError("billing.time_billed: must be a list of {queue, reason}")
    out = []
    for i, item in enumerate(value):
        at = f"billing.time_billed[{i}]"
        if not isinstance(item, Mapping) or set(item) - {"queue", "reason"} or "queue" not in item:
            raise ValueError(f"{at}: must be {{queue: CODE}} or {{queue: CODE, reason: CODE}}")
        queue, reason = item["queue"], item.get("reason")
        if queue not in queues:
            raise ValueError(f"{at}.queue: unknown queue {queue!r} (queues: {', '.join(queues)})")
        if reason is not None and reason not in queues[queue]:
            raise ValueError(f"{at}.reason: {reason!r} is not a reason of {queue}")
        out.append(TimeBilled(str(queue), None if reason is None else str(reason)))
    return tuple(out)


def _deadlines(value: object) -> dict[str, int]:
    if not isinstance(value, Mapping):
        raise ValueError("billing.dispute_deadlines_days: must map a dispute state to days")
    days = dict(DEFAULT_DEADLINE_DAYS)
    for state, n in value.items():
        at = f"billing.dispute_deadlines_days.{state}"
        if state not in NEXT_STATES or not NEXT_STATES[state]:
            raise ValueError(f"{at}: not a dispute state with a deadline ({', '.join(DEFAULT_DEADLINE_DAYS)})")
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"{at}: must be a whole number of days, 1 or more")
        days[state] = n
    return days


def _recovery(value: object, readjustment_index: str) -> RecoveryTerms:
    if not isinstance(value, Mapping):
        raise ValueError("billing.recovery: must be a mapping of fields")
    extra = sorted(set(value) - _RECOVERY_KEYS)
    if extra:
        raise ValueError(f"billing.recovery.{extra[0]}: unknown field (expected {', '.join(sorted(_RECOVERY_KEYS))})")
    default_index = readjustment_index if readjustment_index in ("IPCA", "IGP-M", "INPC") else "IPCA"
    index = value.get("index", default_index)
    if index not in ("IPCA", "IGP-M", "INPC"):
        raise ValueError(f"billing.recovery.index: must be IPCA, IGP-M or INPC, not {index!r}")
    double = value.get("double", True)
    if not isinstance(double, bool):
        raise ValueError("billing.recovery.double: must be true or false")
    try:
        return RecoveryTerms(
            index=str(index),
            interest_monthly_pct=to_decimal(
                value.get("interest_monthly_pct", 1), "billing.recovery.interest_monthly_pct"
            ),
            window_years_administrative=value.get("window_years_administrative", 3),
            window_years_judicial=value.get("window_years_judicial", 5),
            double_by_default=double,
        )
    except ValueError as exc:
        raise ValueError(f"billing.recovery.{exc}") from None


def terms_of(contract: ContractFile) -> BillingTerms:
    """The billing terms of a parsed contract file (`contracts.schemas.ContractFile`)."""
    queues = {q.code: [r.code for r in q.reasons] for q in contract.queues}
    return parse_billing(contract.billing, queues=queues, readjustment_index=contract.readjustment.index)


def check_billing(section: object, contract: ContractFile) -> None:
    """The composition root registers this with the contract loader."""
    if not isinstance(section, Mapping):
        raise ValueError("billing: must be a mapping of fields")
    queues = {q.code: [r.code for r in q.reasons] for q in contract.queues}
    parse_billing(section, queues=queues, readjustment_index=contract.readjustment.index)


def readjustment_rule(contract: ContractFile) -> ReadjustmentRule:
    """The readjustment rule of a parsed contract file, checked (billing.indices.readjustment.parse_rule)."""
    r = contract.readjustment
    data: dict[str, object] = {"index": r.index, "anniversary": r.anniversary, "floor_zero": r.floor_zero}
    if r.lag_months is not None:
        data["lag_months"] = r.lag_months
    if r.fallback is not None:
        data["fallback"] = r.fallback
    if r.formula:
        data["formula"] = r.formula
    return parse_rule(data)


def check_readjustment(_section: object, contract: ContractFile) -> None:
    readjustment_rule(contract)
