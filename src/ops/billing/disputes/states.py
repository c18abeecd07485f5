"""The dispute of an invoice as a state machine: legal steps, the data each step needs, deadlines and alerts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from ops.billing.money import cents, to_decimal

OPENED = "opened"
SUBMITTED = "submitted"
RECALCULATION_GRANTED = "recalculation_granted"
CREDITED = "credited"
REFUSED = "refused"
CLOSED = "closed"

NEXT_STATES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        OPENED: (SUBMITTED, REFUSED),
        SUBMITTED: (RECALCULATION_GRANTED, REFUSED),
        RECALCULATION_GRANTED: (CREDITED,),
        CREDITED: (CLOSED,),
        REFUSED: (CLOSED,),
        CLOSED: (),
    }
)

# The data each step needs, and what it may carry besides; anything else is refused, so a misspelt
# key ("recalc_number") fails loudly instead of leaving the required one missing.
REQUIRED: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        RECALCULATION_GRANTED: ("recalculation_number", "resolution_date"),
        CREDITED: ("credited_amount", "credit_reference"),
        REFUSED: ("reason",),
    }
)
OPTIONAL: Mapping[str, tuple[str, ...]] = MappingProxyType({SUBMITTED: ("protocol",)})

# Calendar days the other side has to act once a state is entered, unless the contract says otherwise:
# opened: 10 to file the dispute with the provider (before the invoice falls due);
# submitted: 30 for the provider's answer (Anatel's RGC gives 30 days to answer a contested bill);
# recalculation_granted: 30 to issue the credit (one billing cycle: it may come on the next invoice);
# credited: 5 to check the credit and close; refused: 10 to escalate or close. Closed has none.
DEFAULT_DEADLINE_DAYS: Mapping[str, int] = MappingProxyType(
    {OPENED: 10, SUBMITTED: 30, RECALCULATION_GRANTED: 30, CREDITED: 5, REFUSED: 10}
)


class DisputeError(ValueError):
    """An illegal step of a dispute, or a step without the data it needs."""


@dataclass(frozen=True)
class DisputeState:
    state: str
    disputed: Decimal  # contested, withheld from payment until resolved
    undisputed: Decimal  # payable on the due date regardless
    entered_at: datetime | None = None  # when the current state was entered
    protocol: str | None = None
    recalculation_number: str | None = None
    resolution_date: date | None = None
    credited_amount: Decimal | None = None
    credit_reference: str | None = None  # the credit note or invoice the credit came on
    reason: str | None = None  # why it was refused

    def __post_init__(self) -> None:
        if self.state not in NEXT_STATES:
            raise DisputeError(f"unknown dispute state {self.state!r}; states: {', '.join(NEXT_STATES)}")
        if self.disputed < 0 or self.undisputed < 0:
            raise DisputeError("disputed and undisputed amounts cannot be negative")


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    by: str
    from_state: str | None  # None for the opening entry
    to_state: str
    data: Mapping[str, str]  # what the step carried, as text (Decimal exact, dates ISO) for the trail


def split_amounts(total_billed: Decimal, disputed: Decimal) -> tuple[Decimal, Decimal]:
    """(disputed, undisputed) of an invoice; the undisputed part is payable. Amounts are in cents."""
    for what, value in (("total billed", total_billed), ("disputed amount", disputed)):
        if value < 0:
            raise ValueError(f"{what} cannot be negative: {value}")
        if cents(value) != value:
            raise ValueError(f"{what} must be in cents: {value}")
    if disputed > total_billed:
        raise ValueError(f"disputed amount {disputed} is above the billed total {total_billed}")
    return disputed, total_billed - disputed


def open_dispute(total_billed: Decimal, disputed: Decimal, *, at: datetime, by: str) -> tuple[DisputeState, AuditEntry]:
    """A new dispute in `opened`, with its first audit entry."""
    _check_actor(at, by)
    if disputed <= 0:
        raise DisputeError(f"a dispute needs a positive disputed amount, got {disputed}")
    contested, payable = split_amounts(total_billed, disputed)
    state = DisputeState(OPENED, contested, payable, entered_at=at)
    data = {"disputed": str(contested), "undisputed": str(payable)}
    return state, AuditEntry(at, by, None, OPENED, MappingProxyType(data))


def transition(
    dispute: DisputeState, to: str, *, at: datetime, by: str, data: Mapping[str, Any] | None = None
) -> tuple[DisputeState, AuditEntry]:
    """The dispute moved to `to`, and the audit entry recording who did it, when, and with what.

    Raises DisputeError naming from, to and the allowed next states on an illegal step, and naming the
    field when a required one is missing or wrong. `at` must be aware and not before the current state."""
    given = dict(data or {})
    allowed = NEXT_STATES[dispute.state]
    if to not in allowed:
        options = ", ".join(allowed) if allowed else f"none ({dispute.state} is final)"
        raise DisputeError(f"cannot go from {dispute.state} to {to}; allowed next: {options}")
    _check_actor(at, by)
    if dispute.entered_at is not None and at < dispute.entered_at:
        raise DisputeError(f"{to} at {at.isoformat()} is before {dispute.state} was entered")
    known = (*REQUIRED.get(to, ()), *OPTIONAL.get(to, ()), "note")
    unknown = sorted(set(given) - set(known))
    if unknown:
        raise DisputeError(f"{to} does not take {', '.join(unknown)}; it takes {', '.join(known)}")
    missing = [name for name in REQUIRED.get(to, ()) if given.get(name) in (None, "")]
    if missing:
        raise DisputeError(f"{to} requires {', '.join(missing)}")
    changes: dict[str, Any] = {"state": to, "entered_at": at}
    if to == SUBMITTED and "protocol" in given:
        changes["protocol"] = _text(given, "protocol")
    elif to == RECALCULATION_GRANTED:
        changes["recalculation_number"] = _text(given, "recalculation_number")
        resolution = given["resolution_date"]
        if not isinstance(resolution, date) or isinstance(resolution, datetime):
            raise DisputeError(f"resolution_date must be a date, got {resolution!r}")
        # Not before the dispute reached this step (a day of leeway: the entry is UTC, the date the reader's).
        if dispute.entered_at is not None and resolution < dispute.entered_at.date() - timedelta(days=1):
            raise DisputeError(
                f"resolution_date {resolution} is before the dispute was {dispute.state} ({dispute.entered_at.date()})"
            )
        changes["resolution_date"] = resolution
    elif to == CREDITED:
        changes["credited_amount"] = _credited(given["credited_amount"], dispute.disputed)
        changes["credit_reference"] = _text(given, "credit_reference")
    elif to == REFUSED:
        changes["reason"] = _text(given, "reason")
    entry = AuditEntry(at, by, dispute.state, to, MappingProxyType({k: _as_text(v) for k, v in sorted(given.items())}))
    return replace(dispute, **changes), entry


def deadline(state: str, entered_at: date, deadlines_days: Mapping[str, int] = DEFAULT_DEADLINE_DAYS) -> date | None:
    """The last day the other side has to act on a dispute that entered `state` on `entered_at`; None when
    closed. `deadlines_days` (the contract's) overrides the defaults state by state."""
    if state not in NEXT_STATES:
        raise DisputeError(f"unknown dispute state {state!r}")
    if not NEXT_STATES[state]:
        return None
    days = deadlines_days.get(state, DEFAULT_DEADLINE_DAYS[state])
    if days < 0:
        raise ValueError(f"deadline of {state} cannot be negative: {days} days")
    return entered_at + timedelta(days=days)


def follow_up_due(
    state: str,
    entered_at: date,
    today: date,
    deadlines_days: Mapping[str, int] = DEFAULT_DEADLINE_DAYS,
    *,
    days_before: int = 0,
) -> bool:
    """Whether to chase the other side: from `days_before` the state's deadline onwards (the deadline day
    included, overdue ones too), never once closed."""
    if days_before < 0:
        raise ValueError(f"days_before cannot be negative: {days_before}")
    due = deadline(state, entered_at, deadlines_days)
    return due is not None and today >= due - timedelta(days=days_before)


def due_date_alert(due_on: date, today: date, days_before: int) -> bool:
    """Whether a disputed invoice's due date is `days_before` days away or nearer; it stays on once past,
    since the undisputed part is still owed."""
    if days_before < 0:
        raise ValueError(f"days_before cannot be negative: {days_before}")
    return today >= due_on - timedelta(days=days_before)


def _check_actor(at: datetime, by: str) -> None:
    if at.tzinfo is None or at.utcoffset() is None:
        raise DisputeError("a dispute step needs an aware datetime (with its time zone)")
    if not by.strip():
        raise DisputeError("a dispute step needs who took it (by)")


def _text(given: Mapping[str, Any], name: str) -> str:
    value = given[name]
    if not isinstance(value, str) or not value.strip():
        raise DisputeError(f"{name} must be non-empty text, got {value!r}")
    return value.strip()


def _credited(value: object, disputed: Decimal) -> Decimal:
    if isinstance(value, float):
        raise DisputeError("credited_amount must be a Decimal or text, never a float")
    try:
        amount = to_decimal(value, "credited_amount")
    except ValueError as error:
        raise DisputeError(str(error)) from None
    if amount <= 0:
        raise DisputeError(f"credited_amount must be positive, got {amount}")
    if cents(amount) != amount:
        raise DisputeError(f"credited_amount must be in cents, got {amount}")
    if amount > disputed:
        raise DisputeError(f"credited_amount {amount} is above the disputed {disputed}")
    return amount


def _as_text(value: object) -> str:
    if isinstance(value, date):  # datetime too
        return value.isoformat()
    return str(value)
