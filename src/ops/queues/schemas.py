"""API shapes of the queues domain (tickets, bulk results, agents, incidents) and the checks of
its contract-file sections (classification, priority, CRM webhook secret), run on contract load."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Literal

import msgspec

from ops.contracts.document import register_section_validator
from ops.queues.priority import parse_policy
from ops.queues.routing import parse_rules

# Only variables meant for it: a contract naming HOME or OPS_SMTP_PASSWORD would make a guessable value,
# or one of our own secrets, the key a CRM signs with.
_ENV_NAME = re.compile(r"OPS_CRM_[A-Z0-9_]{1,120}")


def check_secret_env(value: object) -> None:
    if value is not None and (not isinstance(value, str) or not _ENV_NAME.fullmatch(value)):
        # The value is not echoed: it may be the secret itself, pasted by mistake.
        raise ValueError(
            "must name an environment variable starting with OPS_CRM_ (A-Z, 0-9, _); the secret goes in that variable"
        )


register_section_validator(
    "classification", lambda rules, contract: parse_rules(rules, known_queues={q.code for q in contract.queues})
)
register_section_validator("priority", lambda policy, _: parse_policy(policy))
register_section_validator("crm_webhook_secret_env", lambda value, _: check_secret_env(value))


class IncidentRef(msgspec.Struct):
    id: int
    area: str
    status: str
    opened_at: datetime
    forecast_end: datetime | None


class TicketOut(msgspec.Struct):
    id: int
    protocol: str
    contract: str
    source: str
    external_id: str
    channel: str
    queue: str
    reason: str | None
    status: str
    priority: str
    score: float
    critical: bool
    flagged: bool
    subject: str
    customer: dict[str, Any]
    classification: dict[str, Any]
    created_at: datetime
    received_at: datetime
    first_response_due: datetime | None
    next_response_due: datetime | None
    resolution_due: datetime | None
    assigned_agent_id: int | None
    assigned_at: datetime | None
    incident: IncidentRef | None
    first_response_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None


class RowResultOut(msgspec.Struct):
    """One row of a bulk delivery: `index` counts from 0 in the order sent."""

    index: int
    status: Literal["created", "existing", "rejected"]
    ticket: TicketOut | None = None
    errors: list[dict[str, str]] = []


class BulkOut(msgspec.Struct):
    created: int
    existing: int
    rejected: int
    results: list[RowResultOut]


class AgentOut(msgspec.Struct):
    id: int
    name: str
    contract: str
    position: str | None
    skills: dict[str, int]
    status: str
    capacity: int
    open_count: int
    idle_since: datetime | None
    last_assigned_at: datetime | None


class AgentStatusIn(msgspec.Struct, forbid_unknown_fields=True):
    status: Literal["available", "busy", "break", "offline"]
    position: str | None = None


class IncidentOut(msgspec.Struct):
    id: int
    contract: str
    area: str
    status: str
    opened_at: datetime
    forecast_end: datetime | None
    resolved_at: datetime | None
    note: str | None
    tickets: int


class IncidentResolved(msgspec.Struct):
    incident: IncidentOut
    tickets_resolved: int


class IncidentUpdate(msgspec.Struct, forbid_unknown_fields=True):
    forecast_end: datetime
