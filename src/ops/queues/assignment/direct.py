"""A supervisor assigns a ticket to a named agent: within the agent's skills and capacity, and never to two
agents at once (the agent's seat and the ticket's version are each claimed by a conditional UPDATE)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ops.auth import Principal
from ops.contracts.models import Queue
from ops.db import rowcount, utcnow
from ops.errors import NotFoundError, Said
from ops.l10n import N_
from ops.queues.assignment.agents import agent_skills
from ops.queues.assignment.push import release_agent
from ops.queues.assignment.refusals import Refusal
from ops.queues.models import ACTIVE, Agent, Ticket, TicketEvent


async def assign_to(
    session: AsyncSession, *, ticket_id: int, agent_id: int, principal: Principal, now: datetime | None = None
) -> Ticket:
    """Give an active ticket of the caller's contract to `agent_id`: the agent works the ticket's queue (a skill
    for it), is not offline and has room (open tickets below capacity). A ticket held by another agent moves
    (that agent's seat is freed). Refusals are `Refusal`s naming the agent, the ticket and why."""
    now = now or utcnow()
    ticket = await session.get(Ticket, ticket_id)
    if ticket is None or principal.role == "client" or not principal.may_see(ticket.contract_id):
        raise NotFoundError(Said(N_("no ticket {ticket}"), {"ticket": str(ticket_id)}))
    agent = await session.get(Agent, agent_id)
    if agent is None or agent.contract_id != ticket.contract_id:
        raise Refusal(N_("No such agent works this contract."), status=422, field="agent")
    protocol, name = ticket.protocol, agent.name
    if ticket.status not in ACTIVE:
        raise Refusal(N_("Ticket {protocol} is no longer active."), protocol=protocol)
    if ticket.assigned_agent_id == agent.id:
        raise Refusal(N_("Ticket {protocol} is already with {agent}."), protocol=protocol, agent=name)
    queue = await session.get(Queue, ticket.queue_id)
    assert queue is not None
    if queue.code not in await agent_skills(session, agent):
        raise Refusal(
            N_("{agent} has no skill for the queue {queue}."), status=422, field="agent", agent=name, queue=queue.name
        )
    if agent.status == "offline":
        raise Refusal(N_("{agent} is offline."), field="agent", agent=name)
    previous, version = ticket.assigned_agent_id, ticket.version
    # The ticket first, then both agents' rows in id order: two moves crossing the same agents wait, never deadlock.
    claimed = await session.execute(
        update(Ticket)
        .where(Ticket.id == ticket.id, Ticket.version == version, Ticket.status.in_(ACTIVE))
        .values(assigned_agent_id=agent.id, assigned_at=now, version=version + 1)
        .execution_options(synchronize_session=False)
    )
    if rowcount(claimed) != 1:
        raise Refusal(N_("Ticket {protocol} changed in the meantime: reload and try again."), protocol=protocol)
    # NO KEY UPDATE: the tickets' foreign keys take KEY SHARE locks on agents, which this must not wait for.
    seats = sorted({agent.id} | ({previous} if previous is not None else set()))
    await session.execute(
        select(Agent.id).where(Agent.id.in_(seats)).order_by(Agent.id).with_for_update(key_share=True)
    )
    seat = await session.execute(
        update(Agent)
        .where(Agent.id == agent.id, Agent.open_count < Agent.capacity)
        .values(open_count=Agent.open_count + 1, last_assigned_at=now, idle_since=now)
        .execution_options(synchronize_session=False)
    )
    if rowcount(seat) != 1:
        # The caller's savepoint undoes the ticket's claim above.
        raise Refusal(
            N_("{agent} is at capacity ({capacity} open tickets)."), field="agent", agent=name, capacity=agent.capacity
        )
    if previous is not None:
        await release_agent(session, agent_id=previous, now=now)
    actor = f"{principal.role}:{principal.name.removeprefix(f'{principal.role}:')}"
    session.add(
        TicketEvent(
            ticket_id=ticket.id,
            at=now,
            actor=actor,
            action="assigned",
            before={"assigned_agent_id": previous},
            after={"assigned_agent_id": agent.id, "how": "supervisor"},
        )
    )
    await session.flush()
    await session.refresh(ticket)
    await session.refresh(agent, ["open_count", "idle_since", "last_assigned_at"])
    return ticket
