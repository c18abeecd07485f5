"""Ticket news leaves with the commit that made it: nothing while the transaction (or a savepoint in it) is open,
nothing of a savepoint rolled back or a transaction rolled back, each event once, with the ticket's place."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest

from ops.channels import MemoryChannels
from ops.db import make_sessionmaker, utcnow
from ops.queues.assignment.warnings import warn_givebacks
from ops.queues.live.news import CHANNEL, wait_for_news
from ops.queues.live.notices import TicketNews
from ops.queues.models import TicketEvent
from tests.helpers import load_reference
from tests.integration.queues.factories import make_agent, make_ticket


@pytest.fixture
async def heard(db: Any) -> AsyncIterator[tuple[Any, list[TicketNews]]]:
    """A sessionmaker whose commits publish on memory channels, and the news heard there."""
    channels = MemoryChannels()
    live = make_sessionmaker(db.kw["bind"], None, channels)
    received: list[TicketNews] = []
    ready = asyncio.Event()

    async def listen() -> None:
        async with channels.subscribe(CHANNEL) as messages:
            ready.set()
            async for text in messages:
                received.append(TicketNews.from_json(text))

    task = asyncio.create_task(listen())
    await ready.wait()
    yield live, received
    task.cancel()


def event(ticket_id: int, action: str) -> TicketEvent:
    return TicketEvent(ticket_id=ticket_id, at=utcnow(), actor="agent:Ana Souza #1", action=action, before={}, after={})


async def settle() -> None:
    await wait_for_news()
    await asyncio.sleep(0.05)


async def test_news_leaves_after_the_commit_and_never_from_a_rolled_back_savepoint(
    db: Any, heard: tuple[Any, list[TicketNews]]
) -> None:
    live, received = heard
    await load_reference(db)
    async with db.begin() as session:
        ticket = await make_ticket(session, created_at=utcnow())
        ticket_id = ticket.id
    async with live.begin() as session:
        async with session.begin_nested():
            session.add(event(ticket_id, "note"))
        with pytest.raises(RuntimeError):  # noqa: PT012 - the savepoint's body is what fails
            async with session.begin_nested():
                session.add(event(ticket_id, "reply"))
                await session.flush()
                raise RuntimeError("the action failed")
        await settle()
        assert received == []  # the savepoint's release is not the commit
    await settle()
    assert [(n.ticket_id, n.action, n.queue_code) for n in received] == [(ticket_id, "note", "bo_care")]
    assert received[0].protocol == ticket.protocol and received[0].contract_id == ticket.contract_id


async def test_a_rolled_back_transaction_says_nothing(db: Any, heard: tuple[Any, list[TicketNews]]) -> None:
    live, received = heard
    await load_reference(db)
    async with db.begin() as session:
        ticket_id = (await make_ticket(session, created_at=utcnow())).id
    async with live() as session:
        session.add(event(ticket_id, "note"))
        await session.flush()
        await session.rollback()
    await settle()
    assert received == []


async def test_the_intake_and_a_giveback_warning_are_news(db: Any, heard: tuple[Any, list[TicketNews]]) -> None:
    from ops.queues.intake.services import create_ticket

    live, received = heard
    await load_reference(db)
    now = utcnow()
    async with live.begin() as session:
        agent, _ = await make_agent(session, name="Ana Souza", skills={"bo_care": 1})
        held = await make_ticket(
            session, created_at=now - timedelta(minutes=40), assigned_to=agent, status="open", sync=False
        )
        held.assigned_at = now - timedelta(minutes=27)  # the give-back (30 min) is 3 minutes away
        await session.flush()
        data = {"external_id": "X-1", "channel": "email", "subject": "Fatura", "body": "Cobrança", "customer": {}}
        ticket, _, _ = await create_ticket(
            session, contract_code="reference", data=data, source_kind="api", now=now, push=False
        )
    await settle()
    assert ("created", ticket.id) in [(n.action, n.ticket_id) for n in received]
    async with live.begin() as session:
        assert await warn_givebacks(session, now=now) == 1
    async with live.begin() as session:
        assert await warn_givebacks(session, now=now + timedelta(minutes=1)) == 0  # once per give-back time
    await settle()
    warning = [n for n in received if n.action == "giveback_warning"]
    assert len(warning) == 1 and warning[0].ticket_id == held.id and warning[0].assignee == agent.id
    assert warning[0].after["giveback_at"] == (now + timedelta(minutes=3)).isoformat()
