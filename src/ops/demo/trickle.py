"""A live demo: CRM deliveries keep arriving while the demo serves, and a demo prepared on an earlier day has its
open tickets moved to today, so queues fill and countdowns run as on a working day.

The trickle posts through the served API with the client's CRM token, as the client's CRM would: each delivery
goes through the real intake (classification, priority, SLA clocks, push to an available agent). High-priority
and social-media tickets have first-response targets of 15 to 60 minutes, so some are always due within the hour.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import numpy as np
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from ops.contracts.models import Contract
from ops.demo.voice import delivery
from ops.queues.models import Incident, Ticket, TicketEvent
from ops.queues.sla.sync import sync_clocks

DAY = timedelta(days=1)
OPEN = ("new", "open", "pending")
# Every moment of a ticket's own that a shift to today moves with it.
MOMENTS = ("created_at", "received_at", "assigned_at", "last_activity_at", "first_response_at", "awaiting_reply_since")
BREACH = "sla_breach"


def days_to_move(latest: datetime, newest: datetime, now: datetime) -> int:
    """Whole days a ticket moves forward: as many as the demo's newest ticket lags behind today, but never so many
    that the ticket's latest moment (its last event) would land after `now`. Whole days keep each ticket's time of
    day, so the business-hours clocks read as they did."""
    lag = (now - newest) // DAY
    room = (now - latest) // DAY
    return max(0, min(lag, room))


async def move_to_today(session: AsyncSession, *, contract: Contract, now: datetime | None = None) -> int:
    """Move the contract's open tickets (and their history, and open outage incidents) forward by whole days so
    that a demo prepared on an earlier day has today's work; the SLA clocks are recomputed from the moved history
    (breaches recorded before the move are dropped and recorded again if they still hold). The number moved."""
    now = now or datetime.now(UTC)
    newest = (
        await session.execute(
            select(Ticket.created_at)
            .where(Ticket.contract_id == contract.id)
            .order_by(Ticket.created_at.desc())
            .limit(1)
        )
    ).scalar()
    if newest is None or now - newest < DAY:
        return 0
    tickets: Sequence[Ticket] = (
        (await session.execute(select(Ticket).where(Ticket.contract_id == contract.id, Ticket.status.in_(OPEN))))
        .scalars()
        .all()
    )
    moved = 0
    for ticket in tickets:
        events = (await session.execute(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id))).scalars().all()
        latest = max([ticket.created_at, *(e.at for e in events)])
        days = days_to_move(latest, newest, now)
        if days == 0:
            continue
        shift = days * DAY
        for name in MOMENTS:
            value = getattr(ticket, name)
            if value is not None:
                setattr(ticket, name, value + shift)
        for event in events:
            event.at = event.at + shift
        ticket.first_response_breached = False
        ticket.resolution_breached = False
        ticket.warned_at = None
        await session.execute(
            delete(TicketEvent).where(TicketEvent.ticket_id == ticket.id, TicketEvent.action == BREACH)
        )
        await session.flush()
        await sync_clocks(session, ticket=ticket, now=now)
        moved += 1
    incidents = (
        await session.execute(
            select(Incident).where(Incident.contract_id == contract.id, Incident.resolved_at.is_(None))
        )
    ).scalars()
    for incident in incidents:
        shift = days_to_move(incident.opened_at, newest, now) * DAY
        incident.opened_at += shift
        if incident.forecast_end is not None:
            incident.forecast_end += shift
    await session.flush()
    return moved


async def trickle(
    base_url: str,
    token: str,
    *,
    every: float,
    seed: int,
    contract: str = "reference",
    stop: threading.Event | None = None,
    limit: int | None = None,
    echo: Any = print,
    http: httpx.AsyncClient | None = None,
) -> int:
    """Post one CRM delivery about every `every` seconds (exponential gaps, as arrivals come) to the served API until
    `stop` is set, `limit` deliveries were tried, or the server goes away. The number the API took."""
    if http is None:
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
            return await trickle(
                base_url,
                token,
                every=every,
                seed=seed,
                contract=contract,
                stop=stop,
                limit=limit,
                echo=echo,
                http=client,
            )
    stop = stop or threading.Event()
    rng = np.random.default_rng([seed, int(datetime.now(UTC).timestamp())])
    prefix = f"LIVE{datetime.now(UTC):%y%m%d%H%M%S}-"
    headers = {"Authorization": f"Bearer {token}"}
    sent = tried = 0
    if not await _wait_until_up(http, stop):
        return 0
    while not stop.is_set() and (limit is None or tried < limit):
        tried += 1
        payload = delivery(rng, contract=contract, seq=tried, created=datetime.now(UTC), prefix=prefix)
        try:
            response = await http.post("/api/tickets", json=payload, headers=headers)
        except httpx.TransportError:
            return sent  # the server stopped
        if response.status_code in (200, 201):
            sent += 1
            body = response.json()
            echo(f"demo trickle: {body.get('protocol')} into {body.get('queue')} ({body.get('priority')})")
        else:
            echo(f"demo trickle: the API answered {response.status_code}: {response.text[:200]}")
        if limit is None or tried < limit:
            await asyncio.to_thread(stop.wait, float(rng.exponential(every)))
    return sent


async def _wait_until_up(http: httpx.AsyncClient, stop: threading.Event, seconds: float = 60) -> bool:
    deadline = asyncio.get_running_loop().time() + seconds
    while not stop.is_set() and asyncio.get_running_loop().time() < deadline:
        try:
            if (await http.get("/health/live")).status_code == 200:
                return True
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.5)
    return False


def start_trickle(base_url: str, token: str, *, every: float, seed: int) -> threading.Event:
    """Run the trickle in a daemon thread beside the server; set the returned event to stop it."""
    stop = threading.Event()
    thread = threading.Thread(
        target=lambda: asyncio.run(trickle(base_url, token, every=every, seed=seed, stop=stop)),
        name="demo-trickle",
        daemon=True,
    )
    thread.start()
    return stop
