"""Demo tickets and agents: CRM deliveries through the real intake, older ones worked to resolution."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ops.auth import Principal
from ops.contracts.models import Contract, Reason
from ops.demo.voice import ticket_payloads
from ops.queues.assignment import agents
from ops.queues.intake import services as intake
from ops.queues.models import Agent, Ticket, TicketEvent
from ops.queues.work import actions

DEMO_AGENTS: tuple[tuple[str, dict[str, int], bool], ...] = (
    ("Ana Ribeiro", {"bo_care": 1, "social": 2}, False),
    ("Bruno Tavares", {"bo_helpdesk": 1, "bo_care": 2}, False),
    ("Carla Nogueira", {"social": 1, "bo_care": 2}, False),
    ("Diego Freitas", {"bo_care": 1, "bo_helpdesk": 1, "social": 1}, True),
)
HISTORY_DAYS = 14


async def seed(session: AsyncSession, *, contract: Contract, now: datetime, seed: int) -> dict[str, str]:
    """Agents with tokens, two weeks of CRM tickets, and the work done on the older ones.

    Agents stay offline while the history is replayed so that push assignment leaves today's
    tickets in the pool for the demo's "next ticket" button."""
    if (await session.execute(select(Ticket.id).where(Ticket.contract_id == contract.id).limit(1))).first():
        return await _agent_tokens(session, contract=contract)
    made: list[tuple[Agent, str]] = []
    for name, skills, supervisor in DEMO_AGENTS:
        made.append(
            await agents.create_agent(
                session, contract_code=contract.code, name=name, skills=skills, capacity=4, supervisor=supervisor
            )
        )
    payloads = ticket_payloads(now=now, days=HISTORY_DAYS, seed=seed, contract=contract.code)
    results = await intake.create_tickets(
        session, contract_code=contract.code, rows=payloads, source_kind="crm", now=now
    )
    await session.flush()
    rng = np.random.default_rng([seed, 7])
    ids = [r.ticket.id for r in results if r.ticket is not None]
    # Delivered as they were opened, over the two weeks, not all at once now: the staffing page forecasts the
    # back-office queues from when their tickets arrived.
    opened = select(Ticket.created_at).where(Ticket.id == TicketEvent.ticket_id).scalar_subquery()
    await session.execute(update(Ticket).where(Ticket.id.in_(ids)).values(received_at=Ticket.created_at))
    await session.execute(
        update(TicketEvent).where(TicketEvent.ticket_id.in_(ids), TicketEvent.action == "created").values(at=opened)
    )
    await _work_history(session, contract=contract, ticket_ids=ids, workers=[a for a, _ in made], now=now, rng=rng)
    return {"agent": made[0][1], "agent (supervisor)": made[3][1]}


async def _agent_tokens(session: AsyncSession, *, contract: Contract) -> dict[str, str]:
    # A re-run keeps the demo tickets; agents get fresh tokens, as every role does.
    from ops.auth import issue_token

    rows = (await session.execute(select(Agent).where(Agent.contract_id == contract.id).order_by(Agent.id))).scalars()
    out: dict[str, str] = {}
    for agent in rows:
        key = "agent (supervisor)" if agent.supervisor else "agent"
        if key not in out:
            out[key] = await issue_token(
                session, name=agent.name, role="agent", contract_id=contract.id, agent_id=agent.id
            )
    return out


async def _work_history(
    session: AsyncSession,
    *,
    contract: Contract,
    ticket_ids: list[int],
    workers: list[Agent],
    now: datetime,
    rng: np.random.Generator,
) -> None:
    """Take, tick, answer and resolve most tickets older than a day, as agents would have."""
    reasons = {r.id: r for r in (await session.execute(select(Reason))).scalars()}
    tickets = (
        (await session.execute(select(Ticket).where(Ticket.id.in_(ticket_ids)).order_by(Ticket.created_at)))
        .scalars()
        .all()
    )
    for ticket in tickets:
        if now - ticket.created_at < timedelta(hours=20) or rng.random() < 0.08:
            continue
        worker = workers[int(rng.integers(len(workers)))]
        principal = Principal(0, worker.name, "agent", contract.id, worker.id)
        # Social posts are public: the team answers them within minutes, e-mail and CRM claims within hours.
        social = ticket.channel == "social"
        taken = ticket.created_at + timedelta(minutes=float(rng.gamma(2.0, 5.0 if social else 40.0)))
        resolved = taken + timedelta(hours=float(rng.gamma(1.6, 2.5 if social else 5.0)))
        if resolved >= now:
            continue
        reason = reasons.get(ticket.reason_id) if ticket.reason_id is not None else None
        steps: list[tuple[str, datetime, dict[str, Any]]] = [("take", taken, {})]
        for i, _ in enumerate(reason.procedure if reason else []):
            steps.append(("tick", taken + timedelta(minutes=(i + 1) / 2), {"item": i}))
        reply_at = taken + timedelta(minutes=3 if social else 15)
        steps.append(("reply", reply_at, {"message": "Olá! Já estamos cuidando do seu caso."}))
        if reason is not None and any(f.get("required") for f in reason.fields):
            values = {"recalculation_number": f"RC-{ticket.id:06d}", "resolution_date": resolved.date().isoformat()}
            steps.append(("fields", resolved - timedelta(minutes=5), {"fields": values}))
        done: dict[str, Any] = {"message": "Resolvido. Obrigado pelo contato."}
        if reason is not None and reason.code == "branch_support":
            # Phone support to branches is billed by the minute: the agent logs the time spent.
            done["minutes"] = Decimal(int(rng.integers(4, 45)))
        steps.append(("resolve", resolved, done))
        for action, at, extra in steps:
            ticket = await actions.act(
                session,
                ticket_id=ticket.id,
                action=action,
                principal=principal,
                version=ticket.version,
                now=at,
                **extra,
            )
