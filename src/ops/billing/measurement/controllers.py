"""HTTP endpoints of the monthly measurement: draft it, read it and its document, submit it, and the client's
approval or contest of its lines."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from ops import bounds, openapi
from ops.auth import Principal, Role, requires
from ops.billing.measurement import services
from ops.billing.measurement.commands import render_measurement
from ops.billing.measurement.schemas import AdjustmentIn, ApprovalIn, ContestIn
from ops.billing.measurement.views import measurement_view
from ops.billing.money import cents
from ops.contracts.services import get_contract
from ops.errors import InvalidInputError
from ops.l10n import asked_language

READERS: tuple[Role, ...] = ("manager", "supervisor", "client")
MEDIA = {
    "pdf": "application/pdf",
    "html": "text/html; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
}


def _actor(principal: Principal) -> str:
    return f"{principal.role}:{principal.name}"


async def _view(
    session: AsyncSession, code: str, month: str, principal: Principal, version: int | None = None
) -> dict[str, Any]:
    row = await services.get_measurement(session, code=code, month=month, principal=principal, version=version)
    contract = await get_contract(session, code=code, principal=principal)
    return measurement_view(row, contract, await services.events(session, measurement_id=row.id))


class MeasurementController(Controller):
    path = "/api/contracts/{code:str}/measurements"
    tags = ("billing",)

    @get("/", operation_id="ListMeasurements", guards=[requires(*READERS)])
    async def list_measurements(
        self, request: Request[Principal, str, State], db_session: NamedDependency[AsyncSession], code: FromPath[str]
    ) -> list[dict[str, Any]]:
        """Every version of every month, newest first (without lines' history)."""
        contract = await get_contract(db_session, code=code, principal=request.user)
        return [
            measurement_view(r, contract)
            for r in await services.list_measurements(db_session, code=code, principal=request.user)
        ]

    @get("/{month:str}", operation_id="GetMeasurement", guards=[requires(*READERS)])
    async def get_one(
        self,
        request: Request[Principal, str, State],
        db_session: NamedDependency[AsyncSession],
        code: FromPath[str],
        month: FromPath[str],
        # Bounded like an id: -3787518121303564009603072 reached the database, a 500.
        version: Annotated[
            int | None, QueryParameter(description="A version; the latest when absent", ge=1, le=bounds.MAX_ID)
        ] = None,
    ) -> dict[str, Any]:
        return await _view(db_session, code, month, request.user, version)

    @get(
        "/{month:str}/document",
        operation_id="GetMeasurementDocument",
        guards=[requires(*READERS)],
        media_type="application/octet-stream",
        opt=openapi.renders(*(kind.split(";")[0] for kind in MEDIA.values())),
    )
    async def document(
        self,
        request: Request[Principal, str, State],
        db_session: NamedDependency[AsyncSession],
        code: FromPath[str],
        month: FromPath[str],
        fmt: Annotated[str, QueryParameter(name="format", description="pdf, html, xlsx or json")] = "pdf",
        lang: Annotated[str | None, QueryParameter(description="pt-BR, es-AR or en")] = None,
    ) -> Response[bytes]:
        if fmt not in MEDIA:
            raise InvalidInputError(
                f"format: {fmt!r} is not pdf, html, xlsx or json", extra=[{"field": "format", "problem": "unknown"}]
            )
        view = await _view(db_session, code, month, request.user)
        content = render_measurement(view, fmt, asked_language(lang))
        name = f"measurement-{code}-{month}-v{view['version']}.{fmt}"
        return Response(content, media_type=MEDIA[fmt], headers={"Content-Disposition": f'inline; filename="{name}"'})

    @post("/{month:str}", operation_id="DraftMeasurement", guards=[requires("manager")], status_code=200)
    async def draft(
        self,
        request: Request[Principal, str, State],
        db_session: NamedDependency[AsyncSession],
        code: FromPath[str],
        month: FromPath[str],
    ) -> dict[str, Any]:
        """Draft the month from what was delivered; a draft is recomputed, a contested one becomes a new version."""
        await get_contract(db_session, code=code, principal=request.user)
        await services.draft(db_session, code=code, month=month, actor=_actor(request.user))
        return await _view(db_session, code, month, request.user)

    @post("/{month:str}/submit", operation_id="SubmitMeasurement", guards=[requires("manager")], status_code=200)
    async def submit(
        self,
        request: Request[Principal, str, State],
        db_session: NamedDependency[AsyncSession],
        code: FromPath[str],
        month: FromPath[str],
    ) -> dict[str, Any]:
        await get_contract(db_session, code=code, principal=request.user)
        await services.submit(db_session, code=code, month=month, actor=_actor(request.user))
        return await _view(db_session, code, month, request.user)

    @post(
        "/{month:str}/approve",
        operation_id="ApproveMeasurement",
        guards=[requires("client", "manager")],
        status_code=200,
    )
    async def approve(
        self,
        request: Request[Principal, str, State],
        db_session: NamedDependency[AsyncSession],
        code: FromPath[str],
        month: FromPath[str],
        data: JSONBody[ApprovalIn],
    ) -> dict[str, Any]:
        """The client approves the submitted measurement; a manager records an approval given in writing (`by`)."""
        await get_contract(db_session, code=code, principal=request.user)
        by = data.by.strip() if data.by else None
        if request.user.role == "manager" and not by:
            raise InvalidInputError(
                "by: a manager records who approved it in writing", extra=[{"field": "by", "problem": "required"}]
            )
        await services.approve(
            db_session, code=code, month=month, principal=request.user, actor=_actor(request.user), by=by
        )
        return await _view(db_session, code, month, request.user)

    @post("/{month:str}/contest", operation_id="ContestMeasurement", guards=[requires("client")], status_code=200)
    async def contest(
        self,
        request: Request[Principal, str, State],
        db_session: NamedDependency[AsyncSession],
        code: FromPath[str],
        month: FromPath[str],
        data: JSONBody[ContestIn],
    ) -> dict[str, Any]:
        await get_contract(db_session, code=code, principal=request.user)
        reasons: dict[int, str] = {}
        for key, text in data.lines.items():
            if not key.isdecimal():
                raise InvalidInputError(
                    f"lines.{key}: not a line number", extra=[{"field": f"lines.{key}", "problem": "not a line number"}]
                )
            reasons[int(key)] = text
        await services.contest(
            db_session, code=code, month=month, principal=request.user, actor=_actor(request.user), reasons=reasons
        )
        return await _view(db_session, code, month, request.user)


class AdjustmentController(Controller):
    path = "/api/contracts/{code:str}/adjustments"
    tags = ("billing",)

    @post("/", operation_id="AddBillingAdjustment", guards=[requires("manager")], status_code=201)
    async def add(
        self,
        request: Request[Principal, str, State],
        db_session: NamedDependency[AsyncSession],
        code: FromPath[str],
        data: JSONBody[AdjustmentIn],
    ) -> dict[str, Any]:
        """An amount carried to the next measurement drafted, naming the invoice it corrects."""
        if not data.amount.is_finite() or cents(data.amount) != data.amount:
            raise InvalidInputError(
                "amount: an amount in cents", extra=[{"field": "amount", "problem": "not an amount in cents"}]
            )
        await get_contract(db_session, code=code, principal=request.user)
        invoice_id = None
        if data.invoice is not None:
            from ops.billing.invoices.services import get_invoice

            invoice_id = (await get_invoice(db_session, code=code, number=data.invoice, principal=request.user)).id
        row = await services.add_adjustment(
            db_session,
            code=code,
            description=data.description,
            amount=data.amount,
            actor=_actor(request.user),
            invoice_id=invoice_id,
        )
        return {"id": row.id, "amount": str(row.amount), "description": row.description, "invoice": data.invoice}


ROUTES: list[Any] = [MeasurementController, AdjustmentController]
