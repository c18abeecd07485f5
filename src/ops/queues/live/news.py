"""Ticket news: every TicketEvent a transaction writes (an action, a push, a transfer, an incident link, a breach,
a give-back and its warning) is published on the `tickets` channel once that transaction commits, never before
and never when it rolls back, to every process (ops.channels). Services publish nothing by hand: writing the
event row is the publication.

The sessionmaker puts the channels in `session.info` (ops.runtime); a session without them publishes nothing."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import event, inspect, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session

from ops.channels import Channels
from ops.contracts.models import Queue
from ops.queues.live.notices import TicketNews
from ops.queues.models import Ticket, TicketEvent

log = logging.getLogger("ops.live")
CHANNEL = "tickets"
CHANNELS_KEY = "ops_channels"
PENDING_KEY = "ops_ticket_news"
READY_KEY = "ops_ticket_news_ready"
PLACES_KEY = "ops_ticket_places"
_sends: set[asyncio.Task[Any]] = set()

Record = tuple[int, str, str, Any, dict[str, Any], dict[str, Any]]
# Where a ticket stands for its news: contract id, queue code, protocol, version, assignee.
Place = tuple[int, str, str, int, int | None]


@event.listens_for(Session, "after_flush")
def _collect(session: Session, _context: Any) -> None:
    if session.info.get(CHANNELS_KEY) is None:
        return
    written = [obj for obj in session.new if isinstance(obj, TicketEvent)]
    if written:
        session.info.setdefault(PENDING_KEY, []).extend(written)


@event.listens_for(Session, "do_orm_execute")
def _collect_bulk(state: ORMExecuteState) -> None:
    # The intake writes its audit rows with one executemany INSERT, no ORM objects.
    if not state.is_insert or state.session.info.get(CHANNELS_KEY) is None:
        return
    table = getattr(state.statement, "table", None)
    if getattr(table, "name", None) != TicketEvent.__tablename__:  # an annotated copy of the table
        return
    params = state.parameters
    rows = params if isinstance(params, list) else [params] if isinstance(params, dict) else []
    state.session.info.setdefault(PENDING_KEY, []).extend(dict(row) for row in rows)


def written(session: Session | AsyncSession, events: Iterable[dict[str, Any]]) -> None:
    """Events a statement wrote that the ORM did not see (the intake's ticket and event in one statement):
    published after the commit like every other."""
    if session.info.get(CHANNELS_KEY) is not None:
        session.info.setdefault(PENDING_KEY, []).extend(events)


def placed(session: Session | AsyncSession, places: Mapping[int, Place]) -> None:
    """Where tickets written in this transaction stand, from the values their writer holds: the commit reads a
    ticket only if another event of the transaction comes after this (a push, a link) or a savepoint may undo it."""
    if session.info.get(CHANNELS_KEY) is None or session.in_nested_transaction():
        return
    noted = len(session.info.get(PENDING_KEY, ()))
    session.info.setdefault(PLACES_KEY, {}).update({t: (place, noted) for t, place in places.items()})


def _record(item: TicketEvent | dict[str, Any]) -> Record | None:
    if isinstance(item, TicketEvent):
        # One added in a savepoint that was rolled back is gone from the database, and from the news.
        if not inspect(item).persistent:
            return None
        return item.ticket_id, item.action, item.actor, item.at, dict(item.before or {}), dict(item.after or {})
    return (
        int(item["ticket_id"]),
        str(item["action"]),
        str(item.get("actor", "")),
        item.get("at"),
        dict(item.get("before") or {}),
        dict(item.get("after") or {}),
    )


@event.listens_for(Session, "before_commit")
def _prepare(session: Session) -> None:
    """Read each event's ticket as this transaction leaves it, on the transaction's own connection: after the
    commit nothing is read, so a publication never holds a connection (nor, on SQLite, the writer lock)."""
    if session.in_nested_transaction() or session.info.get(CHANNELS_KEY) is None:
        return
    session.flush()  # the events still pending are part of the news
    pending: list[Any] = session.info.pop(PENDING_KEY, None) or []
    noted: dict[int, tuple[Place, int]] = session.info.pop(PLACES_KEY, None) or {}
    records = [(i, r) for i, r in enumerate(map(_record, pending)) if r is not None]
    if not records:
        return
    places: dict[int, tuple[Any, ...]] = {}
    unread = set()
    for i, (ticket_id, *_rest) in records:
        if ticket_id in noted and i < noted[ticket_id][1]:
            places[ticket_id] = noted[ticket_id][0]
        else:
            unread.add(ticket_id)
    if unread:
        rows = session.execute(
            select(Ticket.id, Ticket.contract_id, Queue.code, Ticket.protocol, Ticket.version, Ticket.assigned_agent_id)
            .join(Queue, Queue.id == Ticket.queue_id)
            .where(Ticket.id.in_(sorted(unread)))
        )
        places.update({row[0]: tuple(row[1:]) for row in rows})
    session.info.setdefault(READY_KEY, []).extend(build_news([r for _i, r in records], places))


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint released: the transaction may still roll back
    news: list[TicketNews] | None = session.info.pop(READY_KEY, None)
    channels: Channels | None = session.info.get(CHANNELS_KEY)
    if not news or channels is None:
        return
    task = asyncio.get_running_loop().create_task(_send(channels, news))
    _sends.add(task)
    task.add_done_callback(_sends.discard)


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, previous: Any) -> None:
    if not getattr(previous, "nested", False):
        session.info.pop(PENDING_KEY, None)
        session.info.pop(READY_KEY, None)
        session.info.pop(PLACES_KEY, None)


async def _send(channels: Channels, news: list[TicketNews]) -> None:
    try:
        for item in news:
            await channels.publish(CHANNEL, item.to_json())
    except Exception:  # news is a courtesy: the pages are right on reload, and the commit stands
        log.exception("could not publish %d ticket event(s)", len(news))


def build_news(records: Iterable[Record], places: dict[int, tuple[Any, ...]]) -> list[TicketNews]:
    news = []
    for ticket_id, action, actor, at, before, after in records:
        place = places.get(ticket_id)
        if place is None:
            continue
        contract_id, queue_code, protocol, version, assignee = place
        previous = before.get("assigned_agent_id")
        news.append(
            TicketNews(
                ticket_id=ticket_id,
                action=action,
                actor=actor,
                at=at.isoformat() if isinstance(at, datetime) else str(at or ""),
                contract_id=int(contract_id),
                queue_code=str(queue_code),
                protocol=str(protocol),
                version=int(version),
                assignee=assignee,
                previous=int(previous) if isinstance(previous, int) else None,
                after={k: v for k, v in after.items() if isinstance(v, str | int | float | bool) or v is None},
            )
        )
    return news


async def wait_for_news(seconds: float = 5.0) -> None:
    """Wait for the publications under way on this loop (tests, and a process closing)."""
    loop = asyncio.get_running_loop()
    mine = [task for task in _sends if task.get_loop() is loop]
    if mine:
        await asyncio.wait(mine, timeout=seconds)
