"""API shapes of a ticket, shared by intake (what was stored) and the ticket list and work views."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec


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
