"""HTTP endpoints of disputes: list them, one with its steps, the alerts to follow, open one, and move it a step."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.exceptions import PermissionDeniedException
from litestar.params import FromPath, JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from ops.auth import Principal, Role, requires
from ops.billing.disputes import services
from ops.billing.disputes.schemas import AdvanceIn, DisputeIn
from ops.billing.disputes.states import OPENED, SUBMITTED
from ops.billing.disputes.views import alert_view, dispute_views
from ops.contracts.services import get_contract
from ops.db import utcnow
from ops.http import parse_day

READERS: tuple[Role, ...] = ("manager", "supervisor", "client")
# What the client may open on its own contract: a contested line, or something on an invoice.
CLIENT_ORIGINS = ("measurement_line", "audit", "manual")


def _actor(principal: Principal) -> str:
    return f"{principal.role}:{principal.name}"


async def _one(session: AsyncSession, code: str, dispute_id: int, principal: Principal) -> dict[str, Any]:
    row = await services.get_dispute(session, code=code, dispute_id=dispute_id, principal=principal)
    return (await dispute_views(session, [row], with_steps=True))[0]


class DisputeController(Controller):
    path = "/api/contracts/{code:str}/disputes"
    tags = ("billing",)

    @get("/", operation_id="ListDisputes", guards=[requires(*READERS)])
    async def list_disputes(
        self,
        request: Request[Principal, str, State],
        db_session: NamedDependency[AsyncSession],
        code: FromPath[str],
        open_only: Annotated[bool, QueryParameter(name="open", description="Only the open ones")] = False,
    ) -> list[dict[str, Any]]:
        """The contract's disputes, newest first, with their amounts, state, deadline and follow-up."""
        rows = await services.list_disputes(db_session, code=code, principal=request.user, open_only=open_only)
        return await dispute_views(db_session, rows)

    @get("/alerts", operation_id="ListDisputeAlerts", guards=[requires("manager", "supervisor")])
    async def alerts(
        self,
        request: Request[Principal, str, State],
        db_session: NamedDependency[AsyncSession],
        code: FromPath[str],
        on: Annotated[str | None, QueryParameter(description="The day, YYYY-MM-DD; today when absent")] = None,
    ) -> list[dict[str, Any]]:
        """Disputes past their deadline or due a follow-up, and disputed invoices falling due."""
        contract = await get_contract(db_session, code=code, principal=request.user)
        today = parse_day(on, "on") if on is not None else services.local_day(contract, utcnow())
        found = await services.alerts(db_session, code=code, principal=request.user, today=today)
        return [alert_view(a) for a in found]

    @get("/{id:int}", operation_id="GetDispute", guards=[requires(*READERS)])
    async def get_one(
        self,
        request: Request[Principal, str, State],
        db_session: NamedDependency[AsyncSession],
        code: FromPath[str],
        id: FromPath[int],
    ) -> dict[str, Any]:
        """One dispute with every step: who, when, from which state to which, with what."""
        return await _one(db_session, code, id, request.user)

    @post("/", operation_id="OpenDispute", guards=[requires("manager", "client")], status_code=201)
    async def open(
        self,
        request: Request[Principal, str, State],
        db_session: NamedDependency[AsyncSession],
        code: FromPath[str],
        data: JSONBody[DisputeIn],
    ) -> dict[str, Any]:
        """Open a dispute. The client of the contract may open one from a contested measurement line or on an
        invoice; the manager from anything, an undue-charge ticket included."""
        contract = await get_contract(db_session, code=code, principal=request.user)
        if request.user.role == "client" and (
            data.origin not in CLIENT_ORIGINS or (data.origin == "manual" and data.invoice_number is None)
        ):
            raise PermissionDeniedException("a client opens a dispute from a measurement line or on an invoice")
        now = utcnow()
        row = await services.open_dispute(
            db_session,
            code=code,
            principal=request.user,
            actor=_actor(request.user),
            today=services.local_day(contract, now),
            now=now,
            origin=data.origin,
            description=data.description,
            disputed=data.disputed,
            billed=data.billed,
            invoice_number=data.invoice_number,
            month=data.month,
            line_position=data.line_position,
            ticket_id=data.ticket_id,
            audit_code=data.audit_code,
            follow_up=data.follow_up,
        )
        return await _one(db_session, code, row.id, request.user)

    @post("/{id:int}/advance", operation_id="AdvanceDispute", guards=[requires("manager", "client")], status_code=200)
    async def advance(
        self,
        request: Request[Principal, str, State],
        db_session: NamedDependency[AsyncSession],
        code: FromPath[str],
        id: FromPath[int],
        data: JSONBody[AdvanceIn],
    ) -> dict[str, Any]:
        """Move the dispute a step (409 naming the allowed next states on an illegal one, 422 naming a missing
        field). The client may only submit its own contract's opened dispute."""
        row = await services.get_dispute(db_session, code=code, dispute_id=id, principal=request.user)
        if request.user.role == "client" and (row.state, data.to) != (OPENED, SUBMITTED):
            raise PermissionDeniedException("a client may only submit an opened dispute; the provider takes the rest")
        step = {k: v for k, v in msgspec.structs.asdict(data).items() if k not in ("to", "follow_up")}
        await services.advance(
            db_session,
            code=code,
            dispute_id=id,
            to=data.to,
            data=step,
            actor=_actor(request.user),
            now=utcnow(),
            follow_up=data.follow_up,
            principal=request.user,
        )
        return await _one(db_session, code, id, request.user)


ROUTES: list[Any] = [DisputeController]
