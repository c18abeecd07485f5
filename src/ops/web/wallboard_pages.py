"""The voice wallboard page (`/wallboard`, supervisors and managers): each inbound voice queue's calls waiting,
longest wait, agents by state and today's service level so far against target, in large figures coloured amber
and red by the contract's levels. The server renders it (Babel formats, the catalogues' words); a small static
script (`static/wallboard.js`) fetches the same page every few seconds and swaps the board in."""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from ops.auth import STAFF, Principal, requires
from ops.db import utcnow
from ops.l10n import N_
from ops.reports.wallboard import services
from ops.web.render import page

REFRESH_SECONDS = 5

PHRASES: dict[str, str] = {
    "wb_title": N_("Wallboard"),
    "wb_service_level": N_("Service level today"),
    "wb_target": N_("target"),
    "wb_within": N_("answered within"),
    "wb_calls_waiting": N_("Calls waiting"),
    "wb_longest_wait": N_("Longest wait"),
    "wb_logged_in": N_("Agents logged in"),
    "wb_available": N_("Available"),
    "wb_on_call": N_("On a call"),
    "wb_paused": N_("Paused"),
    "wb_offered": N_("offered"),
    "wb_answered": N_("answered"),
    "wb_abandoned": N_("abandoned"),
    "wb_since": N_("live since"),
    "wb_intervals_until": N_("interval statistics until"),
    "wb_updated": N_("Updated"),
    "wb_stale": N_("No live data from the telephony platform"),
    "wb_never": N_("The telephony platform has sent nothing for this queue yet."),
    "wb_no_queues": N_("No inbound voice queue to show."),
    "wb_offline": N_("Connection lost: the board is not updating."),
    "wb_level_ok": N_("on target"),
    "wb_level_amber": N_("attention"),
    "wb_level_red": N_("critical level"),
    "wb_no_calls": N_("no calls yet today"),
    "wb_refresh": N_("Refreshes every 5 seconds."),
}


@get("/wallboard", operation_id="WallboardPage", include_in_schema=False, guards=[requires(*STAFF)])
async def wallboard_page(
    request: Request[Principal, Any, State],
    db_session: NamedDependency[AsyncSession],
    contract: FromQuery[str | None] = None,
) -> Template:
    now = utcnow()
    queues = await services.wallboard(db_session, principal=request.user, contract_code=contract, now=now)
    several = len({q.contract for q in queues}) > 1
    return page(request, "wallboard.html", queues=queues, several=several, now=now, refresh=REFRESH_SECONDS)


ROUTES: list[Any] = [wallboard_page]
