"""HTTP endpoints of intake: tickets (single, bulk, list, one), the signed CRM webhook, and mass-outage incidents."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from litestar import Controller, Request, Response, get, patch, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.exceptions import NotAuthorizedException
from litestar.params import FromPath, FromQuery, JSONBody, RawBody
from sqlalchemy.ext.asyncio import AsyncSession

from ops import decoding, openapi
from ops.auth import EVERYONE, STAFF, Principal, Role, requires
from ops.config import Settings
from ops.contracts.models import Contract
from ops.errors import InvalidInputError, NotFoundError
from ops.http import to_struct
from ops.limits import limited
from ops.queues import tickets
from ops.queues.intake import incidents, rules, services
from ops.queues.intake.schemas import (
    Bulk,
    BulkOut,
    IncidentOut,
    IncidentResolved,
    IncidentUpdate,
    RowResultOut,
    TicketIn,
)
from ops.queues.models import Incident
from ops.queues.schemas import TicketOut

INTAKE_ROLES: tuple[Role, ...] = ("manager", "supervisor", "client")
# The bodies intake reads itself (rules.parse_ticket names every bad field; unknown fields are kept, not refused).
ONE_TICKET = openapi.Body(
    {"application/json": TicketIn}, "One delivery; `contract` defaults to the token's own contract."
)
MANY_TICKETS = openapi.Body(
    {"application/json": Bulk}, "A list of deliveries, or {contract, tickets}; a bad row is reported, not stored."
)
STORED = openapi.succeeds(s201="Stored now.", s200="Delivered before: the ticket as stored then.")
SIGNED_TICKET = openapi.Body(
    {"application/json": TicketIn},
    "One delivery signed with the contract's secret.",
    headers=(
        openapi.Header("X-Ops-Signature", 'sha256=<hex HMAC-SHA256 of "<X-Ops-Timestamp>.<raw body>">', True),
        openapi.Header("X-Ops-Timestamp", "Unix seconds, within the tolerance", True),
        openapi.Header("X-Ops-Contract", "the contract's code (else the body's `contract`)"),
    ),
)


def _settings(request: Request[Any, Any, State]) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _ticket_response(received: services.Delivered) -> Response[TicketOut]:
    return Response(received.view, status_code=201 if received.created else 200)


class TicketController(Controller):
    path = "/api/tickets"
    tags = ("tickets",)

    @post(
        "/",
        operation_id="CreateTicket",
        guards=[requires(*INTAKE_ROLES)],
        opt={**openapi.reads(ONE_TICKET), **STORED},
    )
    async def create(
        self, request: Request[Principal, str, State], db_session: NamedDependency[AsyncSession], body: RawBody
    ) -> Response[TicketOut]:
        """Take one ticket from the CRM: 201 with its protocol, queue, priority and SLA due times,
        or 200 with the ticket already stored under the same (contract, source, external_id)."""
        data = decoding.decode_json(body)
        named = isinstance(data, Mapping) and isinstance(data.get("contract"), str)
        received = await services.receive_ticket(
            db_session,
            contract_code=None if named else await _own_contract_code(db_session, request.user),
            data=data,
            source_kind="api",
            principal=request.user,
            max_body_chars=_settings(request).max_ticket_body_chars,
        )
        return _ticket_response(received)

    @post(
        "/bulk",
        operation_id="CreateTicketsBulk",
        guards=[requires(*INTAKE_ROLES)],
        status_code=200,
        opt=openapi.reads(MANY_TICKETS),
    )
    async def bulk(
        self, request: Request[Principal, str, State], db_session: NamedDependency[AsyncSession], body: RawBody
    ) -> BulkOut:
        """Take many tickets: a JSON list, or {"contract": ..., "tickets": [...]}. Good rows are
        stored, bad ones come back with their problems; one result per row, in order."""
        data = decoding.decode_json(body)
        contract = None
        if isinstance(data, Mapping):
            contract = data.get("contract") if isinstance(data.get("contract"), str) else None
            data = data.get("tickets")
        if not isinstance(data, list):
            raise InvalidInputError(
                "tickets: expected a list", extra=[{"field": "tickets", "problem": "expected a list of tickets"}]
            )
        if len(data) > rules.MAX_BULK_ROWS:
            raise InvalidInputError(
                f"tickets: at most {rules.MAX_BULK_ROWS} per request",
                extra=[{"field": "tickets", "problem": f"{len(data)} rows, at most {rules.MAX_BULK_ROWS}"}],
            )
        if contract is None:
            contract = await _own_contract_code(db_session, request.user)
        results = await services.create_tickets(
            db_session,
            contract_code=contract,
            rows=data,
            source_kind="bulk",
            principal=request.user,
            max_body_chars=_settings(request).max_ticket_body_chars,
        )
        out = [to_struct(RowResultOut, r) for r in results]
        return BulkOut(
            created=sum(r.status == "created" for r in results),
            existing=sum(r.status == "existing" for r in results),
            rejected=sum(r.status == "rejected" for r in results),
            results=out,
        )

    @get("/", operation_id="ListTickets", guards=[requires(*EVERYONE)])
    async def list_tickets(
        self,
        request: Request[Principal, str, State],
        db_session: NamedDependency[AsyncSession],
        contract: FromQuery[str | None] = None,
        queue: FromQuery[str | None] = None,
        status: FromQuery[str | None] = None,
        flagged: FromQuery[bool | None] = None,
        limit: FromQuery[int] = 100,
    ) -> list[TicketOut]:
        rows = await tickets.list_tickets(
            db_session,
            principal=request.user,
            contract_code=contract,
            queue_code=queue,
            status=status,
            flagged=flagged,
            limit=limit,
        )
        return await tickets.ticket_views(db_session, rows)

    @get("/{ticket_id:int}", operation_id="GetTicket", guards=[requires(*EVERYONE)])
    async def get_ticket(
        self,
        request: Request[Principal, str, State],
        db_session: NamedDependency[AsyncSession],
        ticket_id: FromPath[int],
    ) -> TicketOut:
        ticket = await tickets.get_ticket(db_session, ticket_id=ticket_id, principal=request.user)
        (view,) = await tickets.ticket_views(db_session, [ticket])
        return view


async def _own_contract_code(session: AsyncSession, principal: Principal) -> str | None:
    """A contract-scoped token's contract: the default when a delivery does not name one."""
    if principal.contract_id is None:
        return None
    contract = await session.get(Contract, principal.contract_id)
    return contract.code if contract is not None else None


@post(
    "/api/webhooks/crm",
    operation_id="CrmWebhook",
    tags=["tickets"],
    exclude_from_auth=True,
    status_code=200,
    guards=[limited("webhook", "webhook_calls_per_minute")],
    opt={
        **openapi.reads(
            SIGNED_TICKET,
            e401="A missing or bad signature, a stale timestamp, or a contract without a webhook secret.",
            e429="Past OPS_WEBHOOK_CALLS_PER_MINUTE calls from one address in a minute; Retry-After says when.",
        ),
        **STORED,
    },
)
async def crm_webhook(
    request: Request[Any, Any, State], db_session: NamedDependency[AsyncSession], body: RawBody
) -> Response[TicketOut]:
    """One ticket signed by the CRM: `X-Ops-Signature: sha256=<hex HMAC-SHA256 of
    "<X-Ops-Timestamp>.<raw body>">` with the contract's secret, `X-Ops-Timestamp` in Unix seconds,
    and the contract in `X-Ops-Contract` (or the body's `contract`). A bad signature or a stale
    timestamp gets 401 and stores nothing; past OPS_WEBHOOK_CALLS_PER_MINUTE calls from one address in a minute,
    429 with Retry-After."""
    settings = _settings(request)
    timestamp, signature = request.headers.get("x-ops-timestamp"), request.headers.get("x-ops-signature")
    if not timestamp or not signature:
        raise NotAuthorizedException("missing X-Ops-Timestamp or X-Ops-Signature header")
    code = request.headers.get("x-ops-contract")
    data: Any = None
    if not code:
        data = decoding.decode_json(body)
        code = data.get("contract") if isinstance(data, Mapping) and isinstance(data.get("contract"), str) else None
    if not code:
        raise NotAuthorizedException("name the contract in X-Ops-Contract")
    try:
        loaded = await services.load_intake(db_session, contract_code=code)
    except InvalidInputError:
        raise NotAuthorizedException("webhook not configured for this contract") from None
    secret = services.webhook_secret(loaded.rules)
    if secret is None:
        raise NotAuthorizedException("webhook not configured for this contract")
    problem = rules.signature_problem(
        secret=secret,
        body=body,
        timestamp=timestamp,
        signature=signature,
        now=time.time(),
        tolerance=settings.webhook_tolerance_seconds,
    )
    if problem is not None:
        raise NotAuthorizedException(problem)
    if data is None:
        data = decoding.decode_json(body)
    received = await services.receive_ticket(
        db_session,
        contract_code=code,
        data=data,
        source_kind="webhook",
        max_body_chars=settings.max_ticket_body_chars,
    )
    return _ticket_response(received)


# --- incidents -----------------------------------------------------------------------------------


def _incident_out(incident: Incident, contract: str, tickets: int) -> IncidentOut:
    return to_struct(IncidentOut, incident, contract=contract, tickets=tickets)


async def _one_incident(session: AsyncSession, principal: Principal, incident_id: int) -> IncidentOut:
    for incident, contract, count in await incidents.list_incidents(session, principal=principal):
        if incident.id == incident_id:
            return _incident_out(incident, contract, count)
    raise NotFoundError(f"no incident {incident_id}")


class IncidentController(Controller):
    path = "/api/incidents"
    tags = ("incidents",)

    @get("/", operation_id="ListIncidents", guards=[requires(*EVERYONE)])
    async def list_incidents(
        self,
        request: Request[Principal, str, State],
        db_session: NamedDependency[AsyncSession],
        status: FromQuery[str | None] = None,
    ) -> list[IncidentOut]:
        rows = await incidents.list_incidents(db_session, principal=request.user, status=status)
        return [_incident_out(i, c, n) for i, c, n in rows]

    @patch("/{id:int}", operation_id="UpdateIncident", guards=[requires(*STAFF)])
    async def update(
        self,
        request: Request[Principal, str, State],
        db_session: NamedDependency[AsyncSession],
        id: FromPath[int],
        data: JSONBody[IncidentUpdate],
    ) -> IncidentOut:
        """Move the forecast end shown on every linked ticket."""
        await incidents.extend_incident(
            db_session, incident_id=id, principal=request.user, forecast_end=data.forecast_end
        )
        return await _one_incident(db_session, request.user, id)

    @post("/{id:int}/resolve", operation_id="ResolveIncident", guards=[requires(*STAFF)], status_code=200)
    async def resolve(
        self,
        request: Request[Principal, str, State],
        db_session: NamedDependency[AsyncSession],
        id: FromPath[int],
    ) -> IncidentResolved:
        """End the outage: the incident and its linked open tickets are resolved together."""
        _, count = await incidents.resolve_incident(
            db_session, incident_id=id, principal=request.user, actor=f"token:{request.user.name}"
        )
        return IncidentResolved(incident=await _one_incident(db_session, request.user, id), tickets_resolved=count)


ROUTES: list[Any] = [TicketController, crm_webhook, IncidentController]
