"""HTTP endpoints of the wallboard: the telephony platform posts its queues' real-time statistics; staff read the
board as JSON (the page, `web/wallboard_pages.py`, shows the same)."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromQuery, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from ops import openapi
from ops.auth import STAFF, Principal, requires
from ops.db import utcnow
from ops.reports.wallboard import board, services
from ops.reports.wallboard.schemas import (
    BoardOut,
    QueueBoardOut,
    QueueStatsIn,
    QueueStatsPost,
    StatsResult,
    StoredOut,
)


def reading(data: QueueStatsIn) -> board.Reading:
    return board.Reading(
        queue=data.queue,
        calls_waiting=data.calls_waiting,
        longest_wait_seconds=data.longest_wait_seconds,
        agents_logged_in=data.agents_logged_in,
        agents_available=data.agents_available,
        agents_on_call=data.agents_on_call,
        agents_paused=data.agents_paused,
        counters=board.Counters(
            answered=data.answered,
            abandoned=data.abandoned,
            answered_within=data.answered_within,
            abandoned_within=data.abandoned_within,
            short_abandons=data.short_abandons,
        ),
        threshold_seconds=data.threshold_seconds,
    )


@post("/api/telephony/queues", operation_id="PostQueueStats", guards=[requires("telephony")], status_code=200)
async def post_queue_stats(
    request: Request[Principal, str, State], db_session: NamedDependency[AsyncSession], data: JSONBody[QueueStatsPost]
) -> StatsResult:
    """The telephony platform's real-time statistics of its queues, counted from the contract's local midnight:
    each becomes the queue's latest snapshot (an older reading than the one stored is ignored, `stored: false`).
    A bad field is a 422 naming it (`queues[0].answered_within`) and nothing of the post is stored."""
    contract, when, stored = await services.post_readings(
        db_session,
        principal=request.user,
        contract_code=data.contract,
        readings=[reading(q) for q in data.queues],
        observed_at=data.observed_at,
    )
    return StatsResult(
        contract=contract.code,
        observed_at=when,
        queues=[StoredOut(queue=s.queue, platform_queue=s.platform_queue, stored=s.stored) for s in stored],
    )


def board_out(q: services.QueueBoard) -> QueueBoardOut:
    row = q.snapshot
    return QueueBoardOut(
        contract=q.contract,
        queue=q.queue,
        name=q.name,
        observed_at=row.observed_at if row else None,
        stale=q.stale,
        calls_waiting=row.calls_waiting if row else None,
        longest_wait_seconds=row.longest_wait_seconds if row else None,
        agents_logged_in=row.agents_logged_in if row else None,
        agents_available=row.agents_available if row else None,
        agents_on_call=row.agents_on_call if row else None,
        agents_paused=row.agents_paused if row else None,
        day=q.day,
        counted_from=q.counted_from,
        intervals_until=q.intervals_until,
        offered=q.counters.offered,
        answered=q.counters.answered,
        abandoned=q.counters.abandoned,
        answered_within=q.counters.answered_within,
        service_level=q.service_level,
        target=q.target,
        formula=q.formula.value,
        threshold_seconds=q.threshold_seconds,
        levels=dict(q.levels),
        level=q.level,
    )


@get(
    "/api/wallboard",
    operation_id="GetWallboard",
    guards=[requires(*STAFF)],
    opt=openapi.answers(e404="The contract named is not one the caller may see."),
)
async def get_wallboard(
    request: Request[Principal, str, State],
    db_session: NamedDependency[AsyncSession],
    contract: FromQuery[str | None] = None,
) -> BoardOut:
    """Every inbound voice queue the caller may see: calls waiting, longest wait, agents by state, today's service
    level so far (the contract's formula, from local midnight) against target, each figure's level (ok, amber,
    red), and `stale` when the platform's latest reading is older than the contract allows."""
    now = utcnow()
    queues = await services.wallboard(db_session, principal=request.user, contract_code=contract, now=now)
    return BoardOut(generated_at=now, queues=[board_out(q) for q in queues])


ROUTES: list[Any] = [post_queue_stats, get_wallboard]
