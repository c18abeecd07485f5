"""API shapes of intake: deliveries as documented, bulk results and mass-outage incidents."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from ops import bounds
from ops.queues.schemas import TicketOut

# A delivery is read field by field by `rules.parse_ticket` (every bad field named, unknown fields kept in the
# ticket's raw payload: CRMs send more than we need), so these shapes document it for the OpenAPI document and
# are never the decoder. tests/unit/queues/intake/test_delivery_shape.py holds them to the rules.
Channel = Literal[
    "crm", "email", "web", "fax", "phone", "chat", "whatsapp", "sms", "app",
    "social", "facebook", "instagram", "twitter", "x", "tiktok", "youtube", "linkedin",
    "reclame_aqui", "consumidor_gov", "regulator",
]  # fmt: skip


Text2 = Annotated[str, msgspec.Meta(max_length=2)]
Text10 = Annotated[str, msgspec.Meta(max_length=10)]
Text50 = Annotated[str, msgspec.Meta(max_length=50)]
Text100 = Annotated[str, msgspec.Meta(max_length=100)]
Text200 = Annotated[str, msgspec.Meta(max_length=200)]
Text500 = Annotated[str, msgspec.Meta(max_length=500)]
Count = Annotated[int, msgspec.Meta(ge=0, lt=10**18)]


class CustomerIn(msgspec.Struct):
    id: Text200 | None = None
    name: Text200 | None = None
    area: Text200 | None = None
    segment: Text50 | None = None
    handle: Text100 | None = None
    state: Text2 | None = None
    region: Text10 | None = None
    followers: Count | None = None


class TicketIn(msgspec.Struct):
    """One CRM delivery. Stored once per (contract, source, external_id); a repeat answers the stored ticket."""

    external_id: Annotated[str, msgspec.Meta(min_length=1, max_length=200)] | Count
    channel: Channel
    contract: Text50 | None = None
    source: Text50 | None = None
    reason: Text50 | None = None
    subject: Text500 | None = None
    body: Annotated[str, msgspec.Meta(max_length=20_000)] | None = None
    customer: CustomerIn | None = None
    created_at: datetime | None = None


class BulkIn(msgspec.Struct):
    tickets: Annotated[list[TicketIn], msgspec.Meta(max_length=1000)]
    contract: Text50 | None = None


Bulk = Annotated[list[TicketIn], msgspec.Meta(max_length=1000)] | BulkIn


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
