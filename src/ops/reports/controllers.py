"""HTTP endpoints of the reports domain: report data, delivered reports and their files, send status."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from ops import openapi
from ops.auth import Principal, Role, requires
from ops.http import parse_day, to_struct
from ops.reports import services
from ops.reports.delivery.sending import redact_urls
from ops.reports.delivery.storage import read_stored
from ops.reports.rendering.formats import MEDIA_TYPES
from ops.reports.report import report_json
from ops.reports.schemas import AttemptOut, DeliveredOut, SendOut

READERS: tuple[Role, ...] = ("manager", "supervisor", "client")


class ReportController(Controller):
    path = "/api/reports"
    tags = ("reports",)

    @get("/{code:str}/sla", operation_id="GetSlaReport", guards=[requires(*READERS)])
    async def sla(
        self,
        request: Request[Principal, str, State],
        db_session: NamedDependency[AsyncSession],
        code: FromPath[str],
        start: Annotated[str, QueryParameter(name="from", description="First local date, YYYY-MM-DD")],
        end: Annotated[str, QueryParameter(name="to", description="Last local date (inclusive), YYYY-MM-DD")],
    ) -> dict[str, Any]:
        """The report data of the contract for local dates from..to (inclusive), as `ops report sla` gives it."""
        data = await services.sla_report(
            db_session,
            code=code,
            start=parse_day(start, "from", history=True),
            end=parse_day(end, "to", history=True),
            principal=request.user,
        )
        return report_json(data)

    @get("/{code:str}/delivered", operation_id="ListDeliveredReports", guards=[requires(*READERS)])
    async def delivered(
        self,
        request: Request[Principal, str, State],
        db_session: NamedDependency[AsyncSession],
        code: FromPath[str],
    ) -> list[DeliveredOut]:
        rows = await services.list_delivered(db_session, code=code, principal=request.user)
        return [
            to_struct(
                DeliveredOut,
                r,
                sha256=r.checksum,
                data_cutoff=r.data_cutoff.isoformat(),
                created_at=r.created_at.isoformat(),
                download=f"/api/reports/{code}/delivered/{r.id}/file",
            )
            for r in rows
        ]

    @get(
        "/{code:str}/delivered/{id:int}/file",
        operation_id="DownloadDeliveredReport",
        guards=[requires(*READERS)],
        media_type="application/octet-stream",
        opt=openapi.renders(*(kind.split(";")[0] for kind in MEDIA_TYPES.values())),
    )
    async def download(
        self,
        request: Request[Principal, str, State],
        db_session: NamedDependency[AsyncSession],
        code: FromPath[str],
        id: FromPath[int],
    ) -> Response[bytes]:
        """The file exactly as delivered; refused (409) if it no longer matches its SHA-256."""
        row = await services.get_delivered(db_session, code=code, report_id=id, principal=request.user)
        content = read_stored(request.app.state.settings, row)
        return Response(
            content,
            media_type=row.media_type,
            headers={
                "Content-Disposition": f'attachment; filename="{row.filename}"',
                "X-Content-SHA256": row.checksum,
                "Cache-Control": "private, max-age=3600, immutable",
            },
        )

    @get("/{code:str}/sends", operation_id="ListReportSends", guards=[requires("manager", "supervisor")])
    async def sends(
        self,
        request: Request[Principal, str, State],
        db_session: NamedDependency[AsyncSession],
        code: FromPath[str],
    ) -> list[SendOut]:
        """Every e-mail and webhook send of the contract's deliveries, failures and retries included."""
        rows = await services.list_sends(db_session, code=code, principal=request.user)
        return [
            to_struct(
                SendOut,
                s,
                target=redact_urls(s.target),  # a webhook URL's user:password@ and query never leave
                next_attempt_at=s.next_attempt_at.isoformat() if s.next_attempt_at else None,
                sent_at=s.sent_at.isoformat() if s.sent_at else None,
                attempt_log=[to_struct(AttemptOut, a, at=a.at.isoformat()) for a in s.attempt_log],
            )
            for s in rows
        ]
