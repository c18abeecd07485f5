"""HTTP endpoints of index series and readjustments: read a series, enter a month, preview or apply a contract's
readjustment, and its notice to the client."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post, put
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.exceptions import PermissionDeniedException
from litestar.params import FromPath, JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from ops.auth import Principal, requires
from ops.billing.indices import services
from ops.billing.indices.notice import check_lang, notice_filename, notice_pdf
from ops.billing.indices.schemas import IndexValueIn, ReadjustPreview, SeriesOut, SetValueOut
from ops.http import parse_day, parse_month

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


ROUTES: list[Any] = [IndexController, ReadjustmentController]
