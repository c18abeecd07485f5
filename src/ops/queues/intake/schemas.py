"""API shapes of intake: bulk results and mass-outage incidents."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

from ops import bounds
from ops.queues.schemas import TicketOut


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


class IncidentUpdate(bounds.Bounded, forbid_unknown_fields=True):
    forecast_end: datetime
