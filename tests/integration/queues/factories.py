"""Agents and tickets for the work tests: agents through the agents service, tickets straight
into the table (as intake leaves them: new, in the pool, with the reason's procedure)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from ops.auth import Principal
from ops.contracts.models import Contract, Queue, Reason
from ops.queues.assignment.agents import create_agent, set_status
from ops.queues.models import Agent, Ticket
from ops.queues.sla.sync import refresh_clocks
from ops.queues.work.procedures import checklist_view

SP = ZoneInfo("America/Sao_Paulo")


def sp(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    """A São Paulo wall time in 2026 (2 March is a Monday; the back office opens 08-12 and 13-18)."""
    return datetime(2026, month, day, hour, minute, tzinfo=SP)


async def make_agent(
    session: Any,
    *,
    name: str,
    skills: dict[str, int] | None = None,
    contract: str = "reference",
    capacity: int = 3,
    supervisor: bool = False,
    status: str = "busy",
    reason: str | None = None,
) -> tuple[Agent, str]:
    agent, token = await create_agent(
        session,
        contract_code=contract,
        name=name,
        skills=skills or {"bo_care": 1, "bo_helpdesk": 2},
        capacity=capacity,
        supervisor=supervisor,
    )
    if status != "offline":
        # A break names one of the contract's break reasons (the reference contract's first, unless given).
        reason = reason or ("rest" if status == "break" else None)
        await set_status(session, agent_id=agent.id, status=status, reason=reason)
    return agent, token


def as_principal(agent: Agent, *, role: str = "agent") -> Principal:
    return Principal(token_id=0, name=agent.name, role=role, contract_id=agent.contract_id, agent_id=agent.id)  # type: ignore[arg-type]


def supervisor_principal(contract_id: int, agent_id: int | None = None) -> Principal:
    return Principal(token_id=0, name="sup", role="supervisor", contract_id=contract_id, agent_id=agent_id)


async def make_ticket(
    session: Any,
    *,
    created_at: datetime,
    queue: str = "bo_care",
    reason: str | None = "undue_charge",
    priority: str = "normal",
    contract: str = "reference",
    assigned_to: Agent | None = None,
    status: str = "new",
    subject: str = "Cobrança indevida na fatura",
    sort_key: float = 0.0,
    sync: bool = True,
    customer: dict[str, Any] | None = None,
    **columns: Any,
) -> Ticket:
    """A ticket as intake stores it; `columns` set more of its columns (a replay's answered and
    closed times); `sync=False` leaves its SLA columns as given instead of computing them."""
    contract_id = (await session.execute(select(Contract.id).where(Contract.code == contract))).scalar_one()
    row = (
        await session.execute(select(Queue).where(Queue.contract_id == contract_id, Queue.code == queue))
    ).scalar_one()
    reason_row = None
    if reason is not None:
        reason_row = (
            await session.execute(select(Reason).where(Reason.queue_id == row.id, Reason.code == reason))
        ).scalar_one()
    n = uuid.uuid4().hex[:12]
    ticket = Ticket(
        contract_id=contract_id,
        queue_id=row.id,
        reason_id=reason_row.id if reason_row else None,
        source="crm",
        external_id=f"EXT-{n}",
        protocol=f"2026{int(n, 16) % 10**12:012d}",
        channel="email",
        subject=subject,
        body="Fui cobrado por um serviço que não contratei.",
        customer=customer if customer is not None else {"name": f"Cliente {n[:4].upper()}", "segment": "residential"},
        created_at=created_at,
        received_at=created_at,
        status=status,
        priority=priority,
        sort_key=sort_key,
        classification={"queue": queue},
        checklist=checklist_view(reason_row.procedure, []) if reason_row else [],
        fields={},
        raw={},
        assigned_agent_id=assigned_to.id if assigned_to else None,
        assigned_at=created_at if assigned_to else None,
        **columns,
    )
    session.add(ticket)
    if assigned_to is not None:
        await session.execute(update(Agent).where(Agent.id == assigned_to.id).values(open_count=Agent.open_count + 1))
    await session.flush()
    if sync:
        await refresh_clocks(session, ticket=ticket, now=created_at, queue=row)
        await session.flush()
    return ticket
