"""Time logged on tickets, as billing reads it: minutes per ticket and the time-billed tickets resolved in a period."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from ops.contracts.models import Queue, Reason
from ops.queues.models import Ticket, TimeEntry


class TimeBilledTicket(NamedTuple):
    """A ticket resolved in a time-billed queue (or reason), with every minute logged on it."""

    ticket_id: int
    protocol: str
    resolved_at: datetime
    queue: str
    reason: str | None
    minutes: Decimal


async def time_entries(session: AsyncSession, *, ticket_id: int) -> list[TimeEntry]:
    """A ticket's time entries, oldest first."""
    query = select(TimeEntry).where(TimeEntry.ticket_id == ticket_id).order_by(TimeEntry.at, TimeEntry.id)
    return list((await session.execute(query)).scalars())


async def minutes_by_ticket(session: AsyncSession, *, ticket_ids: Iterable[int]) -> dict[int, Decimal]:
    """The minutes logged on each ticket: every id asked for is in the answer, 0 when nothing was logged."""
    ids = sorted(set(ticket_ids))
    totals = dict.fromkeys(ids, Decimal(0))
    if not ids:
        return totals
    # Summed here, not in SQL: SQLite keeps these exact decimals as text, and its SUM would go through floats.
    query = select(TimeEntry.ticket_id, TimeEntry.minutes).where(TimeEntry.ticket_id.in_(ids))
    for ticket_id, minutes in (await session.execute(query)).tuples():
        totals[ticket_id] += minutes
    return totals


def _aware(value: datetime, what: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what}: needs a time zone, got {value}")


async def resolved_time_billed(
    session: AsyncSession,
    *,
    contract_id: int,
    start: datetime,
    end: datetime,
    queues: Sequence[tuple[str, str | None]],
) -> list[TimeBilledTicket]:
    """The contract's tickets resolved in [start, end) in the time-billed `queues`: (queue code, reason code),
    a reason of None meaning every ticket of the queue. Each with the sum of its minutes (0 when none was
    logged: billing applies the per-ticket minimum). In order of resolution.

    A ticket counts where it was resolved (its queue and reason now) and when it was last resolved: a
    reopened ticket has no `resolved_at` until it is resolved again."""
    _aware(start, "start")
    _aware(end, "end")
    if end < start:
        raise ValueError(f"end: {end} is before start {start}")
    if end == start or not queues:
        return []
    matches = [
        and_(Queue.code == queue, Reason.code == reason) if reason is not None else Queue.code == queue
        for queue, reason in queues
    ]
    query = (
        select(Ticket.id, Ticket.protocol, Ticket.resolved_at, Queue.code, Reason.code)
        .join(Queue, Queue.id == Ticket.queue_id)
        .outerjoin(Reason, Reason.id == Ticket.reason_id)
        .where(
            Ticket.contract_id == contract_id,
            Ticket.resolved_at.is_not(None),
            Ticket.resolved_at >= start,
            Ticket.resolved_at < end,
            or_(*matches),
        )
        .order_by(Ticket.resolved_at, Ticket.id)
    )
    rows = list((await session.execute(query)).tuples())
    minutes = await minutes_by_ticket(session, ticket_ids=[r[0] for r in rows])
    return [
        TimeBilledTicket(ticket_id, protocol, resolved_at, queue, reason, minutes[ticket_id])
        for ticket_id, protocol, resolved_at, queue, reason in rows
        if resolved_at is not None
    ]
