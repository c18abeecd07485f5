"""HTTP endpoints of index series and readjustments: read a series, enter a month, preview or apply a contract's
readjustment, its notice to the client, and the recovery of undue charges."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post, put
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.exceptions import PermissionDeniedException
from litestar.params import FromPath, JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from ops import openapi
from ops.auth import Principal, requires
from ops.billing.indices import services
from ops.billing.indices.notice import check_lang, notice_filename, notice_pdf
from ops.billing.indices.schemas import IndexValueIn, ReadjustPreview, RecoveryIn, SeriesOut, SetValueOut
from ops.contracts.services import get_contract
from ops.db import utcnow
from ops.errors import InvalidInputError
from ops.http import parse_day, parse_month
from ops.idempotency.middleware import OPT as IDEMPOTENCY_KEY
from ops.l10n import asked_language

STAFF = requires("manager", "supervisor")
MANAGERS = requires("manager")
READERS = requires("manager", "supervisor", "client")


def _provider_wide(principal: Principal, what: str) -> None:
    # Series and prices are the provider's: a manager token scoped to one contract does not change them.
    if principal.contract_id is not None:
        raise PermissionDeniedException(f"{what} needs a provider-wide manager token")


def _actor(principal: Principal) -> str:
    return f"token:{principal.name}"


class IndexController(Controller):
    path = "/api/indices"
    tags = ("billing",)

    @get("/{index:str}", operation_id="GetIndexSeries", guards=[STAFF])
    async def get_series(
        self,
        db_session: NamedDependency[AsyncSession],
        index: FromPath[str],
        start: Annotated[str | None, QueryParameter(name="from", description="First month, YYYY-MM")] = None,
    ) -> SeriesOut:
        """The index's stored monthly values (% in the month) and every revision of a published value."""
        first = parse_month(start, "from") if start is not None else None
        return await services.series_detail(db_session, index=index, start=first)

    @put("/{index:str}/{month:str}", operation_id="SetIndexMonth", guards=[MANAGERS])
    async def set_month(
        self,
        request: Request[Principal, str, State],
        db_session: NamedDependency[AsyncSession],
        index: FromPath[str],
        month: FromPath[str],
        data: JSONBody[IndexValueIn],
    ) -> SetValueOut:
        """Enter one month by hand (e.g. a labour agreement's yearly % at its anniversary month, `cct_<code>`).
        A value other than the stored one is kept as a revision (old and new), never overwritten silently."""
        _provider_wide(request.user, "entering index values")
        return await services.set_value(
            db_session,
            index=index,
            month=parse_month(month, "month"),
            pct=data.pct,
            actor=_actor(request.user),
            source=data.source if data.source is not None else "manual",
        )


class ReadjustmentController(Controller):
    path = "/api/contracts/{code:str}/readjustments"
    tags = ("billing",)

    @get("/{on:str}", operation_id="GetReadjustment", guards=[READERS])
    async def get_readjustment(
        self,
        request: Request[Principal, str, State],
        db_session: NamedDependency[AsyncSession],
        code: FromPath[str],
        on: FromPath[str],
    ) -> ReadjustPreview:
        """The contract's readjustment on an anniversary: as applied, or a preview of it (index, months, factor,
        each price current and new)."""
        return await services.readjustment_for(
            db_session, contract_code=code, on=parse_day(on, "on"), principal=request.user
        )

    @post("/{on:str}", operation_id="ApplyReadjustment", guards=[MANAGERS], status_code=200)
    async def apply(
        self,
        request: Request[Principal, str, State],
        db_session: NamedDependency[AsyncSession],
        code: FromPath[str],
        on: FromPath[str],
    ) -> ReadjustPreview:
        """Apply the readjustment: its row and the new prices valid from the anniversary. Applying it again changes
        nothing and answers `already_applied: true`."""
        _provider_wide(request.user, "applying a readjustment")
        return await services.apply_readjustment(
            db_session, contract_code=code, on=parse_day(on, "on"), actor=_actor(request.user)
        )

    @get(
        "/{on:str}/notice.pdf",
        operation_id="GetReadjustmentNotice",
        guards=[READERS],
        media_type="application/pdf",
    )
    async def notice(
        self,
        request: Request[Principal, str, State],
        db_session: NamedDependency[AsyncSession],
        code: FromPath[str],
        on: FromPath[str],
        lang: Annotated[str, QueryParameter(description="pt-BR or en")] = "pt-BR",
    ) -> Response[bytes]:
        """The readjustment notice to the client as PDF (marked as a draft while not applied)."""
        language = check_lang(lang)
        preview = await services.readjustment_for(
            db_session, contract_code=code, on=parse_day(on, "on"), principal=request.user
        )
        content = await asyncio.to_thread(notice_pdf, preview, lang=language)  # layout is CPU work: off the loop
        return Response(
            content,
            media_type="application/pdf",
            headers={"Content-Disposition": f'inline; filename="{notice_filename(preview, lang=language)}"'},
        )


@post(
    "/api/contracts/{code:str}/recovery",
    operation_id="ProjectRecovery",
    tags=["billing"],
    guards=[requires("manager", "client")],
    status_code=200,
    media_type="application/json",
    # It stores nothing: a retry computes the same answer again (a PDF with its file name) rather than a stored copy.
    opt={**openapi.renders("application/json", "text/html", "application/pdf"), IDEMPOTENCY_KEY: False},
)
async def project_recovery(
    request: Request[Principal, str, State],
    db_session: NamedDependency[AsyncSession],
    code: FromPath[str],
    data: JSONBody[RecoveryIn],
    fmt: Annotated[str, QueryParameter(name="format", description="json, html or pdf")] = "json",
    lang: Annotated[str | None, QueryParameter(description="pt-BR, es-AR or en")] = None,
) -> Response[Any]:
    """What the client can recover of undue charges it paid: each line doubled (per the contract or the line),
    corrected by the contract's recovery index (never below the nominal amount), with interest, and what falls
    outside the route's window. Stores nothing."""
    from zoneinfo import ZoneInfo

    from ops.billing import documents
    from ops.billing.indices import recovery_report as report

    if fmt not in ("json", "html", "pdf"):
        raise InvalidInputError(
            f"format: {fmt!r} is not json, html or pdf", extra=[{"field": "format", "problem": "unknown"}]
        )
    contract = await get_contract(db_session, code=code, principal=request.user)
    if not data.lines:
        raise InvalidInputError("lines: empty", extra=[{"field": "lines", "problem": "no overpaid line"}])
    lines = [
        report.overpaid_line(x.description, x.paid_on, str(x.amount), x.doubled, f"lines[{i}].")
        for i, x in enumerate(data.lines)
    ]
    today = parse_day(data.on, "on") if data.on else utcnow().astimezone(ZoneInfo(contract.timezone)).date()
    result = await report.recovery_report(
        db_session, code=code, lines=lines, route=data.route, on=today, principal=request.user
    )
    view = report.report_view(result)
    if fmt == "json":
        return Response(view)
    html = documents.recovery_html(view, asked_language(lang))
    if fmt == "html":
        return Response(html.encode(), media_type="text/html; charset=utf-8")
    content = await asyncio.to_thread(documents.pdf, html)  # layout is CPU work: off the loop
    name = f"recovery-{code}-{today}.pdf"
    return Response(
        content, media_type="application/pdf", headers={"Content-Disposition": f'inline; filename="{name}"'}
    )


ROUTES: list[Any] = [IndexController, ReadjustmentController, project_recovery]
