"""API shapes of working a ticket: an action's request, and the ticket's work view (checklist, fields,
deadlines, allowed actions, history)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

import msgspec

from ops import bounds


class ActionIn(bounds.Bounded, forbid_unknown_fields=True):
    """`version` is the ticket version the caller saw; the other fields depend on the action:
    `message` (reply, note, customer_message, escalate; optional for pend, where it is the agent's note on why the
    ticket waits, never a reply, and for resume, resolve...),
    `queue` and `reason` (transfer), `fields` (fields, resolve), `item` and `done` (tick), `override` (resolve:
    the agent's reason to resolve with procedure steps unticked or no reply sent, when the contract allows it).
    `minutes` (any action; required by log_time): the time spent, more than 0 and at most 1440, with at most
    2 decimals, as a JSON number or a string ("12.5"); a number is read through its shortest text, so 12.1
    stays 12.1 (never float arithmetic), and anything else is a 422 naming `minutes`."""

    __multiline__ = frozenset({"message", "override"})

    version: int
    message: str | None = None
    queue: str | None = None
    reason: str | None = None
    fields: dict[str, Any] | None = None
    item: int | None = None
    done: bool | None = None
    override: str | None = None
    # Not typed Decimal: a string that is no number must meet the 422 naming `minutes`, not msgspec's 400.
    minutes: int | float | str | None = None


RowId = Annotated[int, msgspec.Meta(ge=1, le=bounds.MAX_ID)]


class AssignIn(bounds.Bounded, forbid_unknown_fields=True):
    """`agent`: the id of an agent of the ticket's contract with a skill for its queue, not offline, with room."""

    agent: RowId


class BulkActionIn(bounds.Bounded, forbid_unknown_fields=True):
    """One action over up to 200 tickets: `assign` (needs `agent`), `transfer` (needs `queue`, a queue code;
    `message` optional) or `reply` (needs `reply`, the title of a canned reply of the contract: each ticket gets its
    reason's reply of that title, its placeholders filled from the ticket)."""

    action: str
    tickets: Annotated[list[RowId], msgspec.Meta(max_length=200)]
    agent: RowId | None = None
    queue: str | None = None
    reply: str | None = None
    message: str | None = None


class BulkRefusedOut(msgspec.Struct):
    """A ticket the action refused: its status as a single call would answer, why in English (`detail`) and, when
    the service said it as a message, in the `Accept-Language`'s language (`message`), as an error answer has them."""

    ticket: int
    protocol: str
    status_code: int
    detail: str
    message: str | None = None


class BulkActionOut(msgspec.Struct):
    """The tickets done (kept) and those refused with why: one refused ticket leaves nothing behind."""

    done: list[int]
    refused: list[BulkRefusedOut]


class ChecklistItemOut(msgspec.Struct):
    step: str
    done: bool
    by: str | None
    at: str | None


class DeadlineOut(msgspec.Struct):
    kind: str
    started_at: datetime
    target_minutes: float
    due: datetime | None
    met_at: datetime | None
    minutes: float
    remaining_minutes: float
    breached: bool
    paused: bool


class EventOut(msgspec.Struct):
    id: int
    at: datetime
    actor: str
    action: str
    before: dict[str, Any]
    after: dict[str, Any]
    note: str | None


class TimeEntryOut(msgspec.Struct):
    """Minutes logged with an action (`log_time` when only time was logged); `note` is the action's message."""

    id: int
    at: datetime
    actor: str
    action: str
    minutes: Decimal
    note: str | None


class FieldOut(msgspec.Struct):
    code: str
    label: str
    type: str
    required: bool
    value: Any


class CannedReplyOut(msgspec.Struct):
    """A canned reply of the ticket's reason, its placeholders filled where the ticket can (others left as written)."""

    title: str
    text: str


class OtherTicketOut(msgspec.Struct):
    """Another ticket of the same customer (the CRM's customer id) and contract."""

    id: int
    protocol: str
    status: str
    subject: str
    created_at: datetime


class TicketWorkOut(msgspec.Struct):
    id: int
    protocol: str
    version: int
    status: str
    queue: str
    reason: str | None
    priority: str
    critical: bool
    flagged: bool
    subject: str
    body: str
    customer: dict[str, Any]
    created_at: datetime
    assigned_agent_id: int | None
    assigned_agent: str | None
    first_response_due: datetime | None
    next_response_due: datetime | None
    resolution_due: datetime | None
    first_response_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    first_response_breached: bool
    resolution_breached: bool
    first_response_minutes: float | None
    resolution_minutes: float | None
    checklist: list[ChecklistItemOut]
    fields: list[FieldOut]
    deadlines: list[DeadlineOut]
    allowed_actions: list[str]
    history: list[EventOut]
    time_entries: list[TimeEntryOut]
    minutes_logged: Decimal
    canned_replies: list[CannedReplyOut] = []
    other_tickets: list[OtherTicketOut] = []
    # Whether a resolve would be refused now (steps unticked or no reply) and whether `override` may pass it.
    resolve_blocked: bool = False
    resolve_override_allowed: bool = True
